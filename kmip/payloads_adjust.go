package kmip

import "github.com/gemalto/kmip-go/kmip20"

// AdjustmentType is the Adjustment Type of an Adjust Attribute request
// (KMIP 2.0): Increment, Decrement or Negate.
type AdjustmentType = kmip20.AdjustmentType

// Adjustment types.
const (
	AdjustIncrement = kmip20.AdjustmentTypeIncrement
	AdjustDecrement = kmip20.AdjustmentTypeDecrement
	AdjustNegate    = kmip20.AdjustmentTypeNegate
)

// AdjustAttributeRequest (2.x) asks the server to add to, subtract from or
// negate the value of a numeric or Date-Time attribute. AttributeName comes from the Attribute Reference. Value is the
// Adjustment Value, nil when absent, else an int32 (Integer), int64 (Long
// Integer), *big.Int (Big Integer) or time.Duration (Interval). An empty
// UniqueIdentifier means the batch's ID Placeholder.
type AdjustAttributeRequest struct {
	UniqueIdentifier string
	AttributeName    string
	AdjustmentType   AdjustmentType
	Value            any
}

// AdjustAttributeResponse (2.x) names the adjusted object.
type AdjustAttributeResponse struct{ UniqueIdentifier string }
