package kmip

import (
	"encoding/binary"
	"errors"
	"strings"
)

// PKCS11Version is PKCS#11's CK_VERSION.
type PKCS11Version struct{ Major, Minor uint8 }

// PKCS11Info is PKCS#11's CK_INFO: what C_GetInfo returns about a
// cryptographic module. It travels as the PKCS#11 Output Parameters of a
// C_GetInfo response.
type PKCS11Info struct {
	CryptokiVersion    PKCS11Version
	ManufacturerID     string // at most 32 bytes are kept
	Flags              uint64 // reserved by PKCS#11, zero
	LibraryDescription string // at most 32 bytes are kept
	LibraryVersion     PKCS11Version
}

// pkcs11InfoSize is the size of a serialised CK_INFO.
const pkcs11InfoSize = 2 + 32 + 8 + 32 + 2

// MarshalBinary serialises i as the OASIS test case PKCS11-M-1-21 does,
// fields in CK_INFO's order without padding between them:
//
//	cryptokiVersion (major, minor: 2 bytes) | manufacturerID (32 bytes,
//	blank-padded) | flags (8 bytes) | libraryDescription (32 bytes,
//	blank-padded) | libraryVersion (major, minor: 2 bytes)
//
// The test case's flags are zero, which does not tell their byte order; they
// are written big-endian, like every integer in TTLV. It never fails.
func (i PKCS11Info) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, pkcs11InfoSize)
	b = append(b, i.CryptokiVersion.Major, i.CryptokiVersion.Minor)
	b = appendBlankPadded(b, i.ManufacturerID)
	b = binary.BigEndian.AppendUint64(b, i.Flags)
	b = appendBlankPadded(b, i.LibraryDescription)
	b = append(b, i.LibraryVersion.Major, i.LibraryVersion.Minor)
	return b, nil
}

// UnmarshalBinary parses a CK_INFO serialised by MarshalBinary; the
// blank padding of the strings is removed.
func (i *PKCS11Info) UnmarshalBinary(b []byte) error {
	if len(b) != pkcs11InfoSize {
		return errors.New("kmip: CK_INFO: wrong length")
	}
	*i = PKCS11Info{
		CryptokiVersion:    PKCS11Version{b[0], b[1]},
		ManufacturerID:     strings.TrimRight(string(b[2:34]), " "),
		Flags:              binary.BigEndian.Uint64(b[34:42]),
		LibraryDescription: strings.TrimRight(string(b[42:74]), " "),
		LibraryVersion:     PKCS11Version{b[74], b[75]},
	}
	return nil
}

// appendBlankPadded appends s as a PKCS#11 fixed-length string of 32
// bytes: truncated, or padded with blanks.
func appendBlankPadded(b []byte, s string) []byte {
	const n = 32
	if len(s) > n {
		s = s[:n]
	}
	b = append(b, s...)
	return append(b, strings.Repeat(" ", n-len(s))...)
}
