package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestRestartKeepsObjects stops kmipd with SIGTERM and starts it again on
// the same data directory: objects, their material, states and attributes
// are back.
func TestRestartKeepsObjects(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir())
	c := d.client(t)

	key := createKey(t, c, "persist-key", "persist-group")
	do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: key})
	secretValue := []byte("persistence test password")
	secret := do[*kmip.RegisterResponse](t, c, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSecretData,
		Attributes: kmip.Attributes{nameAttr("persist-secret")},
		Object: kmip.Object{
			Type:           kmip14.ObjectTypeSecretData,
			SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock:       &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: secretValue},
		},
	}).UniqueIdentifier
	keyMaterial := getMaterial(t, c, key)
	keyAttrs := getAttributes(t, c, key)

	d.stop(t)
	d = d.restart(t)
	c = d.client(t)

	if got := getMaterial(t, c, key); !bytes.Equal(got, keyMaterial) {
		t.Errorf("key %s: material differs after restart", key)
	}
	if got := getMaterial(t, c, secret); !bytes.Equal(got, secretValue) {
		t.Errorf("secret %s: value differs after restart", secret)
	}
	requireState(t, c, key, kmip14.StateActive)
	requireState(t, c, secret, kmip14.StatePreActive)

	after := getAttributes(t, c, key)
	for _, name := range []string{kmip.AttrName, kmip.AttrObjectGroup, kmip.AttrCryptographicAlgorithm,
		kmip.AttrCryptographicLength, kmip.AttrCryptographicUsageMask, kmip.AttrActivationDate, kmip.AttrInitialDate} {
		if !reflect.DeepEqual(after.Get(name), keyAttrs.Get(name)) {
			t.Errorf("key %s: %s is %v after restart, was %v", key, name, after.Get(name), keyAttrs.Get(name))
		}
	}
	if ids := locateByName(t, c, "persist-key"); !reflect.DeepEqual(ids, []string{key}) {
		t.Errorf("Locate by Name after restart: %v, want [%s]", ids, key)
	}
	d.stop(t)
}

// TestKillKeepsAcknowledgedObjects creates keys from several connections,
// SIGKILLs kmipd in the middle, restarts it: every key whose Create
// success response arrived is there (a success means the change is on
// disk).
func TestKillKeepsAcknowledgedObjects(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir())

	const writers = 4
	var (
		mu      sync.Mutex
		created []string
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	for w := range writers {
		c := d.client(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := try(c, kmip14.OperationCreate, createRequest(fmt.Sprintf("kill-%d-%d", w, i), ""))
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				created = append(created, resp.(*kmip.CreateResponse).UniqueIdentifier)
				mu.Unlock()
			}
		}()
	}
	// Let the writers get going, then kill the server under load.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.kill(t)
	close(stop)
	wg.Wait()
	if len(created) == 0 {
		t.Fatal("no Create succeeded before SIGKILL")
	}

	d = d.restart(t)
	c := d.client(t)
	for _, id := range created {
		if m := getMaterial(t, c, id); len(m) != 32 {
			t.Errorf("key %s: %d bytes of material after SIGKILL and restart, want 32", id, len(m))
		}
	}
	t.Logf("%d acknowledged Creates from %d connections, all present after SIGKILL", len(created), writers)
	d.stop(t)
}

// createRequest asks for an AES-256 Encrypt|Decrypt key, named name and in
// group when they are not empty.
func createRequest(name, group string) *kmip.CreateRequest {
	attrs := kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt)},
	}
	if name != "" {
		attrs = append(attrs, nameAttr(name))
	}
	if group != "" {
		attrs = append(attrs, kmip.Attribute{Name: kmip.AttrObjectGroup, Value: group})
	}
	return &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs}
}

// createKey creates an AES-256 key and returns its identifier.
func createKey(t *testing.T, c *kmip.Client, name, group string) string {
	t.Helper()
	return do[*kmip.CreateResponse](t, c, kmip14.OperationCreate, createRequest(name, group)).UniqueIdentifier
}

func nameAttr(name string) kmip.Attribute {
	return kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: name, Type: kmip14.NameTypeUninterpretedTextString}}
}

// getMaterial returns the key material (or secret, or opaque value) of id.
func getMaterial(t *testing.T, c *kmip.Client, id string) []byte {
	t.Helper()
	r := do[*kmip.GetResponse](t, c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	if r.UniqueIdentifier != id {
		t.Fatalf("Get %s answered for %s", id, r.UniqueIdentifier)
	}
	if r.Object.KeyBlock != nil {
		return r.Object.KeyBlock.Material
	}
	return r.Object.OpaqueValue
}

// getAttributes returns all attributes of id.
func getAttributes(t *testing.T, c *kmip.Client, id string, names ...string) kmip.Attributes {
	t.Helper()
	return do[*kmip.GetAttributesResponse](t, c, kmip14.OperationGetAttributes,
		&kmip.GetAttributesRequest{UniqueIdentifier: id, Names: names}).Attributes
}

// requireState checks the State attribute of id.
func requireState(t *testing.T, c *kmip.Client, id string, want kmip.State) {
	t.Helper()
	v := getAttributes(t, c, id, kmip.AttrState).Get(kmip.AttrState)
	got, err := enumValue(v)
	if err != nil {
		t.Fatalf("%s: State: %v", id, err)
	}
	if got != uint32(want) {
		t.Fatalf("%s: State is %v, want %v", id, kmip.State(got), want)
	}
}

// enumValue returns an Enumeration attribute value, whether it is held as
// uint32 or as a kmip14 enumeration type.
func enumValue(v any) (uint32, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return 0, errors.New("absent")
	}
	if rv.Kind() != reflect.Uint32 {
		return 0, fmt.Errorf("value %v is a %T, not an enumeration", v, v)
	}
	return uint32(rv.Uint()), nil
}

// locateByName returns the identifiers of the objects named name.
func locateByName(t *testing.T, c *kmip.Client, name string) []string {
	t.Helper()
	return do[*kmip.LocateResponse](t, c, kmip14.OperationLocate,
		&kmip.LocateRequest{Attributes: kmip.Attributes{nameAttr(name)}}).UniqueIdentifiers
}
