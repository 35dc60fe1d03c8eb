package conformance

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/ttlv"
	"github.com/google/uuid"
)

// node parses an XML fragment.
func node(t *testing.T, xml string) *Node {
	t.Helper()
	n, err := parseTree(strings.NewReader(xml))
	if err != nil {
		t.Fatalf("parse %q: %v", xml, err)
	}
	return n
}

// item encodes an XML fragment with literal values and decodes it, as a
// server response would arrive.
func item(t *testing.T, xml string) *Item {
	t.Helper()
	b, err := encodeRequest(node(t, xml), dummyResolver)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	it, err := decodeTTLV(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return it
}

// response wraps batch item contents in a one-item 2.1 response message.
func response(item string) string {
	return `<ResponseMessage><ResponseHeader>
	  <ProtocolVersion><ProtocolVersionMajor type="Integer" value="2"/><ProtocolVersionMinor type="Integer" value="1"/></ProtocolVersion>
	  <TimeStamp type="DateTime" value="2026-01-01T00:00:00Z"/>
	  <BatchCount type="Integer" value="1"/></ResponseHeader>
	  <BatchItem>` + item + `</BatchItem></ResponseMessage>`
}

func request(op, payload string) string {
	return `<RequestMessage><RequestHeader>
	  <ProtocolVersion><ProtocolVersionMajor type="Integer" value="2"/><ProtocolVersionMinor type="Integer" value="1"/></ProtocolVersion>
	  <BatchCount type="Integer" value="1"/></RequestHeader>
	  <BatchItem><Operation type="Enumeration" value="` + op + `"/><RequestPayload>` + payload + `</RequestPayload></BatchItem></RequestMessage>`
}

const getAttrsExpected = `<Operation type="Enumeration" value="GetAttributes"/>
	<ResultStatus type="Enumeration" value="Success"/>
	<ResponsePayload>
	  <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
	  <Attributes>
	    <State type="Enumeration" value="PreActive"/>
	    <CryptographicUsageMask type="Integer" value="Decrypt Encrypt"/>
	    <InitialDate type="DateTime" value="$NOW"/>
	    <Name><NameValue type="TextString" value="k1"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
	  </Attributes>
	</ResponsePayload>`

// compareOne compares one expected response with one actual response to a
// request of op with an empty payload.
func compareOne(t *testing.T, b *Bindings, relaxed bool, op, expected, actual string) error {
	t.Helper()
	return compareTo(t, b, relaxed, request(op, ""), expected, actual)
}

// compareTo compares one expected response with one actual response to the
// request message req.
func compareTo(t *testing.T, b *Bindings, relaxed bool, req, expected, actual string) error {
	t.Helper()
	tc := &TestCase{Pairs: []Pair{{Request: node(t, req), Response: node(t, response(expected))}}}
	if b == nil {
		b = NewBindings()
	}
	return newComparer(b, relaxed).message(tc.Pairs[0].Request, tc.Pairs[0].Response, item(t, response(actual)))
}

func TestCompareAttributeBag(t *testing.T) {
	cases := []struct {
		name, actual string
		wantErr      string // substring; "" means the comparison passes
	}{
		{"same", strings.ReplaceAll(getAttrsExpected, "$UNIQUE_IDENTIFIER_0", "uid-1"), ""},
		{"permuted, masks in another order, extra attribute", `<Operation type="Enumeration" value="GetAttributes"/>
			<ResultStatus type="Enumeration" value="Success"/>
			<ResponsePayload><UniqueIdentifier type="TextString" value="uid-1"/><Attributes>
			  <Name><NameValue type="TextString" value="k1"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
			  <ObjectType type="Enumeration" value="SymmetricKey"/>
			  <InitialDate type="DateTime" value="2030-05-05T10:00:00+02:00"/>
			  <CryptographicUsageMask type="Integer" value="0x0000000C"/>
			  <State type="Enumeration" value="PreActive"/>
			</Attributes></ResponsePayload>`, ""},
		{"wrong state", strings.NewReplacer("$UNIQUE_IDENTIFIER_0", "uid-1", `"PreActive"`, `"Active"`).Replace(getAttrsExpected),
			"BatchItem[0]/ResponsePayload/Attributes/State: expected PreActive, got Active"},
		{"missing attribute", `<Operation type="Enumeration" value="GetAttributes"/>
			<ResultStatus type="Enumeration" value="Success"/>
			<ResponsePayload><UniqueIdentifier type="TextString" value="uid-1"/><Attributes>
			  <State type="Enumeration" value="PreActive"/>
			  <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>
			  <InitialDate type="DateTime" value="2030-05-05T10:00:00Z"/>
			</Attributes></ResponsePayload>`, "Attributes/Name: expected Name, got none"},
		{"mask differs", strings.NewReplacer("$UNIQUE_IDENTIFIER_0", "uid-1", `"Decrypt Encrypt"`, `"Encrypt"`).Replace(getAttrsExpected),
			"CryptographicUsageMask: expected Encrypt|Decrypt, got Encrypt"},
		{"name value differs", strings.NewReplacer("$UNIQUE_IDENTIFIER_0", "uid-1", `"k1"`, `"k2"`).Replace(getAttrsExpected),
			`Attributes/Name/NameValue: expected "k1", got "k2"`},
		{"date of another type", strings.NewReplacer("$UNIQUE_IDENTIFIER_0", "uid-1", `type="DateTime" value="$NOW"`, `type="LongInteger" value="5"`).Replace(getAttrsExpected),
			"InitialDate: expected type DateTime, got LongInteger"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := compareOne(t, nil, false, "GetAttributes", getAttrsExpected, c.actual)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected mismatch: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("got %v, want a mismatch containing %q", err, c.wantErr)
			}
		})
	}
}

func TestCompareV1AttributeList(t *testing.T) {
	expected := `<Operation type="Enumeration" value="GetAttributes"/>
	<ResultStatus type="Enumeration" value="Success"/>
	<ResponsePayload>
	  <UniqueIdentifier type="TextString" value="uid-1"/>
	  <Attribute><AttributeName type="TextString" value="State"/><AttributeValue type="Enumeration" value="PreActive"/></Attribute>
	  <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Decrypt Encrypt"/></Attribute>
	</ResponsePayload>`
	reordered := `<Operation type="Enumeration" value="GetAttributes"/>
	<ResultStatus type="Enumeration" value="Success"/>
	<ResponsePayload>
	  <UniqueIdentifier type="TextString" value="uid-1"/>
	  <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="12"/></Attribute>
	  <Attribute><AttributeName type="TextString" value="Object Type"/><AttributeValue type="Enumeration" value="SymmetricKey"/></Attribute>
	  <Attribute><AttributeName type="TextString" value="State"/><AttributeValue type="Enumeration" value="PreActive"/></Attribute>
	</ResponsePayload>`
	if err := compareOne(t, nil, false, "GetAttributes", expected, reordered); err != nil {
		t.Fatalf("reordered list with an extra attribute: %v", err)
	}
	active := strings.Replace(reordered, `value="PreActive"`, `value="Active"`, 1)
	err := compareOne(t, nil, false, "GetAttributes", expected, active)
	if err == nil || !strings.Contains(err.Error(), "Attribute[0]/AttributeValue: expected PreActive, got Active") {
		t.Fatalf("got %v, want the State value named as the mismatch", err)
	}
}

func TestCompareResult(t *testing.T) {
	failure := func(reason string) string {
		return `<Operation type="Enumeration" value="Destroy"/>
		<ResultStatus type="Enumeration" value="OperationFailed"/>
		<ResultReason type="Enumeration" value="` + reason + `"/>
		<ResultMessage type="TextString" value="DENIED"/>`
	}
	expected := failure("PermissionDenied")
	if err := compareOne(t, nil, false, "Destroy", expected, strings.Replace(failure("PermissionDenied"), "DENIED", "other text", 1)); err != nil {
		t.Errorf("ResultMessage must be ignored: %v", err)
	}
	err := compareOne(t, nil, false, "Destroy", expected, failure("WrongKeyLifecycleState"))
	if err == nil || !strings.Contains(err.Error(), "ResultReason: expected PermissionDenied, got WrongKeyLifecycleState") {
		t.Errorf("wrong reason: got %v", err)
	}
	if err := compareOne(t, nil, true, "Destroy", expected, failure("WrongKeyLifecycleState")); err != nil {
		t.Errorf("relaxed reasons must accept another failure reason: %v", err)
	}
	success := `<Operation type="Enumeration" value="Destroy"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="u"/></ResponsePayload>`
	if err := compareOne(t, nil, true, "Destroy", expected, success); err == nil {
		t.Error("relaxed reasons accepted Success where a failure was expected")
	}
}

func TestPlaceholderBinding(t *testing.T) {
	b := NewBindings()
	created := `<Operation type="Enumeration" value="Create"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><ObjectType type="Enumeration" value="SymmetricKey"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/></ResponsePayload>`
	actual := func(uid string) string { return strings.Replace(created, "$UNIQUE_IDENTIFIER_0", uid, 1) }
	if err := compareOne(t, b, false, "Create", created, actual("uid-1")); err != nil {
		t.Fatal(err)
	}
	if v, ok := b.Lookup("$UNIQUE_IDENTIFIER_0"); !ok || v.Text != "uid-1" {
		t.Fatalf("$UNIQUE_IDENTIFIER_0 bound to %+v, %v", v, ok)
	}
	if err := compareOne(t, b, false, "Create", created, actual("uid-1")); err != nil {
		t.Errorf("the bound value again: %v", err)
	}
	if err := compareOne(t, b, false, "Create", created, actual("uid-2")); err == nil {
		t.Error("a bound placeholder accepted another value")
	}
	other := strings.Replace(created, "$UNIQUE_IDENTIFIER_0", "$UNIQUE_IDENTIFIER_1", 1)
	if err := compareOne(t, b, false, "Create", other, actual("uid-1")); err == nil {
		t.Error("two UID placeholders bound to one object")
	}

	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	resolve := b.resolver(now)
	if v, err := resolve("$NOW-3600", ttlv.TypeDateTime); err != nil || v.Int != now.Add(-time.Hour).Unix() {
		t.Errorf("$NOW-3600 = %v, %v", v, err)
	}
	if v, err := resolve("$UNIQUE_IDENTIFIER_0", ttlv.TypeTextString); err != nil || v.Text != "uid-1" {
		t.Errorf("$UNIQUE_IDENTIFIER_0 = %v, %v", v, err)
	}
	if _, err := resolve("$UNIQUE_IDENTIFIER_7", ttlv.TypeTextString); err == nil {
		t.Error("an unbound placeholder resolved in a request")
	}
	req := node(t, request("Destroy", `<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>`))
	if _, err := encodeRequest(req, resolve); err != nil {
		t.Errorf("encode with a bound UID: %v", err)
	}

	// A client-chosen placeholder binds, in the request that first sends
	// it, to a fresh random value, which later requests and responses use.
	const random = "$UNIQUE_IDENTIFIER_RANDOM_0"
	imp := node(t, request("Import", `<UniqueIdentifier type="TextString" value="`+random+`"/>
		<Attributes><UniqueIdentifier type="TextString" value="`+random+`"/>
		<ShortUniqueIdentifier type="ByteString" value="$SHORT_UNIQUE_IDENTIFIER_RANDOM_0"/></Attributes>`))
	if _, err := encodeRequest(imp, resolve); err != nil {
		t.Fatalf("encode with a client-chosen UID: %v", err)
	}
	uid, ok := b.Lookup(random)
	if _, err := uuid.Parse(uid.Text); !ok || err != nil {
		t.Fatalf("%s bound to %+v (%v), want a UUID", random, uid, err)
	}
	if suid, _ := b.Lookup("$SHORT_UNIQUE_IDENTIFIER_RANDOM_0"); len(suid.Bytes) != 32 {
		t.Errorf("$SHORT_UNIQUE_IDENTIFIER_RANDOM_0 bound to %x, want 32 bytes", suid.Bytes)
	}
	if v, err := b.resolver(now)(random, ttlv.TypeTextString); err != nil || v.Text != uid.Text {
		t.Errorf("%s again = %v, %v; want %q", random, v, err, uid.Text)
	}
	if _, err := b.resolver(now)("$UNIQUE_IDENTIFIER_RANDOM_1", ttlv.TypeInteger); err == nil {
		t.Error("a client-chosen Integer resolved")
	}
}

// TestDerivedKeyMaterial checks that the material of a key derived from a
// registered key compares exactly, and that of a key derived from a
// server-generated one does not.
func TestDerivedKeyMaterial(t *testing.T) {
	made := func(op string) string {
		return `<Operation type="Enumeration" value="` + op + `"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/></ResponsePayload>`
	}
	derived := `<Operation type="Enumeration" value="DeriveKey"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_1"/></ResponsePayload>`
	derive := request("DeriveKey", `<ObjectType type="Enumeration" value="SymmetricKey"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>`)
	got := func(material string) string {
		return `<Operation type="Enumeration" value="Get"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><ObjectType type="Enumeration" value="SymmetricKey"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_1"/>
		<SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
		<KeyValue><KeyMaterial type="ByteString" value="` + material + `"/></KeyValue></KeyBlock></SymmetricKey></ResponsePayload>`
	}
	get := request("Get", `<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_1"/>`)
	for _, tc := range []struct {
		base      string
		wantMatch bool // whether the material must equal the expected one
	}{
		{"Register", true},
		{"Create", false},
	} {
		b := NewBindings()
		c := newComparer(b, false)
		bind := func(req, expected, actual string) error {
			return c.message(node(t, req), node(t, response(expected)), item(t, response(actual)))
		}
		if err := bind(request(tc.base, ""), made(tc.base), strings.Replace(made(tc.base), "$UNIQUE_IDENTIFIER_0", "base", 1)); err != nil {
			t.Fatal(err)
		}
		if err := bind(derive, derived, strings.Replace(derived, "$UNIQUE_IDENTIFIER_1", "derived", 1)); err != nil {
			t.Fatal(err)
		}
		err := bind(get, got("a8faed6abbf35c12a4b26e40f6feb19d"), strings.Replace(got("00112233445566778899aabbccddeeff"), "$UNIQUE_IDENTIFIER_1", "derived", 1))
		if (err != nil) != tc.wantMatch {
			t.Errorf("key derived from a %s key: other material: err = %v", tc.base, err)
		}
	}
}

// TestServerDateFixedByEarlierRequest checks that a literal server date in
// a response is compared only once a request has sent that literal.
func TestServerDateFixedByEarlierRequest(t *testing.T) {
	const fixed = "2018-12-19T19:24:26+10:00"
	expected := `<Operation type="Enumeration" value="GetAttributes"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="k"/>
		<Attributes><InitialDate type="DateTime" value="` + fixed + `"/></Attributes></ResponsePayload>`
	actual := strings.Replace(expected, fixed, "2030-01-01T00:00:00Z", 1)
	c := newComparer(NewBindings(), false)
	compare := func(req string) error {
		return c.message(node(t, req), node(t, response(expected)), item(t, response(actual)))
	}
	if err := compare(request("GetAttributes", `<UniqueIdentifier type="TextString" value="k"/>`)); err != nil {
		t.Errorf("a date the server chose, before any request sent it: %v", err)
	}
	imp := request("Import", `<UniqueIdentifier type="TextString" value="k"/><Attributes><InitialDate type="DateTime" value="`+fixed+`"/></Attributes>`)
	if err := compare(imp); err == nil {
		t.Error("a date the request fixed differs, and the comparison passed")
	}
}

// TestCorrelationValuePerStream checks that $CORRELATION_VALUE binds anew
// in the answer to a request that begins a stream (Init Indicator), and
// must keep its value within a stream.
func TestCorrelationValuePerStream(t *testing.T) {
	b := NewBindings()
	part := func(cv string) string {
		return `<Operation type="Enumeration" value="MAC"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="k"/><CorrelationValue type="ByteString" value="` + cv + `"/></ResponsePayload>`
	}
	init := request("MAC", `<UniqueIdentifier type="TextString" value="k"/><Data type="ByteString" value="01"/><InitIndicator type="Boolean" value="true"/>`)
	next := request("MAC", `<UniqueIdentifier type="TextString" value="k"/><Data type="ByteString" value="02"/><CorrelationValue type="ByteString" value="$CORRELATION_VALUE"/>`)
	const placeholder = "$CORRELATION_VALUE"
	steps := []struct {
		name, req, cv string
		ok            bool
	}{
		{"first stream begins", init, "aa", true},
		{"its next part, same value", next, "aa", true},
		{"its next part, another value", next, "bb", false},
		{"second stream begins", init, "cc", true},
		{"its next part, same value", next, "cc", true},
		{"its next part, the first stream's value", next, "aa", false},
	}
	for _, s := range steps {
		err := compareTo(t, b, false, s.req, part(placeholder), part(s.cv))
		if (err == nil) != s.ok {
			t.Errorf("%s (%s): err = %v", s.name, s.cv, err)
		}
	}
	if v, _ := b.Lookup(placeholder); hex.EncodeToString(v.Bytes) != "cc" {
		t.Errorf("%s bound to %x, want cc", placeholder, v.Bytes)
	}
	if got := b.Names(); len(got) != 1 || got[0] != placeholder {
		t.Errorf("bound names %q, want only %s", got, placeholder)
	}
}

func TestConvertNotations(t *testing.T) {
	cases := []struct {
		xml  string
		want Value
	}{
		{`<CryptographicUsageMask type="Integer" value="Sign 0x0000000c"/>`, Value{Type: ttlv.TypeInteger, Int: 0x01 | 0x0c}},
		{`<ObjectType type="Enumeration" value="0x00000002"/>`, Value{Type: ttlv.TypeEnumeration, Int: 2}},
		{`<ActivationDate type="DateTime" value="2012-04-27T10:12:00+02:00"/>`, Value{Type: ttlv.TypeDateTime, Int: time.Date(2012, 4, 27, 8, 12, 0, 0, time.UTC).Unix()}},
		{`<UsageLimitsCount type="LongInteger" value="-5"/>`, Value{Type: ttlv.TypeLongInteger, Int: -5}},
		{`<CryptographicLength type="Interval" value="3600"/>`, Value{Type: ttlv.TypeInterval, Int: 3600}},
		{`<KeyMaterial type="ByteString" value="0102"/>`, Value{Type: ttlv.TypeByteString, Bytes: []byte{1, 2}}},
	}
	for _, c := range cases {
		it := item(t, c.xml)
		if !it.Value.Equal(c.want) {
			t.Errorf("%s: got %+v, want %+v", c.xml, it.Value, c.want)
		}
	}
	// The generic form names an extension tag in hex.
	if it := item(t, `<TTLV tag="0x54FFFF" type="Integer" value="7"/>`); it.Tag != 0x54FFFF || it.Value.Int != 7 {
		t.Errorf("generic TTLV element: tag %v value %d", it.Tag, it.Value.Int)
	}
	// A 1.x AttributeValue enum resolves through the AttributeName.
	it := item(t, `<Attribute><AttributeName type="TextString" value="State"/><AttributeValue type="Enumeration" value="PreActive"/></Attribute>`)
	if got := it.Children[1].Value.Int; got != 1 {
		t.Errorf("State PreActive encoded as %d, want 1", got)
	}
	for _, bad := range []string{
		`<State type="Enumeration" value="NoSuchState"/>`,
		`<KeyMaterial type="ByteString" value="zz"/>`,
		`<ActivationDate type="DateTime" value="2012-04-27T10:12:00"/>`,
		`<NoSuchTag type="Integer" value="1"/>`,
	} {
		if _, err := encodeRequest(node(t, bad), dummyResolver); err == nil {
			t.Errorf("%s converted without error", bad)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	b, _ := encodeRequest(node(t, `<RequestPayload><UniqueIdentifier type="TextString" value="abc"/></RequestPayload>`), dummyResolver)
	for i := range b {
		if _, err := decodeTTLV(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", i)
		}
	}
	deep := []byte{}
	for i := 0; i < 100; i++ {
		deep = append(deep, 0x42, 0x00, 0x79, 0x01, 0, 0, 0, 0)
	}
	if _, err := decodeTTLV(deep); err == nil {
		t.Error("deeply nested input decoded")
	}
}

// TestCorruptedVectorFails runs a passing vector against kmipd, then
// copies of it with one expected value changed (in a temporary directory;
// vectors never enter the repository): each copy must fail.
func TestCorruptedVectorFails(t *testing.T) {
	dir := vectorsDir(t)
	const file = "v2.1/mandatory/SKFF-M-1-21.xml"
	orig, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, t.TempDir())
	r := &Runner{Addr: d.addr, TLS: d.tlsConfig(t)}
	if res := r.RunFile(context.Background(), filepath.Join(dir, file)); res.Status != Pass {
		t.Fatalf("original: %v", res)
	}
	respObjectType := `<ResultStatus type="Enumeration" value="Success"/>
    <ResponsePayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>`
	corruptions := map[string][2]string{
		"object type":   {respObjectType, strings.Replace(respObjectType, "SymmetricKey", "SecretData", 1)},
		"result status": {`<ResultStatus type="Enumeration" value="Success"/>`, `<ResultStatus type="Enumeration" value="OperationFailed"/>`},
		"second UID name": {`<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
    </ResponsePayload>
  </BatchItem>
</ResponseMessage>

</KMIP>`, `<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_1"/>
    </ResponsePayload>
  </BatchItem>
</ResponseMessage>

</KMIP>`},
	}
	for name, c := range corruptions {
		if !strings.Contains(string(orig), c[0]) {
			t.Fatalf("%s: %s does not contain the text to corrupt", name, file)
		}
		p := filepath.Join(t.TempDir(), "corrupt.xml")
		if err := os.WriteFile(p, []byte(strings.Replace(string(orig), c[0], c[1], 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if res := r.RunFile(context.Background(), p); res.Status != Fail {
			t.Errorf("%s: %v, want FAIL", name, res)
		} else {
			t.Logf("%s: %s", name, res.Reason)
		}
	}
}

func TestBigIntegerEqualIgnoresPadding(t *testing.T) {
	parse := func(hex string) Value {
		b, err := parseBigInteger(hex)
		if err != nil {
			t.Fatal(err)
		}
		return Value{Type: ttlv.TypeBigInteger, Bytes: b}
	}
	if !parse("7ca682ce8e12caba").Equal(parse("00000000000000007ca682ce8e12caba")) {
		t.Error("an over-padded Big Integer differs from the same number")
	}
	if parse("7ca682ce8e12caba").Equal(parse("7ca682ce8e12cabb")) {
		t.Error("different Big Integers compare equal")
	}
	// The sign bit counts: fc... on 8 bytes is negative, 00..fc... positive.
	if parse("fca682ce8e12caba").Equal(parse("0000000000000000fca682ce8e12caba")) {
		t.Error("a negative Big Integer equals a positive one")
	}
}

// TestRestartStep checks where a Restart element may stand in a vector
// file, and that a runner without a way to restart fails such a file.
func TestRestartStep(t *testing.T) {
	req := request("Query", "")
	resp := response(`<Operation type="Enumeration" value="Query"/><ResultStatus type="Enumeration" value="Success"/><ResponsePayload/>`)
	for _, c := range []struct {
		name, body string
		restarts   []bool // of each pair; nil: a parse error
	}{
		{"between round trips", req + resp + `<Restart/>` + req + resp, []bool{false, true}},
		{"none", req + resp, []bool{false}},
		{"first", `<Restart/>` + req + resp, nil},
		{"last", req + resp + `<Restart/>`, nil},
		{"between request and response", req + `<Restart/>` + resp, nil},
		{"not empty", req + resp + `<Restart><Query/></Restart>` + req + resp, nil},
	} {
		tc, err := ParseTestCase(strings.NewReader("<KMIP>" + c.body + "</KMIP>"))
		if c.restarts == nil {
			if err == nil {
				t.Errorf("%s: parsed", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for i, p := range tc.Pairs {
			if p.Restart != c.restarts[i] {
				t.Errorf("%s: pair %d Restart = %v", c.name, i, p.Restart)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "restart.xml")
	if err := os.WriteFile(p, []byte("<KMIP>"+req+resp+`<Restart/>`+req+resp+"</KMIP>"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, t.TempDir())
	r := &Runner{Addr: d.addr, TLS: d.tlsConfig(t)}
	if res := r.RunFile(context.Background(), p); res.Status != Fail || !strings.Contains(res.Reason, "step=1: the file restarts the server") {
		t.Errorf("without Runner.Restart: %v", res)
	}
}

// TestEchoedBatchItemID checks that a response item must answer the
// Unique Batch Item ID of its request item, when the request gave one.
func TestEchoedBatchItemID(t *testing.T) {
	withID := func(id string) string {
		return strings.Replace(request("Query", ""), `<Operation type="Enumeration" value="Query"/>`,
			`<Operation type="Enumeration" value="Query"/><UniqueBatchItemID type="ByteString" value="`+id+`"/>`, 1)
	}
	item := func(id string) string {
		s := `<Operation type="Enumeration" value="Query"/>`
		if id != "" {
			s += `<UniqueBatchItemID type="ByteString" value="` + id + `"/>`
		}
		return s + `<ResultStatus type="Enumeration" value="Success"/><ResponsePayload/>`
	}
	expected := item("01")
	for _, c := range []struct {
		name, req, actual string
		ok                bool
	}{
		{"echoed", withID("514c4b4301000000"), item("514c4b4301000000"), true},
		{"another", withID("514c4b4301000000"), item("514c4b4302000000"), false},
		{"missing", withID("514c4b4301000000"), item(""), false},
		{"none asked", request("Query", ""), item(""), true},
	} {
		exp := expected
		if c.name == "none asked" {
			exp = item("")
		}
		err := compareTo(t, nil, false, c.req, exp, c.actual)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

// TestDecryptOfServerCiphertext checks that the plaintext a Decrypt under
// a server-generated key answers is compared when the ciphertext is the
// server's own ($DATA), and not when it is a literal of the file.
func TestDecryptOfServerCiphertext(t *testing.T) {
	create := `<Operation type="Enumeration" value="Create"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><ObjectType type="Enumeration" value="SymmetricKey"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/></ResponsePayload>`
	encrypted := `<Operation type="Enumeration" value="Encrypt"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/><Data type="ByteString" value="$DATA"/></ResponsePayload>`
	decrypted := func(plain string) string {
		return `<Operation type="Enumeration" value="Decrypt"/><ResultStatus type="Enumeration" value="Success"/>
		<ResponsePayload><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/><Data type="ByteString" value="` + plain + `"/></ResponsePayload>`
	}
	decrypt := func(data string) string {
		return request("Decrypt", `<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/><Data type="ByteString" value="`+data+`"/>`)
	}
	for _, c := range []struct {
		data      string
		wantMatch bool
	}{{"$DATA", true}, {"c0ffee", false}} {
		c0 := newComparer(NewBindings(), false)
		steps := []struct{ req, exp, got string }{
			{request("Create", ""), create, strings.Replace(create, "$UNIQUE_IDENTIFIER_0", "k", 1)},
			{request("Encrypt", `<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/><Data type="ByteString" value="0102"/>`),
				encrypted, strings.NewReplacer("$UNIQUE_IDENTIFIER_0", "k", "$DATA", "aabb").Replace(encrypted)},
		}
		for _, s := range steps {
			if err := c0.message(node(t, s.req), node(t, response(s.exp)), item(t, response(s.got))); err != nil {
				t.Fatal(err)
			}
		}
		err := c0.message(node(t, decrypt(c.data)), node(t, response(decrypted("0102"))),
			item(t, response(strings.Replace(decrypted("0303"), "$UNIQUE_IDENTIFIER_0", "k", 1))))
		if (err != nil) != c.wantMatch {
			t.Errorf("Decrypt of %s answering other plaintext: err = %v", c.data, err)
		}
	}
}
