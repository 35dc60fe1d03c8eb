package kmip

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

func frameHeader(tag uint32, typ byte, length uint32) []byte {
	return []byte{byte(tag >> 16), byte(tag >> 8), byte(tag), typ, byte(length >> 24), byte(length >> 16), byte(length >> 8), byte(length)}
}

func TestReadFrameHeaderInPieces(t *testing.T) {
	body := bytes.Repeat([]byte{0xAB}, 16)
	msg := append(frameHeader(0x420078, 0x01, 16), body...)
	got, err := readFrame(iotest.OneByteReader(bytes.NewReader(msg)), requestTag, 1024, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("got % x, want % x", got, msg)
	}
}

func TestReadFrameReusesBuffer(t *testing.T) {
	msg := append(frameHeader(0x420078, 0x01, 8), make([]byte, 8)...)
	buf := make([]byte, 0, 64)
	got, err := readFrame(bytes.NewReader(msg), requestTag, 1024, buf)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &buf[:1][0] {
		t.Fatal("buffer not reused")
	}
}

func TestReadFrameErrors(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"empty stream", nil, io.EOF},
		{"partial header", []byte{0x42, 0x00}, errTruncated},
		{"wrong tag", frameHeader(0x42007B, 0x01, 0), errNotKMIP},
		{"not a structure", frameHeader(0x420078, 0x07, 8), errNotKMIP},
		{"length not multiple of 8", frameHeader(0x420078, 0x01, 12), errNotKMIP},
		{"too large", frameHeader(0x420078, 0x01, 2<<30-8), errFrameTooLarge},
		{"too large, max uint32", frameHeader(0x420078, 0x01, 0xFFFFFFF8), errFrameTooLarge},
		{"truncated body", append(frameHeader(0x420078, 0x01, 64), make([]byte, 16)...), errTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readFrame(bytes.NewReader(tt.input), requestTag, 1<<20, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadFrameTooLargeAllocatesNothing(t *testing.T) {
	hdr := frameHeader(0x420078, 0x01, 2<<30-8)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		if _, err := readFrame(bytes.NewReader(hdr), requestTag, 1<<20, nil); !errors.Is(err, errFrameTooLarge) {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("%d bytes allocated for 100 rejected headers", n)
	}
}
