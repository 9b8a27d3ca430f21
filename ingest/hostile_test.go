package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/schemas"
)

// TestMain lets the test binary ingest one file in a child process
// (TIPDASH_INGEST_CHILD=path), so that a test can measure its peak memory.
func TestMain(m *testing.M) {
	if path := os.Getenv("TIPDASH_INGEST_CHILD"); path != "" {
		p, _ := schemas.BuiltinProfile("eri")
		rep, err := File(context.Background(), countSink{}, path, Options{Profile: p, Entity: "oij", Secret: []byte("child secret 0123456789")})
		out := childResult{}
		if err != nil {
			out.Err = err.Error()
			var se *schemas.Error
			if errors.As(err, &se) {
				out.Code = se.Code
			}
		} else {
			out.Rows, out.Accepted, out.Rejected, out.Status = rep.Rows, rep.Accepted, rep.Rejected, rep.Status
		}
		// The peak of this process since exec: getrusage would count the
		// parent's memory, shared until exec.
		status, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &out.PeakKB)
			}
		}
		json.NewEncoder(os.Stdout).Encode(out)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type childResult struct {
	Err, Code, Status        string
	Rows, Accepted, Rejected int
	PeakKB                   int64
}

// countSink keeps nothing: memory is the reader's and the pipeline's.
type countSink struct{}

func (countSink) BatchByHash(context.Context, string) (int64, bool, error) { return 0, false, nil }
func (countSink) BeginBatch(context.Context, schemas.BatchMeta) (BatchWriter, error) {
	return &countBatch{}, nil
}

type countBatch struct{}

func (*countBatch) Append(context.Context, []schemas.Record) error          { return nil }
func (*countBatch) Duplicates(context.Context) ([]schemas.Duplicate, error) { return nil, nil }
func (*countBatch) Quarantine(context.Context, []schemas.Rejected) error    { return nil }
func (*countBatch) Commit(context.Context, *schemas.BatchReport) (int64, int, error) {
	return 1, 0, nil
}
func (*countBatch) Abort() error { return nil }

// ingestChild ingests path in a child process and checks that it stays under
// 512 MB and 10 s.
func ingestChild(t *testing.T, path string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TIPDASH_INGEST_CHILD="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%s: child: %v\n%s", filepath.Base(path), err, out.String())
	}
	var res childResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(path), err, out.String())
	}
	rss := res.PeakKB << 10
	t.Logf("%s: %.1f s, peak RSS %d MB: %s", filepath.Base(path), elapsed.Seconds(), rss>>20, strings.TrimSpace(out.String()))
	if rss == 0 || rss > 512<<20 {
		t.Errorf("%s: peak RSS %d MB, want under 512 MB", filepath.Base(path), rss>>20)
	}
	if elapsed > 10*time.Second {
		t.Errorf("%s: %.1f s, want under 10 s", filepath.Base(path), elapsed.Seconds())
	}
	return res
}

// part is one file inside a workbook; body writes its content (it may be
// far larger than the compressed workbook).
type part struct {
	name string
	body func(w io.Writer)
}

func text(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }

// writeWorkbook writes a workbook from raw parts, as an attacker would.
func writeWorkbook(t testing.TB, name string, parts ...part) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		bw := &errWriter{w: w}
		p.body(bw)
		if bw.err != nil {
			t.Fatal(bw.err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

const (
	workbookXML = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Casos" sheetId="1" r:id="rId1"/></sheets></workbook>`
	wbRelsXML   = `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
)

// book is a workbook of one sheet with the given shared strings and rows.
func book(t testing.TB, name string, shared, sheet func(io.Writer)) string {
	return writeWorkbook(t, name,
		part{"xl/workbook.xml", text(workbookXML)},
		part{"xl/_rels/workbook.xml.rels", text(wbRelsXML)},
		part{"xl/sharedStrings.xml", shared},
		part{"xl/worksheets/sheet1.xml", sheet})
}

// eriRows writes a header and n good rows as inline strings; bad may write
// row i's cells instead (it returns false to keep the good ones).
func eriRows(n int, bad func(w io.Writer, i int) bool) func(io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ID persona</t></is></c><c r="B1" t="inlineStr"><is><t>Rol</t></is></c><c r="C1" t="inlineStr"><is><t>Fecha</t></is></c><c r="D1" t="inlineStr"><is><t>Sexo</t></is></c></row>`)
		for i := 2; i <= n+1; i++ {
			fmt.Fprintf(w, `<row r="%d">`, i)
			if bad == nil || !bad(w, i) {
				fmt.Fprintf(w, `<c r="A%[1]d" t="inlineStr"><is><t>P-%[1]d</t></is></c><c r="B%[1]d" t="inlineStr"><is><t>víctima</t></is></c><c r="C%[1]d" t="inlineStr"><is><t>2024-03-15</t></is></c><c r="D%[1]d" t="inlineStr"><is><t>F</t></is></c>`, i)
			}
			io.WriteString(w, `</row>`)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
}

// repeat writes s n times.
func repeat(w io.Writer, s string, n int) {
	chunk := strings.Repeat(s, max(1, (1<<20)/len(s)))
	per := len(chunk) / len(s)
	for ; n >= per; n -= per {
		io.WriteString(w, chunk)
	}
	io.WriteString(w, strings.Repeat(s, n))
}

func checkAccounted(t *testing.T, rep *schemas.BatchReport, rows, rejected int) {
	t.Helper()
	if rep.Rows != rows || rep.Rejected != rejected || rep.Accepted+rep.Rejected != rep.Rows {
		t.Errorf("rows %d = accepted %d + rejected %d; want %d rows, %d rejected", rep.Rows, rep.Accepted, rep.Rejected, rows, rejected)
	}
}

// wantRefused ingests path and wants it refused with code, nothing stored.
func wantRefused(t *testing.T, path, code string) error {
	t.Helper()
	sink := newMemSink()
	_, err := File(context.Background(), sink, path, opts(t, "eri"))
	wantCode(t, err, code)
	if len(sink.records)+len(sink.quarantined) != 0 {
		t.Errorf("%s: %d records and %d rejected rows stored", path, len(sink.records), len(sink.quarantined))
	}
	return err
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var se *schemas.Error
	if !errors.As(err, &se) || se.Code != code || se.Msg.ES == "" || se.Msg.EN == "" {
		t.Errorf("got %v, want a bilingual %s error", err, code)
	}
}

// A broken cell rejects its row; the rows after it are read.
func TestXLSXBrokenCellRecovers(t *testing.T) {
	for name, cell := range map[string]string{
		"shared index":  `<c r="A%[1]d" t="s"><v>999</v></c><c r="B%[1]d" t="inlineStr"><is><t>víctima</t></is></c>`,
		"shared text":   `<c r="A%[1]d" t="s"><v>abc</v></c>`,
		"out of order":  `<c r="C%[1]d"><v>1</v></c><c r="A%[1]d"><v>2</v></c>`,
		"too long cell": `<c r="A%[1]d" t="inlineStr"><is>` + strings.Repeat("<t>"+strings.Repeat("x", 1000)+"</t>", 40) + `</is></c>`,
	} {
		t.Run(name, func(t *testing.T) {
			path := book(t, "broken.xlsx", text(`<sst><si><t>uno</t></si></sst>`), eriRows(100, func(w io.Writer, i int) bool {
				if i == 5 || i == 50 {
					fmt.Fprintf(w, cell, i)
					return true
				}
				return false
			}))
			sink := newMemSink()
			rep, err := File(context.Background(), sink, path, opts(t, "eri"))
			if err != nil {
				t.Fatal(err)
			}
			checkAccounted(t, rep, 100, 2)
			if len(sink.records) != 98 || rep.Rejections[0].Row != 5 || rep.Rejections[1].Row != 50 || rep.Rejections[0].Reasons[0].Code != "unreadable" {
				t.Errorf("%d records stored, rejections %+v", len(sink.records), rep.Rejections)
			}
			// Kept in quarantine like every rejected row, the reason in
			// both languages (no English inside the Spanish).
			if len(sink.quarantined) != 2 || sink.quarantined[1].Row != 50 {
				t.Fatalf("quarantine %+v", sink.quarantined)
			}
			msg := sink.quarantined[0].Reasons[0].Msg
			if strings.Contains(msg.ES, "shared") || strings.Contains(msg.ES, "cell") || strings.Contains(msg.ES, "the ") || !strings.Contains(msg.EN, "cell") && !strings.Contains(msg.EN, "shared") {
				t.Errorf("reason %+v: want Spanish and English", msg)
			}
		})
	}
}

// A damaged sheet (flipped bytes, broken XML) refuses the whole file: never
// a partial batch.
func TestXLSXDamagedRefused(t *testing.T) {
	var buf bytes.Buffer
	if err := Generate(&buf, GenOptions{N: 1000, Seed: 1, Format: FormatXLSX}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var sheet *zip.File
	for _, f := range zr.File {
		if strings.Contains(f.Name, "worksheets/sheet1") {
			sheet = f
		}
	}
	start, err := sheet.DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	size := int64(sheet.CompressedSize64)
	for _, at := range []int64{start + size/2, start + size/3, start + size*9/10} {
		bad := bytes.Clone(good)
		for i := range int64(64) {
			bad[at+i] ^= 0x5a
		}
		sink := newMemSink()
		path := writeFile(t, "flipped.xlsx", bad)
		if err := Verify(path, opts(t, "eri")); err != nil {
			wantCode(t, err, "damaged_xlsx") // the checksum, found before any row is read
		}
		rep, err := File(context.Background(), sink, path, opts(t, "eri"))
		if err != nil {
			wantCode(t, err, "damaged_xlsx")
			if sink.batches != 0 {
				t.Errorf("flipped at %d: refused, yet %d batches stored", at, sink.batches)
			}
			refused++
			continue
		}
		if rep.Rows != 1000 {
			t.Errorf("flipped at %d: stored %d of 1000 rows", at, rep.Rows)
		}
	}
	if refused == 0 {
		t.Error("no damaged workbook was refused")
	}
	if err := Verify(writeFile(t, "good.xlsx", good), opts(t, "eri")); err != nil {
		t.Errorf("verify a good workbook: %v", err)
	}
	// Broken XML in the middle of a row.
	path := book(t, "brokenxml.xlsx", text(`<sst/>`), eriRows(10, func(w io.Writer, i int) bool {
		if i == 6 {
			io.WriteString(w, `<c r="A6"><v>1</v></c><c r="B6" <<<`)
			return true
		}
		return false
	}))
	sink := newMemSink()
	_, err = File(context.Background(), sink, path, opts(t, "eri"))
	wantCode(t, err, "damaged_xlsx")
	if sink.batches != 0 {
		t.Error("a batch was stored")
	}
}

func TestXLSXPasswordProtected(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "Rol")
	path := filepath.Join(t.TempDir(), "protegido.xlsx")
	if err := f.SaveAs(path, excelize.Options{Password: "secreto"}); err != nil {
		t.Fatal(err)
	}
	_, err := File(context.Background(), newMemSink(), path, opts(t, "eri"))
	wantCode(t, err, "xlsx_encrypted")
	if err == nil || !strings.Contains(err.Error(), "contraseña") || !strings.Contains(err.Error(), "password") {
		t.Errorf("got %v", err)
	}
}

// An unclosed quote refuses the file and names the row where it opens;
// nothing it swallowed is printed.
func TestCSVUnclosedQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("ID persona,Rol,Fecha,Sexo,Notas\n")
	for i := 1; i <= 1222; i++ {
		notes := ""
		if i == 40 {
			notes = `"Dijo llamarse María`
		}
		fmt.Fprintf(&b, "P-%d,víctima,15/03/2024,F,%s\n", i, notes)
	}
	sink := newMemSink()
	path := writeFile(t, "comillas.csv", []byte(b.String()))
	wantCode(t, Verify(path, opts(t, "eri")), "unclosed_quote")
	_, err := File(context.Background(), sink, path, opts(t, "eri"))
	wantCode(t, err, "unclosed_quote")
	if err == nil || !strings.Contains(err.Error(), "fila 41") || !strings.Contains(err.Error(), "row 41, column 5") || strings.Contains(err.Error(), "María") {
		t.Errorf("got %v", err)
	}
	if sink.batches != 0 {
		t.Error("a batch was stored")
	}
	// Near the end of the file a quote takes in fewer rows than the
	// guard counts, but the file ends inside it: still unclosed, and the
	// row it swallowed is not lost quietly.
	tail := "ID persona,Rol,Fecha,Sexo,Notas\nP-1,víctima,15/03/2024,F,\"sin cerrar\nP-2,víctima,15/03/2024,M,\n"
	path = writeFile(t, "final.csv", []byte(tail))
	wantCode(t, Verify(path, opts(t, "eri")), "unclosed_quote")
	_, err = File(context.Background(), sink, path, opts(t, "eri"))
	if wantCode(t, err, "unclosed_quote"); err == nil || !strings.Contains(err.Error(), "row 2, column 5") {
		t.Errorf("quote open at the end of the file: %v", err)
	}
	// Quotes as spreadsheets write them are fine: a cell over a few lines
	// with commas inside, doubled quotes, a quote inside a cell, CRLF.
	ok := "ID persona,Rol,Fecha,Sexo,Notas\r\n" +
		"P-1,víctima,15/03/2024,F,\"primera línea, con coma\nsegunda, otra, más, comas, aquí\nfin\"\r\n" +
		"P-2,\"víctima\",15/03/2024,F,\"dijo \"\"no\"\"\"\r\n" +
		"P-3,víctima,15/03/2024,F,5\" de alto\r\n" +
		"\"P-4\",víctima,15/03/2024,F,\"\"\r\n" +
		"P-5,víctima,15/03/2024,F,\"al final\""
	path = writeFile(t, "multilinea.csv", []byte(ok))
	if err := Verify(path, opts(t, "eri")); err != nil {
		t.Errorf("verify: %v", err)
	}
	rep, err := File(context.Background(), newMemSink(), path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, rep, 5, 0)
}

func TestCSVMixedDelimiters(t *testing.T) {
	data := "ID persona;Rol;Fecha;Sexo\nP-1,víctima,15/03/2024,F\nP-2,víctima,15/03/2024,F\nP-3,víctima,15/03/2024,F\n"
	_, err := File(context.Background(), newMemSink(), writeFile(t, "mezcla.csv", []byte(data)), opts(t, "eri"))
	wantCode(t, err, "mixed_delimiters")
	_, err = File(context.Background(), newMemSink(), writeFile(t, "mezcla2.csv", []byte("Rol;Fecha\nvíctima,01/02/2024\n")), opts(t, "eri"))
	wantCode(t, err, "mixed_delimiters")
}

// A JSON Lines line over the limit is one rejected row.
func TestJSONLLongLineIsARow(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		note := ""
		if i == 4 {
			note = strings.Repeat("x", 17<<20)
		}
		fmt.Fprintf(&b, `{"ID persona":"P-%d","Rol":"víctima","Fecha":"2024-03-15","Sexo":"F","Notas":"%s"}`+"\n", i, note)
	}
	rep, err := File(context.Background(), newMemSink(), writeFile(t, "larga.jsonl", []byte(b.String())), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, rep, 10, 1)
	if rep.Rejections[0].Row != 4 {
		t.Errorf("rejected %+v", rep.Rejections)
	}
}

// Keys that appear mid-file change the header while workers map rows (run
// with -race).
func TestJSONLKeysGrow(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 5000; i++ {
		extra := ""
		if i%1000 == 0 {
			extra = fmt.Sprintf(`,"Sexo":"F","k%d":"x"`, i)
		}
		fmt.Fprintf(&b, `{"ID persona":"P-%d","Rol":"víctima","Fecha":"2024-03-15"%s}`+"\n", i, extra)
	}
	rep, err := File(context.Background(), newMemSink(), writeFile(t, "crece.jsonl", []byte(b.String())), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, rep, 5000, 0)
}

func TestOnlyRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "tubo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo, t.TempDir()} {
		done := make(chan error, 1)
		go func() {
			_, err := File(context.Background(), newMemSink(), path, opts(t, "eri"))
			done <- err
		}()
		select {
		case err := <-done:
			wantCode(t, err, "not_a_file")
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ingest hangs", path)
		}
	}
}

// Files made to exhaust memory or time: each is refused with a message that
// names the limit, or read with its bad rows rejected, in under 512 MB and
// 10 s.
func TestHostileFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes large files")
	}
	header := `<worksheet><sheetData><row r="1">`
	cases := []struct {
		name string
		make func(t *testing.T) string
		code string // "" when the file is read
	}{
		{"200 header cells of one 5 MB shared string", func(t *testing.T) string {
			return book(t, "big_shared.xlsx", func(w io.Writer) {
				io.WriteString(w, `<sst><si><t>`)
				repeat(w, "a", 5<<20)
				io.WriteString(w, `</t></si></sst>`)
			}, func(w io.Writer) {
				io.WriteString(w, header)
				for i := range 200 {
					fmt.Fprintf(w, `<c r="%s1" t="s"><v>0</v></c>`, colName(i))
				}
				io.WriteString(w, `</row></sheetData></worksheet>`)
			})
		}, "limit_cell"},
		{"50 million tiny shared strings", func(t *testing.T) string {
			return book(t, "many_shared.xlsx", func(w io.Writer) {
				io.WriteString(w, `<sst>`)
				repeat(w, `<si/>`, 50_000_000)
				io.WriteString(w, `</sst>`)
			}, eriRows(3, nil))
		}, "limit_shared_strings"},
		{"a 300 MB shared string of many runs", func(t *testing.T) string {
			return book(t, "runs.xlsx", func(w io.Writer) {
				io.WriteString(w, `<sst><si>`)
				repeat(w, `<r><t>`+strings.Repeat("b", 1000)+`</t></r>`, 300_000)
				io.WriteString(w, `</si></sst>`)
			}, eriRows(3, nil))
		}, "limit_cell"},
		{"a 300 MB inline cell of many runs", func(t *testing.T) string {
			return book(t, "inline_runs.xlsx", text(`<sst/>`), eriRows(3, func(w io.Writer, i int) bool {
				if i != 3 {
					return false
				}
				io.WriteString(w, `<c r="A3" t="inlineStr"><is>`)
				repeat(w, `<r><t>`+strings.Repeat("f", 1000)+`</t></r>`, 300_000)
				io.WriteString(w, `</is></c>`)
				return true
			}))
		}, ""},
		{"16,384 header cells of a 30 MB shared string", func(t *testing.T) string {
			return book(t, "wide_big.xlsx", func(w io.Writer) {
				io.WriteString(w, `<sst><si><t>`)
				repeat(w, "c", 30<<20)
				io.WriteString(w, `</t></si></sst>`)
			}, func(w io.Writer) {
				io.WriteString(w, header)
				for i := range maxColumns {
					fmt.Fprintf(w, `<c r="%s1" t="s"><v>0</v></c>`, colName(i))
				}
				io.WriteString(w, `</row></sheetData></worksheet>`)
			})
		}, "limit_cell"},
		{"10 rows of 16,384 cells of a 32,000-character string", func(t *testing.T) string {
			return wideBook(t, strings.Repeat("d", 32000))
		}, "unreadable_header"},
		{"10 rows of 16,384 cells of 60 characters", func(t *testing.T) string {
			return wideBook(t, strings.Repeat("g", 60))
		}, "limit_header"},
		{"a 30 MB header cell", func(t *testing.T) string {
			return book(t, "big_header.xlsx", text(`<sst/>`), func(w io.Writer) {
				io.WriteString(w, header+`<c r="A1" t="inlineStr"><is><t>Rol</t></is></c><c r="B1" t="inlineStr"><is><t>Fecha</t></is></c><c r="C1" t="inlineStr"><is><t>`)
				repeat(w, "e", 30<<20)
				io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
			})
		}, "unreadable_header"},
		{"200,000 sheets", func(t *testing.T) string {
			return writeWorkbook(t, "sheets.xlsx",
				part{"xl/workbook.xml", func(w io.Writer) {
					io.WriteString(w, `<workbook><sheets>`)
					for i := range 200_000 {
						fmt.Fprintf(w, `<sheet name="h%d" sheetId="%d" r:id="rId%d"/>`, i, i, i)
					}
					io.WriteString(w, `</sheets></workbook>`)
				}},
				part{"xl/_rels/workbook.xml.rels", text(wbRelsXML)})
		}, "limit_sheets"},
		{"a 50 MB line of commas", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "commas.csv")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(f, "ID persona,Rol,Fecha\n")
			repeat(f, ",", 50<<20)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			return path
		}, "limit_line"},
		{"one quote swallowing 200,000 rows", func(t *testing.T) string {
			var b bytes.Buffer
			b.WriteString("ID persona,Rol,Fecha,Sexo\nP-0,\"víctima,15/03/2024,F\n")
			for i := 1; i <= 200_000; i++ {
				fmt.Fprintf(&b, "P-%d víctima 15/03/2024 F\n", i)
			}
			return writeFile(t, "swallow.csv", b.Bytes())
		}, "unclosed_quote"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t)
			if st, err := os.Stat(path); err == nil {
				t.Logf("file: %d KB", st.Size()>>10)
			}
			res := ingestChild(t, path)
			switch {
			case c.code != "" && res.Code != c.code:
				t.Errorf("got %+v, want the error %s", res, c.code)
			case c.code == "" && (res.Err != "" || res.Rows != res.Accepted+res.Rejected || res.Rejected == 0):
				t.Errorf("got %+v, want the file read with its bad row rejected", res)
			}
		})
	}
}

// wideBook has 10 rows of Excel's 16,384 columns, each cell the shared string s.
func wideBook(t *testing.T, s string) string {
	return book(t, "wide.xlsx", text(`<sst><si><t>`+s+`</t></si></sst>`), func(w io.Writer) {
		io.WriteString(w, `<worksheet><sheetData>`)
		for r := 1; r <= 10; r++ {
			fmt.Fprintf(w, `<row r="%d">`, r)
			for i := range maxColumns {
				fmt.Fprintf(w, `<c r="%s%d" t="s"><v>0</v></c>`, colName(i), r)
			}
			io.WriteString(w, `</row>`)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	})
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// A row number past Excel's last row refuses the workbook.
func TestXLSXRowLimit(t *testing.T) {
	path := book(t, "filas.xlsx", text(`<sst/>`), eriRows(3, func(w io.Writer, i int) bool {
		if i == 3 {
			io.WriteString(w, `</row><row r="2000000"><c r="A2000000"><v>1</v></c>`)
		}
		return false
	}))
	sink := newMemSink()
	_, err := File(context.Background(), sink, path, opts(t, "eri"))
	wantCode(t, err, "limit_rows")
	if sink.batches != 0 {
		t.Error("a batch was stored")
	}
}

// Two tables pasted one under the other: reading from the second header
// would lose the first table's rows, so the file is refused.
func TestXLSXSecondHeaderRefused(t *testing.T) {
	path := book(t, "two.xlsx", text(`<sst/>`), func(w io.Writer) {
		var first strings.Builder
		eriRows(4, nil)(&first)
		body := strings.TrimSuffix(first.String(), `</sheetData></worksheet>`)
		io.WriteString(w, body)
		// The second header has one more known column.
		io.WriteString(w, `<row r="6"><c r="A6" t="inlineStr"><is><t>ID persona</t></is></c><c r="B6" t="inlineStr"><is><t>Rol</t></is></c><c r="C6" t="inlineStr"><is><t>Fecha</t></is></c><c r="D6" t="inlineStr"><is><t>Sexo</t></is></c><c r="E6" t="inlineStr"><is><t>Edad</t></is></c></row>`)
		io.WriteString(w, `<row r="7"><c r="A7" t="inlineStr"><is><t>Q-7</t></is></c><c r="B7" t="inlineStr"><is><t>víctima</t></is></c><c r="C7" t="inlineStr"><is><t>2024-03-15</t></is></c><c r="D7" t="inlineStr"><is><t>F</t></is></c><c r="E7"><v>30</v></c></row>`)
		io.WriteString(w, `</sheetData></worksheet>`)
	})
	wantRefused(t, path, "two_headers")
}

// A hidden sheet (an old copy) is not read unless asked for by name; the
// first visible one is.
func TestXLSXHiddenSheetSkipped(t *testing.T) {
	const wb = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Viejo" sheetId="1" state="hidden" r:id="rId1"/><sheet name="Casos" sheetId="2" r:id="rId3"/></sheets></workbook>`
	const rels = `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`
	path := writeWorkbook(t, "hidden.xlsx",
		part{"xl/workbook.xml", text(wb)},
		part{"xl/_rels/workbook.xml.rels", text(rels)},
		part{"xl/worksheets/sheet1.xml", eriRows(2, nil)},
		part{"xl/worksheets/sheet2.xml", eriRows(4, nil)})
	for sheet, want := range map[string]int{"": 4, "Viejo": 2} {
		sink := newMemSink()
		o := opts(t, "eri")
		o.Sheet = sheet
		if _, err := File(context.Background(), sink, path, o); err != nil {
			t.Fatal(err)
		}
		if len(sink.records) != want {
			t.Errorf("sheet %q: %d records, want %d", sheet, len(sink.records), want)
		}
	}
}

// Other visible sheets with data are not read, and the report says which
// (the stored copy does not name them: a sheet may be named after a
// person); an empty sheet and a hidden one are not mentioned.
func TestXLSXOtherSheetsReported(t *testing.T) {
	const wb = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Casos" sheetId="1" r:id="rId1"/><sheet name="Ana Mora" sheetId="2" r:id="rId2"/><sheet name="Vacía" sheetId="3" r:id="rId3"/><sheet name="Viejo" sheetId="4" state="hidden" r:id="rId4"/></sheets></workbook>`
	rel := func(i int) string {
		return fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
	}
	path := writeWorkbook(t, "varias.xlsx",
		part{"xl/workbook.xml", text(wb)},
		part{"xl/_rels/workbook.xml.rels", text(`<Relationships>` + rel(1) + rel(2) + rel(3) + rel(4) + `</Relationships>`)},
		part{"xl/worksheets/sheet1.xml", eriRows(3, nil)},
		part{"xl/worksheets/sheet2.xml", eriRows(2, nil)},
		part{"xl/worksheets/sheet3.xml", text(`<worksheet><sheetData><row r="1"><c r="A1" s="3"/></row></sheetData></worksheet>`)},
		part{"xl/worksheets/sheet4.xml", eriRows(2, nil)})
	for sheet, want := range map[string]string{"": "Ana Mora", "Ana Mora": "Casos"} {
		sink := newMemSink()
		o := opts(t, "eri")
		o.Sheet = sheet
		rep, err := File(context.Background(), sink, path, o)
		if err != nil {
			t.Fatal(err)
		}
		var found []schemas.Issue
		for _, w := range rep.RowWarnings {
			if w.Code == "other_sheets" {
				found = append(found, w)
			}
		}
		if len(found) != 1 || found[0].Value != want {
			t.Errorf("sheet %q: warnings %+v, want one naming %s only", sheet, found, want)
		}
		stored, _ := json.Marshal(sink.reports)
		if sheet == "" && bytes.Contains(stored, []byte("Ana")) || !bytes.Contains(stored, []byte("other_sheets")) {
			t.Errorf("stored report: %s", stored)
		}
	}
}

// A workbook counting dates from 1904 would store every date four years
// early: refused, with how to change it.
func TestXLSXDate1904Refused(t *testing.T) {
	wb := strings.Replace(workbookXML, "<sheets>", `<workbookPr date1904="1"/><sheets>`, 1)
	path := writeWorkbook(t, "mac.xlsx",
		part{"xl/workbook.xml", text(wb)},
		part{"xl/_rels/workbook.xml.rels", text(wbRelsXML)},
		part{"xl/sharedStrings.xml", text(`<sst/>`)},
		part{"xl/worksheets/sheet1.xml", eriRows(3, nil)})
	wantRefused(t, path, "xlsx_date1904")
}

// A sheet cut off between two rows (no </sheetData>) is damaged: whatever
// followed the cut would be lost.
func TestXLSXSheetCutBetweenRowsRefused(t *testing.T) {
	path := book(t, "cut.xlsx", text(`<sst/>`), func(w io.Writer) {
		var b strings.Builder
		eriRows(3, nil)(&b)
		io.WriteString(w, strings.TrimSuffix(b.String(), `</sheetData></worksheet>`))
	})
	wantRefused(t, path, "damaged_xlsx")
}

// A column of all-different unknown text: the report lists the first
// values and counts the rest, so that memory does not grow with them.
func TestValueWarningsBounded(t *testing.T) {
	const n = reportRejections + 500
	path := book(t, "distinct.xlsx", text(`<sst/>`), eriRows(n, func(w io.Writer, i int) bool {
		fmt.Fprintf(w, `<c r="A%[1]d" t="inlineStr"><is><t>P-%[1]d</t></is></c><c r="B%[1]d" t="inlineStr"><is><t>víctima</t></is></c><c r="C%[1]d" t="inlineStr"><is><t>2024-03-15</t></is></c><c r="D%[1]d" t="inlineStr"><is><t>sexo raro %[1]d</t></is></c>`, i)
		return true
	}))
	sink := newMemSink()
	rep, err := File(context.Background(), sink, path, opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, rep, n, 0)
	listed := 0
	for _, w := range rep.Warnings {
		listed += w.Count
	}
	if len(rep.Warnings) != reportRejections || listed+rep.WarningsOmitted != n {
		t.Errorf("%d values listed (%d rows) and %d rows omitted; want %d listed, %d rows in all", len(rep.Warnings), listed, rep.WarningsOmitted, reportRejections, n)
	}
}

// A file named .xlsx that is not a zip gets a message that says so (and
// what to do), not the zip reader's words.
func TestNotAWorkbook(t *testing.T) {
	full := writeWorkbook(t, "full.xlsx",
		part{"xl/workbook.xml", text(workbookXML)},
		part{"xl/_rels/workbook.xml.rels", text(wbRelsXML)},
		part{"xl/sharedStrings.xml", text(`<sst/>`)},
		part{"xl/worksheets/sheet1.xml", eriRows(3, nil)})
	whole, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"vacio.xlsx":    nil,
		"csv.xlsx":      []byte("ID persona,Rol,Fecha\nP-1,víctima,2024-01-15\n"),
		"cortado.xlsx":  whole[:len(whole)/2],
		"espacios.xlsx": bytes.Repeat([]byte(" "), 100),
	} {
		if err := wantRefused(t, writeFile(t, name, data), "not_xlsx"); err != nil && strings.Contains(err.Error(), "zip:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Two zip entries of the same name: which one a reader takes is a guess,
// so the file is refused.
func TestXLSXDuplicatePartRefused(t *testing.T) {
	path := writeWorkbook(t, "doble.xlsx",
		part{"xl/workbook.xml", text(workbookXML)},
		part{"xl/_rels/workbook.xml.rels", text(wbRelsXML)},
		part{"xl/sharedStrings.xml", text(`<sst/>`)},
		part{"xl/worksheets/sheet1.xml", eriRows(3, nil)},
		part{"xl/worksheets/sheet1.xml", eriRows(5, nil)})
	if err := wantRefused(t, path, "bad_xlsx"); err == nil || !strings.Contains(err.Error(), "xl/worksheets/sheet1.xml") {
		t.Errorf("got %v", err)
	}
}

// What a damaged sheet says is in Spanish in the Spanish line, and the
// size limit is a limit, not damage.
func TestDamagedMessages(t *testing.T) {
	var se *schemas.Error
	if err := damaged("Casos", 12, &cellError{"the sheet ends before its end tag", "la hoja termina antes de su etiqueta de cierre"}); !errors.As(err, &se) ||
		se.Code != "damaged_xlsx" || !strings.Contains(se.Msg.ES, "después de la fila 12 (la hoja termina") || strings.Contains(se.Msg.ES, "the sheet") || !strings.Contains(se.Msg.EN, "after row 12 (the sheet ends") {
		t.Errorf("cut sheet: %v", err)
	}
	if err := damaged("Casos", 3, fmt.Errorf("reading: %w", errSheetTooBig)); !errors.As(err, &se) || se.Code != "limit_sheet_bytes" || strings.Contains(se.Msg.ES, "XML (tipdash's") || strings.Contains(se.Msg.ES, "dañado") {
		t.Errorf("limit: %v", err)
	}
}

// A column of long, all-different unknown text: the report lists the
// first values and counts the rest, and the classifier keeps no long
// value, so memory stays flat (232 MB for these 150,000 rows before, 1.4
// GB at 100,000 rows of a workbook; about 40 MB now).
func TestDistinctUnknownValuesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large file")
	}
	var b bytes.Buffer
	b.WriteString("ID persona,Rol,Fecha,Sexo\n")
	pad := strings.Repeat("q", 300)
	for i := 1; i <= 150_000; i++ {
		fmt.Fprintf(&b, "P-%d,víctima,15/03/2024,%d%s\n", i, i, pad)
	}
	res := ingestChild(t, writeFile(t, "distinct.csv", b.Bytes()))
	if res.Err != "" || res.Accepted != 150_000 {
		t.Errorf("got %+v", res)
	}
	if res.PeakKB > 128<<10 {
		t.Errorf("peak RSS %d MB, want under 128 MB", res.PeakKB>>10)
	}
}
