package handlers

import (
	"reflect"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Server-to-client notifications: the events a client that runs a KMIP
// endpoint receives as Notify and Put requests (KMIP 1.4 sections 5.1 and
// 5.2, 2.1 sections 6.2.1 and 6.2.2). The Service reports events to its
// Config.Notifier; the Pusher of package handlers/notify delivers them.
//
// The events:
//
//   - Put, Put Function Replace, after ReKey and ReKey Key Pair: the
//     replacement object, the Unique Identifier of the key it replaces, and
//     its attributes. The spec makes the object a required field of Put, so
//     the object is sent, in the clear inside the TLS connection, to the
//     endpoints of its owner only (who could Get it anyway); an object that
//     may not leave the server in the clear (Sensitive, or not Extractable)
//     is withheld: no Put is sent for it. The material is unsealed when the
//     Put is sent, not when the event is queued.
//   - Notify after a committed change of an object's attributes: the
//     attributes that changed (with their new values, Last Change Date
//     among them) and the names of those deleted. A lifecycle change (State
//     or Archive Date: Activate, Revoke, Destroy, Archive, Recover, a date
//     coming due) goes to every endpoint of the owner; any other change only
//     to the endpoints of identities other than the one that made it, which
//     knows already.
//
// Events are reported after the store transaction committed. An item of a
// batch whose Batch Error Continuation Option is Undo may still be undone
// afterwards; the undo is a change of its own and is reported like one.

// Notifier receives the events of the objects the Service changes.
//
// Notify is called after the change ev describes is durable, on the
// goroutine serving the request: it must not block (queue the event and
// return) and must be safe for concurrent use. It must not retain ev past
// the delivery of the event, nor change it.
type Notifier interface {
	Notify(ev Event)
}

// EventKind says which request an Event becomes.
type EventKind int

const (
	// EventNotify is a change of an object's attributes: a Notify request.
	EventNotify EventKind = iota + 1
	// EventPut is a new object replacing another: a Put request with Put
	// Function Replace.
	EventPut
)

// Event is one change to push to the endpoints of an object's owner.
type Event struct {
	Kind  EventKind
	Owner string // the owner of the object (its tenant under a Policy)
	Actor string // the identity of the client whose request made the change

	UniqueIdentifier string
	// Attributes are, for Notify, the attributes that changed or were
	// added; for Put, the attributes of the object sent. Attributes a
	// client may not see are left out when the request is built.
	Attributes kmip.Attributes
	// Deleted names the attributes a Notify reports as deleted.
	Deleted []string
	// Lifecycle is set on a Notify whose change includes the State or the
	// Archive Date.
	Lifecycle bool

	// Replaced is the Unique Identifier of the object a Put replaces.
	Replaced string
	// Object returns the content of the object a Put sends, unsealed; the
	// caller clears its key material after use. Nil when the object may not
	// leave the server in the clear: the Put is withheld.
	Object func() (*kmip.Object, error)
}

// DeliversTo reports whether the endpoint of identity receives ev: a Put and
// a lifecycle Notify go to every endpoint of the owner, any other Notify to
// those of the owner's identities other than the one that made the change.
func (ev *Event) DeliversTo(identity string) bool {
	if identity != ev.Owner {
		return false
	}
	return ev.Kind == EventPut || ev.Lifecycle || identity != ev.Actor
}

// Operation is the KMIP operation ev becomes.
func (ev *Event) Operation() kmip.Operation {
	if ev.Kind == EventPut {
		return kmip14.OperationPut
	}
	return kmip14.OperationNotify
}

// VisibleIn returns the attributes of ev and the names of those it reports
// deleted that a client may see in version v: a request that carries ev in
// v carries only those.
func (ev *Event) VisibleIn(v kmip.Version) (attrs kmip.Attributes, deleted []string) {
	for _, a := range ev.Attributes {
		if visible(v, a.Name) {
			attrs = append(attrs, a)
		}
	}
	for _, name := range ev.Deleted {
		if visible(v, name) {
			deleted = append(deleted, name)
		}
	}
	return attrs, deleted
}

// notifyUpdate reports the change update committed to an object: before is
// the stored version it changed, after the result.
func (s *Service) notifyUpdate(req *kmip.Request, before *store.Object, after *managed) {
	if s.notifier == nil || after == nil {
		return
	}
	old, err := kmip.UnmarshalAttributes(before.Attributes)
	if err != nil {
		s.log.Warn("notify: stored attributes unreadable; change not notified")
		return
	}
	changed, deleted := attributeChanges(old, after.attrs)
	if len(changed) == 0 && len(deleted) == 0 {
		return
	}
	if !changed.Has(kmip.AttrLastChangeDate) {
		// The spec asks for it in every Notify, even when the change did not
		// move it (a change within the second it was last set).
		changed = append(changed, instances(after.attrs, kmip.AttrLastChangeDate)...)
	}
	ev := Event{
		Kind: EventNotify, Owner: after.owner, Actor: identityOf(req),
		UniqueIdentifier: after.id, Attributes: changed, Deleted: deleted,
	}
	for _, a := range changed {
		ev.Lifecycle = ev.Lifecycle || a.Name == kmip.AttrState || a.Name == kmip.AttrArchiveDate
	}
	for _, name := range deleted {
		ev.Lifecycle = ev.Lifecycle || name == kmip.AttrArchiveDate
	}
	s.notifier.Notify(ev)
}

// notifyInsert reports a new object that replaces another (it carries a
// Replaced Object Link: ReKey, ReKey Key Pair) as a Put.
func (s *Service) notifyInsert(req *kmip.Request, m *managed) {
	if s.notifier == nil {
		return
	}
	replaced := ""
	for _, a := range m.attrs {
		if l, ok := a.Value.(kmip.Link); ok && a.Name == kmip.AttrLink && l.Type == kmip14.LinkTypeReplacedObjectLink {
			replaced = l.ID
		}
	}
	if replaced == "" {
		return
	}
	ev := Event{
		Kind: EventPut, Owner: m.owner, Actor: identityOf(req),
		UniqueIdentifier: m.id, Attributes: m.attrs, Replaced: replaced,
	}
	releasable := !isTrue(m.attrs, kmip.AttrSensitive) && (!m.attrs.Has(kmip.AttrExtractable) || isTrue(m.attrs, kmip.AttrExtractable))
	if releasable {
		stored := &managed{id: m.id, owner: m.owner, attrs: m.attrs, sealed: m.sealed}
		ev.Object = func() (*kmip.Object, error) { return s.pushedObject(stored) }
	}
	s.notifier.Notify(ev)
}

// pushedObject returns the content of m as a Put sends it: unsealed, its
// key block carrying the algorithm and length and no attributes, as Get
// returns it.
func (s *Service) pushedObject(m *managed) (*kmip.Object, error) {
	obj, err := s.unseal(m)
	if err != nil {
		return nil, err
	}
	if kb := obj.KeyBlock; kb != nil {
		kb.Attributes = nil
		if u, ok := enumValue(m.attrs.Get(kmip.AttrCryptographicAlgorithm)); ok && kb.Algorithm == 0 {
			kb.Algorithm = kmip.CryptographicAlgorithm(u)
		}
		if n, ok := intValue(m.attrs.Get(kmip.AttrCryptographicLength)); ok && kb.Length == 0 {
			kb.Length = int32(n)
		}
	}
	return obj, nil
}

// attributeChanges compares two versions of an object's attributes: changed
// holds every instance of each attribute whose instances differ (added or
// modified), deleted the names of the attributes after lacks entirely.
func attributeChanges(before, after kmip.Attributes) (changed kmip.Attributes, deleted []string) {
	differs := func(name string) bool {
		return !reflect.DeepEqual(instances(before, name), instances(after, name))
	}
	seen := map[string]bool{}
	for _, a := range after {
		if !seen[a.Name] {
			seen[a.Name] = true
			if differs(a.Name) {
				changed = append(changed, instances(after, a.Name)...)
			}
		}
	}
	for _, a := range before {
		if !seen[a.Name] {
			seen[a.Name] = true
			deleted = append(deleted, a.Name)
		}
	}
	return changed, deleted
}

// instances returns the instances of attribute name in as, in order.
func instances(as kmip.Attributes, name string) kmip.Attributes {
	var out kmip.Attributes
	for _, a := range as {
		if a.Name == name {
			out = append(out, a)
		}
	}
	return out
}
