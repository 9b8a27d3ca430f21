package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

func cmdGen(ctx context.Context, e *env, args []string) error {
	fs := e.flags("gen", "gen [--n N] [--seed S] [--format csv|xlsx|jsonl] [--delimiter ,|;|tab] [--encoding utf-8|utf-8-bom|windows-1252] --out FILE")
	n := fs.Int("n", 1000, "filas / rows")
	seed := fs.Uint64("seed", 1, "semilla: la misma da el mismo archivo / seed: the same gives the same file")
	format := fs.String("format", "", "csv, xlsx o jsonl (por defecto, la extensión de --out / default: --out's extension)")
	delim := fs.String("delimiter", ",", "CSV: , ; o tab")
	enc := fs.String("encoding", "utf-8", "CSV: utf-8, utf-8-bom o windows-1252")
	from := fs.Int("from", 2019, "primer año / first year")
	to := fs.Int("to", 2025, "último año / last year")
	out := fs.String("out", "", "archivo de salida / output file")
	roles := fs.String("roles", "15:65:20", "peso de víctimas:migrantes objeto de tráfico:sospechosas; 2:95:3 se parece a Costa Rica / weights of victims:smuggled migrants:suspects; 2:95:3 is like Costa Rica")
	if err := parse(fs, args); err != nil {
		return err
	}
	weights, err := parseRoles(*roles)
	if err != nil {
		return err
	}
	if *out == "" || *n < 0 {
		fs.Usage()
		return usageError{"falta --out / --out is required"}
	}
	f := *format
	if f == "" {
		var err error
		if f, err = ingest.DetectFormat(*out, nil); err != nil {
			return err
		}
	}
	d := map[string]rune{",": ',', ";": ';', "tab": '\t', "\t": '\t'}[*delim]
	if d == 0 {
		return usageError{"--delimiter: , ; o tab"}
	}
	w, err := os.Create(*out)
	if err != nil {
		return err
	}
	err = ingest.Generate(w, ingest.GenOptions{N: *n, Seed: *seed, Format: f, Delimiter: d, Encoding: *enc, FromYear: *from, ToYear: *to, Roles: weights})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
	}
	return err
}

func cmdTemplate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("template", "template --out FILE.xlsx")
	out := fs.String("out", "plantilla_eri.xlsx", "archivo de salida / output file")
	if err := parse(fs, args); err != nil {
		return err
	}
	w, err := os.Create(*out)
	if err != nil {
		return err
	}
	err = sheets.WriteTemplate(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

func cmdDims(ctx context.Context, e *env, args []string) error {
	fs := e.flags("dims", "dims [--lang es|en] [DIM]")
	lang := fs.String("lang", "es", "es o en")
	if err := parse(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if fs.NArg() == 0 {
		fmt.Fprintf(tw, "%s\n", schemas.Vocabulary().Version)
		for _, d := range schemas.Vocabulary().Dimensions {
			codes := d.CodeStrings()
			if len(codes) > 12 {
				codes = append(codes[:12], fmt.Sprintf("... (%d)", len(d.Codes)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Key, d.Kind, d.Label(*lang), strings.Join(codes, " "))
		}
		return tw.Flush()
	}
	d, err := schemas.ParseDim(fs.Arg(0))
	if err != nil {
		return err
	}
	for _, c := range schemas.MustDim(d).Codes {
		fmt.Fprintf(tw, "%s\t%s\n", c.Code, c.Label(*lang))
	}
	return tw.Flush()
}

// parseRoles reads "victims:smuggled:suspects" weights.
func parseRoles(s string) ([3]int, error) {
	var w [3]int
	parts := strings.Split(s, ":")
	bad := usageError{fmt.Sprintf("--roles %q: tres números como 2:95:3 / three numbers such as 2:95:3", s)}
	if len(parts) != 3 {
		return w, bad
	}
	sum := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return w, bad
		}
		w[i], sum = n, sum+n
	}
	if sum == 0 {
		return w, bad
	}
	return w, nil
}
