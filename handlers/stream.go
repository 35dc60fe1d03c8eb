package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// Streaming (multi-part) cryptographic operations (KMIP 1.3 and later: 1.4
// sections 4.29 to 4.37, and the same operations in 2.1 section 6.1): a
// first request with Init Indicator true gets a
// Correlation Value, the following ones name it, the last one has Final
// Indicator true.
//
// The module's operations are one-shot, so the Service keeps each stream's
// input in memory and runs the operation over what has arrived. What a part
// answers (crypto.go, releasable):
//
//   - Encrypt returns output as soon as it is final: in stream modes (CTR,
//     GCM, ChaCha20, ChaCha20-Poly1305) each part's ciphertext, as the
//     keystream of the whole input so far gives it (conformance case
//     CS-BC-M-GCM-3); in ECB and CBC the complete blocks (TC-STREAM-ENC-1,
//     TC-STREAM-ENCDEC-1); the rest, the padding and the AEAD tag with the
//     final part.
//   - Decrypt returns plaintext as soon as it is final and no check is
//     pending: in CTR and ChaCha20 each part's; in ECB and CBC the complete
//     blocks, except, with padding, the last complete block, which may hold
//     the padding that only the final part can remove (TC-STREAM-ENCDEC-1);
//     in the AEAD modes (GCM, ChaCha20-Poly1305) nothing before the final
//     part, since no plaintext is released before its tag is checked.
//   - Sign, Signature Verify, MAC, MAC Verify and Hash answer with the final
//     part only. The Signature Data or MAC Data to verify may come with any
//     part, once (the request tables of both: "Yes for single-part. No for
//     multi-part"; TC-STREAM-SIGNVFY-1 and TC-STREAM-MAC-1 give it with the
//     first part).
//
// A response part with no output has no Data (or Signature Data, MAC Data,
// Validity Indicator): those fields are "Yes for single-part. No for
// multi-part" in the response tables too. A one-shot request always gets
// them, an empty Data included (CS-BC-M-GCM-2).
//
// The first part fixes the stream's key, operation and parameters (later
// parts may repeat or omit them; the stream goes on with the first part's).
// A stream lives in memory only (a restart ends it), belongs to the identity
// that started it (any other identity gets Invalid Correlation Value, and
// the stream goes on), and is bounded: at most maxStreamInput bytes of input,
// maxStreamsPerOwner open streams per owner, maxStreams and maxStreamBytes of
// input in all; it ends maxStreamAge after it started. Running the
// operation over the whole input at each part costs quadratic time in the
// number of parts, which the input bound keeps small.
const (
	maxStreamInput     = 1 << 20
	maxStreamsPerOwner = 64
	maxStreams         = 4096
	maxStreamBytes     = 256 << 20
	maxStreamAge       = 10 * time.Minute
)

// stream is the state of one streaming operation.
type stream struct {
	owner   string
	keyID   string
	op      kmip.Operation
	started time.Time
	input   []byte // all input so far
	check   []byte // the Signature Data or MAC Data to verify, once given
	emitted int    // output bytes already returned (Encrypt, Decrypt)
	params  any    // the operation's module parameters, fixed by the first part
}

// size returns the bytes st holds for its client.
func (st *stream) size() int { return len(st.input) + len(st.check) }

// wipe zeroes what st holds.
func (st *stream) wipe() {
	clear(st.input)
	clear(st.check)
}

// streams holds the open streams by Correlation Value. The zero value is
// ready; it is safe for concurrent use. A stream is used by one request at
// a time: take removes it and put returns it; bytes counts the input of
// every stream, held or taken.
type streams struct {
	mu    sync.Mutex
	m     map[string]*stream
	bytes int
}

// errStreamLimit is the failure of a stream beyond a server limit. KMIP 2.x
// has Server Limit Exceeded for it; 1.3 and 1.4, which lack it, get
// Permission Denied, their reason for a request the server's policy refuses.
func errStreamLimit(msg string) error {
	return &kmip.Error{Reason: kmip.ReasonServerLimitExceeded, Reason1x: kmip.ReasonPermissionDenied, Message: msg}
}

// errCorrelation is the failure of a Correlation Value that names no stream
// the request may continue.
var errCorrelation = &kmip.Error{Reason: kmip.ReasonInvalidCorrelationValue, Message: "unknown Correlation Value"}

// start opens a stream for st, whose input is already counted, and returns
// its Correlation Value (16 random bytes). The stream is held by the
// request that opened it until put.
func (ss *streams) start(st *stream, now time.Time) ([]byte, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expire(now)
	n := 0
	for _, o := range ss.m {
		if o.owner == st.owner {
			n++
		}
	}
	if n >= maxStreamsPerOwner || len(ss.m) >= maxStreams {
		return nil, errStreamLimit("too many open streams")
	}
	corr := make([]byte, 16)
	if _, err := rand.Read(corr); err != nil {
		return nil, err
	}
	st.started = now
	return corr, nil
}

// take removes and returns the stream of corr, if it belongs to owner and
// to operation op; any other stream stays as it is.
func (ss *streams) take(corr []byte, owner string, op kmip.Operation, now time.Time) (*stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expire(now)
	key := hex.EncodeToString(corr)
	st, ok := ss.m[key]
	if !ok || st.owner != owner || st.op != op {
		return nil, errCorrelation
	}
	delete(ss.m, key)
	return st, nil
}

// put returns a stream taken with take under the same Correlation Value.
func (ss *streams) put(corr []byte, st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]*stream{}
	}
	ss.m[hex.EncodeToString(corr)] = st
}

// reserve counts n more bytes of stream input, or fails when all streams
// together would hold more than maxStreamBytes.
func (ss *streams) reserve(n int) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.bytes+n > maxStreamBytes {
		return errStreamLimit("the server holds too much stream input")
	}
	ss.bytes += n
	return nil
}

// end forgets st, taken or never put: its input is zeroed and uncounted.
func (ss *streams) end(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.bytes -= st.size()
	st.wipe()
}

// expire ends the streams older than maxStreamAge. The caller holds mu.
func (ss *streams) expire(now time.Time) {
	for k, st := range ss.m {
		if now.Sub(st.started) > maxStreamAge {
			ss.bytes -= st.size()
			st.wipe()
			delete(ss.m, k)
		}
	}
}

// part is one request of a possibly streaming operation, after streamPart.
type part struct {
	st    *stream // nil for a one-shot request
	corr  []byte  // the stream's Correlation Value
	input []byte  // all input so far (one-shot: the request's data)
	check []byte  // the value to verify, given with this part or an earlier one
	final bool    // the operation completes with this request
}

// streamPart handles the streaming fields sf of a request of operation op
// on key keyID with data and, for Signature Verify and MAC Verify, the
// value to verify check (nil when the request has none). A one-shot request
// (no Init Indicator, no Correlation Value, or Init and Final together)
// gives a part with st nil. An initial one opens a stream; a following one
// continues the stream its Correlation Value names. The caller finishes
// with endPart.
func (s *Service) streamPart(req *kmip.Request, op kmip.Operation, keyID string, sf kmip.Streaming, data, check []byte) (*part, error) {
	now := s.clock()
	if sf.CorrelationValue == nil {
		if !sf.InitIndicator || sf.FinalIndicator {
			return &part{input: data, check: check, final: true}, nil
		}
		st := &stream{owner: owner(req), keyID: keyID, op: op}
		if err := s.addInput(st, data, check); err != nil {
			return nil, err
		}
		corr, err := s.streams.start(st, now)
		if err != nil {
			s.streams.end(st)
			return nil, err
		}
		return &part{st: st, corr: corr, input: st.input, check: st.check}, nil
	}
	if sf.InitIndicator {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Init Indicator with a Correlation Value")
	}
	st, err := s.streams.take(sf.CorrelationValue, owner(req), op, now)
	if err != nil {
		return nil, err
	}
	if keyID != "" && keyID != st.keyID {
		s.streams.put(sf.CorrelationValue, st)
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the stream uses another key")
	}
	if check != nil && st.check != nil && !bytes.Equal(check, st.check) {
		s.streams.put(sf.CorrelationValue, st)
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the stream was given another value to verify")
	}
	if st.check != nil {
		check = nil
	}
	if err := s.addInput(st, data, check); err != nil {
		s.streams.end(st)
		return nil, err
	}
	return &part{st: st, corr: sf.CorrelationValue, input: st.input, check: st.check, final: sf.FinalIndicator}, nil
}

// addInput appends data to the input of st and sets its value to verify to
// check (when not nil), within the bounds of one stream and of all.
func (s *Service) addInput(st *stream, data, check []byte) error {
	n := len(data) + len(check)
	if st.size()+n > maxStreamInput {
		return errStreamLimit("stream input too long")
	}
	if err := s.streams.reserve(n); err != nil {
		return err
	}
	st.input = append(st.input, data...)
	if check != nil {
		st.check = append([]byte{}, check...)
	}
	return nil
}

// endPart ends the request of p: a stream that continues is kept (when err
// is nil), one that is final or failed is forgotten and its input zeroed.
// It returns the Correlation Value to answer with (nil for the final part).
func (s *Service) endPart(p *part, err error) []byte {
	if p.st == nil {
		return nil
	}
	if p.final || err != nil {
		s.streams.end(p.st)
		return nil
	}
	s.streams.put(p.corr, p.st)
	return p.corr
}

// output returns the output b of part p as a response carries it: a
// one-shot request's always (an empty one as empty), a stream part's only
// when it has some (nil, so absent, otherwise).
func (p *part) output(b []byte) []byte {
	switch {
	case p.st == nil && b == nil:
		return []byte{}
	case p.st != nil && len(b) == 0:
		return nil
	}
	return b
}
