package conformance

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// readTimeout is the deadline kmipd is started with for the rest of a
// started message (KMIPD_READ_TIMEOUT).
const readTimeout = 2 * time.Second

// TestBadInput sends hostile input to the assembled daemon over real TLS.
// After each case a well-behaved client must still be served.
func TestBadInput(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir(), "KMIPD_READ_TIMEOUT="+readTimeout.String())

	t.Run("HeaderClaims2GiB", func(t *testing.T) {
		const conns = 8
		before := d.rssKiB(t)
		for range conns {
			conn := d.rawConn(t)
			if _, err := conn.Write(frameHeader(kmip14.TagRequestMessage, 1<<31)); err != nil {
				t.Fatalf("write: %v", err)
			}
			// A little of the announced body; the server may well have
			// closed the connection already.
			conn.Write(make([]byte, 4096))
			requireRefused(t, conn, 5*time.Second)
		}
		after := d.rssKiB(t)
		t.Logf("RSS before %d KiB, after %d connections claiming 2 GiB: %d KiB", before, conns, after)
		if after-before > 100<<10 {
			t.Errorf("RSS grew by %d KiB, want under 100 MiB", after-before)
		}
		d.requireAlive(t)
	})

	t.Run("TruncatedThenSilent", func(t *testing.T) {
		conn := d.rawConn(t)
		start := time.Now()
		hdr := frameHeader(kmip14.TagRequestMessage, 64)
		if _, err := conn.Write(append(hdr, make([]byte, 10)...)); err != nil {
			t.Fatalf("write: %v", err)
		}
		requireClosed(t, conn, readTimeout+3*time.Second)
		elapsed := time.Since(start)
		t.Logf("connection closed %v after a truncated message (read timeout %v)", elapsed.Round(time.Millisecond), readTimeout)
		if elapsed < readTimeout/2 {
			t.Errorf("closed after %v, before the read timeout of %v: was the message refused for another reason?", elapsed, readTimeout)
		}
		d.requireAlive(t)
	})

	t.Run("NotKMIP", func(t *testing.T) {
		conn := d.rawConn(t)
		if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: kmip\r\n\r\n")); err != nil {
			t.Fatalf("write: %v", err)
		}
		requireClosed(t, conn, 5*time.Second)
		d.requireAlive(t)
	})

	t.Run("ClientWithoutCertificate", func(t *testing.T) {
		cfg := d.tlsConfig(t).Clone()
		cfg.Certificates = nil
		cfg.GetClientCertificate = nil
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		c, err := kmip.Dial(ctx, d.addr, cfg)
		if err == nil {
			// In TLS 1.3 the client's handshake completes before the
			// server has checked the (missing) certificate; the refusal
			// arrives with the first read.
			defer c.Close()
			_, err = try(c, kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{})
		}
		if err == nil {
			t.Fatal("a client without a certificate was served")
		}
		var ke *kmip.Error
		if errors.As(err, &ke) {
			t.Fatalf("a client without a certificate got a KMIP response (%v), want a failed handshake", ke)
		}
		t.Logf("refused: %v", err)
		d.requireAlive(t)
	})

	t.Run("UnknownOperation", func(t *testing.T) {
		c := d.client(t)
		for _, op := range []kmip.Operation{kmip.Operation(0x0000ABCD), kmip.OperationReProvision} {
			_, err := try(c, op, nil)
			requireReason(t, err, kmip.ReasonOperationNotSupported)
		}
		// The same connection goes on.
		do[*kmip.DiscoverVersionsResponse](t, c, kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{})
		d.requireAlive(t)
	})
}

// rawConn opens a TLS connection with the client certificate, for writing
// bytes that the Go client would never send. It is closed at the end of
// the test.
func (d *daemon) rawConn(t *testing.T) *tls.Conn {
	t.Helper()
	dialer := &tls.Dialer{Config: d.tlsConfig(t)}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	conn, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", d.addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*tls.Conn)
}

// frameHeader is the 8-byte TTLV header of a Structure with tag announcing
// length bytes of value.
func frameHeader(tag ttlv.Tag, length uint32) []byte {
	h := make([]byte, 8)
	h[0], h[1], h[2] = byte(tag>>16), byte(tag>>8), byte(tag)
	h[3] = byte(ttlv.TypeStructure)
	binary.BigEndian.PutUint32(h[4:], length)
	return h
}

// requireRefused reads what the server answers until it closes the
// connection, within wait: nothing, or a KMIP response whose items all
// failed.
func requireRefused(t *testing.T, conn net.Conn, wait time.Duration) {
	t.Helper()
	got := readUntilClosed(t, conn, wait)
	if len(got) == 0 {
		return
	}
	msg := ttlv.TTLV(got)
	if err := msg.Valid(); err != nil || msg.Tag() != kmip14.TagResponseMessage {
		t.Fatalf("answer is not a KMIP response message (%v): % x", err, got[:min(len(got), 64)])
	}
	status, ok := findEnum(msg, kmip14.TagResultStatus)
	if !ok {
		t.Fatalf("response without Result Status: %s", msg)
	}
	if kmip14.ResultStatus(status) == kmip14.ResultStatusSuccess {
		t.Fatalf("hostile message answered with success: %s", msg)
	}
}

// requireClosed checks that the server closes conn within wait, whatever
// it sends before.
func requireClosed(t *testing.T, conn net.Conn, wait time.Duration) {
	t.Helper()
	readUntilClosed(t, conn, wait)
}

// readUntilClosed reads conn until the server closes it and returns what
// was read; the test fails if conn is still open after wait.
func readUntilClosed(t *testing.T, conn net.Conn, wait time.Duration) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(wait))
	got, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v (read %d bytes)", wait, len(got))
	}
	return got // io.EOF, a reset or a TLS alert all mean closed
}

// findEnum returns the value of the first Enumeration with tag in the
// TTLV tree m, depth first.
func findEnum(m ttlv.TTLV, tag ttlv.Tag) (uint32, bool) {
	for item := m; item != nil; item = item.Next() {
		if item.Tag() == tag && item.Type() == ttlv.TypeEnumeration {
			return uint32(item.ValueEnumeration()), true
		}
		if item.Type() == ttlv.TypeStructure && item.Len() > 0 {
			if v, ok := findEnum(item.ValueStructure(), tag); ok {
				return v, true
			}
		}
	}
	return 0, false
}
