package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/certs"
)

// pkiCommand groups the commands that administer the server's own CA in
// its PKI directory (--pki, normally DATA/pki): they read the CA's key, so
// they run on the server's host.
func pkiCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Issue, list and revoke client certificates of the server's CA; hash passwords",
	}
	cmd.AddCommand(pkiIssueCommand(g), pkiListCommand(g), pkiRevokeCommand(g), pkiHashPasswordCommand(), pkiIdentityCommand(g))
	return cmd
}

func pkiIssueCommand(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "issue NAME --out DIR",
		Short: "Issue a client certificate NAME into DIR (ca.crt, client.crt, client.key; usable as --pki DIR)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out DIR is required")
			}
			cert, err := certs.IssueClientFromPKI(g.pki, args[0], out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "issued %s serial %X, valid until %s, in %s\n",
				cert.Subject, cert.SerialNumber, cert.NotAfter.UTC().Format(time.DateOnly), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write ca.crt, client.crt and client.key to")
	return cmd
}

func pkiListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the client certificates issued from the server's CA",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := certs.ListIssued(g.pki)
			if err != nil {
				return err
			}
			return printIssued(cmd.OutOrStdout(), g.json, list)
		},
	}
}

func pkiRevokeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME|SERIAL",
		Short: "Revoke client certificates by name or serial number (writes " + certs.CRLFile + " in the PKI directory)",
		Long: "Revoke the client certificates issued under NAME, or the one with serial number SERIAL, " +
			"by adding them to the CRL " + certs.CRLFile + " of the PKI directory, signed by its CA. " +
			"A server configured with tls.crl pointing at that file refuses them from its next handshake on.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			revoked, err := certs.RevokeClient(g.pki, args[0], time.Now())
			if err != nil {
				return err
			}
			if len(revoked) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: already revoked\n", args[0])
				return nil
			}
			return printIssued(cmd.OutOrStdout(), g.json, revoked)
		},
	}
}

func printIssued(w io.Writer, asJSON bool, list []certs.IssuedCert) error {
	if asJSON {
		return json.NewEncoder(w).Encode(list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tSUBJECT\tISSUED\tEXPIRES\tSTATUS")
	for _, c := range list {
		status := "valid"
		if c.Revoked {
			status = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Serial, c.Subject,
			c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly), status)
	}
	return tw.Flush()
}

func pkiIdentityCommand(g *globals) *cobra.Command {
	var clientCAs []string
	cmd := &cobra.Command{
		Use:   "identity CERT [--client-ca FILE]...",
		Short: "Print the identity kmipd gives the client of certificate CERT, for authz and auth.users entries",
		Long: `Prints the identity kmipd gives a client presenting CERT, given its CAs:
--ca (default --pki's ca.crt) is kmipd's tls.ca, whose clients are named by
their bare subject; --client-ca files are its tls.client_cas, whose clients'
subjects are qualified with ";ca=sha256:" and the hash of the CA's key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ca := g.ca
			if ca == "" {
				ca = filepath.Join(g.pki, "ca.crt")
			}
			id, err := certs.IdentityOfFile(args[0], ca, clientCAs)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&clientCAs, "client-ca", nil, "a further client CA of kmipd (tls.client_cas); repeat for several")
	return cmd
}

func pkiHashPasswordCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password",
		Short: "Read a password from standard input and print its argon2id hash for auth.users in kmipd.yaml",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			hash, err := certs.HashPassword(strings.TrimRight(line, "\r\n"))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), hash)
			return nil
		},
	}
}
