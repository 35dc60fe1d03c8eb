package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Archive and Recover (KMIP 1.4 sections 4.22, 4.23 and 3.32; 2.1 sections
// 6.1.5, 6.1.41 and 4.3).
//
// Archive moves an object to archival storage: the server sets its Archive
// Date, and the object carries the index term termArchived, so that Locate
// selects by Storage Status Mask through the index. The sealed material stays
// where it is; what archival changes is that the object is not usable: every
// operation on it fails with Object Archived (in 1.x and 2.x alike, "the
// object SHALL be recovered from the archive before performing the
// operation") except Recover and the reading of its metadata (Get Attributes,
// Get Attribute List), which stays on-line. Destroy is refused too: an object
// is recovered before it is destroyed.
//
// Recover brings the object back on-line and, as the spec requires of the
// server, deletes its Archive Date. Both operations go through update, so
// they check ownership and authorization like any change, are audited, and
// set Last Change Date.

// termArchived is the index term of archived objects: "1" on objects with an
// Archive Date (see terms in index.go).
const termArchived = "_archived"

func archivedTerm() store.Term { return store.Term{Name: termArchived, Value: []byte{1}} }

// isArchived reports whether an object with attrs is in archival storage.
func isArchived(attrs kmip.Attributes) bool { return attrs.Has(kmip.AttrArchiveDate) }

// refuseArchived returns Object Archived when m is archived and req is not
// one of the operations an archived object allows.
func refuseArchived(req *kmip.Request, m *managed) error {
	if !isArchived(m.attrs) {
		return nil
	}
	switch req.Payload.(type) {
	case *kmip.RecoverRequest, *kmip.GetAttributesRequest, *kmip.GetAttributeListRequest:
		return nil
	}
	return &kmip.Error{Reason: kmip.ReasonObjectArchived, Message: "object is archived: Recover it first"}
}

func (s *Service) archive(ctx context.Context, req *kmip.Request, p *kmip.ArchiveRequest) (any, error) {
	// update refuses an object already archived (refuseArchived).
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		now := s.now()
		setSingle(&m.attrs, kmip.AttrArchiveDate, now)
		touch(&m.attrs, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.ArchiveResponse{UniqueIdentifier: m.id}, nil
}

// recoverFromArchive brings an archived object back on-line. Recovering an
// object that is on-line succeeds and changes nothing.
func (s *Service) recoverFromArchive(ctx context.Context, req *kmip.Request, p *kmip.RecoverRequest) (any, error) {
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		if !isArchived(m.attrs) {
			return nil
		}
		m.attrs = removeAll(m.attrs, kmip.AttrArchiveDate)
		touch(&m.attrs, s.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.RecoverResponse{UniqueIdentifier: m.id}, nil
}

// storageStatus reports which storage a Locate's Storage Status Mask
// selects. An absent mask (0) selects on-line storage only.
func storageStatus(mask kmip.StorageStatusMask) (online, archival bool) {
	if mask == 0 {
		return true, false
	}
	return mask&kmip14.StorageStatusMaskOnLineStorage != 0, mask&kmip14.StorageStatusMaskArchivalStorage != 0
}

// archivedIDs returns the set of owner's archived objects, read from the
// index alone, for Locate to leave out of an on-line search.
func (s *Service) archivedIDs(ctx context.Context, owner string) (map[string]bool, error) {
	ids, _, err := s.store.Find(ctx, store.Query{Owner: owner, Terms: []store.Term{archivedTerm()}})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}
