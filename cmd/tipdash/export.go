package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
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
	if tier == schemas.TierAdmin && *format != "glotip" {
		return usageError{"export csv|parquet solo escribe tablas protegidas: --tier conatt o public / export csv|parquet writes protected tables only: --tier conatt or public"}
	}
	if tier == schemas.TierAdmin && *release != 0 {
		return usageError{"--tier admin cuenta los registros actuales: sin --release / --tier admin counts the current records: no --release"}
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out == "" || (ext != ".csv" && ext != ".xlsx" && ext != ".parquet") {
		return usageError{"--out debe terminar en .csv, .xlsx o .parquet / --out must end in .csv, .xlsx or .parquet"}
	}
	if tier == schemas.TierAdmin && ext != ".xlsx" {
		return usageError{"--tier admin escribe XLSX, con CONFIDENCIAL en el título: --out archivo.xlsx / --tier admin writes XLSX, with CONFIDENTIAL in its title: --out file.xlsx"}
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
		header, rows, err = st.GlotipRows(ctx, tier, *release)
		titles = []string{"CONATT - tipdash", time.Now().Format("02/01/2006")}
		if tier == schemas.TierAdmin {
			titles[0] = "CONFIDENCIAL / CONFIDENTIAL: cifras exactas para UNODC, no publicar / exact figures for UNODC, not for publication - CONATT - tipdash"
		}
	case "csv", "parquet":
		header, rows, err = st.TableRows(ctx, tier, *release)
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
