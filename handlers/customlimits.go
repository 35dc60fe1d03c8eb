package handlers

import "github.com/kmipd/kmipd/kmip"

// checkCustomBounds refuses a change that leaves an object with more custom
// attribute instances than kmip.MaxCustomAttrs or more encoded custom bytes
// than kmip.MaxCustomAttrBytes, unless it holds no more than before (an
// object stored before the bounds existed can still shed attributes).
// before is nil for a new object.
func checkCustomBounds(before, after kmip.Attributes) error {
	n, size, err := kmip.CustomAttrSize(after)
	if err != nil {
		return err
	}
	if n <= kmip.MaxCustomAttrs && size <= kmip.MaxCustomAttrBytes {
		return nil
	}
	n0, size0, err := kmip.CustomAttrSize(before)
	if err != nil {
		return err
	}
	switch {
	case n > kmip.MaxCustomAttrs && n > n0:
		return kmip.ErrCustomLimit("an object holds at most %d custom attribute instances", kmip.MaxCustomAttrs)
	case size > kmip.MaxCustomAttrBytes && size > size0:
		return kmip.ErrCustomLimit("an object's custom attributes hold at most %d bytes", kmip.MaxCustomAttrBytes)
	}
	return nil
}
