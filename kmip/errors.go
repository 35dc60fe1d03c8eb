package kmip

import (
	"errors"
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
)

// Error is a KMIP operation failure: the Result Reason and Result Message
// that a response item carries. Handlers return it to choose the reason;
// any other error becomes General Failure with a generic message.
//
// Reason is the KMIP 2.x reason. A 1.x response carries Reason1x(Reason)
// instead, or Reason1x when set: the override for the few failures where
// the 1.x specification asks for another reason than the usual mapping.
//
// Message is sent to the client: it must never hold key material or secrets.
type Error struct {
	Reason   ResultReason
	Reason1x ResultReason // zero: Reason1x(Reason)
	Message  string
}

// ReasonFor returns the reason a response in version v carries for e.
func (e *Error) ReasonFor(v Version) ResultReason {
	switch {
	case v.Is2x():
		return e.Reason
	case e.Reason1x != 0:
		return e.Reason1x
	}
	return Reason1x(e.Reason)
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Reason.String()
	}
	return e.Reason.String() + ": " + e.Message
}

// Errorf returns an *Error with reason and a formatted message.
func Errorf(reason ResultReason, format string, args ...any) *Error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error: itself when it is one (or wraps one),
// otherwise General Failure without the underlying text, which may hold
// internal details.
func AsError(err error) *Error {
	var ke *Error
	if errors.As(err, &ke) {
		return ke
	}
	return &Error{Reason: kmip14.ResultReasonGeneralFailure, Message: "internal error"}
}

// Common result reasons, named for readability at call sites.
const (
	ReasonItemNotFound                     = kmip14.ResultReasonItemNotFound
	ReasonResponseTooLarge                 = kmip14.ResultReasonResponseTooLarge
	ReasonAuthenticationNotSuccessful      = kmip14.ResultReasonAuthenticationNotSuccessful
	ReasonInvalidMessage                   = kmip14.ResultReasonInvalidMessage
	ReasonOperationNotSupported            = kmip14.ResultReasonOperationNotSupported
	ReasonMissingData                      = kmip14.ResultReasonMissingData
	ReasonInvalidField                     = kmip14.ResultReasonInvalidField
	ReasonFeatureNotSupported              = kmip14.ResultReasonFeatureNotSupported
	ReasonOperationCanceledByRequester     = kmip14.ResultReasonOperationCanceledByRequester
	ReasonCryptographicFailure             = kmip14.ResultReasonCryptographicFailure
	ReasonIllegalOperation                 = kmip14.ResultReasonIllegalOperation
	ReasonPermissionDenied                 = kmip14.ResultReasonPermissionDenied
	ReasonObjectArchived                   = kmip14.ResultReasonObjectArchived
	ReasonIndexOutOfBounds                 = kmip14.ResultReasonIndexOutOfBounds
	ReasonApplicationNamespaceNotSupported = kmip14.ResultReasonApplicationNamespaceNotSupported
	ReasonKeyFormatTypeNotSupported        = kmip14.ResultReasonKeyFormatTypeNotSupported
	ReasonKeyCompressionTypeNotSupported   = kmip14.ResultReasonKeyCompressionTypeNotSupported
	ReasonEncodingOptionError              = kmip14.ResultReasonEncodingOptionError
	ReasonKeyValueNotPresent               = kmip14.ResultReasonKeyValueNotPresent
	ReasonAttestationRequired              = kmip14.ResultReasonAttestationRequired
	ReasonAttestationFailed                = kmip14.ResultReasonAttestationFailed
	ReasonSensitive                        = kmip14.ResultReasonSensitive
	ReasonNotExtractable                   = kmip14.ResultReasonNotExtractable
	ReasonObjectAlreadyExists              = kmip14.ResultReasonObjectAlreadyExists
	ReasonGeneralFailure                   = kmip14.ResultReasonGeneralFailure
)

// Result reasons that KMIP 2.0 adds. Encoding a response in a 1.x version
// maps each to the nearest 1.x reason (see Reason1x).
const (
	ReasonInvalidTicket                       = ResultReason(kmip20.ResultReasonInvalidTicket)
	ReasonUsageLimitExceeded                  = ResultReason(kmip20.ResultReasonUsageLimitExceeded)
	ReasonNumericRange                        = ResultReason(kmip20.ResultReasonNumericRange)
	ReasonInvalidDataType                     = ResultReason(kmip20.ResultReasonInvalidDataType)
	ReasonReadOnlyAttribute                   = ResultReason(kmip20.ResultReasonReadOnlyAttribute)
	ReasonMultiValuedAttribute                = ResultReason(kmip20.ResultReasonMultiValuedAttribute)
	ReasonUnsupportedAttribute                = ResultReason(kmip20.ResultReasonUnsupportedAttribute)
	ReasonAttributeInstanceNotFound           = ResultReason(kmip20.ResultReasonAttributeInstanceNotFound)
	ReasonAttributeNotFound                   = ResultReason(kmip20.ResultReasonAttributeNotFound)
	ReasonAttributeReadOnly                   = ResultReason(kmip20.ResultReasonAttributeReadOnly)
	ReasonAttributeSingleValued               = ResultReason(kmip20.ResultReasonAttributeSingleValued)
	ReasonBadCryptographicParameters          = ResultReason(kmip20.ResultReasonBadCryptographicParameters)
	ReasonBadPassword                         = ResultReason(kmip20.ResultReasonBadPassword)
	ReasonCodecError                          = ResultReason(kmip20.ResultReasonCodecError)
	ReasonIllegalObjectType                   = ResultReason(kmip20.ResultReasonIllegalObjectType)
	ReasonIncompatibleCryptographicUsageMask  = ResultReason(kmip20.ResultReasonIncompatibleCryptographicUsageMask)
	ReasonInternalServerError                 = ResultReason(kmip20.ResultReasonInternalServerError)
	ReasonInvalidAsynchronousCorrelationValue = ResultReason(kmip20.ResultReasonInvalidAsynchronousCorrelationValue)
	ReasonInvalidAttribute                    = ResultReason(kmip20.ResultReasonInvalidAttribute)
	ReasonInvalidAttributeValue               = ResultReason(kmip20.ResultReasonInvalidAttributeValue)
	ReasonInvalidCorrelationValue             = ResultReason(kmip20.ResultReasonInvalidCorrelationValue)
	ReasonInvalidCSR                          = ResultReason(kmip20.ResultReasonInvalidCSR)
	ReasonInvalidObjectType                   = ResultReason(kmip20.ResultReasonInvalidObjectType)
	ReasonKeyWrapTypeNotSupported             = ResultReason(kmip20.ResultReasonKeyWrapTypeNotSupported)
	ReasonMissingInitializationVector         = ResultReason(kmip20.ResultReasonMissingInitializationVector)
	ReasonNonUniqueNameAttribute              = ResultReason(kmip20.ResultReasonNonUniqueNameAttribute)
	ReasonObjectDestroyed                     = ResultReason(kmip20.ResultReasonObjectDestroyed)
	ReasonObjectNotFound                      = ResultReason(kmip20.ResultReasonObjectNotFound)
	ReasonNotAuthorized                       = ResultReason(kmip20.ResultReasonNotAuthorized)
	ReasonServerLimitExceeded                 = ResultReason(kmip20.ResultReasonServerLimitExceeded)
	ReasonUnknownEnumeration                  = ResultReason(kmip20.ResultReasonUnknownEnumeration)
	ReasonUnknownMessageExtension             = ResultReason(kmip20.ResultReasonUnknownMessageExtension)
	ReasonUnknownTag                          = ResultReason(kmip20.ResultReasonUnknownTag)
	ReasonUnsupportedCryptographicParameters  = ResultReason(kmip20.ResultReasonUnsupportedCryptographicParameters)
	ReasonUnsupportedProtocolVersion          = ResultReason(kmip20.ResultReasonUnsupportedProtocolVersion)
	ReasonWrappingObjectArchived              = ResultReason(kmip20.ResultReasonWrappingObjectArchived)
	ReasonWrappingObjectDestroyed             = ResultReason(kmip20.ResultReasonWrappingObjectDestroyed)
	ReasonWrappingObjectNotFound              = ResultReason(kmip20.ResultReasonWrappingObjectNotFound)
	ReasonWrongKeyLifecycleState              = ResultReason(kmip20.ResultReasonWrongKeyLifecycleState)
	ReasonProtectionStorageUnavailable        = ResultReason(kmip20.ResultReasonProtectionStorageUnavailable)
	ReasonPKCS11CodecError                    = ResultReason(kmip20.ResultReasonPKCS_11CodecError)
	ReasonPKCS11InvalidFunction               = ResultReason(kmip20.ResultReasonPKCS_11InvalidFunction)
	ReasonPKCS11InvalidInterface              = ResultReason(kmip20.ResultReasonPKCS_11InvalidInterface)
)

// Reason1x returns the reason to send in a KMIP 1.x response for r: r itself
// when 1.x defines it, otherwise the 1.x reason that 1.x clients and test
// vectors expect for the same failure. Every 2.x reason has one; an
// *Error whose failure needs another sets its Reason1x.
func Reason1x(r ResultReason) ResultReason {
	if r <= ReasonObjectAlreadyExists || r == ReasonGeneralFailure {
		return r
	}
	switch r {
	case ReasonObjectNotFound, ReasonObjectDestroyed,
		ReasonAttributeNotFound, ReasonAttributeInstanceNotFound,
		ReasonWrappingObjectNotFound, ReasonWrappingObjectDestroyed,
		ReasonInvalidAsynchronousCorrelationValue:
		return ReasonItemNotFound
	case ReasonWrappingObjectArchived:
		return ReasonObjectArchived
	case ReasonWrongKeyLifecycleState, ReasonAttributeReadOnly, ReasonReadOnlyAttribute,
		ReasonNotAuthorized, ReasonIncompatibleCryptographicUsageMask, ReasonUsageLimitExceeded:
		return ReasonPermissionDenied
	case ReasonInvalidAttribute, ReasonInvalidAttributeValue, ReasonInvalidDataType,
		ReasonNumericRange, ReasonAttributeSingleValued, ReasonMultiValuedAttribute,
		ReasonNonUniqueNameAttribute, ReasonInvalidObjectType, ReasonIllegalObjectType,
		ReasonBadCryptographicParameters, ReasonUnsupportedCryptographicParameters,
		ReasonMissingInitializationVector, ReasonInvalidCSR, ReasonInvalidCorrelationValue,
		ReasonProtectionStorageUnavailable:
		return ReasonInvalidField
	case ReasonUnsupportedAttribute, ReasonKeyWrapTypeNotSupported, ReasonUnknownEnumeration,
		ReasonUnknownTag, ReasonUnknownMessageExtension, ReasonPKCS11InvalidInterface:
		return ReasonFeatureNotSupported
	case ReasonPKCS11InvalidFunction:
		return ReasonOperationNotSupported
	case ReasonUnsupportedProtocolVersion, ReasonCodecError, ReasonPKCS11CodecError,
		ReasonServerLimitExceeded:
		return ReasonInvalidMessage
	case ReasonBadPassword, ReasonInvalidTicket:
		return ReasonAuthenticationNotSuccessful
	}
	return ReasonGeneralFailure // Internal Server Error, and reasons unknown to 2.1
}
