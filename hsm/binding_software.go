package hsm

var _ Bindable = (*Software)(nil)

// Identity names the software module by its key file.
func (s *Software) Identity() ModuleIdentity {
	return ModuleIdentity{Provider: ProviderSoftware, KeyFile: s.path}
}

// FollowRotation makes Rotate call f with each new epoch; see Bindable.
func (s *Software) FollowRotation(f func(newID uint32) error) { s.afterRotate = f }
