package sheets

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
)

var statusText = map[string]schemas.Message{
	schemas.BatchStored:        {ES: "guardado", EN: "stored"},
	schemas.BatchDryRun:        {ES: "validación sin guardar (--dry-run)", EN: "validated, not stored (--dry-run)"},
	schemas.BatchRefusedStrict: {ES: "NO guardado: hay filas rechazadas y se pidió --strict", EN: "NOT stored: some rows were rejected and --strict was given"},
	schemas.BatchDuplicate:     {ES: "ya estaba cargado: no se cambió nada", EN: "already stored: nothing changed"},
	schemas.BatchRolledBack:    {ES: "revertido", EN: "rolled back"},
}

// StatusText describes a batch status in both languages.
func StatusText(status string) schemas.Message {
	if m, ok := statusText[status]; ok {
		return m
	}
	return schemas.Message{ES: status, EN: status}
}

// WriteText prints the report for a person: Spanish first, English after
// each line, rejected rows one by one, unknown values grouped with counts.
func WriteText(w io.Writer, rep *schemas.BatchReport) error {
	p := &printer{w: w}
	st := StatusText(rep.Status)
	title := rep.Meta.File
	if rep.BatchID != 0 {
		title = fmt.Sprintf("Lote / batch %d · %s", rep.BatchID, rep.Meta.File)
	}
	p.f("%s (%s, perfil / profile %s): %s / %s\n", title, rep.Meta.Format, rep.Meta.Profile, st.ES, st.EN)
	if rep.Status == schemas.BatchDuplicate {
		p.f("  es el mismo archivo que el lote %d / it is the same file as batch %d\n", rep.DuplicateOf, rep.DuplicateOf)
		return p.err
	}
	if rep.HeaderRow > 1 {
		p.f("  encabezado en la fila %d; las filas anteriores se omitieron / header on row %d; the rows above were skipped\n", rep.HeaderRow, rep.HeaderRow)
	}
	p.f("  filas leídas / rows read: %d\n", rep.Rows)
	p.f("  aceptadas / accepted: %d (con advertencias / with warnings: %d)\n", rep.Accepted, rep.Warned)
	p.f("  rechazadas / rejected: %d", rep.Rejected)
	if rep.Rejected > 0 && rep.Status == schemas.BatchStored {
		p.f(" (guardadas en cuarentena / kept in quarantine)")
	}
	p.f("\n")
	if rep.Updated > 0 {
		p.f("  personas ya conocidas, actualizadas / known people updated: %d\n", rep.Updated)
	}
	if rep.EmptyRows > 0 {
		p.f("  filas vacías omitidas / empty rows skipped: %d\n", rep.EmptyRows)
	}
	if len(rep.ByRole) > 0 {
		roles := make([]string, 0, len(rep.ByRole))
		for r, n := range rep.ByRole {
			roles = append(roles, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(roles)
		p.f("  por rol / by role: %s\n", strings.Join(roles, ", "))
	}
	if d := rep.DroppedColumns(); len(d) > 0 {
		p.f("\nDatos personales descartados (nunca se guardan) / personal data dropped (never stored): %s\n", quoteJoin(d))
	}
	var ignored, repeated []string
	for _, c := range rep.Columns {
		switch c.Action {
		case schemas.ColumnIgnored:
			ignored = append(ignored, c.Header)
		case schemas.ColumnRepeated:
			from := ""
			for _, m := range rep.Columns {
				if m.Action == schemas.ColumnMapped && m.Field == c.Field {
					from = m.Header
				}
			}
			repeated = append(repeated, fmt.Sprintf("«%s» (%s: «%s»)", c.Header, c.Field, from))
		}
	}
	if len(ignored) > 0 {
		p.f("Columnas no reconocidas, no leídas / columns not recognised, not read: %s\n", quoteJoin(ignored))
	}
	if len(repeated) > 0 {
		p.f("Columnas repetidas, no leídas: el campo ya se lee de otra columna (use --map para elegir) / repeated columns, not read: the field is already read from another column (use --map to choose): %s\n", strings.Join(repeated, ", "))
	}
	if len(rep.Rejections) > 0 {
		p.f("\nFilas rechazadas / rejected rows:\n")
		for _, q := range rep.Rejections {
			for _, r := range q.Reasons {
				p.f("  fila / row %d%s: %s / %s\n", q.Row, where(r), r.Msg.ES, r.Msg.EN)
			}
		}
		if n := rep.RejectionsOmitted; n > 0 {
			p.f("  … y %d filas más: están todas en la cuarentena; «tipdash batches show %d --report informe.xlsx» las lista /\n"+
				"    … and %d more rows: all are in the quarantine; \"tipdash batches show %d --report report.xlsx\" lists them\n", n, rep.BatchID, n, rep.BatchID)
		}
	}
	if len(rep.Warnings) > 0 {
		p.f("\nValores desconocidos para el perfil, registrados como «unknown» / values unknown to the profile, recorded as unknown:\n")
		for _, v := range rep.Warnings {
			p.f("  «%s» = «%s»: %d %s (%s)\n", v.Column, v.Value, v.Count, plural(v.Count, "fila", "filas")+" / "+plural(v.Count, "row", "rows"), rowList(v.Rows, v.Count))
		}
		if n := rep.WarningsOmitted; n > 0 {
			p.f("  … y %d %s con otros valores desconocidos / … and %d more with other unknown values\n", n, plural(n, "celda", "celdas"), n)
		}
	}
	if len(rep.RowWarnings) > 0 {
		p.f("\nOtras advertencias / other warnings:\n")
		for _, r := range rep.RowWarnings {
			p.f("  fila / row %d%s: %s / %s\n", r.Row, where(r), r.Msg.ES, r.Msg.EN)
		}
		if n := rep.RowWarningsOmitted; n > 0 {
			p.f("  … y %d advertencias más / … and %d more warnings\n", n, n)
		}
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func where(r schemas.Issue) string {
	s := ""
	if r.Column != "" {
		s += fmt.Sprintf(", columna / column «%s»", r.Column)
	}
	if r.Value != "" {
		s += fmt.Sprintf(", valor / value «%s»", r.Value)
	}
	return s
}

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "«" + x + "»"
	}
	return strings.Join(q, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func rowList(rows []int, total int) string {
	s := make([]string, len(rows))
	for i, r := range rows {
		s[i] = strconv.Itoa(r)
	}
	out := strings.Join(s, ", ")
	if total > len(rows) {
		out += ", …"
	}
	return out
}

// reportHeader is the header of the CSV report and of the XLSX issue sheets.
var reportHeader = []string{"tipo_kind", "fila_row", "columna_column", "valor_value", "codigo_code", "motivo", "reason", "cantidad_count"}

// issueRows flattens the report: one line per rejection reason, per row
// warning, and per unknown value (with its count).
func issueRows(rep *schemas.BatchReport) [][]string {
	var out [][]string
	for _, q := range rep.Rejections {
		for _, r := range q.Reasons {
			out = append(out, []string{"rechazo_rejected", strconv.Itoa(q.Row), r.Column, r.Value, r.Code, r.Msg.ES, r.Msg.EN, "1"})
		}
	}
	for _, r := range rep.RowWarnings {
		out = append(out, []string{"advertencia_warning", strconv.Itoa(r.Row), r.Column, r.Value, r.Code, r.Msg.ES, r.Msg.EN, "1"})
	}
	for _, v := range rep.Warnings {
		out = append(out, []string{"valor_desconocido_unknown_value", rowList(v.Rows, v.Count), v.Column, v.Value, v.Code, v.Msg.ES, v.Msg.EN, strconv.Itoa(v.Count)})
	}
	return out
}

// WriteCSV writes the report's issues as CSV (UTF-8 with a BOM, so that
// Excel opens the accents right).
func WriteCSV(w io.Writer, rep *schemas.BatchReport) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(reportHeader)
	for _, r := range issueRows(rep) {
		for i, c := range r {
			r[i] = inert(c)
		}
		cw.Write(r)
	}
	cw.Flush()
	return cw.Error()
}

// inert keeps a spreadsheet from reading a cell as a formula (=, +, -, @,
// or a tab or carriage return before one): such cells get a leading quote.
func inert(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

// WriteXLSX writes the report as a workbook: a summary sheet, the issues,
// and what happened to every column.
func WriteXLSX(w io.Writer, rep *schemas.BatchReport) error {
	f := excelize.NewFile()
	defer f.Close()
	const summary = "Resumen"
	f.SetSheetName("Sheet1", summary)
	st := StatusText(rep.Status)
	lines := [][]any{
		{"Archivo / file", rep.Meta.File},
		{"Lote / batch", rep.BatchID},
		{"Estado / status", st.ES + " / " + st.EN},
		{"Perfil / profile", rep.Meta.Profile},
		{"Filas leídas / rows read", rep.Rows},
		{"Aceptadas / accepted", rep.Accepted},
		{"Con advertencias / with warnings", rep.Warned},
		{"Rechazadas / rejected", rep.Rejected},
		{"Actualizadas / updated", rep.Updated},
		{"Datos personales descartados / personal data dropped", strings.Join(rep.DroppedColumns(), ", ")},
	}
	for i, l := range lines {
		if err := f.SetSheetRow(summary, fmt.Sprintf("A%d", i+1), &l); err != nil {
			return err
		}
	}
	const issues = "Problemas - Issues"
	if _, err := f.NewSheet(issues); err != nil {
		return err
	}
	hdr := make([]any, len(reportHeader))
	for i, h := range reportHeader {
		hdr[i] = h
	}
	if err := f.SetSheetRow(issues, "A1", &hdr); err != nil {
		return err
	}
	for i, r := range issueRows(rep) {
		row := make([]any, len(r))
		for j, c := range r {
			row[j] = c
		}
		if err := f.SetSheetRow(issues, fmt.Sprintf("A%d", i+2), &row); err != nil {
			return err
		}
	}
	const cols = "Columnas - Columns"
	if _, err := f.NewSheet(cols); err != nil {
		return err
	}
	if err := f.SetSheetRow(cols, "A1", &[]any{"n", "encabezado_header", "accion_action", "campo_field"}); err != nil {
		return err
	}
	for i, c := range rep.Columns {
		if err := f.SetSheetRow(cols, fmt.Sprintf("A%d", i+2), &[]any{c.Index, c.Header, c.Action, c.Field}); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(w)
	return err
}
