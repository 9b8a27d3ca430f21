package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conatt/tipdash/schemas"
)

// TestMain lets this test binary play a second process that holds a
// database open (for the lock and crash tests).
func TestMain(m *testing.M) {
	if path := os.Getenv("TIPDASH_TEST_HOLD"); path != "" {
		holdDatabase(path, os.Getenv("TIPDASH_TEST_MODE"))
		return
	}
	os.Exit(m.Run())
}

func holdDatabase(path, mode string) {
	ctx := context.Background()
	db, err := Open(ctx, path, Options{MemoryLimit: "64MB"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if mode == "batch" {
		b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: "killed.csv", Hash: "h-killed", Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		recs := make([]schemas.Record, 0, 200000)
		for i := range 200000 {
			recs = append(recs, rec(i+2, fmt.Sprint("p", i), schemas.RoleVictim, schemas.SexFemale, 2023))
		}
		if err := b.Append(ctx, recs); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		if _, err := b.Duplicates(ctx); err != nil { // flushes the appenders into the transaction
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
}

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func key(id string) schemas.Key {
	var k schemas.Key
	copy(k[:], id)
	return k
}

func rec(row int, person string, role schemas.Role, sex schemas.Sex, year int) schemas.Record {
	r := schemas.Record{Row: row, Role: role, Sex: sex, Year: year, Month: 1 + row%12, Day: 1 + row%28, Age: -1,
		Citizenship: schemas.CountryUnknown, CountryExploitation: schemas.CountryUnknown,
		Exploitation: schemas.SetOf(schemas.ExploitationUnknown), Recruitment: schemas.SetOf(schemas.RecruitmentUnknown),
		AgeGroup: schemas.AgeGroupUnknown, AgeBand: schemas.AgeBandUnknown, SexAge: schemas.SexAgeUnknown,
		GenderIdentity: schemas.GenderIdentityUnknown, Province: schemas.ProvinceUnknown, BorderPost: schemas.BorderPostUnknown,
		Status: schemas.StatusUnknown, CJStage: schemas.CJStageUnknown, MigrationStatus: schemas.MigrationStatusUnknown,
		ReferringInstitution: schemas.InstitutionUnknown, ReportingEntity: schemas.InstitutionOij, Sector: schemas.SectorUnknown,
		ExploitationMain: schemas.ExploitationMainUnknown, ICCS: schemas.ICCS0204, Flow: schemas.FlowUnknown}
	if role != schemas.RoleVictim {
		r.Offence, r.ICCS = schemas.OffenceSom, schemas.ICCS08051
	}
	if person != "" {
		r.PersonKey = key(person)
	}
	return r
}

func store(t *testing.T, db *DB, file string, recs ...schemas.Record) (*schemas.BatchReport, []schemas.Duplicate) {
	t.Helper()
	ctx := context.Background()
	b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: file, Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	dups, err := b.Duplicates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep := &schemas.BatchReport{Meta: schemas.BatchMeta{Hash: "hash-" + file}, Rows: len(recs), Accepted: len(recs) - len(dups)}
	if _, _, err := b.Commit(ctx, rep); err != nil {
		t.Fatal(err)
	}
	return rep, dups
}

func count(t *testing.T, db *DB, q schemas.Query) map[string]int {
	t.Helper()
	tab, err := db.Aggregate(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range tab.Rows {
		out[strings.Join(r.Keys, "|")] = *r.Count
	}
	return out
}

func victimsBy(d ...schemas.Dim) schemas.Query {
	return schemas.Query{Measure: schemas.MeasureVictims, By: d}
}

// TestVersionsAndRollback: a later batch updates a person, the earlier
// version is kept, and rolling back restores it.
func TestVersionsAndRollback(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	p1 := rec(2, "P1", schemas.RoleVictim, schemas.SexFemale, 2023)
	p1.Status = schemas.StatusPresumed
	rep1, _ := store(t, db, "enero.csv", p1, rec(3, "P2", schemas.RoleVictim, schemas.SexMale, 2023), rec(4, "", schemas.RoleSmuggledMigrant, schemas.SexMale, 2023))
	p1b := p1
	p1b.Row, p1b.Status = 2, schemas.StatusAccredited
	rep2, _ := store(t, db, "febrero.csv", p1b, rec(3, "P4", schemas.RoleVictim, schemas.SexFemale, 2024))
	if rep1.Updated != 0 || rep2.Updated != 1 {
		t.Errorf("updated: %d, %d; want 0, 1", rep1.Updated, rep2.Updated)
	}
	if diff := cmp.Diff(map[string]int{"accredited": 1, "unknown": 2}, count(t, db, victimsBy(schemas.DimStatus))); diff != "" {
		t.Errorf("after the update (-want +got):\n%s", diff)
	}
	var versions int
	db.sql.QueryRow(`SELECT count(*) FROM record_versions WHERE id & 4294967295 = 2`).Scan(&versions) // P1 is row 2 of both batches
	if versions != 2 {
		t.Errorf("P1 has %d versions, want the earlier one kept too", versions)
	}
	if err := db.Rollback(ctx, rep2.BatchID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"presumed": 1, "unknown": 1}, count(t, db, victimsBy(schemas.DimStatus))); diff != "" {
		t.Errorf("after rollback (-want +got):\n%s", diff)
	}
	if err := db.Rollback(ctx, rep2.BatchID, time.Now()); !errors.Is(err, schemas.ErrConflict) {
		t.Errorf("second rollback: %v, want ErrConflict (409)", err)
	}
	if err := db.Rollback(ctx, 99, time.Now()); !errors.Is(err, schemas.ErrNotFound) {
		t.Errorf("rollback of no batch: %v, want ErrNotFound", err)
	}
	// The same file can come in again after a rollback, and rolling back
	// the first batch then keeps the newer version of P1.
	if id, found, _ := db.BatchByHash(ctx, "hash-febrero.csv"); found {
		t.Errorf("a rolled-back batch (%d) still blocks its file", id)
	}
	rep3, _ := store(t, db, "febrero.csv", p1b, rec(3, "P4", schemas.RoleVictim, schemas.SexFemale, 2024))
	if err := db.Rollback(ctx, rep1.BatchID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"accredited": 1, "unknown": 1}, count(t, db, victimsBy(schemas.DimStatus))); diff != "" {
		t.Errorf("after rolling back the first batch (-want +got):\n%s", diff)
	}
	list, err := db.Batches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, b := range list {
		states = append(states, fmt.Sprintf("%d:%s", b.ID, b.Status))
	}
	if diff := cmp.Diff([]string{fmt.Sprintf("%d:stored", rep3.BatchID), "2:rolled_back", "1:rolled_back"}, states); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestDuplicatesKeepFirst(t *testing.T) {
	db, _ := openTemp(t)
	a := rec(2, "P1", schemas.RoleVictim, schemas.SexFemale, 2023)
	b := rec(5, "P1", schemas.RoleVictim, schemas.SexMale, 2023)
	c := rec(7, "P1", schemas.RoleVictim, schemas.SexMale, 2024)
	_, dups := store(t, db, "d.csv", a, rec(3, "P2", schemas.RoleVictim, schemas.SexMale, 2023), b, c, rec(8, "", schemas.RoleVictim, schemas.SexMale, 2023), rec(9, "", schemas.RoleVictim, schemas.SexMale, 2023))
	var got []string
	for _, d := range dups {
		got = append(got, fmt.Sprintf("%d<-%d %s %s", d.Row, d.FirstRow, d.Cells["sex"], d.Role))
	}
	if diff := cmp.Diff([]string{"5<-2 male victim", "7<-2 male victim"}, got); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"female": 1, "male": 3}, count(t, db, victimsBy(schemas.DimSex))); diff != "" {
		t.Errorf("kept rows (-want +got):\n%s", diff)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: "x", Hash: "h", Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	b.Append(ctx, []schemas.Record{rec(2, "P", schemas.RoleVictim, schemas.SexFemale, 2023)})
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, db)
}

func assertEmpty(t *testing.T, db *DB) {
	t.Helper()
	for _, tab := range []string{"batches", "record_versions", "quarantine"} {
		var n int
		if err := db.sql.QueryRow(`SELECT count(*) FROM ` + tab).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows, want none", tab, n)
		}
	}
}

// TestAggregateMatchesView: the aggregate path (grouping code indexes) gives
// the numbers a person gets from the documented records views with DuckDB.
func TestAggregateMatchesView(t *testing.T) {
	db, _ := openTemp(t)
	r := rand.New(rand.NewPCG(1, 2))
	var recs []schemas.Record
	for i := range 3000 {
		x := rec(i+2, "", schemas.Role(r.IntN(3)), schemas.Sex(r.IntN(4)), 2018+r.IntN(7))
		x.Month = r.IntN(13)
		x.Province = schemas.Province(r.IntN(9))
		x.AgeGroup = schemas.AgeGroup(r.IntN(3))
		x.Citizenship = schemas.Country(r.IntN(251))
		x.Exploitation = schemas.SetOf(schemas.Exploitation(r.IntN(12)), schemas.Exploitation(r.IntN(12)))
		x.ICCS = schemas.ICCS(r.IntN(6))
		recs = append(recs, x)
	}
	store(t, db, "r.csv", recs...)
	cases := []struct {
		by   []schemas.Dim
		view string
	}{
		{nil, `SELECT count(*) FROM records WHERE role = 'victim'`},
		{[]schemas.Dim{schemas.DimSex}, `SELECT sex, count(*) FROM records WHERE role = 'victim' GROUP BY ALL ORDER BY ALL`},
		{[]schemas.Dim{schemas.DimYear, schemas.DimQuarter, schemas.DimProvince}, `SELECT year, quarter, province, count(*) FROM records WHERE role = 'victim' GROUP BY ALL ORDER BY ALL`},
		{[]schemas.Dim{schemas.DimMonth, schemas.DimCitizenship}, `SELECT month, citizenship, count(*) FROM records WHERE role = 'victim' GROUP BY ALL ORDER BY ALL`},
		{[]schemas.Dim{schemas.DimExploitation, schemas.DimAgeGroup}, `SELECT e.exploitation, r.age_group, count(*) FROM records r JOIN records_exploitation e USING (id) WHERE role = 'victim' GROUP BY ALL ORDER BY ALL`},
		{[]schemas.Dim{schemas.DimICCS}, `SELECT iccs, count(*) FROM records WHERE role = 'victim' GROUP BY ALL ORDER BY ALL`},
	}
	for _, c := range cases {
		rows, err := db.sql.Query(c.view)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for rows.Next() {
			vals := make([]any, len(c.by)+1)
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			var parts []string
			for _, v := range vals {
				parts = append(parts, fmt.Sprint(v))
			}
			want = append(want, strings.Join(parts, "|"))
		}
		rows.Close()
		tab, err := db.Aggregate(context.Background(), schemas.Query{Measure: schemas.MeasureVictims, By: c.by})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range tab.Rows {
			got = append(got, strings.Join(append(slices.Clone(r.Keys), strconv.Itoa(*r.Count)), "|"))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("by %v: aggregate differs from the view (-view +aggregate):\n%s", c.by, diff)
		}
	}
}

func TestFilters(t *testing.T) {
	db, _ := openTemp(t)
	var recs []schemas.Record
	want := 0
	for i := range 400 {
		x := rec(i+2, "", schemas.RoleVictim, schemas.Sex(i%4), 2015+i%10)
		x.Exploitation = schemas.SetOf(schemas.Exploitation(i % 3))
		x.Province = schemas.Province(i % 9)
		recs = append(recs, x)
		if x.Year >= 2019 && x.Year <= 2023 && x.Sex != schemas.SexOther && x.Sex != schemas.SexUnknown &&
			x.Exploitation.Has(schemas.ExploitationSexual) && x.Province != schemas.ProvinceL {
			want++
		}
	}
	store(t, db, "f.csv", recs...)
	var where []schemas.Filter
	for _, f := range []string{"year=2019..2023", "sex=female,male", "exploitation=sexual", "province=CR-SJ,CR-A,CR-C,CR-H,CR-G,CR-P,abroad,unknown"} {
		x, err := schemas.ParseFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		where = append(where, x)
	}
	got := count(t, db, schemas.Query{Measure: schemas.MeasureVictims, Where: where})
	if got[""] != want || want == 0 {
		t.Errorf("filtered total %d, want %d", got[""], want)
	}
}

func startHolder(t *testing.T, path, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TIPDASH_TEST_HOLD="+path, "TIPDASH_TEST_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		t.Fatalf("holder: %q", line)
	}
	return cmd
}

func TestLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.duckdb")
	holder := startHolder(t, path, "")
	defer func() { holder.Process.Kill(); holder.Wait() }()
	for _, opt := range []Options{{}, {ReadOnly: true}} {
		_, err := Open(context.Background(), path, opt)
		var se *schemas.Error
		if !errors.As(err, &se) || !errors.Is(err, schemas.ErrConflict) || se.Code != "database_locked" || !strings.Contains(se.Msg.EN, fmt.Sprintf("PID %d", holder.Process.Pid)) {
			t.Fatalf("open %+v: %v, want a LockedError naming PID %d", opt, err, holder.Process.Pid)
		}
		for _, w := range []string{"otro proceso", "another process", strconv.Itoa(holder.Process.Pid)} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("message lacks %q: %v", w, err)
			}
		}
	}
}

// TestKilledMidBatch: a process killed (SIGKILL) in the middle of a batch
// leaves nothing behind, and the same file can be stored afterwards.
func TestKilledMidBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.duckdb")
	holder := startHolder(t, path, "batch")
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	assertEmpty(t, db)
	if _, found, _ := db.BatchByHash(context.Background(), "h-killed"); found {
		t.Error("the killed batch's file is known")
	}
	rep, _ := store(t, db, "killed.csv", rec(2, "P", schemas.RoleVictim, schemas.SexFemale, 2023))
	if rep.BatchID != 1 {
		t.Errorf("first batch after the crash has id %d", rep.BatchID)
	}
}
