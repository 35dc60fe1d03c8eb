package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// DiscoverVersions and Query payloads.

func decodeDiscoverVersionsRequest(v Version, p ttlv.TTLV) (*DiscoverVersionsRequest, *Error) {
	vs, err := decodeVersions(v, p)
	return &DiscoverVersionsRequest{Versions: vs}, err
}

func decodeDiscoverVersionsResponse(v Version, p ttlv.TTLV) (*DiscoverVersionsResponse, *Error) {
	vs, err := decodeVersions(v, p)
	return &DiscoverVersionsResponse{Versions: vs}, err
}

// decodeVersions reads the Protocol Version structures of p.
func decodeVersions(v Version, p ttlv.TTLV) ([]Version, *Error) {
	var vs []Version
	for c := range children(p) {
		if c.Tag() != kmip14.TagProtocolVersion {
			if err := extraField(v, p, c); err != nil {
				return nil, err
			}
			continue
		}
		if err := readStructure(c); err != nil {
			return nil, err
		}
		var ver Version
		for f := range children(c) {
			var n int32
			var err *Error
			switch f.Tag() {
			case kmip14.TagProtocolVersionMajor:
				n, err = readInt(f)
				ver.Major = int(n)
			case kmip14.TagProtocolVersionMinor:
				n, err = readInt(f)
				ver.Minor = int(n)
			}
			if err != nil {
				return nil, err
			}
		}
		vs = append(vs, ver)
	}
	return vs, nil
}

func encodeVersions(e *ttlv.Encoder, vs []Version) {
	for _, ver := range vs {
		_ = e.EncodeStructure(kmip14.TagProtocolVersion, func(e *ttlv.Encoder) error {
			e.EncodeInteger(kmip14.TagProtocolVersionMajor, int32(ver.Major))
			e.EncodeInteger(kmip14.TagProtocolVersionMinor, int32(ver.Minor))
			return nil
		})
	}
}

func decodeQueryRequest(v Version, p ttlv.TTLV) (*QueryRequest, *Error) {
	req := &QueryRequest{}
	for c := range children(p) {
		if c.Tag() != kmip14.TagQueryFunction {
			if err := extraField(v, p, c); err != nil {
				return nil, err
			}
			continue
		}
		f, err := readEnum(c)
		if err != nil {
			return nil, err
		}
		req.Functions = append(req.Functions, QueryFunction(f))
	}
	return req, nil
}

// first2xOperation and first2xObjectType are the first values KMIP 2.0
// adds; a 1.x Query response leaves them out.
const (
	first2xOperation  = OperationLog
	first2xObjectType = ObjectType(0x0A) // Certificate Request
)

func encodeQueryResponse(e *ttlv.Encoder, v Version, r *QueryResponse) error {
	for _, op := range r.Operations {
		if v.Is2x() || op < first2xOperation {
			e.EncodeEnumeration(kmip14.TagOperation, uint32(op))
		}
	}
	for _, t := range r.ObjectTypes {
		if v.Is2x() || t < first2xObjectType {
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(t))
		}
	}
	if r.VendorIdentification != "" {
		e.EncodeTextString(kmip14.TagVendorIdentification, r.VendorIdentification)
	}
	if si := r.ServerInformation; si != nil {
		err := e.EncodeStructure(kmip14.TagServerInformation, func(e *ttlv.Encoder) error {
			for _, f := range serverInformationFields(si) {
				if *f.value != "" {
					e.EncodeTextString(f.tag, *f.value)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, ns := range r.ApplicationNamespaces {
		e.EncodeTextString(kmip14.TagApplicationNamespace, ns)
	}
	return encodeQueryInfo(e, v, r)
}

// serverInformationFields pairs each Server Information field with its tag.
func serverInformationFields(si *ServerInformation) [6]struct {
	tag   ttlv.Tag
	value *string
} {
	return [6]struct {
		tag   ttlv.Tag
		value *string
	}{
		{kmip20.TagServerName, &si.ServerName},
		{kmip20.TagServerSerialNumber, &si.ServerSerialNumber},
		{kmip20.TagServerVersion, &si.ServerVersion},
		{kmip20.TagProductName, &si.ProductName},
		{kmip20.TagBuildLevel, &si.BuildLevel},
		{kmip20.TagBuildDate, &si.BuildDate},
	}
}

func decodeQueryResponse(v Version, p ttlv.TTLV) (*QueryResponse, *Error) {
	r := &QueryResponse{}
	var err *Error
	var x uint32
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagOperation:
			x, err = readEnum(c)
			r.Operations = append(r.Operations, Operation(x))
		case kmip14.TagObjectType:
			x, err = readEnum(c)
			r.ObjectTypes = append(r.ObjectTypes, ObjectType(x))
		case kmip14.TagVendorIdentification:
			r.VendorIdentification, err = readText(c)
		case kmip14.TagServerInformation:
			r.ServerInformation, err = decodeServerInformation(c)
		case kmip14.TagApplicationNamespace:
			var ns string
			ns, err = readText(c)
			r.ApplicationNamespaces = append(r.ApplicationNamespaces, ns)
		default:
			err = decodeQueryInfo(v, c, r)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// decodeServerInformation reads the fields the model knows; in 1.x the
// structure is vendor-defined and other items are ignored.
func decodeServerInformation(f ttlv.TTLV) (*ServerInformation, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	si := &ServerInformation{}
	fields := serverInformationFields(si)
	for c := range children(f) {
		for _, fl := range fields {
			if c.Tag() == fl.tag {
				s, err := readText(c)
				if err != nil {
					return nil, err
				}
				*fl.value = s
			}
		}
	}
	return si, nil
}
