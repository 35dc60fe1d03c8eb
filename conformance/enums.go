package conformance

import (
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Enumeration names of KMIP 2.1 that gemalto's registry lacks: the PKCS#11
// Function (the 1-based position of the function in PKCS#11 3.0's
// CK_FUNCTION_LIST_3_0) and the PKCS#11 Return Code (the CKR_ value, named
// without its prefix). Only the names the OASIS PKCS11 test cases use are
// listed.
var extraEnums = map[ttlv.Tag]map[string]uint32{
	kmip20.TagPKCS_11Function: {
		"C_Initialize": 1,
		"C_Finalize":   2,
		"C_GetInfo":    3,
	},
	kmip20.TagPKCS_11ReturnCode: {
		"OK": 0,
	},
}

// parseEnum resolves an enumeration name or number of tag: through the
// registry first, then through extraEnums.
func parseEnum(tag ttlv.Tag, raw string) (uint32, error) {
	u, err := ttlv.DefaultRegistry.ParseEnum(tag, raw)
	if err == nil {
		return u, nil
	}
	if u, ok := extraEnums[tag][raw]; ok {
		return u, nil
	}
	return 0, err
}
