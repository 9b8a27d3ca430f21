package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeCSV(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// batchCount reads how many batches the database lists.
func batchCount(t *testing.T) int {
	t.Helper()
	out := mustRun(t, "batches", "list")
	return len(strings.Split(strings.TrimSpace(out), "\n")) - 2
}

func wantRefused(t *testing.T, r result, says ...string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, s := range says {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the message does not say %q:\n%s", s, r.stderr)
		}
	}
}

// A lost or changed secret stops ingest; --new-secret starts anew.
func TestSecretFingerprint(t *testing.T) {
	dir := workspace(t)
	a := writeCSV(t, dir, "a.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/02/2024\n")
	b := writeCSV(t, dir, "b.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/03/2024\nX-2,víctima,01/03/2024\n")
	mustRun(t, "ingest", a)
	secretFile := os.Getenv("TIPDASH_DB") + ".secret"
	backup, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(secretFile)
	wantRefused(t, tipdash(t, "ingest", b), "falta el secreto", "secret of database", "--new-secret")
	// A dry run says so too: with another secret its report would call X-1 new.
	wantRefused(t, tipdash(t, "ingest", "--dry-run", b), "falta el secreto", "secret of database")
	if _, err := os.Stat(secretFile); err == nil {
		t.Error("a new secret was created")
	}
	t.Setenv("TIPDASH_SECRET", "another secret, 16 characters or more")
	wantRefused(t, tipdash(t, "ingest", b), "no es el que usó", "is not the one")
	wantRefused(t, tipdash(t, "ingest", "--dry-run", b), "no es el que usó", "is not the one")
	if n := batchCount(t); n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
	t.Setenv("TIPDASH_SECRET", "")
	os.WriteFile(secretFile, backup, 0o600)
	if rep := ingestJSON(t, b); rep.Updated != 1 {
		t.Errorf("with the secret restored: %d updated, want 1", rep.Updated)
	}
	os.Remove(secretFile)
	c := writeCSV(t, dir, "c.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/04/2024\n")
	if rep := ingestJSON(t, "--new-secret", c); rep.Updated != 0 {
		t.Errorf("a new secret cannot match earlier people: %d updated", rep.Updated)
	}
	mustRun(t, "ingest", writeCSV(t, dir, "d.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/05/2024\n"))
}

// Exit 1 means nothing was stored: every file and the report's path are
// checked first.
func TestNothingStoredOnRefusal(t *testing.T) {
	dir := workspace(t)
	good := writeCSV(t, dir, "bueno.csv", "Rol,Fecha\nvíctima,01/02/2024\n")
	mustRun(t, "ingest", writeCSV(t, dir, "primero.csv", "Rol,Fecha\nvíctima,01/01/2024\n"))
	wantRefused(t, tipdash(t, "ingest", good, "--report", filepath.Join(dir, "informe.txt")), ".csv, .xlsx")
	wantRefused(t, tipdash(t, "ingest", good, "--report", filepath.Join(dir, "no", "existe", "informe.csv")), "informe.csv")
	wantRefused(t, tipdash(t, "ingest", good, filepath.Join(dir, "falta.csv")), "falta.csv")
	wantRefused(t, tipdash(t, "ingest", good, "/dev/zero"), "/dev/zero")
	quote := writeCSV(t, dir, "comillas.csv", "Rol,Fecha,Notas\nvíctima,01/02/2024,\"Dijo llamarse María\n"+strings.Repeat("víctima,01/02/2024,\n", 200))
	r := tipdash(t, "ingest", quote)
	wantRefused(t, r, "comillas.csv", "fila 2", "row 2")
	if strings.Contains(r.stderr, "María") {
		t.Errorf("the message prints the swallowed text:\n%s", r.stderr)
	}
	// Several files: each is read through before the first is stored.
	wantRefused(t, tipdash(t, "ingest", good, quote), "comillas.csv", "fila 2")
	// And for what refuses a file at its header: no header, two tables one
	// under the other, a --map header the second file lacks.
	noHeader := writeCSV(t, dir, "sin.csv", "a,b\n1,2\n")
	twoTables := writeCSV(t, dir, "dos.csv", "Rol,Fecha\nvíctima,01/02/2024\n\nRol,Fecha,Sexo\nvíctima,01/03/2024,F\n")
	wantRefused(t, tipdash(t, "ingest", good, noHeader), "sin.csv")
	wantRefused(t, tipdash(t, "ingest", good, twoTables), "dos.csv", "fila 4")
	mapped := writeCSV(t, dir, "estado.csv", "Rol,Fecha,Situación\nvíctima,01/02/2024,acreditada\n")
	wantRefused(t, tipdash(t, "ingest", "--map", "Situación=status", mapped, good), "bueno.csv", "Situación")
	if n := batchCount(t); n != 1 {
		t.Errorf("%d batches after refusals, want 1", n)
	}
	report := filepath.Join(dir, "informe.csv")
	mustRun(t, "ingest", good, "--report", report)
	if st, err := os.Stat(report); err != nil || st.Size() == 0 {
		t.Errorf("report: %v", err)
	}
}

// What the database keeps holds no name, e-mail or number typed into a kept
// column; a rolled-back batch's quarantine and report can be purged.
func TestStoredReportAndQuarantineHoldNothingPersonal(t *testing.T) {
	dir := workspace(t)
	f := writeCSV(t, dir, "nombres.csv", "ID persona,Rol,Fecha,Nacionalidad,Provincia,Delito\n"+
		"P-1,víctima,2024-01-15,María Fernanda Solís,Limón,trata\n"+
		"P-2,,2024-01-15,NIC,Juan Pérez Mora,trata\n"+
		"P-3,víctima,2024-01-15,maria.solis@ejemplo.cr,8888 8888,Ana Lucía\n"+
		"P-4,,2024-01-15,1.0234.0567,123 456 789,trata\n")
	out := mustRun(t, "ingest", f)
	if !strings.Contains(out, "María Fernanda Solís") {
		t.Errorf("the uploader's report should show their values:\n%s", out)
	}
	leaks := []string{"María", "Juan", "Pérez", "Ana", "solis", "ejemplo", "8888", "0234", "456 789"}
	show := mustRun(t, "batches", "show", "1") + mustRun(t, "batches", "show", "1", "--json")
	for _, l := range leaks {
		if strings.Contains(show, l) {
			t.Errorf("batches show prints %q:\n%s", l, show)
		}
	}
	ctx := context.Background()
	stored := func() string {
		st := rawDB(t, os.Getenv("TIPDASH_DB"))
		defer st.Close()
		var report, quarantine string
		if err := st.QueryRowContext(ctx, `SELECT coalesce(CAST(report AS VARCHAR), ''), (SELECT coalesce(string_agg(reasons || cells, ' '), '') FROM quarantine) FROM batches WHERE id = 1`).Scan(&report, &quarantine); err != nil {
			t.Fatal(err)
		}
		return report + quarantine
	}
	all := stored()
	for _, l := range leaks {
		if strings.Contains(all, l) {
			t.Errorf("the database keeps %q: %s", l, all)
		}
	}
	if !strings.Contains(all, "NIC") || !strings.Contains(all, "role_missing") {
		t.Errorf("the known values and the reasons must stay: %s", all)
	}
	wantRefused(t, tipdash(t, "batches", "purge", "1"), "revertido", "rolled back")
	mustRun(t, "batches", "rollback", "1")
	mustRun(t, "batches", "purge", "1")
	if s := stored(); s != "" {
		t.Errorf("after purge the database keeps: %s", s)
	}
	data, _ := os.ReadFile(os.Getenv("TIPDASH_DB"))
	if strings.Contains(string(data), "role_missing") {
		t.Error("the purged quarantine is still in the database file")
	}
}

// A column the profile does not know can be mapped on the command line; a
// personal column cannot.
func TestMapFlag(t *testing.T) {
	dir := workspace(t)
	f := writeCSV(t, dir, "pani.csv", "Expediente PANI,Condición,Fecha,Nombre completo\nA-1,víctima,01/02/2024,María Solís\nA-2,víctima,01/02/2024,Ana Mora\n")
	rep := ingestJSON(t, "--dry-run", f, "--map", "Expediente PANI=person_id", "--map", "Condición=role")
	if rep.Accepted != 2 {
		t.Errorf("accepted %d, want 2: %+v", rep.Accepted, rep.Columns)
	}
	wantRefused(t, tipdash(t, "ingest", f, "--map", "Condición=role", "--map", "Nombre completo=citizenship"), "Nombre completo", "personal")
	if r := tipdash(t, "ingest", f, "--map", "Condición"); r.code != 2 || !strings.Contains(r.stderr, "Header=field") {
		t.Errorf("--map without a field: exit %d, want 2 (usage)\n%s", r.code, r.stderr)
	}
}
