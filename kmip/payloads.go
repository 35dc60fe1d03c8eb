package kmip

import "time"

// Request and response payloads of the operations the server implements.
// The codec (codec_payloads.go) decodes and encodes each of them in every
// protocol version; Handlers receive and return pointers to them.
//
// A UniqueIdentifier left empty in a request means "the ID Placeholder": the
// handler takes the identifier from BatchState.IDPlaceholder.
//
// Attributes in requests arrive in the canonical model whatever their wire
// shape (1.x Template-Attribute or Attribute list, 2.x Attributes).

// DiscoverVersionsRequest lists the versions the client speaks, newest first.
type DiscoverVersionsRequest struct{ Versions []Version }

// DiscoverVersionsResponse lists the versions the server speaks among the
// client's, or all of them when the client sent none.
type DiscoverVersionsResponse struct{ Versions []Version }

// QueryRequest lists the Query Functions asked for.
type QueryRequest struct{ Functions []QueryFunction }

// QueryResponse holds the answers; empty fields are not encoded.
type QueryResponse struct {
	Operations            []Operation
	ObjectTypes           []ObjectType
	VendorIdentification  string
	ServerInformation     *ServerInformation
	ApplicationNamespaces []string
}

// ServerInformation is the Server Information structure of a Query
// response. In 1.x its content is vendor-defined; the codec encodes the same
// fields (2.x tags) in every version that the version defines.
type ServerInformation struct {
	ServerName         string
	ServerSerialNumber string
	ServerVersion      string
	ProductName        string
	BuildLevel         string
	BuildDate          string
}

// CreateRequest asks for a new object of ObjectType with Attributes.
// TemplateNames (KMIP 1.x only) name Template objects whose attributes
// apply too, in order, Attributes taking precedence; the handler resolves
// them.
type CreateRequest struct {
	ObjectType    ObjectType
	Attributes    Attributes
	TemplateNames []Name
}

// CreateResponse names the new object. Attributes are the ones the server set
// implicitly (1.x Template-Attribute in the response); usually empty.
type CreateResponse struct {
	ObjectType       ObjectType
	UniqueIdentifier string
	Attributes       Attributes
}

// RegisterRequest stores a client-supplied object. TemplateNames as in
// CreateRequest.
type RegisterRequest struct {
	ObjectType    ObjectType
	Attributes    Attributes
	Object        Object
	TemplateNames []Name
}

// RegisterResponse names the registered object.
type RegisterResponse struct {
	UniqueIdentifier string
	Attributes       Attributes
}

// GetRequest asks for an object's content.
type GetRequest struct {
	UniqueIdentifier   string
	KeyFormatType      KeyFormatType // 0 when absent
	KeyCompressionType uint32        // 0 when absent
	KeyWrapping        bool          // a Key Wrapping Specification was present (not supported yet)
}

// GetResponse returns the object.
type GetResponse struct {
	ObjectType       ObjectType
	UniqueIdentifier string
	Object           Object
}

// GetAttributesRequest names the attributes wanted; none means all.
// 2.x Attribute References are converted to names.
type GetAttributesRequest struct {
	UniqueIdentifier string
	Names            []string
}

// GetAttributesResponse carries the attributes found. A requested attribute
// that the object lacks is simply absent.
type GetAttributesResponse struct {
	UniqueIdentifier string
	Attributes       Attributes
}

// GetAttributeListRequest asks for the names of an object's attributes.
type GetAttributeListRequest struct{ UniqueIdentifier string }

// GetAttributeListResponse carries them (2.x: as Attribute References).
type GetAttributeListResponse struct {
	UniqueIdentifier string
	Names            []string
}

// AddAttributeRequest adds an instance (1.x, and 2.x AddAttribute).
type AddAttributeRequest struct {
	UniqueIdentifier string
	Attribute        Attribute
}

// AddAttributeResponse echoes the instance added (1.x only; 2.x has no
// attribute in the response).
type AddAttributeResponse struct {
	UniqueIdentifier string
	Attribute        Attribute
}

// SetAttributeRequest (2.x) sets a single-instance attribute.
type SetAttributeRequest struct {
	UniqueIdentifier string
	Attribute        Attribute
}

// SetAttributeResponse (2.x).
type SetAttributeResponse struct{ UniqueIdentifier string }

// ModifyAttributeRequest changes an instance. In 1.x Attribute carries the
// name, index and new value. In 2.x Current is the instance to change (nil
// when absent: the attribute must be single-instance) and Attribute the new
// value.
type ModifyAttributeRequest struct {
	UniqueIdentifier string
	Current          *Attribute
	Attribute        Attribute
}

// ModifyAttributeResponse echoes the modified instance (1.x only).
type ModifyAttributeResponse struct {
	UniqueIdentifier string
	Attribute        Attribute
}

// DeleteAttributeRequest removes an instance. 1.x: Name and Index (Index -1
// when absent). 2.x: Current (an instance to match) or Name from an Attribute
// Reference.
type DeleteAttributeRequest struct {
	UniqueIdentifier string
	Name             string
	Index            int
	Current          *Attribute
}

// DeleteAttributeResponse echoes the deleted instance (1.x only).
type DeleteAttributeResponse struct {
	UniqueIdentifier string
	Attribute        Attribute
}

// LocateRequest searches objects. MaximumItems 0 means no limit.
// TemplateNames (KMIP 1.x only) name Template objects whose attributes are
// filters too; the handler resolves them.
type LocateRequest struct {
	MaximumItems      int32
	OffsetItems       int32
	StorageStatusMask StorageStatusMask
	ObjectGroupMember ObjectGroupMember
	Attributes        Attributes
	TemplateNames     []Name
}

// LocateResponse carries the matches. LocatedItems is the number of matches
// before Offset/Maximum were applied; it is encoded from 1.3 on.
type LocateResponse struct {
	LocatedItems      int32
	UniqueIdentifiers []string
}

// ActivateRequest activates an object.
type ActivateRequest struct{ UniqueIdentifier string }

// ActivateResponse names it.
type ActivateResponse struct{ UniqueIdentifier string }

// RevokeRequest revokes an object.
type RevokeRequest struct {
	UniqueIdentifier         string
	Reason                   RevocationReason
	CompromiseOccurrenceDate time.Time // zero when absent
}

// RevokeResponse names it.
type RevokeResponse struct{ UniqueIdentifier string }

// DestroyRequest destroys an object's material.
type DestroyRequest struct{ UniqueIdentifier string }

// DestroyResponse names it.
type DestroyResponse struct{ UniqueIdentifier string }

// CheckRequest asks whether an object could be used as described. Zero
// fields are absent.
type CheckRequest struct {
	UniqueIdentifier       string
	UsageLimitsCount       int64
	CryptographicUsageMask int32
	LeaseTime              time.Duration
}

// CheckResponse names the object; on success the other fields are absent
// (the server grants what was asked).
type CheckResponse struct {
	UniqueIdentifier       string
	UsageLimitsCount       int64
	CryptographicUsageMask int32
	LeaseTime              time.Duration
}

// LogRequest (2.x) asks the server to record a message in its log.
type LogRequest struct{ Message string }

// InteropFunction is the Interop Function of an Interop request (2.x).
type InteropFunction uint32

// Interop functions.
const (
	InteropBegin InteropFunction = 1
	InteropEnd   InteropFunction = 2
	InteropReset InteropFunction = 3
)

// InteropRequest (2.x) marks the beginning or end of an interoperability
// test case, or asks for a reset.
type InteropRequest struct {
	Function   InteropFunction
	Identifier string
}
