package hsm_test

// The contract tests of package hsm (provider_test.go, the ops tests) run
// against the PKCS#11 provider too, through Open: linking package
// hsm/pkcs11 into the test binary registers it.
import _ "github.com/kmipd/kmipd/hsm/pkcs11"
