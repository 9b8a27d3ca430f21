// Command bench measures tipdash's ingest and query speed and memory against
// baselines measured in the same run, on this machine: DuckDB's own CSV
// loader for ingest, and the same GROUP BY on the records view for queries.
// It prints ratios (medians of alternating runs), because absolute times on
// shared machines are noise. Run it with `make bench`.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/dashboard"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

func main() {
	tipdash := flag.String("tipdash", "./tipdash", "the tipdash binary")
	rows := flag.Int("rows", 1_000_000, "rows of the large CSV")
	small := flag.Int("small", 200_000, "rows of the small CSV (memory must not grow with the file)")
	xlsxRows := flag.Int("xlsx", 100_000, "rows of the XLSX file")
	runs := flag.Int("runs", 3, "runs of each measurement (the median is reported)")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed after)")
	baselineCSV := flag.String("baseline-csv", "", "internal: load this CSV with DuckDB's read_csv")
	baselineDB := flag.String("baseline-db", "", "internal: into this database")
	apiOnly := flag.String("api", "", "only the HTTP API part, on this database (with a conatt release)")
	flag.Parse()
	if *apiOnly != "" {
		if err := benchAPI(*apiOnly, 0); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *baselineCSV != "" {
		if err := duckdbLoad(*baselineCSV, *baselineDB); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := bench(*tipdash, *dir, *rows, *small, *xlsxRows, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// duckdbLoad is the ingest baseline: DuckDB parses the same file into a
// table of text columns in a file database.
func duckdbLoad(csvPath, dbPath string) error {
	conn, err := duckdb.NewConnector(dbPath+"?autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)`, csvPath)
	return err
}

type measure struct {
	wall time.Duration
	rss  int64 // KiB
}

// timed runs a command and returns its wall time and peak resident memory.
func timed(name string, args ...string) (measure, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	t := time.Now()
	if err := cmd.Run(); err != nil {
		return measure{}, fmt.Errorf("%s %v: %w", name, args, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return measure{wall: time.Since(t), rss: ru.Maxrss}, nil
}

func median(ms []measure) measure {
	s := slices.Clone(ms)
	slices.SortFunc(s, func(a, b measure) int { return int(a.wall - b.wall) })
	peak := int64(0)
	for _, m := range ms {
		peak = max(peak, m.rss)
	}
	return measure{wall: s[len(s)/2].wall, rss: peak}
}

func bench(tipdash, dir string, rows, small, xlsxRows, runs int) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "tipdash-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("tipdash bench: %d runs each, medians; machine: %d CPUs\n\n", runs, runtime.NumCPU())
	fmt.Printf("%-34s %12s %12s %8s %14s\n", "ingest (CSV from tipdash gen)", "tipdash", "duckdb", "ratio", "tipdash RSS")
	dbs := map[int]string{}
	for _, n := range []int{small, rows} {
		csvPath := filepath.Join(dir, fmt.Sprintf("eri_%d.csv", n))
		if _, err := timed(tipdash, "gen", "--n", strconv.Itoa(n), "--seed", "1", "--out", csvPath); err != nil {
			return err
		}
		var ours, base []measure
		for i := range runs {
			db := filepath.Join(dir, fmt.Sprintf("t_%d_%d.duckdb", n, i))
			bdb := filepath.Join(dir, fmt.Sprintf("b_%d_%d.duckdb", n, i))
			b, err := timed(self, "-baseline-csv", csvPath, "-baseline-db", bdb)
			if err != nil {
				return err
			}
			o, err := timed(tipdash, "ingest", "--no-progress", "--db", db, csvPath)
			if err != nil {
				return err
			}
			ours, base = append(ours, o), append(base, b)
			os.Remove(bdb)
			if i == runs-1 {
				dbs[n] = db
			} else {
				os.Remove(db)
				os.Remove(db + ".wal")
			}
		}
		o, b := median(ours), median(base)
		fmt.Printf("%-34s %11.2fs %11.2fs %8.2f %11d MB\n", fmt.Sprintf("%d rows", n), o.wall.Seconds(), b.wall.Seconds(),
			o.wall.Seconds()/b.wall.Seconds(), o.rss/1024)
		os.Remove(csvPath)
	}

	xlsxPath := filepath.Join(dir, "eri.xlsx")
	if _, err := timed(tipdash, "gen", "--n", strconv.Itoa(xlsxRows), "--seed", "2", "--out", xlsxPath); err != nil {
		return err
	}
	var xs []measure
	for i := range runs {
		db := filepath.Join(dir, fmt.Sprintf("x_%d.duckdb", i))
		m, err := timed(tipdash, "ingest", "--no-progress", "--db", db, xlsxPath)
		if err != nil {
			return err
		}
		xs = append(xs, m)
		os.Remove(db)
	}
	x := median(xs)
	fmt.Printf("\n%-34s %11.2fs (target: under 5 s), %d MB\n", fmt.Sprintf("ingest XLSX, %d rows", xlsxRows), x.wall.Seconds(), x.rss/1024)

	if err := benchQuery(dbs[rows], rows); err != nil {
		return err
	}
	if err := benchReleases(tipdash, dir, dbs, []int{small, rows}); err != nil {
		return err
	}
	return benchAPI(dbs[rows], rows)
}

// benchQuery times a 2-dimension aggregate through tipdash's aggregate path
// against the same GROUP BY on the documented records view.
func benchQuery(path string, rows int) error {
	ctx := context.Background()
	q := schemas.Query{Measure: schemas.MeasureSmuggledMigrants, By: []schemas.Dim{schemas.DimYear, schemas.DimSex}}
	const view = `SELECT year, sex, count(*) FROM records WHERE role = 'smuggled_migrant' GROUP BY ALL ORDER BY ALL`
	var ours, base []measure
	// DuckDB lets a process hold a file with one configuration at a time, so
	// the baseline (the driver itself on the records view) and tipdash take
	// turns, three rounds of five.
	for range 3 {
		raw, err := sql.Open("duckdb", path+"?access_mode=read_only&autoinstall_known_extensions=false&autoload_known_extensions=false")
		if err != nil {
			return err
		}
		for range 5 {
			t := time.Now()
			rs, err := raw.QueryContext(ctx, view)
			if err != nil {
				raw.Close()
				return err
			}
			for rs.Next() {
			}
			rs.Close()
			base = append(base, measure{wall: time.Since(t)})
		}
		raw.Close()
		db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		for range 5 {
			t := time.Now()
			if _, err := db.Aggregate(ctx, q); err != nil {
				db.Close()
				return err
			}
			ours = append(ours, measure{wall: time.Since(t)})
		}
		db.Close()
	}
	o, b := median(ours), median(base)
	fmt.Printf("\n%-34s %12s %12s %8s\n", "query (year x sex, smuggled)", "tipdash", "view SQL", "ratio")
	fmt.Printf("%-34s %10.1fms %10.1fms %8.2f\n", fmt.Sprintf("%d rows", rows), float64(o.wall.Microseconds())/1000,
		float64(b.wall.Microseconds())/1000, o.wall.Seconds()/b.wall.Seconds())
	return nil
}

// benchReleases times the publishing of releases (the whole catalogue of a
// tier, protected together) at 2,000 records and at the ingest sizes,
// against the exact counting of the same tables in the same run, and the
// reading of a table from a release against counting it; then it reports
// how much of each table is shown at about 25 and 60 victims a year.
func benchReleases(tipdash, dir string, dbs map[int]string, sizes []int) error {
	small := filepath.Join(dir, "r_2000.duckdb")
	if err := genIngest(tipdash, dir, 2000, 1, small); err != nil {
		return err
	}
	dbs[2000] = small
	fmt.Printf("\n%-34s %12s %12s %8s %14s\n", "release publish (whole catalogue)", "publish", "exact count", "ratio", "publish RSS")
	for _, n := range append([]int{2000}, sizes...) {
		for _, kind := range []schemas.Tier{schemas.TierConatt, schemas.TierPublic} {
			m, err := timed(tipdash, "release", "publish", "--db", dbs[n], "--kind", string(kind), "--note", "bench")
			if err != nil {
				return err
			}
			count, err := countCatalogue(dbs[n], kind)
			if err != nil {
				return err
			}
			fmt.Printf("%-34s %11.2fs %11.2fs %8.1f %11d MB\n", fmt.Sprintf("%d records, %s", n, kind), m.wall.Seconds(),
				count.Seconds(), m.wall.Seconds()/count.Seconds(), m.rss/1024)
		}
	}
	// A conatt release a small batch after the last one is checked with it
	// (README, "Comparing releases"): the slowest publish.
	if err := genIngest(tipdash, dir, 30, 2, small); err != nil {
		return err
	}
	m, err := timed(tipdash, "release", "publish", "--db", small, "--kind", "conatt", "--note", "bench")
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %11.2fs %12s %8s %11d MB\n", "2000 + 30 records, conatt, linked", m.wall.Seconds(), "", "", m.rss/1024)
	if err := benchHistory(tipdash, dir, small, m); err != nil {
		return err
	}
	if err := benchLookup(dbs[sizes[len(sizes)-1]]); err != nil {
		return err
	}
	fmt.Printf("\n%s\n", "people in shown cells, per table (conatt / public), at about 25 and 60 victims a year, and at 60 in a conatt release 30 rows after the last (a table it withholds is served from the last release that showed it)")
	shares := map[string][5]float64{}
	for i, n := range []int{1200, 3000} {
		db := filepath.Join(dir, fmt.Sprintf("u_%d.duckdb", n))
		if err := genIngest(tipdash, dir, n, 1, db); err != nil {
			return err
		}
		for j, kind := range []schemas.Tier{schemas.TierConatt, schemas.TierPublic} {
			rep, err := publishReport(db, kind)
			if err != nil {
				return err
			}
			for _, t := range rep.Tables {
				v := shares[t.ID]
				v[2*i+j] = 100 * t.ShownShare()
				if t.Withheld {
					v[2*i+j] = 0
				}
				shares[t.ID] = v
			}
		}
	}
	db := filepath.Join(dir, "u_3000.duckdb")
	if err := genIngest(tipdash, dir, 30, 2, db); err != nil {
		return err
	}
	rep, err := publishReport(db, schemas.TierConatt)
	if err != nil {
		return err
	}
	for _, t := range rep.Tables {
		v := shares[t.ID]
		v[4] = 100 * t.ShownShare()
		if t.Withheld {
			v[4] = -1 // served from the earlier release (ReleaseTable)
		}
		shares[t.ID] = v
	}
	fmt.Printf("%-36s %18s %18s %14s\n", "table", "~25/yr conatt/public", "~60/yr conatt/public", "60 + 30 rows")
	for _, s := range schemas.Tables().Tables {
		v := shares[s.ID]
		cell := func(x float64, kind schemas.Tier) string {
			if !s.For(kind) {
				return "  -"
			}
			return fmt.Sprintf("%3.0f%%", x)
		}
		linked := cell(v[4], schemas.TierConatt)
		if v[4] < 0 {
			linked = fmt.Sprintf("withheld, served %s from the earlier release", cell(v[2], schemas.TierConatt))
		}
		fmt.Printf("%-36s %9s / %-6s %9s / %-6s %9s\n", s.ID, cell(v[0], schemas.TierConatt), cell(v[1], schemas.TierPublic),
			cell(v[2], schemas.TierConatt), cell(v[3], schemas.TierPublic), linked)
	}
	return nil
}

// benchHistory times a year of releases after the linked one: a batch of
// 30 rows of the year in progress (gen's last year) a month, a conatt
// release after each and an approved public release every quarter; then
// the share of people in shown cells of what a conatt reader is served. Every release is checked with every approved
// release before it (README, "Every approved release, whole"), so the
// program grows with the history: each publish is reported against the
// linked conatt release of the same run (first).
func benchHistory(tipdash, dir, db string, first measure) error {
	fmt.Printf("\n%s\n", "a year of releases after it (30 rows of the year in progress a month, conatt monthly, public quarterly, each checked with all before)")
	fmt.Printf("%-34s %12s %8s %14s\n", "month, release", "publish", "ratio", "publish RSS")
	row := func(label string, m measure) {
		fmt.Printf("%-34s %11.2fs %8.1f %11d MB\n", label, m.wall.Seconds(), m.wall.Seconds()/first.wall.Seconds(), m.rss/1024)
	}
	for month := 1; month <= 12; month++ {
		if err := genIngestYears(tipdash, dir, 30, 100+month, db, lastGenYear, lastGenYear); err != nil {
			return err
		}
		m, _, err := publishNumber(tipdash, db, schemas.TierConatt)
		if err != nil {
			return err
		}
		row(fmt.Sprintf("%2d, conatt", month), m)
		if month%3 != 0 {
			continue
		}
		m, n, err := publishNumber(tipdash, db, schemas.TierPublic)
		if err != nil {
			return err
		}
		if _, err := timed(tipdash, "release", "approve", "--db", db, strconv.FormatInt(n, 10)); err != nil {
			return err
		}
		row(fmt.Sprintf("%2d, public", month), m)
	}
	return servedShares(db)
}

// servedShares prints, per conatt table, the share of its people in the
// shown cells of what a reader of the latest conatt release is served.
func servedShares(path string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("\n%s\n", "after those 12 months, people in shown cells of what a conatt reader is served (the release it comes from)")
	for _, s := range schemas.Tables().ForTier(schemas.TierConatt) {
		tab, err := db.ReleaseTable(ctx, schemas.TierConatt, 0, s.ID, nil)
		if err != nil {
			return err
		}
		rep, err := db.ReleaseReport(ctx, tab.Release)
		if err != nil {
			return err
		}
		people, shown := 0, 0
		for _, t := range rep.Tables {
			if t.ID == s.ID {
				people, shown = t.People, t.ShownPeople
			}
		}
		share := "withheld"
		if !tab.Withheld && people > 0 {
			share = fmt.Sprintf("%3.0f%%", 100*float64(shown)/float64(people))
		}
		fmt.Printf("%-36s %9s  (release %d)\n", s.ID, share, tab.Release)
	}
	return nil
}

// publishNumber publishes a release of kind and returns its timing and
// number (the last line the command prints).
func publishNumber(tipdash, db string, kind schemas.Tier) (measure, int64, error) {
	cmd := exec.Command(tipdash, "release", "publish", "--db", db, "--kind", string(kind), "--note", "bench")
	cmd.Stderr = os.Stderr
	t := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return measure{}, 0, fmt.Errorf("release publish --kind %s: %w", kind, err)
	}
	m := measure{wall: time.Since(t), rss: cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return m, 0, fmt.Errorf("release publish --kind %s printed no release number", kind)
	}
	n, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		return m, 0, fmt.Errorf("release publish --kind %s: no release number at the end of its output: %w", kind, err)
	}
	return m, n, nil
}

// lastGenYear is the last year tipdash gen writes by default: the year in
// progress of a generated database.
const lastGenYear = 2025

func genIngest(tipdash, dir string, n int, seed int, db string) error {
	return genIngestYears(tipdash, dir, n, seed, db, 0, 0)
}

// genIngestYears is genIngest with reference dates from one year to
// another (0, 0: gen's default years).
func genIngestYears(tipdash, dir string, n int, seed int, db string, from, to int) error {
	csvPath := filepath.Join(dir, fmt.Sprintf("g_%d.csv", n))
	args := []string{"gen", "--n", strconv.Itoa(n), "--seed", strconv.Itoa(seed), "--out", csvPath}
	if from != 0 {
		args = append(args, "--from", strconv.Itoa(from), "--to", strconv.Itoa(to))
	}
	if _, err := timed(tipdash, args...); err != nil {
		return err
	}
	defer os.Remove(csvPath)
	_, err := timed(tipdash, "ingest", "--no-progress", "--db", db, csvPath)
	return err
}

// countCatalogue counts every catalogue table of a tier exactly, as a
// publish must before protecting them.
func countCatalogue(path string, kind schemas.Tier) (time.Duration, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	t := time.Now()
	for _, s := range schemas.Tables().ForTier(kind) {
		q, _, err := db.CatalogueQuery(ctx, s)
		if err != nil {
			return 0, err
		}
		if _, err := db.Aggregate(ctx, q); err != nil {
			return 0, err
		}
	}
	return time.Since(t), nil
}

func publishReport(path string, kind schemas.Tier) (*schemas.ReleaseReport, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.PublishRelease(ctx, kind, "bench", time.Now())
}

// benchLookup reads a table from the latest conatt release against
// counting the same table exactly.
func benchLookup(path string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	const id = "smuggled_migrants_year_sex"
	spec, err := schemas.Tables().Table(schemas.TierConatt, id)
	if err != nil {
		return err
	}
	var look, count []measure
	for range 21 {
		t := time.Now()
		if _, err := db.ReleaseTable(ctx, schemas.TierConatt, 0, id, nil); err != nil {
			return err
		}
		look = append(look, measure{wall: time.Since(t)})
		t = time.Now()
		if _, err := db.Aggregate(ctx, spec.Query(0)); err != nil { // a table by year: no year in progress to leave out
			return err
		}
		count = append(count, measure{wall: time.Since(t)})
	}
	l, c := median(look), median(count)
	fmt.Printf("\n%-34s %10.2fms %10.2fms %8.2f\n", "read "+id+" (release vs count)", float64(l.wall.Microseconds())/1000,
		float64(c.wall.Microseconds())/1000, l.wall.Seconds()/c.wall.Seconds())
	return benchDashboard(db)
}

// benchDashboard times the server side of the dashboard page of a viewer
// (every chart's table read from the release, charts and page rendered),
// which must stay under 200 ms.
func benchDashboard(db *store.DB) error {
	h := dashboard.New(dashboard.Services{Tables: db, Releases: db, Batches: db}, dashboard.Options{})
	ctx := schemas.WithCaller(context.Background(), schemas.Caller{User: schemas.User{Name: "bench", Role: schemas.RoleViewer}})
	var ms []measure
	for range 21 {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/dashboard", nil)
		rec := httptest.NewRecorder()
		t := time.Now()
		h.ServeHTTP(rec, req)
		ms = append(ms, measure{wall: time.Since(t)})
		if rec.Code != http.StatusOK {
			return fmt.Errorf("dashboard page: status %d", rec.Code)
		}
	}
	m := median(ms)
	fmt.Printf("%-34s %10.2fms (target: under 200 ms)\n", "dashboard page, viewer (server)", float64(m.wall.Microseconds())/1000)
	return nil
}
