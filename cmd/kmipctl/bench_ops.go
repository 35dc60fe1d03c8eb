package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// The operations kmipctl bench drives. Each uses only standard operations
// and attributes that KMIP 1.2 already defines, so that any server can be
// measured.
var benchOps = []string{"discover", "create", "get", "locate", "encrypt", "mixed"}

// benchNamePrefix names the preloaded keys: bench-0, bench-1, ...
const benchNamePrefix = "bench-"

// encryptDataSize is the plaintext size of --op encrypt.
const encryptDataSize = 1024

// benchNeedsPreload reports whether op reads preloaded keys.
func benchNeedsPreload(op string) bool {
	return op != "discover" && op != "create"
}

// benchCreateRequest is the Create of an AES-256 key for encryption and
// decryption, named when name is not empty.
func benchCreateRequest(name string) *kmip.CreateRequest {
	attrs := kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt)},
	}
	attrs = appendNameGroup(attrs, name, "")
	return &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs}
}

// benchPreload creates n named AES-256 keys on c, the i-th of those this
// caller is given being number first+i*stride, and activates them when
// activate is set. It returns their identifiers in that order.
func benchPreload(ctx context.Context, c *kmip.Client, first, stride, n int, activate bool) ([]string, error) {
	var ids []string
	for i := first; i < n; i += stride {
		resp, err := c.Do(ctx, kmip14.OperationCreate, benchCreateRequest(benchNamePrefix+strconv.Itoa(i)))
		if err != nil {
			return nil, fmt.Errorf("preload: create %s%d: %w", benchNamePrefix, i, err)
		}
		id := resp.(*kmip.CreateResponse).UniqueIdentifier
		if activate {
			if _, err := c.Do(ctx, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id}); err != nil {
				return nil, fmt.Errorf("preload: activate %s: %w", id, err)
			}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// benchWorkload issues the requests of one connection. It is used by one
// goroutine only.
type benchWorkload struct {
	op      string
	ids     []string // preloaded keys; index i is named bench-<i>
	rng     *rand.Rand
	worker  uint32
	nonces  uint64 // GCM nonces: the worker number and this counter, never repeated in a run
	payload []byte
}

func newBenchWorkload(op string, ids []string, worker int) *benchWorkload {
	return &benchWorkload{
		op:      op,
		ids:     ids,
		rng:     rand.New(rand.NewPCG(uint64(worker), rand.Uint64())),
		worker:  uint32(worker),
		payload: make([]byte, encryptDataSize),
	}
}

// do performs one operation of the workload on c and checks its response.
func (w *benchWorkload) do(ctx context.Context, c *kmip.Client) error {
	switch w.op {
	case "discover":
		_, err := c.Do(ctx, kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{})
		return err
	case "create":
		return w.create(ctx, c)
	case "get":
		return w.get(ctx, c)
	case "locate":
		return w.locate(ctx, c)
	case "encrypt":
		return w.encrypt(ctx, c)
	case "mixed":
		// Key managers in front of storage mostly hand out existing keys.
		switch r := w.rng.IntN(100); {
		case r < 70:
			return w.get(ctx, c)
		case r < 80:
			return w.create(ctx, c)
		case r < 90:
			return w.locate(ctx, c)
		default:
			return w.getAttributes(ctx, c)
		}
	}
	return fmt.Errorf("unknown operation %q", w.op)
}

func (w *benchWorkload) create(ctx context.Context, c *kmip.Client) error {
	resp, err := c.Do(ctx, kmip14.OperationCreate, benchCreateRequest(""))
	if err != nil {
		return err
	}
	if r, ok := resp.(*kmip.CreateResponse); !ok || r.UniqueIdentifier == "" {
		return fmt.Errorf("create: no unique identifier in the response")
	}
	return nil
}

func (w *benchWorkload) get(ctx context.Context, c *kmip.Client) error {
	id := w.ids[w.rng.IntN(len(w.ids))]
	resp, err := c.Do(ctx, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	if err != nil {
		return err
	}
	if r, ok := resp.(*kmip.GetResponse); !ok || r.Object.KeyBlock == nil || len(r.Object.KeyBlock.Material) != 32 {
		return fmt.Errorf("get %s: the response holds no 256-bit key", id)
	}
	return nil
}

func (w *benchWorkload) locate(ctx context.Context, c *kmip.Client) error {
	name := benchNamePrefix + strconv.Itoa(w.rng.IntN(len(w.ids)))
	resp, err := c.Do(ctx, kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{
		{Name: kmip.AttrName, Value: kmip.Name{Value: name, Type: kmip14.NameTypeUninterpretedTextString}},
	}})
	if err != nil {
		return err
	}
	if r, ok := resp.(*kmip.LocateResponse); !ok || len(r.UniqueIdentifiers) == 0 {
		return fmt.Errorf("locate %s: no object found", name)
	}
	return nil
}

// benchAttributeNames are the attributes the mixed workload reads.
var benchAttributeNames = []string{kmip.AttrState, kmip.AttrCryptographicAlgorithm, kmip.AttrCryptographicLength}

func (w *benchWorkload) getAttributes(ctx context.Context, c *kmip.Client) error {
	id := w.ids[w.rng.IntN(len(w.ids))]
	resp, err := c.Do(ctx, kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: benchAttributeNames})
	if err != nil {
		return err
	}
	if r, ok := resp.(*kmip.GetAttributesResponse); !ok || len(r.Attributes) == 0 {
		return fmt.Errorf("get attributes %s: no attribute in the response", id)
	}
	return nil
}

// encrypt encrypts 1 KiB with AES-GCM under a preloaded key, with a nonce
// unique within the run (worker number, counter).
func (w *benchWorkload) encrypt(ctx context.Context, c *kmip.Client) error {
	id := w.ids[w.rng.IntN(len(w.ids))]
	nonce := make([]byte, 12)
	binary.BigEndian.PutUint32(nonce, w.worker)
	binary.BigEndian.PutUint64(nonce[4:], w.nonces)
	w.nonces++
	resp, err := c.Do(ctx, kmip14.OperationEncrypt, &kmip.EncryptRequest{
		UniqueIdentifier: id,
		Parameters: &kmip.CryptographicParameters{
			CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
			BlockCipherMode:        kmip14.BlockCipherModeGCM,
			TagLength:              16,
		},
		Data:           w.payload,
		IVCounterNonce: nonce,
	})
	if err != nil {
		return err
	}
	if r, ok := resp.(*kmip.EncryptResponse); !ok || len(r.Data) != encryptDataSize {
		return fmt.Errorf("encrypt %s: the response holds no %d-byte ciphertext", id, encryptDataSize)
	}
	return nil
}
