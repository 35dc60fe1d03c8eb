package conformance

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/gemalto/kmip-go/ttlv"
	"os"
	"strings"
)

// Node is one element of an OASIS XML test case, kept raw: the element name
// (a normalized tag name such as CryptographicUsageMask, or a hex tag such
// as 0x54FFFF), the type attribute (Structure when absent) and the value
// attribute exactly as written. Values are interpreted only when a request
// is sent or a response compared, after placeholder substitution.
type Node struct {
	Name     string
	Type     string
	Value    string
	Children []*Node
	Line     int // line of the start tag, for messages
}

// Child returns the first child named name, or nil.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ChildrenNamed returns the children named name, in document order.
func (n *Node) ChildrenNamed(name string) []*Node {
	if n == nil {
		return nil
	}
	var out []*Node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Pair is one round trip of a test case: the request to send and the
// response expected. Restart says the server restarts, on the same data,
// before the request is sent: a step of the project's own conversation
// files (conformance/vectors), written as an empty <Restart/> element
// between a response and the next request. The OASIS files have none.
type Pair struct {
	Request, Response *Node
	Restart           bool
}

// TestCase is one OASIS test-case file.
type TestCase struct {
	Path  string
	Pairs []Pair
}

// maxTestCaseSize bounds what LoadFile reads; the largest OASIS file is
// about 300 KB.
const maxTestCaseSize = 8 << 20

// maxNodeDepth bounds element nesting in a test case.
const maxNodeDepth = 32

// LoadFile reads and parses the test case at path.
func LoadFile(path string) (*TestCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tc, err := ParseTestCase(io.LimitReader(f, maxTestCaseSize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tc.Path = path
	return tc, nil
}

// ParseTestCase parses a test case: a KMIP root element holding strictly
// alternating RequestMessage and ResponseMessage elements, with optional
// Restart elements before a request (see Pair). XML comments are ignored.
// It checks that every message's BatchCount equals its number of batch
// items.
func ParseTestCase(r io.Reader) (*TestCase, error) {
	root, err := parseTree(r)
	if err != nil {
		return nil, err
	}
	if root.Name != "KMIP" {
		return nil, errors.New("no KMIP root element")
	}
	return pairUp(root.Children)
}

// parseTree parses one XML element and what it holds, comments ignored.
func parseTree(r io.Reader) (*Node, error) {
	dec := xml.NewDecoder(r)
	var stack []*Node
	var root *Node
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxNodeDepth {
				return nil, fmt.Errorf("elements nested deeper than %d", maxNodeDepth)
			}
			line, _ := dec.InputPos()
			n := &Node{Name: t.Name.Local, Type: "Structure", Line: line}
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "type":
					n.Type = a.Value
				case "value":
					n.Value = a.Value
				case "tag", "name":
					if n.Name == "TTLV" { // generic form
						n.Name = a.Value
					}
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else if root != nil {
				return nil, errors.New("more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func pairUp(elems []*Node) (*TestCase, error) {
	tc := &TestCase{}
	var msgs []*Node
	restarts := map[int]bool{} // index in msgs of the requests a restart precedes
	for _, e := range elems {
		if e.Name != "Restart" {
			msgs = append(msgs, e)
			continue
		}
		if len(msgs)%2 != 0 || len(msgs) == 0 || len(e.Children) > 0 {
			return nil, fmt.Errorf("line %d: a Restart must be empty and stand between a response and the next request", e.Line)
		}
		restarts[len(msgs)] = true
	}
	if restarts[len(msgs)] {
		return nil, errors.New("a Restart ends the file: no request follows it")
	}
	if len(msgs)%2 != 0 {
		return nil, fmt.Errorf("%d messages: requests and responses do not pair up", len(msgs))
	}
	for i := 0; i < len(msgs); i += 2 {
		req, resp := msgs[i], msgs[i+1]
		if req.Name != "RequestMessage" || resp.Name != "ResponseMessage" {
			return nil, fmt.Errorf("line %d: expected RequestMessage then ResponseMessage, got %s then %s", req.Line, req.Name, resp.Name)
		}
		for _, m := range []*Node{req, resp} {
			if err := checkBatchCount(m); err != nil {
				return nil, err
			}
		}
		tc.Pairs = append(tc.Pairs, Pair{Request: req, Response: resp, Restart: restarts[i]})
	}
	if len(tc.Pairs) == 0 {
		return nil, errors.New("no request/response pairs")
	}
	return tc, nil
}

func checkBatchCount(m *Node) error {
	hdr := m.Child("RequestHeader")
	if hdr == nil {
		hdr = m.Child("ResponseHeader")
	}
	bc := hdr.Child("BatchCount")
	if bc == nil {
		return fmt.Errorf("line %d: %s without BatchCount", m.Line, m.Name)
	}
	if got := len(m.ChildrenNamed("BatchItem")); bc.Value != fmt.Sprint(got) {
		return fmt.Errorf("line %d: %s BatchCount %s but %d batch items", m.Line, m.Name, bc.Value, got)
	}
	return nil
}

// testName is the test identifier of a path: SKLC-M-1-21 for
// .../SKLC-M-1-21.xml.
func testName(path string) string {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	return strings.TrimSuffix(base, ".xml")
}

// ExpandPaths expands folders to the *.xml files below them, sorted by
// path; files are kept as given. Sorting keeps the dependent files in their
// required order (TL-M-1, 2, 3; SASED-M-1, 2, 3).
func ExpandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".xml") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// CheckConvertible converts every request to TTLV with dummy placeholder
// values and parses every literal value of every expected response: the
// parse-only gate of the corpus.
func (tc *TestCase) CheckConvertible() error {
	for i, p := range tc.Pairs {
		if _, err := encodeRequest(p.Request, dummyResolver); err != nil {
			return fmt.Errorf("step=%d request: %w", i, err)
		}
		if err := checkExpected(p.Response, 0); err != nil {
			return fmt.Errorf("step=%d response: %w", i, err)
		}
	}
	return nil
}

func checkExpected(n *Node, enumTag ttlv.Tag) error {
	tag, err := tagOf(n.Name)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	typ, err := typeOf(n.Type)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	if typ == ttlv.TypeStructure {
		valueEnum := attributeValueEnum(n)
		for _, c := range n.Children {
			et := ttlv.Tag(0)
			if c.Name == "AttributeValue" {
				et = valueEnum
			}
			if err := checkExpected(c, et); err != nil {
				return err
			}
		}
		return nil
	}
	if isPlaceholder(n.Value) {
		return nil
	}
	if enumTag == 0 {
		enumTag = tag
	}
	if _, err := parseValue(enumTag, typ, n.Value); err != nil {
		return fmt.Errorf("line %d: %s: %w", n.Line, n.Name, err)
	}
	return nil
}
