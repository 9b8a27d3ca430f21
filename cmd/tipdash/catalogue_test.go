package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/conatt/tipdash/store"
)

// lastLine is the release number "release publish" prints last.
func lastLine(t *testing.T, out string) int64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	n, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		t.Fatalf("the last line is not the release number:\n%s", out)
	}
	return n
}

// catalogueIDs are the ids of the tables of tier t.
func catalogueIDs(t schemas.Tier) []string {
	var ids []string
	for _, s := range schemas.Tables().ForTier(t) {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestTablesJSON: "tables --format json" lists each tier's catalogue with
// id, measure, dimensions and both titles; public tables cross at most two
// dimensions.
func TestTablesJSON(t *testing.T) {
	workspace(t)
	for _, tier := range []schemas.Tier{schemas.TierConatt, schemas.TierPublic} {
		var got []map[string]any
		out := mustRun(t, "tables", "--tier", string(tier), "--format", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", tier, err, out)
		}
		var ids []string
		for _, e := range got {
			id, _ := e["id"].(string)
			ids = append(ids, id)
			by, ok := e["by"].([]any)
			if !ok {
				t.Errorf("%s %s: by is %T, want a list", tier, id, e["by"])
			}
			if tier == schemas.TierPublic && len(by) > 2 {
				t.Errorf("public %s crosses %d dimensions", id, len(by))
			}
			for _, d := range by {
				if _, err := schemas.ParseDim(fmt.Sprint(d)); err != nil {
					t.Errorf("%s %s: %v", tier, id, err)
				}
			}
			if m, _ := e["measure"].(string); !slices.Contains(schemas.Measures, schemas.Measure(m)) {
				t.Errorf("%s %s: measure %q", tier, id, m)
			}
			for _, k := range []string{"title_es", "title_en"} {
				if s, _ := e[k].(string); s == "" {
					t.Errorf("%s %s: no %s", tier, id, k)
				}
			}
			// A table without a year counts the complete years, and says so.
			if years, _ := e["years"].(string); (years == schemas.YearsComplete) == slices.Contains(by, any(string(schemas.DimYear))) {
				t.Errorf("%s %s: by %v, years %q", tier, id, by, years)
			}
		}
		if diff := cmp.Diff(catalogueIDs(tier), ids); diff != "" {
			t.Errorf("%s: ids (-catalogue +tables):\n%s", tier, diff)
		}
	}
	if r := tipdash(t, "tables", "--tier", "admin"); r.code != 2 {
		t.Errorf("tables --tier admin: exit %d, want 2", r.code)
	}
	text := mustRun(t, "tables", "--tier", "public")
	if !strings.Contains(text, "victims_year_sex") || strings.Contains(text, "victims_year_citizenship") {
		t.Errorf("tables --tier public (victims_year_citizenship is conatt only):\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "victims_citizenship ") && (!strings.Contains(line, "(años completos)") || !strings.Contains(line, "(complete years)")) {
			t.Errorf("tables --tier public does not say that victims by citizenship counts the complete years: %s", line)
		}
	}
}

// TestCatalogueTiers: tiers conatt and public answer catalogue tables from
// releases, by id or by measure and dimensions, and their exports are
// layouts of the same release.
func TestCatalogueTiers(t *testing.T) {
	dir := workspace(t)
	f := filepath.Join(dir, "casos.csv")
	mustRun(t, "gen", "--n", "1000", "--seed", "1", "--out", f)
	mustRun(t, "ingest", "--no-progress", f)
	if r := tipdash(t, "query", "--tier", "conatt", "--table", "victims_year_sex"); r.code != 1 ||
		!strings.Contains(r.stderr, "no hay ninguna publicación conatt aprobada") || !strings.Contains(r.stderr, "there is no approved conatt release") {
		t.Errorf("conatt before a release: exit %d\n%s", r.code, r.stderr)
	}
	conatt := lastLine(t, mustRun(t, "release", "publish", "--kind", "conatt", "--note", "mensual"))

	t.Run("query --table prints the CSV shape", func(t *testing.T) {
		recs := readCSV(t, mustRun(t, "query", "--tier", "conatt", "--table", "victims_year_sex_age"))
		if diff := cmp.Diff([]string{"year", "sex_age", "count", "note"}, recs[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		hidden, shown := 0, 0
		for _, r := range recs[1:] {
			if _, err := strconv.Atoi(r[0]); err != nil || schemas.MustDim(schemas.DimSexAge).Index(r[1]) < 0 {
				t.Errorf("row %v: keys are not a year and a sex_age code", r)
			}
			if r[2] == "" {
				hidden++
				if r[3] != schemas.Hidden {
					t.Errorf("row %v: empty count, note %q; want hidden", r, r[3])
				}
				continue
			}
			shown++
			if n, err := strconv.Atoi(r[2]); err != nil || n >= 1 && n <= 4 || r[3] != "" {
				t.Errorf("row %v: want a count that is not 1..4 and no note", r)
			}
		}
		if hidden == 0 || shown == 0 {
			t.Errorf("%d hidden and %d shown rows: the data no longer exercise protection", hidden, shown)
		}
		var tab schemas.Table
		if err := json.Unmarshal([]byte(mustRun(t, "query", "--tier", "conatt", "--table", "victims_year_sex_age", "--format", "json")), &tab); err != nil {
			t.Fatal(err)
		}
		if tab.Release != conatt || tab.ID != "victims_year_sex_age" || len(tab.Rows) != len(recs)-1 {
			t.Errorf("JSON: release %d, table %s, %d rows; want release %d and %d rows", tab.Release, tab.ID, len(tab.Rows), conatt, len(recs)-1)
		}
	})

	t.Run("query --measure --by finds the catalogue table", func(t *testing.T) {
		byTable := readCSV(t, mustRun(t, "query", "--tier", "conatt", "--table", "victims_year_sex"))
		asked := readCSV(t, mustRun(t, "query", "--tier", "conatt", "--measure", "victims", "--by", "sex,year"))
		var want [][]string
		for _, r := range byTable {
			want = append(want, []string{r[1], r[0], r[2], r[3]})
		}
		if diff := cmp.Diff(want, asked); diff != "" {
			t.Errorf("--by sex,year against --table victims_year_sex, columns swapped (-want +got):\n%s", diff)
		}
		in2021 := readCSV(t, mustRun(t, "query", "--tier", "conatt", "--measure", "victims", "--by", "sex,year", "--where", "year=2021"))
		want = want[:1]
		for _, r := range asked[1:] {
			if r[1] == "2021" {
				want = append(want, r)
			}
		}
		if diff := cmp.Diff(want, in2021); diff != "" || len(want) < 2 {
			t.Errorf("--where year=2021 must select the published rows (-want +got):\n%s", diff)
		}
	})

	t.Run("questions outside the catalogue", func(t *testing.T) {
		cases := []struct {
			args []string
			want []string
		}{
			{[]string{"--tier", "conatt", "--measure", "victims", "--by", "sex,province"}, []string{"no es una de ellas", "is not one of them"}},
			{[]string{"--tier", "public", "--measure", "victims", "--by", "year,exploitation_main"}, []string{"no es una de ellas", "is not one of them"}},
			{[]string{"--tier", "conatt", "--table", "victims_by_colour"}, []string{"no publica la tabla", "publishes no table"}},
			{[]string{"--tier", "public", "--table", "victims_year_citizenship"}, []string{"no publica la tabla", "publishes no table"}},
		}
		for _, c := range cases {
			r := tipdash(t, append([]string{"query"}, c.args...)...)
			if r.code != 1 {
				t.Errorf("%v: exit %d, want 1\n%s", c.args, r.code, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, r.stderr)
				}
			}
			// Both the Spanish and the English line name tables of the tier.
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 2 {
				t.Errorf("%v: want a Spanish and an English line:\n%s", c.args, r.stderr)
			}
			for _, l := range lines {
				if !slices.ContainsFunc(catalogueIDs(schemas.TierConatt), func(id string) bool { return strings.Contains(l, id+",") || strings.HasSuffix(l, id) }) {
					t.Errorf("%v: %q names no table of the catalogue", c.args, l)
				}
			}
		}
		r := tipdash(t, "query", "--tier", "conatt", "--table", "victims_year_sex", "--where", "province=CR-SJ")
		if r.code != 1 || !strings.Contains(r.stderr, "no tiene la dimensión province") || !strings.Contains(r.stderr, "has no dimension province") {
			t.Errorf("a filter on a dimension the table lacks: exit %d\n%s", r.code, r.stderr)
		}
	})

	// Public releases wait for an administrator.
	public := lastLine(t, mustRun(t, "release", "publish", "--kind", "public", "--note", "anual"))
	if r := tipdash(t, "query", "--tier", "public", "--table", "victims_year_sex"); r.code != 1 || !strings.Contains(r.stderr, "no hay ninguna publicación public aprobada") {
		t.Errorf("public before approval: exit %d\n%s", r.code, r.stderr)
	}
	if r := tipdash(t, "query", "--tier", "public", "--table", "victims_year_sex", "--release", fmt.Sprint(public)); r.code != 1 || !strings.Contains(r.stderr, "no está aprobada") {
		t.Errorf("the draft by number: exit %d\n%s", r.code, r.stderr)
	}
	if r := tipdash(t, "query", "--tier", "public", "--table", "victims_year_sex", "--release", fmt.Sprint(conatt)); r.code != 1 || !strings.Contains(r.stderr, "is of tier conatt") {
		t.Errorf("the conatt release at tier public: exit %d\n%s", r.code, r.stderr)
	}
	if r := tipdash(t, "release", "approve", "99"); r.code != 1 || !strings.Contains(r.stderr, "no existe la publicación 99") {
		t.Errorf("approving a release that does not exist: exit %d\n%s", r.code, r.stderr)
	}
	mustRun(t, "release", "approve", fmt.Sprint(public))
	if r := tipdash(t, "release", "approve", fmt.Sprint(public)); r.code != 1 {
		t.Errorf("approving twice: exit %d", r.code)
	}

	t.Run("release show and list", func(t *testing.T) {
		var rep schemas.ReleaseReport
		if err := json.Unmarshal([]byte(mustRun(t, "release", "show", "--json", fmt.Sprint(public))), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.ID != public || rep.Kind != schemas.TierPublic || rep.Status != schemas.ReleaseApproved {
			t.Errorf("release show: %d %s %s", rep.ID, rep.Kind, rep.Status)
		}
		var ids []string
		for _, tr := range rep.Tables {
			ids = append(ids, tr.ID)
			if tr.Hidden > tr.Cells || tr.ShownPeople > tr.People || tr.Cells == 0 {
				t.Errorf("report of %s: %+v", tr.ID, tr)
			}
		}
		if diff := cmp.Diff(catalogueIDs(schemas.TierPublic), ids); diff != "" {
			t.Errorf("report tables (-catalogue +report):\n%s", diff)
		}
		list := mustRun(t, "release", "list")
		for _, w := range []string{"mensual", "anual", "conatt", "public"} {
			if !strings.Contains(list, w) {
				t.Errorf("release list lacks %q:\n%s", w, list)
			}
		}
	})

	t.Run("export csv --tier public", func(t *testing.T) {
		out := filepath.Join(dir, "public.csv")
		mustRun(t, "export", "--format", "csv", "--tier", "public", "--out", out)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, string(data))
		if diff := cmp.Diff([]string{"table", "measure", "dimension_1", "code_1", "dimension_2", "code_2", "dimension_3", "code_3", "count", "note"}, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		var ids []string
		hidden := 0
		yearSex := [][]string{{"year", "sex", "count", "note"}}
		for _, r := range rows[1:] {
			if !slices.Contains(ids, r[0]) {
				ids = append(ids, r[0])
			}
			if r[8] == "" {
				if r[9] == schemas.Hidden {
					hidden++
				}
				continue
			}
			if n, err := strconv.Atoi(r[8]); err != nil || n%5 != 0 || n >= 1 && n <= 9 {
				t.Errorf("row %v: want a multiple of 5, never 1..9", r)
			}
			if r[0] == "victims_year_sex" {
				yearSex = append(yearSex, []string{r[3], r[5], r[8], r[9]})
			}
		}
		if diff := cmp.Diff(catalogueIDs(schemas.TierPublic), ids); diff != "" {
			t.Errorf("tables exported (-catalogue +export):\n%s", diff)
		}
		if hidden == 0 {
			t.Error("no hidden cell in the export: the data no longer exercise protection")
		}
		var shown [][]string
		for _, r := range readCSV(t, mustRun(t, "query", "--tier", "public", "--table", "victims_year_sex")) {
			if r[2] != "" || r[0] == "year" {
				shown = append(shown, r)
			}
		}
		if diff := cmp.Diff(shown, yearSex); diff != "" {
			t.Errorf("victims_year_sex: the export's shown cells differ from the query's (-query +export):\n%s", diff)
		}
	})

	t.Run("export glotip --tier conatt", func(t *testing.T) {
		out := filepath.Join(dir, "glotip.csv")
		mustRun(t, "export", "--format", "glotip", "--tier", "conatt", "--out", out)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "<5") {
			t.Error("a GLOTIP cell reads <5: hidden cells read x")
		}
		byYear := map[string]string{}
		hidden := 0
		for _, r := range readCSV(t, string(data))[1:] {
			if r[11] == store.GlotipHidden {
				hidden++
			} else if n, err := strconv.Atoi(r[11]); err != nil || n >= 1 && n <= 4 {
				t.Errorf("row %v: want x or a count that is not 1..4", r)
			}
			if r[4] == "Detected trafficking victims" && r[5] == "Total" && r[7] == "Total" && r[8] == "Total" {
				byYear[r[9]] = r[11]
			}
		}
		if hidden == 0 {
			t.Error("no x in the export: the data no longer exercise protection")
		}
		want := map[string]string{}
		for _, r := range readCSV(t, mustRun(t, "query", "--tier", "conatt", "--table", "victims_year"))[1:] {
			want[r[0]] = r[1]
			if r[1] == "" {
				want[r[0]] = store.GlotipHidden
			}
		}
		if diff := cmp.Diff(want, byYear); diff != "" {
			t.Errorf("victims by year: GLOTIP against the conatt table (-query +glotip):\n%s", diff)
		}
	})

	t.Run("export glotip --tier admin is exact and confidential", func(t *testing.T) {
		out := filepath.Join(dir, "glotip_admin.xlsx")
		mustRun(t, "export", "--format", "glotip", "--tier", "admin", "--out", out)
		rows := xlsxRows(t, out)
		if !strings.Contains(rows[0][0], "CONFIDENCIAL / CONFIDENTIAL") {
			t.Errorf("title %q: want CONFIDENCIAL / CONFIDENTIAL", rows[0])
		}
		got := map[string]string{}
		for _, r := range rows[3:] {
			if r[11] == store.GlotipHidden {
				t.Errorf("row %v: the admin export hides nothing", r)
			}
			if r[4] == "Detected trafficking victims" && r[5] == "Total" && r[8] == "Total" {
				got[r[9]+"|"+r[7]] = r[11]
			}
		}
		want := map[string]string{}
		for _, r := range readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "year"))[1:] {
			want[r[0]+"|Total"] = r[1]
		}
		for _, r := range readCSV(t, mustRun(t, "query", "--measure", "victims", "--by", "year,sex"))[1:] {
			if r[1] == "female" || r[1] == "male" {
				want[r[0]+"|"+strings.ToUpper(r[1][:1])+r[1][1:]] = r[2]
			}
		}
		for k := range got { // sex other and unknown are not compared
			if strings.HasSuffix(k, "|Other") || strings.HasSuffix(k, "|Unknown") {
				delete(got, k)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("victims by year and sex: GLOTIP admin against query at tier admin (-query +glotip):\n%s", diff)
		}
	})

	t.Run("TIPDASH_CONATT_APPROVAL=required", func(t *testing.T) {
		t.Setenv("TIPDASH_CONATT_APPROVAL", "required")
		out := mustRun(t, "release", "publish", "--kind", "conatt", "--note", "con aprobación")
		draft := lastLine(t, out)
		if !strings.Contains(out, "release approve "+fmt.Sprint(draft)) {
			t.Errorf("publish does not say how to approve:\n%s", out)
		}
		// served returns the release tier conatt reads victims_total from,
		// and the release its first note names as the latest: the latest
		// may carry the table over from an earlier one (it changed by
		// fewer than 5 people since: "Unchanged since release N"), or hide
		// the total, which is then served from the release that shows it
		// ("Table of release N (date): release M (date) shows fewer").
		served := func() (int64, string) {
			var tab schemas.Table
			if err := json.Unmarshal([]byte(mustRun(t, "query", "--tier", "conatt", "--table", "victims_total", "--format", "json")), &tab); err != nil {
				t.Fatal(err)
			}
			note := ""
			if len(tab.Notes) > 0 {
				note = tab.Notes[0].EN
			}
			return tab.Release, note
		}
		if n, note := served(); n != conatt || strings.HasPrefix(note, "Unchanged") || strings.HasPrefix(note, "Table of release") {
			t.Errorf("tier conatt serves release %d (%q), want %d as it is until %d is approved", n, note, conatt, draft)
		}
		if r := tipdash(t, "query", "--tier", "conatt", "--table", "victims_total", "--release", fmt.Sprint(draft)); r.code != 1 || !strings.Contains(r.stderr, "not approved") {
			t.Errorf("the draft by number: exit %d\n%s", r.code, r.stderr)
		}
		mustRun(t, "release", "approve", fmt.Sprint(draft))
		if n, note := served(); n != draft && !(n == conatt && (strings.HasPrefix(note, "Unchanged since release") || strings.Contains(note, fmt.Sprintf(": release %d (", draft)))) {
			t.Errorf("tier conatt serves release %d (%q) after approving %d", n, note, draft)
		}
	})

	t.Run("TIPDASH_PUBLISH_BUDGET", func(t *testing.T) {
		t.Setenv("TIPDASH_PUBLISH_BUDGET", "soon")
		if r := tipdash(t, "release", "publish", "--kind", "conatt", "--note", "x"); r.code != 2 || !strings.Contains(r.stderr, "TIPDASH_PUBLISH_BUDGET") {
			t.Errorf("a budget that is not a duration: exit %d\n%s", r.code, r.stderr)
		}
		// Out of time at once: nothing with a hidden cell is proven, so
		// those tables are withheld, never published unchecked.
		t.Setenv("TIPDASH_PUBLISH_BUDGET", "1ns")
		n := lastLine(t, mustRun(t, "release", "publish", "--kind", "conatt", "--note", "sin tiempo"))
		var rep schemas.ReleaseReport
		if err := json.Unmarshal([]byte(mustRun(t, "release", "show", fmt.Sprint(n), "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		withheld := 0
		for _, tb := range rep.Tables {
			if tb.Withheld {
				withheld++
			}
		}
		if withheld == 0 {
			t.Errorf("release %d, checked with a budget of 1ns, withheld no table", n)
		}
	})
}

// TestKilledPublish: "release publish" killed (SIGKILL) at several points
// leaves either no new release or a complete one, never a release with
// missing tables or no report that could be approved.
func TestKilledPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes several times")
	}
	dir := workspace(t)
	path := os.Getenv("TIPDASH_DB")
	f := filepath.Join(dir, "casos.csv")
	mustRun(t, "gen", "--n", "2000", "--seed", "4", "--out", f)
	mustRun(t, "ingest", "--no-progress", f)
	// A public release is checked with the conatt release of the same records.
	mustRun(t, "release", "publish", "--kind", "conatt", "--note", "conatt")
	ctx := context.Background()
	// One publish to the end says how long one takes; the kills fall at
	// fractions of that, most near the end, where the tables are written.
	// A publish that ends before its kill shortens the reference.
	start := time.Now()
	if err := asMain("release", "publish", "--kind", "public", "--note", "completa").Run(); err != nil {
		t.Fatal(err)
	}
	full := time.Since(start)
	killed, before := 0, 1
	for _, frac := range []float64{0.1, 0.4, 0.7, 0.85, 0.95} {
		after := time.Duration(frac * float64(full))
		cmd := asMain("release", "publish", "--kind", "public", "--note", "interrumpida")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		cmd.Process.Signal(syscall.SIGKILL)
		var ee *exec.ExitError
		err := cmd.Wait()
		switch {
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			killed++
		case err != nil:
			t.Fatalf("publish failed before the kill at %v: %v", after, err)
		default:
			full = min(full, time.Since(start))
		}

		db, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatalf("after a kill at %v: %v", after, err)
		}
		rels, err := db.Releases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) > before+1 {
			t.Errorf("after a kill at %v: %d releases, had %d", after, len(rels), before)
		}
		before = len(rels)
		reports := map[int64]*schemas.ReleaseReport{}
		for _, r := range rels {
			rep, err := db.ReleaseReport(ctx, r.ID)
			if err != nil {
				t.Errorf("after a kill at %v, release %d: report: %v", after, r.ID, err)
				continue
			}
			reports[r.ID] = rep
		}
		db.Close()
		raw := rawDB(t, path)
		for _, r := range rels {
			var tables, withCells int
			raw.QueryRow(`SELECT count(*), count(*) FILTER (WHERE cells <> '[]') FROM release_tables WHERE release = ?`, r.ID).Scan(&tables, &withCells)
			rep, ok := reports[r.ID]
			if !ok {
				continue
			}
			// A table by year is stored as two parts: its complete years
			// and its year in progress.
			want, rows := len(schemas.Tables().ForTier(r.Kind)), 0
			for _, s := range schemas.Tables().ForTier(r.Kind) {
				rows++
				if slices.Contains(s.By, schemas.DimYear) {
					rows++
				}
			}
			if tables != rows || len(rep.Tables) != want || withCells == 0 {
				t.Errorf("after a kill at %v, release %d: %d stored tables (%d with cells), report of %d tables; want %d tables in %d rows", after, r.ID, tables, withCells, len(rep.Tables), want, rows)
			}
		}
		var orphans int
		raw.QueryRow(`SELECT count(*) FROM release_tables WHERE release NOT IN (SELECT id FROM releases)`).Scan(&orphans)
		if orphans != 0 {
			t.Errorf("after a kill at %v: %d tables of no release", after, orphans)
		}
		raw.Close()
	}
	t.Logf("a publish takes %v; %d of 5 killed before they finished; %d releases after the kills", full, killed, before)
	if killed < 2 {
		t.Errorf("only %d of the publishes were killed before they finished: publish more records", killed)
	}
	if r := tipdash(t, "release", "approve", fmt.Sprint(before+100)); r.code != 1 || !strings.Contains(r.stderr, "there is no release") {
		t.Errorf("approving a release that does not exist: exit %d\n%s", r.code, r.stderr)
	}
	// The database still works: a publish completes and is served once approved.
	n := lastLine(t, mustRun(t, "release", "publish", "--kind", "public", "--note", "completa"))
	mustRun(t, "release", "approve", fmt.Sprint(n))
	if recs := readCSV(t, mustRun(t, "query", "--tier", "public", "--table", "victims_total")); len(recs) != 2 || recs[1][0] == "" {
		t.Errorf("victims_total after the kills: %v", recs)
	}
}
