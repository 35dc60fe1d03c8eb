package kmip

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"

	"github.com/gemalto/kmip-go/ttlv"
)

// Encoding is a KMIP message encoding: the binary TTLV of the specification,
// or the XML and JSON encodings of the KMIP profiles (XML and JSON profiles,
// versions 1.4 and 2.1), in which every TTLV item is an element or object
// carrying its tag name, type and value.
type Encoding int

// The encodings, each with its media type for the HTTPS profile.
const (
	EncodingTTLV Encoding = iota // application/octet-stream
	EncodingXML                  // text/xml (application/xml is accepted)
	EncodingJSON                 // application/json
)

// String returns "TTLV", "XML" or "JSON".
func (e Encoding) String() string {
	switch e {
	case EncodingTTLV:
		return "TTLV"
	case EncodingXML:
		return "XML"
	case EncodingJSON:
		return "JSON"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ContentType returns the media type that carries e over HTTPS.
func (e Encoding) ContentType() string {
	switch e {
	case EncodingXML:
		return "text/xml"
	case EncodingJSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// encodingOf returns the encoding a Content-Type header names, ignoring
// parameters such as charset; ok is false for any other media type.
func encodingOf(contentType string) (e Encoding, ok bool) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, false
	}
	switch mediaType {
	case "application/octet-stream":
		return EncodingTTLV, true
	case "text/xml", "application/xml":
		return EncodingXML, true
	case "application/json":
		return EncodingJSON, true
	}
	return 0, false
}

// Nesting bounds of the text encodings, matching MaxDepth for TTLV: a TTLV
// item at Structure depth d is an XML element at depth d+1, and a JSON
// object at depth 2d+1 (each Structure adds an object and its value array).
const (
	maxXMLDepth  = MaxDepth + 1
	maxJSONDepth = 2*MaxDepth + 1
)

// toTTLV converts msg, one message in encoding e, to TTLV.
//
// gemalto's XML and JSON readers do the conversion, but they are not
// hardened, so they only see input that is at most max bytes and that a
// streaming pass found syntactically complete, a single value and nested
// within the TTLV bound; a panic in them becomes an error. The result is at
// most max bytes and passed validate. It never aliases msg.
func toTTLV(e Encoding, msg []byte, max int) (out []byte, err error) {
	if len(msg) > max {
		return nil, fmt.Errorf("kmip: %s message of %d bytes, limit %d", e, len(msg), max)
	}
	var t ttlv.TTLV
	switch e {
	case EncodingTTLV:
		t = bytes.Clone(msg)
	case EncodingXML:
		if err := checkXML(msg); err != nil {
			return nil, err
		}
		err = recoverInto(func() error { return xml.Unmarshal(msg, &t) })
	case EncodingJSON:
		if err := checkJSON(msg); err != nil {
			return nil, err
		}
		err = recoverInto(func() error { return json.Unmarshal(msg, &t) })
	default:
		return nil, fmt.Errorf("kmip: unknown %s", e)
	}
	if err != nil {
		return nil, fmt.Errorf("kmip: invalid %s message: %w", e, err)
	}
	if len(t) > max {
		return nil, fmt.Errorf("kmip: %s message converts to %d bytes of TTLV, limit %d", e, len(t), max)
	}
	if err := validate(t); err != nil {
		return nil, fmt.Errorf("kmip: invalid %s message: %w", e, err)
	}
	return t, nil
}

// fromTTLV converts msg, one TTLV message, to encoding e. msg is validated
// first, so that gemalto's writers only see well-formed, depth-limited
// TTLV.
func fromTTLV(e Encoding, msg []byte) (out []byte, err error) {
	if err := validate(msg); err != nil {
		return nil, err
	}
	t := ttlv.TTLV(msg)
	switch e {
	case EncodingTTLV:
		return bytes.Clone(msg), nil
	case EncodingXML:
		err = recoverInto(func() (err error) { out, err = xml.Marshal(t); return err })
	case EncodingJSON:
		err = recoverInto(func() (err error) { out, err = t.MarshalJSON(); return err })
	default:
		return nil, fmt.Errorf("kmip: unknown %s", e)
	}
	if err != nil {
		return nil, fmt.Errorf("kmip: TTLV to %s: %w", e, err)
	}
	return out, nil
}

// checkXML reads msg as a stream of XML tokens and checks that it holds
// exactly one element, nested at most maxXMLDepth deep, with nothing but
// white space, comments and processing instructions around it, and no
// directives (DOCTYPE). It runs in linear time and memory.
func checkXML(msg []byte) error {
	d := xml.NewDecoder(bytes.NewReader(msg))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("kmip: invalid XML message: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return errors.New("kmip: invalid XML message: more than one root element")
				}
			}
			depth++
			if depth > maxXMLDepth {
				return fmt.Errorf("kmip: invalid XML message: elements nested deeper than %d", maxXMLDepth)
			}
		case xml.EndElement:
			depth--
			if depth < 0 {
				return errors.New("kmip: invalid XML message: unbalanced end element")
			}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("kmip: invalid XML message: text outside the root element")
			}
		case xml.Directive:
			return errors.New("kmip: invalid XML message: directives are not accepted")
		}
	}
	if roots == 0 || depth != 0 {
		return errors.New("kmip: invalid XML message: no complete root element")
	}
	return nil
}

// checkJSON reads msg as a stream of JSON tokens and checks that it holds
// exactly one value, with objects and arrays nested at most maxJSONDepth
// deep. It runs in linear time and memory.
func checkJSON(msg []byte) error {
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber() // numbers are only checked here, never converted
	depth, values := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("kmip: invalid JSON message: %w", err)
		}
		if depth == 0 {
			values++
			if values > 1 {
				return errors.New("kmip: invalid JSON message: more than one value")
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxJSONDepth {
				return fmt.Errorf("kmip: invalid JSON message: nested deeper than %d", maxJSONDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	if values == 0 || depth != 0 {
		return errors.New("kmip: invalid JSON message: no complete value")
	}
	return nil
}

// recoverInto calls f and turns a panic in it into an error. It guards the
// calls into gemalto's XML and JSON conversion, which do not check all of
// their input; the panic value is not included, as it may quote the input.
func recoverInto(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("malformed input (conversion panicked)")
		}
	}()
	return f()
}
