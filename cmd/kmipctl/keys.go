package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/kmip"
)

func createCommand(g *globals) *cobra.Command {
	var alg, name, group, mask string
	var length int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a symmetric key on the server",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&alg, "alg", "aes", "algorithm: aes, hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512")
	cmd.Flags().IntVar(&length, "length", 256, "key length in bits")
	cmd.Flags().StringVar(&name, "name", "", "Name attribute")
	cmd.Flags().StringVar(&group, "group", "", "Object Group attribute")
	cmd.Flags().StringVar(&mask, "mask", "encrypt,decrypt", "Cryptographic Usage Mask, comma-separated")
	cmd.RunE = withSession(g, func(s *session, _ []string) error {
		a, err := lookup("algorithm", algorithms, alg)
		if err != nil {
			return err
		}
		m, err := parseUsageMask(mask)
		if err != nil {
			return err
		}
		attrs := kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: a},
			{Name: kmip.AttrCryptographicLength, Value: int32(length)},
			{Name: kmip.AttrCryptographicUsageMask, Value: m},
		}
		attrs = appendNameGroup(attrs, name, group)
		resp, err := s.do(kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs})
		if err != nil {
			return err
		}
		id := resp.(*kmip.CreateResponse).UniqueIdentifier
		return s.print(map[string]string{"unique_identifier": id}, func(w io.Writer) { fmt.Fprintln(w, id) })
	})
	return cmd
}

func registerCommand(g *globals) *cobra.Command {
	var typ, hexValue, file, alg, name, group, mask string
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a symmetric key, secret data or opaque object given by the client",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&typ, "type", "symmetric", "object type: symmetric, secret, opaque")
	cmd.Flags().StringVar(&hexValue, "hex", "", "the value, hex-encoded")
	cmd.Flags().StringVar(&file, "file", "", "read the value from this file (raw bytes)")
	cmd.Flags().StringVar(&alg, "alg", "aes", "algorithm of a symmetric key")
	cmd.Flags().StringVar(&name, "name", "", "Name attribute")
	cmd.Flags().StringVar(&group, "group", "", "Object Group attribute")
	cmd.Flags().StringVar(&mask, "mask", "", "Cryptographic Usage Mask, comma-separated (default: encrypt,decrypt for keys)")
	cmd.RunE = withSession(g, func(s *session, _ []string) error {
		value, err := readValue(hexValue, file)
		if err != nil {
			return err
		}
		ot, err := lookup("object type", objectTypes, typ)
		if err != nil {
			return err
		}
		req := &kmip.RegisterRequest{ObjectType: ot, Object: kmip.Object{Type: ot}}
		switch ot {
		case kmip14.ObjectTypeSymmetricKey:
			a, err := lookup("algorithm", algorithms, alg)
			if err != nil {
				return err
			}
			if mask == "" {
				mask = "encrypt,decrypt"
			}
			req.Object.KeyBlock = &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: value, Algorithm: a, Length: int32(8 * len(value))}
			req.Attributes = kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: a},
				{Name: kmip.AttrCryptographicLength, Value: int32(8 * len(value))},
			}
		case kmip14.ObjectTypeSecretData:
			req.Object.SecretDataType = kmip14.SecretDataTypePassword
			req.Object.KeyBlock = &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: value}
		case kmip14.ObjectTypeOpaqueObject:
			req.Object.OpaqueDataType = opaqueDataTypeNone
			req.Object.OpaqueValue = value
		}
		if mask != "" {
			m, err := parseUsageMask(mask)
			if err != nil {
				return err
			}
			req.Attributes = append(req.Attributes, kmip.Attribute{Name: kmip.AttrCryptographicUsageMask, Value: m})
		}
		req.Attributes = appendNameGroup(req.Attributes, name, group)
		resp, err := s.do(kmip14.OperationRegister, req)
		if err != nil {
			return err
		}
		id := resp.(*kmip.RegisterResponse).UniqueIdentifier
		return s.print(map[string]string{"unique_identifier": id}, func(w io.Writer) { fmt.Fprintln(w, id) })
	})
	return cmd
}

// opaqueDataTypeNone is the Opaque Data Type kmipctl registers with: KMIP
// defines no values, and 0x80000000 (the extension range) is what PyKMIP
// calls NONE.
const opaqueDataTypeNone kmip.OpaqueDataType = 0x80000000

func getCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Get an object's value",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&format, "format", "", "key format: raw or transparent (default: as stored)")
	cmd.RunE = withSession(g, func(s *session, args []string) error {
		req := &kmip.GetRequest{UniqueIdentifier: args[0]}
		switch format {
		case "":
		case "raw":
			req.KeyFormatType = kmip14.KeyFormatTypeRaw
		case "transparent":
			req.KeyFormatType = kmip14.KeyFormatTypeTransparentSymmetricKey
		default:
			return fmt.Errorf("unknown format %q: want raw or transparent", format)
		}
		resp, err := s.do(kmip14.OperationGet, req)
		if err != nil {
			return err
		}
		r := resp.(*kmip.GetResponse)
		out := map[string]any{"unique_identifier": r.UniqueIdentifier, "object_type": r.ObjectType.String()}
		var value []byte
		switch {
		case r.Object.KeyBlock != nil:
			kb := r.Object.KeyBlock
			value = kb.Material
			out["key_format_type"] = kb.FormatType.String()
			if kb.Algorithm != 0 {
				out["cryptographic_algorithm"] = kb.Algorithm.String()
			}
			if kb.Length != 0 {
				out["cryptographic_length"] = kb.Length
			}
		case r.Object.Type == kmip14.ObjectTypeOpaqueObject:
			value = r.Object.OpaqueValue
		case r.Object.Type == kmip14.ObjectTypeCertificate:
			value = r.Object.CertificateValue
		}
		out["value_hex"] = hex.EncodeToString(value)
		return s.print(out, func(w io.Writer) {
			for _, k := range []string{"unique_identifier", "object_type", "key_format_type", "cryptographic_algorithm", "cryptographic_length", "value_hex"} {
				if v, ok := out[k]; ok {
					fmt.Fprintf(w, "%-24s %v\n", k+":", v)
				}
			}
		})
	})
	return cmd
}

// readValue returns the bytes given as hex or in a file.
func readValue(hexValue, file string) ([]byte, error) {
	switch {
	case hexValue != "" && file != "":
		return nil, fmt.Errorf("give --hex or --file, not both")
	case hexValue != "":
		return hex.DecodeString(hexValue)
	case file != "":
		return os.ReadFile(file)
	}
	return nil, fmt.Errorf("give the value with --hex or --file")
}

func appendNameGroup(attrs kmip.Attributes, name, group string) kmip.Attributes {
	if name != "" {
		attrs = append(attrs, kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: name, Type: kmip14.NameTypeUninterpretedTextString}})
	}
	if group != "" {
		attrs = append(attrs, kmip.Attribute{Name: kmip.AttrObjectGroup, Value: group})
	}
	return attrs
}
