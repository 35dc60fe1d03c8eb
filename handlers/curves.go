package handlers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// keyCurve is an elliptic curve the module generates key pairs on.
type keyCurve struct {
	enum uint32 // Recommended Curve
	name string // hsm.KeyPairSpec's curve name
	bits int32  // Cryptographic Length (the order's bits, KMIP's Qlength)
}

// keyCurves are the curves of hsm.KeyPairSpec. Without a Recommended
// Curve, the Cryptographic Length chooses among the NIST ones (the first
// three), as in KMIP 1.0's profiles.
var keyCurves = []keyCurve{
	{uint32(kmip14.RecommendedCurveP_256), "P-256", 256},
	{uint32(kmip14.RecommendedCurveP_384), "P-384", 384},
	{uint32(kmip14.RecommendedCurveP_521), "P-521", 521},
	{uint32(kmip14.RecommendedCurveSECP256K1), hsm.Secp256k1, 256},
}

// keyPairCurve returns the curve of an EC pair to generate: the Recommended
// Curve of its Cryptographic Domain Parameters, or else the NIST curve of
// its Cryptographic Length n (0 when absent). A Qlength or Cryptographic
// Length that is not the curve's is Invalid Field, as is a curve the module
// does not generate on, named in the message.
func keyPairCurve(attrs kmip.Attributes, n int64) (keyCurve, error) {
	var dp kmip.DomainParameters
	if v := attrs.Get(kmip.AttrCryptographicDomainParameters); v != nil {
		var ok bool
		if dp, ok = kmip.ReadDomainParameters(v); !ok {
			return keyCurve{}, kmip.Errorf(kmip.ReasonInvalidField, "malformed Cryptographic Domain Parameters")
		}
	}
	if dp.RecommendedCurve == 0 {
		for _, c := range keyCurves[:3] {
			if int64(c.bits) == n && (dp.Qlength == 0 || dp.Qlength == c.bits) {
				return c, nil
			}
		}
		return keyCurve{}, kmip.Errorf(kmip.ReasonInvalidField, "EC keys are 256, 384 or 521 bits (P-256, P-384, P-521), or name a Recommended Curve (%s)", supportedCurves())
	}
	for _, c := range keyCurves {
		if c.enum != dp.RecommendedCurve {
			continue
		}
		if (n != 0 && n != int64(c.bits)) || (dp.Qlength != 0 && dp.Qlength != c.bits) {
			return keyCurve{}, kmip.Errorf(kmip.ReasonInvalidField, "%s keys are %d bits", curveName(c.enum), c.bits)
		}
		return c, nil
	}
	return keyCurve{}, kmip.Errorf(kmip.ReasonInvalidField, "Recommended Curve %s is not supported (supported: %s)", curveName(dp.RecommendedCurve), supportedCurves())
}

// curveName returns the name of a Recommended Curve.
func curveName(e uint32) string {
	if name, ok := kmip14.RecommendedCurveEnum.Name(e); ok {
		return name
	}
	return fmt.Sprintf("%#08x", e)
}

// supportedCurves lists the Recommended Curves of keyCurves.
func supportedCurves() string {
	names := make([]string, len(keyCurves))
	for i, c := range keyCurves {
		names[i] = curveName(c.enum)
	}
	return strings.Join(names, ", ")
}

// checkKeyCurve refuses, with Invalid Field naming the curve, a Public or
// Private Key in the clear on an elliptic curve the module does not
// support, so that Register refuses it rather than a later operation
// failing. Material that does not parse otherwise is left to the
// operations that use it, as before.
func checkKeyCurve(obj *kmip.Object) error {
	kb := obj.KeyBlock
	if kb == nil || kb.Wrapped {
		return nil
	}
	var err error
	switch obj.Type {
	case kmip14.ObjectTypePrivateKey:
		_, err = parsePrivate(kb)
	case kmip14.ObjectTypePublicKey:
		_, err = parsePublic(kb)
	}
	var ke *kmip.Error
	if errors.As(err, &ke) && ke.Reason == kmip.ReasonInvalidField {
		return err // a Transparent key's Recommended Curve (unsupportedCurve)
	}
	return curveError(err, kmip.ReasonInvalidField)
}

// curveError returns the KMIP error, with reason, of a key on an
// unsupported curve (hsm.CurveError), or nil when err is not one.
func curveError(err error, reason kmip.ResultReason) error {
	var ce *hsm.CurveError
	if !errors.As(err, &ce) {
		return nil
	}
	return kmip.Errorf(reason, "%s", strings.TrimPrefix(ce.Error(), "hsm: "))
}

// unsupportedCurve is the error for a Transparent EC key on a Recommended
// Curve the server does not support.
func unsupportedCurve(e uint32) error {
	return kmip.Errorf(kmip.ReasonInvalidField, "Recommended Curve %s is not supported for transparent EC keys", curveName(e))
}
