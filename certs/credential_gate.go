package certs

import (
	"context"
	"slices"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// CredentialPolicy is what RequireCredential asks of a request message.
type CredentialPolicy struct {
	// Check verifies the Username and Password of the Credential.
	Check PasswordCheck

	// Users are the configured usernames, each with the certificate
	// identities (kmip.Peer.Identity) allowed to use it; an empty list
	// allows every identity. Failures are counted against a username only
	// when it is one of Users, so that the names a client makes up cannot
	// fill the Limiter's table.
	Users map[string][]string

	// Limiter, if not nil, counts failures by certificate identity and by
	// username and refuses the messages of those in back-off or locked.
	Limiter *FailureLimiter

	// Observer, if not nil, is told of every refused message.
	Observer CredentialObserver
}

// FailureReason says why RequireCredential refused a message.
type FailureReason string

const (
	NoCredential       FailureReason = "no_credential"        // no Username and Password Credential
	BadPassword        FailureReason = "bad_password"         // checked, and wrong (or an unknown username)
	InBackoff          FailureReason = "backoff"              // not checked: the identity or username is in back-off
	Locked             FailureReason = "locked"               // not checked: the identity or username is locked
	IdentityNotAllowed FailureReason = "identity_not_allowed" // not checked: the username is bound to other identities
)

// FailureReasons lists every FailureReason.
var FailureReasons = []FailureReason{NoCredential, BadPassword, InBackoff, Locked, IdentityNotAllowed}

// CredentialFailure describes one refused request message. It never holds
// the password.
type CredentialFailure struct {
	Reason FailureReason
	// Username is the Credential's username when it is one of the
	// configured users, else "": an unknown name may be a password typed
	// in the wrong field, and is kept out of records.
	Username string
	// Failures is the most failures in a row of the identity or username
	// after this one (BadPassword, IdentityNotAllowed).
	Failures int
	// Key and RetryAfter name the limiter key that refused the message and
	// when it admits one again (InBackoff, Locked).
	Key        string
	RetryAfter time.Duration
	// Locks are the keys this failure locked.
	Locks []Lock
}

// A CredentialObserver is told of each request message RequireCredential
// refuses, once per message, before its items are answered; an error
// (such as an audit record that could not be written) fails the items
// with General Failure instead. It is called concurrently for the messages
// of many connections.
type CredentialObserver interface {
	CredentialRefused(ctx context.Context, req *kmip.Request, f CredentialFailure) error
}

// Keys of a FailureLimiter: a certificate identity and a username are
// counted apart, and read as such in audit records.
func identityKey(identity string) string { return "identity " + identity }
func usernameKey(username string) string { return "username " + username }

// errAuthentication is the answer to every item of a refused message,
// whatever the reason, so that a client learns nothing of which it was.
var errAuthentication = &kmip.Error{Reason: kmip.ReasonAuthenticationNotSuccessful, Message: "a valid username and password credential is required"}

// RequireCredential returns a Handler that serves a request item with next
// only if its message header carries a Username and Password Credential
// that p allows; otherwise the item fails with Authentication Not
// Successful (the same Result Reason in KMIP 1.x and 2.x) without reaching
// next. The client certificate is still what identifies the client; the
// Credential is a second factor on top.
//
// The Credential is checked once per request message, for its first item
// (kmip.BatchState.Memo): the other items get the same answer, so a
// message of a thousand items costs one password check. In order:
//
//   - no Username and Password Credential: refused (NoCredential);
//   - the identity, or the username when configured, is locked or in
//     back-off (p.Limiter): refused without a check (Locked, InBackoff);
//   - the username is bound to identities (p.Users) and the connection's
//     is not one: refused without a check, a failure of the identity
//     alone (IdentityNotAllowed), so that a client cannot lock out a user
//     bound to others;
//   - the password is checked: a success forgets the failures of the
//     identity and username, a failure counts for both (BadPassword).
func RequireCredential(next kmip.Handler, p CredentialPolicy) kmip.Handler {
	return &credentialGate{next: next, policy: p}
}

// credentialGate is the Handler of RequireCredential. Its pointer is the
// key of its answer in a message's BatchState, so that the gate of another
// configuration (after a reload) checks again.
type credentialGate struct {
	next   kmip.Handler
	policy CredentialPolicy
}

func (g *credentialGate) ServeKMIP(ctx context.Context, req *kmip.Request) (any, error) {
	verdict, _ := req.Batch.Memo(g, func() any { return g.check(ctx, req) }).(error)
	if verdict != nil {
		return nil, verdict
	}
	return g.next.ServeKMIP(ctx, req)
}

// check decides on the message of req: nil to serve it, or the error of
// every item.
func (g *credentialGate) check(ctx context.Context, req *kmip.Request) error {
	f, ok := g.verify(req)
	if ok {
		return nil
	}
	if o := g.policy.Observer; o != nil {
		if err := o.CredentialRefused(ctx, req, f); err != nil {
			return err
		}
	}
	return errAuthentication
}

// verify checks the Credential of req's message; see RequireCredential.
func (g *credentialGate) verify(req *kmip.Request) (CredentialFailure, bool) {
	var cred *kmip.Credential
	if req.Header != nil {
		cred = req.Header.Credential
	}
	if cred == nil || cred.Type != credentialUsernamePassword {
		return CredentialFailure{Reason: NoCredential}, false
	}
	var identity string
	if req.Peer != nil {
		identity = req.Peer.Identity
	}
	allowed, known := g.policy.Users[cred.Username]
	f := CredentialFailure{}
	keys := []string{identityKey(identity)}
	bound := len(allowed) > 0 && !slices.Contains(allowed, identity)
	if known {
		f.Username = cred.Username
		if !bound {
			keys = append(keys, usernameKey(cred.Username))
		}
	}

	l := g.policy.Limiter
	if l == nil {
		l = unlimited
	}
	if r, ok := l.Admit(keys...); !ok {
		f.Reason, f.Key, f.RetryAfter = InBackoff, r.Key, r.RetryAfter
		if r.Locked {
			f.Reason = Locked
		}
		return f, false
	}
	if bound {
		f.Reason = IdentityNotAllowed
		f.Locks, f.Failures = l.Failed(keys...)
		return f, false
	}
	if g.policy.Check.Verify(cred.Username, cred.Password) {
		l.Succeeded(keys...)
		return f, true
	}
	f.Reason = BadPassword
	f.Locks, f.Failures = l.Failed(keys...)
	return f, false
}

// unlimited is the limiter of a policy without one: it limits nothing and
// tracks nothing.
var unlimited, _ = NewFailureLimiter(LockoutPolicy{}, nil)

// credentialUsernamePassword is the Credential Type Username and Password.
const credentialUsernamePassword = 1
