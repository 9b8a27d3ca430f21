package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flags may come before or after the arguments, for every command and
// subcommand; -h answers everywhere; "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	dir := workspace(t)
	t.Setenv("TIPDASH_DB", "")
	other := filepath.Join(dir, "other.duckdb")
	csvPath := filepath.Join(dir, "casos.csv")
	mustRun(t, "gen", "--n", "30", "--out", csvPath)
	t.Chdir(dir)
	mustRun(t, "ingest", csvPath, "--db", other, "--no-progress")
	if _, err := os.Stat(filepath.Join(dir, "tipdash.duckdb")); err == nil {
		t.Fatal("--db after the file was ignored: ./tipdash.duckdb was created")
	}
	for _, args := range [][]string{
		{"batches", "--db", other, "list"},
		{"batches", "list", "--db", other},
		{"batches", "show", "1", "--json", "--db", other},
		{"batches", "--json", "--db", other, "show", "1"},
		{"query", "--measure", "victims", "--db", other, "--"},
	} {
		if out := mustRun(t, args...); out == "" {
			t.Errorf("tipdash %s printed nothing", strings.Join(args, " "))
		}
	}
	for _, args := range [][]string{
		{"batches", "-h"}, {"batches", "show", "-h"}, {"release", "-h"}, {"release", "show", "--help"},
		{"ingest", "-h"}, {"query", "-h"}, {"export", "-h"}, {"gen", "-h"}, {"template", "-h"}, {"dims", "-h"},
	} {
		r := tipdash(t, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "uso / usage") {
			t.Errorf("tipdash %s: exit %d, want 0 and the usage\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	// Each subcommand has its own flags.
	if r := tipdash(t, "batches", "list", "--report", "x.csv", "--db", other); r.code != 2 || !strings.Contains(r.stderr, "report") {
		t.Errorf("batches list --report: exit %d, want 2 (not a flag of list)\n%s", r.code, r.stderr)
	}
	if r := tipdash(t, "batches", "rollback", "-h"); !strings.Contains(r.stderr, "--db") || strings.Contains(r.stderr[strings.Index(r.stderr, "\n\n"):], "--json") {
		t.Errorf("batches rollback -h lists flags it does not have:\n%s", r.stderr)
	}
	if r := tipdash(t, "batches", "--db", other, "borrar", "1"); r.code != 2 || !strings.Contains(r.stderr, "borrar") {
		t.Errorf("batches borrar: exit %d, want 2 naming the subcommand\n%s", r.code, r.stderr)
	}
	// After "--" a name that looks like a flag is a file.
	r := tipdash(t, "ingest", "--db", other, "--", "--no-progress")
	if r.code != 1 || !strings.Contains(r.stderr, "--no-progress") {
		t.Errorf("ingest -- --no-progress: exit %d, want 1 naming the file\n%s", r.code, r.stderr)
	}
}
