package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/api"
	"github.com/f2fpay/f2fpay/internal/httpapi"
)

// The tests of this file keep docs/api.md, api/openapi.yaml and the router in step: a
// route, a field, a status or an error code added to one and not to the others fails here.
// api_docparse_test.go describes the shape of docs/api.md they read.

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return spec
}

// operation is one method of one path of the OpenAPI document.
type operation struct {
	key  string // "POST /api/v1/payment/create"
	item *openapi3.PathItem
	op   *openapi3.Operation
}

func operations(spec *openapi3.T) []operation {
	var out []operation
	for p, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, operation{key: method + " " + p, item: item, op: op})
		}
	}
	slices.SortFunc(out, func(a, b operation) int { return strings.Compare(a.key, b.key) })
	return out
}

var routeHeading = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) /\S+$`)

// TestDocRoutesMatchOpenAPIAndRouter: the route headings of docs/api.md, the operations of
// api/openapi.yaml and the merchant routes the router serves are the same set.
func TestDocRoutesMatchOpenAPIAndRouter(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	inSpec := map[string]bool{}
	for _, o := range operations(spec) {
		inSpec[o.key] = true
	}
	inDoc := map[string]bool{}
	for _, s := range doc.subsections(doc.section(t, 2, "Routes")) {
		if !routeHeading.MatchString(s.title) {
			t.Errorf("docs/api.md: heading %q under Routes is not \"METHOD /path\"", s.title)
		}
		inDoc[s.title] = true
	}
	diffSets(t, "docs/api.md (### headings under Routes)", inDoc, "api/openapi.yaml", inSpec)

	h, ok := httpapi.New(httpapi.Config{}).(interface{ Routes() gin.RoutesInfo })
	if !ok {
		t.Fatal("httpapi.New no longer returns a Gin engine; list its routes another way")
	}
	ginParam := regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)
	served := map[string]bool{}
	for _, r := range h.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/payment/") {
			served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	diffSets(t, "the router (internal/httpapi)", served, "api/openapi.yaml", inSpec)
}

// TestDocRouteSections: each route's section documents exactly its parameters, request
// body fields and inline answer fields, with their bounds and enums, and exactly the HTTP
// statuses api/openapi.yaml lists for it.
func TestDocRouteSections(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	for _, o := range operations(spec) {
		sec, ok := doc.find(3, o.key)
		if !ok {
			t.Errorf("docs/api.md has no ### %s", o.key) // also reported by the routes test
			continue
		}
		checkFieldTables(t, "### "+o.key, sec, opFields(o))
		want := map[string]bool{}
		for code := range o.op.Responses.Map() {
			want[code] = true
		}
		got := map[string]bool{}
		for _, tb := range sec.tables() {
			if tb.header[0] != "status" {
				continue
			}
			for _, row := range tb.rows {
				got[codeCell(row[0])] = true
			}
		}
		diffSets(t, "docs/api.md ### "+o.key+" status table", got, "api/openapi.yaml", want)
	}
}

// TestDocObjects: "## Objects" has a section for each object schema an answer returns
// (and no other), documenting exactly its fields; its JSON examples match the schema.
func TestDocObjects(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	want := responseObjects(spec)
	got := map[string]bool{}
	for _, sec := range doc.subsections(doc.section(t, 2, "Objects")) {
		got[sec.title] = true
		ref := spec.Components.Schemas[sec.title]
		if ref == nil {
			continue // reported by diffSets below
		}
		fields := map[string]fieldSpec{}
		addProps(fields, "", ref.Value, false)
		checkFieldTables(t, "### "+sec.title, sec, fields)
		examples := 0
		for _, f := range sec.fences() {
			if f.info != "json" {
				continue
			}
			examples++
			var v any
			if err := json.Unmarshal([]byte(f.body), &v); err != nil {
				t.Errorf("docs/api.md ### %s: example is not JSON: %v", sec.title, err)
			} else if err := ref.Value.VisitJSON(v); err != nil {
				t.Errorf("docs/api.md ### %s: example does not match the schema: %v", sec.title, err)
			}
		}
		if examples == 0 {
			t.Errorf("docs/api.md ### %s has no ```json example", sec.title)
		}
	}
	diffSets(t, "docs/api.md (### headings under Objects)", got, "api/openapi.yaml (object schemas of answers)", want)
}

// responseObjects names the component schemas of type object that some answer returns,
// directly or inside another (list items, an event's data).
func responseObjects(spec *openapi3.T) map[string]bool {
	out := map[string]bool{}
	var visit func(*openapi3.SchemaRef)
	visit = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil {
			return
		}
		if r.Ref != "" {
			name := path.Base(r.Ref)
			if out[name] {
				return
			}
			if r.Value.Type.Is("object") {
				out[name] = true
			}
		}
		s := r.Value
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, x := range list {
				visit(x)
			}
		}
	}
	for _, o := range operations(spec) {
		for _, rr := range o.op.Responses.Map() {
			for _, media := range rr.Value.Content {
				visit(media.Schema)
			}
		}
	}
	return out
}

// fieldSpec is what docs/api.md must say of one parameter or field.
type fieldSpec struct {
	schema   *openapi3.Schema
	in       string // path or query for a parameter
	body     bool   // a request body field: its table has a required column
	required bool
}

// opFields collects an operation's parameters, request body fields and the fields of an
// inline (not $ref) success answer.
func opFields(o operation) map[string]fieldSpec {
	fields := map[string]fieldSpec{}
	for _, p := range append(slices.Clone(o.item.Parameters), o.op.Parameters...) {
		fields[p.Value.Name] = fieldSpec{schema: p.Value.Schema.Value, in: p.Value.In, required: p.Value.Required}
	}
	if rb := o.op.RequestBody; rb != nil {
		if media := rb.Value.Content.Get("application/json"); media != nil {
			addProps(fields, "", media.Schema.Value, true)
		}
	}
	for code, rr := range o.op.Responses.Map() {
		if media := rr.Value.Content.Get("application/json"); strings.HasPrefix(code, "2") && media != nil && media.Schema.Ref == "" {
			addProps(fields, "", media.Schema.Value, false)
		}
	}
	return fields
}

// addProps adds the properties of s, and those of nested objects as "parent.child".
func addProps(fields map[string]fieldSpec, prefix string, s *openapi3.Schema, body bool) {
	for name, p := range s.Properties {
		fields[prefix+name] = fieldSpec{schema: p.Value, body: body, required: slices.Contains(s.Required, name)}
		if len(p.Value.Properties) > 0 {
			addProps(fields, prefix+name+".", p.Value, body)
		}
	}
}

// checkFieldTables compares the field and parameter tables of sec with fields both ways.
func checkFieldTables(t *testing.T, where string, sec mdSection, fields map[string]fieldSpec) {
	t.Helper()
	seen := map[string]bool{}
	for _, tb := range sec.tables() {
		if tb.header[0] != "field" && tb.header[0] != "parameter" {
			continue
		}
		for i, row := range tb.rows {
			name := codeCell(row[0])
			f, ok := fields[name]
			if !ok {
				t.Errorf("docs/api.md %s documents %q, which api/openapi.yaml does not have there", where, row[0])
				continue
			}
			seen[name] = true
			if c := tb.column("required"); f.body && c < 0 {
				t.Errorf("docs/api.md %s: the table of `%s` has no required column", where, name)
			} else if c >= 0 && row[c] != map[bool]string{true: "yes", false: "no"}[f.required] {
				t.Errorf("docs/api.md %s: `%s` required %q, api/openapi.yaml says %v", where, name, row[c], f.required)
			}
			if c := tb.column("in"); c >= 0 && row[c] != f.in {
				t.Errorf("docs/api.md %s: `%s` in %q, api/openapi.yaml says %q", where, name, row[c], f.in)
			}
			checkBounds(t, where, name, tb.raw[i], f.schema)
		}
	}
	for name := range fields {
		if !seen[name] {
			t.Errorf("docs/api.md %s does not document `%s` of api/openapi.yaml", where, name)
		}
	}
}

// checkBounds requires a field's row to state the schema's bounds, default and enum
// values, so that tightening a rule in api/openapi.yaml means rewriting the doc's row.
func checkBounds(t *testing.T, where, name, row string, s *openapi3.Schema) {
	t.Helper()
	var nums []string
	add := func(v float64) { nums = append(nums, strconv.FormatFloat(v, 'f', -1, 64)) }
	if s.MinLength > 0 {
		add(float64(s.MinLength))
	}
	if s.MaxLength != nil {
		add(float64(*s.MaxLength))
	}
	if s.Min != nil && *s.Min > 0 {
		add(*s.Min)
	}
	if s.Max != nil {
		add(*s.Max)
	}
	if s.MaxProps != nil {
		add(float64(*s.MaxProps))
	}
	if d, ok := s.Default.(float64); ok {
		add(d)
	}
	for _, n := range nums {
		if !regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(n) + `([^0-9]|$)`).MatchString(row) {
			t.Errorf("docs/api.md %s: the row of `%s` does not state %s (api/openapi.yaml's bound or default)", where, name, n)
		}
	}
	if name == "error.code" {
		return // its enum is the Errors table, checked by TestDocErrorCodes
	}
	for _, e := range s.Enum {
		if v := fmt.Sprint(e); v != "" && !strings.Contains(row, "`"+v+"`") {
			t.Errorf("docs/api.md %s: the row of `%s` does not name the value `%s`", where, name, v)
		}
	}
}
