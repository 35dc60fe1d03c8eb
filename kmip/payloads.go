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

// QueryResponse holds the answers; empty fields are not encoded, nor
// fields the response's version lacks (query_info.go lists which version
// defines each).
type QueryResponse struct {
	Operations            []Operation
	ObjectTypes           []ObjectType
	VendorIdentification  string
	ServerInformation     *ServerInformation
	ApplicationNamespaces []string
	Extensions            []ExtensionInformation // 1.1+
	AttestationTypes      []AttestationType      // 1.2+
	RNGs                  []RNGParameters        // 1.3+
	Profiles              []ProfileInformation   // 1.3+
	Validations           []ValidationInformation
	Capabilities          []CapabilityInformation // 1.3+
	ClientRegistration    []ClientRegistrationMethod
	Defaults              *DefaultsInformation // 2.0+
	// ProtectionStorageMasks (2.0+), when not nil, is encoded as the
	// Protection Storage Masks structure, even empty.
	ProtectionStorageMasks []int32
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
	KeyWrapType        KeyWrapType   // 0 when absent (KMIP 1.4 and later)
	KeyCompressionType uint32        // 0 when absent
	// KeyWrapping is true when the request carries a Key Wrapping
	// Specification; the decoder sets it along with
	// KeyWrappingSpecification. True without a specification asks for a
	// wrapping the server cannot do.
	KeyWrapping              bool
	KeyWrappingSpecification *KeyWrappingSpecification // nil when absent
}

// KeyWrappingSpecification asks Get to return the key wrapped (KMIP 1.4
// section 2.1.6, 2.1 section 2.1.7). Zero fields are absent; AttributeNames
// name attributes to wrap along with the key.
type KeyWrappingSpecification struct {
	WrappingMethod             WrappingMethod
	EncryptionKeyInformation   *KeyInformation
	MACSignatureKeyInformation *KeyInformation
	AttributeNames             []string
	EncodingOption             EncodingOption
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

// ArchiveRequest asks the server to move an object to archival storage
// (KMIP 1.4 section 4.22). An empty UniqueIdentifier means the batch's ID
// Placeholder.
type ArchiveRequest struct{ UniqueIdentifier string }

// ArchiveResponse names the archived object.
type ArchiveResponse struct{ UniqueIdentifier string }

// RecoverRequest asks the server to bring an archived object back on-line
// (KMIP 1.4 section 4.23). An empty UniqueIdentifier means the batch's ID
// Placeholder.
type RecoverRequest struct{ UniqueIdentifier string }

// RecoverResponse names the recovered object.
type RecoverResponse struct{ UniqueIdentifier string }

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

// CreateKeyPairRequest asks for a new asymmetric key pair. 1.x carries the
// attributes in Common/Private Key/Public Key Template-Attributes, 2.x in
// Common/Private Key/Public Key Attributes.
type CreateKeyPairRequest struct {
	CommonAttributes     Attributes
	PrivateKeyAttributes Attributes
	PublicKeyAttributes  Attributes
	// Template names (1.x) of each part, resolved by the handlers.
	CommonTemplateNames, PrivateKeyTemplateNames, PublicKeyTemplateNames []Name
}

// CreateKeyPairResponse names the new pair.
type CreateKeyPairResponse struct {
	PrivateKeyUniqueIdentifier string
	PublicKeyUniqueIdentifier  string
}

// ReKeyRequest asks for a replacement of a symmetric key. Offset is the
// number of seconds between the new key's Initial Date and its Activation
// Date (nil when absent).
type ReKeyRequest struct {
	UniqueIdentifier string
	Offset           *time.Duration
	Attributes       Attributes
	TemplateNames    []Name
}

// ReKeyResponse names the replacement key.
type ReKeyResponse struct{ UniqueIdentifier string }

// ReKeyKeyPairRequest asks for a replacement of a key pair, named by its
// private key.
type ReKeyKeyPairRequest struct {
	PrivateKeyUniqueIdentifier string
	Offset                     *time.Duration
	CommonAttributes           Attributes
	PrivateKeyAttributes       Attributes
	PublicKeyAttributes        Attributes
}

// ReKeyKeyPairResponse names the replacement pair.
type ReKeyKeyPairResponse struct {
	PrivateKeyUniqueIdentifier string
	PublicKeyUniqueIdentifier  string
}

// Streaming carries the fields of the multi-part (streaming) forms of the
// cryptographic operations: a first call with Init Indicator true, calls in
// between with the Correlation Value the server returned, and a last call
// with Final Indicator true.
type Streaming struct {
	CorrelationValue []byte
	InitIndicator    bool
	FinalIndicator   bool
}

// EncryptRequest encrypts Data with the key UniqueIdentifier. Nil fields are
// absent; Parameters nil means the key's own Cryptographic Parameters.
type EncryptRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	IVCounterNonce   []byte
	AdditionalData   []byte // Authenticated Encryption Additional Data
	Streaming
}

// EncryptResponse carries the ciphertext, the IV/counter/nonce the server
// chose (when it chose one) and the authentication tag of AEAD modes.
type EncryptResponse struct {
	UniqueIdentifier string
	Data             []byte
	IVCounterNonce   []byte
	Tag              []byte // Authenticated Encryption Tag
	CorrelationValue []byte
}

// DecryptRequest decrypts Data with the key UniqueIdentifier.
type DecryptRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	IVCounterNonce   []byte
	AdditionalData   []byte
	Tag              []byte
	Streaming
}

// DecryptResponse carries the plaintext.
type DecryptResponse struct {
	UniqueIdentifier string
	Data             []byte
	CorrelationValue []byte
}

// SignRequest signs Data (or DigestedData, already hashed) with the private
// key UniqueIdentifier.
type SignRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	DigestedData     []byte
	Streaming
}

// SignResponse carries the signature.
type SignResponse struct {
	UniqueIdentifier string
	SignatureData    []byte
	CorrelationValue []byte
}

// SignatureVerifyRequest verifies SignatureData over Data (or DigestedData)
// with the public key UniqueIdentifier.
type SignatureVerifyRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	DigestedData     []byte
	SignatureData    []byte
	Streaming
}

// ValidityIndicator is the result of a verification.
type ValidityIndicator uint32

// Validity indicators.
const (
	Valid   ValidityIndicator = 1
	Invalid ValidityIndicator = 2
	Unknown ValidityIndicator = 3
)

// SignatureVerifyResponse says whether the signature is valid.
type SignatureVerifyResponse struct {
	UniqueIdentifier  string
	ValidityIndicator ValidityIndicator
	CorrelationValue  []byte
}

// MACRequest computes a MAC over Data with the key UniqueIdentifier.
type MACRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	Streaming
}

// MACResponse carries the MAC.
type MACResponse struct {
	UniqueIdentifier string
	MACData          []byte
	CorrelationValue []byte
}

// MACVerifyRequest verifies MACData over Data with the key UniqueIdentifier.
type MACVerifyRequest struct {
	UniqueIdentifier string
	Parameters       *CryptographicParameters
	Data             []byte
	MACData          []byte
	Streaming
}

// MACVerifyResponse says whether the MAC is valid.
type MACVerifyResponse struct {
	UniqueIdentifier  string
	ValidityIndicator ValidityIndicator
	CorrelationValue  []byte
}

// HashRequest hashes Data with Parameters.HashingAlgorithm.
type HashRequest struct {
	Parameters *CryptographicParameters
	Data       []byte
	Streaming
}

// HashResponse carries the digest.
type HashResponse struct {
	Data             []byte
	CorrelationValue []byte
}

// RNGRetrieveRequest asks for DataLength random bytes.
type RNGRetrieveRequest struct{ DataLength int32 }

// RNGRetrieveResponse carries them.
type RNGRetrieveResponse struct{ Data []byte }

// RNGSeedRequest offers seed material to the server's generator.
type RNGSeedRequest struct{ Data []byte }

// RNGSeedResponse says how many bytes of the seed the server used.
type RNGSeedResponse struct{ DataLength int32 }
