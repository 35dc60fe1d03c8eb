// Command kmipctl is the KMIP client and administration tool: key commands
// (discover, query, create, register, get, attrs, locate, activate, revoke,
// destroy) against any KMIP server over mutual TLS, with human output by
// default and --json for scripts. The commands that open a stopped server's
// data directory instead (audit, kek, undestroy, restore, backup --data-dir)
// live in package datadir, the only one of kmipctl that links the store, the
// crypto module and handlers.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/kmipd/kmipd/kmip"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		var ke *kmip.Error
		if errors.As(err, &ke) {
			fmt.Fprintf(os.Stderr, "kmipctl: operation failed: %s\n", ke.Error())
		} else {
			fmt.Fprintln(os.Stderr, "kmipctl:", err)
		}
		os.Exit(1)
	}
}
