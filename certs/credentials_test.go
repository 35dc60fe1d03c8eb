package certs

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"golang.org/x/crypto/bcrypt"

	"github.com/kmipd/kmipd/kmip"
)

func TestPasswordHashesVerify(t *testing.T) {
	argonHash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(argonHash, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(argonHash, "correct horse") {
		t.Fatalf("HashPassword = %q", argonHash)
	}
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte("battery staple"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	check, err := NewPasswordHashes(map[string]string{"array": argonHash, "reader": string(bcryptHash)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, password string
		want           bool
	}{
		{"array", "correct horse", true},
		{"array", "correct horse", true}, // remembered
		{"array", "correct horsE", false},
		{"array", "", false},
		{"reader", "battery staple", true},
		{"reader", "correct horse", false},
		{"array", "battery staple", false},
		{"nobody", "correct horse", false},
		{"", "", false},
		{"array", strings.Repeat("x", maxPasswordLen+1), false},
	} {
		if got := check.Verify(c.user, c.password); got != c.want {
			t.Errorf("Verify(%q, %q) = %v, want %v", c.user, c.password, got, c.want)
		}
	}
}

func TestNewPasswordHashesRejectsMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plaintext", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB
		"$argon2id$v=19$m=65536,t=0,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA",
		"$2b$04$tooshort",
	} {
		_, err := NewPasswordHashes(map[string]string{"u": h})
		if err == nil {
			t.Errorf("NewPasswordHashes accepted %q", h)
			continue
		}
		if h != "" && strings.Contains(err.Error(), h) {
			t.Errorf("error %q repeats the hash", err)
		}
	}
}

// TestRequireCredential serves Query through a real kmip.Server over mutual
// TLS and checks that only requests with the right Credential reach the
// handler, in KMIP 1.4 and 2.1.
func TestRequireCredential(t *testing.T) {
	dir := testPKI(t)
	hash, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	check, err := NewPasswordHashes(map[string]string{"alice": hash})
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int32
	inner := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) {
		reached.Add(1)
		return &kmip.QueryResponse{}, nil
	})
	srv := &kmip.Server{Handler: RequireCredential(inner, CredentialPolicy{Check: check}), TLSConfig: devServerConfig(t, dir), Identify: Identify}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, version := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		for _, c := range []struct {
			cred *kmip.Credential
			ok   bool
		}{
			{nil, false},
			{&kmip.Credential{Type: 1, Username: "alice", Password: "wrong"}, false},
			{&kmip.Credential{Type: 1, Username: "bob", Password: "s3cret"}, false},
			{&kmip.Credential{Type: 1, Username: "alice", Password: "s3cret"}, true},
		} {
			client, err := kmip.Dial(ctx, ln.Addr().String(), devClientConfig(t, dir, "localhost"))
			if err != nil {
				t.Fatal(err)
			}
			client.Version, client.Credential = version, c.cred
			before := reached.Load()
			_, err = client.Do(ctx, kmip14.OperationQuery, &kmip.QueryRequest{})
			client.Close()
			var ke *kmip.Error
			switch {
			case c.ok && (err != nil || reached.Load() != before+1):
				t.Errorf("%v %+v: err %v, handler reached %v", version, c.cred, err, reached.Load() != before)
			case !c.ok && (!errors.As(err, &ke) || ke.Reason != kmip.ReasonAuthenticationNotSuccessful || reached.Load() != before):
				t.Errorf("%v %+v: err %v, handler reached %v; want Authentication Not Successful", version, c.cred, err, reached.Load() != before)
			}
		}
	}
}
