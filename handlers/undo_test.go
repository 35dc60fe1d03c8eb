package handlers

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// serveTLS serves h.svc with a real kmip.Server on loopback mutual TLS and
// returns the address and a client TLS configuration.
func serveTLS(t *testing.T, h *harness) (string, *tls.Config) {
	t.Helper()
	pki := filepath.Join(t.TempDir(), "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	serverTLS, err := certs.ServerConfig(filepath.Join(pki, certs.ServerCertFile), filepath.Join(pki, certs.ServerKeyFile), filepath.Join(pki, certs.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	clientTLS, err := certs.ClientConfig(filepath.Join(pki, certs.CACertFile), filepath.Join(pki, certs.ClientCertFile), filepath.Join(pki, certs.ClientKeyFile), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &kmip.Server{Handler: h.svc, TLSConfig: serverTLS, Identify: certs.Identify}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String(), clientTLS
}

// exchange sends req on a new connection and returns the decoded response.
func exchange(t *testing.T, addr string, cfg *tls.Config, req *kmip.RequestMessage) *kmip.ResponseMessage {
	t.Helper()
	out, err := kmip.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(out); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(conn, head); err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 8+binary.BigEndian.Uint32(head[4:]))
	copy(msg, head)
	if _, err := io.ReadFull(conn, msg[8:]); err != nil {
		t.Fatal(err)
	}
	resp, err := kmip.DecodeResponse(msg)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestUndoBatchRestoresState runs conformance case BL-M-2's batch through a
// real server: Activate, a passing Check and a failing Check with Batch
// Error Continuation Option Undo leave the key Pre-Active, and the first two
// items report Operation Undone. Without Undo, the Activate stays.
func TestUndoBatchRestoresState(t *testing.T) {
	h := newHarness(t)
	addr, cfg := serveTLS(t, h)
	c, err := kmip.Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Version = kmip.V2_1
	register := func() string {
		resp, err := c.Do(context.Background(), kmip14.OperationRegister, &kmip.RegisterRequest{
			ObjectType: kmip14.ObjectTypeSymmetricKey,
			Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncrypt}},
			Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
				FormatType: kmip14.KeyFormatTypeRaw, Material: make([]byte, 16), Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128,
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp.(*kmip.RegisterResponse).UniqueIdentifier
	}
	state := func(id string) kmip.State {
		resp, err := c.Do(context.Background(), kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: []string{kmip.AttrState}})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := enumValue(resp.(*kmip.GetAttributesResponse).Attributes.Get(kmip.AttrState))
		return kmip.State(u)
	}
	batch := func(id string, option kmip.BatchErrorContinuation) *kmip.ResponseMessage {
		return exchange(t, addr, cfg, &kmip.RequestMessage{
			Header: kmip.RequestHeader{Version: kmip.V2_1, BatchErrorContinuation: option, BatchCount: 3},
			Items: []kmip.RequestItem{
				{Operation: kmip14.OperationActivate, ID: []byte{1}, Payload: &kmip.ActivateRequest{UniqueIdentifier: id}},
				{Operation: kmip14.OperationCheck, ID: []byte{2}, Payload: &kmip.CheckRequest{UniqueIdentifier: id, CryptographicUsageMask: maskEncrypt}},
				{Operation: kmip14.OperationCheck, ID: []byte{3}, Payload: &kmip.CheckRequest{UniqueIdentifier: id, CryptographicUsageMask: maskDecrypt}},
			},
		})
	}

	id := register()
	resp := batch(id, kmip14.BatchErrorContinuationOptionUndo)
	if len(resp.Items) != 3 {
		t.Fatalf("%d items, want 3", len(resp.Items))
	}
	for i, want := range []kmip.ResultStatus{kmip14.ResultStatusOperationUndone, kmip14.ResultStatusOperationUndone, kmip14.ResultStatusOperationFailed} {
		if got := resp.Items[i].Status; got != want {
			t.Fatalf("item %d: status %v, want %v", i, got, want)
		}
	}
	if got := resp.Items[2].Reason; got != kmip.ReasonIncompatibleCryptographicUsageMask {
		t.Fatalf("failing Check: reason %v", got)
	}
	if st := state(id); st != kmip14.StatePreActive {
		t.Fatalf("state after the undone batch: %v, want Pre-Active", st)
	}

	id = register()
	batch(id, kmip14.BatchErrorContinuationOptionStop)
	if st := state(id); st != kmip14.StateActive {
		t.Fatalf("state after a stopped batch: %v, want Active", st)
	}
}
