package handlers

import (
	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// operations are the operations the Service implements, in the order Query
// lists them.
var operations = []kmip.Operation{
	kmip14.OperationCreate,
	kmip14.OperationRegister,
	kmip14.OperationLocate,
	kmip14.OperationGet,
	kmip14.OperationGetAttributes,
	kmip14.OperationGetAttributeList,
	kmip14.OperationAddAttribute,
	kmip.OperationSetAttribute,
	kmip14.OperationModifyAttribute,
	kmip14.OperationDeleteAttribute,
	kmip14.OperationActivate,
	kmip14.OperationRevoke,
	kmip14.OperationDestroy,
	kmip14.OperationCheck,
	kmip14.OperationQuery,
	kmip14.OperationDiscoverVersions,
	kmip.OperationLog,
	kmip.OperationInterop,
}

// only2x are the operations of operations that KMIP 1.x lacks.
var only2x = map[kmip.Operation]bool{
	kmip.OperationSetAttribute: true,
	kmip.OperationLog:          true,
	kmip.OperationInterop:      true,
}

// queryObjectTypes are the object types the Service creates or registers in
// every version; KMIP 1.x adds Template.
var queryObjectTypes = []kmip.ObjectType{
	kmip14.ObjectTypeSymmetricKey,
	kmip14.ObjectTypeSecretData,
	kmip14.ObjectTypeOpaqueObject,
}

// query answers the Query Functions the Service knows; others are ignored,
// as KMIP allows.
func (s *Service) query(req *kmip.Request, p *kmip.QueryRequest) *kmip.QueryResponse {
	resp := &kmip.QueryResponse{}
	for _, f := range p.Functions {
		switch f {
		case kmip14.QueryFunctionQueryOperations:
			resp.Operations = operationsIn(req.Version)
		case kmip14.QueryFunctionQueryObjects:
			resp.ObjectTypes = append([]kmip.ObjectType(nil), queryObjectTypes...)
			if !req.Version.Is2x() {
				resp.ObjectTypes = append(resp.ObjectTypes, kmip14.ObjectTypeTemplate)
			}
		case kmip14.QueryFunctionQueryServerInformation:
			info := s.info
			resp.ServerInformation = &info
			resp.VendorIdentification = s.vendor
		case kmip14.QueryFunctionQueryApplicationNamespaces:
			// None supported yet.
		}
	}
	return resp
}

// operationsIn returns the implemented operations that version v defines.
func operationsIn(v kmip.Version) []kmip.Operation {
	var out []kmip.Operation
	for _, op := range operations {
		if only2x[op] && !v.Is2x() {
			continue
		}
		if op == kmip14.OperationDiscoverVersions && v.Less(kmip.V1_1) {
			continue
		}
		out = append(out, op)
	}
	return out
}
