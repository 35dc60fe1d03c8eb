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

// query answers each Query Function of the request that its version
// defines (kmip.QueryFunctionSince) from the server's real configuration.
//
// A function the request's version does not define (a 2.0 function in a
// 1.4 request, a 1.3 one in 1.2) or an extension function is ignored like
// any function the server does not support. The specification is not
// explicit here: KMIP 2.1 section 6.1.40 says the response payload is
// empty when there are no values to return, and its error table (Table
// 284) lists Invalid Field without tying it to this case; ignoring keeps
// the answers to the other functions of the request, which is what a
// discovery operation needs, and is what PyKMIP expects.
func (s *Service) query(ctx context.Context, req *kmip.Request, p *kmip.QueryRequest) (any, error) {
	v := req.Version
	resp := &kmip.QueryResponse{}
	for _, f := range p.Functions {
		if since, ok := kmip.QueryFunctionSince(f); !ok || !v.AtLeast(since) {
			continue
		}
		switch f {
		case kmip14.QueryFunctionQueryOperations:
			resp.Operations = sessionFrom(ctx).filter(s.operationsIn(v)) // a ticket's Rights (login.go)
		case kmip14.QueryFunctionQueryObjects:
			resp.ObjectTypes = objectTypesIn(v)
		case kmip14.QueryFunctionQueryServerInformation:
			info := s.info
			resp.ServerInformation = &info
			resp.VendorIdentification = s.vendor
		case kmip14.QueryFunctionQueryApplicationNamespaces:
			// The server stores Application Specific Information of any
			// namespace but generates data for none.
		case kmip14.QueryFunctionQueryExtensionList:
			resp.Extensions = extensionsOf(false)
		case kmip14.QueryFunctionQueryExtensionMap:
			resp.Extensions = extensionsOf(true)
		case kmip14.QueryFunctionQueryAttestationTypes:
			// No attestation: the server neither requires nor checks it.
		case kmip14.QueryFunctionQueryRNGs:
			resp.RNGs = s.queryRNGs()
		case kmip14.QueryFunctionQueryValidations:
			// kmipd itself holds no FIPS 140 or Common Criteria
			// certificate; a PKCS#11 token's validation is not reported
			// through Cryptoki.
		case kmip14.QueryFunctionQueryProfiles:
			resp.Profiles = s.profilesIn(v)
		case kmip14.QueryFunctionQueryCapabilities:
			resp.Capabilities = []kmip.CapabilityInformation{s.capabilities()}
		case kmip14.QueryFunctionQueryClientRegistrationMethods:
			// Clients are registered outside KMIP (a certificate from a
			// trusted CA, auth.users): the server offers no method.
		case kmip.QueryFunction(0x0D): // Query Defaults Information (2.0)
			resp.Defaults = s.defaultsInformation()
		case kmip.QueryFunction(0x0E): // Query Storage Protection Masks (2.0)
			resp.ProtectionStorageMasks = []int32{}
			if s.psm != 0 {
				resp.ProtectionStorageMasks = []int32{s.psm}
			}
		}
	}
	return resp, nil
}

// objectTypesIn returns the object types the server handles in version v.
func objectTypesIn(v kmip.Version) []kmip.ObjectType {
	types := append([]kmip.ObjectType(nil), queryObjectTypes...)
	if !v.Is2x() {
		types = append(types, kmip14.ObjectTypeTemplate)
	}
	if v.AtLeast(kmip.V1_2) {
		types = append(types, kmip14.ObjectTypePGPKey)
	}
	if v.Is2x() {
		types = append(types, kmip.ObjectTypeCertificateRequest)
	}
	return types
}

// extensionsOf describes the extension tags the codec knows (the vendor
// online backup's, kmip.VendorExtensions): names only for Query Extension
// List, with tag and type for Query Extension Map.
func extensionsOf(mapped bool) []kmip.ExtensionInformation {
	out := kmip.VendorExtensions()
	if !mapped {
		for i := range out {
			out[i].Tag, out[i].Type = 0, 0
		}
	}
	return out
}

// queryRNGs returns the generators of the module: Config.RNGs, or
// Config.RNG alone.
func (s *Service) queryRNGs() []kmip.RNGParameters {
	if len(s.rngs) > 0 {
		return append([]kmip.RNGParameters(nil), s.rngs...)
	}
	if s.rng.RNGAlgorithm != 0 {
		return []kmip.RNGParameters{s.rng}
	}
	return nil
}

// capabilities describes how the server behaves:
//   - Streaming: Encrypt, Decrypt, Sign, Signature Verify, MAC and MAC
//     Verify take Init and Final Indicators (stream.go).
//   - Asynchronous: no; every operation completes before its answer
//     (async.go).
//   - Attestation: no.
//   - Batch Undo and Batch Continue (1.4+): both Batch Error Continuation
//     Options are honoured.
//   - Destroy Action: each object's material is sealed under a key of its
//     own whose slot Destroy overwrites (cryptographic shredding); under a
//     destroy grace period the material stays recoverable until the
//     period ends, so the action is Unspecified then.
//   - RNG Mode: one generator instantiation serves every client.
//   - Quantum Safe (2.x): Create honours the Quantum Safe attribute.
func (s *Service) capabilities() kmip.CapabilityInformation {
	yes, no := true, false
	c := kmip.CapabilityInformation{
		Streaming:     &yes,
		Asynchronous:  &no,
		Attestation:   &no,
		BatchUndo:     &yes,
		BatchContinue: &yes,
		DestroyAction: uint32(kmip14.DestroyActionUnspecified),
		RNGMode:       uint32(kmip14.RNGModeSharedInstantiation),
		QuantumSafe:   &yes,
	}
	if s.grace == 0 {
		c.DestroyAction = uint32(kmip14.DestroyActionKeyMaterialShredded)
		c.ShreddingAlgorithm = uint32(kmip14.ShreddingAlgorithmCryptographic)
	}
	return c
}

// defaultsInformation lists the attributes newManaged gives every new
// object the client does not set them on: Sensitive false, Extractable
// true and, when configured, the Protection Storage Mask of the module.
// (Lease Time is left out: the server sets it, a client cannot.)
func (s *Service) defaultsInformation() *kmip.DefaultsInformation {
	attrs := kmip.Attributes{
		{Name: kmip.AttrSensitive, Value: false},
		{Name: kmip.AttrExtractable, Value: true},
	}
	if s.psm != 0 {
		attrs = append(attrs, kmip.Attribute{Name: kmip.AttrProtectionStorageMask, Value: s.psm})
	}
	d := &kmip.DefaultsInformation{}
	for _, t := range objectTypesIn(kmip.V2_0) {
		d.ObjectDefaults = append(d.ObjectDefaults, kmip.ObjectDefaults{ObjectType: t, Attributes: append(kmip.Attributes(nil), attrs...)})
	}
	return d
}
