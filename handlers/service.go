// Package handlers implements the KMIP operations on top of a store.Store
// and an hsm.Crypto: the lifecycle state machine, the attribute rules (who
// may set what, in which protocol version), ownership and Locate.
//
// Every object belongs to the identity that created it. An object of another
// owner is reported exactly like a missing one, so a client cannot probe the
// identifiers of others.
//
// Layout: service.go is the Service and its Config; routes.go the route
// table, one row per operation, and the dispatch; objects.go the object
// access every handler goes through; then one file per operation family
// (create.go, get.go, locate.go, lifecycle.go, crypto.go, ...). The
// concerns around the operations are packages of their own: audit (the
// audit trail of every item), authz (the authorization policy), notify
// (pushing changes to clients' endpoints), internal/splitkey (Shamir's
// secret sharing).
package handlers

import (
	"crypto/x509"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Config configures a Service.
type Config struct {
	Store  store.Store // required
	Crypto hsm.Crypto  // required
	Logger *zap.Logger // nil: no logging
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	ServerInfo kmip.ServerInformation // answered to Query Server Information
	// HTTPS says that the server also serves KMIP over HTTPS (TTLV, XML and
	// JSON): Query Profiles lists the HTTPS, XML and JSON Server profiles.
	HTTPS                bool
	VendorIdentification string // answered to Query Vendor Identification

	// RNG describes the random bit generator Crypto generates keys with; it
	// becomes the Random Number Generator attribute of every key Create
	// generates. Zero (RNGAlgorithm 0) means the attribute is not set.
	RNG kmip.RNGParameters

	// RNGs are the random bit generators Query RNGs lists; empty means RNG
	// alone (when set).
	RNGs []kmip.RNGParameters

	// RNGSeed is what RNG Seed does with a client's seed (rng.go); the zero
	// value accepts seeds and uses none of them.
	RNGSeed RNGSeedPolicy

	// LeaseTime is the server's lease policy: when positive, every new
	// object gets it as its Lease Time (clients should not use the object
	// longer without asking again), and Check grants no longer lease. Zero
	// means no lease policy and no Lease Time attribute.
	LeaseTime time.Duration

	// ProtectionStorageMask says where Crypto keeps key material (Protection
	// Storage Mask bits: Software, Hardware, ...); it becomes the Protection
	// Storage Mask attribute (2.x) of every new object. A client that asks
	// for a mask without any of these bits is refused with Protection
	// Storage Unavailable. Zero means the attribute is not set.
	ProtectionStorageMask int32

	// DestroyGrace is how long the material of a destroyed object stays
	// recoverable with Undestroy before it is removed for good; zero
	// destroys it at once. The store keeps the material meanwhile
	// (store.Pending).
	DestroyGrace time.Duration

	// Certifier is the certification authority of Certify and ReCertify
	// (certify.go); nil: the server offers neither.
	Certifier Certifier

	// TrustAnchors are the certificates at which Validate may end a chain
	// as Valid (validate.go); nil: none, and Validate answers Unknown for
	// every chain it finds no fault in.
	TrustAnchors *x509.CertPool

	// Notifier receives the changes to push to clients' KMIP endpoints as
	// Notify and Put requests (notify.go); nil: no notifications.
	Notifier Notifier

	// BackupDir, when set, serves the online backup
	// (kmip.OperationVendorBackup, backup.go): Store's snapshots, sealed
	// by Crypto, are written into files of BackupDir.
	BackupDir string
	// BackupOperators are the identities that may make an online backup
	// when no Policy is in force (under a Policy, the holders of a role
	// with every operation may).
	BackupOperators []string

	// PyKMIPAttributes, for deployments with PyKMIP 0.10 clients speaking
	// KMIP 2.0, leaves the server bookkeeping attributes (Short Unique
	// Identifier, Key Format Type, Extractable...) out of 2.0 answers to
	// "all attributes": that client's 2.0 decoder fails the whole call on
	// them. They are still returned when named. Off, 2.0 answers with every
	// attribute, as the specification and the OASIS test cases say
	// (attributes.go, onlyWhenNamed).
	PyKMIPAttributes bool
}

// Service serves KMIP batch items. It implements kmip.Handler and is safe for
// concurrent use; all state lives in the store, except the open streaming
// operations and the tickets of Login, which live in memory.
type Service struct {
	store  store.Store
	crypto hsm.Crypto
	log    *zap.Logger
	clock  func() time.Time
	info   kmip.ServerInformation
	vendor string
	https  bool
	rng    kmip.RNGParameters
	rngs   []kmip.RNGParameters
	seed   RNGSeedPolicy
	lease  time.Duration
	psm    int32
	grace  time.Duration // Config.DestroyGrace

	pykmipAttributes bool // Config.PyKMIPAttributes

	certifier Certifier // Config.Certifier; nil: no Certify or ReCertify

	anchors *x509.CertPool // Config.TrustAnchors

	notifier Notifier // Config.Notifier; nil: none

	// owners holds the identities seen since start, for Sweep.
	owners sync.Map // string -> struct{}

	// streams holds the open streaming operations (stream.go).
	streams streams

	// tickets holds the tickets of Login and Delegated Login (tickets.go).
	tickets ticketTable

	// pkcs11Contexts holds the open contexts of the PKCS#11 operation
	// (pkcs11_contexts.go).
	pkcs11Contexts pkcs11Contexts

	// policy is the authorization policy in force; nil means none
	// (policy.go). policyMu serializes SetPolicy.
	policy   atomic.Pointer[authz.Authorizer]
	policyMu sync.Mutex

	// The online backup (backup.go).
	backupDir       string
	backupOperators []string
	backups         backups
}

var _ kmip.Handler = (*Service)(nil)

// New returns a Service. It fails when cfg lacks the Store or the Crypto, or
// has a negative LeaseTime or DestroyGrace.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Crypto == nil {
		return nil, errors.New("handlers: Config needs a Store and a Crypto")
	}
	if cfg.LeaseTime < 0 || cfg.DestroyGrace < 0 || cfg.RNGSeed.MaxBytes < 0 {
		return nil, errors.New("handlers: negative LeaseTime, DestroyGrace or RNGSeed.MaxBytes")
	}
	s := &Service{
		store:  cfg.Store,
		crypto: cfg.Crypto,
		log:    cfg.Logger,
		clock:  cfg.Now,
		info:   cfg.ServerInfo,
		vendor: cfg.VendorIdentification,
		https:  cfg.HTTPS,
		rng:    cfg.RNG,
		rngs:   cfg.RNGs,
		seed:   cfg.RNGSeed,
		lease:  cfg.LeaseTime,
		psm:    cfg.ProtectionStorageMask,
		grace:  cfg.DestroyGrace,

		certifier: cfg.Certifier,
		anchors:   cfg.TrustAnchors,

		notifier: cfg.Notifier,

		backupDir:        cfg.BackupDir,
		backupOperators:  cfg.BackupOperators,
		pykmipAttributes: cfg.PyKMIPAttributes,
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s, nil
}

// now returns the current time as KMIP Date-Time values carry it: UTC, to the
// second.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Second) }
