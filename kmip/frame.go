package kmip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// headerLen is the length of a TTLV item header: 3 bytes of tag, 1 of type,
// 4 of length.
const headerLen = 8

// Framing errors. readFrame returns one of them (possibly wrapped) so that
// the server can choose between a clean close and an error response.
var (
	// errNotKMIP: the first 8 bytes are not the header of the expected
	// message (wrong tag, not a Structure, or a length not a multiple of 8).
	// Nothing sensible can be answered; the connection is closed.
	errNotKMIP = errors.New("kmip: not a KMIP message header")

	// errFrameTooLarge: the header announces a message larger than the
	// configured maximum. The body is not read; a KMIP error can be answered
	// before the connection is closed.
	errFrameTooLarge = errors.New("kmip: message too large")

	// errTruncated: the stream ended, or a deadline passed, inside a message.
	errTruncated = errors.New("kmip: message truncated")
)

// readFrame reads one TTLV message whose top-level tag must be want
// (kmip14.TagRequestMessage or kmip14.TagResponseMessage) from r.
//
// The 8-byte header is read in full whatever the size of the reads r
// returns, then checked (tag, type Structure, length a multiple of 8 and at
// most max bytes for the whole message) before the body is allocated. buf is
// reused when it is large enough; the returned slice aliases it then.
//
// A clean end of stream before the first byte returns io.EOF. Other errors
// are errNotKMIP, errFrameTooLarge or errTruncated, wrapping the cause when
// there is one.
func readFrame(r io.Reader, want ttlv.Tag, max int, buf []byte) ([]byte, error) {
	var hdr [headerLen]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: header: %w", errTruncated, err)
	}
	bodyLen, err := checkHeader(hdr[:], want, max)
	if err != nil {
		return nil, err
	}
	total := headerLen + bodyLen
	if cap(buf) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[headerLen:]); err != nil {
		return nil, fmt.Errorf("%w: body: %w", errTruncated, err)
	}
	return buf, nil
}

// checkHeader checks the 8-byte header hdr of a message tagged want and
// returns the length of its body.
func checkHeader(hdr []byte, want ttlv.Tag, max int) (int, error) {
	tag := ttlv.Tag(uint32(hdr[0])<<16 | uint32(hdr[1])<<8 | uint32(hdr[2]))
	if tag != want {
		return 0, fmt.Errorf("%w: tag %06x", errNotKMIP, uint32(tag))
	}
	if ttlv.Type(hdr[3]) != ttlv.TypeStructure {
		return 0, fmt.Errorf("%w: type %02x", errNotKMIP, hdr[3])
	}
	l := binary.BigEndian.Uint32(hdr[4:8])
	if l%8 != 0 {
		return 0, fmt.Errorf("%w: length %d", errNotKMIP, l)
	}
	if uint64(l)+headerLen > uint64(max) {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", errFrameTooLarge, uint64(l)+headerLen, max)
	}
	return int(l), nil
}

// requestTag and responseTag are the top-level tags of the two messages.
const (
	requestTag  = kmip14.TagRequestMessage
	responseTag = kmip14.TagResponseMessage
)
