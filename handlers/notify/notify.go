// Package notify delivers a handlers.Service's events to the KMIP endpoints
// of the objects' owners: the server-to-client Notify and Put requests (KMIP
// 1.4 sections 5.1 and 5.2, 2.1 sections 6.2.1 and 6.2.2). Package handlers
// decides which events there are, who receives each and which attributes a
// version shows (handlers.Event); this package is the client that sends
// them.
//
// A [Pusher] is a handlers.Notifier: a bounded queue and a goroutine per
// endpoint, one mutual-TLS connection each, reopened with exponential
// backoff after a failure.
//
// Concurrency: a Pusher is safe for concurrent use; Notify never blocks.
//
// Errors: a failed push is returned to no caller (the change it reports is
// already committed); its outcome ([Sent], [Refused], [Failed],
// [Dropped], [Withheld]) is logged, counted through Config.Observe and
// recorded in Config.Audit. Neither attribute values nor key material are
// logged.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Endpoint is a client's KMIP endpoint: where the server sends the Notify
// and Put requests of the objects of Identity. How a client registers its
// endpoint is outside the KMIP specification; here it is configuration.
type Endpoint struct {
	// Identity is the owner whose objects' events the endpoint receives:
	// the client identity as the server names it (its tenant under a
	// Policy).
	Identity string
	Address  string // host:port
	// TLS is the client side of the mutual TLS connection: the server's
	// certificate (which the endpoint must accept as a client certificate)
	// and the roots and name the endpoint's certificate is verified against.
	TLS *tls.Config
	// Version, when not zero, is the protocol version of the requests;
	// zero: the endpoint's preferred version, found with Discover Versions
	// on each connection (KMIP 1.4 when it does not answer one).
	Version kmip.Version
}

// Outcomes of a push, as Config.Observe receives them.
const (
	Sent     = "sent"     // the endpoint answered Success
	Refused  = "refused"  // the endpoint answered a failure
	Failed   = "failed"   // not delivered: the connection failed every attempt
	Dropped  = "dropped"  // not queued: the endpoint's queue was full
	Withheld = "withheld" // a Put of an object that may not leave the server in the clear
)

// Config configures a Pusher.
type Config struct {
	Endpoints []Endpoint
	// Queue is the number of events each endpoint holds while it is slow or
	// unreachable; more are dropped. Zero means 1000.
	Queue  int
	Logger *zap.Logger // nil: no logging
	// Observe, if set, is called once for each event and endpoint with the
	// event's operation and outcome (Sent, Refused...). It must be safe for concurrent
	// use and must not block.
	Observe func(endpoint string, op kmip.Operation, outcome string)
	// Timeout bounds each connection attempt and each exchange; zero means
	// 10 s.
	Timeout time.Duration
	// Backoff is the first wait before reconnecting after a failure, doubled
	// at each failure in a row up to 30 s; zero means 500 ms.
	Backoff time.Duration
	// Audit, if set, receives a record of every push: the identity is the
	// endpoint's, the address its address, the operation Notify or Put, the
	// result Success or OperationFailed with the outcome as the reason. A
	// Put's object leaves the server only after a record of its release is
	// durable ("Put" with reason "releasing"); without it, nothing is sent.
	Audit store.AuditLog
}

// pushAttempts is how many connections a push is tried on before it is
// given up.
const pushAttempts = 4

// maxBackoff caps the wait between reconnections.
const maxBackoff = 30 * time.Second

// Pusher delivers the events of a handlers.Service (it is a
// handlers.Notifier) to the KMIP
// endpoints of the objects' owners: a bounded queue and a goroutine per
// endpoint, one connection each, reopened with exponential backoff after a
// failure. Notify never blocks: an event for an endpoint whose queue is
// full is dropped with a warning. Every push is logged (operation, object,
// endpoint, outcome; never key material).
//
// A Pusher is safe for concurrent use. Close stops it.
type Pusher struct {
	log     *zap.Logger
	audit   store.AuditLog // nil: no audit records
	observe func(endpoint string, op kmip.Operation, outcome string)
	timeout time.Duration
	backoff time.Duration

	endpoints []*pushEndpoint
	stop      context.CancelFunc
	done      sync.WaitGroup
}

var _ handlers.Notifier = (*Pusher)(nil)

// pushEndpoint is an endpoint with its queue; client is used by its
// goroutine only.
type pushEndpoint struct {
	Endpoint
	queue   chan handlers.Event
	client  *kmip.Client
	version kmip.Version // of client's requests
}

// New starts a Pusher for cfg's endpoints.
func New(cfg Config) *Pusher {
	p := &Pusher{log: cfg.Logger, audit: cfg.Audit, observe: cfg.Observe, timeout: cfg.Timeout, backoff: cfg.Backoff}
	if p.log == nil {
		p.log = zap.NewNop()
	}
	if p.observe == nil {
		p.observe = func(string, kmip.Operation, string) {}
	}
	if p.timeout <= 0 {
		p.timeout = 10 * time.Second
	}
	if p.backoff <= 0 {
		p.backoff = 500 * time.Millisecond
	}
	queue := cfg.Queue
	if queue <= 0 {
		queue = 1000
	}
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	for _, e := range cfg.Endpoints {
		ep := &pushEndpoint{Endpoint: e, queue: make(chan handlers.Event, queue)}
		p.endpoints = append(p.endpoints, ep)
		p.done.Add(1)
		go p.run(ctx, ep)
	}
	return p
}

// Notify queues ev for each endpoint it is delivered to. It implements
// handlers.Notifier: it never blocks.
func (p *Pusher) Notify(ev handlers.Event) {
	for _, ep := range p.endpoints {
		if !ev.DeliversTo(ep.Identity) {
			continue
		}
		select {
		case ep.queue <- ev:
		default:
			p.outcome(ep, &ev, Dropped, errors.New("queue full"))
		}
	}
}

// Close stops the endpoints' goroutines, abandoning a push under way and
// the events still queued, and closes their connections.
func (p *Pusher) Close() {
	p.stop()
	p.done.Wait()
}

// run delivers ep's events until ctx ends.
func (p *Pusher) run(ctx context.Context, ep *pushEndpoint) {
	defer p.done.Done()
	defer ep.disconnect()
	failures := 0 // in a row, for the backoff
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-ep.queue:
			failures = p.deliver(ctx, ep, &ev, failures)
		}
	}
}

// deliver sends ev to ep, reconnecting after failures, and returns the
// number of failures in a row since.
func (p *Pusher) deliver(ctx context.Context, ep *pushEndpoint, ev *handlers.Event, failures int) int {
	var obj *kmip.Object // a Put's object, unsealed once for every attempt
	if ev.Kind == handlers.EventPut {
		if ev.Object == nil {
			p.outcome(ep, ev, Withheld, nil)
			return failures
		}
		var err error
		if obj, err = ev.Object(); err != nil {
			p.outcome(ep, ev, Failed, err)
			return failures
		}
		defer clearObject(obj)
		// The object leaves the server only once its release is on record.
		if err := p.record(ctx, ep, ev, "releasing", true); err != nil {
			p.outcome(ep, ev, Failed, fmt.Errorf("release not recorded: %w", err))
			return failures
		}
	}
	var err error
	for range pushAttempts {
		if failures > 0 && !sleep(ctx, p.wait(failures)) {
			return failures
		}
		if err = p.send(ctx, ep, ev, obj); err == nil {
			p.outcome(ep, ev, Sent, nil)
			return 0
		}
		var refused *kmip.Error
		if errors.As(err, &refused) {
			p.outcome(ep, ev, Refused, err)
			return 0
		}
		ep.disconnect()
		failures++
		if ctx.Err() != nil {
			return failures
		}
	}
	p.outcome(ep, ev, Failed, err)
	return failures
}

// wait is the backoff after failures failures in a row.
func (p *Pusher) wait(failures int) time.Duration {
	d := p.backoff
	for range failures - 1 {
		if d *= 2; d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

// send performs ev's request (with obj, a Put's object) on ep's
// connection, opening it first if needed. A *kmip.Error is the endpoint's
// answer; any other error a failure of the connection.
func (p *Pusher) send(ctx context.Context, ep *pushEndpoint, ev *handlers.Event, obj *kmip.Object) error {
	if ep.client == nil {
		if err := p.connect(ctx, ep); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	_, err := ep.client.Do(ctx, ev.Operation(), pushPayload(ep.version, ev, obj))
	return err
}

// connect opens ep's connection and settles its protocol version.
func (p *Pusher) connect(ctx context.Context, ep *pushEndpoint) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	c, err := kmip.Dial(ctx, ep.Address, ep.TLS)
	if err != nil {
		return err
	}
	ep.client, ep.version = c, ep.Version
	if ep.version == (kmip.Version{}) {
		ep.version = kmip.V1_4
		resp, err := c.Do(ctx, kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{Versions: kmip.SupportedVersions})
		var answered *kmip.Error
		switch {
		case errors.As(err, &answered): // keep 1.4
		case err != nil:
			ep.disconnect()
			return err
		default:
			if dv, ok := resp.(*kmip.DiscoverVersionsResponse); ok {
				for _, v := range dv.Versions {
					if slices.Contains(kmip.SupportedVersions, v) {
						ep.version = v
						break
					}
				}
			}
		}
	}
	c.Version = ep.version
	p.log.Info("push endpoint connected", zap.String("endpoint", ep.Identity), zap.String("address", ep.Address), zap.Stringer("version", ep.version))
	return nil
}

// disconnect closes ep's connection, if open.
func (ep *pushEndpoint) disconnect() {
	if ep.client != nil {
		ep.client.Close()
		ep.client = nil
	}
}

// pushPayload builds the request payload of ev (with obj, a Put's object)
// in version v, with only the attributes a client may see in v.
func pushPayload(v kmip.Version, ev *handlers.Event, obj *kmip.Object) any {
	attrs, deleted := ev.VisibleIn(v)
	if ev.Kind == handlers.EventNotify {
		return &kmip.NotifyRequest{UniqueIdentifier: ev.UniqueIdentifier, Attributes: attrs, Deleted: deleted}
	}
	return &kmip.PutRequest{
		UniqueIdentifier:         ev.UniqueIdentifier,
		PutFunction:              kmip14.PutFunctionReplace,
		ReplacedUniqueIdentifier: ev.Replaced,
		Object:                   *obj,
		Attributes:               attrs,
	}
}

// clearObject zeroes the key material of a pushed object.
func clearObject(obj *kmip.Object) {
	// The Put payload holds a shallow copy of obj: the same key block.
	if kb := obj.KeyBlock; kb != nil {
		clear(kb.Material)
	}
}

// outcome records, counts and logs the outcome of ev at ep; err is the
// cause of a failure. Neither attribute values nor key material are logged.
func (p *Pusher) outcome(ep *pushEndpoint, ev *handlers.Event, outcome string, err error) {
	op := ev.Operation()
	if aerr := p.record(context.Background(), ep, ev, outcome, false); aerr != nil {
		p.log.Error("push outcome not recorded in the audit trail", zap.String("object", ev.UniqueIdentifier), zap.Error(aerr))
	}
	p.observe(ep.Identity, op, outcome) // after the record: observers may read it
	fields := []zap.Field{
		zap.String("operation", op.String()), zap.String("object", ev.UniqueIdentifier),
		zap.String("endpoint", ep.Identity), zap.String("address", ep.Address), zap.String("outcome", outcome),
	}
	if ev.Replaced != "" {
		fields = append(fields, zap.String("replaced", ev.Replaced))
	}
	switch outcome {
	case Sent:
		p.log.Info("pushed", fields...)
	case Withheld:
		p.log.Info("push withheld: the object may not leave the server in the clear", fields...)
	default:
		p.log.Warn("push not delivered", append(fields, zap.Error(err))...)
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// record appends an audit record of ev at ep with reason (an outcome, or
// "releasing" before a Put's object is sent); durable waits for the disk.
func (p *Pusher) record(ctx context.Context, ep *pushEndpoint, ev *handlers.Event, reason string, durable bool) error {
	if p.audit == nil {
		return nil
	}
	rec := &store.AuditRecord{
		Time: time.Now(), Identity: ep.Identity, ClientAddr: ep.Address,
		Operation: ev.Operation().String(), ObjectID: ev.UniqueIdentifier,
		Result: kmip14.ResultStatusSuccess.String(), Reason: reason,
	}
	switch reason {
	case "releasing", Sent:
	default:
		rec.Result = kmip14.ResultStatusOperationFailed.String()
	}
	if durable {
		return p.audit.AppendAudit(ctx, rec)
	}
	return p.audit.AppendAuditUnsynced(ctx, rec)
}
