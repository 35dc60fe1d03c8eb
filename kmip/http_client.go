package kmip

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gemalto/kmip-go/ttlv"
)

// HTTPClient sends KMIP request messages to a server over HTTPS (the HTTPS
// profile) in one of the encodings, converting to and from TTLV, so that
// the same TTLV messages can be exchanged as TTLV, XML or JSON.
//
// It is safe for concurrent use; connections are kept alive and reused.
type HTTPClient struct {
	url string
	enc Encoding
	hc  *http.Client

	// MaxResponseSize bounds the response body accepted, in its encoding
	// (DefaultClientMaxResponseSize when 0). Set it before the first
	// RoundTrip.
	MaxResponseSize int
}

// NewHTTPClient returns a client that POSTs to url (for example
// "https://host:5697/kmip") with the TLS configuration cfg (its
// certificate is the client's identity) in encoding enc.
func NewHTTPClient(url string, cfg *tls.Config, enc Encoding) *HTTPClient {
	transport := &http.Transport{
		TLSClientConfig:       cfg.Clone(),
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       time.Minute,
	}
	return &HTTPClient{url: url, enc: enc, hc: &http.Client{Transport: transport}}
}

// RoundTrip sends request, one TTLV Request Message, converted to the
// client's encoding, and returns the response converted back to TTLV: one
// validated Response Message, to be read with DecodeResponse. ctx bounds the
// exchange.
//
// It fails when request is not valid TTLV, on a transport error, on an HTTP
// status other than 200 (the error holds the status and the start of the
// body), when the response's Content-Type is not the client's encoding, or
// when the response is larger than MaxResponseSize or not a Response
// Message.
func (c *HTTPClient) RoundTrip(ctx context.Context, request []byte) ([]byte, error) {
	body, err := fromTTLV(c.enc, request)
	if err != nil {
		return nil, fmt.Errorf("kmip: request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", c.enc.ContentType())
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	limit := c.MaxResponseSize
	if limit <= 0 {
		limit = DefaultClientMaxResponseSize
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("kmip: response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kmip: HTTP %s: %s", resp.Status, firstLine(answer))
	}
	if len(answer) > limit {
		return nil, fmt.Errorf("kmip: response larger than %d bytes", limit)
	}
	if got, ok := encodingOf(resp.Header.Get("Content-Type")); !ok || got != c.enc {
		return nil, fmt.Errorf("kmip: response Content-Type %q, want %q", resp.Header.Get("Content-Type"), c.enc.ContentType())
	}
	msg, err := toTTLV(c.enc, answer, limit)
	if err != nil {
		return nil, fmt.Errorf("kmip: response: %w", err)
	}
	if ttlv.TTLV(msg).Tag() != responseTag { // msg is validated
		return nil, errors.New("kmip: response is not a Response Message")
	}
	return msg, nil
}

// CloseIdleConnections closes the connections kept alive for reuse.
func (c *HTTPClient) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// firstLine returns the first line of an error body, at most 200 bytes.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b[:min(len(b), 200)]), "\n")
	return s
}
