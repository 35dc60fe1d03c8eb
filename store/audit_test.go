package store

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func testRecord(i int) *AuditRecord {
	return &AuditRecord{
		Time:       time.Date(2026, 11, 27, 1, 2, 3, 456789+i, time.UTC),
		Identity:   "CN=client-" + strconv.Itoa(i),
		Tenant:     "tenant-a",
		ClientAddr: "192.0.2.1:40000",
		Operation:  "Get",
		ObjectID:   "id-" + strconv.Itoa(i),
		Result:     "Success",
	}
}

func mustAppend(t testing.TB, s AuditLog, rec *AuditRecord) {
	t.Helper()
	if err := s.AppendAudit(context.Background(), rec); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func allRecords(t testing.TB, s AuditLog) []AuditRecord {
	t.Helper()
	var out []AuditRecord
	if err := s.AuditRecords(context.Background(), 0, func(r AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("AuditRecords: %v", err)
	}
	return out
}

func mustVerify(t testing.TB, s AuditLog, want int) {
	t.Helper()
	n, err := s.VerifyAudit(context.Background())
	if err != nil || n != want {
		t.Fatalf("VerifyAudit = %d, %v; want %d, nil", n, err, want)
	}
}

// TestAuditChainContinuesAfterReopen: the record appended after a restart
// follows the last one before it (the contract, storetest, checks the
// chain within one run).
func TestAuditChainContinuesAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	var last *AuditRecord
	for i := range 3 {
		last = testRecord(i)
		mustAppend(t, s, last)
	}
	s.Close()
	s = openTestStore(t, dir)
	rec := testRecord(3)
	mustAppend(t, s, rec)
	if rec.Seq != 4 || rec.Prev != last.Hash {
		t.Fatalf("after reopen: Seq %d, Prev %x", rec.Seq, rec.Prev)
	}
	mustVerify(t, s, 4)
}

// TestAuditTamperingIsDetected writes ten records, then changes the database
// behind the store's back and expects VerifyAudit to name the first broken
// record.
func TestAuditTamperingIsDetected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, txn *badger.Txn)
		wantSeq uint64
		wantIn  string
	}{
		{"EditField", func(t *testing.T, txn *badger.Txn) {
			r := readRaw(t, txn, 5)
			r.Identity = "CN=someone-else"
			setRaw(t, txn, 5, r)
		}, 5, "edited"},
		{"EditAndRehash", func(t *testing.T, txn *badger.Txn) {
			r := readRaw(t, txn, 5)
			r.Result = "Success"
			r.Operation = "Destroy"
			r.Hash = r.computeHash() // consistent in itself, not with record 6
			setRaw(t, txn, 5, r)
		}, 6, "previous hash"},
		{"DeleteMiddle", func(t *testing.T, txn *badger.Txn) {
			must(t, txn.Delete(auditKey(5)))
		}, 5, "deleted"},
		{"Swap", func(t *testing.T, txn *badger.Txn) {
			r5, r6 := readRaw(t, txn, 5), readRaw(t, txn, 6)
			setRaw(t, txn, 5, r6)
			setRaw(t, txn, 6, r5)
		}, 5, "reordered"},
		{"TruncateEnd", func(t *testing.T, txn *badger.Txn) {
			must(t, txn.Delete(auditKey(9)))
			must(t, txn.Delete(auditKey(10)))
		}, 9, "truncated"},
		{"ReplaceLastAndRehash", func(t *testing.T, txn *badger.Txn) {
			r := readRaw(t, txn, 10)
			r.ObjectID = "other"
			r.Hash = r.computeHash()
			setRaw(t, txn, 10, r)
		}, 10, "head"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTestStore(t, dir)
			for i := range 10 {
				mustAppend(t, s, testRecord(i))
			}
			mustVerify(t, s, 10)
			s.Close()

			db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
			if err != nil {
				t.Fatal(err)
			}
			must(t, db.Update(func(txn *badger.Txn) error { tc.tamper(t, txn); return nil }))
			must(t, db.Close())

			s = openTestStore(t, dir)
			n, err := s.VerifyAudit(context.Background())
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyAudit = %d, %v; want a ChainError", n, err)
			}
			if ce.Seq != tc.wantSeq || !strings.Contains(ce.Problem, tc.wantIn) {
				t.Fatalf("VerifyAudit: %v; want record %d, %q", err, tc.wantSeq, tc.wantIn)
			}
			if n != int(tc.wantSeq)-1 {
				t.Errorf("VerifyAudit counted %d intact records, want %d", n, tc.wantSeq-1)
			}
			t.Log(err)
		})
	}
}

func TestAuditRefusesToOverwriteRecordsBeyondHead(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	for i := range 3 {
		mustAppend(t, s, testRecord(i))
	}
	s.Close()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Update(func(txn *badger.Txn) error { return txn.Delete(auditHeadKey) }))
	must(t, db.Close())

	s = openTestStore(t, dir)
	if err := s.AppendAudit(context.Background(), testRecord(9)); err == nil {
		t.Fatal("AppendAudit continued a log without its head")
	}
	if _, err := s.VerifyAudit(context.Background()); err == nil {
		t.Fatal("VerifyAudit accepted a log without its head")
	}
}

func TestDecodeAuditRejectsGarbage(t *testing.T) {
	good := testRecord(1)
	good.Hash = good.computeHash()
	v := encodeAudit(good)
	if r, err := decodeAudit(v); err != nil || r != *good {
		t.Fatalf("round trip: %+v, %v", r, err)
	}
	for n := range len(v) {
		if _, err := decodeAudit(v[:n]); err == nil {
			t.Fatalf("decodeAudit accepted %d of %d bytes", n, len(v))
		}
	}
	long := append(v[:len(v):len(v)], 0)
	if _, err := decodeAudit(long); err == nil {
		t.Fatal("decodeAudit accepted a trailing byte")
	}
}

func readRaw(t *testing.T, txn *badger.Txn, seq uint64) AuditRecord {
	t.Helper()
	item, err := txn.Get(auditKey(seq))
	must(t, err)
	v, err := item.ValueCopy(nil)
	must(t, err)
	r, err := decodeAudit(v)
	must(t, err)
	return r
}

func setRaw(t *testing.T, txn *badger.Txn, seq uint64, r AuditRecord) {
	t.Helper()
	must(t, txn.Set(auditKey(seq), encodeAudit(&r)))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCreateParallelAudited is BenchmarkCreateParallel/GroupCommit with
// an audit record written in every Create's transaction, and with a record
// appended on its own (as for a Get), to compare with the figures without.
func BenchmarkCreateParallelAudited(b *testing.B) {
	for _, mode := range []string{"NoRecord", "RecordInTxn", "AppendOnly"} {
		b.Run(mode, func(b *testing.B) {
			s, err := OpenBadger(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					id := strconv.FormatInt(i, 10)
					rec := testRecord(int(i))
					var err error
					switch mode {
					case "NoRecord":
						err = s.Create(context.Background(), nil, benchObject(id))
					case "RecordInTxn":
						err = s.Create(context.Background(), rec, benchObject(id))
					case "AppendOnly":
						err = s.AppendAudit(context.Background(), rec)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			if n := s.syncer.syncs.Load(); n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "commits/sync")
			}
		})
	}
}
