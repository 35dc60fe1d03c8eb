package conformance

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmipd/kmipd/conformance/corpus"
)

var (
	vectorsAll     = flag.Bool("vectors.all", false, "replay every vector file, not only expected-pass.txt, and write a report")
	vectorsSkipped = flag.Bool("vectors.skipped", false, "with -vectors.all, replay the skip.txt files too (to find which pass now)")
	vectorsPKCS11  = flag.Bool("vectors.pkcs11", true, "also replay with kmipd's PKCS#11 provider on a SoftHSM2 token")
	vectorsReport  = flag.String("vectors.report", "/tmp/conformance-report.txt", "where -vectors.all writes its report")
	vectorsMatch   = flag.String("vectors.match", "", "replay only the vector files whose path relative to kmip-vectors matches this regular expression (v2.0-tc/, TC-ECC-1-20)")
)

// vectorsDir locates the corpus as conformance/corpus does for every package
// ($KMIP_VECTORS, else ../shared/kmip-vectors beside the module root), all
// of its sets. Without it the vector tests skip, except under CI=true,
// where they fail.
func vectorsDir(t *testing.T) string {
	t.Helper()
	return corpus.Require(t)
}

// corpusFiles is the number of files of the corpus: the KMIP Profiles 1.4
// (68 mandatory, 7 optional) and 2.1 (86, 7) test cases and the 60 KMIP
// Test Cases 2.0.
const corpusFiles = 68 + 7 + 86 + 7 + 60

// unreadable lists the vector files the converter cannot read, with why.
var unreadable = map[string]string{}

// TestVectorsParse converts every request of every vector file to TTLV
// (placeholders replaced by dummies) and every expected response value.
func TestVectorsParse(t *testing.T) {
	dir := vectorsDir(t)
	files, err := ExpandPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < corpusFiles {
		t.Errorf("found %d vector files, want %d", len(files), corpusFiles)
	}
	for _, f := range files {
		tc, err := LoadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		err = tc.CheckConvertible()
		if reason, ok := unreadable[rel(dir, f)]; ok {
			if err == nil {
				t.Errorf("%s converts now; drop it from unreadable (%s)", rel(dir, f), reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel(dir, f), err)
		}
	}
}

func rel(dir, path string) string {
	r, err := filepath.Rel(dir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(r)
}

// TestVectors replays every file of expected-pass.txt, each group against a
// fresh kmipd (started with the file's server-policy.txt settings): files
// stand alone except TL-M-1..3 and SASED-M-1..3, which
// run in order on one server. Any failure fails the test (the ratchet:
// passing files stay passing). With -vectors.all it replays the whole
// corpus, skip.txt entries excepted, and writes a report of every file to
// -vectors.report; then only listed files fail the test.
func TestVectors(t *testing.T) {
	dir := vectorsDir(t)
	pass, err := LoadList("expected-pass.txt")
	if err != nil {
		t.Fatal(err)
	}
	skips, err := LoadList("skip.txt")
	if err != nil {
		t.Fatal(err)
	}
	policies, err := LoadList("server-policy.txt")
	if err != nil {
		t.Fatal(err)
	}
	runSkips := skips
	if *vectorsAll && *vectorsSkipped {
		runSkips = nil
	}
	var files []string
	if *vectorsAll {
		all, err := ExpandPaths([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			files = append(files, rel(dir, f))
		}
	} else {
		for f := range pass {
			if _, ok := skips[f]; ok {
				t.Errorf("%s is both expected to pass and skipped", f)
			}
			files = append(files, f)
		}
		sort.Strings(files)
	}
	if *vectorsMatch != "" {
		re, err := regexp.Compile(*vectorsMatch)
		if err != nil {
			t.Fatalf("-vectors.match: %v", err)
		}
		files = slices.DeleteFunc(files, func(f string) bool { return !re.MatchString(f) })
		if len(files) == 0 {
			t.Fatalf("-vectors.match %q selects no file", *vectorsMatch)
		}
	}

	var mu sync.Mutex
	results := map[string][]Result{}
	t.Run("files", func(t *testing.T) {
		for _, provider := range vectorProviders() {
			for _, group := range groupDependent(files) {
				t.Run(provider+"/"+group[0], func(t *testing.T) {
					t.Parallel()
					var d vectorDaemon
					for _, f := range group {
						r := &Runner{Skips: runSkips}
						_, https := transportFor(f)
						if _, skipped := r.skipReason(f); !skipped && d.daemon == nil {
							d = startVectorDaemon(t, provider, https, serverPolicy(t, policies[f])...)
						}
						if d.daemon != nil {
							r.Addr, r.HTTPSAddr, r.TLS = d.addr, d.httpsAddr, d.tlsConfig(t)
						}
						res := r.RunFile(context.Background(), filepath.Join(dir, f))
						res.Path = f
						mu.Lock()
						results[provider] = append(results[provider], res)
						mu.Unlock()
						if _, listed := pass[f]; listed && res.Status != Pass {
							t.Errorf("%s: %v", provider, res)
						}
					}
				})
			}
		}
	})
	if *vectorsAll {
		writeReport(t, *vectorsReport, results)
	}
}

// The cryptographic modules kmipd is replayed with: its software provider
// and its PKCS#11 provider on a SoftHSM2 token.
const (
	providerSoftware = "software"
	providerPKCS11   = "pkcs11"
)

// vectorProviders returns the providers TestVectors replays the files
// with: both unless -vectors.pkcs11=false. A missing SoftHSM2 skips the
// PKCS#11 replays (fails them under CI=true).
func vectorProviders() []string {
	if !*vectorsPKCS11 {
		return []string{providerSoftware}
	}
	return []string{providerSoftware, providerPKCS11}
}

// vectorDaemon is a kmipd for vector files, with its HTTPS listener's
// address when it has one.
type vectorDaemon struct {
	*daemon
	httpsAddr string
}

// serverPolicy returns the KMIPD_* settings a server-policy.txt entry
// lists (space-separated NAME=value); any other word fails the test.
func serverPolicy(t *testing.T, entry string) []string {
	env := strings.Fields(entry)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "KMIPD_") || !strings.Contains(kv, "=") {
			t.Fatalf("server-policy.txt: %q is not a KMIPD_NAME=value setting", kv)
		}
	}
	return env
}

// startVectorDaemon starts a fresh kmipd with the KMIPD_* settings policy;
// with https it also listens for KMIP over HTTPS (the MSGENC files), and is
// returned once that listener completes a TLS handshake.
func startVectorDaemon(t *testing.T, provider string, https bool, policy ...string) vectorDaemon {
	env := policy
	if provider == providerPKCS11 {
		env = append(env, softHSMToken(t)...)
	}
	if !https {
		return vectorDaemon{daemon: startDaemon(t, t.TempDir(), env...)}
	}
	addr := freeLoopbackAddr(t)
	d := vectorDaemon{daemon: startDaemon(t, t.TempDir(), append(env, "KMIPD_HTTPS_LISTEN="+addr)...), httpsAddr: addr}
	cfg := d.tlsConfig(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, cfg)
		if err == nil {
			c.Close()
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("kmipd HTTPS listener %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupDependent splits sorted vector paths into groups that share a
// server: TL-M-* and SASED-M-* of one folder together, in order; every
// other file alone.
func groupDependent(files []string) [][]string {
	var groups [][]string
	index := map[string]int{}
	for _, f := range files {
		name := testName(f)
		key := ""
		for _, prefix := range []string{"TL-M-", "SASED-M-"} {
			if strings.HasPrefix(name, prefix) {
				key = path.Dir(f) + "/" + prefix
			}
		}
		if i, ok := index[key]; ok && key != "" {
			groups[i] = append(groups[i], f)
			continue
		}
		if key != "" {
			index[key] = len(groups)
		}
		groups = append(groups, []string{f})
	}
	return groups
}

// writeReport writes, for each provider, one line per file and the counts
// per corpus folder (v1.4, v2.0-tc, v2.1).
func writeReport(t *testing.T, name string, results map[string][]Result) {
	var b strings.Builder
	for _, provider := range vectorProviders() {
		rs := results[provider]
		if len(rs) == 0 {
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Path < rs[j].Path })
		fmt.Fprintf(&b, "# kmipd with the %s provider\n", provider)
		counts := map[string]map[Status]int{}
		for _, r := range rs {
			fmt.Fprintln(&b, r)
			v, _, _ := strings.Cut(r.Path, "/")
			if counts[v] == nil {
				counts[v] = map[Status]int{}
			}
			counts[v][r.Status]++
		}
		for _, v := range slices.Sorted(maps.Keys(counts)) {
			fmt.Fprintf(&b, "%s %s: %d passed, %d failed, %d skipped\n", provider, v, counts[v][Pass], counts[v][Fail], counts[v][Skip])
		}
	}
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("report written to %s", name)
}
