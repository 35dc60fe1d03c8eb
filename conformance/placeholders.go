package conformance

import (
	"crypto/rand"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gemalto/kmip-go/ttlv"
	"github.com/google/uuid"
)

// isPlaceholder reports whether a raw XML value is symbolic: $NOW,
// $NOW-3600, $UNIQUE_IDENTIFIER_0, $DATA_1, ...
func isPlaceholder(s string) bool { return len(s) > 1 && s[0] == '$' }

// nowOffset parses $NOW, $NOW+n and $NOW-n (seconds).
func nowOffset(s string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(s, "$NOW")
	if !ok {
		return 0, false
	}
	if rest == "" {
		return 0, true
	}
	n, err := strconv.Atoi(rest)
	if err != nil || (rest[0] != '+' && rest[0] != '-') {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// Bindings holds the values of placeholders bound during one test case. A
// placeholder binds at its first occurrence in a response; later requests
// send the bound value, later responses must equal it. Bindings are not
// safe for concurrent use.
type Bindings struct {
	values  map[string]Value
	order   []string         // names in binding order
	outputs map[string]Value // the latest cryptographic output of each kind a response carried
}

// NewBindings returns empty bindings.
func NewBindings() *Bindings {
	return &Bindings{values: map[string]Value{}, outputs: map[string]Value{}}
}

// outputPlaceholders maps the placeholders of cryptographic outputs to the
// response field that produces them.
var outputPlaceholders = map[string]string{
	"$DATA":                         "Data",
	"$IV_COUNTER_NONCE":             "IVCounterNonce",
	"$MAC_DATA":                     "MACData",
	"$SIGNATURE_DATA":               "SignatureData",
	"$AUTHENTICATED_ENCRYPTION_TAG": "AuthenticatedEncryptionTag",
	"$CORRELATION_VALUE":            "CorrelationValue",
}

// noteOutput records v as the latest value of response field name when it
// is a cryptographic output.
func (b *Bindings) noteOutput(name string, v Value) {
	for _, field := range outputPlaceholders {
		if field == name {
			b.outputs[name] = v
		}
	}
}

// latestOutput returns, for a cryptographic-output placeholder that no
// response bound, the latest value of its field in a response. Some files
// (CS-BC-M-13-14, CS-AC-M-6) answer a literal where they mean the
// placeholder a later request sends; CONFORMANCE.md section 3 rule 4 says
// these outputs feed the later requests, so the actual output does.
func (b *Bindings) latestOutput(name string) (Value, bool) {
	base := name
	if i := strings.LastIndexByte(name, '_'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			base = name[:i]
		}
	}
	field, ok := outputPlaceholders[base]
	if !ok {
		return Value{}, false
	}
	v, ok := b.outputs[field]
	return v, ok
}

// Lookup returns the value bound to a placeholder such as
// $UNIQUE_IDENTIFIER_0.
func (b *Bindings) Lookup(name string) (Value, bool) {
	v, ok := b.values[name]
	return v, ok
}

// Bind binds name to v, or checks v against an earlier binding: binding a
// placeholder again to another value is an error, and so is binding two
// $UNIQUE_IDENTIFIER placeholders to the same object.
func (b *Bindings) Bind(name string, v Value) error {
	if old, ok := b.values[name]; ok {
		if !old.Equal(v) {
			return fmt.Errorf("%s is bound to %s", name, old.Format(0))
		}
		return nil
	}
	if strings.HasPrefix(name, "$UNIQUE_IDENTIFIER") {
		for other, w := range b.values {
			if strings.HasPrefix(other, "$UNIQUE_IDENTIFIER") && w.Equal(v) {
				return fmt.Errorf("the value is already bound to %s", other)
			}
		}
	}
	b.values[name] = v
	b.order = append(b.order, name)
	return nil
}

// Rebind binds name to v, replacing any earlier binding of name; it
// serves the placeholders a file reuses for a new value by design (see
// newStream).
func (b *Bindings) Rebind(name string, v Value) error {
	if _, ok := b.values[name]; ok {
		delete(b.values, name)
		b.order = slices.DeleteFunc(b.order, func(n string) bool { return n == name })
	}
	return b.Bind(name, v)
}

// Names returns the bound placeholder names in binding order.
func (b *Bindings) Names() []string { return append([]string(nil), b.order...) }

// snapshot and restore let a trial comparison (one candidate of an
// attribute bag) bind tentatively.
func (b *Bindings) snapshot() *Bindings {
	return &Bindings{values: maps.Clone(b.values), order: append([]string(nil), b.order...), outputs: maps.Clone(b.outputs)}
}

func (b *Bindings) restore(s *Bindings) { b.values, b.order, b.outputs = s.values, s.order, s.outputs }

// clientChosen matches the placeholders of values the client picks at
// random: $UNIQUE_IDENTIFIER_RANDOM_0 is the identifier TC-IMPEXP-5 has an
// Import give the object, $SHORT_UNIQUE_IDENTIFIER_RANDOM_0 its Short
// Unique Identifier.
var clientChosen = regexp.MustCompile(`^\$[A-Z_]+_RANDOM(_\d+)?$`)

// randomValue returns a fresh random value of typ for a client-chosen
// placeholder: a UUID as text, 32 bytes (the size of a Short Unique
// Identifier, a SHA-256 hash) as bytes.
func randomValue(name string, typ ttlv.Type) (Value, error) {
	switch typ {
	case ttlv.TypeTextString:
		return Value{Type: typ, Text: uuid.NewString()}, nil
	case ttlv.TypeByteString:
		v := Value{Type: typ, Bytes: make([]byte, 32)}
		rand.Read(v.Bytes)
		return v, nil
	}
	return Value{}, fmt.Errorf("client-chosen placeholder %s in a %v", name, typ)
}

// resolver returns the request-side resolution of placeholders: $NOW±n is
// now ± n seconds (a DateTime); a client-chosen placeholder (clientChosen)
// binds to a fresh random value at its first occurrence; any other
// placeholder must be bound.
func (b *Bindings) resolver(now time.Time) resolver {
	return func(name string, typ ttlv.Type) (Value, error) {
		if d, ok := nowOffset(name); ok {
			if typ != ttlv.TypeDateTime {
				return Value{}, fmt.Errorf("%s in a %v", name, typ)
			}
			return Value{Type: ttlv.TypeDateTime, Int: now.Add(d).Unix()}, nil
		}
		v, ok := b.Lookup(name)
		if !ok {
			v, ok = b.latestOutput(name)
		}
		if !ok && clientChosen.MatchString(name) {
			var err error
			if v, err = randomValue(name, typ); err != nil {
				return Value{}, err
			}
			return v, b.Bind(name, v)
		}
		if !ok {
			return Value{}, fmt.Errorf("harness error: placeholder %s used in a request before a response bound it", name)
		}
		return v, nil
	}
}

// dummyResolver resolves every placeholder to a fixed value of its type;
// the parse-only check uses it to convert requests without a server.
func dummyResolver(name string, typ ttlv.Type) (Value, error) {
	v := Value{Type: typ}
	switch typ {
	case ttlv.TypeTextString:
		v.Text = name
	case ttlv.TypeByteString, ttlv.TypeBigInteger:
		v.Bytes = make([]byte, 8)
	case ttlv.TypeStructure:
		return Value{}, fmt.Errorf("placeholder %s as a Structure", name)
	}
	return v, nil
}
