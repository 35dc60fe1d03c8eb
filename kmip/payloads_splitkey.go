package kmip

import "math/big"

// CreateSplitKeyRequest asks the server to split a key into parts (KMIP 1.4
// section 4.38, 2.1 section 6.1.12): the key UniqueIdentifier names, or,
// when it is empty, a new one the server generates from Attributes (in 2.x
// the ID Placeholder is not implied: an empty identifier means a new key).
// Attributes and TemplateNames (1.x only) are those of the new key and its
// parts. ObjectType "determines the type of object to be created" (1.4
// section 4.38, 2.1 section 6.1.12): Split Key.
//
//kmip:no-id-placeholder
type CreateSplitKeyRequest struct {
	ObjectType        ObjectType // of the parts: Split Key
	UniqueIdentifier  string     // optional: an existing key to split
	SplitKeyParts     int32
	SplitKeyThreshold int32
	SplitKeyMethod    SplitKeyMethod
	PrimeFieldSize    *big.Int // the prime of Polynomial Sharing Prime Field; nil otherwise
	Attributes        Attributes
	TemplateNames     []Name
}

// CreateSplitKeyResponse names the parts, in Key Part Identifier order.
type CreateSplitKeyResponse struct {
	UniqueIdentifiers []string
}

// JoinSplitKeyRequest asks the server to rebuild a key from split key parts
// (KMIP 1.4 section 4.39, 2.1 section 6.1.30) and store it as a new object
// of ObjectType (Symmetric Key or Secret Data of SecretDataType) with
// Attributes.
type JoinSplitKeyRequest struct {
	ObjectType        ObjectType
	UniqueIdentifiers []string // the parts
	SecretDataType    SecretDataType
	Attributes        Attributes
	TemplateNames     []Name
}

// JoinSplitKeyResponse names the rebuilt key.
type JoinSplitKeyResponse struct {
	UniqueIdentifier string
}
