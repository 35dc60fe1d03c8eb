// Command objectid writes kmip/payloads_objectid.go from the payload types
// of package kmip. Run it with go generate in the kmip directory.
package main

import (
	"log"
	"os"

	"github.com/kmipd/kmipd/kmip/internal/payloadgen"
)

func main() {
	src, err := payloadgen.ObjectIDs(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(payloadgen.FileName, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
