package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

// filters are the dashboard's URL parameters. They only select rows of
// published tables (years) and which charts are shown (measure): never a
// new total.
type filters struct {
	From, To int
	Measure  schemas.Measure // "" for all
}

func parseFilters(q url.Values) filters {
	var f filters
	f.From, _ = strconv.Atoi(q.Get("from"))
	f.To, _ = strconv.Atoi(q.Get("to"))
	if f.From != 0 && f.To != 0 && f.From > f.To {
		f.From, f.To = f.To, f.From
	}
	if m, err := schemas.ParseMeasure(q.Get("measure")); err == nil {
		f.Measure = m
	}
	return f
}

// where is the year filter for a table with a year column; nil otherwise.
func (f filters) where(by []schemas.Dim) []schemas.Filter {
	if (f.From == 0 && f.To == 0) || !slices.Contains(by, schemas.DimYear) {
		return nil
	}
	return []schemas.Filter{{Dim: schemas.DimYear, FromYear: f.From, ToYear: f.To}}
}

// query is the filters as URL parameters, for the download links.
func (f filters) query() string {
	q := url.Values{}
	if f.From != 0 {
		q.Set("from", strconv.Itoa(f.From))
	}
	if f.To != 0 {
		q.Set("to", strconv.Itoa(f.To))
	}
	if f.Measure != "" {
		q.Set("measure", string(f.Measure))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// view is what the dashboard and the public page render.
type view struct {
	Tier      schemas.Tier
	Base      string // /dashboard or /public
	Filters   filters
	Years     []int
	Measures  []schemas.Measure
	Headline  []headline
	Release   int64
	Released  time.Time
	LastBatch time.Time
	Scripts   []string // the echarts library, under go-echarts' assets host
	ShowBatch bool
	NoRelease bool
	Sections  []sectionView
}

type headline struct {
	Label       schemas.Message
	Value       string
	Release     int64 // the release the figure was read from (0: exact)
	Released    time.Time
	FromEarlier string // as chartView's
}

type sectionView struct {
	section
	Charts []chartView
}

// tableReader reads a catalogue table at a tier: from the latest release
// of a protected tier, or exactly (tier admin) with the same rows
// selected afterwards, so that a filter never makes a new total there
// either.
func (s *server) table(ctx context.Context, tier schemas.Tier, spec schemas.TableSpec, where []schemas.Filter) (*schemas.Table, error) {
	return s.svc.Tables.CatalogueTable(ctx, tier, 0, spec.ID, where)
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	s.charts(w, r, &c, c.User.Role.Tier(), "/dashboard")
}

func (s *server) public(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r, "")
	if !s.opt.Public {
		s.fail(w, r, lang, http.StatusNotFound, msgNotFound)
		return
	}
	s.charts(w, r, nil, schemas.TierPublic, "/public")
}

// charts renders the dashboard of tier: the headline strip, then each
// section's charts with their tables, notes and downloads.
func (s *server) charts(w http.ResponseWriter, r *http.Request, c *schemas.Caller, tier schemas.Tier, base string) {
	ctx := r.Context()
	lang := "es"
	if c != nil {
		lang = c.Lang
	} else {
		lang = langOf(r, "")
	}
	f := parseFilters(r.URL.Query())
	v := view{Tier: tier, Base: base, Filters: f, Measures: schemas.Measures, ShowBatch: c != nil}
	title := words["dash.title"]
	if base == "/public" {
		title = words["public.title"]
	}

	// The headline and every chart read their tables at once: each is a
	// lookup in the release (or an exact count), and a page waits for the
	// slowest one instead of their sum.
	var jobs []*chartJob
	var secs []sectionView
	cat := schemas.Tables()
	for _, sec := range sections {
		if f.Measure != "" && sec.Measure != f.Measure {
			continue
		}
		sv := sectionView{section: sec}
		for _, id := range sec.Tables {
			spec, err := cat.Table(tier, id)
			if err != nil {
				continue // not published at this tier (the public catalogue is smaller)
			}
			jobs = append(jobs, &chartJob{section: len(secs), spec: spec})
		}
		secs = append(secs, sv)
	}
	var wg sync.WaitGroup
	var headErr, latestErr error
	var latest schemas.Release
	var hasLatest bool
	wg.Go(func() { headErr = s.headline(ctx, tier, lang, &v) })
	if tier != schemas.TierAdmin {
		wg.Go(func() { latest, hasLatest, latestErr = s.latestRelease(ctx, tier) })
	}
	if c != nil {
		wg.Go(func() { v.LastBatch = s.lastBatch(ctx) })
	}
	for _, j := range jobs {
		wg.Go(func() {
			var t *schemas.Table
			if t, j.err = s.table(ctx, tier, j.spec, f.where(j.spec.By)); j.err == nil {
				j.view, j.scripts = s.chartView(j.spec, t, lang, tier, base, f)
			}
		})
	}
	wg.Wait()
	if latestErr != nil {
		s.failErr(w, r, lang, latestErr)
		return
	}
	if hasLatest {
		v.Release, v.Released = latest.ID, latest.CreatedAt
	}
	// A table the latest release withheld is read from an earlier one:
	// its chart or figure says so beside it, not only in its notes.
	for i, h := range v.Headline {
		v.Headline[i].FromEarlier = fromEarlier(lang, h.Release, h.Released, v.Release)
	}
	for _, j := range jobs {
		j.view.FromEarlier = fromEarlier(lang, j.view.Release, j.view.Released, v.Release)
	}
	if headErr != nil {
		if !errors.Is(headErr, schemas.ErrNotFound) {
			s.failErr(w, r, lang, headErr)
			return
		}
		v.NoRelease = true
	}
	for _, j := range jobs {
		if v.NoRelease {
			break
		}
		if j.err != nil {
			s.failErr(w, r, lang, j.err)
			return
		}
		secs[j.section].Charts = append(secs[j.section].Charts, j.view)
		for _, js := range j.scripts {
			if !slices.Contains(v.Scripts, js) {
				v.Scripts = append(v.Scripts, js)
			}
		}
	}
	for _, sv := range secs {
		if len(sv.Charts) > 0 {
			v.Sections = append(v.Sections, sv)
		}
	}
	s.render(w, http.StatusOK, "dashboard", page{Lang: lang, Title: title, URL: r.URL, Caller: c, Data: v})
}

// chartJob is one chart of a page, read and drawn on its own goroutine.
type chartJob struct {
	section int
	spec    schemas.TableSpec
	view    chartView
	scripts []string
	err     error
}

// lastBatch is the date of the latest stored batch (zero when none, or
// when the list cannot be read: the strip then says "none").
func (s *server) lastBatch(ctx context.Context) time.Time {
	var last time.Time
	bs, err := s.svc.Batches.Batches(ctx)
	if err != nil {
		return last
	}
	for _, b := range bs {
		if b.Status == schemas.BatchStored && b.Meta.Time.After(last) {
			last = b.Meta.Time
		}
	}
	return last
}

// headline fills the strip above the charts: victims, smuggled migrants
// and suspects in the latest year and the one before, each from the
// catalogue's table of its measure by year.
func (s *server) headline(ctx context.Context, tier schemas.Tier, lang string, v *view) error {
	cat := schemas.Tables()
	years := map[int]bool{}
	for _, id := range []string{"victims_year", "smuggled_migrants_year", "suspects_year"} {
		spec, err := cat.Table(tier, id)
		if err != nil {
			return err
		}
		t, err := s.table(ctx, tier, spec, nil)
		if err != nil {
			return err
		}
		for _, r := range t.Rows {
			if y, err := strconv.Atoi(r.Keys[0]); err == nil {
				years[y] = true
			}
		}
		rows := slices.Clone(t.Rows)
		slices.SortFunc(rows, func(a, b schemas.Row) int { return strings.Compare(b.Keys[0], a.Keys[0]) })
		label := headLabels[id]
		for i := 0; i < 2 && i < len(rows); i++ {
			v.Headline = append(v.Headline, headline{
				Label:   schemas.Message{ES: label.ES + " " + rows[i].Keys[0], EN: label.EN + " " + rows[i].Keys[0]},
				Value:   countText(lang, rows[i].Count),
				Release: t.Release, Released: t.ReleasedAt,
			})
		}
	}
	for y := range years {
		v.Years = append(v.Years, y)
	}
	slices.Sort(v.Years)
	return nil
}

// latestRelease is the release a protected tier reads now: the latest
// approved release of the tier, which the headline strip names; false
// when there is none yet.
func (s *server) latestRelease(ctx context.Context, tier schemas.Tier) (schemas.Release, bool, error) {
	rels, err := s.svc.Releases.Releases(ctx)
	if err != nil {
		return schemas.Release{}, false, err
	}
	var latest schemas.Release
	for _, r := range rels {
		if r.Kind == tier && r.Status == schemas.ReleaseApproved && r.ID > latest.ID {
			latest = r
		}
	}
	return latest, latest.ID != 0, nil
}

var headLabels = map[string]schemas.Message{
	"victims_year":           {ES: "Víctimas", EN: "Victims"},
	"smuggled_migrants_year": {ES: "Migrantes objeto de tráfico", EN: "Smuggled migrants"},
	"suspects_year":          {ES: "Personas sospechosas", EN: "Suspects"},
}

// countText is a published count as a reader sees it: the number, or
// "hidden" where the release hides it.
func countText(lang string, n *int) string {
	if n == nil {
		return word(lang, "chart.hidden")
	}
	return formatInt(lang, *n)
}

// chartView is one chart, its data table (hidden cells with the reason),
// its notes and its download links.
func (s *server) chartView(spec schemas.TableSpec, t *schemas.Table, lang string, tier schemas.Tier, base string, f filters) (chartView, []string) {
	title := tr(lang, spec.Title(t))
	cv := chartView{Spec: spec, Title: title, Withheld: t.Withheld, Release: t.Release, Released: t.ReleasedAt}
	link := base + "/tables/" + spec.ID
	cv.CSV, cv.XLSX = link+".csv"+f.query(), link+".xlsx"+f.query()
	for _, d := range t.By {
		cv.Head = append(cv.Head, dimLabel(d, lang))
	}
	hiddenWhy := word(lang, "chart.hiddennote")
	if tier == schemas.TierPublic {
		hiddenWhy = word(lang, "chart.hiddenpub")
	}
	for _, r := range t.Rows {
		row := tableRow{Note: r.Note}
		for i, k := range r.Keys {
			row.Cells = append(row.Cells, codeLabel(t.By[i], k, lang))
		}
		if r.Count == nil {
			row.Hidden, row.Count, row.Note = true, word(lang, "chart.hidden"), hiddenWhy
		} else {
			row.Count = formatInt(lang, *r.Count)
		}
		cv.Rows = append(cv.Rows, row)
	}
	// A release carries the catalogue's note of the table; an exact table
	// does not, so it is added once.
	note := func(n string) {
		if n != "" && !slices.Contains(cv.Notes, n) {
			cv.Notes = append(cv.Notes, n)
		}
	}
	for _, n := range t.Notes {
		note(tr(lang, n))
	}
	note(tr(lang, schemas.Message{ES: spec.NoteES, EN: spec.NoteEN}))
	for _, d := range t.By {
		if schemas.MustDim(d).Kind == schemas.KindMulti {
			note(word(lang, "chart.multi"))
		}
	}
	var scripts []string
	if !t.Withheld && len(t.Rows) > 0 {
		cv.Chart, scripts = newChart(spec, t, lang, title)
	}
	return cv, scripts
}

// download writes one chart's table exactly as shown (the same filters)
// as CSV or XLSX.
func (s *server) download(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	s.writeTable(w, r, c.Lang, c.User.Role.Tier())
}

func (s *server) publicDownload(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r, "")
	if !s.opt.Public {
		s.fail(w, r, lang, http.StatusNotFound, msgNotFound)
		return
	}
	s.writeTable(w, r, lang, schemas.TierPublic)
}

func (s *server) writeTable(w http.ResponseWriter, r *http.Request, lang string, tier schemas.Tier) {
	file := r.PathValue("file")
	id, ext, _ := strings.Cut(file, ".")
	format, err := schemas.ParseFileFormat(ext)
	if err != nil || (format != schemas.FormatCSV && format != schemas.FormatXLSX) {
		s.fail(w, r, lang, http.StatusNotFound, msgNotFound)
		return
	}
	spec, err := schemas.Tables().Table(tier, id)
	if err != nil {
		s.failErr(w, r, lang, err)
		return
	}
	t, err := s.table(r.Context(), tier, spec, parseFilters(r.URL.Query()).where(spec.By))
	if err != nil {
		s.failErr(w, r, lang, err)
		return
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	sheets.WriteTable(w, format, t, spec.Title(t))
}
