package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gemalto/kmip-go/ttlv"
)

// Status is the outcome of one test-case file.
type Status string

// The outcomes of RunFile.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Result is the outcome of one file; Reason says why it failed or was
// skipped (for a failure, the step and the first mismatch).
type Result struct {
	Path   string
	Status Status
	Reason string
}

// String renders r as one report line: "PASS path", "FAIL path reason".
func (r Result) String() string {
	if r.Reason == "" {
		return fmt.Sprintf("%s %s", r.Status, r.Path)
	}
	return fmt.Sprintf("%s %s %s", r.Status, r.Path, r.Reason)
}

// maxResponseSize bounds a response read from the server.
const maxResponseSize = 16 << 20

// Runner replays OASIS test-case files against a live server over binary
// TTLV on mutual TLS, or over HTTPS in the encoding a MSGENC file names. Each file gets its own connection and its own
// placeholder bindings; after a file the runner revokes and destroys the
// objects whose UIDs it bound, ignoring errors, so that leftovers do not
// disturb the Locate of later files. That clean-up is best effort (it
// cannot remove what a failed step created without telling): a fresh
// server per file is the reliable way, and the one TestVectors uses.
//
// A Runner may run several files at once only against different servers;
// its fields must not change while it runs.
type Runner struct {
	Addr string      // server HOST:PORT
	TLS  *tls.Config // client configuration, with the client certificate

	// HTTPSAddr is the HOST:PORT of the server's KMIP HTTPS listener,
	// for the message-encoding files (MSGENC-HTTPS, -JSON, -XML), which
	// travel over HTTPS; see transportFor. Empty, those files fail.
	HTTPSAddr string

	// RelaxedReasons accepts any ResultReason when the expected status is
	// a failure. Off, reasons compare exactly, as the profiles require.
	RelaxedReasons bool

	// Skips maps vector paths (relative to the corpus, such as
	// v2.1/mandatory/PKCS11-M-1-21.xml) to the reason they are skipped.
	// A file matches when its path ends with the key.
	Skips map[string]string

	// StepTimeout bounds one round trip; 0 means 30 s.
	StepTimeout time.Duration

	// Restart serves the Restart steps of a file (see Pair): it restarts
	// the server on the same data and returns the TTLV address it listens
	// on now. Nil, a file with a Restart step fails.
	Restart func(ctx context.Context) (addr string, err error)
}

// RunFile replays the test case at path and compares every response. It
// returns Skip for a file in Skips, Fail for an unreadable file, a
// transport error or the first mismatch, Pass otherwise.
func (r *Runner) RunFile(ctx context.Context, path string) Result {
	res := Result{Path: path}
	if reason, ok := r.skipReason(path); ok {
		res.Status, res.Reason = Skip, reason
		return res
	}
	tc, err := LoadFile(path)
	if err != nil {
		res.Status, res.Reason = Fail, err.Error()
		return res
	}
	if err := r.run(ctx, tc); err != nil {
		res.Status, res.Reason = Fail, err.Error()
		return res
	}
	res.Status = Pass
	return res
}

// skipReason returns the reason path is skipped, if it is.
func (r *Runner) skipReason(path string) (string, bool) {
	p := filepath.ToSlash(path)
	for k, reason := range r.Skips {
		if p == k || strings.HasSuffix(p, "/"+k) {
			return reason, true
		}
	}
	return "", false
}

func (r *Runner) run(ctx context.Context, tc *TestCase) error {
	addr := r.Addr
	tr, err := r.open(ctx, tc.Path, addr)
	if err != nil {
		return err
	}
	b := NewBindings()
	cmp := newComparer(b, r.RelaxedReasons)
	defer func() {
		if tr == nil {
			return
		}
		if !keepObjects(tc.Path) {
			r.cleanUp(ctx, tr, tc, b)
		}
		tr.Close()
	}()
	for i, p := range tc.Pairs {
		if p.Restart {
			tr.Close()
			tr = nil
			if r.Restart == nil {
				return fmt.Errorf("step=%d: the file restarts the server, and this runner cannot", i)
			}
			if addr, err = r.Restart(ctx); err != nil {
				return fmt.Errorf("step=%d: restart: %w", i, err)
			}
			if tr, err = r.open(ctx, tc.Path, addr); err != nil {
				return fmt.Errorf("step=%d: after the restart: %w", i, err)
			}
		}
		req, err := encodeRequest(p.Request, b.resolver(time.Now()))
		if err != nil {
			return fmt.Errorf("step=%d: %w", i, err)
		}
		resp, err := r.roundTrip(ctx, tr, req)
		if err != nil {
			return fmt.Errorf("step=%d: %w", i, err)
		}
		got, err := decodeTTLV(resp)
		if err != nil {
			return fmt.Errorf("step=%d: response: %w", i, err)
		}
		if err := cmp.message(p.Request, p.Response, got); err != nil {
			return fmt.Errorf("step=%d %w", i, err)
		}
	}
	return nil
}

// roundTrip sends one TTLV request message over tr within the step timeout.
func (r *Runner) roundTrip(ctx context.Context, tr transport, req []byte) ([]byte, error) {
	timeout := r.StepTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return tr.RoundTrip(ctx, req)
}

// dependents are the files whose objects a later file uses (TL-M-3
// locates what TL-M-2 created, SASED-M-3 what SASED-M-2 registered).
var dependents = regexp.MustCompile(`^(TL-M-[12]|SASED-M-[12])-\d+$`)

func keepObjects(path string) bool { return dependents.MatchString(testName(path)) }

// cleanUp revokes and destroys every object whose UID the file bound,
// ignoring errors, speaking the file's protocol version.
func (r *Runner) cleanUp(ctx context.Context, tr transport, tc *TestCase, b *Bindings) {
	version := tc.Pairs[0].Request.Child("RequestHeader").Child("ProtocolVersion")
	for _, name := range b.Names() {
		if !strings.HasPrefix(name, "$UNIQUE_IDENTIFIER") {
			continue
		}
		v, _ := b.Lookup(name)
		if v.Type != ttlv.TypeTextString {
			continue
		}
		for _, op := range []string{"Revoke", "Destroy"} {
			req, err := encodeRequest(cleanUpRequest(version, op, v.Text), dummyResolver)
			if err != nil {
				return
			}
			if _, err := r.roundTrip(ctx, tr, req); err != nil {
				return
			}
		}
	}
}

func cleanUpRequest(version *Node, op, uid string) *Node {
	leaf := func(name, typ, value string) *Node { return &Node{Name: name, Type: typ, Value: value} }
	st := func(name string, ch ...*Node) *Node { return &Node{Name: name, Type: "Structure", Children: ch} }
	payload := st("RequestPayload", leaf("UniqueIdentifier", "TextString", uid))
	if op == "Revoke" {
		payload.Children = append(payload.Children,
			st("RevocationReason", leaf("RevocationReasonCode", "Enumeration", "CessationOfOperation")))
	}
	return st("RequestMessage",
		st("RequestHeader", version, leaf("BatchCount", "Integer", "1")),
		st("BatchItem", leaf("Operation", "Enumeration", op), payload))
}

// LoadList reads a list file: one vector path per line, optionally
// followed by whitespace and a reason; blank lines and lines starting with
// # are ignored. It maps each path to its reason.
func LoadList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, reason := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			p, reason = line[:i], strings.TrimSpace(line[i:])
		}
		out[p] = reason
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
