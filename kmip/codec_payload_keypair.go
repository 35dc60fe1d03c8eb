package kmip

import (
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// CreateKeyPair, ReKey and ReKeyKeyPair payloads. KMIP 1.x carries the
// attributes of each part of a pair in a Common, Private Key or Public Key
// Template-Attribute; 2.x in Common, Private Key or Public Key Attributes.

// keyPairPart is one of the three parts of a key pair request: the 1.x
// and 2.x tags of its attribute container, and the tag of its 2.x
// Protection Storage Masks.
type keyPairPart struct {
	tag1x, tag2x, masks ttlv.Tag
}

var (
	commonPart     = keyPairPart{kmip14.TagCommonTemplateAttribute, kmip20.TagCommonAttributes, kmip20.TagCommonProtectionStorageMasks}
	privateKeyPart = keyPairPart{kmip14.TagPrivateKeyTemplateAttribute, kmip20.TagPrivateKeyAttributes, kmip20.TagPrivateProtectionStorageMasks}
	publicKeyPart  = keyPairPart{kmip14.TagPublicKeyTemplateAttribute, kmip20.TagPublicKeyAttributes, kmip20.TagPublicProtectionStorageMasks}
)

// keyPairAttrs holds the decoded attribute containers of a key pair
// request.
type keyPairAttrs struct {
	common, private, public                Attributes
	commonNames, privateNames, publicNames []Name
}

// decode reads c, a field of payload p, into the matching part when c is
// one of the containers that v defines; any other field is extraField's to
// judge, so that a container of the other version family is refused. With
// names false, template names are refused (ReKeyKeyPair has no field for
// them).
func (k *keyPairAttrs) decode(v Version, p, c ttlv.TTLV, names bool) *Error {
	parts := []struct {
		part  keyPairPart
		as    *Attributes
		names *[]Name
	}{
		{commonPart, &k.common, &k.commonNames},
		{privateKeyPart, &k.private, &k.privateNames},
		{publicKeyPart, &k.public, &k.publicNames},
	}
	for _, part := range parts {
		var err *Error
		switch {
		case v.Is2x() && c.Tag() == part.part.tag2x:
			*part.as, err = decodeAttrs2x(v, c, *part.as)
		case !v.Is2x() && c.Tag() == part.part.tag1x:
			n := part.names
			if !names {
				n = nil
			}
			*part.as, err = decodeTemplateAttribute(v, c, *part.as, n)
		case c.Tag() == part.part.masks:
			err = unsupportedField(v, p, c)
		default:
			continue
		}
		return err
	}
	return extraField(v, p, c)
}

// encodeKeyPairPart writes the container of part holding names and as, or
// nothing when both are empty.
func encodeKeyPairPart(e *ttlv.Encoder, v Version, part keyPairPart, names []Name, as Attributes) error {
	if len(names) == 0 && len(as) == 0 {
		return nil
	}
	if v.Is2x() {
		if len(names) > 0 {
			return fmt.Errorf("kmip: templates do not exist in KMIP %s", v)
		}
		return encodeAttrs2x(e, part.tag2x, v, as)
	}
	return encodeTemplateAttributeAs(e, part.tag1x, v, names, as)
}

func decodeCreateKeyPairRequest(v Version, p ttlv.TTLV) (*CreateKeyPairRequest, *Error) {
	var k keyPairAttrs
	for c := range children(p) {
		if err := k.decode(v, p, c, true); err != nil {
			return nil, err
		}
	}
	return &CreateKeyPairRequest{
		CommonAttributes:        k.common,
		PrivateKeyAttributes:    k.private,
		PublicKeyAttributes:     k.public,
		CommonTemplateNames:     k.commonNames,
		PrivateKeyTemplateNames: k.privateNames,
		PublicKeyTemplateNames:  k.publicNames,
	}, nil
}

func encodeCreateKeyPairRequest(e *ttlv.Encoder, v Version, r *CreateKeyPairRequest) error {
	if err := encodeKeyPairPart(e, v, commonPart, r.CommonTemplateNames, r.CommonAttributes); err != nil {
		return err
	}
	if err := encodeKeyPairPart(e, v, privateKeyPart, r.PrivateKeyTemplateNames, r.PrivateKeyAttributes); err != nil {
		return err
	}
	return encodeKeyPairPart(e, v, publicKeyPart, r.PublicKeyTemplateNames, r.PublicKeyAttributes)
}

// encodeKeyPairIDs writes the response of CreateKeyPair and ReKeyKeyPair.
func encodeKeyPairIDs(e *ttlv.Encoder, private, public string) {
	e.EncodeTextString(kmip14.TagPrivateKeyUniqueIdentifier, private)
	e.EncodeTextString(kmip14.TagPublicKeyUniqueIdentifier, public)
}

// decodeKeyPairIDs reads the response of CreateKeyPair and ReKeyKeyPair;
// both identifiers are required.
func decodeKeyPairIDs(v Version, p ttlv.TTLV) (private, public string, _ *Error) {
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagPrivateKeyUniqueIdentifier:
			private, err = readUID(v, c)
		case kmip14.TagPublicKeyUniqueIdentifier:
			public, err = readUID(v, c)
		}
		if err != nil {
			return "", "", err
		}
	}
	if private == "" || public == "" {
		return "", "", errMissing(v, "Private Key or Public Key Unique Identifier")
	}
	return private, public, nil
}

func decodeCreateKeyPairResponse(v Version, p ttlv.TTLV) (*CreateKeyPairResponse, *Error) {
	private, public, err := decodeKeyPairIDs(v, p)
	if err != nil {
		return nil, err
	}
	return &CreateKeyPairResponse{PrivateKeyUniqueIdentifier: private, PublicKeyUniqueIdentifier: public}, nil
}

// readOffset reads the Offset of a ReKey or ReKeyKeyPair request: an
// Interval (unsigned seconds).
func readOffset(c ttlv.TTLV) (*time.Duration, *Error) {
	d, err := readInterval(c)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func decodeReKeyRequest(v Version, p ttlv.TTLV) (*ReKeyRequest, *Error) {
	r := &ReKeyRequest{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagOffset:
			r.Offset, err = readOffset(c)
		case kmip20.TagProtectionStorageMasks:
			err = unsupportedField(v, p, c)
		default:
			r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, &r.TemplateNames)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func encodeReKeyRequest(e *ttlv.Encoder, v Version, r *ReKeyRequest) error {
	encodeUID(e, r.UniqueIdentifier)
	if r.Offset != nil {
		e.EncodeInterval(kmip14.TagOffset, *r.Offset)
	}
	if len(r.TemplateNames) == 0 && len(r.Attributes) == 0 {
		return nil
	}
	return encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes)
}

func decodeReKeyKeyPairRequest(v Version, p ttlv.TTLV) (*ReKeyKeyPairRequest, *Error) {
	r := &ReKeyKeyPairRequest{}
	var k keyPairAttrs
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagPrivateKeyUniqueIdentifier:
			r.PrivateKeyUniqueIdentifier, err = readUID(v, c)
		case kmip14.TagOffset:
			r.Offset, err = readOffset(c)
		default:
			err = k.decode(v, p, c, false)
		}
		if err != nil {
			return nil, err
		}
	}
	r.CommonAttributes, r.PrivateKeyAttributes, r.PublicKeyAttributes = k.common, k.private, k.public
	return r, nil
}

func encodeReKeyKeyPairRequest(e *ttlv.Encoder, v Version, r *ReKeyKeyPairRequest) error {
	if r.PrivateKeyUniqueIdentifier != "" {
		e.EncodeTextString(kmip14.TagPrivateKeyUniqueIdentifier, r.PrivateKeyUniqueIdentifier)
	}
	if r.Offset != nil {
		e.EncodeInterval(kmip14.TagOffset, *r.Offset)
	}
	if err := encodeKeyPairPart(e, v, commonPart, nil, r.CommonAttributes); err != nil {
		return err
	}
	if err := encodeKeyPairPart(e, v, privateKeyPart, nil, r.PrivateKeyAttributes); err != nil {
		return err
	}
	return encodeKeyPairPart(e, v, publicKeyPart, nil, r.PublicKeyAttributes)
}

func decodeReKeyKeyPairResponse(v Version, p ttlv.TTLV) (*ReKeyKeyPairResponse, *Error) {
	private, public, err := decodeKeyPairIDs(v, p)
	if err != nil {
		return nil, err
	}
	return &ReKeyKeyPairResponse{PrivateKeyUniqueIdentifier: private, PublicKeyUniqueIdentifier: public}, nil
}
