package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// counter is what exports need from the store: protected tables only.
type counter interface {
	AggregateRelease(ctx context.Context, q schemas.Query, tier schemas.Tier, release int64) (*schemas.Table, error)
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("export", "export [--db PATH] --format glotip|csv|parquet [--tier conatt|public] [--release N] --out FILE(.csv|.xlsx|.parquet)")
	db := dbFlag(fs)
	format := fs.String("format", "", "glotip (formato largo de UNODC / UNODC long format), csv o parquet")
	tierName := fs.String("tier", "conatt", "conatt o public (public: desde la última publicación aprobada / from the latest approved release)")
	release := fs.Int64("release", 0, "tier public: la publicación N / release N")
	out := fs.String("out", "", "archivo de salida; la extensión decide CSV, XLSX o Parquet / output file; its extension picks CSV, XLSX or Parquet")
	if err := parse(fs, args); err != nil {
		return err
	}
	tier, err := schemas.ParseTier(*tierName)
	if err != nil {
		return err
	}
	if tier == schemas.TierAdmin {
		return usageError{"export solo escribe tablas protegidas: --tier conatt o public / export writes protected tables only: --tier conatt or public"}
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out == "" || (ext != ".csv" && ext != ".xlsx" && ext != ".parquet") {
		return usageError{"--out debe terminar en .csv, .xlsx o .parquet / --out must end in .csv, .xlsx or .parquet"}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	var header []string
	var rows [][]string
	var titles []string
	switch *format {
	case "glotip":
		header, rows, err = glotipRows(ctx, st, tier, *release)
		titles = []string{"CONATT - tipdash", time.Now().Format("02/01/2006")}
	case "csv", "parquet":
		header, rows, err = tableRows(ctx, st, tier, *release)
	default:
		return usageError{"--format: glotip, csv o parquet"}
	}
	if err != nil {
		return err
	}
	switch ext {
	case ".csv":
		err = writeCSVFile(*out, header, rows)
	case ".xlsx":
		err = writeXLSXFile(*out, titles, header, rows)
	case ".parquet":
		err = store.WriteParquet(ctx, *out, header, rows)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d filas escritas en %s (nivel %s) / %d rows written to %s (tier %s)\n", len(rows), *out, tier, len(rows), *out, tier)
	return nil
}

var _ counter = (*store.DB)(nil)

// GLOTIP: UNODC's data_glotip long format.
var glotipHeader = []string{"Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex", "Age", "Year", "Unit of measurement", "txtVALUE", "Source"}

type glotipIndicator struct {
	name    string
	measure schemas.Measure
	where   []schemas.Filter
}

var glotipIndicators = []glotipIndicator{
	{"Detected trafficking victims", schemas.MeasureVictims, nil},
	{"Persons brought into formal contact", schemas.MeasureSuspects, []schemas.Filter{{Dim: schemas.DimOffence, Values: []string{"tip"}}}},
	{"Persons prosecuted", schemas.MeasureSuspects, []schemas.Filter{{Dim: schemas.DimOffence, Values: []string{"tip"}}, {Dim: schemas.DimCJStage, Values: []string{"prosecuted", "convicted", "acquitted"}}}},
	{"Persons convicted", schemas.MeasureSuspects, []schemas.Filter{{Dim: schemas.DimOffence, Values: []string{"tip"}}, {Dim: schemas.DimCJStage, Values: []string{"convicted"}}}},
}

// The GLOTIP forms of exploitation, each counted as its own table (a person
// with forms in two groups counts in both, as in UNODC's data).
var glotipForms = []struct {
	label string
	codes []string
}{
	{"Sexual exploitation", []string{"sexual"}},
	{"Forced labour", []string{"forced_labour", "servitude", "slavery"}},
	{"Other forms of exploitation", []string{"forced_begging", "forced_criminality", "forced_marriage", "illegal_adoption", "organ_removal", "forced_pregnancy", "other"}},
}

var glotipSex = map[string]string{"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
var glotipAge = map[string]string{"child": "0 to 17 years", "adult": "18 years or over", "unknown": "Unknown"}

// glotipRows asks the store for protected tables and lays them out in
// UNODC's format. Hidden cells read "<5" (tier conatt) or "<10" (public).
func glotipRows(ctx context.Context, st counter, tier schemas.Tier, release int64) ([]string, [][]string, error) {
	hiddenText := "<5"
	if tier == schemas.TierPublic {
		hiddenText = "<10"
	}
	var rows [][]string
	add := func(ind, dimension, category, sex, age string, t *schemas.Table, yearAt int, sexAt, ageAt int) {
		for _, r := range t.Rows {
			s, a := sex, age
			if sexAt >= 0 {
				s = glotipSex[r.Keys[sexAt]]
			}
			if ageAt >= 0 {
				a = glotipAge[r.Keys[ageAt]]
			}
			if s == "" || a == "" {
				continue
			}
			v := hiddenText
			if r.Count != nil {
				v = strconv.Itoa(*r.Count)
			}
			cat := category
			if category == "" {
				cat = r.Keys[len(r.Keys)-1]
			}
			rows = append(rows, []string{"CRI", "Costa Rica", "Americas", "Latin America and the Caribbean", ind, dimension, cat, s, a, r.Keys[yearAt], "Counts", v, "CONATT"})
		}
	}
	query := func(m schemas.Measure, where []schemas.Filter, by ...schemas.Dim) (*schemas.Table, error) {
		return st.AggregateRelease(ctx, schemas.Query{Measure: m, By: by, Where: where}, tier, release)
	}
	for _, ind := range glotipIndicators {
		t, err := query(ind.measure, ind.where, schemas.DimYear)
		if err != nil {
			return nil, nil, err
		}
		add(ind.name, "Total", "Total", "Total", "Total", t, 0, -1, -1)
		if t, err = query(ind.measure, ind.where, schemas.DimYear, schemas.DimSex); err != nil {
			return nil, nil, err
		}
		add(ind.name, "Total", "Total", "", "Total", t, 0, 1, -1)
		if t, err = query(ind.measure, ind.where, schemas.DimYear, schemas.DimAgeGroup); err != nil {
			return nil, nil, err
		}
		add(ind.name, "Total", "Total", "Total", "", t, 0, -1, 1)
		if tier == schemas.TierConatt {
			if t, err = query(ind.measure, ind.where, schemas.DimYear, schemas.DimSex, schemas.DimAgeGroup); err != nil {
				return nil, nil, err
			}
			add(ind.name, "Total", "Total", "", "", t, 0, 1, 2)
		}
		for _, f := range glotipForms {
			where := append(append([]schemas.Filter{}, ind.where...), schemas.Filter{Dim: schemas.DimExploitation, Values: f.codes})
			if t, err = query(ind.measure, where, schemas.DimYear); err != nil {
				return nil, nil, err
			}
			add(ind.name, "by form of exploitation", f.label, "Total", "Total", t, 0, -1, -1)
		}
		if ind.measure == schemas.MeasureVictims {
			if t, err = query(ind.measure, ind.where, schemas.DimYear, schemas.DimCitizenship); err != nil {
				return nil, nil, err
			}
			cit := schemas.MustDim(schemas.DimCitizenship)
			for i, r := range t.Rows {
				switch c := cit.Index(r.Keys[1]); {
				case c >= 0:
					t.Rows[i].Keys = []string{r.Keys[0], cit.Codes[c].EN}
				case r.Keys[1] == "other": // rare countries folded at tier public
					t.Rows[i].Keys = []string{r.Keys[0], "Other"}
				}
			}
			add(ind.name, "by citizenship", "", "Total", "Total", t, 0, -1, -1)
		}
	}
	return glotipHeader, rows, nil
}

// tableRows lays the fixed tables of a release out long: one row per cell,
// then the table's notes.
func tableRows(ctx context.Context, st counter, tier schemas.Tier, release int64) ([]string, [][]string, error) {
	header := []string{"table", "measure", "dimension_1", "code_1", "dimension_2", "code_2", "count", "note"}
	var rows [][]string
	for i, q := range store.ReleaseTables {
		t, err := st.AggregateRelease(ctx, q, tier, release)
		if err != nil {
			return nil, nil, err
		}
		name := strconv.Itoa(i + 1)
		for _, r := range t.Rows {
			row := []string{name, string(q.Measure), "", "", "", ""}
			for j, d := range q.By {
				row[2+2*j], row[3+2*j] = string(d), r.Keys[j]
			}
			count := ""
			if r.Count != nil {
				count = strconv.Itoa(*r.Count)
			}
			rows = append(rows, append(row, count, r.Note))
		}
		for _, n := range t.Notes {
			rows = append(rows, []string{name, string(q.Measure), "", "", "", "", "", n.ES + " / " + n.EN})
		}
	}
	return header, rows, nil
}

func writeCSVFile(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeXLSXFile(path string, titles, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	r := 1
	line := func(vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		r++
		return sw.SetRow(cell, cells)
	}
	for _, t := range titles {
		if err := line([]string{t}); err != nil {
			return err
		}
	}
	if err := line(header); err != nil {
		return err
	}
	for _, row := range rows {
		if err := line(row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
