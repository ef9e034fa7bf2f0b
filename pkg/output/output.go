// Package output renders job results the way Salt users read them: the
// "nested" text layout by default, or JSON / YAML for scripts.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/value"
)

// Format is an --out value.
type Format string

// The formats every command accepts.
const (
	Text Format = "text"
	JSON Format = "json"
	YAML Format = "yaml"
	// Raw is Salt's raw outputter: each value on one line as Python
	// prints it ({'web1': True}).
	Raw Format = "raw"
)

// ParseFormat validates an --out value ("nested" is Salt's name for text).
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "text", "nested", "txt", "quiet":
		return Text, nil
	case "json":
		return JSON, nil
	case "yaml":
		return YAML, nil
	case "raw":
		return Raw, nil
	}
	return "", fmt.Errorf("unknown output format %q (want text (nested), json, yaml, raw or quiet)", s)
}

// Nested writes value under the heading id in Salt's nested layout:
//
//	web1:
//	    ----------
//	    retcode:
//	        0
func Nested(w io.Writer, id string, value any) error {
	var b strings.Builder
	b.WriteString(id + ":\n")
	nested(&b, value, 4, "")
	_, err := io.WriteString(w, b.String())
	return err
}

func nested(b *strings.Builder, v any, indent int, prefix string) {
	pad := strings.Repeat(" ", indent)
	if raw, ok := value.AsBytes(v); ok {
		v = raw.String() // output that is not UTF-8: shown with U+FFFD, exact in --out json
	}
	switch x := v.(type) {
	case nil:
		b.WriteString(pad + prefix + "None\n")
	case bool:
		if x {
			b.WriteString(pad + prefix + "True\n")
		} else {
			b.WriteString(pad + prefix + "False\n")
		}
	case string:
		first := true
		for _, line := range strings.Split(strings.TrimSuffix(x, "\n"), "\n") {
			if x == "" {
				break
			}
			p := prefix
			if !first {
				p = strings.Repeat(" ", len(prefix))
			}
			b.WriteString(pad + p + line + "\n")
			first = false
		}
	case []any:
		for _, item := range x {
			switch item.(type) {
			case []any, map[string]any:
				b.WriteString(pad + "|_\n")
				p := "- "
				if _, ok := item.(map[string]any); ok {
					p = ""
				}
				nested(b, item, indent+2, p)
			default:
				nested(b, item, indent, "- ")
			}
		}
	case map[string]any:
		b.WriteString(pad + "----------\n")
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(pad + prefix + k + ":\n")
			nested(b, x[k], indent+4, "")
		}
	default:
		b.WriteString(pad + prefix + Scalar(x) + "\n")
	}
}

// Scalar formats a number or other scalar the way Python would print it.
func Scalar(v any) string {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Write writes v in a structured format: JSON (for Text too, where a
// command has no text form), YAML or raw.
func Write(w io.Writer, f Format, v any) error {
	switch f {
	case YAML:
		return WriteYAML(w, v)
	case Raw:
		return WriteRaw(w, v)
	}
	return WriteJSON(w, v)
}

// WriteRaw writes v on one line as Python's repr would (Salt's raw
// outputter), through the JSON model so every format shows the same data.
func WriteRaw(w io.Writer, v any) error {
	plain, err := jsonModel(v)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, value.Repr(plain)+"\n")
	return err
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteYAML writes v as YAML.
func WriteYAML(w io.Writer, v any) error {
	// One output model: what JSON shows, with the same keys, numbers as
	// numbers (a client reads JSON numbers as json.Number, which YAML
	// would quote as strings).
	plain, err := jsonModel(v)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(plain); err != nil {
		return err
	}
	return enc.Close()
}

// jsonModel is v as JSON shows it: the same keys, numbers as int64 or
// float64.
func jsonModel(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var plain any
	if err := dec.Decode(&plain); err != nil {
		return nil, err
	}
	return numbers(plain), nil
}

// numbers turns json.Number values into int64 or float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}
