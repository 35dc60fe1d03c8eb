package handlers

import (
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// Who may set what. The table in kmip/attrdefs.go says, per standard
// attribute, which versions define it, whether only the server sets it,
// whether it may have several instances and whether a client may modify or
// delete it after creation. Custom attributes (x-, y-, vendor) are free.
//
// Reasons, per version (the 2.1 ones from the conformance cases BL-M-5, -7,
// -8, -10; 1.x has no such reasons):
//
//	server-only attribute in Create/Register      1.x Invalid Field      2.x Attribute Read Only
//	server-only or fixed attribute changed later  1.x Permission Denied  2.x Attribute Read Only
//	second instance of a single-valued one        1.x Invalid Field      2.x Attribute Single Valued
//	attribute the version does not define         1.x Invalid Field      2.x Invalid Attribute
//	value of the wrong type                       1.x Invalid Field      2.x Invalid Attribute Value

// readOnlyAtCreation overrides the 1.x reason: Reason1x maps Attribute Read
// Only to Permission Denied, what 1.x answers a change to such an attribute
// (KMIP 1.4 section 11, Add, Modify and Delete Attribute), whereas 1.x
// counts setting one in a Create or Register as an incorrect attribute
// value, Invalid Field (section 11, Create and Register).
func readOnlyAtCreation(name string) error {
	return &kmip.Error{Reason: kmip.ReasonAttributeReadOnly, Reason1x: kmip.ReasonInvalidField, Message: name + " is set by the server"}
}

func readOnly(name string) error {
	return &kmip.Error{Reason: kmip.ReasonAttributeReadOnly, Message: name + " cannot be changed by a client"}
}

func singleValued(name string) error {
	return &kmip.Error{Reason: kmip.ReasonAttributeSingleValued, Message: name + " takes a single value"}
}

func invalidAttribute(v kmip.Version, name string) error {
	return &kmip.Error{Reason: kmip.ReasonInvalidAttribute, Message: "attribute " + name + " is not supported in KMIP " + v.String()}
}

func invalidValue(name string) error {
	return &kmip.Error{Reason: kmip.ReasonInvalidAttributeValue, Message: "invalid value for " + name}
}

// checkAttribute checks that a client may give instance a at all in version v
// (defined in v, a value of the right type), and returns its definition (nil
// for custom attributes).
func checkAttribute(v kmip.Version, a kmip.Attribute) (*kmip.AttrDef, error) {
	if kmip.IsCustomAttr(a.Name) {
		if _, ok := encodeScalar(a.Value); !ok {
			return nil, invalidValue(a.Name)
		}
		return nil, nil
	}
	def := kmip.LookupAttr(a.Name)
	if def == nil || !def.DefinedIn(v) {
		return nil, invalidAttribute(v, a.Name)
	}
	if !valueFits(def, a.Value) {
		return nil, invalidValue(a.Name)
	}
	return def, nil
}

// valueFits reports whether value has the Go type the canonical model gives
// attributes of def's TTLV type.
func valueFits(def *kmip.AttrDef, value any) bool {
	switch def.Type {
	case ttlv.TypeTextString:
		_, ok := value.(string)
		return ok
	case ttlv.TypeByteString:
		_, ok := value.([]byte)
		return ok
	case ttlv.TypeBoolean:
		_, ok := value.(bool)
		return ok
	case ttlv.TypeDateTime:
		_, ok := value.(time.Time)
		return ok
	case ttlv.TypeInterval:
		_, ok := value.(time.Duration)
		return ok
	case ttlv.TypeEnumeration:
		_, ok := enumValue(value)
		return ok
	case ttlv.TypeInteger, ttlv.TypeLongInteger:
		_, ok := intValue(value)
		return ok
	case ttlv.TypeStructure:
		switch def.Name {
		case kmip.AttrName:
			n, ok := value.(kmip.Name)
			return ok && n.Value != ""
		case kmip.AttrLink:
			l, ok := value.(kmip.Link)
			return ok && l.ID != ""
		case kmip.AttrApplicationSpecificInformation:
			_, ok := value.(kmip.ApplicationSpecificInformation)
			return ok
		}
		return value != nil
	}
	return value != nil
}

// checkCreationAttrs checks the attributes a client gives in an operation
// that makes a new object (Create, Create Key Pair, Re-key, ...) in
// version v.
func checkCreationAttrs(v kmip.Version, attrs kmip.Attributes) error {
	return checkNewAttrs(v, attrs, false)
}

// checkRegisterAttrs checks the attributes a client gives with an object
// it registers (Register, Import) in version v: those of Create, and the
// server-set ones that describe the object's past (AttrDef.ClientRegister).
func checkRegisterAttrs(v kmip.Version, attrs kmip.Attributes) error {
	return checkNewAttrs(v, attrs, true)
}

func checkNewAttrs(v kmip.Version, attrs kmip.Attributes, registered bool) error {
	seen := map[string]bool{}
	for _, a := range attrs {
		def, err := checkAttribute(v, a)
		if err != nil {
			return err
		}
		if def != nil && def.ServerOnly && !(registered && def.ClientRegister) {
			return readOnlyAtCreation(a.Name)
		}
		if def != nil && !def.Multi && seen[a.Name] {
			return singleValued(a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// fixedAfterCreation reports whether a client may not add, modify or delete
// the attribute name once the object exists. Cryptographic Algorithm, Length
// and Usage Mask describe the key and never change.
func fixedAfterCreation(def *kmip.AttrDef) bool {
	if def == nil {
		return false
	}
	switch def.Name {
	case kmip.AttrCryptographicAlgorithm, kmip.AttrCryptographicLength,
		kmip.AttrCryptographicUsageMask, kmip.AttrCryptographicDomainParameters:
		return true
	}
	return def.ServerOnly
}

// checkChange checks that a client may add or set instance a on an object in
// state st, in version v, with modify reporting a modification (the
// attribute must then be client-modifiable).
func checkChange(v kmip.Version, a kmip.Attribute, st kmip.State, modify bool) (*kmip.AttrDef, error) {
	def, err := checkAttribute(v, a)
	if err != nil {
		return nil, err
	}
	if fixedAfterCreation(def) {
		return nil, readOnly(a.Name)
	}
	if def != nil && modify && !def.ClientModify {
		return nil, readOnly(a.Name)
	}
	// Activation Date may be set only while the object is Pre-Active
	// (conformance case SKLC-M-3); Deactivation and Process Start/Protect
	// Stop dates only before they pass.
	if a.Name == kmip.AttrActivationDate && st != kmip14.StatePreActive {
		return nil, wrongState(st)
	}
	return def, nil
}

// checkDelete checks that a client may delete attribute name in version v.
func checkDelete(v kmip.Version, name string, st kmip.State) error {
	if kmip.IsCustomAttr(name) {
		return nil
	}
	def := kmip.LookupAttr(name)
	if def == nil || !def.DefinedIn(v) {
		return invalidAttribute(v, name)
	}
	if fixedAfterCreation(def) || !def.ClientDelete {
		return readOnly(name)
	}
	if name == kmip.AttrActivationDate && st != kmip14.StatePreActive {
		return wrongState(st)
	}
	return nil
}
