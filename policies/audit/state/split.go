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

// walkObject calls f with each member of the object at s.start, in order, and returns the index just
// after the object. f returns the index just after the member's value (skipValue's, or its own when it
// walked the value itself).
func walkObject(b []byte, start int, f func(key string, value int) (int, error)) (int, error) {
	i := skipSpace(b, start)
	if i >= len(b) || b[i] != '{' {
		return 0, fmt.Errorf("not an object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return 0, fmt.Errorf("expected a key at byte %d", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return 0, err
		}
		key := string(b[i+1 : end-1])
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, fmt.Errorf("expected ':' at byte %d", i)
		}
		if i, err = f(key, skipSpace(b, i+1)); err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("expected ',' or '}' at byte %d", i)
		}
	}
	return 0, errors.New("unterminated object")
}

// outline is where the parts of a state file are: the top-level version and deployment, and in the
// deployment its manifest, secrets providers and each resource. One pass over the document finds them.
type outline struct {
	version, deployment, manifest, secrets, resources *span
	items                                             []span
}

// outlineOf walks a state file once.
func outlineOf(b []byte) (*outline, error) {
	o := &outline{}
	skip := func(key string, at int) (int, error) {
		end, err := skipValue(b, at)
		if err != nil {
			return 0, err
		}
		if err := fastjson.ValidateBytes(b[at:end]); err != nil {
			return 0, fmt.Errorf("the value of %q: %w", key, err)
		}
		return end, nil
	}
	end, err := walkObject(b, 0, func(key string, at int) (int, error) {
		end, err := 0, error(nil)
		switch {
		case key == "deployment" && at < len(b) && b[at] == '{':
			end, err = walkObject(b, at, func(key string, at int) (int, error) {
				if key == "resources" && at < len(b) && b[at] == '[' {
					end, items, err := elementsAt(b, at)
					o.resources, o.items = &span{at, end}, items
					return end, err
				}
				end, err := skip(key, at)
				switch key {
				case "manifest":
					o.manifest = &span{at, end}
				case "secrets_providers":
					o.secrets = &span{at, end}
				case "resources":
					o.resources = &span{at, end}
				}
				return end, err
			})
		default:
			end, err = skip(key, at)
		}
		switch key {
		case "deployment":
			o.deployment = &span{at, end}
		case "version":
			o.version = &span{at, end}
		}
		return end, err
	})
	if err != nil {
		return nil, err
	}
	if rest := skipSpace(b, end); rest != len(b) {
		return nil, fmt.Errorf("unexpected content after the document at byte %d", rest)
	}
	return o, nil
}

// elementsAt splits the array at b[at] into its elements and returns the index just after it.
func elementsAt(b []byte, at int) (int, []span, error) {
	var out []span
	i := skipSpace(b, at+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, out, nil
	}
	for i < len(b) {
		end, err := skipValue(b, i)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, span{i, end})
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return i + 1, out, nil
		default:
			return 0, nil, fmt.Errorf("expected ',' or ']' at byte %d", i)
		}
	}
	return 0, nil, errors.New("unterminated list")
}
