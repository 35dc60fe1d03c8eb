package handlers

import (
	"bytes"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestPollCancelUnknownCorrelationValue(t *testing.T) {
	h := newHarness(t)
	value := []byte{1, 2, 3, 4}
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		_, err := h.do(v, alice, &kmip.PollRequest{AsynchronousCorrelationValue: value})
		wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonInvalidAsynchronousCorrelationValue)

		resp := h.must(v, alice, &kmip.CancelRequest{AsynchronousCorrelationValue: value}).(*kmip.CancelResponse)
		if resp.CancellationResult != kmip14.CancellationResultUnavailable || !bytes.Equal(resp.AsynchronousCorrelationValue, value) {
			t.Errorf("%v: Cancel = %+v, want Unavailable for the value asked", v, *resp)
		}
	}
}
