package kmip

import (
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// fullQueryResponse answers every Query Function.
func fullQueryResponse() *QueryResponse {
	yes, no := true, false
	return &QueryResponse{
		Operations:             []Operation{kmip14.OperationQuery},
		ObjectTypes:            []ObjectType{kmip14.ObjectTypeSymmetricKey},
		Extensions:             VendorExtensions(),
		AttestationTypes:       []AttestationType{AttestationType(kmip14.AttestationTypeTPMQuote)},
		RNGs:                   []RNGParameters{{RNGAlgorithm: uint32(kmip14.RNGAlgorithmDRBG), DRBGAlgorithm: uint32(kmip14.DRBGAlgorithmHMAC), HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}},
		Profiles:               []ProfileInformation{{Name: ProfileName(kmip14.ProfileNameRNGCryptographicServerKMIPV1_4), Version: &Version{2, 1}}},
		Validations:            []ValidationInformation{{AuthorityType: 2, VersionMajor: 140, VersionMinor: 3, Type: 3, Level: 1, CertificateIdentifier: "A1"}},
		Capabilities:           []CapabilityInformation{{Streaming: &yes, Asynchronous: &no, BatchUndo: &yes, DestroyAction: 3, RNGMode: 2, QuantumSafe: &yes}},
		ClientRegistration:     []ClientRegistrationMethod{ClientRegistrationMethod(kmip14.ClientRegistrationMethodClientGenerated)},
		Defaults:               &DefaultsInformation{ObjectDefaults: []ObjectDefaults{{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: Attributes{{Name: AttrExtractable, Value: true}}}}},
		ProtectionStorageMasks: []int32{1},
	}
}

// gemaltoQuery is a Query response payload as gemalto/kmip-go's
// ttlv.Unmarshal reads it (fields named by the tags of its registry).
type gemaltoQuery struct {
	Operation            []kmip14.Operation
	ExtensionInformation []struct {
		ExtensionName string
		ExtensionTag  int32
		ExtensionType int32
	}
	AttestationType []kmip14.AttestationType
	RNGParameters   []struct {
		RNGAlgorithm     kmip14.RNGAlgorithm
		DRBGAlgorithm    kmip14.DRBGAlgorithm
		HashingAlgorithm kmip14.HashingAlgorithm
	}
	ProfileInformation []struct {
		ProfileName    kmip14.ProfileName
		ProfileVersion *struct{ ProfileVersionMajor, ProfileVersionMinor int32 }
	}
	ValidationInformation []struct {
		ValidationVersionMajor int32
		ValidationLevel        int32
	}
	CapabilityInformation []struct {
		StreamingCapability   bool
		BatchUndoCapability   *bool
		DestroyAction         kmip14.DestroyAction
		RNGMode               kmip14.RNGMode
		QuantumSafeCapability *bool
	}
	ClientRegistrationMethod []kmip14.ClientRegistrationMethod
	DefaultsInformation      *struct {
		ObjectDefaults []struct {
			ObjectType kmip14.ObjectType
			Attributes struct{ Extractable bool }
		}
	}
	ProtectionStorageMasks *struct{ ProtectionStorageMask []int32 }
}

// TestQueryInfoVersions encodes every Query answer in every version,
// decodes the bytes with gemalto/kmip-go's ttlv.Unmarshal, and checks that
// each field appears exactly in the versions that define it.
func TestQueryInfoVersions(t *testing.T) {
	for _, v := range SupportedVersions {
		b := encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
				return encodeQueryResponse(e, v, fullQueryResponse())
			})
		})
		var g gemaltoQuery
		if err := ttlv.Unmarshal(b, &g); err != nil {
			t.Fatalf("%v: gemalto ttlv.Unmarshal: %v\n%s", v, err, ttlv.TTLV(b))
		}
		at := v.AtLeast
		check := func(field string, got, want bool) {
			if got != want {
				t.Errorf("%v: %s present = %v, want %v\n%s", v, field, got, want, ttlv.TTLV(b))
			}
		}
		check("Extension Information", len(g.ExtensionInformation) == 4, at(V1_1))
		if at(V1_1) && (g.ExtensionInformation[0].ExtensionTag != int32(TagBackupFunction) || g.ExtensionInformation[0].ExtensionType != int32(ttlv.TypeEnumeration)) {
			t.Errorf("%v: extension %+v", v, g.ExtensionInformation[0])
		}
		check("Attestation Type", len(g.AttestationType) == 1, at(V1_2))
		check("RNG Parameters", len(g.RNGParameters) == 1 && g.RNGParameters[0].DRBGAlgorithm == kmip14.DRBGAlgorithmHMAC, at(V1_3))
		check("Profile Information", len(g.ProfileInformation) == 1, at(V1_3))
		check("Validation Information", len(g.ValidationInformation) == 1 && g.ValidationInformation[0].ValidationVersionMajor == 140, at(V1_3))
		check("Capability Information", len(g.CapabilityInformation) == 1 && g.CapabilityInformation[0].StreamingCapability, at(V1_3))
		check("Client Registration Method", len(g.ClientRegistrationMethod) == 1, at(V1_3))
		if at(V1_3) {
			c := g.CapabilityInformation[0]
			check("Batch Undo Capability", c.BatchUndoCapability != nil, at(V1_4))
			check("Quantum Safe Capability", c.QuantumSafeCapability != nil, v.Is2x())
			check("Profile Version", g.ProfileInformation[0].ProfileVersion != nil, v.Is2x())
		}
		check("Defaults Information", g.DefaultsInformation != nil && len(g.DefaultsInformation.ObjectDefaults) == 1 && g.DefaultsInformation.ObjectDefaults[0].Attributes.Extractable, v.Is2x())
		check("Protection Storage Masks", g.ProtectionStorageMasks != nil && len(g.ProtectionStorageMasks.ProtectionStorageMask) == 1, v.Is2x())

		got, err := decodeResponsePayload(kmip14.OperationQuery, v, b)
		if err != nil {
			t.Fatalf("%v: decode: %v", v, err)
		}
		if v == V2_1 && !reflect.DeepEqual(got, fullQueryResponse()) {
			t.Errorf("2.1 round trip:\n got %+v\nwant %+v", got, fullQueryResponse())
		}
	}
}

// TestQueryFunctionSince follows the Query Function enumeration's history.
func TestQueryFunctionSince(t *testing.T) {
	for f, want := range map[QueryFunction]Version{
		kmip14.QueryFunctionQueryOperations:                            V1_0,
		kmip14.QueryFunctionQueryApplicationNamespaces:                 V1_0,
		kmip14.QueryFunctionQueryExtensionMap:                          V1_1,
		kmip14.QueryFunctionQueryAttestationTypes:                      V1_2,
		kmip14.QueryFunctionQueryRNGs:                                  V1_3,
		kmip14.QueryFunctionQueryClientRegistrationMethods:             V1_3,
		QueryFunction(kmip20.QueryFunctionQueryDefaultsInformation):    V2_0,
		QueryFunction(kmip20.QueryFunctionQueryStorageProtectionMasks): V2_0,
	} {
		if got, ok := QueryFunctionSince(f); !ok || got != want {
			t.Errorf("%v: since %v, %v; want %v", f, got, ok, want)
		}
	}
	for _, f := range []QueryFunction{0, 15, 0x80000001} {
		if _, ok := QueryFunctionSince(f); ok {
			t.Errorf("%v is defined", f)
		}
	}
}
