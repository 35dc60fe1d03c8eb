package handlers

import (
	"context"
	"math"
	"math/big"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// Adjust Attribute (KMIP 2.x): add to, subtract from or negate the value of
// an attribute, in one transaction, so that concurrent adjustments add up.
//
// The attribute may be an Integer, Long Integer or Interval (whole seconds)
// or a Date-Time (moved by whole seconds; it cannot be negated), which the
// client may modify (checkChange, rules.go: custom attributes and the
// client-modifiable dates, Activation Date only while Pre-Active). The
// Adjustment Value, required to increment or decrement, is an Integer, Long
// Integer, Big Integer or Interval; it counts seconds for a Date-Time or an
// Interval.
//
// Refusals: Attribute Not Found for an attribute the object lacks, Multi
// Valued Attribute for one with several instances, Attribute Read Only (or
// Wrong Key Lifecycle State) for one the client may not modify, Invalid
// Data Type for an attribute of another type, Numeric Range for a result
// outside the attribute's type, Missing Data for an Increment or Decrement
// without a value, Illegal Operation for negating a date.

// adjustAttribute performs p on the object it names.
func (s *Service) adjustAttribute(ctx context.Context, req *kmip.Request, p *kmip.AdjustAttributeRequest) (any, error) {
	v := req.Version
	name := p.AttributeName
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		instances := m.attrs.All(name)
		switch len(instances) {
		case 0:
			return attributeNotFound(name)
		case 1:
		default:
			return kmip.Errorf(kmip.ReasonMultiValuedAttribute, "%s has several instances", name)
		}
		if _, err := checkChange(v, instances[0], stateOf(m.attrs), true); err != nil {
			return err
		}
		adjusted, err := adjust(instances[0].Value, p.AdjustmentType, p.Value)
		if err != nil {
			return err
		}
		setSingle(&m.attrs, name, adjusted)
		touch(&m.attrs, s.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.AdjustAttributeResponse{UniqueIdentifier: m.id}, nil
}

// adjust returns value adjusted by t with amount, as the comment above says.
func adjust(value any, t kmip.AdjustmentType, amount any) (any, error) {
	var delta *big.Int
	switch t {
	case kmip.AdjustIncrement, kmip.AdjustDecrement:
		var ok bool
		if delta, ok = adjustmentAmount(amount); !ok {
			return nil, kmip.Errorf(kmip.ReasonMissingData, "%v needs an Adjustment Value", t)
		}
	case kmip.AdjustNegate:
	default:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "unknown Adjustment Type %v", t)
	}
	// apply adjusts x, the value as a number, and checks the result lies
	// in [lo, hi].
	apply := func(x *big.Int, lo, hi int64) (*big.Int, error) {
		switch t {
		case kmip.AdjustIncrement:
			x.Add(x, delta)
		case kmip.AdjustDecrement:
			x.Sub(x, delta)
		default:
			x.Neg(x)
		}
		if !x.IsInt64() || x.Int64() < lo || x.Int64() > hi {
			return nil, kmip.Errorf(kmip.ReasonNumericRange, "the adjusted value is out of range")
		}
		return x, nil
	}
	switch x := value.(type) {
	case int32:
		r, err := apply(big.NewInt(int64(x)), math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return int32(r.Int64()), nil
	case int64:
		r, err := apply(big.NewInt(x), math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		return r.Int64(), nil
	case time.Duration: // an Interval: unsigned 32-bit seconds
		r, err := apply(big.NewInt(int64(x/time.Second)), 0, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		return time.Duration(r.Int64()) * time.Second, nil
	case time.Time:
		if t == kmip.AdjustNegate {
			return nil, kmip.Errorf(kmip.ReasonIllegalOperation, "a Date-Time cannot be negated")
		}
		// Dates stay within the years 1..9999 that Date-Time values carry.
		lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
		r, err := apply(big.NewInt(x.Unix()), lo, hi)
		if err != nil {
			return nil, err
		}
		return time.Unix(r.Int64(), 0).UTC(), nil
	}
	return nil, kmip.Errorf(kmip.ReasonInvalidDataType, "only Integer, Long Integer, Interval and Date-Time attributes can be adjusted")
}

// adjustmentAmount returns an Adjustment Value as a number (seconds for an
// Interval); false when it is absent.
func adjustmentAmount(amount any) (*big.Int, bool) {
	switch a := amount.(type) {
	case int32:
		return big.NewInt(int64(a)), true
	case int64:
		return big.NewInt(a), true
	case *big.Int:
		if a == nil {
			return nil, false
		}
		return new(big.Int).Set(a), true
	case time.Duration:
		return big.NewInt(int64(a / time.Second)), true
	}
	return nil, false
}
