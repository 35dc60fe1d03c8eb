package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// createKeyPair generates an asymmetric key pair in the module: RSA of
// 2048, 3072 or 4096 bits, EC on P-256, P-384, P-521 or secp256k1
// (curves.go), or Ed25519 (2.x). Each key gets the common
// attributes with its own over them, Link attributes to the other (Public
// Key Link on the private key, Private Key Link on the public one) and the
// server-set attributes Create gives. The private key becomes the batch's ID
// Placeholder.
func (s *Service) createKeyPair(ctx context.Context, req *kmip.Request, p *kmip.CreateKeyPairRequest) (any, error) {
	common, err := s.withTemplates(ctx, req, p.CommonTemplateNames, p.CommonAttributes)
	if err != nil {
		return nil, err
	}
	privAttrs, err := s.withTemplates(ctx, req, p.PrivateKeyTemplateNames, p.PrivateKeyAttributes)
	if err != nil {
		return nil, err
	}
	pubAttrs, err := s.withTemplates(ctx, req, p.PublicKeyTemplateNames, p.PublicKeyAttributes)
	if err != nil {
		return nil, err
	}
	priv, pub, err := s.newKeyPair(ctx, req, over(common, privAttrs), over(common, pubAttrs), nil, nil)
	if err != nil {
		return nil, err
	}
	return &kmip.CreateKeyPairResponse{PrivateKeyUniqueIdentifier: priv, PublicKeyUniqueIdentifier: pub}, nil
}

// over returns base with the attributes of top replacing base's instances of
// the same name.
func over(base, top kmip.Attributes) kmip.Attributes {
	out := kmip.Attributes(nil)
	for _, a := range base {
		if !top.Has(a.Name) {
			out = append(out, a)
		}
	}
	return append(out, top...)
}

// newKeyPair generates and stores a pair with the given client attributes
// (checked here) and attributes the server adds to each key (ReKeyKeyPair's
// carried-over ones; not checked), and returns the identifiers of the
// private and the public key.
func (s *Service) newKeyPair(ctx context.Context, req *kmip.Request, privAttrs, pubAttrs, privExtra, pubExtra kmip.Attributes) (string, string, error) {
	v := req.Version
	for _, attrs := range []kmip.Attributes{privAttrs, pubAttrs} {
		if err := checkCreationAttrs(v, attrs); err != nil {
			return "", "", err
		}
	}
	privAttrs, pubAttrs = inherit(privExtra, privAttrs), inherit(pubExtra, pubAttrs)
	alg, bits, spec, err := keyPairSpec(v, privAttrs)
	if err != nil {
		return "", "", err
	}
	priv, err := s.newManaged(req, kmip14.ObjectTypePrivateKey, privAttrs)
	if err != nil {
		return "", "", err
	}
	pub, err := s.newManaged(req, kmip14.ObjectTypePublicKey, pubAttrs)
	if err != nil {
		return "", "", err
	}
	pkcs8, pkix, err := s.crypto.GenerateKeyPair(spec)
	if err != nil {
		return "", "", moduleError(err)
	}
	privBlock, err := storedPrivate(pkcs8, alg, bits)
	clear(pkcs8)
	if err != nil {
		return "", "", err
	}
	defer clear(privBlock.Material)
	pubBlock, err := storedPublic(pkix, alg, bits)
	if err != nil {
		return "", "", err
	}
	for _, k := range []struct {
		m     *managed
		block *kmip.KeyBlock
		link  kmip.Link
	}{
		{priv, privBlock, kmip.Link{Type: kmip14.LinkTypePublicKeyLink, ID: pub.id}},
		{pub, pubBlock, kmip.Link{Type: kmip14.LinkTypePrivateKeyLink, ID: priv.id}},
	} {
		if err := s.setContent(k.m, &kmip.Object{Type: objectTypeOf(k.m.attrs), KeyBlock: k.block}); err != nil {
			return "", "", err
		}
		setSingle(&k.m.attrs, kmip.AttrCryptographicAlgorithm, alg)
		setSingle(&k.m.attrs, kmip.AttrCryptographicLength, bits)
		setSingle(&k.m.attrs, kmip.AttrKeyFormatType, k.block.FormatType)
		if s.rng.RNGAlgorithm != 0 {
			setSingle(&k.m.attrs, kmip.AttrRandomNumberGenerator, s.rng)
		}
		k.m.attrs = append(k.m.attrs, kmip.Attribute{Name: kmip.AttrLink, Value: k.link, Index: nextIndex(k.m.attrs, kmip.AttrLink)})
	}
	if err := s.insert(ctx, req, pub); err != nil {
		return "", "", err
	}
	if err := s.insert(ctx, req, priv); err != nil {
		return "", "", err
	}
	s.log.Debug("created key pair", zap.String("private", priv.id), zap.String("public", pub.id), zap.String("owner", priv.owner), zap.Stringer("algorithm", alg), zap.Int32("bits", bits))
	return priv.id, pub.id, nil
}

// keyPairSpec returns what a pair with attrs is: its Cryptographic
// Algorithm and Length and the module's spec.
func keyPairSpec(v kmip.Version, attrs kmip.Attributes) (kmip.CryptographicAlgorithm, int32, hsm.KeyPairSpec, error) {
	u, ok := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm))
	if !ok {
		return 0, 0, hsm.KeyPairSpec{}, kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Algorithm is required")
	}
	alg := kmip.CryptographicAlgorithm(u)
	n, _ := intValue(attrs.Get(kmip.AttrCryptographicLength))
	switch alg {
	case kmip14.CryptographicAlgorithmRSA:
		if n != 2048 && n != 3072 && n != 4096 {
			return 0, 0, hsm.KeyPairSpec{}, kmip.Errorf(kmip.ReasonInvalidField, "RSA keys are 2048, 3072 or 4096 bits")
		}
		return alg, int32(n), hsm.KeyPairSpec{Algorithm: hsm.RSA, Bits: int(n)}, nil
	case kmip14.CryptographicAlgorithmEC, kmip14.CryptographicAlgorithmECDSA:
		c, err := keyPairCurve(attrs, n)
		if err != nil {
			return 0, 0, hsm.KeyPairSpec{}, err
		}
		return alg, c.bits, hsm.KeyPairSpec{Algorithm: hsm.ECDSA, Curve: c.name}, nil
	case algEd25519:
		if !v.Is2x() {
			break
		}
		return alg, 256, hsm.KeyPairSpec{Algorithm: hsm.Ed25519}, nil
	}
	return 0, 0, hsm.KeyPairSpec{}, kmip.Errorf(kmip.ReasonInvalidField, "unsupported Cryptographic Algorithm for a key pair")
}
