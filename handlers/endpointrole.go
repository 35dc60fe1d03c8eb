package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/kmip"
)

// setEndpointRole answers Set Endpoint Role (KMIP 2.0 and later; 2.1
// section 6.1.48), by which a client asks the endpoint it talks to to take
// the Client or the Server role. This endpoint is always a server: asking
// it to be one succeeds and echoes the role; asking it to become a client
// is refused with Operation Not Supported, the role switch being an
// operation it does not perform; any other role is an Invalid Field.
func (s *Service) setEndpointRole(_ context.Context, _ *kmip.Request, p *kmip.SetEndpointRoleRequest) (any, error) {
	switch p.Role {
	case kmip20.EndpointRoleServer:
		return &kmip.SetEndpointRoleResponse{Role: p.Role}, nil
	case kmip20.EndpointRoleClient:
		return nil, kmip.Errorf(kmip.ReasonOperationNotSupported, "this endpoint is a server and cannot take the Client role")
	}
	return nil, kmip.Errorf(kmip.ReasonInvalidField, "Endpoint Role %v", p.Role)
}
