// Package conformance checks the assembled server from the outside.
//
// It is the home of the harness that replays the OASIS KMIP XML test
// vectors against a live server (to come), and, today, of end-to-end
// conversations with the real kmipd binary over real mutual TLS on
// loopback: the project's Go client and kmipctl CLI, the independent
// PyKMIP client (Debian's python3-pykmip), restarts on the same data
// directory, and hostile input.
//
// The package has no API of its own; everything lives in its tests. The
// tests build cmd/kmipd and cmd/kmipctl once (TestMain), then start a fresh
// kmipd per test on a free loopback port with a temporary data directory
// and its development PKI.
//
//	go test ./conformance/
//
// The PyKMIP tests skip when /usr/bin/python3 cannot import kmip, except
// under CI=true, where they fail instead.
package conformance
