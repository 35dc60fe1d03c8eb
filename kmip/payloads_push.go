package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
)

// The server-to-client operations Notify and Put (KMIP 1.4 sections 5.1 and
// 5.2, 2.1 sections 6.2.1 and 6.2.2), and Set Endpoint Role (KMIP 2.0,
// 2.1 section 6.1.48). A server sends Notify and Put to a client that runs a
// KMIP endpoint; their response payloads are empty.

type (
	// PutFunction says whether a pushed object is New or Replaces another.
	PutFunction = kmip14.PutFunction
	// EndpointRole is the role Set Endpoint Role asks for: Client or Server.
	EndpointRole = kmip20.EndpointRole
)

// NotifyRequest tells a client that attributes of an object changed.
type NotifyRequest struct {
	UniqueIdentifier string
	// Attributes are the attributes that changed or were added, with their
	// new values (the spec asks for at least the Last Change Date).
	Attributes Attributes
	// Deleted names the attributes that were deleted: 1.x Attributes
	// without a value, 2.x Attribute References.
	Deleted []string
}

// PutRequest pushes an object to a client.
type PutRequest struct {
	UniqueIdentifier string
	PutFunction      PutFunction
	// ReplacedUniqueIdentifier names the object this one replaces; the spec
	// requires it with Put Function Replace.
	ReplacedUniqueIdentifier string
	// Object is the object sent: the spec makes it required.
	Object Object
	// Attributes are additional attributes the server sends with it.
	Attributes Attributes
}

// SetEndpointRoleRequest asks the receiver to take Role.
type SetEndpointRoleRequest struct{ Role EndpointRole }

// SetEndpointRoleResponse echoes the role taken.
type SetEndpointRoleResponse struct{ Role EndpointRole }
