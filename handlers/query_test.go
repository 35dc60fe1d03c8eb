package handlers

import (
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/kmip"
)

// allQueryFunctions are the 14 standard Query Functions (1 to 14) and an
// extension value.
var allQueryFunctions = func() []kmip.QueryFunction {
	var fs []kmip.QueryFunction
	for f := kmip.QueryFunction(1); f <= 14; f++ {
		fs = append(fs, f)
	}
	return append(fs, 0x80000001)
}()

// TestQueryEveryFunction asks every Query Function in every version: each
// is answered only from the version that defines it, from the Service's
// configuration.
func TestQueryEveryFunction(t *testing.T) {
	rngs := []kmip.RNGParameters{
		{RNGAlgorithm: uint32(kmip14.RNGAlgorithmUnspecified)},
		{RNGAlgorithm: uint32(kmip14.RNGAlgorithmDRBG), DRBGAlgorithm: uint32(kmip14.DRBGAlgorithmHMAC), HashingAlgorithm: kmip14.HashingAlgorithmSHA_256},
	}
	h := newHarnessWith(t, func(c *Config) {
		c.RNGs = rngs
		c.ProtectionStorageMask = int32(kmip20.ProtectionStorageMaskSoftware)
		c.VendorIdentification = "kmipd"
	})
	for _, v := range kmip.SupportedVersions {
		q := h.must(v, alice, &kmip.QueryRequest{Functions: allQueryFunctions}).(*kmip.QueryResponse)
		at := func(w kmip.Version) bool { return v.AtLeast(w) }
		if len(q.Operations) == 0 || !slices.Contains(q.Operations, kmip14.OperationQuery) || len(q.ObjectTypes) == 0 || q.VendorIdentification != "kmipd" || q.ServerInformation == nil {
			t.Errorf("%v: operations %v, objects %v, vendor %q", v, q.Operations, q.ObjectTypes, q.VendorIdentification)
		}
		// Extension List and Map both asked: the map (with tags) wins as
		// the later answer.
		if got := len(q.Extensions) > 0; got != at(kmip.V1_1) {
			t.Errorf("%v: extensions %v", v, q.Extensions)
		} else if got && q.Extensions[0].Tag != kmip.TagBackupFunction {
			t.Errorf("%v: extension map %+v", v, q.Extensions)
		}
		if len(q.AttestationTypes) != 0 || len(q.Validations) != 0 || len(q.ClientRegistration) != 0 || len(q.ApplicationNamespaces) != 0 {
			t.Errorf("%v: answers for what the server lacks: %+v", v, q)
		}
		if got := len(q.RNGs); (got == 2) != at(kmip.V1_3) || (got != 2 && got != 0) {
			t.Errorf("%v: RNGs %+v", v, q.RNGs)
		}
		if got := len(q.Capabilities) == 1; got != at(kmip.V1_3) {
			t.Errorf("%v: capabilities %+v", v, q.Capabilities)
		} else if got {
			c := q.Capabilities[0]
			if *c.Asynchronous || !*c.Streaming || !*c.BatchUndo || c.DestroyAction != uint32(kmip14.DestroyActionKeyMaterialShredded) {
				t.Errorf("%v: capabilities %+v", v, c)
			}
		}
		if got := len(q.Profiles) > 0; got != at(kmip.V1_3) {
			t.Errorf("%v: profiles %+v", v, q.Profiles)
		}
		for _, p := range q.Profiles {
			if (p.Version != nil) != v.Is2x() || (v.Is2x() && *p.Version != v) {
				t.Errorf("%v: profile %+v", v, p)
			}
		}
		if got := q.Defaults != nil; got != v.Is2x() {
			t.Errorf("%v: defaults %+v", v, q.Defaults)
		} else if got && (len(q.Defaults.ObjectDefaults) != len(objectTypesIn(v)) || q.Defaults.ObjectDefaults[0].Attributes.Get(kmip.AttrExtractable) != true) {
			t.Errorf("%v: defaults %+v", v, q.Defaults)
		}
		if got := q.ProtectionStorageMasks != nil; got != v.Is2x() || (got && !slices.Equal(q.ProtectionStorageMasks, []int32{1})) {
			t.Errorf("%v: protection storage masks %v", v, q.ProtectionStorageMasks)
		}
	}
}

// TestQueryProfilesByVersion: each version names the profiles with its own
// values; HTTPS, XML and JSON only with the HTTPS listener.
func TestQueryProfilesByVersion(t *testing.T) {
	names := func(s *Service, v kmip.Version) []kmip.ProfileName {
		var out []kmip.ProfileName
		for _, p := range s.profilesIn(v) {
			out = append(out, p.Name)
		}
		return out
	}
	plain, https := &Service{}, &Service{https: true}
	for _, tc := range []struct {
		v          kmip.Version
		sklc, json kmip.ProfileName
	}{
		{kmip.V1_3, kmip.ProfileName(kmip14.ProfileNameSymmetricKeyLifecycleServerKMIPV1_3), kmip.ProfileName(kmip14.ProfileNameJSONServerKMIPV1_3)},
		{kmip.V1_4, kmip.ProfileName(kmip14.ProfileNameSymmetricKeyLifecycleServerKMIPV1_4), kmip.ProfileName(kmip14.ProfileNameJSONServerKMIPV1_4)},
		{kmip.V2_0, kmip.ProfileName(kmip20.ProfileNameSymmetricKeyLifecycleServer), kmip.ProfileName(kmip20.ProfileNameJSONServer)},
		{kmip.V2_1, kmip.ProfileName(kmip20.ProfileNameSymmetricKeyLifecycleServer), kmip.ProfileName(kmip20.ProfileNameJSONServer)},
	} {
		if got := names(plain, tc.v); !slices.Contains(got, tc.sklc) || slices.Contains(got, tc.json) {
			t.Errorf("%v without HTTPS: %v", tc.v, got)
		}
		if got := names(https, tc.v); !slices.Contains(got, tc.json) {
			t.Errorf("%v with HTTPS: %v", tc.v, got)
		}
		if got := names(plain, tc.v); slices.Contains(got, kmip.ProfileName(kmip20.ProfileNameQuantumSafeServer)) != tc.v.Is2x() {
			t.Errorf("%v: Quantum Safe Server in %v", tc.v, got)
		}
	}
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_2} {
		if got := names(plain, v); got != nil {
			t.Errorf("%v: profiles %v", v, got)
		}
	}
}

// TestQueryCapabilitiesFollowDestroyGrace: under a grace period Destroy
// does not shred at once.
func TestQueryCapabilitiesFollowDestroyGrace(t *testing.T) {
	c := (&Service{grace: 1}).capabilities()
	if c.DestroyAction != uint32(kmip14.DestroyActionUnspecified) || c.ShreddingAlgorithm != 0 {
		t.Errorf("with a destroy grace: %+v", c)
	}
}
