package kmip

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/conformance/corpus"
)

// Fuzz targets for everything that reads bytes from a client: the framing
// (readFrame), the TTLV validator, the request decoder of every version, the
// Request Payload decoder of every operation and the storage attribute codec.
// The text encodings are fuzzed by FuzzTextToTTLV in encoding_test.go.
//
// Seeds: kmip's own payload test cases encoded as requests in every version,
// and the Request Messages of a few OASIS test vectors, located by
// conformance/corpus (left out when absent). Without -fuzz the seeds
// run as ordinary tests. Run one target with e.g.
//
//	go test ./kmip -run '^$' -fuzz '^FuzzDecodeRequest$' -fuzztime 60s

// fuzzMaxInput caps fuzz inputs: the decoders see at most a message of this
// size in these tests (the server's limit is configurable; the property does
// not depend on it).
const fuzzMaxInput = 64 << 10

// vectorFiles are the OASIS test cases whose Request Messages seed the
// corpus: symmetric and asymmetric key life cycles, attributes, locate and
// crypto operations, in 1.4 and 2.1.
var vectorFiles = []string{
	"v1.4/mandatory/SKLC-M-1-14.xml",
	"v1.4/mandatory/SKLC-M-2-14.xml",
	"v1.4/mandatory/AKLC-M-1-14.xml",
	"v1.4/mandatory/TL-M-1-14.xml",
	"v1.4/mandatory/CS-AC-M-1-14.xml",
	"v1.4/mandatory/AX-M-1-14.xml",
	"v2.1/mandatory/SKLC-M-1-21.xml",
	"v2.1/mandatory/AKLC-M-1-21.xml",
	"v2.1/mandatory/TL-M-1-21.xml",
	"v2.1/mandatory/CS-AC-M-1-21.xml",
}

// seedRequests returns TTLV Request Messages: kmip's payload cases in every
// supported version, then the vector requests that convert to TTLV.
func seedRequests(tb testing.TB) [][]byte {
	var out [][]byte
	for _, v := range SupportedVersions {
		for _, c := range payloadCases(v) {
			b, err := EncodeRequest(&RequestMessage{
				Header: RequestHeader{Version: v, BatchCount: 1},
				Items:  []RequestItem{{Operation: c.op, ID: []byte{1}, Payload: c.req}},
			})
			if err != nil {
				continue // a case the version cannot express
			}
			out = append(out, b)
		}
	}
	return append(out, vectorRequests(tb)...)
}

// vectorRequests converts the Request Messages of vectorFiles to TTLV with
// gemalto's XML unmarshaller. Messages with placeholders the generic
// converter cannot read are left out.
func vectorRequests(tb testing.TB) [][]byte {
	if p := corpus.Problem("v1.4", "v2.1"); p != "" {
		tb.Logf("%s: seeding from kmip's own messages only", p)
		return nil
	}
	dir, _ := corpus.Dir()
	var out [][]byte
	for _, name := range vectorFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Logf("vector %s: %v", name, err)
			continue
		}
		dec := xml.NewDecoder(f)
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "RequestMessage" {
				continue
			}
			var msg ttlv.TTLV
			if err := dec.DecodeElement(&msg, &se); err == nil && validate(msg) == nil {
				out = append(out, bytes.Clone(msg))
			}
		}
		f.Close()
	}
	return out
}

// requestPayloads returns the operation, version and Request Payload of
// every batch item of the seed requests.
func requestPayloads(tb testing.TB) []seedPayload {
	var out []seedPayload
	for _, b := range seedRequests(tb) {
		m, err := DecodeRequest(b)
		if err != nil {
			continue
		}
		for item := range children(ttlv.TTLV(b)) {
			if item.Tag() != kmip14.TagBatchItem {
				continue
			}
			var p seedPayload
			p.version = m.Header.Version
			for f := range children(item) {
				switch f.Tag() {
				case kmip14.TagOperation:
					p.op = Operation(f.ValueEnumeration())
				case kmip14.TagRequestPayload:
					p.payload = bytes.Clone(f)
				}
			}
			if p.payload != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

type seedPayload struct {
	op      Operation
	version Version
	payload []byte
}

// seedAttributes returns storage-form attribute lists.
func seedAttributes(tb testing.TB) [][]byte {
	var out [][]byte
	for _, attrs := range []Attributes{commonAttributes(), {}, {{Name: AttrState, Value: State(kmip14.StateActive)}}} {
		b, err := MarshalAttributes(attrs)
		if err != nil {
			tb.Fatalf("MarshalAttributes(%v): %v", attrs, err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzReadFrame feeds a byte stream to the framing and the validator: no
// panic, nothing larger than the limit returned, and only whole validated
// items reach the decoder.
func FuzzReadFrame(f *testing.F) {
	for _, b := range seedRequests(f) {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(nestedStructures(MaxDepth + 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > fuzzMaxInput {
			return
		}
		frame, err := readFrame(bytes.NewReader(in), requestTag, fuzzMaxInput, nil)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, errNotKMIP) && !errors.Is(err, errFrameTooLarge) && !errors.Is(err, errTruncated) {
				t.Fatalf("readFrame: undocumented error %v", err)
			}
			return
		}
		if len(frame) > fuzzMaxInput || !bytes.Equal(frame, in[:len(frame)]) {
			t.Fatalf("readFrame returned %d bytes not a prefix of the input", len(frame))
		}
		if validate(frame) == nil && ttlv.TTLV(frame).FullLen() != len(frame) {
			t.Fatalf("validated frame of %d bytes has full length %d", len(frame), ttlv.TTLV(frame).FullLen())
		}
	})
}

// FuzzDecodeRequest decodes arbitrary bytes as a Request Message, in
// whatever version the message claims. What decodes without a fault
// re-encodes, and decodes again to the same message.
func FuzzDecodeRequest(f *testing.F) {
	for _, b := range seedRequests(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > fuzzMaxInput {
			return
		}
		m, err := DecodeRequest(in)
		if err != nil || !allItemsDecoded(m) {
			return
		}
		out, err := EncodeRequest(m)
		if err != nil {
			return // a decoded value the encoder refuses is not a safety fault
		}
		again, err := DecodeRequest(out)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v\nin:  %x\nout: %x", err, in, out)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("decode-encode-decode changed the message\nfirst:  %s\nsecond: %s", describe(m), describe(again))
		}
	})
}

// describe formats m with its payloads, not their addresses.
func describe(m *RequestMessage) string {
	s := fmt.Sprintf("%+v", m.Header)
	for _, it := range m.Items {
		s += fmt.Sprintf("\n\t%v id %x: %+v", it.Operation, it.ID, it.Payload)
	}
	return s
}

func allItemsDecoded(m *RequestMessage) bool {
	for _, it := range m.Items {
		if it.Err != nil {
			return false
		}
	}
	return true
}

// FuzzDecodeRequestPayload decodes arbitrary validated bytes as the Request
// Payload of any operation in any supported version.
func FuzzDecodeRequestPayload(f *testing.F) {
	for _, p := range requestPayloads(f) {
		f.Add(uint32(p.op), uint8(versionIndex(p.version)), p.payload)
	}
	f.Fuzz(func(t *testing.T, op uint32, vi uint8, payload []byte) {
		if len(payload) > fuzzMaxInput || validate(payload) != nil {
			return
		}
		v := SupportedVersions[int(vi)%len(SupportedVersions)]
		got, err := decodeRequestPayload(Operation(op), v, ttlv.TTLV(payload))
		if (got == nil) == (err == nil) {
			t.Fatalf("decodeRequestPayload(%v, %v) = %v, %v: want exactly one of payload and error", Operation(op), v, got, err)
		}
	})
}

func versionIndex(v Version) int {
	for i, s := range SupportedVersions {
		if s == v {
			return i
		}
	}
	return 0
}

// FuzzUnmarshalAttributes decodes arbitrary bytes as stored attributes; what
// decodes marshals and unmarshals back to the same list.
func FuzzUnmarshalAttributes(f *testing.F) {
	for _, b := range seedAttributes(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > fuzzMaxInput {
			return
		}
		attrs, err := UnmarshalAttributes(in)
		if err != nil {
			return
		}
		out, err := MarshalAttributes(attrs)
		if err != nil {
			t.Fatalf("decoded attributes do not encode: %v (%v)", err, attrs)
		}
		again, err := UnmarshalAttributes(out)
		if err != nil {
			t.Fatalf("re-encoded attributes do not decode: %v", err)
		}
		if !reflect.DeepEqual(attrs, again) {
			t.Fatalf("decode-encode-decode changed the attributes\nfirst:  %v\nsecond: %v", attrs, again)
		}
	})
}

// TestDecodersAllocateInProportion decodes the seed corpus, every prefix
// of it and a few hostile shapes and checks that no decoder allocates more
// than a bounded multiple of its input: a client cannot make the server
// hold much more than what it sent.
func TestDecodersAllocateInProportion(t *testing.T) {
	const (
		perByte = 32       // bytes allocated per input byte, at most
		fixed   = 16 << 10 // plus this much for any input
	)
	inputs := seedRequests(t)
	for _, b := range seedRequests(t)[:8] {
		for i := 0; i < len(b); i += 8 {
			inputs = append(inputs, b[:i])
		}
	}
	inputs = append(inputs, nestedStructures(10000), bigBatch(100000))
	inputs = append(inputs, seedAttributes(t)...)
	worst := 0.0
	for _, in := range inputs {
		alloc := allocated(func() {
			DecodeRequest(in)
			UnmarshalAttributes(in)
		})
		if limit := uint64(perByte*len(in) + fixed); alloc > limit {
			t.Errorf("decoding %d bytes allocated %d bytes, limit %d: %x", len(in), alloc, limit, in[:min(len(in), 64)])
		}
		if len(in) > 0 {
			worst = max(worst, float64(alloc)/float64(len(in)))
		}
	}
	t.Logf("%d inputs; worst case %.1f bytes allocated per input byte", len(inputs), worst)
}

// allocated returns the bytes allocated while f runs. The count is the
// process's; the test is not parallel, so it is f's but for stray
// background goroutines, which can only make it stricter.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// nestedStructures is a Request Message holding depth nested Structures.
func nestedStructures(depth int) []byte {
	b := make([]byte, 8*(depth+1))
	for i := 0; i <= depth; i++ {
		h := b[8*i:]
		tag := kmip14.TagRequestPayload
		if i == 0 {
			tag = requestTag
		}
		h[0], h[1], h[2], h[3] = byte(tag>>16), byte(tag>>8), byte(tag), byte(ttlv.TypeStructure)
		binary.BigEndian.PutUint32(h[4:8], uint32(8*(depth-i)))
	}
	return b
}

// bigBatch is a 1.4 request with n empty Batch Items and a Batch Count of n.
func bigBatch(n int) []byte {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	e.EncodeStructure(requestTag, func(e *ttlv.Encoder) error {
		e.EncodeStructure(kmip14.TagRequestHeader, func(e *ttlv.Encoder) error {
			encodeProtocolVersion(e, V1_4)
			e.EncodeInteger(kmip14.TagBatchCount, int32(n))
			return nil
		})
		for range n {
			e.EncodeStructure(kmip14.TagBatchItem, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagOperation, uint32(kmip14.OperationDiscoverVersions))
				return nil
			})
		}
		return nil
	})
	e.Flush()
	return buf.Bytes()
}
