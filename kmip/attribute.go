package kmip

import (
	"time"
)

// Attribute is one instance of a managed object's attribute in the canonical
// model used everywhere past the codec. The 1.x Attribute structure
// (Attribute Name, Attribute Index, Attribute Value) and the 2.x tagged
// attribute (inside Attributes, with Vendor Attribute for custom ones) both
// decode to it and encode from it.
//
// Name is the KMIP 1.x Attribute Name ("Cryptographic Algorithm",
// "x-Product", "y-Foo"). A 2.x Vendor Attribute with Vendor Identification V
// and Attribute Name N is named "V-N" when V is "x" or "y", and
// "V:N" otherwise.
//
// Index is the instance number of a multi-instance attribute (Name, Link,
// Object Group, ...): 0 for the first instance. The 2.x shapes carry no index;
// their instances are numbered in order of appearance.
//
// Value holds a Go value whose type is fixed per attribute by the table in
// attrdefs.go:
//
//	Text String                         string
//	Integer (and masks)                 int32
//	Long Integer                        int64
//	Enumeration                         uint32 (or the kmip14 enum type named in the table)
//	Boolean                             bool
//	Byte String                         []byte
//	Date-Time                           time.Time (UTC, second precision)
//	Interval                            time.Duration
//	Structures                          Name, Link, RevocationReason,
//	                                    ApplicationSpecificInformation,
//	                                    CryptographicParameters, Digest,
//	                                    UsageLimits, AlternativeName,
//	                                    RNGParameters
//
// Custom (x-, y-, vendor) attributes carry any of the primitive types above,
// or a ttlv.TTLV holding a Big Integer, Date-Time Extended or Structure
// value as received (codec_attr_custom.go).
type Attribute struct {
	Name  string
	Index int
	Value any
}

// Name is the value of the Name attribute.
type Name struct {
	Value string
	Type  NameType // Uninterpreted Text String or URI
}

// Link is the value of the Link attribute.
type Link struct {
	Type LinkType
	ID   string // Linked Object Identifier
}

// RevocationReason is the value of the Revocation Reason attribute and of
// the Revoke request field.
type RevocationReason struct {
	Code    RevocationReasonCode
	Message string // optional
}

// ApplicationSpecificInformation is the value of the Application Specific
// Information attribute.
type ApplicationSpecificInformation struct {
	Namespace string
	Data      string // optional in a request; the server may choose it
}

// CryptographicParameters is the value of the Cryptographic Parameters
// attribute and of the request field of the same name. Zero fields are
// absent.
type CryptographicParameters struct {
	BlockCipherMode               BlockCipherMode
	PaddingMethod                 PaddingMethod
	HashingAlgorithm              HashingAlgorithm
	KeyRoleType                   uint32
	DigitalSignatureAlgorithm     uint32
	CryptographicAlgorithm        CryptographicAlgorithm
	RandomIV                      *bool
	IVLength                      int32
	TagLength                     int32
	FixedFieldLength              int32
	InvocationFieldLength         int32
	CounterLength                 int32
	InitialCounterValue           *int32
	SaltLength                    *int32
	MaskGenerator                 uint32
	MaskGeneratorHashingAlgorithm HashingAlgorithm
	PSource                       []byte
	TrailerField                  *int32
}

// Digest is the value of the Digest attribute.
type Digest struct {
	HashingAlgorithm HashingAlgorithm
	Value            []byte
	KeyFormatType    KeyFormatType
}

// UsageLimits is the value of the Usage Limits attribute.
type UsageLimits struct {
	Total int64
	Count *int64
	Unit  uint32
}

// AlternativeName is the value of the Alternative Name attribute (1.2+).
type AlternativeName struct {
	Value string
	Type  uint32 // Alternative Name Type: Uninterpreted Text String, URI, ...
}

// RNGParameters is the value of the Random Number Generator attribute
// (1.3+): the generator the server used to create the object. Zero fields
// are absent.
type RNGParameters struct {
	RNGAlgorithm           uint32
	CryptographicAlgorithm CryptographicAlgorithm
	CryptographicLength    int32
	HashingAlgorithm       HashingAlgorithm
	DRBGAlgorithm          uint32
	RecommendedCurve       uint32
	FIPS186Variation       uint32
	PredictionResistance   *bool
}

// Attributes is a bag of attribute instances with lookup helpers. Order is
// preserved; lookups compare names exactly.
type Attributes []Attribute

// Get returns the value of the first instance of name, or nil.
func (as Attributes) Get(name string) any {
	for _, a := range as {
		if a.Name == name {
			return a.Value
		}
	}
	return nil
}

// All returns every instance of name, in order.
func (as Attributes) All(name string) []Attribute {
	var out []Attribute
	for _, a := range as {
		if a.Name == name {
			out = append(out, a)
		}
	}
	return out
}

// Has reports whether name has at least one instance.
func (as Attributes) Has(name string) bool { return as.Get(name) != nil }

// Time returns the Date-Time value of name, or the zero time.
func (as Attributes) Time(name string) time.Time {
	t, _ := as.Get(name).(time.Time)
	return t
}
