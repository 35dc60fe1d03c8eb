package handlers

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/kmip"
)

// A serverProfile is a server profile of KMIP Profiles 1.3/1.4 and 2.x the
// server conforms to: conformance/expected-pass.txt holds the profile's
// test cases, which it passes with both modules. KMIP 1.3 and 1.4 name a
// profile once per KMIP version (v13, v14); 2.x names it once (v2, zero
// for the profiles 2.x lacks) with a Profile Version.
//
// Not claimed: Complete Server; the 1.x Baseline Server names, which name
// an authentication suite (Basic, TLS v1.2) whose mandatory cipher suite
// the server offers only with tls.legacy_suites (certs/doc.go), and Suite
// B, which needs an ECDSA server certificate. The 2.x profiles also
// require an authentication suite whose mandatory cipher suite comes only
// with tls.legacy_suites; the names listed say to which profiles' objects,
// operations and test cases the server conforms.
type serverProfile struct {
	v13, v14 kmip14.ProfileName
	v2       kmip20.ProfileName
	https    bool // the profile needs KMIP over HTTPS (Config.HTTPS)
}

var serverProfiles = []serverProfile{
	{0, 0, kmip20.ProfileNameBaselineServer, false},
	{kmip14.ProfileNameTapeLibraryServerKMIPV1_3, kmip14.ProfileNameTapeLibraryServerKMIPV1_4, kmip20.ProfileNameTapeLibraryServer, false},
	{kmip14.ProfileNameSymmetricKeyLifecycleServerKMIPV1_3, kmip14.ProfileNameSymmetricKeyLifecycleServerKMIPV1_4, kmip20.ProfileNameSymmetricKeyLifecycleServer, false},
	{kmip14.ProfileNameAsymmetricKeyLifecycleServerKMIPV1_3, kmip14.ProfileNameAsymmetricKeyLifecycleServerKMIPV1_4, kmip20.ProfileNameAsymmetricKeyLifecycleServer, false},
	{kmip14.ProfileNameBasicCryptographicServerKMIPV1_3, kmip14.ProfileNameBasicCryptographicServerKMIPV1_4, kmip20.ProfileNameBasicCryptographicServer, false},
	{kmip14.ProfileNameAdvancedCryptographicServerKMIPV1_3, kmip14.ProfileNameAdvancedCryptographicServerKMIPV1_4, kmip20.ProfileNameAdvancedCryptographicServer, false},
	{kmip14.ProfileNameRNGCryptographicServerKMIPV1_3, kmip14.ProfileNameRNGCryptographicServerKMIPV1_4, kmip20.ProfileNameRNGCryptographicServer, false},
	{kmip14.ProfileNameSymmetricKeyFoundryServerKMIPV1_3, kmip14.ProfileNameSymmetricKeyFoundryServerKMIPV1_4, kmip20.ProfileNameSymmetricKeyFoundryServer, false},
	{kmip14.ProfileNameOpaqueManagedObjectStoreServerKMIPV1_3, kmip14.ProfileNameOpaqueManagedObjectStoreServerKMIPV1_4, kmip20.ProfileNameOpaqueManagedObjectStoreServer, false},
	{kmip14.ProfileNameStorageArrayWithSelfEncryptingDriveServerKMIPV1_3, kmip14.ProfileNameStorageArrayWithSelfEncryptingDriveServerKMIPV1_4, kmip20.ProfileNameStorageArrayWithSelfEncryptingDriveServer, false},
	{0, 0, kmip20.ProfileNameAESXTSServer, false},
	{0, 0, kmip20.ProfileNameQuantumSafeServer, false},
	{0, 0, kmip20.ProfileNamePKCS_11Server, false},
	{kmip14.ProfileNameHTTPSServerKMIPV1_3, kmip14.ProfileNameHTTPSServerKMIPV1_4, kmip20.ProfileNameHTTPSServer, true},
	{kmip14.ProfileNameXMLServerKMIPV1_3, kmip14.ProfileNameXMLServerKMIPV1_4, kmip20.ProfileNameXMLServer, true},
	{kmip14.ProfileNameJSONServerKMIPV1_3, kmip14.ProfileNameJSONServerKMIPV1_4, kmip20.ProfileNameJSONServer, true},
}

// profilesIn returns the profiles the server supports as version v names
// them (1.3 and later define Query Profiles).
func (s *Service) profilesIn(v kmip.Version) []kmip.ProfileInformation {
	var out []kmip.ProfileInformation
	for _, p := range serverProfiles {
		if p.https && !s.https {
			continue
		}
		var name uint32
		var pv *kmip.Version
		switch {
		case v.Is2x():
			name, pv = uint32(p.v2), &kmip.Version{Major: v.Major, Minor: v.Minor}
		case v == kmip.V1_4:
			name = uint32(p.v14)
		case v == kmip.V1_3:
			name = uint32(p.v13)
		}
		if name != 0 {
			out = append(out, kmip.ProfileInformation{Name: kmip.ProfileName(name), Version: pv})
		}
	}
	return out
}
