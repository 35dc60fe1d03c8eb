package store

import (
	"context"
	"testing"
)

func TestAuditHeadCountsRecords(t *testing.T) {
	ctx := context.Background()
	db, err := OpenBadger(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.AuditHead(ctx); err != nil || n != 0 {
		t.Fatalf("empty trail: AuditHead = %d, %v; want 0", n, err)
	}
	for i := range 3 {
		if err := db.AppendAudit(ctx, &AuditRecord{Identity: "CN=t", Operation: "Query"}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if n, err := db.AuditHead(ctx); err != nil || n != 3 {
		t.Fatalf("AuditHead = %d, %v; want 3", n, err)
	}
	db.Close()
	if _, err := db.AuditHead(ctx); err == nil {
		t.Fatal("AuditHead after Close succeeded")
	}
}
