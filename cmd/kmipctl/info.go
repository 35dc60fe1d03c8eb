package main

import (
	"fmt"
	"io"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/kmip"
)

func discoverCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "discover",
		Short: "List the protocol versions the server speaks",
		Args:  cobra.NoArgs,
		RunE: withSession(g, func(s *session, _ []string) error {
			resp, err := s.do(kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{})
			if err != nil {
				return err
			}
			var versions []string
			if r, ok := resp.(*kmip.DiscoverVersionsResponse); ok {
				for _, v := range r.Versions {
					versions = append(versions, v.String())
				}
			}
			return s.print(map[string]any{"versions": versions}, func(w io.Writer) {
				for _, v := range versions {
					fmt.Fprintln(w, v)
				}
			})
		}),
	}
}

func queryCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "query",
		Short: "Ask the server for its operations, object types and information",
		Args:  cobra.NoArgs,
		RunE: withSession(g, func(s *session, _ []string) error {
			resp, err := s.do(kmip14.OperationQuery, &kmip.QueryRequest{Functions: []kmip.QueryFunction{
				kmip14.QueryFunctionQueryOperations,
				kmip14.QueryFunctionQueryObjects,
				kmip14.QueryFunctionQueryServerInformation,
			}})
			if err != nil {
				return err
			}
			r, _ := resp.(*kmip.QueryResponse)
			if r == nil {
				r = &kmip.QueryResponse{}
			}
			out := map[string]any{"vendor_identification": r.VendorIdentification}
			var ops, types []string
			for _, op := range r.Operations {
				ops = append(ops, op.String())
			}
			for _, t := range r.ObjectTypes {
				types = append(types, t.String())
			}
			out["operations"], out["object_types"] = ops, types
			if r.ServerInformation != nil {
				out["server_information"] = r.ServerInformation
			}
			return s.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "Vendor: %s\n", r.VendorIdentification)
				if si := r.ServerInformation; si != nil {
					fmt.Fprintf(w, "Server: %s %s\n", si.ServerName, si.ServerVersion)
				}
				fmt.Fprintf(w, "Operations: %v\nObject types: %v\n", ops, types)
			})
		}),
	}
}
