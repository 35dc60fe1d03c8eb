package kmip

import (
	"bytes"
	"os"
	"testing"

	"github.com/kmipd/kmipd/kmip/internal/payloadgen"
)

// TestObjectIDsGenerated fails when payloads_objectid.go is not what the
// payload types generate: run go generate ./kmip after changing a payload.
func TestObjectIDsGenerated(t *testing.T) {
	want, err := payloadgen.ObjectIDs(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(payloadgen.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go generate ./kmip", payloadgen.FileName)
	}
}
