package kmip

//go:generate go run ./internal/payloadgen/cmd/objectid

// ObjectIdentified is a request or response payload that names the object
// its item acts on or produced. Every payload type of payloads*.go with a
// Unique Identifier field implements it, through methods generated into
// payloads_objectid.go: the payload's own Unique Identifier, or for a key
// pair the private key's; for a response that lists identifiers (Locate,
// Create Split Key), the one when it lists exactly one.
type ObjectIdentified interface {
	// ObjectID returns the Unique Identifier, or "" when the payload
	// names none: in a request, "" stands for the ID Placeholder.
	ObjectID() string
}

// ObjectIDSetter is a request payload whose Unique Identifier can be set,
// as the ID Placeholder fills one the client left empty.
type ObjectIDSetter interface {
	ObjectIdentified
	SetObjectID(id string)
}

// ObjectIDOf returns the Unique Identifier payload names, or "" when it is
// not ObjectIdentified or names none. The identifier of a response becomes
// the batch's ID Placeholder.
func ObjectIDOf(payload any) string {
	if p, ok := payload.(ObjectIdentified); ok {
		return p.ObjectID()
	}
	return ""
}
