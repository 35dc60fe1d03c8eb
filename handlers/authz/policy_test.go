package authz

import (
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"gopkg.in/yaml.v3"
)

// The policy of the README, as kmipd.yaml gives it, is valid and means what
// it says.
func TestPolicyYAML(t *testing.T) {
	const doc = `
tenants:
  acme:
    identities: ["CN=array-1,O=acme", "CN=array-2,O=acme", "CN=operator,O=acme"]
roles:
  storage-array: {operations: [create, get, get_attributes, locate, activate]}
  operator: {operations: ["*"], tenant_wide: true}
  reader: {operations: [get]}
bindings:
  - {identity: "CN=array-1,O=acme", role: storage-array}
  - {identity: "CN=array-2,O=acme", role: storage-array}
  - {identity: "CN=operator,O=acme", role: operator}
default_role: reader
`
	var p Policy
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	a, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	array := a.Principal("CN=array-1,O=acme")
	if array.owner != "tenant:acme" || array.tenantWide || !array.ops[kmip14.OperationGetAttributes] || array.MayCall(kmip14.OperationDestroy) == nil {
		t.Errorf("array: %+v", array)
	}
	if op := a.Principal("CN=operator,O=acme"); !op.tenantWide || op.MayCall(kmip14.OperationDestroy) != nil {
		t.Errorf("operator: %+v", op)
	}
	stranger := a.Principal("CN=stranger")
	if stranger.owner != "CN=stranger" || stranger.MayCall(kmip14.OperationGet) != nil || stranger.MayCall(kmip14.OperationCreate) == nil {
		t.Errorf("stranger (default role reader, own tenant): %+v", stranger)
	}
}
