package kmip

import (
	"strings"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// AttrDef describes one standard attribute: how it is encoded, which
// protocol versions define it and who may change it. The table is spec data
// (KMIP 1.0-1.4 section 3, KMIP 2.x section 4); the codec uses it to encode and
// decode values and to leave out attributes a version lacks, the handlers to
// enforce who may set, modify and delete what.
type AttrDef struct {
	Name  string    // KMIP 1.x Attribute Name
	Tag   ttlv.Tag  // the tag of the value (2.x tagged form; also the 1.x Attribute Value's type source)
	Type  ttlv.Type // TTLV type of the value
	Since Version   // first version that defines it
	Until Version   // first version that no longer defines it; zero when still defined

	Multi        bool // several instances allowed
	ServerOnly   bool // set only by the server; a client may never set, add, modify or delete it
	ClientModify bool // a client may modify it after creation
	ClientDelete bool // a client may delete it

	// ClientRegister marks a server-set attribute that a client may give
	// in Register (and Import) because there it describes what happened
	// before the object reached the server: Original Creation Date (KMIP
	// 1.4 section 3.43 and the 2.x attribute of that name: it MAY be set
	// by the client during a Register operation) and Random Number
	// Generator (1.4 section 3.44: the generator that made the key, which
	// for a registered key is the client's). Create and the other
	// generating operations still refuse it: there the server sets it.
	ClientRegister bool

	// OnlyWhenNamed marks server bookkeeping that deployed clients do not
	// expect in the answer to "all attributes": PyKMIP 0.10 fails the whole
	// Get Attributes call on any attribute it lacks a decoder for (Original
	// Creation Date in 1.2; Key Format Type, Short Unique Identifier,
	// Extractable, Always Sensitive, Never Extractable, Random Number
	// Generator, Protection Storage Mask in 2.0). The handlers decide in
	// which versions such attributes come only when named.
	OnlyWhenNamed bool
}

// DefinedIn reports whether version v defines the attribute.
func (d *AttrDef) DefinedIn(v Version) bool {
	if v.Less(d.Since) {
		return false
	}
	return d.Until == (Version{}) || v.Less(d.Until)
}

// Standard attribute names.
const (
	AttrUniqueIdentifier               = "Unique Identifier"
	AttrName                           = "Name"
	AttrObjectType                     = "Object Type"
	AttrCryptographicAlgorithm         = "Cryptographic Algorithm"
	AttrCryptographicLength            = "Cryptographic Length"
	AttrCryptographicParameters        = "Cryptographic Parameters"
	AttrCryptographicDomainParameters  = "Cryptographic Domain Parameters"
	AttrCertificateType                = "Certificate Type"
	AttrCertificateLength              = "Certificate Length"
	AttrDigitalSignatureAlgorithm      = "Digital Signature Algorithm"
	AttrDigest                         = "Digest"
	AttrOperationPolicyName            = "Operation Policy Name"
	AttrCryptographicUsageMask         = "Cryptographic Usage Mask"
	AttrLeaseTime                      = "Lease Time"
	AttrUsageLimits                    = "Usage Limits"
	AttrState                          = "State"
	AttrInitialDate                    = "Initial Date"
	AttrActivationDate                 = "Activation Date"
	AttrProcessStartDate               = "Process Start Date"
	AttrProtectStopDate                = "Protect Stop Date"
	AttrDeactivationDate               = "Deactivation Date"
	AttrDestroyDate                    = "Destroy Date"
	AttrCompromiseOccurrenceDate       = "Compromise Occurrence Date"
	AttrCompromiseDate                 = "Compromise Date"
	AttrRevocationReason               = "Revocation Reason"
	AttrArchiveDate                    = "Archive Date"
	AttrObjectGroup                    = "Object Group"
	AttrFresh                          = "Fresh"
	AttrLink                           = "Link"
	AttrApplicationSpecificInformation = "Application Specific Information"
	AttrContactInformation             = "Contact Information"
	AttrLastChangeDate                 = "Last Change Date"
	AttrKeyValuePresent                = "Key Value Present"
	AttrOriginalCreationDate           = "Original Creation Date"
	AttrRandomNumberGenerator          = "Random Number Generator"
	AttrPKCS12FriendlyName             = "PKCS#12 Friendly Name"
	AttrDescription                    = "Description"
	AttrComment                        = "Comment"
	AttrSensitive                      = "Sensitive"
	AttrAlwaysSensitive                = "Always Sensitive"
	AttrExtractable                    = "Extractable"
	AttrNeverExtractable               = "Never Extractable"
	AttrShortUniqueIdentifier          = "Short Unique Identifier"
	AttrQuantumSafe                    = "Quantum Safe"
	AttrKeyFormatType                  = "Key Format Type"
	AttrNISTKeyType                    = "NIST Key Type"
	AttrProtectionLevel                = "Protection Level"
	AttrProtectionPeriod               = "Protection Period"
	AttrAlternativeName                = "Alternative Name"
	AttrKeyValueLocation               = "Key Value Location"
	AttrProtectionStorageMask          = "Protection Storage Mask"
	AttrCertificateIdentifier          = "Certificate Identifier"
	AttrCertificateSubject             = "Certificate Subject"
	AttrCertificateIssuer              = "Certificate Issuer"
	AttrX509CertificateIdentifier      = "X.509 Certificate Identifier"
	AttrX509CertificateSubject         = "X.509 Certificate Subject"
	AttrX509CertificateIssuer          = "X.509 Certificate Issuer"
)

// The KMIP 2.x certificate attributes: the X.509 subject and issuer
// distinguished name components, each a single-instance Text String set by
// the server from the certificate.
const (
	AttrCertificateSubjectCN           = "Certificate Subject CN"
	AttrCertificateSubjectO            = "Certificate Subject O"
	AttrCertificateSubjectOU           = "Certificate Subject OU"
	AttrCertificateSubjectEmail        = "Certificate Subject Email"
	AttrCertificateSubjectC            = "Certificate Subject C"
	AttrCertificateSubjectST           = "Certificate Subject ST"
	AttrCertificateSubjectL            = "Certificate Subject L"
	AttrCertificateSubjectUID          = "Certificate Subject UID"
	AttrCertificateSubjectSerialNumber = "Certificate Subject Serial Number"
	AttrCertificateSubjectTitle        = "Certificate Subject Title"
	AttrCertificateSubjectDC           = "Certificate Subject DC"
	AttrCertificateSubjectDNQualifier  = "Certificate Subject DN Qualifier"
	AttrCertificateIssuerCN            = "Certificate Issuer CN"
	AttrCertificateIssuerO             = "Certificate Issuer O"
	AttrCertificateIssuerOU            = "Certificate Issuer OU"
	AttrCertificateIssuerEmail         = "Certificate Issuer Email"
	AttrCertificateIssuerC             = "Certificate Issuer C"
	AttrCertificateIssuerST            = "Certificate Issuer ST"
	AttrCertificateIssuerL             = "Certificate Issuer L"
	AttrCertificateIssuerUID           = "Certificate Issuer UID"
	AttrCertificateIssuerSerialNumber  = "Certificate Issuer Serial Number"
	AttrCertificateIssuerTitle         = "Certificate Issuer Title"
	AttrCertificateIssuerDC            = "Certificate Issuer DC"
	AttrCertificateIssuerDNQualifier   = "Certificate Issuer DN Qualifier"
)

var attrDefs = []AttrDef{
	{Name: AttrUniqueIdentifier, Tag: kmip14.TagUniqueIdentifier, Type: ttlv.TypeTextString, Since: V1_0, ServerOnly: true},
	{Name: AttrName, Tag: kmip14.TagName, Type: ttlv.TypeStructure, Since: V1_0, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrObjectType, Tag: kmip14.TagObjectType, Type: ttlv.TypeEnumeration, Since: V1_0, ServerOnly: true},
	{Name: AttrCryptographicAlgorithm, Tag: kmip14.TagCryptographicAlgorithm, Type: ttlv.TypeEnumeration, Since: V1_0},
	{Name: AttrCryptographicLength, Tag: kmip14.TagCryptographicLength, Type: ttlv.TypeInteger, Since: V1_0},
	{Name: AttrCryptographicParameters, Tag: kmip14.TagCryptographicParameters, Type: ttlv.TypeStructure, Since: V1_0, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrCryptographicDomainParameters, Tag: kmip14.TagCryptographicDomainParameters, Type: ttlv.TypeStructure, Since: V1_0},
	{Name: AttrCertificateType, Tag: kmip14.TagCertificateType, Type: ttlv.TypeEnumeration, Since: V1_0, ServerOnly: true},
	{Name: AttrCertificateLength, Tag: kmip14.TagCertificateLength, Type: ttlv.TypeInteger, Since: V1_1, ServerOnly: true},
	{Name: AttrDigitalSignatureAlgorithm, Tag: kmip14.TagDigitalSignatureAlgorithm, Type: ttlv.TypeEnumeration, Since: V1_1, ServerOnly: true, Multi: true},
	{Name: AttrDigest, Tag: kmip14.TagDigest, Type: ttlv.TypeStructure, Since: V1_0, ServerOnly: true, Multi: true},
	{Name: AttrOperationPolicyName, Tag: kmip14.TagOperationPolicyName, Type: ttlv.TypeTextString, Since: V1_0, Until: V2_0, ClientModify: true, ClientDelete: true},
	{Name: AttrCryptographicUsageMask, Tag: kmip14.TagCryptographicUsageMask, Type: ttlv.TypeInteger, Since: V1_0},
	{Name: AttrLeaseTime, Tag: kmip14.TagLeaseTime, Type: ttlv.TypeInterval, Since: V1_0, ServerOnly: true},
	{Name: AttrUsageLimits, Tag: kmip14.TagUsageLimits, Type: ttlv.TypeStructure, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrState, Tag: kmip14.TagState, Type: ttlv.TypeEnumeration, Since: V1_0, ServerOnly: true},
	{Name: AttrInitialDate, Tag: kmip14.TagInitialDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrActivationDate, Tag: kmip14.TagActivationDate, Type: ttlv.TypeDateTime, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrProcessStartDate, Tag: kmip14.TagProcessStartDate, Type: ttlv.TypeDateTime, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrProtectStopDate, Tag: kmip14.TagProtectStopDate, Type: ttlv.TypeDateTime, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrDeactivationDate, Tag: kmip14.TagDeactivationDate, Type: ttlv.TypeDateTime, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrDestroyDate, Tag: kmip14.TagDestroyDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrCompromiseOccurrenceDate, Tag: kmip14.TagCompromiseOccurrenceDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrCompromiseDate, Tag: kmip14.TagCompromiseDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrRevocationReason, Tag: kmip14.TagRevocationReason, Type: ttlv.TypeStructure, Since: V1_0, ServerOnly: true},
	{Name: AttrArchiveDate, Tag: kmip14.TagArchiveDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrObjectGroup, Tag: kmip14.TagObjectGroup, Type: ttlv.TypeTextString, Since: V1_0, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrFresh, Tag: kmip14.TagFresh, Type: ttlv.TypeBoolean, Since: V1_1, ClientModify: true, ClientDelete: true},
	{Name: AttrLink, Tag: kmip14.TagLink, Type: ttlv.TypeStructure, Since: V1_0, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrApplicationSpecificInformation, Tag: kmip14.TagApplicationSpecificInformation, Type: ttlv.TypeStructure, Since: V1_0, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrContactInformation, Tag: kmip14.TagContactInformation, Type: ttlv.TypeTextString, Since: V1_0, ClientModify: true, ClientDelete: true},
	{Name: AttrLastChangeDate, Tag: kmip14.TagLastChangeDate, Type: ttlv.TypeDateTime, Since: V1_0, ServerOnly: true},
	{Name: AttrKeyValuePresent, Tag: kmip14.TagKeyValuePresent, Type: ttlv.TypeBoolean, Since: V1_2, ServerOnly: true},
	{Name: AttrOriginalCreationDate, Tag: kmip14.TagOriginalCreationDate, Type: ttlv.TypeDateTime, Since: V1_2, ServerOnly: true, ClientRegister: true, OnlyWhenNamed: true},
	{Name: AttrRandomNumberGenerator, Tag: kmip14.TagRandomNumberGenerator, Type: ttlv.TypeStructure, Since: V1_3, ServerOnly: true, ClientRegister: true, OnlyWhenNamed: true},
	{Name: AttrPKCS12FriendlyName, Tag: kmip14.TagPKCS_12FriendlyName, Type: ttlv.TypeTextString, Since: V1_4, ClientModify: true, ClientDelete: true},
	{Name: AttrDescription, Tag: kmip14.TagDescription, Type: ttlv.TypeTextString, Since: V1_4, ClientModify: true, ClientDelete: true},
	{Name: AttrComment, Tag: kmip14.TagComment, Type: ttlv.TypeTextString, Since: V1_4, ClientModify: true, ClientDelete: true},
	{Name: AttrSensitive, Tag: kmip14.TagSensitive, Type: ttlv.TypeBoolean, Since: V1_4, ClientModify: true},
	{Name: AttrAlwaysSensitive, Tag: kmip14.TagAlwaysSensitive, Type: ttlv.TypeBoolean, Since: V1_4, ServerOnly: true, OnlyWhenNamed: true},
	{Name: AttrExtractable, Tag: kmip14.TagExtractable, Type: ttlv.TypeBoolean, Since: V1_4, ClientModify: true, OnlyWhenNamed: true},
	{Name: AttrNeverExtractable, Tag: kmip14.TagNeverExtractable, Type: ttlv.TypeBoolean, Since: V1_4, ServerOnly: true, OnlyWhenNamed: true},
	{Name: AttrShortUniqueIdentifier, Tag: kmip20.TagShortUniqueIdentifier, Type: ttlv.TypeByteString, Since: V2_0, ServerOnly: true, OnlyWhenNamed: true},
	{Name: AttrQuantumSafe, Tag: kmip20.TagQuantumSafe, Type: ttlv.TypeBoolean, Since: V2_0},
	{Name: AttrKeyFormatType, Tag: kmip14.TagKeyFormatType, Type: ttlv.TypeEnumeration, Since: V2_0, ServerOnly: true, OnlyWhenNamed: true},
	{Name: AttrNISTKeyType, Tag: kmip20.TagNISTKeyType, Type: ttlv.TypeEnumeration, Since: V2_0},
	{Name: AttrProtectionLevel, Tag: kmip20.TagProtectionLevel, Type: ttlv.TypeEnumeration, Since: V2_0},
	{Name: AttrProtectionPeriod, Tag: kmip20.TagProtectionPeriod, Type: ttlv.TypeInterval, Since: V2_0},
	{Name: AttrAlternativeName, Tag: kmip14.TagAlternativeName, Type: ttlv.TypeStructure, Since: V1_2, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrKeyValueLocation, Tag: kmip14.TagKeyValueLocation, Type: ttlv.TypeStructure, Since: V1_2, Multi: true, ClientModify: true, ClientDelete: true},
	{Name: AttrProtectionStorageMask, Tag: kmip20.TagProtectionStorageMask, Type: ttlv.TypeInteger, Since: V2_0, OnlyWhenNamed: true},
	{Name: AttrCertificateIdentifier, Tag: kmip14.TagCertificateIdentifier, Type: ttlv.TypeStructure, Since: V1_0, Until: V2_0, ServerOnly: true},
	{Name: AttrCertificateSubject, Tag: kmip14.TagCertificateSubject, Type: ttlv.TypeStructure, Since: V1_0, Until: V2_0, ServerOnly: true},
	{Name: AttrCertificateIssuer, Tag: kmip14.TagCertificateIssuer, Type: ttlv.TypeStructure, Since: V1_0, Until: V2_0, ServerOnly: true},
	{Name: AttrX509CertificateIdentifier, Tag: kmip14.TagX_509CertificateIdentifier, Type: ttlv.TypeStructure, Since: V1_1, ServerOnly: true},
	{Name: AttrX509CertificateSubject, Tag: kmip14.TagX_509CertificateSubject, Type: ttlv.TypeStructure, Since: V1_1, ServerOnly: true},
	{Name: AttrX509CertificateIssuer, Tag: kmip14.TagX_509CertificateIssuer, Type: ttlv.TypeStructure, Since: V1_1, ServerOnly: true},
	certificateNameAttr(AttrCertificateSubjectCN, kmip14.TagCertificateSubjectCN),
	certificateNameAttr(AttrCertificateSubjectO, kmip14.TagCertificateSubjectO),
	certificateNameAttr(AttrCertificateSubjectOU, kmip14.TagCertificateSubjectOU),
	certificateNameAttr(AttrCertificateSubjectEmail, kmip14.TagCertificateSubjectEmail),
	certificateNameAttr(AttrCertificateSubjectC, kmip14.TagCertificateSubjectC),
	certificateNameAttr(AttrCertificateSubjectST, kmip14.TagCertificateSubjectST),
	certificateNameAttr(AttrCertificateSubjectL, kmip14.TagCertificateSubjectL),
	certificateNameAttr(AttrCertificateSubjectUID, kmip14.TagCertificateSubjectUID),
	certificateNameAttr(AttrCertificateSubjectSerialNumber, kmip14.TagCertificateSubjectSerialNumber),
	certificateNameAttr(AttrCertificateSubjectTitle, kmip14.TagCertificateSubjectTitle),
	certificateNameAttr(AttrCertificateSubjectDC, kmip14.TagCertificateSubjectDC),
	certificateNameAttr(AttrCertificateSubjectDNQualifier, kmip14.TagCertificateSubjectDNQualifier),
	certificateNameAttr(AttrCertificateIssuerCN, kmip14.TagCertificateIssuerCN),
	certificateNameAttr(AttrCertificateIssuerO, kmip14.TagCertificateIssuerO),
	certificateNameAttr(AttrCertificateIssuerOU, kmip14.TagCertificateIssuerOU),
	certificateNameAttr(AttrCertificateIssuerEmail, kmip14.TagCertificateIssuerEmail),
	certificateNameAttr(AttrCertificateIssuerC, kmip14.TagCertificateIssuerC),
	certificateNameAttr(AttrCertificateIssuerST, kmip14.TagCertificateIssuerST),
	certificateNameAttr(AttrCertificateIssuerL, kmip14.TagCertificateIssuerL),
	certificateNameAttr(AttrCertificateIssuerUID, kmip14.TagCertificateIssuerUID),
	certificateNameAttr(AttrCertificateIssuerSerialNumber, kmip14.TagCertificateIssuerSerialNumber),
	certificateNameAttr(AttrCertificateIssuerTitle, kmip14.TagCertificateIssuerTitle),
	certificateNameAttr(AttrCertificateIssuerDC, kmip14.TagCertificateIssuerDC),
	certificateNameAttr(AttrCertificateIssuerDNQualifier, kmip14.TagCertificateIssuerDNQualifier),
}

// certificateNameAttr defines a KMIP 2.x certificate name attribute.
func certificateNameAttr(name string, tag ttlv.Tag) AttrDef {
	return AttrDef{Name: name, Tag: tag, Type: ttlv.TypeTextString, Since: V2_0, ServerOnly: true}
}

var (
	attrDefsByName = map[string]*AttrDef{}
	attrDefsByTag  = map[ttlv.Tag]*AttrDef{}
)

func init() {
	for i := range attrDefs {
		d := &attrDefs[i]
		attrDefsByName[d.Name] = d
		attrDefsByTag[d.Tag] = d
	}
}

// LookupAttr returns the definition of the standard attribute name, or nil
// for custom and unknown names.
func LookupAttr(name string) *AttrDef { return attrDefsByName[name] }

// LookupAttrTag returns the definition of the standard attribute whose value
// carries tag, or nil.
func LookupAttrTag(tag ttlv.Tag) *AttrDef { return attrDefsByTag[tag] }

// IsCustomAttr reports whether name is a custom attribute: "x-" (client),
// "y-" (server) or a 2.x vendor attribute ("Vendor:Name").
func IsCustomAttr(name string) bool {
	return strings.HasPrefix(name, "x-") || strings.HasPrefix(name, "y-") || strings.Contains(name, ":")
}
