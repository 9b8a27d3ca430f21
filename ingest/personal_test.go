package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

func TestMaskPersonal(t *testing.T) {
	for in, want := range map[string]string{
		"8888 8888":                   hiddenNumber,
		"8888.8888":                   hiddenNumber,
		"8888-8888":                   hiddenNumber,
		"1 0234 0567":                 hiddenNumber,
		"1.0234.0567":                 hiddenNumber,
		"1-0234-0567":                 hiddenNumber,
		"123 456 789":                 hiddenNumber,
		"1-234-567":                   hiddenNumber,
		"tel. +506 8888 7777":         "tel. +" + hiddenNumber,
		"pasaporte C01234567":         "pasaporte C" + hiddenNumber,
		"escribir a m.sol@ejemplo.cr": "escribir a " + hiddenEmail,
		"2024-03-15":                  "2024-03-15",
		"15.03.2024":                  "15.03.2024",
		"15/03/2024":                  "15/03/2024",
		"15 años":                     "15 años",
		"123 456":                     "123 456",
	} {
		if got := maskPersonal(in); got != want {
			t.Errorf("maskPersonal(%q) = %q, want %q", in, got, want)
		}
	}
}

// Names, e-mails and numbers typed into kept columns may show in the
// uploader's printed report, never in what the database keeps.
func TestNothingPersonalStored(t *testing.T) {
	// The last two headers are not known to the profile: a name and an
	// ID number typed into the header row.
	data := "ID persona,Rol,Fecha,Nacionalidad,Provincia,Sexo,Zacarías Quesadilla Ramírez,7-7777-7799\n" +
		"P-1,víctima,2024-01-15,María Fernanda Solís,Limón,F\n" +
		"P-2,,2024-01-15,NIC,Juan Pérez Mora,M\n" +
		"P-3,víctima,2024-01-15,NIC,maria.solis@ejemplo.cr,F\n" +
		"P-4,víctima,2024-01-15,8888 8888,1.0234.0567,F\n" +
		"P-5,,2024-01-15,123 456 789,1-234-567,Ana Lucía\n" +
		"P-6,víctima,2024-01-15,NIC,=HYPERLINK(\"http://x\"),F\n" +
		"P-7,víctima,2024-01-15,NIC,@SUM(1),F\n"
	sink := newMemSink()
	rep, err := File(context.Background(), sink, writeFile(t, "nombres.csv", []byte(data)), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	printed, _ := json.Marshal(rep)
	if !bytes.Contains(printed, []byte("María Fernanda Solís")) {
		t.Errorf("the uploader's report should show their value: %s", printed)
	}
	stored, _ := json.Marshal([]any{sink.reports, sink.quarantined})
	for _, leak := range []string{"María", "Juan", "Pérez", "Ana", "solis", "ejemplo", "8888", "0234", "456", "234-567", "Zacar", "Quesadilla", "7777"} {
		if bytes.Contains(stored, []byte(leak)) {
			t.Errorf("%q is kept in the database: %s", leak, stored)
		}
	}
	for _, leak := range []string{"solis", "ejemplo", "8888", "0234", "456", "234-567"} {
		if bytes.Contains(printed, []byte(leak)) {
			t.Errorf("%q is printed unmasked: %s", leak, printed)
		}
	}
	if c := sink.reports[0].Columns; len(c) != 8 || c[6].Header != hiddenText || c[6].Action != schemas.ColumnIgnored || c[2].Header != "Fecha" {
		t.Errorf("stored columns: %+v", c)
	}
	if len(sink.quarantined) != 2 || sink.quarantined[0].Cells["Nacionalidad"] != "NIC" || sink.quarantined[0].Cells["Provincia"] != hiddenText {
		t.Errorf("quarantine: %+v", sink.quarantined)
	}
	var buf bytes.Buffer
	if err := sheets.WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("CSV report cell %q would be read as a formula", c)
			}
		}
	}
}

// A profile that reads a personal column as a dimension is refused, and so
// is --map doing it.
func TestPersonalColumnNeverADimension(t *testing.T) {
	p := `{"name": "x", "columns": {"role": ["Rol"], "citizenship": ["Nombre completo"]}}`
	_, err := schemas.ReadProfile(strings.NewReader(p))
	wantCode(t, err, "personal_column")
	eri, _ := schemas.BuiltinProfile("eri")
	for _, m := range []string{"Nombre completo=citizenship", "Observaciones=status", "Teléfono de contacto=province"} {
		h, f, _ := strings.Cut(m, "=")
		_, err := eri.WithColumns(map[string]string{h: f})
		wantCode(t, err, "personal_column")
	}
	if _, err := eri.WithColumns(map[string]string{"Cédula": "person_id"}); err != nil {
		t.Errorf("an ID card number may be the person id (it is stored only as a keyed hash): %v", err)
	}
}

// A suggestion about a column that was not read names the column: the
// stored copy hides the name with the header.
func TestStoredReportHidesUnknownHeaders(t *testing.T) {
	rep := &schemas.BatchReport{
		Columns: []schemas.ColumnReport{{Index: 1, Header: "Sexo", Action: schemas.ColumnMapped, Field: "sex"}, {Index: 2, Header: "Ana Lucía Mora", Action: schemas.ColumnIgnored}},
		RowWarnings: []schemas.Issue{{Row: 1, Column: "Ana Lucía Mora", Code: "column_suggestion", Msg: schemas.Message{
			ES: "columna «Ana Lucía Mora» no leída; por sus valores podría ser: sex", EN: `column "Ana Lucía Mora" not read`}}},
	}
	out, _ := json.Marshal(storedReport(rep))
	if bytes.Contains(out, []byte("Lucía")) || !bytes.Contains(out, []byte(`"header":"Sexo"`)) {
		t.Errorf("stored: %s", out)
	}
	if rep.Columns[1].Header != "Ana Lucía Mora" || rep.RowWarnings[0].Column != "Ana Lucía Mora" {
		t.Errorf("the printed report changed: %+v", rep)
	}
}
