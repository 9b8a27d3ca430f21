package sheets

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
)

// WriteTemplate writes the ERI template: a "Casos" sheet with the Spanish
// headers and drop-down lists from the code lists, an instructions sheet,
// and a hidden sheet holding the lists.
func WriteTemplate(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const cases, lists, help = "Casos", "Listas", "Instrucciones"
	if err := f.SetSheetName("Sheet1", cases); err != nil {
		return err
	}
	for _, s := range []string{help, lists} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return err
	}
	listCol := 0
	for i, c := range schemas.TemplateColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(cases, cell, c.Header); err != nil {
			return err
		}
		dim, coded := schemas.Lookup(schemas.Dim(c.Field))
		if !coded || dim.Kind == schemas.KindTime {
			continue
		}
		listCol++
		lc, _ := excelize.ColumnNumberToName(listCol)
		f.SetCellValue(lists, lc+"1", c.Header)
		for j, code := range dim.Codes {
			f.SetCellValue(lists, fmt.Sprintf("%s%d", lc, j+2), code.ES)
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s5000", col, col))
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$2:$%s$%d", lists, lc, lc, len(dim.Codes)+1))
		// Information, not stop: synonyms and several values (";") are welcome.
		dv.SetError(excelize.DataValidationErrorStyleInformation, c.Header, "Valor fuera de la lista: se aceptará si el perfil lo reconoce.")
		dv.SetInput(c.Header, truncate(c.Help, 250))
		if err := f.AddDataValidation(cases, dv); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(schemas.TemplateColumns))
	f.SetCellStyle(cases, "A1", last+"1", bold)
	f.SetColWidth(cases, "A", last, 22)
	f.SetPanes(cases, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	f.SetSheetVisible(lists, false)

	rows := [][]any{
		{"Plantilla de casos del ERI (tipdash, codelist v1)"},
		{"Una fila por persona: víctima, persona migrante objeto de tráfico o persona sospechosa."},
		{"No escriba nombres, cédulas, direcciones, teléfonos ni relatos: tipdash los descarta y nunca los guarda."},
		{"Las listas desplegables muestran los valores esperados; también se aceptan sinónimos (F, Fem., Mujer...)."},
		{"Varias formas de explotación o captación: sepárelas con «;»."},
		{"Filas sin rol, sin fecha, o con un ID de persona repetido se rechazan y aparecen en el informe del lote."},
		{"English: one row per person; personal data columns are dropped; several values are separated by \";\"."},
		{},
		{"Columna", "Qué escribir"},
	}
	for _, c := range schemas.TemplateColumns {
		rows = append(rows, []any{c.Header, c.Help})
	}
	for i, r := range rows {
		if err := f.SetSheetRow(help, fmt.Sprintf("A%d", i+1), &r); err != nil {
			return err
		}
	}
	f.SetColWidth(help, "A", "A", 28)
	f.SetColWidth(help, "B", "B", 100)
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
