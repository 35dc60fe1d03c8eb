package kmip

// DeriveKeyRequest asks the server to derive a new Symmetric Key or Secret
// Data object (ObjectType) from objects it manages (KMIP 1.0 section 4.6,
// 1.4 section 4.6, 2.1 section 6.1.12). UniqueIdentifiers name the base
// objects, the derivation key first; an empty list stands for the ID
// Placeholder. Method and Parameters say how to derive; Attributes, and
// in 1.x TemplateNames, are the new object's attributes, among which its
// Cryptographic Length (and for a key its Cryptographic Algorithm) say
// what to derive.
type DeriveKeyRequest struct {
	ObjectType        ObjectType
	UniqueIdentifiers []string
	Method            DerivationMethod
	Parameters        DerivationParameters
	Attributes        Attributes
	TemplateNames     []Name
}

// DerivationParameters is the Derivation Parameters structure of a Derive
// Key request (KMIP 1.4 section 4.6, 2.1 section 6.1.12); which fields a
// method takes is the handler's to check. Nil fields and a zero IterationCount are absent.
type DerivationParameters struct {
	CryptographicParameters *CryptographicParameters
	InitializationVector    []byte
	DerivationData          []byte
	Salt                    []byte
	IterationCount          int32
}

// DeriveKeyResponse names the derived object. The 1.x response's optional
// Template-Attribute of the attributes the server set implicitly is never
// sent.
type DeriveKeyResponse struct{ UniqueIdentifier string }
