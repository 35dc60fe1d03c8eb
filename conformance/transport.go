package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// transport carries TTLV request messages to the server and returns its
// TTLV response messages, one at a time.
type transport interface {
	RoundTrip(ctx context.Context, request []byte) ([]byte, error)
	Close() error
}

// httpsEncodings maps the name prefix of the message-encoding test files to
// the encoding they must travel in over HTTPS (KMIP Profiles v2.1 6.5, 6.7,
// 6.9: the HTTPS, XML and JSON profiles all use the HTTPS transport).
var httpsEncodings = map[string]kmip.Encoding{
	"MSGENC-HTTPS-": kmip.EncodingTTLV,
	"MSGENC-XML-":   kmip.EncodingXML,
	"MSGENC-JSON-":  kmip.EncodingJSON,
}

// transportFor reports whether the test file at path travels over HTTPS,
// and in which encoding.
func transportFor(path string) (enc kmip.Encoding, https bool) {
	name := testName(path)
	for prefix, enc := range httpsEncodings {
		if strings.HasPrefix(name, prefix) {
			return enc, true
		}
	}
	return 0, false
}

// open connects to the server the way the file at path requires: over
// HTTPS to r.HTTPSAddr, or binary TTLV to addr.
func (r *Runner) open(ctx context.Context, path, addr string) (transport, error) {
	if enc, https := transportFor(path); https {
		if r.HTTPSAddr == "" {
			return nil, fmt.Errorf("%s travels over HTTPS in %v, and no HTTPS address is configured", testName(path), enc)
		}
		c := kmip.NewHTTPClient("https://"+r.HTTPSAddr+"/kmip", r.TLS, enc)
		c.MaxResponseSize = maxResponseSize
		return httpsTransport{c}, nil
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: r.TLS}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &ttlvTransport{conn: c, rd: bufio.NewReader(c)}, nil
}

// ttlvTransport is binary TTLV on one mutual-TLS connection.
type ttlvTransport struct {
	conn net.Conn
	rd   *bufio.Reader
}

// RoundTrip writes request and reads one response message; ctx's deadline
// bounds both.
func (t *ttlvTransport) RoundTrip(ctx context.Context, request []byte) ([]byte, error) {
	if deadline, ok := ctx.Deadline(); ok {
		t.conn.SetDeadline(deadline)
	}
	if _, err := t.conn.Write(request); err != nil {
		return nil, err
	}
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(t.rd, hdr); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > maxResponseSize {
		return nil, fmt.Errorf("response of %d bytes", n)
	}
	msg := make([]byte, 8+int(n))
	copy(msg, hdr)
	if _, err := io.ReadFull(t.rd, msg[8:]); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return msg, nil
}

func (t *ttlvTransport) Close() error { return t.conn.Close() }

// httpsTransport is POST /kmip over HTTPS in one encoding; the client
// converts TTLV to the encoding and back.
type httpsTransport struct{ c *kmip.HTTPClient }

func (t httpsTransport) RoundTrip(ctx context.Context, request []byte) ([]byte, error) {
	return t.c.RoundTrip(ctx, request)
}

func (t httpsTransport) Close() error {
	t.c.CloseIdleConnections()
	return nil
}
