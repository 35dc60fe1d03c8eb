package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/hsm"
)

// Config is the daemon's configuration, as read from kmipd.yaml.
type Config struct {
	Listen  string `yaml:"listen"`
	DataDir string `yaml:"data_dir"`
	// MetricsListen is the address of the HTTP listener for /metrics,
	// /healthz and /readyz; empty disables it.
	MetricsListen string `yaml:"metrics_listen"`
	// HTTPSListen is the address of the KMIP HTTPS profile listener (POST
	// /kmip in TTLV, XML or JSON, same mutual TLS); empty disables it.
	HTTPSListen string `yaml:"https_listen"`

	Log struct {
		Level  string `yaml:"level"`  // debug, info, warn, error
		Format string `yaml:"format"` // json or console
	} `yaml:"log"`

	TLS struct {
		// Cert, Key and CA default to the dev PKI under DataDir/pki.
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
		CA   string `yaml:"ca"`
		// Hosts are extra names or addresses for the dev server certificate.
		Hosts []string `yaml:"hosts"`
		// LegacySuites enables the RSA key-exchange CBC suites of the KMIP
		// 1.x profiles for old appliances.
		LegacySuites bool `yaml:"legacy_suites"`
		// ClientCAs are further CA files whose client certificates are
		// accepted besides CA's (bring-your-own CA).
		ClientCAs []string `yaml:"client_cas"`
		// CRL is a PEM or DER CRL file signed by one of the client CAs;
		// the clients it lists are refused. Re-read when it changes.
		CRL string `yaml:"crl"`
		// AllowClientCertsWithoutEKU also accepts client certificates
		// with no Extended Key Usage extension at all, for legacy clients;
		// off, a client certificate must name clientAuth. Logged at start.
		AllowClientCertsWithoutEKU bool `yaml:"allow_client_certs_without_eku"`
	} `yaml:"tls"`

	// Auth optionally requires a KMIP Credential (Username and Password)
	// in every request, on top of the client certificate.
	Auth struct {
		RequirePassword bool `yaml:"require_password"`
		Users           map[string]struct {
			// PasswordHash is an argon2id PHC string (kmipctl pki
			// hash-password) or a bcrypt hash.
			PasswordHash string `yaml:"password_hash"`
			// Identities, if any, are the only certificate identities
			// whose connections may use this username.
			Identities []string `yaml:"identities"`
		} `yaml:"users"`
		// Lockout limits failed Credentials per certificate identity and
		// per username (back-off, then a lock); see certs.LockoutPolicy.
		Lockout certs.LockoutPolicy `yaml:"lockout"`
	} `yaml:"auth"`

	// File is the configuration file read, if any; SIGHUP re-reads it.
	File string `yaml:"-"`
	// Reload reads the configuration again as loadConfig read it (the
	// file, the environment, the flags set); nil without a file. SIGHUP
	// calls it (reload.go).
	Reload func() (Config, error) `yaml:"-"`

	// HSM selects the cryptographic module that generates keys and seals
	// key material at rest: "software" (the default; its key-encryption
	// key is DataDir/kek.key) or "pkcs11".
	HSM struct {
		Provider   string `yaml:"provider"`
		Module     string `yaml:"module"`      // PKCS#11 library
		TokenLabel string `yaml:"token_label"` // the token, found by label
		PinFile    string `yaml:"pin_file"`    // the user PIN, in a 0600 file
	} `yaml:"hsm"`

	// Store selects where objects, the audit trail and the key slots are
	// kept: Badger under DataDir/db (the default), or, with DSN, the
	// PostgreSQL database of that connection string, which any number of
	// kmipd nodes share (storage.go). The DSN may hold a password; it is
	// only ever logged with the password redacted.
	Store struct {
		DSN string `yaml:"dsn"`
	} `yaml:"store"`

	Limits struct {
		MaxMessageSize   int           `yaml:"max_message_size"`
		MaxBatchItems    int           `yaml:"max_batch_items"`
		MaxConns         int           `yaml:"max_conns"`
		HandshakeTimeout time.Duration `yaml:"handshake_timeout"`
		ReadTimeout      time.Duration `yaml:"read_timeout"`
		IdleTimeout      time.Duration `yaml:"idle_timeout"`
		WriteTimeout     time.Duration `yaml:"write_timeout"`
	} `yaml:"limits"`

	// SweepInterval is how often date-driven state changes (an Activation
	// Date reached) are applied to stored objects.
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// ShutdownTimeout bounds the drain on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// LeaseTime is the lease policy: every new object's Lease Time, the
	// longest lease Check grants; 0 disables the policy.
	LeaseTime time.Duration `yaml:"lease_time"`
	// KEKRotation is how often the key-encryption key is rotated (a new
	// epoch, every object re-sealed into it, older epochs destroyed; see
	// handlers.Service.RotateKEK); 0 disables the schedule.
	KEKRotation time.Duration `yaml:"kek_rotation"`
	// DestroyGrace is how long a destroyed object's sealed material is kept
	// so that `kmipctl undestroy` can bring it back; 0 destroys at once.
	DestroyGrace time.Duration `yaml:"destroy_grace"`
	// RNGSeed is the RNG Seed policy: how many bytes of a client's seed
	// the module's generator mixes in (at most hsm.MaxSeed; 0: none), or
	// refuse the operation (Permission Denied).
	RNGSeed struct {
		MaxBytes int  `yaml:"max_bytes"`
		Refuse   bool `yaml:"refuse"`
	} `yaml:"rng_seed"`

	// Interop holds the concessions to clients that depart from the
	// specification; each is off by default.
	Interop struct {
		// PyKMIPAttributes leaves the server bookkeeping attributes out of
		// KMIP 2.0 answers to "all attributes", which PyKMIP 0.10 fails on
		// (handlers.Config.PyKMIPAttributes).
		PyKMIPAttributes bool `yaml:"pykmip_attributes"`
	} `yaml:"interop"`

	// Certify is the certification authority of the KMIP Certify and
	// ReCertify operations: a CA certificate and its key (PEM; RSA, ECDSA
	// or Ed25519) and how long the certificates it issues are valid (0: a
	// year; never beyond the CA's own expiry). Unset, kmipd certifies with
	// the development PKI's separate Certify CA (pki/certify-ca.crt) when
	// it runs with that PKI, and otherwise offers neither operation. The
	// Certify CA may not be one of the client CAs unless ClientCA says so.
	Certify struct {
		CACert   string        `yaml:"ca_cert"`
		CAKey    string        `yaml:"ca_key"`
		Validity time.Duration `yaml:"validity"`
		// Subject is the subject policy: "derived" (default: CN the key's
		// name, OU a hash of the caller's identity; a request for another
		// subject is refused) or "request" (the CSR's subject).
		Subject string `yaml:"subject"`
		// ExtKeyUsages of every certificate issued (default
		// [emailProtection]); clientAuth and serverAuth need ClientCA.
		ExtKeyUsages []string `yaml:"extended_key_usages"`
		// AltNames are the kinds of CSR alternative names copied: dns, ip,
		// email, uri (default none).
		AltNames []string `yaml:"alt_names"`
		// ClientCA allows a Certify CA that also authenticates clients,
		// under the derived subject policy only.
		ClientCA bool `yaml:"client_ca"`
	} `yaml:"certify"`
	// BackupOperators are the identities (certificate subjects) that may
	// make an online backup (kmipctl backup) when no authz policy is set;
	// under a policy, the holders of a role with every operation ("*") may.
	BackupOperators []string `yaml:"backup_operators"`
	// ObjectsRecount is the most often the kmipd_objects metric recounts
	// the stored objects (only after a change; see objects_metric.go).
	ObjectsRecount time.Duration `yaml:"objects_recount"`

	// Authz is the authorization policy: tenants, roles and their bindings
	// to identities (see authz.Policy). Absent: every identity is its
	// own tenant with every operation on its own objects.
	Authz *authz.Policy `yaml:"authz"`

	// Notify lists the client endpoints that receive Notify and Put
	// (notify.go).
	Notify NotifyConfig `yaml:"notify"`
}

func defaultConfig() Config {
	var c Config
	c.Listen = "0.0.0.0:5696"
	c.DataDir = "./data"
	c.Log.Level = "info"
	c.Log.Format = "json"
	c.HSM.Provider = hsm.ProviderSoftware
	c.Limits.MaxMessageSize = 1 << 20
	c.Limits.MaxBatchItems = 1000
	c.Limits.MaxConns = 10000
	c.Limits.HandshakeTimeout = 10 * time.Second
	c.Limits.ReadTimeout = 30 * time.Second
	c.Limits.IdleTimeout = 5 * time.Minute
	c.Limits.WriteTimeout = 30 * time.Second
	c.SweepInterval = 5 * time.Second
	c.ShutdownTimeout = 30 * time.Second
	c.LeaseTime = time.Hour
	c.RNGSeed.MaxBytes = hsm.MaxSeed
	c.ObjectsRecount = time.Minute
	c.Auth.Lockout = certs.DefaultLockoutPolicy
	return c
}

// setting is one configuration value reachable as a flag and as a KMIPD_*
// environment variable (KMIPD_ + the flag name upper-cased, dashes as
// underscores).
type setting struct {
	flag  string
	usage string
	value pflag.Value
}

func (s setting) env() string {
	return "KMIPD_" + strings.ToUpper(strings.ReplaceAll(s.flag, "-", "_"))
}

// settings binds every flag and environment variable to its field of c.
func settings(c *Config) []setting {
	return []setting{
		{"listen", "address to listen on", (*stringValue)(&c.Listen)},
		{"data-dir", "data directory (store, key-encryption key, dev PKI)", (*stringValue)(&c.DataDir)},
		{"https-listen", "address for KMIP over HTTPS, POST /kmip in TTLV, XML or JSON (empty: off)", (*stringValue)(&c.HTTPSListen)},
		{"metrics-listen", "address for /metrics, /healthz and /readyz over HTTP (empty: off)", (*stringValue)(&c.MetricsListen)},
		{"log-level", "log level: debug, info, warn, error", (*stringValue)(&c.Log.Level)},
		{"log-format", "log format: json or console", (*stringValue)(&c.Log.Format)},
		{"tls-cert", "server certificate (PEM); default DATA/pki/server.crt", (*stringValue)(&c.TLS.Cert)},
		{"tls-key", "server private key (PEM); default DATA/pki/server.key", (*stringValue)(&c.TLS.Key)},
		{"tls-ca", "CA certificates that sign client certificates (PEM); default DATA/pki/ca.crt", (*stringValue)(&c.TLS.CA)},
		{"tls-client-ca", "further CA certificates whose clients are accepted (PEM; repeat or comma-separate)", &listValue{list: &c.TLS.ClientCAs}},
		{"tls-crl", "CRL of revoked client certificates (PEM or DER), re-read when it changes", (*stringValue)(&c.TLS.CRL)},
		{"tls-allow-client-certs-without-eku", "also accept client certificates without an Extended Key Usage extension (legacy clients; logged at start)", (*boolValue)(&c.TLS.AllowClientCertsWithoutEKU)},
		{"tls-legacy-suites", "also offer TLS_RSA_WITH_AES_*_CBC_SHA256 for old clients", (*boolValue)(&c.TLS.LegacySuites)},
		{"hsm-provider", "cryptographic module: software or pkcs11", (*stringValue)(&c.HSM.Provider)},
		{"hsm-module", "PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so", (*stringValue)(&c.HSM.Module)},
		{"hsm-token-label", "label of the PKCS#11 token", (*stringValue)(&c.HSM.TokenLabel)},
		{"hsm-pin-file", "file holding the PKCS#11 user PIN (mode 0600; the PIN itself is never a flag)", (*stringValue)(&c.HSM.PinFile)},
		{"store-dsn", "PostgreSQL connection string (URL or key=value) of a store shared by several kmipd nodes (empty: Badger under DATA/db)", (*stringValue)(&c.Store.DSN)},
		{"max-message-size", "largest request accepted, in bytes", (*intValue)(&c.Limits.MaxMessageSize)},
		{"max-batch-items", "most batch items in one request", (*intValue)(&c.Limits.MaxBatchItems)},
		{"max-conns", "most simultaneous connections", (*intValue)(&c.Limits.MaxConns)},
		{"handshake-timeout", "TLS handshake deadline", (*durationValue)(&c.Limits.HandshakeTimeout)},
		{"read-timeout", "deadline to receive the rest of a started message", (*durationValue)(&c.Limits.ReadTimeout)},
		{"idle-timeout", "idle connections are closed after this", (*durationValue)(&c.Limits.IdleTimeout)},
		{"write-timeout", "deadline to send a response", (*durationValue)(&c.Limits.WriteTimeout)},
		{"sweep-interval", "how often date-driven state changes are applied", (*durationValue)(&c.SweepInterval)},
		{"shutdown-timeout", "how long SIGTERM waits for requests in flight", (*durationValue)(&c.ShutdownTimeout)},
		{"lease-time", "Lease Time of new objects: how long clients may use one without asking again (0: no lease policy)", (*durationValue)(&c.LeaseTime)},
		{"kek-rotation", "how often the key-encryption key is rotated and old epochs destroyed (0: never)", (*durationValue)(&c.KEKRotation)},
		{"rng-seed-max-bytes", "most bytes of an RNG Seed mixed into the module's generator (0: none used)", (*intValue)(&c.RNGSeed.MaxBytes)},
		{"rng-seed-refuse", "refuse RNG Seed (Permission Denied)", (*boolValue)(&c.RNGSeed.Refuse)},
		{"destroy-grace", "how long destroyed material stays recoverable with kmipctl undestroy (0: destroyed at once)", (*durationValue)(&c.DestroyGrace)},
		{"certify-ca-cert", "CA certificate (PEM) that signs the certificates of Certify and ReCertify; default the dev PKI's CA with the dev PKI, else none", (*stringValue)(&c.Certify.CACert)},
		{"certify-ca-key", "private key (PEM) of the Certify CA certificate", (*stringValue)(&c.Certify.CAKey)},
		{"certify-subject", "subject policy of Certify: derived (CN key name, OU caller hash; others refused) or request (the CSR's)", (*stringValue)(&c.Certify.Subject)},
		{"backup-operator", "identity (certificate subject, e.g. CN=ops,O=acme) allowed an online backup when no authz policy is set (repeat or separate with ;)", &subjectList{list: &c.BackupOperators}},
		{"objects-recount", "the most often the kmipd_objects metric recounts the stored objects (after changes only)", (*durationValue)(&c.ObjectsRecount)},
	}
}

// loadConfig builds the configuration: defaults, then the YAML file (if
// any), then the environment, then the flags that were set on the command
// line.
func loadConfig(file string, flags *pflag.FlagSet, lookupEnv func(string) (string, bool)) (Config, error) {
	c := defaultConfig()
	if file != "" {
		var err error
		if c, err = readConfigFile(file); err != nil {
			return c, err
		}
	}
	for _, s := range settings(&c) {
		if v, ok := lookupEnv(s.env()); ok {
			if err := s.value.Set(v); err != nil {
				return c, fmt.Errorf("%s: %w", s.env(), err)
			}
		}
	}
	var err error
	flags.Visit(func(f *pflag.Flag) {
		for _, s := range settings(&c) {
			if s.flag == f.Name && err == nil {
				err = s.value.Set(f.Value.String())
			}
		}
	})
	if file != "" {
		c.Reload = func() (Config, error) { return loadConfig(file, flags, lookupEnv) }
	}
	return c, err
}

// readConfigFile returns the defaults overlaid with the YAML file.
func readConfigFile(file string) (Config, error) {
	c := defaultConfig()
	c.File = file
	b, err := os.ReadFile(file)
	if err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Type() string       { return "string" }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	*v = intValue(n)
	return err
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Type() string   { return "int" }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v = boolValue(b)
	return err
}
func (v *boolValue) String() string { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) Type() string   { return "bool" }

// listValue is a list of strings set by a repeated or comma-separated flag:
// the first Set replaces the list (from the file or defaults), later ones
// append.
type listValue struct {
	list *[]string
	set  bool
}

func (v *listValue) Set(s string) error {
	if !v.set {
		*v.list, v.set = nil, true
	}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*v.list = append(*v.list, item)
		}
	}
	return nil
}
func (v *listValue) String() string { return strings.Join(*v.list, ",") }
func (v *listValue) Type() string   { return "strings" }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	*v = durationValue(d)
	return err
}
func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Type() string   { return "duration" }
