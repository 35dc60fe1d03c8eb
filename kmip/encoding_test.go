package kmip

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// loadVectorMessages returns the whole messages named element
// (RequestMessage or ResponseMessage) of an OASIS test case file, as TTLV.
// It skips the test when the vectors are absent and returns nil when
// gemalto's XML reader cannot read a message of the file.
func loadVectorMessages(t testing.TB, file, element string) []ttlv.TTLV {
	t.Helper()
	raw, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("test vectors not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw = nowPlaceholder.ReplaceAll(raw, []byte(`type="DateTime" value="2024-01-01T00:00:00+00:00"`))
	raw = bytesPlaceholder.ReplaceAll(raw, []byte(`type="ByteString" value="00"`))
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var out []ttlv.TTLV
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != element {
			continue
		}
		var msg ttlv.TTLV
		if err := dec.DecodeElement(&msg, &start); err != nil {
			return nil // gemalto lacks a few enumerations (PKCS#11)
		}
		out = append(out, msg)
	}
}

// Every request and response message of the mandatory test cases converts
// to XML and JSON and back to the same bytes.
func TestEncodingRoundTripVectors(t *testing.T) {
	var files []string
	for _, dir := range []string{"v1.4/mandatory", "v2.1/mandatory"} {
		files = append(files, vectorGlob(t, dir, "*.xml")...)
	}
	messages := 0
	for _, file := range files {
		for _, element := range []string{"RequestMessage", "ResponseMessage"} {
			for _, msg := range loadVectorMessages(t, file, element) {
				if validate(msg) != nil {
					continue // a test case of malformed input
				}
				messages++
				for _, enc := range []Encoding{EncodingTTLV, EncodingXML, EncodingJSON} {
					text, err := fromTTLV(enc, msg)
					if err != nil {
						t.Fatalf("%s %s to %s: %v", filepath.Base(file), element, enc, err)
					}
					back, err := toTTLV(enc, text, 1<<20)
					if err != nil {
						t.Fatalf("%s %s from %s: %v\n%s", filepath.Base(file), element, enc, err, text)
					}
					if !bytes.Equal(back, msg) {
						t.Fatalf("%s %s: %s round trip changed the message\n%s", filepath.Base(file), element, enc, text)
					}
				}
			}
		}
	}
	t.Logf("%d messages of %d files round-trip through XML and JSON", messages, len(files))
	if messages < 100 {
		t.Fatalf("only %d messages read", messages)
	}
}

// nestedAttributes returns a TTLV item made of depth Structures (Attribute) around a
// Text String.
func nestedAttributes(depth int) []byte {
	item := []byte{0x42, 0x00, 0x0A, byte(ttlv.TypeTextString), 0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 0} // Attribute Name
	for range depth {
		hdr := []byte{0x42, 0x00, 0x08, byte(ttlv.TypeStructure), 0, 0, 0, 0}
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(item)))
		item = append(hdr, item...)
	}
	return item
}

// The nesting bound of the text encodings is exactly MaxDepth, as for TTLV.
func TestEncodingDepthBound(t *testing.T) {
	deepest := nestedAttributes(MaxDepth)
	if err := validate(deepest); err != nil {
		t.Fatal(err)
	}
	tooDeep := nestedAttributes(MaxDepth + 1)
	if validate(tooDeep) == nil {
		t.Fatal("validate accepted nesting beyond MaxDepth")
	}
	for _, enc := range []Encoding{EncodingXML, EncodingJSON} {
		text, err := fromTTLV(enc, deepest)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := toTTLV(enc, text, 1<<20); err != nil || !bytes.Equal(back, deepest) {
			t.Fatalf("%s at MaxDepth: %v", enc, err)
		}
		if _, err := fromTTLV(enc, tooDeep); err == nil {
			t.Fatalf("%s: too deep TTLV converted", enc)
		}
		// One more level, written by hand (the converter refuses to).
		var deeper string
		if enc == EncodingXML {
			deeper = "<Attribute>" + string(text) + "</Attribute>"
		} else {
			deeper = `{"tag":"Attribute","value":[` + string(text) + `]}`
		}
		if _, err := toTTLV(enc, []byte(deeper), 1<<20); err == nil || !strings.Contains(err.Error(), "deeper") {
			t.Fatalf("%s one level too deep: %v", enc, err)
		}
	}
}

// hostileText are inputs each text encoding must reject with an error.
var hostileText = map[Encoding][]string{
	EncodingXML: {
		"",
		"not xml",
		"<RequestMessage>",
		"<RequestMessage></Other>",
		"<RequestMessage/><RequestMessage/>",
		"<RequestMessage/>trailing",
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><RequestMessage/>`,
		strings.Repeat("<RequestMessage>", 1000) + strings.Repeat("</RequestMessage>", 1000),
		strings.Repeat("<a>", 100000),
		`<NoSuchTag/>`,
		`<html><body>hello</body></html>`,
		`<RequestMessage type="Integer" value="x"/>`,
		`<RequestMessage><BatchCount type="Integer" value="99999999999"/></RequestMessage>`,
		`<RequestMessage><BatchCount type="Nope" value="1"/></RequestMessage>`,
		`<RequestMessage><Operation type="Enumeration" value="NoSuchOperation"/></RequestMessage>`,
		`<RequestMessage><KeyMaterial type="ByteString" value="zz"/></RequestMessage>`,
		`<RequestMessage><KeyMaterial type="ByteString" value="0x00"/></RequestMessage>`,
		`<RequestMessage><TimeStamp type="DateTime" value="yesterday"/></RequestMessage>`,
		`<RequestMessage><X type="BigInteger" value="0102"/></RequestMessage>`,
		`<TTLV tag="0xFFFFFFFF" type="Integer" value="1"/>`,
	},
	EncodingJSON: {
		"",
		"null",
		"[]",
		"{}",
		`{"tag":`,
		`{"tag":"RequestMessage","value":[]} {}`,
		strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
		strings.Repeat(`{"tag":"RequestMessage","value":[`, 1000) + strings.Repeat("]}", 1000),
		strings.Repeat("[", 100000),
		`{"tag":"NoSuchTag","value":[]}`,
		`{"tag":"RequestMessage","value":"x"}`,
		`{"tag":"RequestMessage","value":[1]}`,
		`{"tag":"RequestMessage","value":[null]}`,
		`{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Integer","value":true}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Integer","value":"abc"}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"KeyMaterial","type":"ByteString","value":"zz"}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"X","type":"BigInteger","value":"0x01"}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"TimeStamp","type":"DateTime","value":1}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"Operation","type":"Enumeration","value":{}}]}`,
		`{"tag":"RequestMessage","value":[{"tag":"RequestHeader","type":"Structure","value":3}]}`,
		`{"tag":"RequestMessage","type":"Nope","value":1}`,
		`"just a string"`,
	},
}

// Malformed, hostile or non-KMIP text is an error, never a panic, and fails
// fast even when nested 100,000 deep.
func TestEncodingRejectsHostileInput(t *testing.T) {
	for enc, inputs := range hostileText {
		for _, in := range inputs {
			start := time.Now()
			if out, err := toTTLV(enc, []byte(in), 1<<20); err == nil {
				t.Errorf("%s %.60q: accepted as %x", enc, in, out)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("%s %.60q: rejected after %v", enc, in, d)
			}
		}
	}
}

// Input over the size bound is refused before it is parsed.
func TestEncodingSizeBound(t *testing.T) {
	msg := nestedAttributes(2)
	for _, enc := range []Encoding{EncodingTTLV, EncodingXML, EncodingJSON} {
		text, err := fromTTLV(enc, msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := toTTLV(enc, text, len(text)); err != nil {
			t.Fatalf("%s at the bound: %v", enc, err)
		}
		if _, err := toTTLV(enc, text, len(text)-1); err == nil {
			t.Fatalf("%s over the bound accepted", enc)
		}
	}
}

func TestEncodingContentTypes(t *testing.T) {
	for ct, want := range map[string]Encoding{
		"application/octet-stream":        EncodingTTLV,
		"text/xml":                        EncodingXML,
		"text/xml; charset=utf-8":         EncodingXML,
		"application/xml":                 EncodingXML,
		"Application/JSON; charset=UTF-8": EncodingJSON,
	} {
		if got, ok := encodingOf(ct); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", ct, got, ok, want)
		}
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "json", ";;"} {
		if got, ok := encodingOf(ct); ok {
			t.Errorf("%q accepted as %v", ct, got)
		}
	}
	for _, enc := range []Encoding{EncodingTTLV, EncodingXML, EncodingJSON} {
		if got, ok := encodingOf(enc.ContentType()); !ok || got != enc {
			t.Errorf("%v: own Content-Type %q not recognised", enc, enc.ContentType())
		}
	}
}

// FuzzTextToTTLV checks that no input makes the converters panic, and that
// whatever they accept is valid TTLV that converts back.
func FuzzTextToTTLV(f *testing.F) {
	for _, in := range hostileText[EncodingXML] {
		f.Add(false, []byte(in))
	}
	for _, in := range hostileText[EncodingJSON] {
		f.Add(true, []byte(in))
	}
	dv := discoverVersionsRequest(V1_4)
	for _, enc := range []Encoding{EncodingXML, EncodingJSON} {
		text, err := fromTTLV(enc, dv)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc == EncodingJSON, text)
	}
	f.Fuzz(func(t *testing.T, isJSON bool, in []byte) {
		enc := EncodingXML
		if isJSON {
			enc = EncodingJSON
		}
		out, err := toTTLV(enc, in, 1<<16)
		if err != nil {
			return
		}
		if err := validate(out); err != nil {
			t.Fatalf("accepted invalid TTLV: %v", err)
		}
		if _, err := fromTTLV(enc, out); err != nil {
			t.Fatalf("accepted TTLV does not convert back: %v", err)
		}
	})
}

// discoverVersionsRequest is a TTLV DiscoverVersions request in version v.
func discoverVersionsRequest(v Version) []byte {
	b, err := EncodeRequest(&RequestMessage{
		Header: RequestHeader{Version: v},
		Items:  []RequestItem{{Operation: kmip14.OperationDiscoverVersions, Payload: &DiscoverVersionsRequest{}}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkTextRoundTrip measures what the HTTPS transport adds per message
// in a text encoding: request text to TTLV, response TTLV to text.
func BenchmarkTextRoundTrip(b *testing.B) {
	req := discoverVersionsRequest(V1_4)
	var me messageEncoder
	resp, err := me.encodeResponse(&ResponseMessage{
		Header: ResponseHeader{Version: V1_4, TimeStamp: time.Now()},
		Items: []ResponseItem{{Operation: kmip14.OperationDiscoverVersions, Status: kmip14.ResultStatusSuccess,
			Payload: &DiscoverVersionsResponse{Versions: SupportedVersions}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []Encoding{EncodingXML, EncodingJSON} {
		text, err := fromTTLV(enc, req)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(enc.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := toTTLV(enc, text, 1<<20); err != nil {
					b.Fatal(err)
				}
				if _, err := fromTTLV(enc, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Padding to the 8-byte boundary must be zero bytes: any other byte is
// data the decoder would never read.
func TestValidateRejectsNonZeroPadding(t *testing.T) {
	text := []byte{0x42, 0x00, 0x0A, byte(ttlv.TypeTextString), 0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 0}
	integer := []byte{0x42, 0x00, 0x0D, byte(ttlv.TypeInteger), 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0}
	for name, clean := range map[string][]byte{"Text String": text, "Integer": integer} {
		if err := validate(clean); err != nil {
			t.Fatalf("%s with zero padding: %v", name, err)
		}
		for i := len(clean) - 1; clean[i] == 0; i-- { // the padding, back to the value
			dirty := bytes.Clone(clean)
			dirty[i] = 0x01
			if validate(dirty) == nil {
				t.Errorf("%s with a non-zero padding byte at %d accepted", name, i)
			}
		}
	}
}
