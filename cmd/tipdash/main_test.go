package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// TestMain lets the test binary be tipdash itself (TIPDASH_AS_MAIN), or a
// process that holds a database open (TIPDASH_TEST_HOLD; read-only with
// TIPDASH_TEST_HOLD_READONLY=1), for the tests
// that need a second process.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestMain(m *testing.M) {
	if os.Getenv("TIPDASH_AS_MAIN") == "1" {
		main()
		return
	}
	if path := os.Getenv("TIPDASH_TEST_HOLD"); path != "" {
		db, err := store.Open(context.Background(), path, store.Options{ReadOnly: os.Getenv("TIPDASH_TEST_HOLD_READONLY") == "1"})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		defer db.Close()
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	stdout, stderr string
}

// tipdash runs the command line in this process, as a user would type it.
func tipdash(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return result{exitCode(err, &errb), out.String(), errb.String()}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := tipdash(t, args...)
	if r.code != 0 {
		t.Fatalf("tipdash %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// workspace is a temp dir with its own database and secret.
func workspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TIPDASH_DB", filepath.Join(dir, "tipdash.duckdb"))
	t.Setenv("TIPDASH_SECRET", "")
	return dir
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, s)
	}
	return recs
}

func total(t *testing.T, measure string, extra ...string) int {
	t.Helper()
	recs := readCSV(t, mustRun(t, append([]string{"query", "--measure", measure}, extra...)...))
	n, err := strconv.Atoi(recs[1][0])
	if err != nil || len(recs) != 2 {
		t.Fatalf("total: %v", recs)
	}
	return n
}

func ingestJSON(t *testing.T, args ...string) schemas.BatchReport {
	t.Helper()
	var rep schemas.BatchReport
	out := mustRun(t, append([]string{"ingest", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return rep
}

func TestEndToEnd(t *testing.T) {
	dir := workspace(t)
	enero, febrero := filepath.Join(dir, "casos_enero.xlsx"), filepath.Join(dir, "casos_febrero.csv")
	mustRun(t, "gen", "--n", "2500", "--seed", "1", "--out", enero)
	mustRun(t, "gen", "--n", "2500", "--seed", "2", "--delimiter", ";", "--encoding", "windows-1252", "--out", febrero)
	mustRun(t, "template", "--out", filepath.Join(dir, "plantilla_eri.xlsx"))

	r1 := ingestJSON(t, "--entity", "oij", enero)
	r2 := ingestJSON(t, "--entity", "dgme", febrero)
	if r1.Status != schemas.BatchStored || r2.Status != schemas.BatchStored || r1.BatchID != 1 || r2.BatchID != 2 || r2.Updated != 0 {
		t.Fatalf("batches: %+v %+v", r1.Status, r2.Status)
	}
	victims := r1.ByRole["victim"] + r2.ByRole["victim"]
	if got := total(t, "victims"); got != victims {
		t.Errorf("victims total %d, the reports accepted %d", got, victims)
	}

	// query --by: header of dimension keys, count, note; rows add up.
	recs := readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "year,sex,age_group"))
	if diff := cmp.Diff([]string{"year", "sex", "age_group", "count", "note"}, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	sum := 0
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[3])
		if err != nil || n <= 0 {
			t.Errorf("row %v: count must be a positive number", r)
		}
		sum += n
	}
	if sum != victims {
		t.Errorf("rows add up to %d, want %d", sum, victims)
	}
	byEntity := readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "reporting_entity"))
	if diff := cmp.Diff([][]string{{"reporting_entity", "count", "note"}, {"oij", strconv.Itoa(r1.ByRole["victim"]), ""}, {"dgme", strconv.Itoa(r2.ByRole["victim"]), ""}}, byEntity); diff != "" {
		t.Errorf("by reporting entity (-want +got):\n%s", diff)
	}

	var tab schemas.Table
	out := mustRun(t, "query", "--measure", "smuggled_migrants", "--by", "border_post,sex", "--where", "year=2023", "--format", "json")
	if err := json.Unmarshal([]byte(out), &tab); err != nil || len(tab.Rows) == 0 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	inYear := total(t, "smuggled_migrants", "--where", "year=2023")
	sum = 0
	for _, r := range tab.Rows {
		sum += *r.Count
	}
	if sum != inYear {
		t.Errorf("2023 border posts add up to %d, total %d", sum, inYear)
	}
	if a, b := total(t, "victims", "--where", "year=2019..2021"), total(t, "victims", "--where", "year=2019,2020,2021"); a != b || a == 0 {
		t.Errorf("year range %d, year list %d", a, b)
	}

	// The same file again changes nothing.
	again := mustRun(t, "ingest", febrero)
	if !strings.Contains(again, "ya estaba cargado") || !strings.Contains(again, "already stored") {
		t.Errorf("second ingest of the same file:\n%s", again)
	}
	list := mustRun(t, "batches", "list")
	if strings.Count(list, "stored") != 2 {
		t.Errorf("batches list:\n%s", list)
	}
	show := mustRun(t, "batches", "show", "2")
	if !strings.Contains(show, "casos_febrero.csv") || !strings.Contains(show, "fila / row") {
		t.Errorf("batches show:\n%s", show)
	}

	// Rollback removes the batch's people.
	mustRun(t, "batches", "rollback", "2")
	if got := total(t, "victims"); got != r1.ByRole["victim"] {
		t.Errorf("after rollback: %d victims, want %d", got, r1.ByRole["victim"])
	}
	if r := tipdash(t, "batches", "rollback", "2"); r.code != 1 || !strings.Contains(r.stderr, "ya fue revertido") {
		t.Errorf("second rollback: %+v", r)
	}
}

func TestDryRunStrictAndReports(t *testing.T) {
	dir := workspace(t)
	f := filepath.Join(dir, "c.csv")
	mustRun(t, "gen", "--n", "800", "--seed", "5", "--out", f)

	dry := ingestJSON(t, "--dry-run", f)
	if dry.Status != schemas.BatchDryRun || dry.Rejected == 0 {
		t.Fatalf("dry run: %s, %d rejected", dry.Status, dry.Rejected)
	}
	if _, err := os.Stat(os.Getenv("TIPDASH_DB")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run created the database: %v", err)
	}
	r := tipdash(t, "ingest", "--strict", f)
	if r.code != 1 || !strings.Contains(r.stdout, "NO guardado") {
		t.Errorf("strict: exit %d\n%s", r.code, r.stdout)
	}
	if n := total(t, "victims"); n != 0 {
		t.Errorf("strict stored %d victims", n)
	}
	for _, ext := range []string{"csv", "xlsx", "json"} {
		rp := filepath.Join(dir, "informe."+ext)
		mustRun(t, "ingest", "--dry-run", "--report", rp, f)
		b, err := os.ReadFile(rp)
		if err != nil {
			t.Fatal(err)
		}
		switch ext {
		case "csv":
			rows := readCSV(t, strings.TrimPrefix(string(b), "\ufeff"))
			if rows[0][0] != "tipo_kind" || len(rows) < dry.Rejected+1 {
				t.Errorf("CSV report: %d rows for %d rejections", len(rows), dry.Rejected)
			}
		case "xlsx":
			x, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows("Problemas - Issues")
			if len(rows) < dry.Rejected+1 {
				t.Errorf("XLSX report: %d rows for %d rejections", len(rows), dry.Rejected)
			}
		case "json":
			var rep schemas.BatchReport
			if err := json.Unmarshal(b, &rep); err != nil || rep.Rejected != dry.Rejected {
				t.Errorf("JSON report: %v, %d rejected", err, rep.Rejected)
			}
		}
	}
}

func TestErrorsAreBilingual(t *testing.T) {
	workspace(t)
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"query", "--measure", "victims"}, 1, []string{"no existe la base de datos", "no database"}},
		{[]string{"query", "--measure", "people"}, 1, []string{"medida desconocida", "unknown measure"}},
		{[]string{"query", "--measure", "victims", "--by", "colour"}, 1, []string{"dimensión desconocida", "unknown dimension"}},
		{[]string{"query", "--measure", "victims", "--where", "sex=mujer"}, 2, []string{"no es un código", "is not a sex code"}},
		{[]string{"query", "--measure", "victims", "--by", "year,sex,age_group,province"}, 1, []string{"como máximo 3", "at most 3"}},
		{[]string{"query", "--tier", "conatt", "--measure", "victims", "--by", "sex,province"}, 1, []string{"no es una de ellas", "is not one of them"}},
		{[]string{"ingest", "--profile", "nope", "x.csv"}, 1, []string{"perfil desconocido", "unknown profile"}},
		{[]string{"ingest", "no-such-file.csv"}, 1, []string{"no existe el archivo", "no such file"}},
		{[]string{"ingest", "--entity", "cia", "x.csv"}, 1, []string{"no es un código", "is not a referring_institution code"}},
		{[]string{"frobnicate"}, 2, []string{"comando desconocido", "unknown command"}},
		{[]string{"ingest"}, 2, []string{"falta el archivo", "no file given"}},
	}
	for _, c := range cases {
		r := tipdash(t, c.args...)
		if r.code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, r.code, c.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, r.stderr)
			}
		}
	}
}

// costaRica2021 writes UNODC's published case: 2021, 21 victims, 20 female,
// 1 male; and a 2020 with enough people to show.
func costaRica2021(t *testing.T, dir string) string {
	var b strings.Builder
	b.WriteString("Rol,Fecha de referencia,Sexo,Edad,Nacionalidad,Formas de explotación\n")
	for i := range 21 {
		sex := "F"
		if i == 0 {
			sex = "M"
		}
		fmt.Fprintf(&b, "víctima,%02d/03/2021,%s,%d,NIC,explotación sexual\n", 1+i%28, sex, 20+i)
	}
	for i := range 40 {
		sex := []string{"F", "M"}[i%2]
		fmt.Fprintf(&b, "víctima,%02d/05/2020,%s,%d,CRI,trabajo forzoso\n", 1+i%28, sex, 15+i)
	}
	f := filepath.Join(dir, "cr.csv")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// glotipUnits is the Unit of measurement a GLOTIP export writes at each
// tier: how its values were protected, UNODC's "Counts" where exact.
var glotipUnits = map[string]string{
	"conatt": "Counts, exact; x: hidden (1 to 4 people, or hidden to protect such a count)",
	"public": "Counts, rounded to multiples of 5; x: hidden (1 to 9 people, or hidden to protect such a count)",
	"admin":  "Counts",
}

// TestGlotipExport checks the UNODC long format of a conatt release against
// a golden file (testdata/golden/glotip_conatt.csv; -update rewrites), that
// the 2021 leak of UNODC's own table cannot happen, and that hidden cells
// read x, never <5. The unit column says how each tier's values were
// protected: rounded at tier public, never plain "Counts" but for the
// exact export of tier admin, which is marked confidential.
func TestGlotipExport(t *testing.T) {
	dir := workspace(t)
	mustRun(t, "ingest", costaRica2021(t, dir))
	out := filepath.Join(dir, "glotip.csv")
	if r := tipdash(t, "export", "--format", "glotip", "--tier", "conatt", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "no hay ninguna publicación conatt aprobada") {
		t.Errorf("export before a release: exit %d\n%s", r.code, r.stderr)
	}
	mustRun(t, "release", "publish", "--kind", "conatt", "--note", "cr")
	mustRun(t, "export", "--format", "glotip", "--tier", "conatt", "--out", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "testdata", "golden", "glotip_conatt.csv")
	if *update {
		os.WriteFile(golden, data, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/tipdash -run TestGlotipExport -update)", err)
	}
	if diff := cmp.Diff(string(want), string(data)); diff != "" {
		t.Errorf("glotip export differs from the golden file (-want +got):\n%s", diff)
	}
	rows := readCSV(t, string(data))
	if diff := cmp.Diff(store.GlotipHeader, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	values := map[string]string{}
	for _, r := range rows[1:] {
		if r[0] != "CRI" || r[10] != glotipUnits["conatt"] {
			t.Errorf("row %v: want CRI and the unit %q", r, glotipUnits["conatt"])
		}
		if n, err := strconv.Atoi(r[11]); r[11] != store.GlotipHidden && (err != nil || n >= 1 && n <= 4) {
			t.Errorf("row %v: want x or a count that is not 1..4", r)
		}
		if r[4] == "Detected trafficking victims" && r[5] == "Total" && r[8] == "Total" && r[9] == "2021" {
			values[r[7]] = r[11]
		}
	}
	if diff := cmp.Diff(map[string]string{"Total": "21", "Female": "x", "Male": "x"}, values); diff != "" {
		t.Errorf("2021 by sex: the hidden male count must not be derivable (-want +got):\n%s", diff)
	}
	xl := filepath.Join(dir, "glotip.xlsx")
	mustRun(t, "export", "--format", "glotip", "--tier", "conatt", "--out", xl)
	xrows := xlsxRows(t, xl)
	if len(xrows) != len(rows)+2 || xrows[0][0] != "CONATT - tipdash" || xrows[2][0] != "Iso3_code" {
		t.Errorf("XLSX: %d rows (want %d), first %q, header %q", len(xrows), len(rows)+2, xrows[0], xrows[2])
	}
	if diff := cmp.Diff(rows[1:], xrows[3:]); diff != "" {
		t.Errorf("XLSX rows differ from the CSV's (-csv +xlsx):\n%s", diff)
	}
	// Tier public: values rounded to multiples of 5, and the unit says so.
	mustRun(t, "release", "approve", fmt.Sprint(lastLine(t, mustRun(t, "release", "publish", "--kind", "public", "--note", "cr"))))
	pub := filepath.Join(dir, "glotip_public.csv")
	mustRun(t, "export", "--format", "glotip", "--tier", "public", "--out", pub)
	data, err = os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	prows := readCSV(t, string(data))[1:]
	if len(prows) == 0 {
		t.Fatal("the public GLOTIP export has no rows")
	}
	for _, r := range prows {
		if r[10] != glotipUnits["public"] {
			t.Errorf("public row %v: unit %q, want %q", r, r[10], glotipUnits["public"])
		}
		if n, err := strconv.Atoi(r[11]); r[11] != store.GlotipHidden && (err != nil || n%5 != 0) {
			t.Errorf("public row %v: want x or a multiple of 5", r)
		}
	}
	pq := filepath.Join(dir, "tables.parquet")
	mustRun(t, "export", "--format", "parquet", "--tier", "conatt", "--out", pq)
	if st, err := os.Stat(pq); err != nil || st.Size() < 100 {
		t.Errorf("parquet: %v", err)
	}

	// Tier admin: exact, for UNODC's questionnaire, marked confidential.
	adm := filepath.Join(dir, "glotip_admin.xlsx")
	mustRun(t, "export", "--format", "glotip", "--tier", "admin", "--out", adm)
	arows := xlsxRows(t, adm)
	if !strings.Contains(arows[0][0], "CONFIDENCIAL") || !strings.Contains(arows[0][0], "CONFIDENTIAL") || arows[2][0] != "Iso3_code" {
		t.Errorf("admin XLSX title %q, header %q: want CONFIDENCIAL / CONFIDENTIAL", arows[0], arows[2])
	}
	values = map[string]string{}
	for _, r := range arows[3:] {
		if r[10] != glotipUnits["admin"] {
			t.Errorf("admin row %v: unit %q, want %q", r, r[10], glotipUnits["admin"])
		}
		if r[4] == "Detected trafficking victims" && r[5] == "Total" && r[8] == "Total" && r[9] == "2021" {
			values[r[7]] = r[11]
		}
	}
	if diff := cmp.Diff(map[string]string{"Total": "21", "Female": "20", "Male": "1"}, values); diff != "" {
		t.Errorf("admin export, 2021 by sex: want the exact counts (-want +got):\n%s", diff)
	}
	if r := tipdash(t, "export", "--format", "csv", "--tier", "admin", "--out", out); r.code != 2 {
		t.Errorf("CSV export at tier admin: exit %d, want 2", r.code)
	}
	// A CSV has no title rows to say CONFIDENTIAL: exact figures leave as XLSX only.
	if r := tipdash(t, "export", "--format", "glotip", "--tier", "admin", "--out", filepath.Join(dir, "glotip_admin.csv")); r.code != 2 {
		t.Errorf("GLOTIP CSV at tier admin: exit %d, want 2", r.code)
	}
}

func xlsxRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPersonalDataNeverStored: the fake names, phones, addresses and notes
// of the generated sheet appear nowhere in the database file.
func TestPersonalDataNeverStored(t *testing.T) {
	dir := workspace(t)
	f := filepath.Join(dir, "c.csv")
	mustRun(t, "gen", "--n", "1500", "--seed", "9", "--out", f)
	rep := ingestJSON(t, f)
	if len(rep.DroppedColumns()) != 5 {
		t.Errorf("dropped columns: %v", rep.DroppedColumns())
	}
	db, err := os.ReadFile(os.Getenv("TIPDASH_DB"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(os.Getenv("TIPDASH_DB") + ".wal")
	for _, leak := range []string{"Relato ficticio", "al norte de la iglesia", "ERI-2019-", "ERI-2024-", "Quesada", "Yesenia"} {
		if bytes.Contains(db, []byte(leak)) || bytes.Contains(wal, []byte(leak)) {
			t.Errorf("%q is in the database file", leak)
		}
	}
	st, err := os.Stat(os.Getenv("TIPDASH_DB") + ".secret")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secret file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
}

// TestSamePersonLaterBatch: a person id seen in an earlier batch updates
// that person (the keyed hash is stable with the same secret).
func TestSamePersonLaterBatch(t *testing.T) {
	dir := workspace(t)
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	os.WriteFile(a, []byte("ID persona,Rol,Fecha de referencia,Estado de la víctima\nX-1,víctima,01/02/2024,presunta\nX-2,víctima,03/02/2024,presunta\n"), 0o600)
	os.WriteFile(b, []byte("ID persona,Rol,Fecha de referencia,Estado de la víctima\nx 1,víctima,01/02/2024,Acreditada\n"), 0o600)
	mustRun(t, "ingest", a)
	rep := ingestJSON(t, b)
	if rep.Updated != 1 {
		t.Errorf("updated %d, want 1", rep.Updated)
	}
	got := readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "status"))
	if diff := cmp.Diff([][]string{{"status", "count", "note"}, {"presumed", "1", ""}, {"accredited", "1", ""}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func asMain(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TIPDASH_AS_MAIN=1")
	return cmd
}

// TestLockedDatabase: while another process holds the database, the CLI
// says so plainly, with the process id, and changes nothing.
func TestLockedDatabase(t *testing.T) {
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	f := filepath.Join(dir, "c.csv")
	mustRun(t, "gen", "--n", "50", "--out", f)
	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = append(os.Environ(), "TIPDASH_TEST_HOLD="+path)
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder: %q", line)
	}
	for _, args := range [][]string{{"ingest", f}, {"query", "--measure", "victims"}, {"batches", "list"}} {
		r := tipdash(t, args...)
		pid := strconv.Itoa(holder.Process.Pid)
		if r.code != 1 || !strings.Contains(r.stderr, "abierta por otro proceso (PID "+pid+")") || !strings.Contains(r.stderr, "held by another process") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestKilledIngest: an ingest killed with SIGKILL leaves nothing behind,
// and the same file can then be ingested.
func TestKilledIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large file")
	}
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	f := filepath.Join(dir, "grande.csv")
	mustRun(t, "gen", "--n", "400000", "--seed", "3", "--out", f)
	cmd := asMain("ingest", "--no-progress", f)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the transaction has written to the database.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := os.Stat(path + ".wal"); err == nil && st.Size() > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the ingest ended before it was killed (%v): make the file larger", err)
	}
	if list := mustRun(t, "batches", "list"); strings.Contains(list, "grande.csv") {
		t.Errorf("the killed batch is listed:\n%s", list)
	}
	if n := total(t, "smuggled_migrants"); n != 0 {
		t.Errorf("%d records survived the kill", n)
	}
	rep := ingestJSON(t, "--no-progress", f)
	if rep.Status != schemas.BatchStored || rep.BatchID != 1 {
		t.Errorf("after the kill: %s, batch %d", rep.Status, rep.BatchID)
	}
}

// TestCTDC reproduces, from the real CTDC file, figures computed
// independently from it. It skips when the file is absent.
func TestCTDC(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "external", "ctdc_2020-04-14_derived_dados_app.csv")
	if _, err := os.Stat(src); err != nil {
		t.Skip("CTDC file not present:", src)
	}
	workspace(t)
	rep := ingestJSON(t, "--profile", "ctdc", src)
	if rep.Accepted != 48773 || rep.Rejected != 0 {
		t.Fatalf("accepted %d rejected %d, want 48773 and 0", rep.Accepted, rep.Rejected)
	}
	check := func(by string, want map[string]string, extra ...string) {
		t.Helper()
		got := map[string]string{}
		for _, r := range readCSV(t, mustRun(t, append([]string{"query", "--measure", "victims", "--by", by}, extra...)...))[1:] {
			got[r[0]] = r[1]
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s=%s: %s, want %s", by, k, got[k], v)
			}
		}
	}
	check("sex", map[string]string{"female": "35506", "male": "13267"})
	check("exploitation", map[string]string{"sexual": "16039", "forced_labour": "9772", "other": "976", "unknown": "22294"})
	check("age_group", map[string]string{"child": "10201"})
	check("year", map[string]string{"2016": "16399"})
	check("citizenship", map[string]string{"UNK": "9136", "PHL": "11365", "UKR": "7761"})
}

func TestCTDCQuirks(t *testing.T) {
	dir := workspace(t)
	f := filepath.Join(dir, "ctdc.csv")
	os.WriteFile(f, []byte("yearOfRegistration,gender,ageBroad,citizenship,isForcedLabour,isSexualExploit,CountryOfExploitation\n"+
		"2019,Female,9--17,NA,1.0,0.0,US\n"+
		"2019,Male,48+,00,-99,-99,0\n"+
		"2019,Female,,-99,0.0,0.0,\n"+
		"2020,Female,18--20,CO,,1.0,CO\n"), 0o600)
	mustRun(t, "ingest", "--profile", "ctdc", f)
	got := readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "citizenship,flow"))
	want := [][]string{{"citizenship", "flow", "count", "note"}, {"COL", "domestic", "1", ""}, {"NAM", "transnational", "1", ""}, {"UNK", "unknown", "2", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NA is Namibia; 00 and -99 are unknown (-want +got):\n%s", diff)
	}
	got = readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "exploitation"))
	want = [][]string{{"exploitation", "count", "note"}, {"sexual", "1", ""}, {"forced_labour", "1", ""}, {"other", "1", ""}, {"unknown", "1", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

// TestManyRejections: the report lists the first 1000 rejected rows and
// counts the rest (memory stays flat); the quarantine keeps them all, and
// batches show and --report give them all.
func TestManyRejections(t *testing.T) {
	dir := workspace(t)
	var b strings.Builder
	b.WriteString("ID persona,Rol,Fecha de referencia\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "P%d,,01/02/2024\n", i)
	}
	b.WriteString("Q1,víctima,01/02/2024\n")
	f := filepath.Join(dir, "malas.csv")
	os.WriteFile(f, []byte(b.String()), 0o600)
	rp := filepath.Join(dir, "informe.csv")
	rep := ingestJSON(t, "--report", rp, f)
	if rep.Rejected != 1500 || len(rep.Rejections) != 1000 || rep.RejectionsOmitted != 500 || rep.Accepted != 1 {
		t.Errorf("rejected %d, listed %d, omitted %d, accepted %d", rep.Rejected, len(rep.Rejections), rep.RejectionsOmitted, rep.Accepted)
	}
	data, _ := os.ReadFile(rp)
	if rows := readCSV(t, strings.TrimPrefix(string(data), "\ufeff")); len(rows) != 1501 {
		t.Errorf("--report has %d rows, want a header and 1500", len(rows))
	}
	var full schemas.BatchReport
	if err := json.Unmarshal([]byte(mustRun(t, "batches", "show", "--json", "1")), &full); err != nil || len(full.Rejections) != 1500 {
		t.Errorf("batches show: %v, %d rejections", err, len(full.Rejections))
	}
}

// TestUserProfile: the profile example of the README works as documented.
// readmeProfile writes the README's example profile (pani.json) and a
// file in its layout (pani.csv).
func readmeProfile(t *testing.T, dir string) (profile, file string) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "```json\n")
	end := strings.Index(string(readme)[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("no JSON profile example in the README")
	}
	profile = filepath.Join(dir, "pani.json")
	os.WriteFile(profile, readme[start+8:start+8+end], 0o600)
	file = filepath.Join(dir, "pani.csv")
	os.WriteFile(file, []byte("Expediente PANI,Condición,Fecha de ingreso,Sexo,Edad cumplida,Oficina local,Nombre del niño\n"+
		"P-1,víctima,03/04/2024,F,14,OL Upala,Ana\nP-2,víctima,05/04/2024,M,N/D,OL Limón Norte,Luis\n"), 0o600)
	return profile, file
}

func TestUserProfile(t *testing.T) {
	dir := workspace(t)
	prof, f := readmeProfile(t, dir)
	rep := ingestJSON(t, "--profile", prof, f)
	if rep.Accepted != 2 || len(rep.DroppedColumns()) != 1 {
		t.Errorf("accepted %d, dropped %v", rep.Accepted, rep.DroppedColumns())
	}
	got := readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "province,sex_age"))
	want := [][]string{{"province", "sex_age", "count", "note"}, {"CR-A", "girl", "1", ""}, {"CR-L", "unknown", "1", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"name":"x","columns":{"sexo":["Sexo"]}}`), 0o600)
	if r := tipdash(t, "ingest", "--profile", bad, f); r.code != 1 || !strings.Contains(r.stderr, "campo desconocido \"sexo\"") {
		t.Errorf("bad profile: %+v", r)
	}
}

// TestGlotipLabelsAreUNODCs: every label the export writes in Indicator,
// Dimension, Sex, Age and Unit of measurement appears in UNODC's own file
// (the unit up to its first comma: a protected tier says after it how its
// values were protected). It skips when the file is absent.
func TestGlotipLabelsAreUNODCs(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "external", "unodc_glotip_2025-04-14_data_glotip.csv")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip("UNODC file not present:", src)
	}
	unodc := readCSV(t, string(data))
	if diff := cmp.Diff(unodc[0], store.GlotipHeader); diff != "" {
		t.Errorf("header differs from UNODC's (-unodc +ours):\n%s", diff)
	}
	known := map[int]map[string]bool{4: {}, 5: {}, 7: {}, 8: {}, 10: {}}
	for _, r := range unodc[1:] {
		for col := range known {
			known[col][r[col]] = true
		}
	}
	dir := workspace(t)
	mustRun(t, "ingest", costaRica2021(t, dir))
	mustRun(t, "release", "publish", "--kind", "conatt", "--note", "etiquetas")
	for _, tier := range []string{"conatt", "admin"} {
		var rows [][]string
		if tier == "admin" { // exact figures leave as XLSX only: two title rows, then the header
			out := filepath.Join(dir, tier+".xlsx")
			mustRun(t, "export", "--format", "glotip", "--tier", tier, "--out", out)
			rows = xlsxRows(t, out)[3:]
		} else {
			out := filepath.Join(dir, tier+".csv")
			mustRun(t, "export", "--format", "glotip", "--tier", tier, "--out", out)
			ours, _ := os.ReadFile(out)
			rows = readCSV(t, string(ours))[1:]
		}
		for _, r := range rows {
			r[10], _, _ = strings.Cut(r[10], ",")
			for col := range known {
				if !known[col][r[col]] {
					t.Errorf("%s: %s %q is not a label UNODC uses", tier, store.GlotipHeader[col], r[col])
				}
			}
		}
	}
}

// rawDB opens a database file read-only with the DuckDB driver itself, for
// tests that look at what is stored beyond what the store shows.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	return db
}
