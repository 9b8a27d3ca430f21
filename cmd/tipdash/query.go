package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/conatt/tipdash/schemas"
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
	fs := e.flags("query", "query [--db PATH] --measure victims|smuggled_migrants|suspects [--by DIM[,DIM...]] [--where DIM=V[,V...]]... [--tier admin|conatt|public] [--release N] [--format csv|json]")
	db := dbFlag(fs)
	measure := fs.String("measure", "", "qué contar / what to count: victims, smuggled_migrants, suspects")
	by := fs.String("by", "", "dimensiones, separadas por comas (hasta 3) / dimensions, comma-separated (up to 3); see 'tipdash dims'")
	var where filters
	fs.Var(&where, "where", "filtro DIM=V[,V...] o year=2019..2023; repetible / filter; repeatable")
	tierName := fs.String("tier", "admin", "nivel de protección / disclosure tier: admin, conatt, public")
	format := fs.String("format", "csv", "csv o json")
	release := fs.Int64("release", 0, "tier public: la publicación N (por defecto la última aprobada) / release N (default: the latest approved)")
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := schemas.ParseMeasure(*measure)
	if err != nil {
		return err
	}
	tier, err := schemas.ParseTier(*tierName)
	if err != nil {
		return err
	}
	q := schemas.Query{Measure: m, Where: where}
	if *by != "" {
		for _, d := range strings.Split(*by, ",") {
			dim, err := schemas.ParseDim(strings.TrimSpace(d))
			if err != nil {
				return err
			}
			q.By = append(q.By, dim)
		}
	}
	if *format != "csv" && *format != "json" {
		return usageError{"--format: csv o json / csv or json"}
	}
	if err := q.Validate(tier); err != nil {
		return err
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.AggregateRelease(ctx, q, tier, *release)
	if err != nil {
		return err
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
// note; one row per non-zero combination; count empty where suppressed.
func writeTableCSV(e *env, t *schemas.Table) error {
	w := csv.NewWriter(e.stdout)
	hdr := make([]string, 0, len(t.By)+2)
	for _, d := range t.By {
		hdr = append(hdr, string(d))
	}
	w.Write(append(hdr, "count", "note"))
	for _, r := range t.Rows {
		count := ""
		if r.Count != nil {
			count = strconv.Itoa(*r.Count)
		}
		w.Write(append(append([]string{}, r.Keys...), count, r.Note))
	}
	w.Flush()
	return w.Error()
}
