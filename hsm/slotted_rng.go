package hsm

var _ Seeder = (*Slotted)(nil)

// Seed seeds the module's generator (Seeder); a module that takes no seed
// uses none.
func (s *Slotted) Seed(data []byte) (int, error) {
	sd, ok := s.Crypto.(Seeder)
	if !ok {
		return 0, nil
	}
	return sd.Seed(data)
}
