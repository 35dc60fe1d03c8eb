package main

import "strings"

// subjectList is a list of certificate subjects set by a repeated flag or a
// KMIPD_* variable. A subject contains commas ("CN=a,O=b"), so several are
// separated by semicolons. The first Set replaces the list (from the file or
// defaults), later ones append.
type subjectList struct {
	list *[]string
	set  bool
}

func (v *subjectList) Set(s string) error {
	if !v.set {
		*v.list, v.set = nil, true
	}
	for _, item := range strings.Split(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			*v.list = append(*v.list, item)
		}
	}
	return nil
}
func (v *subjectList) String() string { return strings.Join(*v.list, ";") }
func (v *subjectList) Type() string   { return "subjects" }
