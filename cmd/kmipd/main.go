// Command kmipd is the KMIP server: it listens for mutual-TLS KMIP clients,
// keeps their objects in a Badger store under the data directory, and seals
// all key material with the configured cryptographic module.
//
// Configuration comes from defaults, then the YAML file given with --config,
// then KMIPD_* environment variables, then command-line flags, each
// overriding the one before. On first start with an empty data directory it
// writes a development PKI to DIR/pki.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kmipd:", err)
		os.Exit(1)
	}
}
