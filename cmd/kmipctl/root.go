package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/cmd/kmipctl/internal/datadir"
	"github.com/kmipd/kmipd/kmip"
)

// globals are the flags every command accepts, before or after its name.
type globals struct {
	server   string
	pki      string
	ca       string
	cert     string
	key      string
	json     bool
	protocol string
	timeout  time.Duration
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "kmipctl",
		Short:         "KMIP client and administration tool",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.server, "server", "localhost:5696", "KMIP server address HOST:PORT")
	f.StringVar(&g.pki, "pki", "./data/pki", "directory holding ca.crt, client.crt and client.key")
	f.StringVar(&g.ca, "ca", "", "CA certificate of the server (overrides --pki)")
	f.StringVar(&g.cert, "cert", "", "client certificate (overrides --pki)")
	f.StringVar(&g.key, "key", "", "client private key (overrides --pki)")
	f.BoolVar(&g.json, "json", false, "print JSON for scripts")
	f.StringVar(&g.protocol, "protocol", "1.4", "KMIP protocol version to speak: 1.0 to 2.1")
	f.DurationVar(&g.timeout, "timeout", 30*time.Second, "deadline for the whole command")

	root.AddCommand(
		discoverCommand(g), queryCommand(g), createCommand(g), registerCommand(g),
		getCommand(g), attrsCommand(g), locateCommand(g),
		activateCommand(g), revokeCommand(g), destroyCommand(g),
		conformanceCommand(g),
	)
	root.AddCommand(benchCommand(g))
	root.AddCommand(pkiCommand(g))
	root.AddCommand(backupCommand(g))
	// The commands that open a stopped server's data directory.
	root.AddCommand(datadir.AuditCommand(), datadir.KEKCommand(), datadir.UndestroyCommand(), datadir.RestoreCommand())
	return root
}

// session is a connected client for one command.
type session struct {
	*kmip.Client
	ctx    context.Context
	cancel context.CancelFunc
	g      *globals
	out    io.Writer
}

func (g *globals) connect(cmd *cobra.Command) (*session, error) {
	ca, cert, key := g.ca, g.cert, g.key
	if ca == "" {
		ca = filepath.Join(g.pki, "ca.crt")
	}
	if cert == "" {
		cert = filepath.Join(g.pki, "client.crt")
	}
	if key == "" {
		key = filepath.Join(g.pki, "client.key")
	}
	host := g.server
	if h, _, ok := strings.Cut(g.server, ":"); ok && !strings.HasPrefix(g.server, "[") {
		host = h
	}
	cfg, err := certs.ClientConfig(ca, cert, key, host)
	if err != nil {
		return nil, err
	}
	version, err := parseVersion(g.protocol)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
	c, err := kmip.Dial(ctx, g.server, cfg)
	if err != nil {
		cancel()
		return nil, err
	}
	c.Version = version
	return &session{Client: c, ctx: ctx, cancel: cancel, g: g, out: cmd.OutOrStdout()}, nil
}

func (s *session) close() {
	s.Client.Close()
	s.cancel()
}

// do performs one operation.
func (s *session) do(op kmip.Operation, payload any) (any, error) {
	return s.Client.Do(s.ctx, op, payload)
}

// print writes v as JSON with --json, and human otherwise.
func (s *session) print(v any, human func(w io.Writer)) error {
	if s.g.json {
		enc := json.NewEncoder(s.out)
		return enc.Encode(v)
	}
	human(s.out)
	return nil
}

func parseVersion(s string) (kmip.Version, error) {
	maj, min, ok := strings.Cut(s, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	v := kmip.Version{Major: a, Minor: b}
	if !ok || err1 != nil || err2 != nil || !v.Supported() {
		return v, fmt.Errorf("protocol version %q: want one of 1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1", s)
	}
	return v, nil
}

// withSession wraps a command body with connect and close.
func withSession(g *globals, body func(s *session, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := g.connect(cmd)
		if err != nil {
			return err
		}
		defer s.close()
		return body(s, args)
	}
}
