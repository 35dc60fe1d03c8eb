package handlers

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Index terms. Locate resolves its indexed filters through store.Find with
// these, then reads only the candidates to check the other filters.
//
//	Object Type, State, Cryptographic Algorithm   4-byte big-endian enumeration
//	Cryptographic Length                          4-byte big-endian integer
//	Name                                          the name's text
//	Object Group                                  the group's text
//	Application Specific Information              the namespace's text
//	Link                                          the linked object's identifier
//	x-..., y-..., vendor attributes               typed canonical encoding (encodeScalar),
//	                                              or its digest when long (customTerm)
//	termLive                                      "1" on objects not destroyed
//	termPending                                   "1" on objects waiting for an Activation
//	                                              or Deactivation Date (see Sweep)
//	termArchived                                  "1" on archived objects (archive.go)
const (
	termLive    = "_live"
	termPending = "_pending"
)

func liveTerm() store.Term    { return store.Term{Name: termLive, Value: []byte{1}} }
func pendingTerm() store.Term { return store.Term{Name: termPending, Value: []byte{1}} }

// indexed reports whether Locate can resolve attribute name through the index.
func indexed(name string) bool {
	switch name {
	case kmip.AttrObjectType, kmip.AttrState, kmip.AttrCryptographicAlgorithm,
		kmip.AttrCryptographicLength, kmip.AttrName, kmip.AttrObjectGroup,
		kmip.AttrApplicationSpecificInformation, kmip.AttrLink:
		return true
	}
	return kmip.IsCustomAttr(name)
}

// terms returns the index terms of an object with attrs.
func terms(attrs kmip.Attributes) []store.Term {
	var ts []store.Term
	for _, a := range attrs {
		if !indexed(a.Name) {
			continue
		}
		if v, ok := termValue(a.Name, a.Value); ok {
			ts = append(ts, store.Term{Name: a.Name, Value: v})
		}
	}
	state := stateOf(attrs)
	if !isDestroyed(state) {
		ts = append(ts, liveTerm())
	}
	if (state == kmip14.StatePreActive && attrs.Has(kmip.AttrActivationDate)) ||
		(state == kmip14.StateActive && attrs.Has(kmip.AttrDeactivationDate)) {
		ts = append(ts, pendingTerm())
	}
	if isArchived(attrs) {
		ts = append(ts, archivedTerm())
	}
	return ts
}

// termValue returns the canonical index value of an instance of the indexed
// attribute name, or false when the value cannot be indexed.
func termValue(name string, value any) ([]byte, bool) {
	switch name {
	case kmip.AttrObjectType, kmip.AttrState, kmip.AttrCryptographicAlgorithm:
		u, ok := enumValue(value)
		return binary.BigEndian.AppendUint32(nil, u), ok
	case kmip.AttrCryptographicLength:
		n, ok := intValue(value)
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, false
		}
		return binary.BigEndian.AppendUint32(nil, uint32(int32(n))), true
	case kmip.AttrName:
		n, ok := value.(kmip.Name)
		return []byte(n.Value), ok
	case kmip.AttrObjectGroup:
		g, ok := value.(string)
		return []byte(g), ok
	case kmip.AttrApplicationSpecificInformation:
		a, ok := value.(kmip.ApplicationSpecificInformation)
		return []byte(a.Namespace), ok
	case kmip.AttrLink:
		l, ok := value.(kmip.Link)
		return []byte(l.ID), ok
	}
	v, _, ok := customTerm(value)
	return v, ok
}

// maxTermValue bounds the index value of a custom attribute: Badger keys
// hold at most 65000 bytes, and short keys keep the index small.
const maxTermValue = 128

// customTerm returns the index value of a custom attribute's value: its
// typed canonical encoding, or, when that is longer than maxTermValue, 'h'
// and its SHA-256 digest, with exact false: Locate then compares the value
// itself on the candidates.
func customTerm(value any) (v []byte, exact, ok bool) {
	v, ok = encodeScalar(value)
	if !ok || len(v) <= maxTermValue {
		return v, true, ok
	}
	sum := sha256.Sum256(v)
	return append([]byte{'h'}, sum[:]...), false, true
}

// encodeScalar encodes a primitive value with a type byte, so that values of
// different types never compare equal.
func encodeScalar(value any) ([]byte, bool) {
	switch v := value.(type) {
	case string:
		return append([]byte{'s'}, v...), true
	case []byte:
		return append([]byte{'b'}, v...), true
	case bool:
		if v {
			return []byte{'o', 1}, true
		}
		return []byte{'o', 0}, true
	case time.Time:
		return binary.BigEndian.AppendUint64([]byte{'t'}, uint64(v.Unix())), true
	case time.Duration:
		return binary.BigEndian.AppendUint64([]byte{'d'}, uint64(v)), true
	case ttlv.TTLV:
		// Big Integer, Date-Time Extended, Structure: the item as received
		// under the Attribute Value tag (kmip/codec_attr_custom.go), so
		// equal values have equal encodings.
		return append([]byte{'r'}, v...), true
	}
	if u, ok := enumValue(value); ok {
		return binary.BigEndian.AppendUint32([]byte{'e'}, u), true
	}
	if n, ok := intValue(value); ok {
		return binary.BigEndian.AppendUint64([]byte{'i'}, uint64(n)), true
	}
	return nil, false
}
