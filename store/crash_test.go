package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashDirEnv names the store directory of the child process of
// TestCrashLosesNoAcknowledgedCreate.
const crashDirEnv = "KMIPD_STORE_CRASH_CHILD_DIR"

// TestCrashLosesNoAcknowledgedCreate runs a child process that creates
// objects from 16 goroutines and prints each ID once Create has returned,
// SIGKILLs it at a random moment, reopens the store and checks that every
// printed ID is there. Small memtables make the child rotate WALs often.
func TestCrashLosesNoAcknowledgedCreate(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		runCrashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLosesNoAcknowledgedCreate$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		read := make(chan struct{})
		go func() {
			defer close(read)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
					acked = append(acked, id)
				}
			}
		}()
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill: %v", err)
		}
		<-read
		cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: child acknowledged nothing before the kill", round)
		}

		s, err := OpenBadger(dir, Options{})
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		for _, id := range acked {
			obj, err := s.Get(context.Background(), id)
			if err != nil {
				t.Errorf("round %d: acknowledged %s: %v", round, id, err)
				continue
			}
			if obj.Owner != "crash" || string(obj.Attributes) != "attrs-"+id {
				t.Errorf("round %d: %s came back as %+v", round, id, obj)
			}
		}
		if _, total, err := s.Find(context.Background(), Query{Owner: "crash"}); err != nil || total < len(acked) {
			t.Errorf("round %d: owner index holds %d, acknowledged %d (%v)", round, total, len(acked), err)
		}
		s.Close()
		t.Logf("round %d: %d acknowledged creates survived SIGKILL", round, len(acked))
	}
}

// runCrashChild creates objects until it is killed.
func runCrashChild(dir string) {
	s, err := OpenBadger(dir, Options{MemTableSize: 1 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	filler := strings.Repeat("x", 512)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%02d-%08d", g, i)
				obj := &Object{
					ID: id, Owner: "crash", Attributes: []byte("attrs-" + id),
					Material: []byte(filler),
					Terms:    []Term{term("Name", id), term("Object Type", "SymmetricKey")},
				}
				if err := s.Create(context.Background(), nil, obj); err != nil {
					fmt.Fprintln(os.Stderr, "child create:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(w, "acked %s\n", id)
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
