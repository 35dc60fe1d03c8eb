package kmip

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
)

// TestOperationTableAgreesWithCodec checks, for every row of the operation
// table and every version, that Defines and the payload decoders agree: out
// of the window a request or response is refused with Operation Not
// Supported, inside it any refusal is about the payload's fields.
func TestOperationTableAgreesWithCodec(t *testing.T) {
	for _, d := range opDefs {
		for _, v := range SupportedVersions {
			_, reqErr := decodeRequestPayload(d.op, v, emptyRequestPayload)
			_, respErr := decodeResponsePayload(d.op, v, emptyRequestPayload)
			refused := reqErr != nil && reqErr.Reason == ReasonOperationNotSupported
			respRefused := respErr != nil && AsError(respErr).Reason == ReasonOperationNotSupported
			if Defines(v, d.op) {
				if refused || respRefused {
					t.Errorf("%v in %v: defined, but the decoder refuses it (request %v, response %v)", d.op, v, reqErr, respErr)
				}
			} else if !refused || !respRefused {
				t.Errorf("%v in %v: not defined, but the decoder accepts it (request %v, response %v)", d.op, v, reqErr, respErr)
			}
		}
	}
}

// TestDefinesSpecWindows pins the first version of the operations newer
// than KMIP 1.0 to the specifications, and refuses what the codec lacks.
func TestDefinesSpecWindows(t *testing.T) {
	first := map[Operation]Version{
		kmip14.OperationCreate:           V1_0,
		kmip14.OperationDeriveKey:        V1_0, // 1.0 section 4.6
		kmip14.OperationValidate:         V1_0,
		kmip14.OperationNotify:           V1_0,
		kmip14.OperationDiscoverVersions: V1_1, // 1.1 section 4.26
		kmip14.OperationReKeyKeyPair:     V1_1, // 1.1 section 4.5
		kmip14.OperationEncrypt:          V1_2, // 1.2 section 4.29
		kmip14.OperationRNGSeed:          V1_2, // 1.2 section 4.36
		kmip14.OperationHash:             V1_2, // 1.2 section 4.37
		kmip14.OperationCreateSplitKey:   V1_2, // 1.2 section 4.38
		kmip14.OperationJoinSplitKey:     V1_2, // 1.2 section 4.39
		kmip14.OperationExport:           V1_4, // 1.4 section 4.40
		kmip14.OperationImport:           V1_4, // 1.4 section 4.41
		OperationSetAttribute:            V2_0, // 2.0 section 6.1
		OperationAdjustAttribute:         V2_0,
		OperationLog:                     V2_0,
		OperationPKCS11:                  V2_0,
		OperationLogin:                   V2_0,
		OperationLogout:                  V2_0,
		OperationDelegatedLogin:          V2_0,
		OperationVendorBackup:            V1_0,
	}
	for op, since := range first {
		for _, v := range SupportedVersions {
			if got, want := Defines(v, op), !v.Less(since); got != want {
				t.Errorf("Defines(%v, %v) = %v, want %v", v, op, got, want)
			}
		}
	}
	for _, op := range []Operation{OperationReProvision, Operation(0x80000099)} {
		if Defines(V2_1, op) {
			t.Errorf("Defines(2.1, %v): the codec does not implement it", op)
		}
	}
}

func TestOperationOf(t *testing.T) {
	for _, c := range []struct {
		payload any
		want    Operation
		ok      bool
	}{
		{&GetRequest{}, kmip14.OperationGet, true},
		{&AddAttributeRequest{}, kmip14.OperationAddAttribute, true},
		{&ReKeyKeyPairRequest{}, kmip14.OperationReKeyKeyPair, true},
		{&MACVerifyRequest{}, kmip14.OperationMACVerify, true},
		{&HashRequest{}, kmip14.OperationHash, true},
		{&DeriveKeyRequest{}, kmip14.OperationDeriveKey, true},
		{&GetResponse{}, 0, false},
		{GetRequest{}, 0, false},
		{nil, 0, false},
	} {
		if got, ok := OperationOf(c.payload); got != c.want || ok != c.ok {
			t.Errorf("OperationOf(%T) = %v, %v; want %v, %v", c.payload, got, ok, c.want, c.ok)
		}
	}
}
