package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
	"github.com/conatt/tipdash/store/disclosure"
)

// writeParquet writes rows of text (the column named count as a number,
// empty when suppressed) to a Parquet file with DuckDB's writer, in a
// private in-memory database. The rows are protected tables already: this
// counts nothing.
func writeParquet(ctx context.Context, path string, header []string, rows [][]string) error {
	mem, err := Open(ctx, "", Options{})
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer mem.Close()
	conn, err := mem.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer conn.Close()
	cols := make([]string, len(header))
	for i, h := range header {
		typ := "VARCHAR"
		if h == "count" {
			typ = "BIGINT"
		}
		cols[i] = fmt.Sprintf("%q %s", h, typ)
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE export_rows (`+strings.Join(cols, ", ")+`)`); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS export_rows`)
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "export_rows")
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(header))
		for _, r := range rows {
			for i, h := range header {
				vals[i] = r[i]
				if h == "count" {
					var n int64
					if _, err := fmt.Sscan(r[i], &n); err == nil {
						vals[i] = n
					} else {
						vals[i] = nil
					}
				}
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `COPY export_rows TO '`+strings.ReplaceAll(path, "'", "''")+`' (FORMAT parquet)`); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// GLOTIP: UNODC's data_glotip long format.
// GlotipHeader is the header of UNODC's data_glotip file.
var GlotipHeader = []string{"Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex", "Age", "Year", "Unit of measurement", "txtVALUE", "Source"}

// GlotipHidden is the value of a hidden cell in a protected GLOTIP export:
// never "<5", which a hidden cell that protects another may exceed.
const GlotipHidden = "x"

var glotipSex = map[string]string{"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
var glotipAge = map[string]string{"child": "0 to 17 years", "adult": "18 years or over", "unknown": "Unknown"}
var glotipSexAge = map[string][2]string{"girl": {"Female", "0 to 17 years"}, "boy": {"Male", "0 to 17 years"},
	"woman": {"Female", "18 years or over"}, "man": {"Male", "18 years or over"}}

// glotipForm is UNODC's label of a form of exploitation.
var glotipForm = map[string]string{
	"sexual": "Sexual exploitation", "forced_labour": "Forced labour", "servitude": "Forced labour: servitude",
	"slavery": "Forced labour: slavery", "forced_begging": "Exploitative begging", "forced_criminality": "Forced criminal activity",
	"forced_marriage": "Forced marriage", "illegal_adoption": "Illegal adoption", "organ_removal": "Organ removal",
	"forced_pregnancy": "Other forms of exploitation: forced pregnancy", "other": "Other forms of exploitation", "unknown": "Unknown",
}

// glotipUnit is the Unit of measurement of a GLOTIP export: UNODC's
// "Counts" for the exact figures of tier admin; at a protected tier it
// says how the release protected them (rounding, hidden cells), so that a
// rounded value or an x is not read as an exact count.
func glotipUnit(tier schemas.Tier, r disclosure.Rules) string {
	if tier == schemas.TierAdmin {
		return "Counts"
	}
	how := "exact"
	if r.Round > 0 {
		how = fmt.Sprintf("rounded to multiples of %d", r.Round)
	}
	return fmt.Sprintf("Counts, %s; %s: hidden (1 to %d people, or hidden to protect such a count)", how, GlotipHidden, r.Threshold-1)
}

// glotipSource gives the tables of one GLOTIP layout: exact aggregates at
// tier admin, catalogue tables of a release at the protected tiers.
type glotipSource func(id string, q schemas.Query) (*schemas.Table, error)

// GlotipRows lays tables out in UNODC's data_glotip format. At tier admin
// the counts are exact (the questionnaire needs them; the caller marks the
// file confidential); at tier conatt and public they are the catalogue
// tables of a release, hidden cells reading GlotipHidden, and the unit
// column says so (glotipUnit). Sums (persons prosecuted: prosecuted,
// convicted and acquitted) are made of published cells only, and are
// hidden when one of them is.
func (db *DB) GlotipRows(ctx context.Context, tier schemas.Tier, release int64) ([]string, [][]string, error) {
	src := glotipSource(func(id string, _ schemas.Query) (*schemas.Table, error) {
		return db.ReleaseTable(ctx, tier, release, id, nil)
	})
	if tier == schemas.TierAdmin {
		src = func(_ string, q schemas.Query) (*schemas.Table, error) { return db.aggregate(ctx, q) }
	}
	unit := glotipUnit(tier, db.rules(tier))
	var rows [][]string
	add := func(ind, dimension, category, sex, age, year, value string) {
		rows = append(rows, []string{"CRI", "Costa Rica", "Americas", "Latin America and the Caribbean", ind, dimension, category, sex, age, year, unit, value, "CONATT"})
	}
	spec := func(id string) (schemas.TableSpec, bool) {
		for _, s := range schemas.Tables().Tables {
			if s.ID == id {
				return s, s.For(tier)
			}
		}
		return schemas.TableSpec{}, false
	}
	get := func(id string) (*schemas.Table, error) {
		s, ok := spec(id)
		if !ok {
			return nil, nil
		}
		q, _, err := db.CatalogueQuery(ctx, s)
		if err != nil {
			return nil, err
		}
		return src(id, q)
	}
	const victims = "Detected trafficking victims"
	type layout struct {
		id        string
		dimension string
		cell      func(keys []string) (category, sex, age string, ok bool)
	}
	for _, l := range []layout{
		{"victims_year", "Total", func(k []string) (string, string, string, bool) { return "Total", "Total", "Total", true }},
		{"victims_year_sex", "Total", func(k []string) (string, string, string, bool) {
			return "Total", glotipSex[k[1]], "Total", glotipSex[k[1]] != ""
		}},
		{"victims_year_sex_age", "Total", func(k []string) (string, string, string, bool) {
			sa, ok := glotipSexAge[k[1]]
			return "Total", sa[0], sa[1], ok
		}},
		{"victims_year_exploitation", "by form of exploitation", func(k []string) (string, string, string, bool) {
			return glotipForm[k[1]], "Total", "Total", glotipForm[k[1]] != ""
		}},
		{"victims_year_citizenship", "by citizenship", func(k []string) (string, string, string, bool) {
			if c := schemas.MustDim(schemas.DimCitizenship).Index(k[1]); c >= 0 {
				return schemas.MustDim(schemas.DimCitizenship).Codes[c].EN, "Total", "Total", true
			}
			return "Other", "Total", "Total", true // categories folded into other
		}},
	} {
		t, err := get(l.id)
		if err != nil {
			return nil, nil, err
		}
		if t == nil {
			continue
		}
		for _, r := range t.Rows {
			cat, sex, age, ok := l.cell(r.Keys)
			if ok {
				add(victims, l.dimension, cat, sex, age, r.Keys[0], glotipValue(r.Count))
			}
		}
	}
	// Persons in the criminal-justice system for trafficking, from the
	// tables by stage: each indicator sums published stages.
	indicators := []struct {
		name   string
		stages []string
	}{
		{"Persons brought into formal contact", nil},
		{"Persons prosecuted", []string{"prosecuted", "convicted", "acquitted"}},
		{"Persons convicted", []string{"convicted"}},
	}
	t, err := get("suspects_tip_year_cj_stage")
	if err != nil {
		return nil, nil, err
	}
	for _, ind := range indicators {
		if t == nil {
			break
		}
		type cellSum struct {
			n      int
			hidden bool
		}
		sums := map[string]*cellSum{}
		var years []string
		for _, r := range t.Rows {
			if ind.stages != nil && !slices.Contains(ind.stages, r.Keys[1]) {
				continue
			}
			s := sums[r.Keys[0]]
			if s == nil {
				s = &cellSum{}
				sums[r.Keys[0]] = s
				years = append(years, r.Keys[0])
			}
			if r.Count == nil {
				s.hidden = true
			} else {
				s.n += *r.Count
			}
		}
		for _, y := range years {
			v := strconv.Itoa(sums[y].n)
			if sums[y].hidden {
				v = GlotipHidden
			}
			add(ind.name, "Total", "Total", "Total", "Total", y, v)
		}
	}
	return GlotipHeader, rows, nil
}

func glotipValue(n *int) string {
	if n == nil {
		return GlotipHidden
	}
	return strconv.Itoa(*n)
}

// TableRows lays every catalogue table of a tier's release out long: one
// row per published cell (count empty and note "hidden" where hidden), then
// the table's notes.
func (db *DB) TableRows(ctx context.Context, tier schemas.Tier, release int64) ([]string, [][]string, error) {
	header := []string{"table", "measure", "dimension_1", "code_1", "dimension_2", "code_2", "dimension_3", "code_3", "count", "note"}
	var rows [][]string
	for _, s := range schemas.Tables().ForTier(tier) {
		t, err := db.ReleaseTable(ctx, tier, release, s.ID, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range t.Rows {
			row := []string{s.ID, string(s.Measure), "", "", "", "", "", ""}
			for j, d := range s.By {
				row[2+2*j], row[3+2*j] = string(d), r.Keys[j]
			}
			count := ""
			if r.Count != nil {
				count = strconv.Itoa(*r.Count)
			}
			rows = append(rows, append(row, count, r.Note))
		}
		for _, n := range t.Notes {
			rows = append(rows, []string{s.ID, string(s.Measure), "", "", "", "", "", "", "", n.ES + " / " + n.EN})
		}
	}
	return header, rows, nil
}

// Export writes a release's tables (or, at tier admin, the exact GLOTIP
// questionnaire, titled confidential) as CSV, XLSX or Parquet.
func (db *DB) Export(ctx context.Context, req schemas.ExportRequest, w io.Writer) (_ int, err error) {
	defer db.recordDone(ctx, schemas.ActionExport, string(req.Layout), fmt.Sprintf("tier=%s release=%d format=%s", req.Tier, req.Release, req.Format), &err)
	if err = req.Validate(); err != nil {
		return 0, err
	}
	if req.Tier != schemas.TierAdmin && req.Release == 0 {
		// One release, named once: table by table, "the latest" could
		// change under a publish, and a withheld table would be served
		// from an earlier release (ReleaseTable).
		rel, err := db.servedRelease(ctx, req.Tier, 0)
		if err != nil {
			return 0, err
		}
		req.Release = rel.ID
	}
	var header []string
	var rows [][]string
	var titles []string
	if req.Layout == schemas.LayoutGlotip {
		header, rows, err = db.GlotipRows(ctx, req.Tier, req.Release)
		titles = []string{"CONATT - tipdash", time.Now().Format("02/01/2006")}
		if req.Tier == schemas.TierAdmin {
			titles[0] = "CONFIDENCIAL / CONFIDENTIAL: cifras exactas para UNODC, no publicar / exact figures for UNODC, not for publication - CONATT - tipdash"
		}
	} else {
		header, rows, err = db.TableRows(ctx, req.Tier, req.Release)
	}
	if err != nil {
		return 0, err
	}
	switch req.Format {
	case schemas.FormatCSV:
		err = sheets.WriteCSVRows(w, header, rows)
	case schemas.FormatXLSX:
		err = sheets.WriteXLSXRows(w, titles, header, rows)
	case schemas.FormatParquet:
		err = writeParquetTo(ctx, w, header, rows)
	}
	return len(rows), err
}

// writeParquetTo writes Parquet through a private temporary file: DuckDB
// writes files, not streams.
func writeParquetTo(ctx context.Context, w io.Writer, header []string, rows [][]string) error {
	dir, err := os.MkdirTemp("", "tipdash-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "export.parquet")
	if err := writeParquet(ctx, path, header, rows); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
