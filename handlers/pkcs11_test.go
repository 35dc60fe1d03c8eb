package handlers

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// pkcs11Call performs one PKCS#11 function as who in KMIP 2.1.
func (h *harness) pkcs11Call(who string, f kmip.PKCS11Function, corr []byte) *kmip.PKCS11Response {
	h.t.Helper()
	return h.must(kmip.V2_1, who, &kmip.PKCS11Request{Function: f, CorrelationValue: corr}).(*kmip.PKCS11Response)
}

// pkcs11Init opens a context for who and returns its Correlation Value.
func (h *harness) pkcs11Init(who string) []byte {
	h.t.Helper()
	resp := h.pkcs11Call(who, kmip.PKCS11CInitialize, nil)
	if resp.ReturnCode != kmip.PKCS11OK || len(resp.CorrelationValue) != 16 {
		h.t.Fatalf("C_Initialize: return code %#x, Correlation Value %x", resp.ReturnCode, resp.CorrelationValue)
	}
	return resp.CorrelationValue
}

// wantReturn checks a PKCS#11 response's return code.
func wantReturn(t *testing.T, what string, resp *kmip.PKCS11Response, want kmip.PKCS11ReturnCode) {
	t.Helper()
	if resp.ReturnCode != want {
		t.Errorf("%s: return code %#x, want %#x", what, resp.ReturnCode, want)
	}
}

// TestPKCS11Session runs PKCS11-M-1-21's sequence on both providers:
// C_Initialize, C_GetInfo reporting the module's own CK_INFO, C_Finalize;
// then the context is gone.
func TestPKCS11Session(t *testing.T) {
	wantManufacturer := map[string]string{"software": "kmipd", "softhsm2": "SoftHSM"}
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			c := p.open(t)
			h := newHarnessWith(t, func(cfg *Config) { cfg.Crypto = c })
			corr := h.pkcs11Init(alice)

			resp := h.pkcs11Call(alice, kmip.PKCS11CGetInfo, corr)
			wantReturn(t, "C_GetInfo", resp, kmip.PKCS11OK)
			var info kmip.PKCS11Info
			if err := info.UnmarshalBinary(resp.OutputParameters); err != nil {
				t.Fatalf("C_GetInfo output %x: %v", resp.OutputParameters, err)
			}
			if info.ManufacturerID != wantManufacturer[p.name] || info.CryptokiVersion.Major < 2 || resp.CorrelationValue != nil {
				t.Errorf("C_GetInfo: %+v, Correlation Value %x", info, resp.CorrelationValue)
			}
			if p.name == "software" && info.LibraryDescription != "kmipd software module" {
				t.Errorf("software module description %q", info.LibraryDescription)
			}

			wantReturn(t, "C_Finalize", h.pkcs11Call(alice, kmip.PKCS11CFinalize, corr), kmip.PKCS11OK)
			wantReturn(t, "C_Finalize again", h.pkcs11Call(alice, kmip.PKCS11CFinalize, corr), kmip.PKCS11CryptokiNotInitialized)
			wantReturn(t, "C_GetInfo after C_Finalize", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, corr), kmip.PKCS11CryptokiNotInitialized)
		})
	}
}

// TestPKCS11Restricted checks what the pass-through refuses: unknown and
// foreign contexts, a second C_Initialize on an open context, every other
// function, 1.x and another interface.
func TestPKCS11Restricted(t *testing.T) {
	h := newHarness(t)
	corr := h.pkcs11Init(alice)

	// Bob cannot use or close Alice's context: it is as unknown as one
	// never issued.
	wantReturn(t, "bob C_GetInfo", h.pkcs11Call(bob, kmip.PKCS11CGetInfo, corr), kmip.PKCS11CryptokiNotInitialized)
	wantReturn(t, "bob C_Finalize", h.pkcs11Call(bob, kmip.PKCS11CFinalize, corr), kmip.PKCS11CryptokiNotInitialized)
	wantReturn(t, "no context", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, nil), kmip.PKCS11CryptokiNotInitialized)
	wantReturn(t, "unknown context", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, make([]byte, 16)), kmip.PKCS11CryptokiNotInitialized)
	wantReturn(t, "C_Initialize on an open context", h.pkcs11Call(alice, kmip.PKCS11CInitialize, corr), kmip.PKCS11CryptokiAlreadyInitialized)

	// Every other function (C_OpenSession is 13, C_Login 25, C_GenerateKey
	// 58): not supported, with or without a context, and the context stays.
	for _, f := range []kmip.PKCS11Function{4, 13, 25, 58, 0, 0xffffffff} {
		for _, c := range [][]byte{nil, corr} {
			resp := h.pkcs11Call(alice, f, c)
			wantReturn(t, "function", resp, kmip.PKCS11FunctionNotSupported)
			if resp.Function != f || resp.OutputParameters != nil || resp.CorrelationValue != nil {
				t.Errorf("function %d: %+v", f, resp)
			}
		}
	}
	wantReturn(t, "C_GetInfo", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, corr), kmip.PKCS11OK)

	_, err := h.do(kmip.V1_4, alice, &kmip.PKCS11Request{Function: kmip.PKCS11CInitialize})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
	_, err = h.do(kmip.V2_1, alice, &kmip.PKCS11Request{Interface: "PKCS#11 V3.0", Function: kmip.PKCS11CGetInfo, CorrelationValue: corr})
	wantReason(t, err, kmip.ReasonPKCS11InvalidInterface)
	resp := h.must(kmip.V2_0, alice, &kmip.PKCS11Request{Interface: kmip.PKCS11DefaultInterface, Function: kmip.PKCS11CGetInfo, CorrelationValue: corr}).(*kmip.PKCS11Response)
	if resp.ReturnCode != kmip.PKCS11OK || resp.Interface != kmip.PKCS11DefaultInterface {
		t.Errorf("2.0 with the default interface: %+v", resp)
	}
}

// TestPKCS11ContextLimits checks the bounds: contexts per identity, and
// the idle expiry.
func TestPKCS11ContextLimits(t *testing.T) {
	h := newHarness(t)
	var open [][]byte
	for range maxPKCS11ContextsPerIdentity {
		open = append(open, h.pkcs11Init(alice))
	}
	full := h.pkcs11Call(alice, kmip.PKCS11CInitialize, nil)
	wantReturn(t, "one context too many", full, kmip.PKCS11HostMemory)
	if full.CorrelationValue != nil {
		t.Errorf("refused C_Initialize returned a Correlation Value")
	}
	h.pkcs11Init(bob) // the bound is per identity
	wantReturn(t, "C_Finalize", h.pkcs11Call(alice, kmip.PKCS11CFinalize, open[0]), kmip.PKCS11OK)
	h.pkcs11Init(alice) // room again

	// A context used within pkcs11ContextIdle stays; one idle longer ends.
	h.now = h.now.Add(pkcs11ContextIdle - time.Minute)
	wantReturn(t, "used in time", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, open[1]), kmip.PKCS11OK)
	h.now = h.now.Add(2 * time.Minute)
	wantReturn(t, "kept alive", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, open[1]), kmip.PKCS11OK)
	wantReturn(t, "idle too long", h.pkcs11Call(alice, kmip.PKCS11CGetInfo, open[2]), kmip.PKCS11CryptokiNotInitialized)
}

// TestPKCS11OverTLS runs the sequence through the real codec and server:
// a context opened on one connection is used and closed on another.
func TestPKCS11OverTLS(t *testing.T) {
	h := newHarness(t)
	addr, cfg := serveTLS(t, h)
	call := func(f kmip.PKCS11Function, corr []byte) *kmip.PKCS11Response {
		t.Helper()
		c, err := kmip.Dial(context.Background(), addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Version = kmip.V2_1
		resp, err := c.Do(context.Background(), kmip.OperationPKCS11, &kmip.PKCS11Request{Function: f, CorrelationValue: corr})
		if err != nil {
			t.Fatal(err)
		}
		return resp.(*kmip.PKCS11Response)
	}
	init := call(kmip.PKCS11CInitialize, nil)
	wantReturn(t, "C_Initialize", init, kmip.PKCS11OK)
	info := call(kmip.PKCS11CGetInfo, init.CorrelationValue)
	wantReturn(t, "C_GetInfo", info, kmip.PKCS11OK)
	if len(info.OutputParameters) != 76 {
		t.Errorf("C_GetInfo output: %d bytes, want 76", len(info.OutputParameters))
	}
	wantReturn(t, "C_Finalize", call(kmip.PKCS11CFinalize, init.CorrelationValue), kmip.PKCS11OK)

	c, err := kmip.Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Version = kmip.V1_4
	_, err = c.Do(context.Background(), kmip.OperationPKCS11, &kmip.PKCS11Request{Function: kmip.PKCS11CInitialize})
	var ke *kmip.Error
	if !errors.As(err, &ke) || ke.Reason != kmip.ReasonOperationNotSupported {
		t.Errorf("1.4: %v, want Operation Not Supported", err)
	}
}

// TestPKCS11InQuery checks that Query lists the operation in 2.x only.
func TestPKCS11InQuery(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		resp := h.must(v, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
		listed := slices.Contains(resp.Operations, kmip.OperationPKCS11)
		if listed != v.Is2x() {
			t.Errorf("%v: PKCS#11 listed = %v", v, listed)
		}
	}
}
