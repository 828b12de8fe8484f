package state

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// The splitter walks the document's outer structure (the top-level object, the deployment object and
// the resources array) without building a tree, so that each resource can be parsed on its own, in
// parallel, by a parser whose memory is reused. The document has been validated as JSON beforehand.

// span is a value's bytes in the document.
type span struct{ start, end int }

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index just after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return 0, errors.New("unterminated string")
		}
		i += q
		// The quote ends the string unless an odd number of backslashes escapes it.
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i + 1, nil
		}
		i++
	}
}

// skipValue returns the index just after the JSON value starting at i.
func skipValue(b []byte, i int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, errors.New("unexpected end of document")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated object or array")
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i, nil
}

// members returns the spans of an object's members, by key (raw, without unescaping: the keys looked
// up here have no escapes). A repeated key keeps its last value, as JSON decoders do.
func members(b []byte, s span) (map[string]span, error) {
	out := map[string]span{}
	i := skipSpace(b, s.start)
	if i >= s.end || b[i] != '{' {
		return nil, fmt.Errorf("not an object")
	}
	i = skipSpace(b, i+1)
	if i < s.end && b[i] == '}' {
		return out, nil
	}
	for i < s.end {
		if b[i] != '"' {
			return nil, fmt.Errorf("expected a key at byte %d", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key := string(b[i+1 : end-1])
		i = skipSpace(b, end)
		if i >= s.end || b[i] != ':' {
			return nil, fmt.Errorf("expected ':' at byte %d", i)
		}
		vstart := skipSpace(b, i+1)
		vend, err := skipValue(b, vstart)
		if err != nil {
			return nil, err
		}
		if b[vstart] != '{' && b[vstart] != '[' {
			if err := fastjson.ValidateBytes(b[vstart:vend]); err != nil {
				return nil, fmt.Errorf("the value of %q: %w", key, err)
			}
		}
		out[key] = span{vstart, vend}
		i = skipSpace(b, vend)
		if i < s.end && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		break
	}
	return out, nil
}

// elements returns the spans of an array's elements.
func elements(b []byte, s span) ([]span, error) {
	i := skipSpace(b, s.start)
	if i >= s.end || b[i] != '[' {
		return nil, fmt.Errorf("not a list")
	}
	var out []span
	i = skipSpace(b, i+1)
	if i < s.end && b[i] == ']' {
		return out, nil
	}
	for i < s.end {
		end, err := skipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, span{i, end})
		i = skipSpace(b, end)
		if i < s.end && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		break
	}
	return out, nil
}
