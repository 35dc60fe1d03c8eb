package conformance

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// crashRounds is the number of SIGKILL rounds of TestCrashRecovery: a few
// in `make test`, 20 or more in `make crashtest`.
var crashRounds = flag.Int("crash.rounds", 3, "SIGKILL rounds of TestCrashRecovery")

const (
	crashWriters  = 16                     // client connections creating and activating keys
	crashKillMin  = 100 * time.Millisecond // earliest SIGKILL after a round starts
	crashKillSpan = 700 * time.Millisecond // the kill lands uniformly in [min, min+span)
	crashVerifier = 8                      // connections checking acknowledged keys after a restart
)

// ackedKey is what a client was told about one key: created (with this
// name), and possibly activated.
type ackedKey struct {
	id, name string
	active   bool
}

// crashLedger records, under its mutex, the keys and the operations whose
// success responses arrived.
type crashLedger struct {
	mu   sync.Mutex
	keys map[string]*ackedKey
	ops  int // acknowledged Creates and Activates, all rounds
}

func (l *crashLedger) created(id, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[id] = &ackedKey{id: id, name: name}
	l.ops++
}

func (l *crashLedger) activated(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[id].active = true
	l.ops++
}

// TestCrashRecovery runs 16 clients creating (with a Name) and activating
// AES-256 keys against kmipd, SIGKILLs it at a random moment of each round
// and restarts it on the same data directory. After every restart, every key
// whose Create success arrived, in this round or any earlier one, must be
// there with its Name, algorithm and length, and Active when its Activate
// success arrived. At the end the server is stopped and the audit chain must
// verify with at least one record per acknowledged operation.
//
// -crash.rounds sets the number of rounds (make crashtest: 20).
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir())
	ledger := &crashLedger{keys: map[string]*ackedKey{}}

	for round := range *crashRounds {
		before := len(ledger.keys)
		killedAfter := crashRound(t, d, ledger, round)
		d = d.restart(t)
		verifyAcked(t, d, ledger)
		t.Logf("round %d: SIGKILL after %v, %d keys acknowledged this round, %d in all, all present",
			round, killedAfter.Round(time.Millisecond), len(ledger.keys)-before, len(ledger.keys))
		if t.Failed() {
			return
		}
	}
	d.stop(t)

	db, err := store.OpenBadger(filepath.Join(d.dataDir, "db"), store.Options{})
	if err != nil {
		t.Fatalf("open the store after %d crashes: %v", *crashRounds, err)
	}
	defer db.Close()
	n, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("audit chain after %d crashes: %v (%d intact records)", *crashRounds, err, n)
	}
	if n < ledger.ops {
		t.Fatalf("audit chain holds %d records, fewer than the %d acknowledged operations", n, ledger.ops)
	}
	t.Logf("%d rounds: %d keys, %d acknowledged operations, audit chain intact with %d records",
		*crashRounds, len(ledger.keys), ledger.ops, n)
}

// crashRound runs the writers against d, SIGKILLs d at a random moment and
// returns when every writer has stopped. It returns when the kill came.
func crashRound(t *testing.T, d *daemon, ledger *crashLedger, round int) time.Duration {
	t.Helper()
	clients := make([]*kmip.Client, crashWriters)
	for w := range clients {
		clients[w] = d.client(t)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("crash-%d-%d-%d", round, w, i)
				resp, err := try(c, kmip14.OperationCreate, createRequest(name, ""))
				if err != nil {
					return // the server is gone
				}
				id := resp.(*kmip.CreateResponse).UniqueIdentifier
				ledger.created(id, name)
				if _, err := try(c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id}); err != nil {
					return
				}
				ledger.activated(id)
			}
		}()
	}
	time.Sleep(crashKillMin + rand.N(crashKillSpan))
	killedAfter := time.Since(start)
	d.kill(t)
	wg.Wait()
	return killedAfter
}

// verifyAcked checks every key of the ledger on d from several connections.
func verifyAcked(t *testing.T, d *daemon, ledger *crashLedger) {
	t.Helper()
	work := make(chan *ackedKey)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		problems []string
	)
	for range crashVerifier {
		c := d.client(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if p := checkAcked(c, k); p != "" {
					mu.Lock()
					problems = append(problems, p)
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range ledger.keys {
		work <- k
	}
	close(work)
	wg.Wait()
	for i, p := range problems {
		if i == 20 {
			t.Errorf("... and %d more", len(problems)-i)
			break
		}
		t.Error(p)
	}
}

// checkAcked describes what is wrong with acknowledged key k on the server,
// or returns "".
func checkAcked(c *kmip.Client, k *ackedKey) string {
	resp, err := try(c, kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: k.id})
	if err != nil {
		return fmt.Sprintf("acknowledged key %s (%s): %v", k.id, k.name, err)
	}
	attrs := resp.(*kmip.GetAttributesResponse).Attributes
	wantName := kmip.Name{Value: k.name, Type: kmip14.NameTypeUninterpretedTextString}
	if got := attrs.Get(kmip.AttrName); !reflect.DeepEqual(got, wantName) {
		return fmt.Sprintf("key %s: Name %v, want %v", k.id, got, wantName)
	}
	if alg, err := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm)); err != nil || alg != uint32(kmip14.CryptographicAlgorithmAES) {
		return fmt.Sprintf("key %s (%s): Cryptographic Algorithm %v (%v), want AES", k.id, k.name, alg, err)
	}
	if l := attrs.Get(kmip.AttrCryptographicLength); l != int32(256) {
		return fmt.Sprintf("key %s (%s): Cryptographic Length %v, want 256", k.id, k.name, l)
	}
	state, err := enumValue(attrs.Get(kmip.AttrState))
	switch {
	case err != nil:
		return fmt.Sprintf("key %s (%s): State: %v", k.id, k.name, err)
	case k.active && state != uint32(kmip14.StateActive):
		return fmt.Sprintf("key %s (%s): State %v, want Active (Activate was acknowledged)", k.id, k.name, kmip.State(state))
	case !k.active && state != uint32(kmip14.StateActive) && state != uint32(kmip14.StatePreActive):
		return fmt.Sprintf("key %s (%s): State %v, want Pre-Active or Active", k.id, k.name, kmip.State(state))
	}
	return ""
}
