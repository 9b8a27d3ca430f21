package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

// filters is a repeatable --where flag.
type filters []schemas.Filter

func (f *filters) String() string { return "" }

func (f *filters) Type() string { return "DIM=V" }

func (f *filters) Set(s string) error {
	x, err := schemas.ParseFilter(s)
	if err != nil {
		return err
	}
	*f = append(*f, x)
	return nil
}

func cmdQuery(ctx context.Context, e *env, args []string) error {
	fs := e.flags("query", `query [--db PATH] --measure victims|smuggled_migrants|suspects [--by DIM[,DIM...]] [--where DIM=V[,V...]]... [--format csv|json]
       tipdash query [--db PATH] --tier conatt|public (--table ID | --measure M --by DIM,...) [--where DIM=V...]... [--release N]

  --tier admin (por defecto / the default): cifras exactas, cualquier consulta / exact counts, any question.
  --tier conatt|public: solo las tablas del catálogo («tipdash tables»), leídas de la última
  publicación aprobada de ese nivel; --where solo elige filas de la tabla publicada /
  the catalogue's tables only ("tipdash tables"), read from the latest approved release of
  that tier; --where only selects rows of the published table.`)
	db := dbFlag(fs)
	measure := fs.String("measure", "", "qué contar / what to count: victims, smuggled_migrants, suspects")
	by := fs.String("by", "", "dimensiones, separadas por comas (hasta 3) / dimensions, comma-separated (up to 3); see 'tipdash dims'")
	var where filters
	fs.Var(&where, "where", "filtro DIM=V[,V...] o year=2019..2023; repetible / filter; repeatable")
	tierName := fs.String("tier", "admin", "nivel de protección / disclosure tier: admin, conatt, public")
	table := fs.String("table", "", "tier conatt|public: la tabla del catálogo / the catalogue table (tipdash tables)")
	format := fs.String("format", "csv", "csv o json")
	release := fs.Int64("release", 0, "tier conatt|public: la publicación N (por defecto la última aprobada) / release N (default: the latest approved)")
	if err := parse(fs, args); err != nil {
		return err
	}
	tier, err := schemas.ParseTier(*tierName)
	if err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageError{"--format: csv o json / csv or json"}
	}
	dims, err := schemas.ParseDims(*by)
	if err != nil {
		return err
	}
	// The question is checked before the database is opened: a wrong
	// measure or dimension says so, with or without a database.
	var q schemas.Query
	id := *table
	if tier == schemas.TierAdmin {
		if *table != "" || *release != 0 {
			return usageError{"--table y --release son de los niveles conatt y public / --table and --release belong to tiers conatt and public"}
		}
		m, err := schemas.ParseMeasure(*measure)
		if err != nil {
			return err
		}
		q = schemas.Query{Measure: m, By: dims, Where: where}
		if err := q.Validate(tier); err != nil {
			return err
		}
	} else if id == "" {
		m, err := schemas.ParseMeasure(*measure)
		if err != nil {
			return err
		}
		spec, err := schemas.Tables().Find(tier, m, dims)
		if err != nil {
			return err
		}
		id = spec.ID
	}
	st, done, err := connect(ctx, *db, openExisting)
	if err != nil {
		return err
	}
	defer done()
	var t *schemas.Table
	if tier == schemas.TierAdmin {
		if t, err = st.Aggregate(ctx, q); err != nil {
			return err
		}
	} else {
		if t, err = st.ReleaseTable(ctx, tier, *release, id, where); err != nil {
			return err
		}
		if len(dims) > 0 {
			t.Reorder(dims)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(e.stderr, "nota: %s\nnote: %s\n", n.ES, n.EN)
	}
	return writeTableCSV(e, t)
}

// writeTableCSV prints the dimension keys in the order given, then count and
// note; one row per non-zero combination; count empty where hidden.
func writeTableCSV(e *env, t *schemas.Table) error {
	header, rows := sheets.TableRows(t)
	return sheets.WriteCSVRows(e.stdout, header, rows)
}
