package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
)

// Enumerations are gemalto's KMIP 1.4 types; values that KMIP 2.x adds are
// defined below as constants of the same types.
type (
	Operation              = kmip14.Operation
	ResultStatus           = kmip14.ResultStatus
	ResultReason           = kmip14.ResultReason
	ObjectType             = kmip14.ObjectType
	State                  = kmip14.State
	CryptographicAlgorithm = kmip14.CryptographicAlgorithm
	KeyFormatType          = kmip14.KeyFormatType
	NameType               = kmip14.NameType
	LinkType               = kmip14.LinkType
	RevocationReasonCode   = kmip14.RevocationReasonCode
	QueryFunction          = kmip14.QueryFunction
	SecretDataType         = kmip14.SecretDataType
	OpaqueDataType         = kmip14.OpaqueDataType
	CertificateType        = kmip14.CertificateType
	StorageStatusMask      = kmip14.StorageStatusMask
	ObjectGroupMember      = kmip14.ObjectGroupMember
	BlockCipherMode        = kmip14.BlockCipherMode
	PaddingMethod          = kmip14.PaddingMethod
	HashingAlgorithm       = kmip14.HashingAlgorithm
	CryptographicUsageMask = kmip14.CryptographicUsageMask
	BatchErrorContinuation = kmip14.BatchErrorContinuationOption
	SplitKeyMethod         = kmip14.SplitKeyMethod
	DerivationMethod       = kmip14.DerivationMethod
	CertificateRequestType = kmip14.CertificateRequestType
)

// ObjectTypeCertificateRequest is the Object Type of a Certificate Request
// object, which KMIP 2.x adds.
const ObjectTypeCertificateRequest = ObjectType(kmip20.ObjectTypeCertificateRequest)

// Derivation Methods that KMIP 2.0 adds to the 1.4 dictionary.
const (
	DerivationMethodAWSSignatureVersion4 = DerivationMethod(kmip20.DerivationMethodAWSSignatureVersion4)
	DerivationMethodHKDF                 = DerivationMethod(kmip20.DerivationMethodHKDF)
)

// Operations and result reasons that KMIP 2.x adds to the 1.4 dictionary.
const (
	OperationLog             = Operation(kmip20.OperationLog)
	OperationLogin           = Operation(kmip20.OperationLogin)
	OperationLogout          = Operation(kmip20.OperationLogout)
	OperationDelegatedLogin  = Operation(kmip20.OperationDelegatedLogin)
	OperationAdjustAttribute = Operation(kmip20.OperationAdjustAttribute)
	OperationSetAttribute    = Operation(kmip20.OperationSetAttribute)
	OperationSetEndpointRole = Operation(kmip20.OperationSetEndpointRole)
	OperationPKCS11          = Operation(kmip20.OperationPKCS_11)
	OperationInterop         = Operation(kmip20.OperationInterop)
	OperationReProvision     = Operation(kmip20.OperationReProvision)

	ResultReasonUnknownTag = ResultReason(kmip20.ResultReasonUnknownTag)
)

// Version is a KMIP protocol version (Protocol Version Major/Minor).
type Version struct {
	Major, Minor int
}

// The protocol versions the server speaks, newest first (the order
// DiscoverVersions answers in).
var (
	V1_0 = Version{1, 0}
	V1_1 = Version{1, 1}
	V1_2 = Version{1, 2}
	V1_3 = Version{1, 3}
	V1_4 = Version{1, 4}
	V2_0 = Version{2, 0}
	V2_1 = Version{2, 1}

	SupportedVersions = []Version{V2_1, V2_0, V1_4, V1_3, V1_2, V1_1, V1_0}
)

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	return v.Major < w.Major || (v.Major == w.Major && v.Minor < w.Minor)
}

// AtLeast reports whether v is w or newer.
func (v Version) AtLeast(w Version) bool { return !v.Less(w) }

// Is2x reports whether v uses the KMIP 2.x message shapes (tagged Attributes).
func (v Version) Is2x() bool { return v.Major >= 2 }

// Supported reports whether the server speaks v.
func (v Version) Supported() bool {
	for _, s := range SupportedVersions {
		if s == v {
			return true
		}
	}
	return false
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }
