package kmip

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// testPKI holds TLS configurations signed by a CA made for the test.
type testPKI struct {
	server, client, noCert *tls.Config
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{
		server: &tls.Config{
			Certificates: []tls.Certificate{issue(2, "kmip server", x509.ExtKeyUsageServerAuth)},
			ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12,
		},
		client: &tls.Config{Certificates: []tls.Certificate{issue(3, "client-1", x509.ExtKeyUsageClientAuth)}, RootCAs: pool},
		noCert: &tls.Config{RootCAs: pool},
	}
}

// testServer is a Server on a loopback listener.
type testServer struct {
	*Server
	addr  string
	pki   *testPKI
	calls atomic.Int64 // Handler calls
	done  chan error   // Serve's result
}

// fastLimits keep the deadline tests short.
var fastLimits = Limits{HandshakeTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
	IdleTimeout: 300 * time.Millisecond, WriteTimeout: time.Second}

func startServer(t *testing.T, h HandlerFunc, limits Limits, configure ...func(*Server)) *testServer {
	t.Helper()
	pki := newTestPKI(t)
	ts := &testServer{pki: pki, done: make(chan error, 1)}
	ts.Server = &Server{
		Handler: HandlerFunc(func(ctx context.Context, req *Request) (any, error) {
			ts.calls.Add(1)
			return h(ctx, req)
		}),
		TLSConfig: pki.server,
		Identify: func(cs *tls.ConnectionState) (string, error) {
			return cs.PeerCertificates[0].Subject.CommonName, nil
		},
		Limits: limits,
	}
	for _, f := range configure {
		f(ts.Server)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { ts.done <- ts.Serve(ln) }()
	t.Cleanup(func() { ts.Close() })
	return ts
}

// okHandler answers every item with an empty payload.
func okHandler(context.Context, *Request) (any, error) { return nil, nil }

func (ts *testServer) dial(t *testing.T) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := Dial(ctx, ts.addr, ts.pki.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawConn is a TLS connection with a client certificate, for sending bytes
// no Client would.
func (ts *testServer) rawConn(t *testing.T) *tls.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", ts.addr, ts.pki.client)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// exchangeRaw sends msg and decodes the response.
func exchangeRaw(t *testing.T, c *tls.Conn, msg []byte) *ResponseMessage {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	b, err := readFrame(c, responseTag, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantClosed asserts that the server closes c without sending anything
// more.
func wantClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || err == nil {
		t.Fatalf("read %d bytes, err %v: connection not closed", n, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open after 2s")
	}
}

// assertServes checks that a fresh client is served.
func (ts *testServer) assertServes(t *testing.T) {
	t.Helper()
	c := ts.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Do(ctx, kmip14.OperationDiscoverVersions, nil); err != nil {
		t.Fatalf("good client not served: %v", err)
	}
}

func wantItem(t *testing.T, it ResponseItem, status ResultStatus, reason ResultReason) {
	t.Helper()
	if it.Status != status || (status != kmip14.ResultStatusSuccess && it.Reason != reason) {
		t.Fatalf("item %x: %v %v (%s), want %v %v", it.ID, it.Status, it.Reason, it.Message, status, reason)
	}
}

func items(ops ...Operation) []RequestItem {
	out := make([]RequestItem, len(ops))
	for i, op := range ops {
		out[i] = RequestItem{Operation: op, ID: []byte{byte(i + 1)}}
	}
	return out
}

const dv = kmip14.OperationDiscoverVersions

func TestServerEveryVersion(t *testing.T) {
	var seen atomic.Value
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		seen.Store(req.Peer.Identity)
		return nil, nil
	}, Limits{})
	for _, v := range SupportedVersions {
		c := ts.dial(t)
		c.Version = v
		// Query, defined in every version (Discover Versions came in 1.1).
		resp, err := c.DoBatch(context.Background(), items(kmip14.OperationQuery, kmip14.OperationQuery))
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if resp.Header.Version != v || len(resp.Items) != 2 {
			t.Fatalf("%v: response %+v", v, resp)
		}
		if resp.Header.TimeStamp.IsZero() {
			t.Errorf("%v: no TimeStamp", v)
		}
		for i, it := range resp.Items {
			wantItem(t, it, kmip14.ResultStatusSuccess, 0)
			if it.ID[0] != byte(i+1) || it.Operation != kmip14.OperationQuery {
				t.Errorf("%v: item %d: ID %x op %v", v, i, it.ID, it.Operation)
			}
		}
	}
	if seen.Load() != "client-1" {
		t.Errorf("identity %v", seen.Load())
	}
}

// failSecond fails the second item of each batch.
func failSecond(_ context.Context, req *Request) (any, error) {
	if req.Batch.IDPlaceholder == "" {
		req.Batch.IDPlaceholder = "first done"
		return nil, nil
	}
	return nil, Errorf(ReasonPermissionDenied, "no")
}

func TestServerBatchStopAndContinue(t *testing.T) {
	ts := startServer(t, failSecond, Limits{})
	c := ts.dial(t)

	resp, err := c.DoBatch(context.Background(), items(dv, dv, dv))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Items) != 2 {
		t.Fatalf("Stop: %d items in response, want 2", len(resp.Items))
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
	wantItem(t, resp.Items[1], kmip14.ResultStatusOperationFailed, ReasonPermissionDenied)
	if calls := ts.calls.Load(); calls != 2 {
		t.Fatalf("Stop: handler called %d times, want 2", calls)
	}

	req := &RequestMessage{Header: RequestHeader{Version: V1_4, BatchCount: 3,
		BatchErrorContinuation: kmip14.BatchErrorContinuationOptionContinue}, Items: items(dv, dv, dv)}
	raw := ts.rawConn(t)
	b, _ := EncodeRequest(req)
	resp = exchangeRaw(t, raw, b)
	if len(resp.Items) != 3 {
		t.Fatalf("Continue: %d items", len(resp.Items))
	}
	wantItem(t, resp.Items[2], kmip14.ResultStatusOperationFailed, ReasonPermissionDenied)
	for i, it := range resp.Items {
		if it.ID[0] != byte(i+1) {
			t.Errorf("item %d: ID %x", i, it.ID)
		}
	}
}

func TestServerIDPlaceholder(t *testing.T) {
	var second atomic.Value
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		if req.Batch.IDPlaceholder == "" {
			return &ActivateResponse{UniqueIdentifier: "key-1"}, nil
		}
		second.Store(req.Batch.IDPlaceholder)
		return nil, nil
	}, Limits{})
	c := ts.dial(t)
	if _, err := c.DoBatch(context.Background(), items(kmip14.OperationDiscoverVersions, kmip14.OperationDiscoverVersions)); err != nil {
		t.Fatal(err)
	}
	if second.Load() != "key-1" {
		t.Fatalf("second item saw ID Placeholder %v", second.Load())
	}
}

func TestServerHandlerPanicFailsOnlyItsItem(t *testing.T) {
	var n atomic.Int64
	ts := startServer(t, func(context.Context, *Request) (any, error) {
		if n.Add(1) == 2 {
			panic("handler bug")
		}
		return nil, nil
	}, Limits{})
	raw := ts.rawConn(t)
	req := &RequestMessage{Header: RequestHeader{Version: V1_2,
		BatchErrorContinuation: kmip14.BatchErrorContinuationOptionContinue}, Items: items(dv, dv, dv)}
	b, _ := EncodeRequest(req)
	resp := exchangeRaw(t, raw, b)
	wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
	wantItem(t, resp.Items[1], kmip14.ResultStatusOperationFailed, ReasonGeneralFailure)
	wantItem(t, resp.Items[2], kmip14.ResultStatusSuccess, 0)
	// The same connection still works.
	resp = exchangeRaw(t, raw, b)
	if len(resp.Items) != 3 {
		t.Fatalf("second request: %d items", len(resp.Items))
	}
}

func TestServerMaximumResponseSize(t *testing.T) {
	ts := startServer(t, func(context.Context, *Request) (any, error) {
		return &DiscoverVersionsResponse{Versions: SupportedVersions}, nil
	}, Limits{})
	c := ts.dial(t)
	resp, err := c.DoBatch(context.Background(), items(dv, dv))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EncodeResponse(resp)
	full := len(b)

	c.MaxResponseSize = int32(full - 1)
	resp, err = c.DoBatch(context.Background(), items(dv, dv))
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
	wantItem(t, resp.Items[1], kmip14.ResultStatusOperationFailed, ReasonResponseTooLarge)
	if resp.Items[0].Payload == nil || resp.Items[1].Payload != nil {
		t.Fatalf("payloads %v %v", resp.Items[0].Payload, resp.Items[1].Payload)
	}
}

// An Asynchronous Indicator says only that the client could accept an
// asynchronous answer; the server answers every item synchronously.
func TestServerAsynchronousAnsweredSynchronously(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	b := rawRequest(t, V1_4, func(e *ttlv.Encoder) {
		e.EncodeBoolean(kmip14.TagAsynchronousIndicator, true)
		e.EncodeInteger(kmip14.TagBatchCount, 1)
	}, func(e *ttlv.Encoder) { rawItem(e, dv, nil) })
	resp := exchangeRaw(t, ts.rawConn(t), b)
	wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
	if ts.calls.Load() != 1 {
		t.Fatalf("handler called %d times, want 1", ts.calls.Load())
	}
}

func TestServerUnsupportedVersion(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	for _, tt := range []struct {
		asked, answered Version
		reason          ResultReason
	}{
		{Version{1, 7}, V1_4, ReasonInvalidMessage},
		{Version{2, 9}, V2_1, ReasonUnsupportedProtocolVersion},
		{Version{3, 0}, V2_1, ReasonUnsupportedProtocolVersion},
		{Version{0, 9}, V1_0, ReasonInvalidMessage},
	} {
		b := rawRequest(t, tt.asked, batchCount(1), func(e *ttlv.Encoder) { rawItem(e, dv, nil) })
		resp := exchangeRaw(t, ts.rawConn(t), b)
		if resp.Header.Version != tt.answered {
			t.Errorf("%v answered in %v, want %v", tt.asked, resp.Header.Version, tt.answered)
		}
		wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, tt.reason)
	}
	ts.assertServes(t)
}

func TestServerRejectsHugeHeader(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	raw := ts.rawConn(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	raw.Write(frameHeader(0x420078, 0x01, 2<<30-8))
	b, err := readFrame(raw, responseTag, 1<<20, nil)
	if err != nil {
		t.Fatalf("no error response: %v", err)
	}
	resp, err := DecodeResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, ReasonInvalidMessage)
	wantClosed(t, raw)
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc+64<<20 {
		t.Fatalf("heap grew from %d to %d bytes", before.HeapAlloc, after.HeapAlloc)
	}
	ts.assertServes(t)
}

func TestServerTruncatedMessage(t *testing.T) {
	ts := startServer(t, okHandler, fastLimits)
	raw := ts.rawConn(t)
	raw.Write(frameHeader(0x420078, 0x01, 64))
	raw.Write(make([]byte, 16))
	start := time.Now()
	wantClosed(t, raw)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closed after %v", d)
	}
	ts.assertServes(t)
}

func TestServerWrongTopLevelTag(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	raw := ts.rawConn(t)
	resp, _ := EncodeResponse(&ResponseMessage{Header: ResponseHeader{Version: V1_4},
		Items: []ResponseItem{{Status: kmip14.ResultStatusSuccess}}})
	raw.Write(resp)
	wantClosed(t, raw)
	ts.assertServes(t)
}

func TestServerWrongTypeForKnownTag(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	b := rawRequest(t, V2_0, func(e *ttlv.Encoder) {
		e.EncodeTextString(kmip14.TagBatchCount, "1")
	}, func(e *ttlv.Encoder) { rawItem(e, dv, nil) })
	resp := exchangeRaw(t, ts.rawConn(t), b)
	if resp.Header.Version != V2_0 {
		t.Errorf("answered in %v", resp.Header.Version)
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, ReasonInvalidMessage)
	ts.assertServes(t)
}

func TestServerDeepNesting(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	start := time.Now()
	resp := exchangeRaw(t, ts.rawConn(t), nested(40))
	if d := time.Since(start); d > time.Second {
		t.Fatalf("answered after %v", d)
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, ReasonInvalidMessage)
	ts.assertServes(t)
}

func TestServerUnknownOperation(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	b := rawRequest(t, V1_4, func(e *ttlv.Encoder) {
		e.EncodeEnumeration(kmip14.TagBatchErrorContinuationOption, uint32(kmip14.BatchErrorContinuationOptionContinue))
		e.EncodeInteger(kmip14.TagBatchCount, 3)
	}, func(e *ttlv.Encoder) {
		rawItem(e, dv, []byte{1})
		rawItem(e, Operation(0xFF), []byte{2})
		rawItem(e, dv, []byte{3})
	})
	resp := exchangeRaw(t, ts.rawConn(t), b)
	if len(resp.Items) != 3 {
		t.Fatalf("%d items", len(resp.Items))
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
	wantItem(t, resp.Items[1], kmip14.ResultStatusOperationFailed, ReasonOperationNotSupported)
	wantItem(t, resp.Items[2], kmip14.ResultStatusSuccess, 0)
	if ts.calls.Load() != 2 {
		t.Fatalf("handler called %d times", ts.calls.Load())
	}
}

func TestServerHugeBatch(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	for _, v := range []Version{V1_4, V2_0} {
		b := rawRequest(t, v, batchCount(10000), func(e *ttlv.Encoder) {
			for range 10000 {
				rawItem(e, dv, nil)
			}
		})
		resp := exchangeRaw(t, ts.rawConn(t), b)
		reason := ReasonInvalidMessage
		if v.Is2x() {
			reason = ReasonServerLimitExceeded
		}
		if len(resp.Items) != 1 {
			t.Fatalf("%v: %d items", v, len(resp.Items))
		}
		wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, reason)
	}
	if ts.calls.Load() != 0 {
		t.Fatalf("handler called %d times", ts.calls.Load())
	}
	ts.assertServes(t)
}

func TestServerIdleConnectionClosed(t *testing.T) {
	ts := startServer(t, okHandler, fastLimits)
	// After the handshake, nothing: the idle deadline closes it.
	start := time.Now()
	wantClosed(t, ts.rawConn(t))
	// No handshake at all: the handshake deadline closes it.
	tcp, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	wantClosed(t, tcp)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	ts.assertServes(t)
}

func TestServerRequiresClientCertificate(t *testing.T) {
	ts := startServer(t, okHandler, Limits{})
	c, err := tls.Dial("tcp", ts.addr, ts.pki.noCert)
	if err == nil {
		// With TLS 1.3 the client learns of the refusal at its first read.
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		b, _ := EncodeRequest(&RequestMessage{Header: RequestHeader{Version: V1_4}, Items: items(dv)})
		c.Write(b)
		if _, err = c.Read(make([]byte, 1)); err == nil {
			t.Fatal("served without a client certificate")
		}
	}
	if ts.calls.Load() != 0 {
		t.Fatal("handler called")
	}
	ts.assertServes(t)
}

func TestServerConnectionCap(t *testing.T) {
	ts := startServer(t, okHandler, Limits{MaxConns: 2})
	a, b := ts.dial(t), ts.dial(t)
	for _, c := range []*Client{a, b} {
		if _, err := c.Do(context.Background(), dv, nil); err != nil {
			t.Fatal(err)
		}
	}
	tcp, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	wantClosed(t, tcp)

	a.Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := Dial(context.Background(), ts.addr, ts.pki.client)
		if err == nil {
			_, err = c.Do(context.Background(), dv, nil)
			c.Close()
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServerShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	ts := startServer(t, func(context.Context, *Request) (any, error) {
		close(started)
		time.Sleep(200 * time.Millisecond)
		return nil, nil
	}, Limits{})
	busy, idle := ts.dial(t), ts.rawConn(t)
	result := make(chan error, 1)
	go func() {
		_, err := busy.Do(context.Background(), dv, nil)
		result <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("in-flight request lost: %v", err)
	}
	wantClosed(t, idle)
	if err := <-ts.done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
}

func TestClientFailedItemIsError(t *testing.T) {
	ts := startServer(t, func(context.Context, *Request) (any, error) {
		return nil, Errorf(ReasonItemNotFound, "no key")
	}, Limits{})
	_, err := ts.dial(t).Do(context.Background(), dv, nil)
	wantReason(t, err, ReasonItemNotFound)
}

// countingObserver counts what the server reports.
type countingObserver struct {
	opened, closed, items, failed atomic.Int64
}

func (o *countingObserver) ConnOpened(net.Addr) { o.opened.Add(1) }
func (o *countingObserver) ConnClosed(net.Addr) { o.closed.Add(1) }
func (o *countingObserver) ItemServed(_ Operation, status ResultStatus, _ ResultReason, d time.Duration) {
	o.items.Add(1)
	if status != kmip14.ResultStatusSuccess {
		o.failed.Add(1)
	}
}

func TestServerObserver(t *testing.T) {
	obs := &countingObserver{}
	ts := startServer(t, failSecond, Limits{}, func(s *Server) { s.Observer = obs })
	c := ts.dial(t)
	if _, err := c.DoBatch(context.Background(), items(dv, dv, dv)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	deadline := time.Now().Add(2 * time.Second)
	for obs.closed.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if obs.opened.Load() != 1 || obs.closed.Load() != 1 || obs.items.Load() != 2 || obs.failed.Load() != 1 {
		t.Fatalf("opened %d closed %d items %d failed %d", obs.opened.Load(), obs.closed.Load(), obs.items.Load(), obs.failed.Load())
	}
}

func TestClientGetRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		get, ok := req.Payload.(*GetRequest)
		if !ok || get.UniqueIdentifier != "k-1" {
			return nil, Errorf(ReasonItemNotFound, "")
		}
		return &GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "k-1",
			Object: Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{
				FormatType: kmip14.KeyFormatTypeRaw, Material: key,
				Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256}}}, nil
	}, Limits{})
	for _, v := range []Version{V1_0, V1_4, V2_1} {
		c := ts.dial(t)
		c.Version = v
		p, err := c.Do(context.Background(), kmip14.OperationGet, &GetRequest{UniqueIdentifier: "k-1"})
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		got, ok := p.(*GetResponse)
		if !ok || got.UniqueIdentifier != "k-1" || got.Object.KeyBlock == nil || string(got.Object.KeyBlock.Material) != string(key) {
			t.Fatalf("%v: got %#v", v, p)
		}
	}
}

func TestServerBatchUndo(t *testing.T) {
	var undone []int
	var mu sync.Mutex
	var n atomic.Int64
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		i := int(n.Add(1))
		if i == 3 {
			return nil, Errorf(ReasonIncompatibleCryptographicUsageMask, "check failed")
		}
		req.Batch.OnUndo(func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			undone = append(undone, i)
			return nil
		})
		return &DiscoverVersionsResponse{Versions: []Version{V2_1}}, nil
	}, Limits{})
	raw := ts.rawConn(t)
	req := &RequestMessage{Header: RequestHeader{Version: V2_1,
		BatchErrorContinuation: kmip14.BatchErrorContinuationOptionUndo}, Items: items(dv, dv, dv, dv)}
	b, _ := EncodeRequest(req)
	resp := exchangeRaw(t, raw, b)
	if len(resp.Items) != 3 {
		t.Fatalf("Undo: %d items in response, want 3 (the fourth is not processed)", len(resp.Items))
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusOperationUndone, 0)
	wantItem(t, resp.Items[1], kmip14.ResultStatusOperationUndone, 0)
	wantItem(t, resp.Items[2], kmip14.ResultStatusOperationFailed, ReasonIncompatibleCryptographicUsageMask)
	if p, ok := resp.Items[0].Payload.(*DiscoverVersionsResponse); !ok || len(p.Versions) != 1 {
		t.Errorf("an undone item keeps its payload; got %#v", resp.Items[0].Payload)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(undone, []int{2, 1}) {
		t.Fatalf("undo functions ran %v, want [2 1] (newest first)", undone)
	}
}
