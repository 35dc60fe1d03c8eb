package kmip

import "time"

// ValidateRequest asks the server whether a certificate chain is valid
// (Validate: KMIP 1.0 to 1.4 section 4, 2.0 and 2.1 section 6.1): the
// Certificates it carries and the managed Certificates it names by
// UniqueIdentifiers form one chain together, in any order. ValidityDate
// (zero: now) is when every certificate of the chain must be valid. An
// empty UniqueIdentifiers names no object, not the ID Placeholder.
//
//kmip:no-id-placeholder
type ValidateRequest struct {
	Certificates      []Object // of Type Certificate
	UniqueIdentifiers []string
	ValidityDate      time.Time
}

// ValidateResponse is the server's verdict on the chain.
type ValidateResponse struct{ ValidityIndicator ValidityIndicator }
