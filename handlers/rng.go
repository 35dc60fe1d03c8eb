package handlers

import (
	"context"

	"github.com/kmipd/kmipd/hsm"
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

// RNGSeedPolicy is the server's policy for RNG Seed. KMIP leaves it to the
// server how much of a seed it uses (the RNG Seed response's Data Length
// is the amount of seed data used, KMIP 1.3 to 2.1), and the RNG profile's optional cases show the policies: all of it, part
// of it, none of it, or the request refused (CS-RNG-O-1 to O-4).
type RNGSeedPolicy struct {
	// Refuse answers RNG Seed with Permission Denied.
	Refuse bool
	// MaxBytes is the most bytes of one seed the module's generator mixes
	// in (capped at hsm.MaxSeed); 0 accepts the request and uses none.
	MaxBytes int
}

// rngSeed mixes the first bytes of the Data, as many as the policy and the
// module take, into the module's generator as additional input (never
// replacing its own entropy: a client cannot make the server's output
// predictable), and answers how many it used. A module that takes no seed
// (not an hsm.Seeder) uses none.
func (s *Service) rngSeed(_ context.Context, _ *kmip.Request, p *kmip.RNGSeedRequest) (any, error) {
	if s.seed.Refuse {
		return nil, kmip.Errorf(kmip.ReasonPermissionDenied, "the server takes no seed for its random number generator")
	}
	sd, ok := s.crypto.(hsm.Seeder)
	n := min(len(p.Data), s.seed.MaxBytes)
	if !ok || n == 0 {
		return &kmip.RNGSeedResponse{DataLength: 0}, nil
	}
	used, err := sd.Seed(p.Data[:n])
	if err != nil {
		return nil, err
	}
	return &kmip.RNGSeedResponse{DataLength: int32(used)}, nil
}
