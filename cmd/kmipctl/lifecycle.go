package main

import (
	"fmt"
	"io"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/kmip"
)

func activateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "activate ID",
		Short: "Activate an object (Pre-Active -> Active)",
		Args:  cobra.ExactArgs(1),
		RunE: withSession(g, func(s *session, args []string) error {
			if _, err := s.do(kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: args[0]}); err != nil {
				return err
			}
			return s.done("activated", args[0])
		}),
	}
}

func revokeCommand(g *globals) *cobra.Command {
	var reason, message string
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an object (compromise -> Compromised, other reasons -> Deactivated)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&reason, "reason", "cessation", "revocation reason: compromise, ca-compromise, affiliation-changed, superseded, cessation, privilege-withdrawn, unspecified")
	cmd.Flags().StringVar(&message, "message", "", "revocation message")
	cmd.RunE = withSession(g, func(s *session, args []string) error {
		code, err := lookup("revocation reason", revocationReasons, reason)
		if err != nil {
			return err
		}
		req := &kmip.RevokeRequest{UniqueIdentifier: args[0], Reason: kmip.RevocationReason{Code: code, Message: message}}
		if _, err := s.do(kmip14.OperationRevoke, req); err != nil {
			return err
		}
		return s.done("revoked", args[0])
	})
	return cmd
}

func destroyCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "destroy ID",
		Short: "Destroy an object's material (refused while Active)",
		Args:  cobra.ExactArgs(1),
		RunE: withSession(g, func(s *session, args []string) error {
			if _, err := s.do(kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: args[0]}); err != nil {
				return err
			}
			return s.done("destroyed", args[0])
		}),
	}
}

// done reports a successful state change.
func (s *session) done(what, id string) error {
	return s.print(map[string]string{"unique_identifier": id, "result": what}, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s\n", what, id)
	})
}
