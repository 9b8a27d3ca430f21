package sheets

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
)

// TableRows is a table in the CSV contract of "tipdash query": a header
// of the dimension keys in order, then count and note; a hidden count is
// empty.
func TableRows(t *schemas.Table) (header []string, rows [][]string) {
	header = make([]string, 0, len(t.By)+2)
	for _, d := range t.By {
		header = append(header, string(d))
	}
	header = append(header, "count", "note")
	rows = make([][]string, 0, len(t.Rows))
	for _, r := range t.Rows {
		count := ""
		if r.Count != nil {
			count = strconv.Itoa(*r.Count)
		}
		rows = append(rows, append(append(make([]string, 0, len(header)), r.Keys...), count, r.Note))
	}
	return header, rows
}

// WriteTable writes a table as CSV (the query contract), XLSX (its title
// and notes above the same columns) or JSON.
func WriteTable(w io.Writer, f schemas.FileFormat, t *schemas.Table, title schemas.Message) error {
	header, rows := TableRows(t)
	switch f {
	case schemas.FormatCSV:
		return WriteCSVRows(w, header, rows)
	case schemas.FormatXLSX:
		titles := []string{title.ES + " / " + title.EN}
		for _, n := range t.Notes {
			titles = append(titles, n.ES+" / "+n.EN)
		}
		return WriteXLSXRows(w, titles, header, rows)
	}
	return json.NewEncoder(w).Encode(t)
}

// WriteCSVRows writes a header and rows as CSV.
func WriteCSVRows(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.Write(header)
	cw.WriteAll(rows)
	return cw.Error()
}

// WriteXLSXRows writes one sheet: title lines, then the header and rows.
func WriteXLSXRows(w io.Writer, titles, header []string, rows [][]string) error {
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
			cells[i] = inert(v)
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
	_, err = f.WriteTo(w)
	return err
}

// WriteReport writes a batch report as CSV, XLSX or JSON.
func WriteReport(w io.Writer, f schemas.FileFormat, rep *schemas.BatchReport) error {
	switch f {
	case schemas.FormatCSV:
		return WriteCSV(w, rep)
	case schemas.FormatXLSX:
		return WriteXLSX(w, rep)
	case schemas.FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return schemas.Invalid("bad_format", "un informe se escribe en csv, xlsx o json", "a report is written as csv, xlsx or json")
}
