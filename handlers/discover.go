package handlers

import "github.com/kmipd/kmipd/kmip"

// discoverVersions answers with the client's versions that the server
// speaks, in the client's order, or every supported version (newest first)
// when the client listed none.
func (s *Service) discoverVersions(p *kmip.DiscoverVersionsRequest) *kmip.DiscoverVersionsResponse {
	if len(p.Versions) == 0 {
		return &kmip.DiscoverVersionsResponse{Versions: append([]kmip.Version(nil), kmip.SupportedVersions...)}
	}
	var out []kmip.Version
	for _, v := range p.Versions {
		if v.Supported() {
			out = append(out, v)
		}
	}
	return &kmip.DiscoverVersionsResponse{Versions: out}
}
