package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func invalid(format string, args ...any) error {
	return payment.Errorf(payment.CodeInvalidParameter, format, args...)
}

// bodyOf returns the body bytes the authentication middleware read (and signed).
func bodyOf(c *gin.Context) []byte {
	b, _ := c.Value(ctxBody).([]byte)
	return b
}

// decodeStrict decodes one JSON object into v and refuses what encoding/json lets through
// silently: invalid UTF-8 (it would become U+FFFD), duplicate keys (the last would win),
// unknown fields, and anything after the object. Errors are INVALID_PARAMETER naming the
// field where there is one.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return invalid("request body must be valid UTF-8")
	}
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	if err := checkExactFields(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("request body must hold one JSON object and nothing after it")
	}
	return nil
}

// checkExactFields refuses a top-level key that is not spelled exactly as one of the
// fields of the struct v points to: encoding/json would match "SUBJECT", or "ſubject" by
// Unicode folding, to subject, so a second spelling could carry the value that wins.
func checkExactFields(body []byte, v any) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	known := map[string]bool{}
	for f := range t.Elem().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			known[name] = true
		}
	}
	var top map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&top); err != nil {
		return nil // not an object of fields: the strict decode below names the problem
	}
	for k := range top {
		if !known[k] {
			return invalid("unknown field %q", k)
		}
	}
	return nil
}

// decodeError rewrites encoding/json's errors into messages that name the field.
func decodeError(err error, v any) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var coded *payment.Error
	switch {
	case errors.As(err, &coded):
		return coded
	case errors.As(err, &typeErr) && isMapField(v, typeErr.Field) && typeErr.Type.Kind() != reflect.Map:
		return invalid("%s values must be %s", typeErr.Field, plural(describe(typeErr.Type)))
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return invalid("%s must be %s", typeErr.Field, describe(typeErr.Type))
	case errors.As(err, &typeErr):
		return invalid("request body must be a JSON object")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalid("request body is not valid JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid("unknown field %s", name)
	}
	return invalid("request body is not valid JSON")
}

// isMapField reports whether the top-level field with JSON name field of the struct that
// v points to is a map: encoding/json then names the map, not the key, in a type error.
func isMapField(v any, field string) bool {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return false
	}
	for f := range t.Elem().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == field {
			return f.Type.Kind() == reflect.Map
		}
	}
	return false
}

func plural(article string) string {
	_, noun, _ := strings.Cut(article, " ")
	if noun == "" || strings.Contains(article, " or ") {
		return article
	}
	return noun + "s"
}

// describe names a Go type the way a JSON user thinks of it.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of another type"
}

// checkDuplicateKeys walks the tokens of a JSON document and refuses an object that names
// the same key twice, at any depth (at the top level, where keys are struct fields, also
// in another letter case). The document must be an object at the top level.
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return invalid("request body is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid("request body must be a JSON object")
	}
	return walkObject(dec, "", 1)
}

// maxDepth bounds the nesting of a request body. No request of the API nests deeper than
// 2; the bound keeps the walk (and its field paths) linear in the body's size.
const maxDepth = 16

// walkObject consumes an object whose '{' was just read, up to and including its '}'.
func walkObject(dec *json.Decoder, path string, depth int) error {
	if depth > maxDepth {
		return invalid("request body nests deeper than %d levels", maxDepth)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid("request body is not valid JSON")
		}
		key, _ := tok.(string) // inside an object, Token returns keys as strings
		field := key
		if path != "" {
			field = path + "." + key
		}
		// encoding/json matches struct fields case-insensitively, so at the top level
		// "subject" and "SUBJECT" name the same field: refuse both, or the last would win.
		seenKey := key
		if path == "" {
			seenKey = strings.ToLower(key)
		}
		if seen[seenKey] {
			return invalid("duplicate field %s", field)
		}
		seen[seenKey] = true
		if err := walkValue(dec, field, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return invalid("request body is not valid JSON")
	}
	return nil
}

// walkValue consumes one value inside a container at depth; objects and arrays recursively.
func walkValue(dec *json.Decoder, path string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return invalid("request body is not valid JSON")
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, path, depth+1)
	case json.Delim('['):
		if depth+1 > maxDepth {
			return invalid("request body nests deeper than %d levels", maxDepth)
		}
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return invalid("request body is not valid JSON")
		}
	}
	return nil
}
