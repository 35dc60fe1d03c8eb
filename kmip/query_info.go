package kmip

import "github.com/gemalto/kmip-go/ttlv"

// The structures of a Query response beyond operations, object types and
// server information. Each Query Function and the response field it
// answers with exist from one protocol version on (KMIP 1.4 section 4.25
// and 9.1.3.2.24, 2.1 section 6.1.40 and 11.44):
//
//	Query Operations, Objects, Server Information,
//	  Application Namespaces           1.0  Operation, Object Type, Vendor Identification, Server Information, Application Namespace
//	Query Extension List, Map          1.1  Extension Information
//	Query Attestation Types            1.2  Attestation Type
//	Query RNGs, Validations, Profiles,
//	  Capabilities, Client
//	  Registration Methods             1.3  RNG Parameters, Validation Information, Profile Information, Capability Information, Client Registration Method
//	Query Defaults Information,
//	  Storage Protection Masks         2.0  Defaults Information, Protection Storage Masks
//
// QueryFunctionSince says which; the encoder leaves out a field the
// response's version lacks.

// Enumerations of the Query response.
type (
	AttestationType          uint32 // Attestation Type: TPM Quote, TCG Integrity Report, SAML Assertion
	ClientRegistrationMethod uint32 // Client Registration Method
	ProfileName              uint32 // Profile Name: 1.3-1.4 values name a KMIP version, 2.x values come with a Profile Version
)

// ExtensionInformation describes one extension item (tag 0x54xxxx) the
// server knows. Query Extension List answers with names only; Query
// Extension Map adds the tag and type.
type ExtensionInformation struct {
	Name string
	Tag  ttlv.Tag  // 0: absent
	Type ttlv.Type // 0: absent
}

// ProfileInformation names a profile the server supports. Version (2.x
// Profile Version) is absent in 1.x.
type ProfileInformation struct {
	Name       ProfileName
	ServerURI  string // empty: absent
	ServerPort int32  // 0: absent
	Version    *Version
}

// ValidationInformation describes a formal validation of the server (a
// FIPS 140 or Common Criteria certificate). Only the mandatory fields and
// the certificate identifier are modelled.
type ValidationInformation struct {
	AuthorityType         uint32 // Validation Authority Type
	VersionMajor          int32
	VersionMinor          int32
	Type                  uint32 // Validation Type: Hardware, Software, ...
	Level                 int32
	CertificateIdentifier string // empty: absent
}

// CapabilityInformation describes how the server behaves. Nil booleans and
// zero enumerations are absent. Batch Undo and Batch Continue exist from
// 1.4, Quantum Safe from 2.0.
type CapabilityInformation struct {
	Streaming          *bool
	Asynchronous       *bool
	Attestation        *bool
	BatchUndo          *bool
	BatchContinue      *bool
	UnwrapMode         uint32
	DestroyAction      uint32
	ShreddingAlgorithm uint32
	RNGMode            uint32
	QuantumSafe        *bool
}

// DefaultsInformation (2.0+) lists the attributes the server gives new
// objects of each type when the client sets none.
type DefaultsInformation struct{ ObjectDefaults []ObjectDefaults }

// ObjectDefaults are the default attributes of one object type.
type ObjectDefaults struct {
	ObjectType ObjectType
	Attributes Attributes
}

// QueryFunctionSince returns the first protocol version that defines the
// standard Query Function f, and false for a value no version defines (an
// extension value, 0x8xxxxxxx, or an unassigned one).
func QueryFunctionSince(f QueryFunction) (Version, bool) {
	switch {
	case f >= 1 && f <= 4:
		return V1_0, true
	case f == 5 || f == 6:
		return V1_1, true
	case f == 7:
		return V1_2, true
	case f >= 8 && f <= 0x0C:
		return V1_3, true
	case f == 0x0D || f == 0x0E:
		return V2_0, true
	}
	return Version{}, false
}
