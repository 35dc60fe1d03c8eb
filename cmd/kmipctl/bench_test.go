package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// startKmipd builds and starts kmipd on a free loopback port with a data
// directory in t.TempDir(), waits until it answers DiscoverVersions and
// returns its address and data directory. The process is killed at the end
// of the test.
func startKmipd(t *testing.T) (addr, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "kmipd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kmipd/kmipd/cmd/kmipd").CombinedOutput(); err != nil {
		t.Fatalf("build kmipd: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	dataDir = filepath.Join(dir, "data")
	var log bytes.Buffer
	cmd := exec.Command(bin, "--data-dir", dataDir, "--listen", addr, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	pki := filepath.Join(dataDir, "pki")
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := discoverOnce(addr, pki)
		if err == nil {
			return addr, dataDir
		}
		if time.Now().After(deadline) {
			t.Fatalf("kmipd did not answer within 20s: %v\nlog:\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func discoverOnce(addr, pki string) error {
	cfg, err := certs.ClientConfig(filepath.Join(pki, "ca.crt"), filepath.Join(pki, "client.crt"), filepath.Join(pki, "client.key"), "127.0.0.1")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := kmip.Dial(ctx, addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{})
	return err
}

// runKmipctl runs kmipctl in-process with args and returns its stdout and
// stderr.
func runKmipctl(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// lastJSONLine decodes the last line of out.
func lastJSONLine(t *testing.T, out string) benchResult {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r benchResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line of stdout is not a JSON result: %v\n%s", err, out)
	}
	return r
}

func TestBenchAgainstKmipd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kmipd")
	}
	addr, dataDir := startKmipd(t)
	global := []string{"--server", addr, "--pki", filepath.Join(dataDir, "pki"), "--json"}

	for _, c := range []struct {
		name string
		args []string
	}{
		{"discover", []string{"bench", "--op", "discover", "--conns", "2", "--duration", "1s", "--warmup", "200ms"}},
		{"get", []string{"bench", "--op", "get", "--preload", "10", "--conns", "2", "--duration", "1s", "--warmup", "200ms", "--protocol", "1.2"}},
		{"mixed", []string{"bench", "--op", "mixed", "--preload", "10", "--duration", "500ms", "--warmup", "0s", "--protocol", "2.1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, err := runKmipctl(t, append(global, c.args...)...)
			if err != nil {
				t.Fatalf("kmipctl bench: %v\n%s", err, stderr)
			}
			r := lastJSONLine(t, stdout)
			if r.Op != c.name || r.OpsPerSec <= 0 || r.Ops == 0 || r.Errors != 0 {
				t.Errorf("result %+v: want op %s, ops/s > 0 and no errors", r, c.name)
			}
			if !(0 < r.P50Ms && r.P50Ms <= r.P90Ms && r.P90Ms <= r.P99Ms && r.P99Ms <= r.MaxMs) {
				t.Errorf("percentiles not ordered: p50 %v p90 %v p99 %v max %v", r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs)
			}
			if r.DurationS+r.WarmupS > 1.1 && !strings.Contains(stderr, "ops/s") {
				t.Errorf("no progress line on stderr:\n%s", stderr)
			}
		})
	}

	t.Run("errors are counted", func(t *testing.T) {
		// A Get of keys that do not exist fails on the server: the run goes
		// on and counts the failures.
		w := newBenchWorkload("get", []string{"no-such-key"}, 0)
		cfg := benchConfig{op: "get", conns: 1, duration: 300 * time.Millisecond, opTimeout: time.Second}
		dial := func() (*kmip.Client, error) {
			tlsCfg, err := certs.ClientConfig(filepath.Join(dataDir, "pki", "ca.crt"), filepath.Join(dataDir, "pki", "client.crt"), filepath.Join(dataDir, "pki", "client.key"), "127.0.0.1")
			if err != nil {
				return nil, err
			}
			return kmip.Dial(context.Background(), addr, tlsCfg)
		}
		c, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var worker benchWorker
		var counters benchCounters
		now := time.Now()
		worker.run(context.Background(), cfg.opTimeout, &c, dial, w, &counters, now, now.Add(cfg.duration))
		r := worker.result(cfg, cfg.duration)
		if r.Errors == 0 || r.Ops != 0 || !strings.Contains(r.ErrorSample, "ItemNotFound") {
			t.Errorf("result %+v: want only errors, with ItemNotFound", r)
		}
		if c == nil {
			t.Error("a KMIP failure closed the connection")
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"bench", "--op", "get"},
			{"bench", "--op", "nope"},
			{"bench", "--conns", "0"},
			{"bench", "--duration", "-1s"},
		} {
			if _, _, err := runKmipctl(t, append(global, args...)...); err == nil {
				t.Errorf("%v: no error", args)
			}
		}
	})
}
