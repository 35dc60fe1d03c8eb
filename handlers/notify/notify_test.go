package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// The identities of the tests: alice has an endpoint, bob none.
const (
	alice = "CN=alice"
	bob   = "CN=bob"
)

// service is a handlers.Service on a fresh store and software module that
// reports its events to n.
type service struct {
	t   *testing.T
	svc *handlers.Service
}

func newService(t *testing.T, n handlers.Notifier) *service {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	crypto, err := hsm.NewSoftware(filepath.Join(dir, "kek", "key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	svc, err := handlers.New(handlers.Config{Store: st, Crypto: crypto, Notifier: n, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &service{t: t, svc: svc}
}

// must serves op as identity who in version v and fails the test on error.
func (s *service) must(v kmip.Version, who string, op kmip.Operation, payload any) any {
	s.t.Helper()
	resp, err := s.svc.ServeKMIP(context.Background(), &kmip.Request{
		Version: v, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: who}, Batch: &kmip.BatchState{},
	})
	if err != nil {
		s.t.Fatalf("%v: %v", op, err)
	}
	return resp
}

// createAES creates an AES key of bits bits owned by who.
func (s *service) createAES(v kmip.Version, who string, bits int32) string {
	s.t.Helper()
	attrs := kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: bits},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
	}
	resp := s.must(v, who, kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs})
	return resp.(*kmip.CreateResponse).UniqueIdentifier
}

// recorder is a client's KMIP endpoint: it prefers version, answers
// Discover Versions with it, and records every other request it receives.
type recorder struct {
	version  kmip.Version
	requests chan *kmip.Request
}

func (r *recorder) ServeKMIP(_ context.Context, req *kmip.Request) (any, error) {
	if req.Operation == kmip14.OperationDiscoverVersions {
		return &kmip.DiscoverVersionsResponse{Versions: []kmip.Version{r.version}}, nil
	}
	r.requests <- req
	return nil, nil
}

// next returns the next request the endpoint received.
func (r *recorder) next(t *testing.T) *kmip.Request {
	t.Helper()
	select {
	case req := <-r.requests:
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the endpoint")
		return nil
	}
}

// serveEndpoint starts rec on a real kmip.Server on loopback mutual TLS
// and returns its address and the TLS configuration a pusher dials it with.
func serveEndpoint(t *testing.T, rec *recorder) (string, *tls.Config) {
	t.Helper()
	pki := filepath.Join(t.TempDir(), "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	endpointTLS, err := certs.ServerConfig(filepath.Join(pki, certs.ServerCertFile), filepath.Join(pki, certs.ServerKeyFile), filepath.Join(pki, certs.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	pusherTLS, err := certs.ClientConfig(filepath.Join(pki, certs.CACertFile), filepath.Join(pki, certs.ClientCertFile), filepath.Join(pki, certs.ClientKeyFile), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &kmip.Server{Handler: rec, TLSConfig: endpointTLS, Identify: certs.Identify}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String(), pusherTLS
}

// outcomes counts a Pusher's outcomes by operation and outcome.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) observe(_ string, op kmip.Operation, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[op.String()+" "+outcome]++
}

func (o *outcomes) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[key]
}

// TestPushReKeyAndRevoke runs ReKey and Revoke through the Service with a
// Pusher configured to a real endpoint on loopback TLS: the endpoint gets
// a Put of the replacement (with the key Get returns) and then a Notify of
// the revocation, in the version it prefers. The ReKey's own change to the
// old key, made by the owner, is not notified to the owner: the Notify is
// the very next request.
func TestPushReKeyAndRevoke(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			rec := &recorder{version: v, requests: make(chan *kmip.Request, 10)}
			addr, tlsConfig := serveEndpoint(t, rec)
			var seen outcomes
			audit, err := store.OpenBadger(filepath.Join(t.TempDir(), "audit"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { audit.Close() })
			pusher := New(Config{
				Endpoints: []Endpoint{{Identity: alice, Address: addr, TLS: tlsConfig}},
				Observe:   seen.observe,
				Audit:     audit,
			})
			t.Cleanup(pusher.Close)
			h := newService(t, pusher)

			old := h.createAES(v, alice, 256)
			h.createAES(v, bob, 128) // bob has no endpoint: nothing is pushed
			newID := h.must(v, alice, kmip14.OperationReKey, &kmip.ReKeyRequest{UniqueIdentifier: old}).(*kmip.ReKeyResponse).UniqueIdentifier

			req := rec.next(t)
			put, ok := req.Payload.(*kmip.PutRequest)
			if !ok || req.Operation != kmip14.OperationPut {
				t.Fatalf("first request %v %T, want Put", req.Operation, req.Payload)
			}
			if req.Version != v {
				t.Errorf("Put in %v, want the endpoint's %v", req.Version, v)
			}
			if put.UniqueIdentifier != newID || put.PutFunction != kmip14.PutFunctionReplace || put.ReplacedUniqueIdentifier != old {
				t.Errorf("Put %s %v replacing %s, want %s Replace replacing %s", put.UniqueIdentifier, put.PutFunction, put.ReplacedUniqueIdentifier, newID, old)
			}
			got := h.must(v, alice, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: newID}).(*kmip.GetResponse)
			if put.Object.Type != kmip14.ObjectTypeSymmetricKey || put.Object.KeyBlock == nil ||
				len(put.Object.KeyBlock.Material) != 32 || !bytes.Equal(put.Object.KeyBlock.Material, got.Object.KeyBlock.Material) {
				t.Errorf("Put object %+v is not the replacement key", put.Object.Type)
			}
			if !slices.ContainsFunc(put.Attributes, func(a kmip.Attribute) bool {
				l, ok := a.Value.(kmip.Link)
				return ok && l.Type == kmip14.LinkTypeReplacedObjectLink && l.ID == old
			}) {
				t.Errorf("Put attributes lack the Replaced Object Link: %v", put.Attributes)
			}

			h.must(v, alice, kmip14.OperationRevoke, &kmip.RevokeRequest{UniqueIdentifier: newID, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeKeyCompromise}})
			req = rec.next(t)
			notify, ok := req.Payload.(*kmip.NotifyRequest)
			if !ok || req.Operation != kmip14.OperationNotify {
				t.Fatalf("second request %v %T, want Notify", req.Operation, req.Payload)
			}
			if notify.UniqueIdentifier != newID {
				t.Errorf("Notify of %s, want %s", notify.UniqueIdentifier, newID)
			}
			if st, _ := notify.Attributes.Get(kmip.AttrState).(kmip.State); st != kmip14.StateCompromised {
				t.Errorf("Notify State %v, want Compromised (attributes %v)", notify.Attributes.Get(kmip.AttrState), notify.Attributes)
			}
			if !notify.Attributes.Has(kmip.AttrLastChangeDate) || !notify.Attributes.Has(kmip.AttrRevocationReason) {
				t.Errorf("Notify lacks Last Change Date or Revocation Reason: %v", notify.Attributes)
			}
			// The outcome is counted once the endpoint's answer is read.
			for deadline := time.Now().Add(5 * time.Second); seen.count("Notify sent") == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if seen.count("Put sent") != 1 || seen.count("Notify sent") != 1 {
				t.Errorf("outcomes %v", seen.n)
			}
			select {
			case req := <-rec.requests:
				t.Errorf("unexpected %v", req.Operation)
			case <-time.After(100 * time.Millisecond):
			}

			// Every push is on the audit trail, the release of the Put's key
			// before it was sent.
			var trail []string
			audit.AuditRecords(context.Background(), 1, func(r store.AuditRecord) error {
				if r.Identity != alice || r.ObjectID != newID || r.Result != "Success" {
					t.Errorf("audit record %+v", r)
				}
				trail = append(trail, r.Operation+" "+r.Reason)
				return nil
			})
			if want := []string{"Put releasing", "Put sent", "Notify sent"}; !slices.Equal(trail, want) {
				t.Errorf("audit trail %q, want %q", trail, want)
			}

			ops := h.must(v, alice, kmip14.OperationQuery, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse).Operations
			if !slices.Contains(ops, kmip14.OperationNotify) || !slices.Contains(ops, kmip14.OperationPut) {
				t.Errorf("Query lists %v, without Notify and Put", ops)
			}
		})
	}
}

// TestPushQueueFull fills the queue of an endpoint that never answers:
// Notify returns at once and the overflow is dropped and counted; Close
// abandons the connection attempt under way.
func TestPushQueueFull(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never handshakes
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var seen outcomes
	pusher := New(Config{
		Endpoints: []Endpoint{{Identity: alice, Address: ln.Addr().String(), TLS: &tls.Config{ServerName: "localhost"}}},
		Queue:     2,
		Observe:   seen.observe,
	})
	const events = 200
	start := time.Now()
	for i := range events {
		pusher.Notify(handlers.Event{Kind: handlers.EventNotify, Owner: alice, Lifecycle: true, UniqueIdentifier: string(rune('a' + i%26))})
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("%d Notify calls took %v", events, d)
	}
	// Two queued, at most one taken by the endpoint's goroutine.
	if dropped := seen.count("Notify dropped"); dropped < events-3 || dropped > events-2 {
		t.Errorf("%d dropped, want %d or %d", dropped, events-3, events-2)
	}
	closed := make(chan struct{})
	go func() { pusher.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close blocked on an endpoint that does not answer")
	}
}
