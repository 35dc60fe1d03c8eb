package kmip

import (
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Set Endpoint Role payloads (KMIP 2.0 and later): an Endpoint Role in
// the request and the same in the response.

func encodeEndpointRole(e *ttlv.Encoder, role EndpointRole) {
	e.EncodeEnumeration(kmip20.TagEndpointRole, uint32(role))
}

// decodeEndpointRole decodes the required Endpoint Role of a payload, its
// only field.
func decodeEndpointRole(v Version, p ttlv.TTLV) (EndpointRole, *Error) {
	var role EndpointRole
	have := false
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip20.TagEndpointRole {
			var x uint32
			x, err = readEnum(c)
			role, have = EndpointRole(x), true
		} else {
			err = extraField(v, p, c)
		}
		if err != nil {
			return 0, err
		}
	}
	if !have {
		return 0, errMissing(v, "Endpoint Role")
	}
	return role, nil
}

func decodeSetEndpointRoleRequest(v Version, p ttlv.TTLV) (*SetEndpointRoleRequest, *Error) {
	role, err := decodeEndpointRole(v, p)
	return &SetEndpointRoleRequest{Role: role}, err
}

func decodeSetEndpointRoleResponse(v Version, p ttlv.TTLV) (*SetEndpointRoleResponse, *Error) {
	role, err := decodeEndpointRole(v, p)
	return &SetEndpointRoleResponse{Role: role}, err
}
