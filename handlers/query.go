package handlers

import (
	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// operations are the operations the Service implements, in the order Query
// lists them.
var operations = []kmip.Operation{
	kmip14.OperationCreate,
	kmip14.OperationCreateKeyPair,
	kmip14.OperationRegister,
	kmip14.OperationReKey,
	kmip14.OperationReKeyKeyPair,
	kmip14.OperationCreateSplitKey,
	kmip14.OperationJoinSplitKey,
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
	kmip14.OperationArchive,
	kmip14.OperationRecover,
	kmip14.OperationExport,
	kmip14.OperationImport,
	kmip.OperationAdjustAttribute,
	kmip14.OperationGetUsageAllocation,
	kmip14.OperationObtainLease,
	kmip14.OperationPoll,
	kmip14.OperationCancel,
	// Notify and Put are the server's requests to the KMIP endpoints of
	// clients (notify.go): the server implements them, and sends them to
	// the endpoints its configuration registers.
	kmip14.OperationNotify,
	kmip14.OperationPut,
	kmip14.OperationQuery,
	kmip14.OperationDiscoverVersions,
	kmip14.OperationRNGRetrieve,
	kmip14.OperationRNGSeed,
	kmip14.OperationEncrypt,
	kmip14.OperationDecrypt,
	kmip14.OperationSign,
	kmip14.OperationSignatureVerify,
	kmip14.OperationMAC,
	kmip14.OperationMACVerify,
	kmip14.OperationHash,
	kmip.OperationLog,
	kmip.OperationInterop,
	kmip.OperationSetEndpointRole,
	kmip.OperationPKCS11,
}

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
func (s *Service) query(req *kmip.Request, p *kmip.QueryRequest) *kmip.QueryResponse {
	resp := &kmip.QueryResponse{}
	for _, f := range p.Functions {
		switch f {
		case kmip14.QueryFunctionQueryOperations:
			resp.Operations = operationsIn(req.Version)
			resp.Operations = append(resp.Operations, s.certifyOperations()...)
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
	return resp
}

// operationsIn returns the implemented operations that version v defines
// (kmip.Defines); ServeKMIP refuses the others, so that dispatch and Query
// agree.
func operationsIn(v kmip.Version) []kmip.Operation {
	var out []kmip.Operation
	for _, op := range operations {
		if kmip.Defines(v, op) {
			out = append(out, op)
		}
	}
	return out
}
