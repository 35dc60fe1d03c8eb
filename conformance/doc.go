// Package conformance checks the assembled server from the outside: it
// replays the OASIS KMIP XML test vectors (the KMIP Profiles 1.4 and 2.1
// test cases and the KMIP Test Cases 2.0) against a live server, and its tests hold end-to-end
// conversations with the real kmipd binary over real mutual TLS on
// loopback (the project's Go client, the kmipctl CLI, the independent PyKMIP
// client, restarts on the same data directory, hostile input).
//
// # API
//
// LoadFile reads one vector file into a TestCase (request/response pairs
// as Node trees); ExpandPaths expands files and folders to vector files in
// the order they must run; LoadList reads skip.txt and expected-pass.txt
// style lists. A Runner replays files against a server: RunFile returns a
// Result (Pass, Fail with the step and first Mismatch, or Skip with the
// reason from Runner.Skips). Files travel as binary TTLV over mutual TLS to
// Runner.Addr, except the message-encoding files, which travel over HTTPS
// to Runner.HTTPSAddr: MSGENC-HTTPS in TTLV, MSGENC-XML in XML and
// MSGENC-JSON in JSON (POST /kmip). Placeholders ($UNIQUE_IDENTIFIER_n,
// $NOW, ...) bind through Bindings as CONFORMANCE.md section 3 describes,
// and responses compare under the permitted variations of KMIP Profiles
// v2.1 section 4.1 (compare.go lists each rule with its reason). A Runner
// is safe for concurrent files only against different servers.
//
// kmipctl conformance (--server, --https-server, --skip-list) is the
// command-line front end.
//
// # Tests
//
// The tests build cmd/kmipd and cmd/kmipctl once (TestMain), then start a
// fresh kmipd per test on a free loopback port with a temporary data
// directory and its development PKI. TestVectors replays expected-pass.txt
// (the ratchet: files there must keep passing), each file or dependent
// group (TL-M-1..3, SASED-M-1..3) on a fresh kmipd, with an HTTPS listener
// for the MSGENC files and the KMIPD_* settings server-policy.txt gives a
// file that tests one of several permitted server policies (the RNG Seed
// cases CS-RNG-O-2..4). It does so twice: with kmipd's software provider
// and with its PKCS#11 provider on a fresh SoftHSM2 token per kmipd
// (-vectors.pkcs11=false leaves the second pass out). With -vectors.all it
// replays the whole corpus except skip.txt (-vectors.skipped: skip.txt too)
// and writes a report with the counts per provider and corpus folder;
// -vectors.match narrows either run to the files whose path matches a
// regular expression:
//
//	go test ./conformance/
//	go test ./conformance -run 'TestVectors$' -vectors.all
//	go test ./conformance -run 'TestVectors$' -vectors.all -vectors.match '^v2.0-tc/'
//	go test ./conformance -run 'TestVectors$' -vectors.all -vectors.match 'TC-ECC-2-20' -vectors.pkcs11=false
//	go test ./conformance -run 'TestVectors$' -vectors.all -vectors.skipped -vectors.pkcs11=false
//
// TestConversations replays the project's own vector files of
// conformance/vectors, one per client family (VMware vSphere, Veeam,
// Synology DSM, MongoDB Enterprise, Percona Server for MongoDB, Percona
// MySQL, NetApp ONTAP, storage arrays and tape, FortiGate), written in the
// OASIS format from the sequences the vendors document; they need no
// corpus. Their files may hold a Restart step (an empty <Restart/> element
// between a response and the next request): Runner.Restart restarts the
// server on the same data there, and the test stops kmipd with SIGTERM and
// starts it again. TestGemaltoPeer drives a key's lifecycle in KMIP 1.4
// and 2.0 with gemalto/kmip-go's own encoder and decoder.
//
// The corpus is read from $KMIP_VECTORS, else ../shared/kmip-vectors
// beside the module root (conformance/corpus, shared with package kmip).
// The PyKMIP tests skip when /usr/bin/python3 cannot import kmip, the
// PKCS#11 replays when SoftHSM2 is missing, and the vector tests when the
// corpus is missing, except under CI=true, where they fail instead.
package conformance
