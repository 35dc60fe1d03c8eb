package hsm

var _ boundModule = (*Software)(nil)

// identity names the software module by its key file.
func (s *Software) identity() ModuleIdentity {
	return ModuleIdentity{Provider: ProviderSoftware, KeyFile: s.path}
}

// followRotation makes Rotate call f with each new epoch; see boundModule.
func (s *Software) followRotation(f func(newID uint32) error) { s.afterRotate = f }
