package kmip

import "github.com/gemalto/kmip-go/ttlv"

// The Archive and Recover payloads (KMIP 1.4 sections 4.22 and 4.23, 2.1
// sections 6.1.5 and 6.1.41): in every version and both directions, an
// optional Unique Identifier and nothing else. Encoding is encodeUID in the
// dispatch of codec_payloads.go.

func decodeArchiveRequest(v Version, p ttlv.TTLV) (*ArchiveRequest, *Error) {
	id, err := decodeUIDOnly(v, p)
	return &ArchiveRequest{UniqueIdentifier: id}, err
}

func decodeArchiveResponse(v Version, p ttlv.TTLV) (*ArchiveResponse, *Error) {
	id, err := decodeUIDOnly(v, p)
	return &ArchiveResponse{UniqueIdentifier: id}, err
}

func decodeRecoverRequest(v Version, p ttlv.TTLV) (*RecoverRequest, *Error) {
	id, err := decodeUIDOnly(v, p)
	return &RecoverRequest{UniqueIdentifier: id}, err
}

func decodeRecoverResponse(v Version, p ttlv.TTLV) (*RecoverResponse, *Error) {
	id, err := decodeUIDOnly(v, p)
	return &RecoverResponse{UniqueIdentifier: id}, err
}
