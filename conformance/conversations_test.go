package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conversationsDir holds the project's own vector files: one per client
// family, each replaying the sequence of operations its vendor documents
// (docs/INTEROP.md section 1 lists the sources), in the XML format of the
// OASIS test cases. They live in the repository, so that a fresh clone
// replays them without the OASIS corpus.
const conversationsDir = "vectors"

// conversationServers is the number of kmipd instances a file is replayed
// on, one after the other, when it is more than one: NetApp ONTAP keeps
// every key on each of its key servers, registering the same key material
// on each, and the file's Get compares that material on every server.
var conversationServers = map[string]int{
	"NETAPP-ONTAP-1-12.xml": 2,
}

// pendingConversations maps the files that fail only for want of a
// capability another branch builds to the start of the failure they report
// now. TestConversations requires that failure, so that a change shows:
// drop the entry once the file passes.
var pendingConversations = map[string]string{}

// TestConversations replays every file of conformance/vectors against a
// fresh kmipd, with its software provider and with its PKCS#11 provider on
// SoftHSM2 (-vectors.pkcs11=false leaves the second out). A Restart step
// of a file stops that kmipd with SIGTERM and starts a new one on the same
// data directory. Unlike TestVectors, it needs no OASIS corpus.
func TestConversations(t *testing.T) {
	files, err := ExpandPaths([]string{conversationsDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no vector file in %s", conversationsDir)
	}
	for name := range pendingConversations {
		if _, err := LoadFile(filepath.Join(conversationsDir, name)); err != nil {
			t.Errorf("pending %s: %v", name, err)
		}
	}
	for name := range conversationServers {
		if _, err := LoadFile(filepath.Join(conversationsDir, name)); err != nil {
			t.Errorf("replicated %s: %v", name, err)
		}
	}
	for _, provider := range vectorProviders() {
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(provider+"/"+name, func(t *testing.T) {
				t.Parallel()
				servers := max(conversationServers[name], 1)
				for i := range servers {
					res := replayConversation(t, provider, f)
					want, pending := pendingConversations[name]
					switch {
					case pending && res.Status == Pass:
						t.Errorf("%s passes now: drop it from pendingConversations (%s)", name, want)
					case pending && !strings.HasPrefix(res.Reason, want):
						t.Errorf("pending %s fails otherwise now: %v\nwant a failure starting %q", name, res, want)
					case pending:
						t.Logf("pending: %v", res)
					case res.Status != Pass:
						t.Errorf("server %d of %d: %v", i+1, servers, res)
					}
				}
			})
		}
	}
}

// replayConversation replays the file at path on a fresh kmipd with
// provider, restarting it on its data directory at each Restart step.
func replayConversation(t *testing.T, provider, path string) Result {
	t.Helper()
	var env []string
	if provider == providerPKCS11 {
		env = softHSMToken(t)
	}
	d := startDaemon(t, t.TempDir(), env...)
	r := &Runner{Addr: d.addr, TLS: d.tlsConfig(t)}
	restarts := 0
	r.Restart = func(context.Context) (string, error) {
		pid := d.cmd.Process.Pid
		d.stop(t)
		d = d.restart(t)
		if d.cmd.Process.Pid == pid {
			t.Fatalf("the restarted kmipd is process %d still", pid)
		}
		restarts++
		return d.addr, nil
	}
	res := r.RunFile(context.Background(), path)
	res.Path = filepath.Base(path)
	if tc, err := LoadFile(path); err == nil && res.Status == Pass {
		want := 0
		for _, p := range tc.Pairs {
			if p.Restart {
				want++
			}
		}
		if restarts != want {
			t.Errorf("%s has %d Restart steps, and kmipd restarted %d times", res.Path, want, restarts)
		}
	}
	return res
}

// TestConversationCorrupted replays copies of the Synology DSM file (in a
// temporary directory) with one expected value after its Restart step
// changed: each copy must fail at that step, so that the steps after a
// restart compare what the restarted kmipd answers.
func TestConversationCorrupted(t *testing.T) {
	const file = "SYNOLOGY-DSM-1-12.xml"
	orig, err := os.ReadFile(filepath.Join(conversationsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	const secret = `<KeyMaterial type="ByteString" value="8c1f0e2d4b6a59788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"/>`
	const active = `<AttributeValue type="Enumeration" value="Active"/>`
	for _, c := range []struct {
		name, old, new, step string
	}{
		{"state after the restart", active, `<AttributeValue type="Enumeration" value="PreActive"/>`, "step=11 "},
		{"secret after the restart", secret, strings.Replace(secret, "8c1f", "8c1e", 1), "step=12 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			i := strings.LastIndex(string(orig), c.old)
			if i < 0 {
				t.Fatalf("%s does not contain %s", file, c.old)
			}
			p := filepath.Join(t.TempDir(), file)
			if err := os.WriteFile(p, []byte(string(orig[:i])+c.new+string(orig[i+len(c.old):])), 0o600); err != nil {
				t.Fatal(err)
			}
			res := replayConversation(t, providerSoftware, p)
			if res.Status != Fail || !strings.HasPrefix(res.Reason, c.step) {
				t.Errorf("%v, want a failure at %s", res, c.step)
			}
		})
	}
}
