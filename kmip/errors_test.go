package kmip

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
)

// defined1x reports whether KMIP 1.x defines r.
func defined1x(r ResultReason) bool {
	return r.String() != fmt.Sprintf("%#08x", uint32(r))
}

// reasons2x are the values of the KMIP 2.1 Result Reason enumeration: every
// one that gemalto's kmip20 names.
func reasons2x() []ResultReason {
	var rs []ResultReason
	for n := kmip20.ResultReason(1); n <= kmip20.ResultReasonGeneralFailure; n++ {
		if n.String() != fmt.Sprintf("%#08x", uint32(n)) {
			rs = append(rs, ResultReason(n))
		}
	}
	return rs
}

func TestReason1x(t *testing.T) {
	// Each reason that 2.x adds, and what a 1.x client gets instead: the
	// reason the handlers chose for it in 1.x before they returned 2.x
	// reasons only, or the nearest one.
	want := map[ResultReason]ResultReason{
		ReasonInvalidTicket:                       ReasonAuthenticationNotSuccessful,
		ReasonUsageLimitExceeded:                  ReasonPermissionDenied,
		ReasonNumericRange:                        ReasonInvalidField,
		ReasonInvalidDataType:                     ReasonInvalidField,
		ReasonReadOnlyAttribute:                   ReasonPermissionDenied,
		ReasonMultiValuedAttribute:                ReasonInvalidField,
		ReasonUnsupportedAttribute:                ReasonFeatureNotSupported,
		ReasonAttributeInstanceNotFound:           ReasonItemNotFound,
		ReasonAttributeNotFound:                   ReasonItemNotFound,
		ReasonAttributeReadOnly:                   ReasonPermissionDenied,
		ReasonAttributeSingleValued:               ReasonInvalidField,
		ReasonBadCryptographicParameters:          ReasonInvalidField,
		ReasonBadPassword:                         ReasonAuthenticationNotSuccessful,
		ReasonCodecError:                          ReasonInvalidMessage,
		ReasonIllegalObjectType:                   ReasonInvalidField,
		ReasonIncompatibleCryptographicUsageMask:  ReasonPermissionDenied,
		ReasonInternalServerError:                 ReasonGeneralFailure,
		ReasonInvalidAsynchronousCorrelationValue: ReasonItemNotFound,
		ReasonInvalidAttribute:                    ReasonInvalidField,
		ReasonInvalidAttributeValue:               ReasonInvalidField,
		ReasonInvalidCorrelationValue:             ReasonInvalidField,
		ReasonInvalidCSR:                          ReasonInvalidField,
		ReasonInvalidObjectType:                   ReasonInvalidField,
		ReasonKeyWrapTypeNotSupported:             ReasonFeatureNotSupported,
		ReasonMissingInitializationVector:         ReasonInvalidField,
		ReasonNonUniqueNameAttribute:              ReasonInvalidField,
		ReasonObjectDestroyed:                     ReasonItemNotFound,
		ReasonObjectNotFound:                      ReasonItemNotFound,
		ReasonNotAuthorized:                       ReasonPermissionDenied,
		ReasonServerLimitExceeded:                 ReasonInvalidMessage,
		ReasonUnknownEnumeration:                  ReasonFeatureNotSupported,
		ReasonUnknownMessageExtension:             ReasonFeatureNotSupported,
		ReasonUnknownTag:                          ReasonFeatureNotSupported,
		ReasonUnsupportedCryptographicParameters:  ReasonInvalidField,
		ReasonUnsupportedProtocolVersion:          ReasonInvalidMessage,
		ReasonWrappingObjectArchived:              ReasonObjectArchived,
		ReasonWrappingObjectDestroyed:             ReasonItemNotFound,
		ReasonWrappingObjectNotFound:              ReasonItemNotFound,
		ReasonWrongKeyLifecycleState:              ReasonPermissionDenied,
		ReasonProtectionStorageUnavailable:        ReasonInvalidField,
		ReasonPKCS11CodecError:                    ReasonInvalidMessage,
		ReasonPKCS11InvalidFunction:               ReasonOperationNotSupported,
		ReasonPKCS11InvalidInterface:              ReasonFeatureNotSupported,
	}
	for _, r := range reasons2x() {
		got := Reason1x(r)
		if defined1x(r) {
			if got != r {
				t.Errorf("Reason1x(%v) = %v, want itself: 1.x defines it", r, got)
			}
			continue
		}
		w, ok := want[r]
		if !ok {
			t.Errorf("Reason1x(%v): the table has no row for this 2.x reason", kmip20.ResultReason(r))
			continue
		}
		if got != w {
			t.Errorf("Reason1x(%v) = %v, want %v", kmip20.ResultReason(r), got, w)
		}
	}
	if n := len(reasons2x()) - len(want); n != int(ReasonObjectAlreadyExists)+1 {
		t.Errorf("%d reasons 1.x defines, want the 24 of 1.4 and General Failure", n)
	}
}

func TestErrorReasonFor(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		v    Version
		want ResultReason
	}{
		{&Error{Reason: ReasonObjectNotFound}, V2_1, ReasonObjectNotFound},
		{&Error{Reason: ReasonObjectNotFound}, V1_4, ReasonItemNotFound},
		{&Error{Reason: ReasonInvalidField}, V1_0, ReasonInvalidField},
		{&Error{Reason: ReasonAttributeNotFound, Reason1x: ReasonPermissionDenied}, V2_0, ReasonAttributeNotFound},
		{&Error{Reason: ReasonAttributeNotFound, Reason1x: ReasonPermissionDenied}, V1_2, ReasonPermissionDenied},
	} {
		if got := tc.err.ReasonFor(tc.v); got != tc.want {
			t.Errorf("%+v in %v: %v, want %v", tc.err, tc.v, got, tc.want)
		}
	}
}

// TestEncodeResponseReasons1x checks that a 1.x response never carries a
// reason 1.x lacks, and a 2.x one carries the reason unchanged.
func TestEncodeResponseReasons1x(t *testing.T) {
	for _, v := range []Version{V1_0, V1_4, V2_0, V2_1} {
		for _, r := range reasons2x() {
			b, err := EncodeResponse(&ResponseMessage{
				Header: ResponseHeader{Version: v, TimeStamp: time.Unix(0, 0)},
				Items: []ResponseItem{{Operation: kmip14.OperationGet,
					Status: kmip14.ResultStatusOperationFailed, Reason: r, Message: "m"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := DecodeResponse(b)
			if err != nil {
				t.Fatal(err)
			}
			got := resp.Items[0].Reason
			switch {
			case v.Is2x() && got != r:
				t.Errorf("%v: %v sent as %v", v, kmip20.ResultReason(r), got)
			case !v.Is2x() && (got != Reason1x(r) || !defined1x(got)):
				t.Errorf("%v: %v sent as %v", v, kmip20.ResultReason(r), got)
			}
		}
	}
}

// TestServerSendsReason1xOverride checks that a handler's per-error 1.x
// override reaches a 1.x client, and the 2.x reason a 2.x one.
func TestServerSendsReason1xOverride(t *testing.T) {
	ts := startServer(t, func(context.Context, *Request) (any, error) {
		return nil, &Error{Reason: ReasonAttributeNotFound, Reason1x: ReasonPermissionDenied, Message: "m"}
	}, Limits{})
	for v, want := range map[Version]ResultReason{V1_2: ReasonPermissionDenied, V2_1: ReasonAttributeNotFound} {
		b, err := EncodeRequest(&RequestMessage{Header: RequestHeader{Version: v}, Items: items(dv)})
		if err != nil {
			t.Fatal(err)
		}
		resp := exchangeRaw(t, ts.rawConn(t), b)
		wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, want)
	}
}
