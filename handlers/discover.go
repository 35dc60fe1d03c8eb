package handlers

import (
	"context"

	"github.com/kmipd/kmipd/kmip"
)

// discoverVersions answers with the client's versions that the server
// speaks, in the client's order, or every supported version (newest first)
// when the client listed none.
func (s *Service) discoverVersions(_ context.Context, _ *kmip.Request, p *kmip.DiscoverVersionsRequest) (any, error) {
	if len(p.Versions) == 0 {
		return &kmip.DiscoverVersionsResponse{Versions: append([]kmip.Version(nil), kmip.SupportedVersions...)}, nil
	}
	var out []kmip.Version
	for _, v := range p.Versions {
		if v.Supported() {
			out = append(out, v)
		}
	}
	return &kmip.DiscoverVersionsResponse{Versions: out}, nil
}
