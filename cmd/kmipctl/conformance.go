package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/conformance"
)

// errConformanceFailed makes the exit status 1 when a file failed; the
// lines already say which.
var errConformanceFailed = errors.New("conformance: some files failed")

func conformanceCommand(g *globals) *cobra.Command {
	var (
		skipList    string
		relaxed     bool
		httpsServer string
	)
	cmd := &cobra.Command{
		Use:   "conformance PATH...",
		Short: "Replay OASIS KMIP profile test cases (XML files or folders) against the server",
		Long: `Replays OASIS KMIP profile test-case files against --server and compares
every response under the permitted variations of KMIP Profiles v2.1 §4.1.
Folders expand to their *.xml files in sorted order (TL-M-1, 2, 3 and
SASED-M-1, 2, 3 run in sequence). Prints one line per file (PASS path,
FAIL path reason, SKIP path reason) and a summary; exits 1 when any failed.
Objects a file created are revoked and destroyed afterwards, best effort:
a fresh server per file is the reliable way to run the corpus.
The MSGENC-HTTPS, -XML and -JSON files travel over HTTPS (POST /kmip) to
--https-server in TTLV, XML and JSON; without it they fail. A file with a
Restart step (the conversation files of conformance/vectors that restart the
server between requests) fails at that step: this command cannot restart it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.tlsConfig()
			if err != nil {
				return err
			}
			r := &conformance.Runner{Addr: g.server, HTTPSAddr: httpsServer, TLS: cfg, RelaxedReasons: relaxed, StepTimeout: g.timeout}
			if skipList != "" {
				if r.Skips, err = conformance.LoadList(skipList); err != nil {
					return err
				}
			}
			files, err := conformance.ExpandPaths(args)
			if err != nil {
				return err
			}
			var pass, fail, skip int
			out := cmd.OutOrStdout()
			for _, f := range files {
				res := r.RunFile(cmd.Context(), f)
				fmt.Fprintln(out, res)
				switch res.Status {
				case conformance.Pass:
					pass++
				case conformance.Fail:
					fail++
				default:
					skip++
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", pass, fail, skip)
			if fail > 0 {
				return errConformanceFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&skipList, "skip-list", "", "file listing vector paths to skip, each with its reason (such as conformance/skip.txt)")
	cmd.Flags().StringVar(&httpsServer, "https-server", "", "HOST:PORT of the server's KMIP HTTPS listener, for the MSGENC files")
	cmd.Flags().BoolVar(&relaxed, "relaxed-reasons", false, "accept any Result Reason where a failure is expected")
	return cmd
}

// tlsConfig is the client TLS configuration the global flags name.
func (g *globals) tlsConfig() (*tls.Config, error) {
	pick := func(flag, name string) string {
		if flag != "" {
			return flag
		}
		return filepath.Join(g.pki, name)
	}
	host := g.server
	if h, _, ok := strings.Cut(g.server, ":"); ok && !strings.HasPrefix(g.server, "[") {
		host = h
	}
	return certs.ClientConfig(pick(g.ca, "ca.crt"), pick(g.cert, "client.crt"), pick(g.key, "client.key"), host)
}
