package kmip

import (
	"context"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestServerLogsOneLinePerItem checks the info log: one "item" line per
// served batch item, carrying the request number, identity, operation,
// object and result — and nothing of the payloads.
func TestServerLogsOneLinePerItem(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	secret := []byte("0123456789abcdef0123456789abcdef")
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		if _, ok := req.Payload.(*GetRequest); ok {
			return &GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "key-1", Object: Object{
				Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: secret},
			}}, nil
		}
		return nil, Errorf(ReasonItemNotFound, "no such object")
	}, Limits{}, func(s *Server) { s.Logger = zap.New(core) })
	c := ts.dial(t)
	if _, err := c.Do(context.Background(), kmip14.OperationGet, &GetRequest{UniqueIdentifier: "key-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), kmip14.OperationActivate, &ActivateRequest{UniqueIdentifier: "key-2"}); err == nil {
		t.Fatal("Activate succeeded")
	}
	items := logs.FilterMessage("item").All()
	if len(items) != 2 {
		t.Fatalf("%d item lines, want 2: %v", len(items), logs.All())
	}
	first, second := items[0].ContextMap(), items[1].ContextMap()
	if first["operation"] != "Get" || first["object"] != "key-1" || first["status"] != "Success" || first["identity"] != "client-1" {
		t.Errorf("Get line: %v", first)
	}
	if second["operation"] != "Activate" || second["object"] != "key-2" || second["reason"] != "ItemNotFound" {
		t.Errorf("Activate line: %v", second)
	}
	if first["request"] == second["request"] {
		t.Errorf("two requests logged under one request number %v", first["request"])
	}
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok && (s == string(secret)) {
				t.Errorf("log field %s holds the key material", k)
			}
		}
	}
}
