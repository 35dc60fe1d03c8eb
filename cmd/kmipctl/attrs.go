package main

import (
	"fmt"
	"io"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/kmip"
)

func attrsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "attrs ID [NAME...]",
		Short: "Show an object's attributes (all, or the named ones)",
		Args:  cobra.MinimumNArgs(1),
		RunE: withSession(g, func(s *session, args []string) error {
			resp, err := s.do(kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: args[0], Names: args[1:]})
			if err != nil {
				return err
			}
			r := resp.(*kmip.GetAttributesResponse)
			return s.print(map[string]any{"unique_identifier": r.UniqueIdentifier, "attributes": attributesJSON(r.Attributes)}, func(w io.Writer) {
				for _, a := range r.Attributes {
					fmt.Fprintf(w, "%-32s %v\n", a.Name+":", formatValue(a.Name, a.Value))
				}
			})
		}),
	}
}

func locateCommand(g *globals) *cobra.Command {
	var name, typ, state, group, alg string
	var maxItems, offset int32
	cmd := &cobra.Command{
		Use:   "locate",
		Short: "Find objects by attributes",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&name, "name", "", "Name")
	cmd.Flags().StringVar(&typ, "type", "", "object type: symmetric, secret, opaque")
	cmd.Flags().StringVar(&state, "state", "", "state: pre-active, active, deactivated, compromised, destroyed")
	cmd.Flags().StringVar(&group, "group", "", "Object Group")
	cmd.Flags().StringVar(&alg, "alg", "", "Cryptographic Algorithm")
	cmd.Flags().Int32Var(&maxItems, "max", 0, "Maximum Items (0: no limit)")
	cmd.Flags().Int32Var(&offset, "offset", 0, "Offset Items")
	cmd.RunE = withSession(g, func(s *session, _ []string) error {
		req := &kmip.LocateRequest{MaximumItems: maxItems, OffsetItems: offset}
		req.Attributes = appendNameGroup(req.Attributes, name, group)
		if typ != "" {
			ot, err := lookup("object type", objectTypes, typ)
			if err != nil {
				return err
			}
			req.Attributes = append(req.Attributes, kmip.Attribute{Name: kmip.AttrObjectType, Value: ot})
		}
		if state != "" {
			st, err := lookup("state", states, state)
			if err != nil {
				return err
			}
			req.Attributes = append(req.Attributes, kmip.Attribute{Name: kmip.AttrState, Value: st})
		}
		if alg != "" {
			a, err := lookup("algorithm", algorithms, alg)
			if err != nil {
				return err
			}
			req.Attributes = append(req.Attributes, kmip.Attribute{Name: kmip.AttrCryptographicAlgorithm, Value: a})
		}
		resp, err := s.do(kmip14.OperationLocate, req)
		if err != nil {
			return err
		}
		r := resp.(*kmip.LocateResponse)
		ids := r.UniqueIdentifiers
		if ids == nil {
			ids = []string{}
		}
		return s.print(map[string]any{"unique_identifiers": ids, "located_items": r.LocatedItems}, func(w io.Writer) {
			for _, id := range ids {
				fmt.Fprintln(w, id)
			}
		})
	})
	return cmd
}
