package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// Streaming (multi-part) cryptographic operations (KMIP 1.3+): a first
// request with Init Indicator true gets a Correlation Value, the following
// ones name it, the last one has Final Indicator true.
//
// The module's operations are one-shot, so the Service keeps each stream's
// input in memory and runs the operation over what has arrived:
//
//   - Encrypt returns output as soon as it is final: in stream modes (CTR,
//     GCM, ChaCha20, ChaCha20-Poly1305) each part's ciphertext, as the
//     keystream of the whole input so far gives it (conformance case
//     CS-BC-M-GCM-3); in ECB and CBC the complete blocks; the rest, the
//     padding and the AEAD tag with the final part.
//   - Decrypt, Sign, Signature Verify, MAC, MAC Verify and Hash answer with
//     the final part only: no plaintext is released before its tag is
//     checked.
//
// A stream lives in memory only (a restart ends it), belongs to the identity
// that started it, and is bounded: at most maxStreamInput bytes of input,
// maxStreamsPerOwner open streams per owner and maxStreams in all, and it
// ends maxStreamAge after it started. Running the operation over the whole
// input at each part costs quadratic time in the number of parts, which the
// input bound keeps small.
const (
	maxStreamInput     = 1 << 20
	maxStreamsPerOwner = 64
	maxStreams         = 4096
	maxStreamAge       = 10 * time.Minute
)

// stream is the state of one streaming operation.
type stream struct {
	owner   string
	keyID   string
	op      kmip.Operation
	started time.Time
	input   []byte // all input so far
	emitted int    // output bytes already returned (Encrypt)
	params  any    // the operation's module parameters, fixed by the first part
}

// streams holds the open streams by Correlation Value. The zero value is
// ready; it is safe for concurrent use. A stream is used by one request at
// a time: take removes it and put returns it.
type streams struct {
	mu sync.Mutex
	m  map[string]*stream
}

// start opens a stream and returns its Correlation Value (16 random bytes).
// The stream is held by the request that opened it until put.
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
		return nil, kmip.Errorf(kmip.ReasonPermissionDenied, "too many open streams")
	}
	corr := make([]byte, 16)
	if _, err := rand.Read(corr); err != nil {
		return nil, err
	}
	st.started = now
	return corr, nil
}

// take removes and returns the stream of corr, if it belongs to owner and
// to operation op.
func (ss *streams) take(corr []byte, owner string, op kmip.Operation, now time.Time) (*stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expire(now)
	key := hex.EncodeToString(corr)
	st, ok := ss.m[key]
	if !ok || st.owner != owner || st.op != op {
		return nil, &kmip.Error{Reason: kmip.ReasonInvalidCorrelationValue, Message: "unknown Correlation Value"}
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

// expire ends the streams older than maxStreamAge. The caller holds mu.
func (ss *streams) expire(now time.Time) {
	for k, st := range ss.m {
		if now.Sub(st.started) > maxStreamAge {
			clear(st.input)
			delete(ss.m, k)
		}
	}
}

// part is one request of a possibly streaming operation, after streamPart.
type part struct {
	st    *stream // nil for a one-shot request
	corr  []byte  // the stream's Correlation Value
	input []byte  // all input so far (one-shot: the request's data)
	final bool    // the operation completes with this request
}

// streamPart handles the streaming fields sf of a request of operation op
// on key keyID with data. A one-shot request (no Init Indicator, no
// Correlation Value, or Init and Final together) gives a part with st nil.
// An initial one opens a stream with params; a following one continues the
// stream its Correlation Value names. The caller finishes with endPart.
func (s *Service) streamPart(req *kmip.Request, op kmip.Operation, keyID string, sf kmip.Streaming, data []byte, params any) (*part, error) {
	now := s.clock()
	if sf.CorrelationValue == nil {
		if !sf.InitIndicator || sf.FinalIndicator {
			return &part{input: data, final: true}, nil
		}
		if len(data) > maxStreamInput {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "stream input too long")
		}
		st := &stream{owner: owner(req), keyID: keyID, op: op, input: append([]byte(nil), data...), params: params}
		corr, err := s.streams.start(st, now)
		if err != nil {
			return nil, err
		}
		return &part{st: st, corr: corr, input: st.input}, nil
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
	if len(st.input)+len(data) > maxStreamInput {
		clear(st.input)
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "stream input too long")
	}
	st.input = append(st.input, data...)
	return &part{st: st, corr: sf.CorrelationValue, input: st.input, final: sf.FinalIndicator}, nil
}

// endPart ends the request of p: a stream that continues is kept (when err
// is nil), one that is final or failed is forgotten and its input zeroed.
// It returns the Correlation Value to answer with (nil for the final part).
func (s *Service) endPart(p *part, err error) []byte {
	if p.st == nil {
		return nil
	}
	if p.final || err != nil {
		clear(p.st.input)
		return nil
	}
	s.streams.put(p.corr, p.st)
	return p.corr
}
