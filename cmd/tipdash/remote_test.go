package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conatt/tipdash/schemas"
)

// lockedBuffer is a log a server writes to from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs "tipdash serve" on path in this process and waits for
// its socket; stop shuts it down (and runs at cleanup if not called).
func startServer(t *testing.T, path string) (stop func()) {
	t.Helper()
	t.Setenv("TIPDASH_CONATT_EVERY", "0") // no scheduled release in the middle of a test
	ctx, cancel := context.WithCancel(context.Background())
	var logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", path, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &logs, &logs)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := net.Dial("unix", socketPath(path)); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no socket after a minute:\n%s", logs.String())
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v\n%s", err, logs.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// sameReport compares batch reports but for the time each was made.
func sameReport(t *testing.T, what string, direct, via schemas.BatchReport) {
	t.Helper()
	direct.Meta.Time, via.Meta.Time = time.Time{}, time.Time{}
	if diff := cmp.Diff(direct, via); diff != "" {
		t.Errorf("%s: the report through the server differs (-direct +server):\n%s", what, diff)
	}
}

// TestThroughServer: while "tipdash serve" holds the database, every
// command works through it, prints what it prints without a server, and
// the audit log names the local login.
func TestThroughServer(t *testing.T) {
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	direct := filepath.Join(dir, "direct.duckdb")
	csvFile, xlsxFile := filepath.Join(dir, "enero.csv"), filepath.Join(dir, "febrero.xlsx")
	mustRun(t, "gen", "--n", "800", "--seed", "1", "--out", csvFile)
	mustRun(t, "gen", "--n", "800", "--seed", "2", "--out", xlsxFile)
	more := []string{filepath.Join(dir, "marzo.csv"), filepath.Join(dir, "abril.csv")}
	for i, f := range more {
		mustRun(t, "gen", "--n", "400", "--seed", strconv.Itoa(10+i), "--out", f)
	}

	// The same files into a database with no server, for the outputs to match.
	wantText := mustRun(t, "ingest", "--db", direct, "--entity", "oij", "--report", filepath.Join(dir, "direct.csv"), csvFile)
	wantXLSX := ingestJSON(t, "--db", direct, "--map", "Sexo=sex", xlsxFile)
	wantDry := ingestJSON(t, "--db", direct, "--dry-run", "--strict", csvFile)
	profile, paniFile := readmeProfile(t, dir)
	wantPani := ingestJSON(t, "--db", direct, "--dry-run", "--profile", profile, paniFile)

	stop := startServer(t, path)
	gotText := mustRun(t, "ingest", "--entity", "oij", "--report", filepath.Join(dir, "via.csv"), csvFile)
	if diff := cmp.Diff(wantText, gotText); diff != "" {
		t.Errorf("ingest text (-direct +server):\n%s", diff)
	}
	wantCSV, _ := os.ReadFile(filepath.Join(dir, "direct.csv"))
	gotCSV, _ := os.ReadFile(filepath.Join(dir, "via.csv"))
	if len(wantCSV) == 0 || !bytes.Equal(wantCSV, gotCSV) {
		t.Errorf("--report through the server: %d bytes, want the direct %d", len(gotCSV), len(wantCSV))
	}
	sameReport(t, "xlsx", wantXLSX, ingestJSON(t, "--map", "Sexo=sex", xlsxFile))
	sameReport(t, "dry run", wantDry, ingestJSON(t, "--dry-run", "--strict", csvFile))
	sameReport(t, "a profile file", wantPani, ingestJSON(t, "--dry-run", "--profile", profile, paniFile))

	// The report lists the first 1000 rejections; --report gets them all
	// from the stored batch.
	var b strings.Builder
	b.WriteString("ID persona,Rol,Fecha de referencia\n")
	for i := range 1100 {
		fmt.Fprintf(&b, "P%d,,01/02/2024\n", i)
	}
	bad := writeCSV(t, dir, "malas.csv", b.String())
	mustRun(t, "ingest", "--db", direct, "--report", filepath.Join(dir, "direct-malas.csv"), bad)
	mustRun(t, "ingest", "--report", filepath.Join(dir, "via-malas.csv"), bad)
	wantCSV, _ = os.ReadFile(filepath.Join(dir, "direct-malas.csv"))
	gotCSV, _ = os.ReadFile(filepath.Join(dir, "via-malas.csv"))
	if n := bytes.Count(wantCSV, []byte("\n")); n < 1100 || !bytes.Equal(wantCSV, gotCSV) {
		t.Errorf("--report of 1100 rejections through the server: %d bytes, want the direct %d (%d lines)", len(gotCSV), len(wantCSV), n)
	}

	// Two uploads at once are both stored.
	var wg sync.WaitGroup
	reps := make([]result, len(more))
	for i, f := range more {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"ingest", "--json", f}, strings.NewReader(""), &out, &errb)
			reps[i] = result{exitCode(err, &errb), out.String(), errb.String()}
		}()
	}
	wg.Wait()
	ids := map[int64]bool{}
	for i, r := range reps {
		var rep schemas.BatchReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil || rep.Status != schemas.BatchStored {
			t.Fatalf("upload %d at once: exit %d, %v\n%s%s", i, r.code, err, r.stdout, r.stderr)
		}
		ids[rep.BatchID] = true
	}
	if !ids[4] || !ids[5] {
		t.Errorf("two uploads at once: batches %v, want 4 and 5", ids)
	}
	if out := mustRun(t, "batches", "rollback", "5"); !strings.Contains(out, "lote 5 revertido / batch 5 rolled back") {
		t.Errorf("rollback: %s", out)
	}
	wantRefused(t, tipdash(t, "batches", "purge", "5"), "el servidor en marcha", "the running server")

	rel := lastLine(t, mustRun(t, "release", "publish", "--kind", "conatt", "--note", "por el servidor / through the server"))
	if rel != 1 {
		t.Errorf("release %d, want 1", rel)
	}
	if out := mustRun(t, "release", "publish", "--scheduled"); !strings.Contains(out, "the running server makes the scheduled conatt releases itself") {
		t.Errorf("release publish --scheduled: %s", out)
	}
	password := finalLine(mustRun(t, "user", "add", "ana", "--role", "analyst", "--entity", "pani"))
	if len(password) < schemas.MinPasswordLength {
		t.Errorf("user add: no password on the last line: %q", password)
	}
	token := mustRun(t, "user", "token", "ana")
	if len(strings.TrimSpace(token)) < 20 || strings.Count(token, "\n") != 1 {
		t.Errorf("user token: %q", token)
	}
	id := schemas.TokenID(strings.TrimSpace(token))
	if out := mustRun(t, "user", "tokens", "ana"); !strings.Contains(out, id) {
		t.Errorf("user tokens ana through the server: %s", out)
	}
	mustRun(t, "user", "revoke", "ana", id)
	if out := mustRun(t, "user", "tokens", "ana", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("user tokens ana after revoking its one token: %s", out)
	}
	mustRun(t, "user", "disable", "ana")
	if r := tipdashStdin(t, "una contraseña bastante larga\n", "user", "password", "ana", "--password-stdin"); r.code != 0 {
		t.Errorf("user password: exit %d %s", r.code, r.stderr)
	}

	login := uploader()
	audit := mustRun(t, "audit", "--user", login, "--json")
	var entries []schemas.AuditEntry
	if err := json.Unmarshal([]byte(audit), &entries); err != nil {
		t.Fatal(err)
	}
	actions := map[schemas.AuditAction]bool{}
	for _, e := range entries {
		actions[e.Action] = true
		if e.User != login || e.From != "local" {
			t.Errorf("audit entry of %s from %s, want %s from local", e.User, e.From, login)
		}
	}
	for _, a := range []schemas.AuditAction{schemas.ActionBatchUpload, schemas.ActionBatchRollback, schemas.ActionReleasePublish, schemas.ActionUserAdd, schemas.ActionUserToken, schemas.ActionUserPassword} {
		if !actions[a] {
			t.Errorf("no %s entry by %s in the audit log:\n%s", a, login, mustRun(t, "audit"))
		}
	}
	q := tipdash(t, "query", "--tier", "public", "--measure", "victims", "--by", "year")
	x := tipdash(t, "export", "--format", "csv", "--tier", "public", "--out", filepath.Join(dir, "public.csv"))
	if q.code != 1 || x.code != 1 || !strings.Contains(q.stderr, "there is no approved public release") || x.stderr != q.stderr {
		t.Errorf("tier public before any public release: query exit %d, export exit %d\n%s%s", q.code, x.code, q.stderr, x.stderr)
	}
	public := lastLine(t, mustRun(t, "release", "publish", "--kind", "public", "--note", "para aprobar / to approve"))
	if out := mustRun(t, "release", "approve", strconv.FormatInt(public, 10)); !strings.Contains(out, "approved: its tier reads it now") {
		t.Errorf("release approve: %s", out)
	}
	until := time.Now().UTC().Format(time.RFC3339Nano)

	// What every read command prints through the server is what it
	// prints from the file once the server has stopped.
	reads := [][]string{
		{"batches", "list"},
		{"batches", "list", "--json"},
		{"batches", "show", "2", "--json"},
		{"batches", "show", "1"},
		{"release", "list"},
		{"release", "show", "1"},
		{"release", "show", "1", "--json"},
		{"query", "--measure", "victims", "--by", "year,sex", "--where", "year=2020..2024"},
		{"query", "--measure", "smuggled_migrants", "--by", "sex", "--format", "json"},
		{"query", "--tier", "conatt", "--measure", "victims", "--by", "sex,year", "--where", "sex=female,male"},
		{"query", "--tier", "conatt", "--table", catalogueIDs(schemas.TierConatt)[0], "--format", "json"},
		{"query", "--tier", "public", "--measure", "victims", "--by", "year"},
		{"user", "list"},
		{"user", "list", "--json"},
		{"audit", "--until", until},
		{"export", "--format", "csv", "--out", "EXPORT.csv"},
		{"export", "--format", "glotip", "--release", "1", "--out", "EXPORT.xlsx"},
		{"export", "--format", "glotip", "--tier", "admin", "--out", "EXPORT.xlsx"},
		{"export", "--format", "csv", "--tier", "public", "--out", "EXPORT.csv"},
		{"batches", "show", "99"},
		{"release", "show", "99"},
		{"query", "--tier", "conatt", "--table", "no_such_table"},
		{"export", "--format", "csv", "--release", "7", "--out", "EXPORT.csv"},
	}
	type answer struct {
		result
		file []byte
	}
	ask := func(phase string) []answer {
		var out []answer
		for i, args := range reads {
			args = append([]string{}, args...)
			file := ""
			for j, a := range args {
				if strings.HasPrefix(a, "EXPORT") {
					file = filepath.Join(dir, phase+strconv.Itoa(i)+filepath.Ext(a))
					args[j] = file
				}
			}
			r := tipdash(t, args...)
			if file != "" {
				r.stdout = strings.ReplaceAll(r.stdout, file, "FILE")
			}
			a := answer{result: r}
			if file != "" && !strings.HasSuffix(file, ".xlsx") {
				a.file, _ = os.ReadFile(file)
			}
			out = append(out, a)
		}
		return out
	}
	via := ask("via")
	stop()
	if _, err := os.Stat(socketPath(path)); err == nil {
		t.Errorf("the socket outlives the server")
	}
	fromFile := ask("direct")
	for i, args := range reads {
		if via[i].code != fromFile[i].code || via[i].stdout != fromFile[i].stdout || !bytes.Equal(via[i].file, fromFile[i].file) {
			t.Errorf("tipdash %s: through the server exit %d, from the file exit %d\n%s",
				strings.Join(args, " "), via[i].code, fromFile[i].code, cmp.Diff(fromFile[i].stdout, via[i].stdout))
		}
		line := strings.Join(args, " ")
		// The reads that must fail (an --until timestamp may hold "99" too).
		fails := slices.Contains(args, "99") || strings.Contains(line, "no_such") || strings.Contains(line, "--release 7")
		switch {
		case via[i].stderr != fromFile[i].stderr:
			t.Errorf("tipdash %s: stderr through the server %q, from the file %q", line, via[i].stderr, fromFile[i].stderr)
		case fails && via[i].code != 1:
			t.Errorf("tipdash %s through the server: exit %d, want 1", line, via[i].code)
		case !fails && (via[i].code != 0 || via[i].stdout == ""):
			t.Errorf("tipdash %s through the server: exit %d\n%s", line, via[i].code, via[i].stderr)
		}
	}
}

// TestReadersAtOnce: with no server, a read-only command runs while
// another process reads the same file.
func TestReadersAtOnce(t *testing.T) {
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	f := filepath.Join(dir, "c.csv")
	mustRun(t, "gen", "--n", "300", "--out", f)
	mustRun(t, "ingest", f)
	want := mustRun(t, "query", "--measure", "victims", "--by", "sex")

	reader := exec.Command(os.Args[0], "-test.run=^$")
	reader.Env = append(os.Environ(), "TIPDASH_TEST_HOLD="+path, "TIPDASH_TEST_HOLD_READONLY=1")
	out, _ := reader.StdoutPipe()
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { reader.Process.Kill(); reader.Wait() }()
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("reader: %q", line)
	}
	// Two more processes at once, beside the one holding the file open.
	var wg sync.WaitGroup
	got := make([]string, 2)
	errs := make([]error, 2)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stderr bytes.Buffer
			cmd := asMain("query", "--measure", "victims", "--by", "sex")
			cmd.Stderr = &stderr
			b, err := cmd.Output()
			got[i] = string(b) + stderr.String()
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != want {
			t.Errorf("query %d beside another reader: %v\n%s", i, errs[i], got[i])
		}
	}
	// A writer is still kept out while the file is read.
	if r := tipdash(t, "ingest", f); r.code != 1 || !strings.Contains(r.stderr, "held by another process") {
		t.Errorf("ingest beside a reader: exit %d\n%s", r.code, r.stderr)
	}
}

// TestNewSecretThroughServer: a lost secret stops uploads through the
// server as it stops them without one, and "--new-secret" starts anew
// through it.
func TestNewSecretThroughServer(t *testing.T) {
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	mustRun(t, "ingest", writeCSV(t, dir, "a.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/02/2024\n"))
	os.Remove(path + ".secret")
	startServer(t, path)
	c := writeCSV(t, dir, "c.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/04/2024\n")
	wantRefused(t, tipdash(t, "ingest", c), "falta el secreto", "secret of database", "--new-secret")
	if rep := ingestJSON(t, "--new-secret", c); rep.Status != schemas.BatchStored || rep.Updated != 0 {
		t.Errorf("--new-secret through the server: %s, %d updated", rep.Status, rep.Updated)
	}
	if rep := ingestJSON(t, writeCSV(t, dir, "d.csv", "ID persona,Rol,Fecha\nX-1,víctima,01/05/2024\n")); rep.Updated != 1 {
		t.Errorf("after the new secret: %d updated, want 1", rep.Updated)
	}
}
