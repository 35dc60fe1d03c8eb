package kmip

import "github.com/gemalto/kmip-go/kmip14"

// KeyWrapType is the Key Wrap Type of Get, Export and Import requests (KMIP
// 1.4 and 2.x): Not Wrapped or As Registered.
type KeyWrapType = kmip14.KeyWrapType

// ExportRequest asks for an object with all its attributes (KMIP 1.4 and
// 2.x). The fields other than Unique
// Identifier are those of GetRequest and mean the same; KeyWrapType is 0
// when absent. An empty UniqueIdentifier means the batch's ID Placeholder.
type ExportRequest struct {
	UniqueIdentifier   string
	KeyFormatType      KeyFormatType
	KeyWrapType        KeyWrapType
	KeyCompressionType uint32
	// KeyWrapping is true when the request carries a Key Wrapping
	// Specification, as in GetRequest.
	KeyWrapping              bool
	KeyWrappingSpecification *KeyWrappingSpecification
}

// ExportResponse returns the object as Get would, and its attributes as Get
// Attributes without names would.
type ExportResponse struct {
	ObjectType       ObjectType
	UniqueIdentifier string
	Attributes       Attributes
	Object           Object
}

// ImportRequest stores an object under the Unique Identifier the client
// gives (KMIP 1.4 and 2.x), replacing an existing
// object of that identifier when ReplaceExisting is true. KeyWrapType (0
// when absent) says whether a wrapped key block is to be kept wrapped (As
// Registered) or unwrapped (Not Wrapped). An empty UniqueIdentifier is
// not the ID Placeholder: Import must name the object it stores.
//
//kmip:no-id-placeholder
type ImportRequest struct {
	UniqueIdentifier string
	ObjectType       ObjectType
	ReplaceExisting  bool
	KeyWrapType      KeyWrapType
	Attributes       Attributes
	Object           Object
}

// ImportResponse names the imported object.
type ImportResponse struct{ UniqueIdentifier string }
