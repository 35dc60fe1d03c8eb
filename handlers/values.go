package handlers

import (
	"reflect"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// enumValue returns the numeric value of an Enumeration attribute value,
// whether the codec gave it as uint32 or as a kmip14 enumeration type.
func enumValue(v any) (uint32, bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return 0, false
	}
	switch rv.Kind() {
	case reflect.Uint32, reflect.Uint, reflect.Uint64, reflect.Uint16, reflect.Uint8:
		u := rv.Uint()
		if u > 0xFFFFFFFF {
			return 0, false
		}
		return uint32(u), true
	}
	return 0, false
}

// intValue returns the value of an Integer or Long Integer attribute value
// (masks included), whatever Go integer type carries it.
func intValue(v any) (int64, bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return 0, false
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > 1<<62 {
			return 0, false
		}
		return int64(u), true
	}
	return 0, false
}

// stateOf returns the State of an object (Pre-Active when unset).
func stateOf(attrs kmip.Attributes) kmip.State {
	if u, ok := enumValue(attrs.Get(kmip.AttrState)); ok {
		return kmip.State(u)
	}
	return kmip14.StatePreActive
}

// objectTypeOf returns the Object Type of an object.
func objectTypeOf(attrs kmip.Attributes) kmip.ObjectType {
	u, _ := enumValue(attrs.Get(kmip.AttrObjectType))
	return kmip.ObjectType(u)
}

// setSingle sets the only instance of name to value.
func setSingle(attrs *kmip.Attributes, name string, value any) {
	for i := range *attrs {
		if (*attrs)[i].Name == name {
			(*attrs)[i].Value = value
			*attrs = append((*attrs)[:i+1], removeAll((*attrs)[i+1:], name)...)
			return
		}
	}
	*attrs = append(*attrs, kmip.Attribute{Name: name, Value: value})
}

// removeAll returns attrs without the instances of name (in place).
func removeAll(attrs kmip.Attributes, name string) kmip.Attributes {
	out := attrs[:0]
	for _, a := range attrs {
		if a.Name != name {
			out = append(out, a)
		}
	}
	return out
}

// nextIndex returns the index a new instance of name gets: one more than the
// highest in use. Indexes of remaining instances never change, so a client
// that remembered one keeps addressing the same instance.
func nextIndex(attrs kmip.Attributes, name string) int {
	n := 0
	for _, a := range attrs {
		if a.Name == name && a.Index >= n {
			n = a.Index + 1
		}
	}
	return n
}

// touch sets Last Change Date.
func touch(attrs *kmip.Attributes, now time.Time) {
	setSingle(attrs, kmip.AttrLastChangeDate, now)
}
