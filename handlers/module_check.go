package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// errModuleChecked stops UnsealsStoredData's walk at the first object it
// checked.
var errModuleChecked = errors.New("checked")

// UnsealsStoredData returns nil when module unseals the first object of
// the store whose material it sealed itself (the modules' own formats, not
// key slots), and the failure otherwise; a store without such an object
// passes. It is the check by which a data directory of an older version,
// without crypto binding, is adopted (hsm.BindOptions.Adopt). The plaintext
// is zeroed at once.
func UnsealsStoredData(ctx context.Context, db store.Store, module hsm.Crypto) error {
	err := db.ForEachObject(ctx, func(obj *store.Object) error {
		if _, ok := hsm.SealedKeyID(obj.Material); !ok {
			return nil
		}
		plain, err := module.Unseal(obj.ID, obj.Material)
		if err != nil {
			return fmt.Errorf("the material of object %s does not unseal: %w", obj.ID, err)
		}
		clear(plain)
		return errModuleChecked
	})
	if errors.Is(err, errModuleChecked) {
		return nil
	}
	return err
}
