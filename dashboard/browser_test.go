package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/dashboard"
	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
)

// The browser tests drive Debian's chromium, headless. CI installs it
// (.ci/run); elsewhere they skip, saying so.
const chromium = "/usr/bin/chromium"

// browser returns a chromedp context of a new headless chromium.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			t.Logf("using %s", p)
		}
		t.Skipf("browser tests need %s (apt-get install chromium); CI installs it", chromium)
	}
	if _, err := os.Stat("static/echarts.min.js"); err != nil {
		t.Fatal("dashboard/static/echarts.min.js is missing: run make assets")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser with no deadline
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return tctx
}

// screenshot saves a PNG of the window (css "") or of one element: into
// $TIPDASH_SCREENSHOTS when set (make screenshots writes docs/), else into
// the test's temp folder.
func screenshot(t *testing.T, ctx context.Context, css, name string) {
	t.Helper()
	dir := os.Getenv("TIPDASH_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := chromedp.CaptureScreenshot()
	if css != "" {
		shot = chromedp.Screenshot(chromedp.CSS(css))
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chartCheck lists, for every chart on the page, its table id and how
// many data points its series hold (echarts' own option, after drawing).
const chartCheck = `Array.from(document.querySelectorAll("figure.chart .echart .item")).map(function (el) {
  var c = echarts.getInstanceByDom(el);
  var id = el.closest("figure").dataset.table;
  if (!c) { return id + ":none"; }
  var o = c.getOption(), n = 0;
  o.series.forEach(function (s) { (s.data || []).forEach(function (d) { var v = (d && d.value !== undefined) ? d.value : d; if (v !== "-" && v !== null) { n++; } }); });
  return id + ":" + o.series.length + ":" + n + ":" + o.title[0].text;
})`

// drawn checks that every chart of the page drew with data, and returns
// the chart titles.
func drawn(t *testing.T, ctx context.Context, wantCharts int) []string {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chartCheck))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < wantCharts {
		t.Errorf("%d charts drew, want %d: %v", len(got), wantCharts, got)
	}
	var titles []string
	for _, g := range got {
		f := strings.SplitN(g, ":", 4)
		if len(f) < 4 || f[1] == "0" || f[2] == "0" {
			t.Errorf("chart without data: %s", g)
			continue
		}
		titles = append(titles, f[3])
	}
	return titles
}

// load runs an action that leads to a new page, and waits for that page
// to load (waiting for an element could find it on the old page).
func load(t *testing.T, ctx context.Context, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, a)); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("%s: %v", css, err)
	}
	return s
}

// TestBrowserDashboard opens the dashboard as each reading role, checks
// that every chart drew with data, switches to English and back, and
// applies a year filter from the keyboard.
func TestBrowserDashboard(t *testing.T) {
	ctx := browser(t)
	charts := 0
	// The researcher's tier is drawn on /public below; TestAccess and
	// TestPagesReadTheTierOfTheRole cover which tier each role reads.
	for _, role := range []schemas.UserRole{schemas.RoleViewer, schemas.RoleAnalyst, schemas.RoleAdmin} {
		ts := serve(t, role, false)
		if role == schemas.RoleAdmin {
			releases(t, ctx, ts.URL)
			continue
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard"), chromedp.WaitReady(chromedp.CSS("#s9"))); err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure.chart").length`))
		if err != nil {
			t.Fatal(err)
		}
		if role == schemas.RoleViewer {
			charts = n
		}
		titles := drawn(t, ctx, n)
		t.Logf("%s: %d charts drew", role, len(titles))
		if role != schemas.RoleViewer {
			continue
		}
		if h := text(t, ctx, "h1"); !strings.Contains(h, "Trata de personas") {
			t.Errorf("Spanish heading: %q", h)
		}
		// Nothing comes from outside the server (echarts included).
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(function (e) { return e.name; })`))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range loaded {
			if !strings.HasPrefix(u, ts.URL+"/") {
				t.Errorf("the page loaded %s from outside the server", u)
			}
		}
		if !slices.Contains(loaded, ts.URL+"/static/echarts.min.js") {
			t.Errorf("echarts was not loaded from /static/: %v", loaded)
		}
		screenshot(t, ctx, "", "dashboard_es.png")
		for _, sec := range []string{"#s1", "#s3", "#s4", "#s7"} {
			screenshot(t, ctx, sec, "dashboard_section"+sec[2:]+"_es.png")
		}

		// To English through the switch, and back.
		load(t, ctx, chromedp.Click(chromedp.ID("lang-switch")))
		if h := text(t, ctx, "h1"); !strings.Contains(h, "Trafficking in persons") {
			t.Errorf("English heading: %q", h)
		}
		en := drawn(t, ctx, charts)
		if !contains(en, "Detected trafficking victims by year and sex") && !anyContains(en, "by year and sex") {
			t.Errorf("English chart titles: %v", en)
		}
		screenshot(t, ctx, "", "dashboard_en.png")
		// The session remembers English on a page without ?lang=.
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard"), chromedp.WaitReady(chromedp.CSS("#s9"))); err != nil {
			t.Fatal(err)
		}
		if h := text(t, ctx, "h1"); !strings.Contains(h, "Trafficking in persons") {
			t.Errorf("the session forgot English: %q", h)
		}
		load(t, ctx, chromedp.Click(chromedp.ID("lang-switch")))
		if h := text(t, ctx, "h1"); !strings.Contains(h, "Trata de personas") {
			t.Errorf("back to Spanish: %q", h)
		}

		// The year filter, from the keyboard: it selects the years shown.
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("f-from"), "2021"),
			chromedp.SetValue(chromedp.ID("f-to"), "2022"),
			chromedp.Focus(chromedp.ID("f-apply")),
		); err != nil {
			t.Fatal(err)
		}
		load(t, ctx, chromedp.KeyEvent("\r"))
		years, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`echarts.getInstanceByDom(document.querySelector("#c-victims_year_sex .item")).getOption().xAxis[0].data`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(years, ",") != "2021,2022" {
			t.Errorf("years after the filter: %v", years)
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if !strings.Contains(loc, "from=2021") || !strings.Contains(loc, "to=2022") {
			t.Errorf("the filter is not in the URL: %s", loc)
		}
	}
	if charts < 15 {
		t.Errorf("the viewer's dashboard has %d charts, want at least 15 (nine sections)", charts)
	}

	// /public, without a session, in English from the URL.
	ts := serve(t, schemas.UserRole{}, true)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/public?lang=en"), chromedp.WaitReady(chromedp.CSS("#s9"))); err != nil {
		t.Fatal(err)
	}
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure.chart").length`))
	drawn(t, ctx, n)
	if h := text(t, ctx, "h1"); !strings.HasPrefix(h, "Public data") {
		t.Errorf("public heading: %q", h)
	}
}

// releases opens the administrators' pages: the list, and the first
// release's report with one table exact and protected side by side.
func releases(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/releases"), chromedp.WaitReady(chromedp.ID("releases"))); err != nil {
		t.Fatal(err)
	}
	load(t, ctx, chromedp.Click(chromedp.CSS(`#releases a[href^="/releases/1?"]`)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#side tbody tr").length`))
	if err != nil || rows == 0 {
		t.Errorf("release 1: %d rows side by side (%v)", rows, err)
	}
	screenshot(t, ctx, "", "releases_es.png")
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func anyContains(xs []string, sub string) bool {
	for _, v := range xs {
		if strings.Contains(v, sub) {
			return true
		}
	}
	return false
}

// TestBrowserUpload uploads an XLSX whose age column has a header no
// profile knows, reads how each column would be read, maps that column to
// age, checks again, stores the batch and reads its report.
func TestBrowserUpload(t *testing.T) {
	ctx := browser(t)
	file := filepath.Join(t.TempDir(), "casos_marzo.xlsx")
	writeRenamedXLSX(t, file, "Edad", "Años (al ingreso)")
	ts := serve(t, schemas.RoleAnalyst, false)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/upload"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
	); err != nil {
		t.Fatal(err)
	}
	load(t, ctx, chromedp.Click(chromedp.ID("check")))
	if st := text(t, ctx, "#report-status"); st != "revisado, sin guardar" {
		t.Errorf("status after a check: %q", st)
	}
	row := `#columns tr[data-header="Años (al ingreso)"]`
	before := text(t, ctx, row+" .action")
	if strings.Contains(before, "se lee como: age") {
		t.Fatalf("the renamed column is already read as age: %q", before)
	}
	t.Logf("before the mapping: %q", before)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(row+" select"), "age")); err != nil {
		t.Fatal(err)
	}
	load(t, ctx, chromedp.Click(chromedp.ID("check")))
	if after := text(t, ctx, row+" .action"); !strings.Contains(after, "se lee como: age") {
		t.Errorf("after mapping the column to age: %q", after)
	}
	if chosen, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(row+" select"))); chosen != "age" {
		t.Errorf("the mapping chosen is not kept: %q", chosen)
	}
	if dropped := text(t, ctx, "#dropped"); !strings.Contains(dropped, "Nombre completo") {
		t.Errorf("personal-data columns dropped: %q", dropped)
	}
	if rej := text(t, ctx, "#report-rejected"); rej == "0" {
		t.Log("no rejected rows in this file")
	} else if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#rejections tbody tr"))); err != nil {
		t.Errorf("rejected rows without their table: %v", err)
	}
	screenshot(t, ctx, "#columns", "upload_columns_es.png")
	screenshot(t, ctx, "#report", "upload_report_es.png")

	load(t, ctx, chromedp.Click(chromedp.ID("store")))
	if st := text(t, ctx, "#report-status"); st != "guardado" {
		t.Errorf("status after storing: %q", st)
	}
	if first := text(t, ctx, "#batches tbody tr"); !strings.Contains(first, "casos_marzo.xlsx") || !strings.Contains(first, "ana.analyst") {
		t.Errorf("the newest batch listed: %q", first)
	}
	// The stored batch read the age from the renamed column.
	db := fixture(t)
	bs, _ := db.Batches(context.Background())
	_, rep, err := db.Batch(context.Background(), bs[0].ID) // newest first
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Columns {
		if c.Header == "Años (al ingreso)" && c.Field != "age" {
			t.Errorf("stored batch read %q as %q", c.Header, c.Field)
		}
	}
	if err := db.Rollback(context.Background(), rep.BatchID, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// writeRenamedXLSX writes 300 generated ERI rows as a workbook with one
// header renamed.
func writeRenamedXLSX(t *testing.T, path, from, to string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "gen.csv")
	if err := writeGenerated(src, ingest.GenOptions{N: 300, Seed: 77}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range rows[0] {
		if h == from {
			rows[0][i] = to
		}
	}
	x := excelize.NewFile()
	defer x.Close()
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v
		}
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserChartFromEarlierRelease: in a browser, the chart of a table
// the latest release hid more of is drawn from the earlier release, with a
// visible label above it naming that release, in Spanish and in English.
func TestBrowserChartFromEarlierRelease(t *testing.T) {
	ctx := browser(t)
	db, first, latest := withheldHistory(t)
	h := dashboard.New(dashboard.Services{Tables: db, Releases: db, Batches: db, Ingest: ingest.Service{Store: db}}, dashboard.Options{})
	ts := httptest.NewServer(&session{role: schemas.RoleViewer, next: h})
	t.Cleanup(ts.Close)
	const fig = "#c-victims_year_sex_age" // 2023 or 2024 x unknown rose by 1: hidden, served from the first release
	// Whether the chart drew with data, and the label is shown above it.
	const check = `(function () {
  var f = document.querySelector("` + fig + `"), l = f.querySelector(".earlier"), c = f.querySelector(".echart .item");
  var e = c && echarts.getInstanceByDom(c), drew = !!e && e.getOption().series.length > 0;
  if (!l) { return [drew, false, false]; }
  var lb = l.getBoundingClientRect(), cb = c.getBoundingClientRect();
  return [drew, lb.height > 0 && lb.width > 0 && getComputedStyle(l).visibility === "visible", lb.bottom <= cb.top];
})()`
	for _, c := range []struct{ lang, want string }{
		{"es", fmt.Sprintf("De la publicación %d (%s), no de la última (publicación %d)", first.ID, first.CreatedAt.Format("02/01/2006"), latest.ID)},
		{"en", fmt.Sprintf("From release %d (%s), not the latest (release %d)", first.ID, first.CreatedAt.Format("2 Jan 2006"), latest.ID)},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/dashboard?lang="+c.lang),
			chromedp.WaitReady(chromedp.CSS("#s9")), chromedp.ScrollIntoView(chromedp.CSS(fig))); err != nil {
			t.Fatalf("%s: %v", c.lang, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](check))
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff([]bool{true, true, true}, got); diff != "" {
			t.Fatalf("%s: [chart drawn, label visible, label above the chart] (-want +got):\n%s", c.lang, diff)
		}
		if got := text(t, ctx, fig+" .earlier"); got != c.want {
			t.Errorf("%s: label %q, want %q", c.lang, got, c.want)
		}
		// A PNG saved from the chart carries its subtitle and file name:
		// both name the release it shows.
		src, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
  var o = echarts.getInstanceByDom(document.querySelector("`+fig+` .echart .item")).getOption();
  return [o.title[0].subtext, o.toolbox[0].feature.saveAsImage.name];
})()`))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{fmt.Sprintf(map[string]string{"es": "Publicación %d (%s), nivel conatt", "en": "Release %d (%s), tier conatt"}[c.lang],
			first.ID, first.CreatedAt.Format(map[string]string{"es": "02/01/2006", "en": "2 Jan 2006"}[c.lang])),
			fmt.Sprintf("victims_year_sex_age_release_%d", first.ID)}
		if diff := gocmp.Diff(want, src); diff != "" {
			t.Errorf("%s: [subtitle, PNG file name] (-want +got):\n%s", c.lang, diff)
		}
	}
}
