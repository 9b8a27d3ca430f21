package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/classify"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// memSink is a Sink in memory: ingest declares the interface, so a fake
// is fine here; the store is exercised with a real DuckDB in its own tests
// and in cmd/tipdash.
type memSink struct {
	stored      map[string]int64
	batches     int
	records     []schemas.Record
	quarantined []schemas.Rejected
	reports     []*schemas.BatchReport
	begun       int
	aborted     int
	dedupeDB    bool
}

func newMemSink() *memSink { return &memSink{stored: map[string]int64{}} }

func (s *memSink) BatchByHash(_ context.Context, hash string) (int64, bool, error) {
	id, ok := s.stored[hash]
	return id, ok, nil
}

func (s *memSink) BeginBatch(_ context.Context, m schemas.BatchMeta) (BatchWriter, error) {
	s.begun++
	return &memBatch{sink: s}, nil
}

type memBatch struct {
	sink        *memSink
	recs        []schemas.Record
	quarantined []schemas.Rejected
	done        bool
}

func (b *memBatch) Append(_ context.Context, recs []schemas.Record) error {
	b.recs = append(b.recs, recs...)
	return nil
}

func (b *memBatch) Quarantine(_ context.Context, rows []schemas.Rejected) error {
	b.quarantined = append(b.quarantined, rows...)
	return nil
}

// Duplicates does what the store does: keep the first row of each person.
func (b *memBatch) Duplicates(context.Context) ([]schemas.Duplicate, error) {
	first := map[schemas.Key]int{}
	var out []schemas.Duplicate
	kept := b.recs[:0]
	for _, r := range b.recs {
		if f, ok := first[r.PersonKey]; ok && !r.PersonKey.IsZero() {
			out = append(out, schemas.Duplicate{Row: r.Row, FirstRow: f, Role: r.Role.String(), Cells: map[string]string{"role": r.Role.String()}})
			continue
		}
		first[r.PersonKey] = r.Row
		kept = append(kept, r)
	}
	b.recs = kept
	return out, nil
}

func (b *memBatch) Commit(_ context.Context, rep *schemas.BatchReport) (int64, int, error) {
	b.sink.batches++
	id := int64(b.sink.batches)
	b.sink.stored[rep.Meta.Hash] = id
	b.sink.records = append(b.sink.records, b.recs...)
	b.sink.quarantined = append(b.sink.quarantined, b.quarantined...)
	b.sink.reports = append(b.sink.reports, rep)
	b.done = true
	return id, 0, nil
}

func (b *memBatch) Abort() error {
	if !b.done {
		b.sink.aborted++
		b.done = true
	}
	return nil
}

var testNow = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)

func opts(t testing.TB, profile string) Options {
	t.Helper()
	p, err := schemas.BuiltinProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Profile: p, Entity: "oij", Uploader: "test", Secret: []byte("test secret 0123456789"), Now: testNow}
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func generate(t testing.TB, o GenOptions, name string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, o); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, buf.Bytes())
}

// fingerprint is what must not depend on the file format: every accepted
// record and every rejected row number.
func fingerprint(t *testing.T, path string) ([]schemas.Record, []int, *schemas.BatchReport) {
	t.Helper()
	sink := newMemSink()
	rep, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	var rows []int
	for _, q := range rep.Rejections {
		rows = append(rows, q.Row)
	}
	return sink.records, rows, rep
}

// TestFormatsAgree: the same generated cases written as CSV in every
// delimiter and encoding, as XLSX and as JSON Lines give the same records.
func TestFormatsAgree(t *testing.T) {
	base := GenOptions{N: 600, Seed: 7}
	wantRecs, wantRej, wantRep := fingerprint(t, generate(t, base, "base.csv"))
	if wantRep.Accepted < 550 || wantRep.Rejected == 0 || len(wantRep.Warnings) == 0 {
		t.Fatalf("generator lost its mess: %d accepted, %d rejected, %d warnings", wantRep.Accepted, wantRep.Rejected, len(wantRep.Warnings))
	}
	variants := map[string]GenOptions{
		"semicolon.csv":     {Delimiter: ';'},
		"tab.tsv":           {Delimiter: '\t'},
		"bom.csv":           {Encoding: "utf-8-bom"},
		"cp1252.csv":        {Encoding: "windows-1252", Delimiter: ';'},
		"cp1252-tab.csv":    {Encoding: "windows-1252", Delimiter: '\t'},
		"cases.xlsx":        {Format: FormatXLSX},
		"cases.jsonl":       {Format: FormatJSONL},
		"cp1252-comma.csv":  {Encoding: "windows-1252"},
		"bom-semicolon.csv": {Encoding: "utf-8-bom", Delimiter: ';'},
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			o := base
			o.Delimiter, o.Encoding, o.Format = v.Delimiter, v.Encoding, v.Format
			recs, rej, _ := fingerprint(t, generate(t, o, name))
			if o.Format == FormatJSONL {
				// JSON Lines has no header line: row n of the CSV is line n-1.
				for i := range recs {
					recs[i].Row++
				}
				for i := range rej {
					rej[i]++
				}
			}
			if diff := cmp.Diff(wantRej, rej); diff != "" {
				t.Errorf("rejected rows differ (-csv +%s):\n%s", name, diff)
			}
			if diff := cmp.Diff(wantRecs, recs); diff != "" {
				t.Errorf("records differ (-csv +%s):\n%s", name, diff)
			}
		})
	}
}

func TestUTF16(t *testing.T) {
	var buf bytes.Buffer
	if err := Generate(&buf, GenOptions{N: 50, Seed: 3, Delimiter: '\t'}); err != nil {
		t.Fatal(err)
	}
	want, _, _ := fingerprint(t, writeFile(t, "a.txt", buf.Bytes()))
	u16 := []byte{0xff, 0xfe}
	for _, r := range buf.String() {
		if r > 0xffff {
			t.Fatal("test data outside the BMP")
		}
		u16 = append(u16, byte(r), byte(r>>8))
	}
	got, _, _ := fingerprint(t, writeFile(t, "u16.txt", u16))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UTF-16 file differs:\n%s", diff)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, f := range []string{FormatCSV, FormatJSONL} {
		var a, b, c bytes.Buffer
		Generate(&a, GenOptions{N: 200, Seed: 42, Format: f})
		Generate(&b, GenOptions{N: 200, Seed: 42, Format: f})
		Generate(&c, GenOptions{N: 200, Seed: 43, Format: f})
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the same seed gave different files", f)
		}
		if bytes.Equal(a.Bytes(), c.Bytes()) {
			t.Errorf("%s: different seeds gave the same file", f)
		}
	}
}

// TestPersonalDataDropped: the personal-data columns are reported as
// dropped and none of their values reaches a record or the quarantine.
func TestPersonalDataDropped(t *testing.T) {
	path := generate(t, GenOptions{N: 300, Seed: 11}, "pii.csv")
	sink := newMemSink()
	rep, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(personalColumns, rep.DroppedColumns()); diff != "" {
		t.Errorf("dropped columns (-want +got):\n%s", diff)
	}
	js, _ := json.Marshal(struct {
		R any
		Q any
	}{sink.records, rep})
	for _, leak := range []string{"Relato ficticio", "al norte de la iglesia", "ERI-20"} {
		if bytes.Contains(js, []byte(leak)) {
			t.Errorf("personal data or a raw id %q reached the records or the report", leak)
		}
	}
	for _, name := range firstNames {
		if bytes.Contains(js, []byte(name+" ")) {
			t.Errorf("a name (%s) reached the records or the report", name)
		}
	}
}

const messyCSV = "Reporte ERI - enero\n" +
	"\n" +
	"ID persona;Rol;Delito;Fecha de referencia;Sexo;Edad;Nacionalidad;Provincia;Formas de explotación;Nombre completo;Cédula;Observaciones;Columna rara\n" +
	"A-1;Víctima;;15/01/2024;F;15 años;nicaragüense;Limón;Explotación sexual comercial;Ana Pérez;1-1111-1111;nota;x\n" +
	"A-2;persona migrante objeto de tráfico;tráfico ilícito de personas;2024-01-20;Masc.;30;VEN;;;Luis Rojas;2-2222-2222;;\n" +
	"A-3;;Trata;16/01/2024;F;20;CRI;San José;laboral;Eva Mora;;;\n" +
	"A-1;Víctima;;17/01/2024;F;16;NIC;Limón;sexual;Ana Pérez;;;\n" +
	"A-4;imputado;;18/01/2024;M;40;CRI;Heredia;;Juan Solano;;;\n" +
	"A-5;Víctima;Trata;31/02/2024;Mujer;menor de edad;Colombia;Cartago;servidumbre doméstica y mendicidad;;;;\n" +
	"A-6;Víctima;tráfico ilícito de personas;19/01/2024;Mujer;22;Colombia;Cartago;sexual;;;;\n" +
	"A-7;Víctima;Trata;20/01/2027;Mujer;22;Colombia;Cartago;sexual;;;;\n" +
	"A-8;sospechosa;Trata de personas;21/01/2024;Femenimo;treinta;marciana;Narnia;sexual / brujería;;;;\n" +
	";;;;;;;;;;;;\n" +
	"A-9;Víctima;;;F;10;CRI;Alajuela;sexual;;;;\n"

// TestReportGolden checks the batch report of a file with every kind of
// problem, as text, JSON and CSV, against testdata/golden (-update rewrites).
func TestReportGolden(t *testing.T) {
	path := writeFile(t, "casos_enero.csv", []byte(messyCSV))
	sink := newMemSink()
	rep, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	rep.Meta.Time = time.Time{}
	var text, js, csvOut bytes.Buffer
	if err := sheets.WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	if err := sheets.WriteCSV(&csvOut, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", text.Bytes())
	golden(t, "report.json", js.Bytes())
	golden(t, "report.csv", csvOut.Bytes())

	// The facts behind the golden files, stated once more so that an
	// -update cannot quietly accept a wrong report.
	if rep.HeaderRow != 3 || rep.Rows != 10 || rep.EmptyRows != 1 || rep.Accepted != 3 || rep.Rejected != 7 {
		t.Errorf("header %d rows %d empty %d accepted %d rejected %d; want 3, 10, 1, 3, 7",
			rep.HeaderRow, rep.Rows, rep.EmptyRows, rep.Accepted, rep.Rejected)
	}
	reasons := map[int]string{}
	for _, q := range rep.Rejections {
		reasons[q.Row] = q.Reasons[0].Code
	}
	want := map[int]string{6: "role_missing", 7: "duplicate_person", 8: "offence_missing", 9: "date_invalid", 10: "role_offence_conflict", 11: "date_future", 14: "date_missing"}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
	}
	var unknown []string
	for _, w := range rep.Warnings {
		unknown = append(unknown, w.Column+"="+w.Value)
	}
	slices.Sort(unknown)
	if diff := cmp.Diff([]string{"Formas de explotación=brujería", "Nacionalidad=marciana", "Provincia=Narnia", "Sexo=Femenimo"}, unknown); diff != "" {
		t.Errorf("unknown values (-want +got):\n%s", diff)
	}
	if len(rep.RowWarnings) != 1 || rep.RowWarnings[0].Code != "age_unreadable" {
		t.Errorf("row warnings: %+v", rep.RowWarnings)
	}
	for _, q := range rep.Rejections {
		for k, v := range q.Cells {
			if strings.Contains(k, "Nombre") || strings.Contains(k, "ID") || strings.Contains(v, "A-") {
				t.Errorf("row %d quarantine keeps %q=%q", q.Row, k, v)
			}
		}
	}
	// Row 4: a 15-year-old Nicaraguan girl, trafficking for sexual exploitation.
	r := sink.records[0]
	if r.Row != 4 || r.Role != schemas.RoleVictim || r.Offence != schemas.OffenceTip || r.SexAge != schemas.SexAgeGirl ||
		r.Citizenship.String() != "NIC" || r.Province != schemas.ProvinceL || r.ICCS != schemas.ICCS02041 || r.Year != 2024 || r.Month != 1 {
		t.Errorf("first record: %+v", r)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

func TestStrictAndDryRun(t *testing.T) {
	path := writeFile(t, "c.csv", []byte(messyCSV))
	sink := newMemSink()
	o := opts(t, "eri")
	o.Strict = true
	rep, err := File(context.Background(), sink, path, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != schemas.BatchRefusedStrict || sink.batches != 0 || sink.aborted != 1 {
		t.Errorf("strict: status %s, %d stored, %d aborted", rep.Status, sink.batches, sink.aborted)
	}
	o.Strict, o.DryRun = false, true
	rep, err = File(context.Background(), sink, path, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != schemas.BatchDryRun || sink.begun != 1 || rep.Rejected != 7 {
		t.Errorf("dry run: status %s, %d batches begun, %d rejected", rep.Status, sink.begun, rep.Rejected)
	}
}

func TestSameFileTwice(t *testing.T) {
	path := generate(t, GenOptions{N: 50, Seed: 1}, "x.csv")
	sink := newMemSink()
	first, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != schemas.BatchDuplicate || again.DuplicateOf != first.BatchID || sink.batches != 1 || sink.aborted != 1 {
		t.Errorf("second ingest: %s of %d; %d batches stored, %d aborted", again.Status, again.DuplicateOf, sink.batches, sink.aborted)
	}
}

func TestFileErrors(t *testing.T) {
	cases := map[string][]byte{
		"empty.csv":    {},
		"noheader.csv": []byte("a,b,c\n1,2,3\n"),
		"bad.xlsx":     []byte("PK\x03\x04 not really a zip"),
		"old.xls":      []byte("\xd0\xcf\x11\xe0"),
	}
	for name, data := range cases {
		_, err := File(context.Background(), newMemSink(), writeFile(t, name, data), opts(t, "eri"))
		var se *schemas.Error
		if err == nil || !errors.As(err, &se) || se.Msg.ES == "" || se.Msg.EN == "" {
			t.Errorf("%s: got %v, want a bilingual error", name, err)
		}
	}
	_, err := File(context.Background(), newMemSink(), filepath.Join(t.TempDir(), "missing.csv"), opts(t, "eri"))
	if err == nil || !strings.Contains(err.Error(), "no existe") {
		t.Errorf("missing file: %v", err)
	}
}

func TestTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := sheets.WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "plantilla.xlsx", buf.Bytes())
	rep, err := File(context.Background(), newMemSink(), path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	mapped := 0
	for _, c := range rep.Columns {
		if c.Action == schemas.ColumnMapped {
			mapped++
		}
	}
	if rep.HeaderRow != 1 || mapped != len(schemas.TemplateColumns) || rep.Rows != 0 {
		t.Errorf("template: header row %d, %d of %d columns mapped, %d rows", rep.HeaderRow, mapped, len(schemas.TemplateColumns), rep.Rows)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Casos", "Instrucciones", "Listas"}, f.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	dvs, err := f.GetDataValidations("Casos")
	if err != nil {
		t.Fatal(err)
	}
	coded := 0
	for _, c := range schemas.TemplateColumns {
		if d, ok := schemas.Lookup(schemas.Dim(c.Field)); ok && d.Kind != schemas.KindTime {
			coded++
		}
	}
	if len(dvs) != coded {
		t.Errorf("%d drop-down lists, want one per coded column (%d)", len(dvs), coded)
	}
	if v, _ := f.GetCellValue("Listas", "A2"); v != "Víctima de trata" {
		t.Errorf("first list value %q", v)
	}
	o := opts(t, "eri")
	o.Sheet = "Nope"
	_, err = File(context.Background(), newMemSink(), path, o)
	if err == nil || !strings.Contains(err.Error(), "Casos") {
		t.Errorf("unknown sheet: %v, want the list of sheets", err)
	}
}

func newTestMapper(o Options) (*mapper, error) {
	c, err := classify.New(o.Profile)
	if err != nil {
		return nil, err
	}
	return &mapper{c: c, keyer: NewKeyer(o.Secret), defaults: defaults(o.Profile), unknown: unknownCodes(),
		today: classify.Date{Year: o.Now.Year(), Month: int(o.Now.Month()), Day: o.Now.Day()}}, nil
}

// TestRowWarningsBounded: row warnings past the first 1000 are counted, not
// kept, so that memory stays flat.
func TestRowWarningsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Rol,Fecha de referencia,Edad\n")
	for range 1200 {
		b.WriteString("víctima,01/02/2024,treinta\n")
	}
	rep, err := File(context.Background(), newMemSink(), writeFile(t, "w.csv", []byte(b.String())), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RowWarnings) != 1000 || rep.RowWarningsOmitted != 200 || rep.Warned != 1200 || rep.Accepted != 1200 {
		t.Errorf("%d row warnings kept, %d omitted, %d warned, %d accepted", len(rep.RowWarnings), rep.RowWarningsOmitted, rep.Warned, rep.Accepted)
	}
	var text bytes.Buffer
	sheets.WriteText(&text, rep)
	if !strings.Contains(text.String(), "200 more warnings") {
		t.Errorf("the text report does not say how many warnings were left out")
	}
}

// TestIDsTypedInTheWrongColumnAreMasked: a cédula or phone number typed
// into a column that is kept (in the quarantine or the report) is masked.
func TestIDsTypedInTheWrongColumnAreMasked(t *testing.T) {
	csv := "Rol,Fecha de referencia,Nacionalidad,Provincia\n" +
		",01/02/2024,1-2345-6789,Limón\n" + // rejected: no role; the cédula is in Nacionalidad
		"víctima,2024-02-03,88887777,tel 8888-7777\n" // accepted with unknown values
	rep, err := File(context.Background(), newMemSink(), writeFile(t, "ids.csv", []byte(csv)), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	for _, leak := range []string{"2345", "8888", "7777"} {
		if bytes.Contains(js, []byte(leak)) {
			t.Errorf("%s is in the report: %s", leak, js)
		}
	}
	if rep.Rejected != 1 || rep.Rejections[0].Cells["Provincia"] != "Limón" || rep.Rejections[0].Cells["Fecha de referencia"] != "01/02/2024" {
		t.Errorf("the rest of the row must be kept as typed: %+v", rep.Rejections)
	}
}

// --map: the user's column is read even where a column of the profile
// carries the same field (whichever comes first), matched like every
// header (case and accents aside); a mapped header the file does not have
// refuses it, naming the headers it has.
func TestUserMappingWins(t *testing.T) {
	data := "ID persona,Rol,Fecha,Estado,Situación\n" +
		"P-1,víctima,2024-01-15,presunta,acreditada\n" +
		"P-2,víctima,2024-01-15,presunta,acreditada\n"
	path := writeFile(t, "map.csv", []byte(data))
	for _, h := range []string{"Situación", "SITUACION"} {
		o := opts(t, "eri")
		p, err := o.Profile.WithColumns(map[string]string{h: "status"})
		if err != nil {
			t.Fatal(err)
		}
		o.Profile = p
		sink := newMemSink()
		rep, err := File(context.Background(), sink, path, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(sink.records) != 2 || sink.records[0].Status != schemas.StatusAccredited {
			t.Errorf("--map %s=status: records %+v", h, sink.records)
		}
		if c := rep.Columns; c[3].Action != schemas.ColumnRepeated || c[4].Action != schemas.ColumnMapped || c[4].Field != "status" {
			t.Errorf("--map %s=status: columns %+v", h, c)
		}
		var text strings.Builder
		if err := sheets.WriteText(&text, rep); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "repeated columns, not read: the field is already read from another column (use --map to choose): «Estado» (status: «Situación»)") || strings.Contains(text.String(), "not recognised") {
			t.Errorf("the printed report should say Estado repeats status:\n%s", text.String())
		}
	}
	o := opts(t, "eri")
	p, err := o.Profile.WithColumns(map[string]string{"Sitaución": "status"})
	if err != nil {
		t.Fatal(err)
	}
	o.Profile = p
	sink := newMemSink()
	_, err = File(context.Background(), sink, path, o)
	wantCode(t, err, "map_not_found")
	if err == nil || !strings.Contains(err.Error(), "Sitaución") || !strings.Contains(err.Error(), "Situación") || len(sink.records) != 0 {
		t.Errorf("a mapped header the file lacks: %v, %d records", err, len(sink.records))
	}
}
