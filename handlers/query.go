package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// queryObjectTypes are the object types the Service creates or registers in
// every version; KMIP 1.x adds Template, 1.2 and later PGP Key, 2.x
// Certificate Request.
var queryObjectTypes = []kmip.ObjectType{
	kmip14.ObjectTypeCertificate,
	kmip14.ObjectTypeSymmetricKey,
	kmip14.ObjectTypePublicKey,
	kmip14.ObjectTypePrivateKey,
	kmip14.ObjectTypeSecretData,
	kmip14.ObjectTypeOpaqueObject,
	kmip14.ObjectTypeSplitKey,
}

// query answers the Query Functions the Service knows; others are ignored,
// as KMIP allows.
func (s *Service) query(ctx context.Context, req *kmip.Request, p *kmip.QueryRequest) (any, error) {
	resp := &kmip.QueryResponse{}
	for _, f := range p.Functions {
		switch f {
		case kmip14.QueryFunctionQueryOperations:
			resp.Operations = sessionFrom(ctx).filter(s.operationsIn(req.Version)) // a ticket's Rights (login.go)
		case kmip14.QueryFunctionQueryObjects:
			resp.ObjectTypes = append([]kmip.ObjectType(nil), queryObjectTypes...)
			if !req.Version.Is2x() {
				resp.ObjectTypes = append(resp.ObjectTypes, kmip14.ObjectTypeTemplate)
			}
			if req.Version.AtLeast(kmip.V1_2) {
				resp.ObjectTypes = append(resp.ObjectTypes, kmip14.ObjectTypePGPKey)
			}
			if req.Version.Is2x() {
				resp.ObjectTypes = append(resp.ObjectTypes, kmip.ObjectTypeCertificateRequest)
			}
		case kmip14.QueryFunctionQueryServerInformation:
			info := s.info
			resp.ServerInformation = &info
			resp.VendorIdentification = s.vendor
		case kmip14.QueryFunctionQueryApplicationNamespaces:
			// None supported yet.
		}
	}
	return resp, nil
}
