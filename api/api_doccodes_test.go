package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocErrorCodes: the error codes of the payment core, of the HTTP layer's status table,
// of api/openapi.yaml and of docs/api.md's Errors table are the same, and the doc gives
// each the status the HTTP layer answers with.
func TestDocErrorCodes(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	inSpec := map[string]bool{}
	for _, e := range spec.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum {
		inSpec[e.(string)] = true
	}
	constants := codeConstants(t) // CodeInvalidParameter → INVALID_PARAMETER
	inCore := map[string]bool{}
	for _, v := range constants {
		inCore[v] = true
	}
	statusOf := map[string]int{} // INVALID_PARAMETER → 400
	for name, status := range statusTable(t) {
		if v, ok := constants[name]; !ok {
			t.Errorf("internal/httpapi's statusOf has payment.%s, which is not a payment.Code constant", name)
		} else {
			statusOf[v] = status
		}
	}
	inDoc := map[string]int{}
	for _, tb := range doc.section(t, 2, "Errors").tables() {
		if tb.header[0] != "code" || tb.column("HTTP") < 0 {
			continue
		}
		for _, row := range tb.rows {
			n, err := strconv.Atoi(row[tb.column("HTTP")])
			if err != nil {
				t.Errorf("docs/api.md Errors: %s has HTTP %q, not a number", row[0], row[tb.column("HTTP")])
			}
			inDoc[codeCell(row[0])] = n
		}
	}
	docSet, tableSet := map[string]bool{}, map[string]bool{}
	for c, n := range inDoc {
		docSet[c] = true
		if want, ok := statusOf[c]; ok && n != want {
			t.Errorf("docs/api.md Errors: %s answers %d, internal/httpapi answers %d", c, n, want)
		}
	}
	for c := range statusOf {
		tableSet[c] = true
	}
	diffSets(t, "docs/api.md (Errors table)", docSet, "api/openapi.yaml (Error.code enum)", inSpec)
	diffSets(t, "internal/payment (Code constants)", inCore, "api/openapi.yaml (Error.code enum)", inSpec)
	diffSets(t, "internal/httpapi (statusOf)", tableSet, "internal/payment (Code constants)", inCore)
}

// codeConstants parses internal/payment for its constants of type Code: name → value.
func codeConstants(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range parseDir(t, "../internal/payment") {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				return true
			}
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					out[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatal("no constants of type Code in internal/payment; this test parses them")
	}
	return out
}

// statusTable parses internal/httpapi's statusOf map: payment constant name → HTTP status.
func statusTable(t *testing.T) map[string]int {
	t.Helper()
	numbers := statusNumbers()
	out := map[string]int{}
	for _, f := range parseDir(t, "../internal/httpapi") {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "statusOf" || len(vs.Values) != 1 {
				return true
			}
			lit, _ := vs.Values[0].(*ast.CompositeLit)
			for _, e := range lit.Elts {
				kv := e.(*ast.KeyValueExpr)
				key, val := kv.Key.(*ast.SelectorExpr), kv.Value.(*ast.SelectorExpr)
				n, ok := numbers[val.Sel.Name]
				if !ok {
					t.Fatalf("statusOf: %s is not a net/http status constant this test knows", val.Sel.Name)
				}
				out[key.Sel.Name] = n
			}
			return false
		})
	}
	if len(out) == 0 {
		t.Fatal("no statusOf table in internal/httpapi; this test parses it")
	}
	return out
}

// statusNumbers maps net/http's constant names to their values, derived from StatusText
// ("Request Entity Too Large" is StatusRequestEntityTooLarge).
func statusNumbers() map[string]int {
	drop := regexp.MustCompile(`[^A-Za-z]`)
	out := map[string]int{}
	for n := 100; n < 600; n++ {
		if text := http.StatusText(n); text != "" {
			out["Status"+drop.ReplaceAllString(text, "")] = n
		}
	}
	return out
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("%s: no Go files (%v)", dir, err)
	}
	var out []*ast.File
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}
