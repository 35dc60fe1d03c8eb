package handlers

import (
	"context"

	"github.com/kmipd/kmipd/kmip"
)

// maxRNGRetrieve bounds the bytes one RNG Retrieve returns.
const maxRNGRetrieve = 64 << 10

// rngRetrieve returns Data Length bytes from the module's random bit
// generator; a length that is not positive or above 64 KiB is Invalid
// Field.
func (s *Service) rngRetrieve(_ context.Context, _ *kmip.Request, p *kmip.RNGRetrieveRequest) (any, error) {
	if p.DataLength <= 0 || p.DataLength > maxRNGRetrieve {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Data Length must be from 1 to %d", maxRNGRetrieve)
	}
	data, err := s.crypto.Random(int(p.DataLength))
	if err != nil {
		return nil, err
	}
	return &kmip.RNGRetrieveResponse{Data: data}, nil
}

// rngSeed answers RNG Seed. The module's generator takes no seed from
// outside (a client must not be able to influence it), so the server
// accepts the request and reports that it used none of the data: Data
// Length 0 (conformance case CS-RNG-O-3; O-1, O-2 and O-4 are other
// policies: all, half of the seed used, or the request refused).
func (s *Service) rngSeed(_ context.Context, _ *kmip.Request, p *kmip.RNGSeedRequest) (any, error) {
	return &kmip.RNGSeedResponse{DataLength: 0}, nil
}
