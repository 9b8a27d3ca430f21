package ingest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/sheets"
)

// readAll reads every row of a sheet with tipdash's reader, as excelize
// lays rows out (trailing empty cells dropped, missing rows empty).
func readAll(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	src, err := NewXLSX(bytes.NewReader(data), int64(len(data)), sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]string
	for {
		row, cells, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for len(out) < row-1 {
			out = append(out, nil)
		}
		for len(cells) > 0 && cells[len(cells)-1] == "" {
			cells = cells[:len(cells)-1]
		}
		out = append(out, cells)
	}
}

// excelizeRows is the reference: excelize's raw row reader.
func excelizeRows(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheet == "" {
		sheet = f.GetSheetList()[0]
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		rows[i] = r
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	return rows
}

func compareReaders(t *testing.T, data []byte, sheet string) {
	t.Helper()
	want, got := excelizeRows(t, data, sheet), readAll(t, data, sheet)
	for len(got) > 0 && len(got[len(got)-1]) == 0 {
		got = got[:len(got)-1]
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool {
		return len(a) == 0 && len(b) == 0 || cmp.Equal([]string(a), []string(b))
	})); diff != "" {
		t.Errorf("tipdash's XLSX reader differs from excelize (-excelize +tipdash):\n%s", diff)
	}
}

// TestXLSXReaderMatchesExcelize: on workbooks written by excelize (inline
// strings, shared strings, dates, numbers, hidden sheets), tipdash's reader
// reads exactly what excelize reads.
func TestXLSXReaderMatchesExcelize(t *testing.T) {
	var gen, tpl, rep bytes.Buffer
	if err := Generate(&gen, GenOptions{N: 300, Seed: 4, Format: FormatXLSX}); err != nil {
		t.Fatal(err)
	}
	compareReaders(t, gen.Bytes(), "")
	if err := sheets.WriteTemplate(&tpl); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Casos", "Instrucciones", "Listas"} {
		compareReaders(t, tpl.Bytes(), s)
	}
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "B3", &[]any{"a & b <c>", 3.5, true, "línea\nnueva", "_x000D_ literal?"})
	f.SetCellFormula("Sheet1", "A5", "=1+1")
	f.SetCellValue("Sheet1", "AB7", "far")
	if err := f.Write(&rep); err != nil {
		t.Fatal(err)
	}
	compareReaders(t, rep.Bytes(), "Sheet1")
}

// TestXLSXReaderOnUNODC reads the real UNODC workbooks (made by Excel, with
// title rows, shared strings and damaged labels) and compares with excelize.
// It skips when the files are absent.
func TestXLSXReaderOnUNODC(t *testing.T) {
	if testing.Short() {
		t.Skip("large workbooks") // the race run: the reader has no goroutines
	}
	for _, name := range []string{"unodc_glotip_2025-04-14_data_glotip.xlsx", "unodc_glotip_2023-05-30_data_glotip.xlsx"} {
		path := filepath.Join("..", "..", "shared", "external", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Skip("UNODC file not present:", path)
		}
		t.Run(name, func(t *testing.T) { compareReaders(t, data, "") })
	}
}
