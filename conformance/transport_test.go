package conformance

import (
	"context"
	"testing"

	"github.com/kmipd/kmipd/kmip"
)

func TestTransportFor(t *testing.T) {
	for path, want := range map[string]struct {
		enc   kmip.Encoding
		https bool
	}{
		"v2.1/mandatory/MSGENC-HTTPS-M-1-21.xml":  {kmip.EncodingTTLV, true},
		"v1.4/mandatory/MSGENC-JSON-M-1-14.xml":   {kmip.EncodingJSON, true},
		"/x/v2.1/mandatory/MSGENC-XML-M-1-21.xml": {kmip.EncodingXML, true},
		"v2.1/mandatory/BL-M-1-21.xml":            {0, false},
	} {
		enc, https := transportFor(path)
		if https != want.https || (https && enc != want.enc) {
			t.Errorf("transportFor(%s) = %v, %v; want %v, %v", path, enc, https, want.enc, want.https)
		}
	}
	r := &Runner{}
	if _, err := r.open(context.Background(), "v2.1/mandatory/MSGENC-XML-M-1-21.xml", r.Addr); err == nil {
		t.Error("an MSGENC file opened without an HTTPS address")
	}
}
