package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("export", `export [--db PATH] --format glotip|csv|parquet [--tier conatt|public|admin] [--release N] --out FILE(.csv|.xlsx|.parquet)

  conatt|public: las tablas de una publicación; una celda oculta se escribe vacía (csv, parquet) o «x» (glotip) /
  a release's tables; a hidden cell is written empty (csv, parquet) or "x" (glotip).
  --format glotip --tier admin: cifras exactas para el cuestionario de UNODC, CONFIDENCIAL /
  exact figures for UNODC's questionnaire, CONFIDENTIAL.`)
	db := dbFlag(fs)
	format := fs.String("format", "", "glotip (formato largo de UNODC / UNODC long format), csv o parquet")
	tierName := fs.String("tier", "conatt", "conatt o public: desde la última publicación aprobada de ese nivel / from that tier's latest approved release; admin: solo glotip / glotip only")
	release := fs.Int64("release", 0, "la publicación N / release N")
	out := fs.String("out", "", "archivo de salida; la extensión decide CSV, XLSX o Parquet / output file; its extension picks CSV, XLSX or Parquet")
	if err := parse(fs, args); err != nil {
		return err
	}
	tier, err := schemas.ParseTier(*tierName)
	if err != nil {
		return err
	}
	req := schemas.ExportRequest{Layout: schemas.LayoutTables, Tier: tier, Release: *release}
	switch *format {
	case "glotip":
		req.Layout = schemas.LayoutGlotip
	case "csv", "parquet":
	default:
		return usageError{"--format: glotip, csv o parquet"}
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out == "" || (ext != ".csv" && ext != ".xlsx" && ext != ".parquet") {
		return usageError{"--out debe terminar en .csv, .xlsx o .parquet / --out must end in .csv, .xlsx or .parquet"}
	}
	if req.Format, err = schemas.ParseFileFormat(ext); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return usageError{err.Error()} // a flag that may not be given with the others
	}
	st, done, err := connect(ctx, *db, openExisting)
	if err != nil {
		return err
	}
	defer done()
	// Written beside the target and renamed: a failed export leaves no half file.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".tipdash-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := st.Export(ctx, req, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d filas escritas en %s (nivel %s) / %d rows written to %s (tier %s)\n", n, *out, tier, n, *out, tier)
	return nil
}
