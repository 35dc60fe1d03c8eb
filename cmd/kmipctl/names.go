package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// The command-line spellings of KMIP enumerations.
var (
	algorithms = map[string]kmip.CryptographicAlgorithm{
		"aes":         kmip14.CryptographicAlgorithmAES,
		"hmac-sha1":   kmip14.CryptographicAlgorithmHMAC_SHA1,
		"hmac-sha224": kmip14.CryptographicAlgorithmHMAC_SHA224,
		"hmac-sha256": kmip14.CryptographicAlgorithmHMAC_SHA256,
		"hmac-sha384": kmip14.CryptographicAlgorithmHMAC_SHA384,
		"hmac-sha512": kmip14.CryptographicAlgorithmHMAC_SHA512,
	}
	objectTypes = map[string]kmip.ObjectType{
		"symmetric": kmip14.ObjectTypeSymmetricKey,
		"secret":    kmip14.ObjectTypeSecretData,
		"opaque":    kmip14.ObjectTypeOpaqueObject,
	}
	states = map[string]kmip.State{
		"pre-active":            kmip14.StatePreActive,
		"active":                kmip14.StateActive,
		"deactivated":           kmip14.StateDeactivated,
		"compromised":           kmip14.StateCompromised,
		"destroyed":             kmip14.StateDestroyed,
		"destroyed-compromised": kmip14.StateDestroyedCompromised,
	}
	revocationReasons = map[string]kmip.RevocationReasonCode{
		"unspecified":         kmip14.RevocationReasonCodeUnspecified,
		"compromise":          kmip14.RevocationReasonCodeKeyCompromise,
		"ca-compromise":       kmip14.RevocationReasonCodeCACompromise,
		"affiliation-changed": kmip14.RevocationReasonCodeAffiliationChanged,
		"superseded":          kmip14.RevocationReasonCodeSuperseded,
		"cessation":           kmip14.RevocationReasonCodeCessationOfOperation,
		"privilege-withdrawn": kmip14.RevocationReasonCodePrivilegeWithdrawn,
	}
	usageBits = map[string]kmip.CryptographicUsageMask{
		"sign":         kmip14.CryptographicUsageMaskSign,
		"verify":       kmip14.CryptographicUsageMaskVerify,
		"encrypt":      kmip14.CryptographicUsageMaskEncrypt,
		"decrypt":      kmip14.CryptographicUsageMaskDecrypt,
		"wrap":         kmip14.CryptographicUsageMaskWrapKey,
		"unwrap":       kmip14.CryptographicUsageMaskUnwrapKey,
		"export":       kmip14.CryptographicUsageMaskExport,
		"mac-generate": kmip14.CryptographicUsageMaskMACGenerate,
		"mac-verify":   kmip14.CryptographicUsageMaskMACVerify,
		"derive-key":   kmip14.CryptographicUsageMaskDeriveKey,
	}
)

// lookup finds name (case-insensitive) in m, or says which names exist.
func lookup[T any](what string, m map[string]T, name string) (T, error) {
	v, ok := m[strings.ToLower(name)]
	if !ok {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		return v, fmt.Errorf("unknown %s %q: want one of %s", what, name, strings.Join(names, ", "))
	}
	return v, nil
}

// parseUsageMask parses "encrypt,decrypt" into a mask.
func parseUsageMask(s string) (int32, error) {
	var mask int32
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		bit, err := lookup("usage", usageBits, part)
		if err != nil {
			return 0, err
		}
		mask |= int32(bit)
	}
	return mask, nil
}
