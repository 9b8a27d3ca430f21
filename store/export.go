package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
)

// WriteParquet writes rows of text (the column named count as a number,
// empty when suppressed) to a Parquet file with DuckDB's writer, in a
// private in-memory database. The rows are protected tables already: this
// counts nothing.
func WriteParquet(ctx context.Context, path string, header []string, rows [][]string) error {
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

// GlotipRows lays protected tables out in UNODC's data_glotip format.
// Hidden cells read "<5" (tier conatt) or "<10" (public). Every count comes
// from AggregateRelease: exports count nothing themselves.
func (db *DB) GlotipRows(ctx context.Context, tier schemas.Tier, release int64) ([]string, [][]string, error) {
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
		return db.AggregateRelease(ctx, schemas.Query{Measure: m, By: by, Where: where}, tier, release)
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
	return GlotipHeader, rows, nil
}

// TableRows lays the fixed tables of a release (ReleaseTables) out long, as
// protected at tier: one row per cell, then the table's notes.
func (db *DB) TableRows(ctx context.Context, tier schemas.Tier, release int64) ([]string, [][]string, error) {
	header := []string{"table", "measure", "dimension_1", "code_1", "dimension_2", "code_2", "count", "note"}
	var rows [][]string
	for i, q := range ReleaseTables {
		t, err := db.AggregateRelease(ctx, q, tier, release)
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
