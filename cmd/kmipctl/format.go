package main

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// attrJSON is an attribute as kmipctl prints it with --json.
type attrJSON struct {
	Name  string `json:"name"`
	Index int    `json:"index,omitempty"`
	Value any    `json:"value"`
}

// formatValue renders an attribute value for people and for JSON.
func formatValue(name string, v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return hex.EncodeToString(x)
	case kmip.Name:
		return x.Value
	case kmip.Link:
		return fmt.Sprintf("%v %s", x.Type, x.ID)
	case kmip.RevocationReason:
		if x.Message != "" {
			return fmt.Sprintf("%v: %s", x.Code, x.Message)
		}
		return x.Code.String()
	case kmip.ApplicationSpecificInformation:
		return x.Namespace + ":" + x.Data
	case int32:
		if name == kmip.AttrCryptographicUsageMask {
			return kmip14.CryptographicUsageMask(x).String()
		}
		return x
	case fmt.Stringer:
		return x.String()
	}
	return v
}

func attributesJSON(attrs kmip.Attributes) []attrJSON {
	out := make([]attrJSON, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, attrJSON{Name: a.Name, Index: a.Index, Value: formatValue(a.Name, a.Value)})
	}
	return out
}
