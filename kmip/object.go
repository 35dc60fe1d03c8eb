package kmip

import (
	"math/big"

	"github.com/gemalto/kmip-go/kmip14"
)

// Object is the content of a managed object as it travels in Register
// requests and Get responses (the Symmetric Key, Secret Data, Opaque Object,
// ... structure), independent of the protocol version.
type Object struct {
	Type ObjectType

	// KeyBlock is set for Symmetric Key, Public Key, Private Key, Split Key,
	// PGP Key and Secret Data.
	KeyBlock *KeyBlock

	SecretDataType SecretDataType // Secret Data only

	OpaqueDataType OpaqueDataType // Opaque Object only
	OpaqueValue    []byte         // Opaque Object only

	CertificateType  CertificateType // Certificate only
	CertificateValue []byte          // Certificate only

	// Split Key only (KMIP 1.0+); KeyBlock holds the part itself.
	SplitKeyParts     int32          // total number of parts
	KeyPartIdentifier int32          // this part's number, 1 to SplitKeyParts
	SplitKeyThreshold int32          // parts needed to rebuild the key
	SplitKeyMethod    SplitKeyMethod // how the key was split
	PrimeFieldSize    *big.Int       // the prime of Polynomial Sharing Prime Field; nil otherwise

	PGPKeyVersion int32 // PGP Key only (KMIP 1.2+); KeyBlock holds the key

	CertificateRequestType  CertificateRequestType // Certificate Request only (KMIP 2.x)
	CertificateRequestValue []byte                 // Certificate Request only (KMIP 2.x)

	// TemplateAttributes are the attributes of a KMIP 1.x Template
	// (Template only; KMIP 2.x has no templates).
	TemplateAttributes Attributes
}

// KeyBlock is a Key Block. Material holds the key bytes:
//
//	Raw, Opaque, PKCS#1, PKCS#8, X.509, ECPrivateKey   the Key Material byte string
//	Transparent Symmetric Key                          the Key field of the structure
//
// The other transparent formats (RSA, DSA, DH, EC public and private keys)
// leave Material nil and set Transparent instead.
//
// Attributes inside the Key Value are accepted in requests (1.x allows them)
// but never encoded in responses: clients such as Veeam reject them.
type KeyBlock struct {
	FormatType      KeyFormatType
	CompressionType uint32 // Key Compression Type; 0 when absent
	Material        []byte
	Transparent     *TransparentKey // transparent asymmetric formats only
	Attributes      []Attribute     // from a request's Key Value only

	Algorithm CryptographicAlgorithm // 0 when absent
	Length    int32                  // 0 when absent

	// Wrapped is true when the key block carries Key Wrapping Data; the
	// decoder sets it along with WrappingData.
	Wrapped bool

	// WrappingData is the Key Wrapping Data of a wrapped key block, whose
	// Material is then the wrapped bytes (the Key Value, a Byte String);
	// nil for a key block in the clear.
	WrappingData *KeyWrappingData

	// NoValue is true for the key block of a metadata-only object, which
	// has no Key Value at all (KMIP 1.2 and later: a client may register
	// a key kept elsewhere, whose Key Value Present attribute the server
	// then sets to false; 1.4 sections 2.1.3 and 3.41). Material and
	// Transparent are then empty. KMIP 1.0 and 1.1 require a Key Value.
	NoValue bool
}

// KeyWrappingData describes how a wrapped key block was wrapped (KMIP 1.4
// section 2.1.5, 2.1 section 2.1.6). Zero fields are absent.
type KeyWrappingData struct {
	WrappingMethod             WrappingMethod
	EncryptionKeyInformation   *KeyInformation
	MACSignatureKeyInformation *KeyInformation
	MACSignature               []byte
	IVCounterNonce             []byte
	EncodingOption             EncodingOption
}

// KeyInformation names a key that wraps, MACs or signs a key block, and the
// parameters used with it: the Encryption Key Information and MAC/Signature
// Key Information structures.
type KeyInformation struct {
	UniqueIdentifier        string
	CryptographicParameters *CryptographicParameters // nil when absent
}

// Key wrapping enumerations.
type (
	WrappingMethod = kmip14.WrappingMethod
	EncodingOption = kmip14.EncodingOption
)

// TransparentKey is the Key Material structure of the transparent
// asymmetric key formats, field by field; the Key Format Type of the key
// block says which fields apply (nil and zero fields are absent):
//
//	Transparent RSA Public Key    Modulus, PublicExponent
//	Transparent RSA Private Key   Modulus, PrivateExponent, PublicExponent, P, Q,
//	                              PrimeExponentP, PrimeExponentQ, CRTCoefficient
//	Transparent DSA Public Key    P, Q, G, Y
//	Transparent DSA Private Key   P, Q, G, X
//	Transparent DH Public Key     P, Q, G, J, Y
//	Transparent DH Private Key    P, Q, G, J, X
//	Transparent EC* Public Key    RecommendedCurve, QString
//	Transparent EC* Private Key   RecommendedCurve, D
//
// The codec neither validates the numbers nor checks that they form a key;
// the big integers are never shared with the message buffer.
type TransparentKey struct {
	Modulus         *big.Int
	PrivateExponent *big.Int
	PublicExponent  *big.Int
	P               *big.Int
	Q               *big.Int
	G               *big.Int
	J               *big.Int
	PrimeExponentP  *big.Int
	PrimeExponentQ  *big.Int
	CRTCoefficient  *big.Int
	X               *big.Int
	Y               *big.Int

	RecommendedCurve uint32 // Recommended Curve enumeration; 0 when absent
	QString          []byte // EC public point
	D                *big.Int
}
