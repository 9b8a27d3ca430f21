package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the dependency rule of DESIGN.md: which of the
// project's packages each package may import. cmd/tipdash may import all.
var allowedImports = map[string][]string{
	"api":              {"schemas", "sheets"},
	"dashboard":        {"schemas", "sheets"},
	"ingest":           {"classify", "schemas"},
	"classify":         {"schemas"},
	"sheets":           {"schemas"}, // writers of tables and reports (CSV, XLSX, JSON)
	"store":            {"schemas", "sheets", "store/disclosure"},
	"store/disclosure": {"schemas"}, // the disclosure-control engine: part of the store
	"schemas":          {},
}

// TestImportRule fails when a package imports one it may not, or when
// schemas imports anything outside the standard library.
func TestImportRule(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Module     struct{ Path string }
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		mod := p.Module.Path
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		allowed, ruled := allowedImports[rel]
		if !ruled {
			if !strings.HasPrefix(rel, "cmd/") && !strings.Contains(rel, "/internal/") {
				t.Errorf("package %s is not in the layout of DESIGN.md", rel)
			}
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, mod+"/") {
				dep := strings.TrimPrefix(imp, mod+"/")
				if !slices.Contains(allowed, dep) {
					t.Errorf("%s imports %s: the dependency rule allows only %v", rel, dep, allowed)
				}
				continue
			}
			if rel == "schemas" && strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("schemas imports %s: it may use the standard library only", imp)
			}
		}
	}
	if seen < 4 {
		t.Errorf("checked only %d packages: is go list seeing the module?", seen)
	}
}

// TestOnlyTheStoreCounts fails when code outside the store's aggregate path
// counts rows itself: SQL aggregates, or the raw connection, anywhere but
// store/ (and cmd/bench, which times the raw view as its baseline).
func TestOnlyTheStoreCounts(t *testing.T) {
	files, err := filepath.Glob("../../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../*/*/*.go")
	files = append(files, more...)
	checked := 0
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, "../../"))
		if strings.HasSuffix(rel, "_test.go") || strings.HasPrefix(rel, "store/") || strings.HasPrefix(rel, "cmd/bench/") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.ToLower(string(b))
		for _, bad := range []string{"count(*)", "count(distinct", "group by", "over (", ".sql()", "\"database/sql\""} {
			if strings.Contains(src, bad) {
				t.Errorf("%s contains %q: counts leave tipdash only through the store (Aggregate, PublishRelease)", rel, bad)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d files", checked)
	}
}
