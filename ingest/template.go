package ingest

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
)

// TemplateColumn is one column of the ERI template.
type TemplateColumn struct {
	Header string // Spanish header, an alias of Field in the eri profile
	Field  string
	Help   string // what to write, in Spanish
}

// TemplateColumns is the ERI template, in order. The generator writes the
// same columns, plus the personal-data columns a real sheet often carries.
var TemplateColumns = []TemplateColumn{
	{"ID persona", schemas.FieldPersonID, "Código interno de la persona (no la cédula). Se guarda cifrado; permite actualizarla en cargas posteriores."},
	{"ID caso", schemas.FieldCaseID, "Código interno del caso o expediente. Se guarda cifrado."},
	{"Rol", "role", "Víctima, persona migrante objeto de tráfico, o persona sospechosa/imputada."},
	{"Delito", "offence", "Trata de personas o tráfico ilícito de migrantes (ley 8764)."},
	{"Fecha de referencia", schemas.FieldDate, "Fecha de acreditación, identificación o detección: dd/mm/aaaa."},
	{"Sexo", "sex", "Mujer, hombre, otro o desconocido."},
	{"Identidad de género", "gender_identity", "Mujer, hombre, trans o no binaria, desconocida."},
	{"Edad", schemas.FieldAge, "Años cumplidos (p. ej. 15), o «menor de edad» / «mayor de edad» si no se sabe."},
	{"Fecha de nacimiento", schemas.FieldBirthDate, "dd/mm/aaaa; si se da, calcula la edad exacta."},
	{"Nacionalidad", "citizenship", "País o gentilicio: Nicaragua, nicaragüense, NIC."},
	{"País de explotación", "country_exploitation", "País donde ocurrió la explotación."},
	{"Provincia", "province", "Provincia de Costa Rica, o «en el extranjero»."},
	{"Puesto fronterizo", "border_post", "Peñas Blancas, Las Tablillas, Paso Canoas, Sixaola, Sabalito, aeropuertos, ninguno."},
	{"Estado de la víctima", "status", "Presunta, acreditada o no acreditada (solo víctimas)."},
	{"Etapa judicial", "cj_stage", "Sospechosa, acusada, condenada o absuelta (solo personas sospechosas)."},
	{"Condición migratoria", "migration_status", "Nacional, regular, irregular, en tránsito, solicitante de refugio, refugiada."},
	{"Institución que refiere", "referring_institution", "OIJ, DGME, PANI, INAMU, Fiscalía, 9-1-1, 1-1-7-6, ONG..."},
	{"Formas de explotación", "exploitation", "Una o varias, separadas por «;»: explotación sexual comercial; trabajos o servicios forzados..."},
	{"Formas de captación", "recruitment", "Una o varias, separadas por «;»: oferta de empleo engañosa; redes sociales..."},
	{"Sector económico", "sector", "Actividad donde ocurrió: agricultura, construcción, trabajo doméstico..."},
}

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
	for i, c := range TemplateColumns {
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
	last, _ := excelize.ColumnNumberToName(len(TemplateColumns))
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
	for _, c := range TemplateColumns {
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
