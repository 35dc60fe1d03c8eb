package store

import "encoding/binary"

// Key layout of the Badger store. Every key starts with a one-byte space tag;
// the variable parts before the last one are length-prefixed (uvarint length,
// then the bytes), so no value, whatever bytes it holds, can make one key a
// prefix of another key of a different (owner, name, value):
//
//	object record   0x01 | id                                    -> record (record.go)
//	term index      0x02 | lp(owner) | lp(name) | lp(value) | id -> empty
//	owner index     0x03 | lp(owner) | id                        -> empty
//
// lp(x) is uvarint(len(x)) followed by x. A uvarint is prefix-free, so two
// different lp(x) never share a prefix that ends on a field boundary. The ID
// is the unprefixed tail of the index keys: a posting list is every key under
// one (owner, name, value) prefix, sorted by ID, which is the order Find
// returns. The object's owner is part of every index key, so one owner's
// query never reads another owner's entries, even for equal terms.
const (
	spaceObject byte = 0x01
	spaceTerm   byte = 0x02
	spaceOwner  byte = 0x03
)

// objectKey returns the key of the record of object id.
func objectKey(id string) []byte {
	k := make([]byte, 0, 1+len(id))
	k = append(k, spaceObject)
	return append(k, id...)
}

// termPrefix returns the prefix of the posting list of (owner, t).
func termPrefix(owner string, t Term) []byte {
	k := make([]byte, 0, 1+3*binary.MaxVarintLen32+len(owner)+len(t.Name)+len(t.Value))
	k = append(k, spaceTerm)
	k = appendLengthPrefixed(k, []byte(owner))
	k = appendLengthPrefixed(k, []byte(t.Name))
	return appendLengthPrefixed(k, t.Value)
}

// termKey returns the index key of object id under (owner, t).
func termKey(owner string, t Term, id string) []byte {
	return append(termPrefix(owner, t), id...)
}

// ownerPrefix returns the prefix of the owner index of owner.
func ownerPrefix(owner string) []byte {
	k := make([]byte, 0, 1+binary.MaxVarintLen32+len(owner))
	k = append(k, spaceOwner)
	return appendLengthPrefixed(k, []byte(owner))
}

// ownerKey returns the owner index key of object id.
func ownerKey(owner, id string) []byte {
	return append(ownerPrefix(owner), id...)
}

// appendLengthPrefixed appends uvarint(len(b)) and b to dst.
func appendLengthPrefixed(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}
