// Package kmip implements the KMIP protocol: TTLV framing with limits, a
// hand-written codec for request and response messages of protocol versions
// 1.0 to 2.1, the canonical attribute model shared by the 1.x attribute
// structures and the 2.x tagged attributes, a Server that runs batches
// against a Handler, and a Client.
//
// Like net/http, the package knows nothing of keys or storage: a Handler
// (implemented by package handlers) serves one batch item at a time and
// returns a typed response payload or an *Error carrying the Result Reason.
//
// gemalto/kmip-go is used only for its tag and enumeration constants
// (kmip14, kmip20), its TTLV read accessors on bytes that this package has
// already validated, and its Encoder write calls. Its reflective
// Marshal/Unmarshal, Valid/Next and Server are never used on network bytes.
package kmip
