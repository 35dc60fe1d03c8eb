package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Query response fields of query_info.go: each encoded only in the
// versions that define it, in the order of the response payload (KMIP 1.4
// section 4.25, 2.1 section 6.1.40).

// encodeQueryInfo writes the fields of r after Application Namespace.
func encodeQueryInfo(e *ttlv.Encoder, v Version, r *QueryResponse) error {
	if v.AtLeast(V1_1) {
		for i := range r.Extensions {
			encodeExtensionInformation(e, &r.Extensions[i])
		}
	}
	if v.AtLeast(V1_2) {
		for _, a := range r.AttestationTypes {
			e.EncodeEnumeration(kmip14.TagAttestationType, uint32(a))
		}
	}
	if !v.AtLeast(V1_3) {
		return nil
	}
	for i := range r.RNGs {
		if err := encodeRNGParameters(e, kmip14.TagRNGParameters, &r.RNGs[i]); err != nil {
			return err
		}
	}
	for i := range r.Profiles {
		encodeProfileInformation(e, v, &r.Profiles[i])
	}
	for i := range r.Validations {
		encodeValidationInformation(e, &r.Validations[i])
	}
	for i := range r.Capabilities {
		encodeCapabilityInformation(e, v, &r.Capabilities[i])
	}
	for _, m := range r.ClientRegistration {
		e.EncodeEnumeration(kmip14.TagClientRegistrationMethod, uint32(m))
	}
	if !v.Is2x() {
		return nil
	}
	if d := r.Defaults; d != nil {
		err := e.EncodeStructure(kmip20.TagDefaultsInformation, func(e *ttlv.Encoder) error {
			for i := range d.ObjectDefaults {
				od := &d.ObjectDefaults[i]
				err := e.EncodeStructure(kmip20.TagObjectDefaults, func(e *ttlv.Encoder) error {
					e.EncodeEnumeration(kmip14.TagObjectType, uint32(od.ObjectType))
					return encodeAttrs2x(e, kmip20.TagAttributes, v, od.Attributes)
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if r.ProtectionStorageMasks != nil {
		_ = e.EncodeStructure(kmip20.TagProtectionStorageMasks, func(e *ttlv.Encoder) error {
			for _, m := range r.ProtectionStorageMasks {
				e.EncodeInteger(kmip20.TagProtectionStorageMask, m)
			}
			return nil
		})
	}
	return nil
}

func encodeExtensionInformation(e *ttlv.Encoder, x *ExtensionInformation) {
	_ = e.EncodeStructure(kmip14.TagExtensionInformation, func(e *ttlv.Encoder) error {
		e.EncodeTextString(kmip14.TagExtensionName, x.Name)
		if x.Tag != 0 {
			e.EncodeInteger(kmip14.TagExtensionTag, int32(x.Tag))
		}
		if x.Type != 0 {
			e.EncodeInteger(kmip14.TagExtensionType, int32(x.Type))
		}
		return nil
	})
}

func encodeProfileInformation(e *ttlv.Encoder, v Version, p *ProfileInformation) {
	_ = e.EncodeStructure(kmip14.TagProfileInformation, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagProfileName, uint32(p.Name))
		if p.ServerURI != "" {
			e.EncodeTextString(kmip14.TagServerURI, p.ServerURI)
		}
		if p.ServerPort != 0 {
			e.EncodeInteger(kmip14.TagServerPort, p.ServerPort)
		}
		if pv := p.Version; pv != nil && v.Is2x() {
			_ = e.EncodeStructure(kmip20.TagProfileVersion, func(e *ttlv.Encoder) error {
				e.EncodeInteger(kmip20.TagProfileVersionMajor, int32(pv.Major))
				e.EncodeInteger(kmip20.TagProfileVersionMinor, int32(pv.Minor))
				return nil
			})
		}
		return nil
	})
}

func encodeValidationInformation(e *ttlv.Encoder, x *ValidationInformation) {
	_ = e.EncodeStructure(kmip14.TagValidationInformation, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagValidationAuthorityType, x.AuthorityType)
		e.EncodeInteger(kmip14.TagValidationVersionMajor, x.VersionMajor)
		e.EncodeInteger(kmip14.TagValidationVersionMinor, x.VersionMinor)
		e.EncodeEnumeration(kmip14.TagValidationType, x.Type)
		e.EncodeInteger(kmip14.TagValidationLevel, x.Level)
		if x.CertificateIdentifier != "" {
			e.EncodeTextString(kmip14.TagValidationCertificateIdentifier, x.CertificateIdentifier)
		}
		return nil
	})
}

func encodeCapabilityInformation(e *ttlv.Encoder, v Version, c *CapabilityInformation) {
	_ = e.EncodeStructure(kmip14.TagCapabilityInformation, func(e *ttlv.Encoder) error {
		boolean := func(t ttlv.Tag, b *bool) {
			if b != nil {
				e.EncodeBoolean(t, *b)
			}
		}
		enum := func(t ttlv.Tag, x uint32) {
			if x != 0 {
				e.EncodeEnumeration(t, x)
			}
		}
		boolean(kmip14.TagStreamingCapability, c.Streaming)
		boolean(kmip14.TagAsynchronousCapability, c.Asynchronous)
		boolean(kmip14.TagAttestationCapability, c.Attestation)
		if v.AtLeast(V1_4) {
			boolean(kmip14.TagBatchUndoCapability, c.BatchUndo)
			boolean(kmip14.TagBatchContinueCapability, c.BatchContinue)
		}
		enum(kmip14.TagUnwrapMode, c.UnwrapMode)
		enum(kmip14.TagDestroyAction, c.DestroyAction)
		enum(kmip14.TagShreddingAlgorithm, c.ShreddingAlgorithm)
		enum(kmip14.TagRNGMode, c.RNGMode)
		if v.Is2x() {
			boolean(kmip20.TagQuantumSafeCapability, c.QuantumSafe)
		}
		return nil
	})
}

// decodeQueryInfo reads field c of a Query response into r when it is one
// of query_info.go's, and ignores it otherwise.
func decodeQueryInfo(v Version, c ttlv.TTLV, r *QueryResponse) *Error {
	var err *Error
	var x uint32
	switch c.Tag() {
	case kmip14.TagExtensionInformation:
		var ei ExtensionInformation
		ei, err = decodeExtensionInformation(c)
		r.Extensions = append(r.Extensions, ei)
	case kmip14.TagAttestationType:
		x, err = readEnum(c)
		r.AttestationTypes = append(r.AttestationTypes, AttestationType(x))
	case kmip14.TagRNGParameters:
		var p RNGParameters
		p, err = decodeRNGParameters(c)
		r.RNGs = append(r.RNGs, p)
	case kmip14.TagProfileInformation:
		var p ProfileInformation
		p, err = decodeProfileInformation(c)
		r.Profiles = append(r.Profiles, p)
	case kmip14.TagValidationInformation:
		var vi ValidationInformation
		vi, err = decodeValidationInformation(c)
		r.Validations = append(r.Validations, vi)
	case kmip14.TagCapabilityInformation:
		var ci CapabilityInformation
		ci, err = decodeCapabilityInformation(c)
		r.Capabilities = append(r.Capabilities, ci)
	case kmip14.TagClientRegistrationMethod:
		x, err = readEnum(c)
		r.ClientRegistration = append(r.ClientRegistration, ClientRegistrationMethod(x))
	case kmip20.TagDefaultsInformation:
		r.Defaults, err = decodeDefaultsInformation(v, c)
	case kmip20.TagProtectionStorageMasks:
		err = readStructure(c)
		r.ProtectionStorageMasks = []int32{}
		for m := range children(c) {
			var n int32
			if n, err = readInt(m); err != nil {
				break
			}
			r.ProtectionStorageMasks = append(r.ProtectionStorageMasks, n)
		}
	}
	return err
}

func decodeExtensionInformation(f ttlv.TTLV) (ExtensionInformation, *Error) {
	var x ExtensionInformation
	if err := readStructure(f); err != nil {
		return x, err
	}
	var err *Error
	var n int32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagExtensionName:
			x.Name, err = readText(c)
		case kmip14.TagExtensionTag:
			n, err = readInt(c)
			x.Tag = ttlv.Tag(n)
		case kmip14.TagExtensionType:
			n, err = readInt(c)
			x.Type = ttlv.Type(n)
		}
		if err != nil {
			return x, err
		}
	}
	return x, nil
}

func decodeProfileInformation(f ttlv.TTLV) (ProfileInformation, *Error) {
	var p ProfileInformation
	if err := readStructure(f); err != nil {
		return p, err
	}
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagProfileName:
			x, err = readEnum(c)
			p.Name = ProfileName(x)
		case kmip14.TagServerURI:
			p.ServerURI, err = readText(c)
		case kmip14.TagServerPort:
			p.ServerPort, err = readInt(c)
		case kmip20.TagProfileVersion:
			var pv Version
			pv, err = decodeVersionFields(c, kmip20.TagProfileVersionMajor, kmip20.TagProfileVersionMinor)
			p.Version = &pv
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// decodeVersionFields reads a structure of a major and a minor Integer.
func decodeVersionFields(f ttlv.TTLV, major, minor ttlv.Tag) (Version, *Error) {
	var ver Version
	if err := readStructure(f); err != nil {
		return ver, err
	}
	for c := range children(f) {
		if c.Tag() != major && c.Tag() != minor {
			continue
		}
		n, err := readInt(c)
		if err != nil {
			return ver, err
		}
		if c.Tag() == major {
			ver.Major = int(n)
		} else {
			ver.Minor = int(n)
		}
	}
	return ver, nil
}

func decodeValidationInformation(f ttlv.TTLV) (ValidationInformation, *Error) {
	var x ValidationInformation
	if err := readStructure(f); err != nil {
		return x, err
	}
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagValidationAuthorityType:
			x.AuthorityType, err = readEnum(c)
		case kmip14.TagValidationVersionMajor:
			x.VersionMajor, err = readInt(c)
		case kmip14.TagValidationVersionMinor:
			x.VersionMinor, err = readInt(c)
		case kmip14.TagValidationType:
			x.Type, err = readEnum(c)
		case kmip14.TagValidationLevel:
			x.Level, err = readInt(c)
		case kmip14.TagValidationCertificateIdentifier:
			x.CertificateIdentifier, err = readText(c)
		}
		if err != nil {
			return x, err
		}
	}
	return x, nil
}

func decodeCapabilityInformation(f ttlv.TTLV) (CapabilityInformation, *Error) {
	var ci CapabilityInformation
	if err := readStructure(f); err != nil {
		return ci, err
	}
	bools := map[ttlv.Tag]**bool{
		kmip14.TagStreamingCapability:     &ci.Streaming,
		kmip14.TagAsynchronousCapability:  &ci.Asynchronous,
		kmip14.TagAttestationCapability:   &ci.Attestation,
		kmip14.TagBatchUndoCapability:     &ci.BatchUndo,
		kmip14.TagBatchContinueCapability: &ci.BatchContinue,
		kmip20.TagQuantumSafeCapability:   &ci.QuantumSafe,
	}
	enums := map[ttlv.Tag]*uint32{
		kmip14.TagUnwrapMode:         &ci.UnwrapMode,
		kmip14.TagDestroyAction:      &ci.DestroyAction,
		kmip14.TagShreddingAlgorithm: &ci.ShreddingAlgorithm,
		kmip14.TagRNGMode:            &ci.RNGMode,
	}
	for c := range children(f) {
		var err *Error
		if p, ok := bools[c.Tag()]; ok {
			var b bool
			b, err = readBool(c)
			*p = &b
		} else if p, ok := enums[c.Tag()]; ok {
			*p, err = readEnum(c)
		}
		if err != nil {
			return ci, err
		}
	}
	return ci, nil
}

func decodeDefaultsInformation(v Version, f ttlv.TTLV) (*DefaultsInformation, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	d := &DefaultsInformation{}
	for c := range children(f) {
		if c.Tag() != kmip20.TagObjectDefaults {
			continue
		}
		if err := readStructure(c); err != nil {
			return nil, err
		}
		var od ObjectDefaults
		for g := range children(c) {
			var err *Error
			switch g.Tag() {
			case kmip14.TagObjectType:
				var x uint32
				x, err = readEnum(g)
				od.ObjectType = ObjectType(x)
			case kmip20.TagAttributes:
				od.Attributes, err = decodeAttrs2x(v, g, nil)
			}
			if err != nil {
				return nil, err
			}
		}
		d.ObjectDefaults = append(d.ObjectDefaults, od)
	}
	return d, nil
}
