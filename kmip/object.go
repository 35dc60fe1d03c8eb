package kmip

// Object is the content of a managed object as it travels in Register
// requests and Get responses (the Symmetric Key, Secret Data, Opaque Object,
// ... structure), independent of the protocol version.
type Object struct {
	Type ObjectType

	// KeyBlock is set for Symmetric Key, Public Key, Private Key, Split Key
	// and Secret Data.
	KeyBlock *KeyBlock

	SecretDataType SecretDataType // Secret Data only

	OpaqueDataType OpaqueDataType // Opaque Object only
	OpaqueValue    []byte         // Opaque Object only

	CertificateType  CertificateType // Certificate only
	CertificateValue []byte          // Certificate only
}

// KeyBlock is a Key Block. Material holds the key bytes:
//
//	Raw, Opaque, PKCS#1, PKCS#8, X.509, ECPrivateKey   the Key Material byte string
//	Transparent Symmetric Key                          the Key field of the structure
//
// Attributes inside the Key Value are accepted in requests (1.x allows them)
// but never encoded in responses: clients such as Veeam reject them.
type KeyBlock struct {
	FormatType      KeyFormatType
	CompressionType uint32 // Key Compression Type; 0 when absent
	Material        []byte
	Attributes      []Attribute // from a request's Key Value only

	Algorithm CryptographicAlgorithm // 0 when absent
	Length    int32                  // 0 when absent

	// Wrapped is true when the request carried Key Wrapping Data; wrapped
	// key blocks are not supported yet and the codec reports them.
	Wrapped bool
}
