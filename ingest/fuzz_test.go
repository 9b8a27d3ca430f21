package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

// drain reads a source to the end; it must neither panic nor loop.
func drain(t *testing.T, src Source) {
	t.Helper()
	defer src.Close()
	for i := 0; i < 100000; i++ {
		_, _, err := src.Next()
		var re *RowError
		var hc *HeaderChange
		switch {
		case err == nil, errors.As(err, &re), errors.As(err, &hc):
		default:
			return // io.EOF or a read error
		}
	}
	t.Fatal("source did not end")
}

// mapAll finds the header and maps every row in this goroutine, as a
// pipeline worker would: no row may panic, and each is either a record or
// has a reason to be rejected.
func mapAll(t *testing.T, m *mapper, src Source) {
	t.Helper()
	defer src.Close()
	p := &pipeline{ix: newAliasIndex(m.c.Profile()), profile: m.c.Profile(), rep: &schemas.BatchReport{},
		newMapper: func() (*mapper, error) { return m, nil }}
	first, err := p.header(src)
	if err != nil {
		return
	}
	rows := first
	for i := 0; i < 10000; i++ {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		rows = append(rows, rawRow{row: row, cells: cells, err: err, plan: p.plan})
	}
	res := p.mapBlock(m, rawBlock{rows: rows})
	if got := len(res.recs) + len(res.rejected); got != res.rows {
		t.Fatalf("%d records + %d rejected != %d rows", len(res.recs), len(res.rejected), res.rows)
	}
}

// accounted ingests data as a file: every row read is accepted or rejected,
// and a file that cannot be read stores nothing.
func accounted(t *testing.T, name string, data []byte) {
	t.Helper()
	sink := newMemSink()
	rep, err := File(context.Background(), sink, writeFile(t, name, data), opts(t, "eri"))
	if err != nil {
		if sink.batches != 0 {
			t.Fatalf("%v, yet a batch was stored", err)
		}
		return
	}
	if rep.Rows != rep.Accepted+rep.Rejected {
		t.Fatalf("rows read %d != accepted %d + rejected %d", rep.Rows, rep.Accepted, rep.Rejected)
	}
	if got := len(sink.records) + len(sink.quarantined); rep.Status == schemas.BatchStored && got != rep.Rows {
		t.Fatalf("%d rows read, %d stored or quarantined", rep.Rows, got)
	}
}

func fuzzMapper(f *testing.F) *mapper {
	m, err := newTestMapper(opts(f, "eri"))
	if err != nil {
		f.Fatal(err)
	}
	return m
}

func FuzzCSV(f *testing.F) {
	var buf bytes.Buffer
	Generate(&buf, GenOptions{N: 5, Seed: 1, Encoding: "windows-1252", Delimiter: ';'})
	for _, s := range []string{messyCSV, buf.String(), "a,\"b\nc", "\ufeffx;y\n1;2", "\xff\xfea\x00", "\"\"\"", ""} {
		f.Add([]byte(s))
	}
	m := fuzzMapper(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		drain(t, src)
		src, _ = NewCSV(bytes.NewReader(data))
		mapAll(t, m, src)
		accounted(t, "f.csv", data)
	})
}

func FuzzJSONL(f *testing.F) {
	var buf bytes.Buffer
	Generate(&buf, GenOptions{N: 5, Seed: 1, Format: FormatJSONL})
	for _, s := range []string{buf.String(), `{"Rol":["a",1,true,null]}`, `{"a":{"b":1}}`, "{}\n[]\n1", `{"x":1}{"y":2}`} {
		f.Add([]byte(s))
	}
	m := fuzzMapper(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src, _ := NewJSONL(bytes.NewReader(data))
		drain(t, src)
		src, _ = NewJSONL(bytes.NewReader(data))
		mapAll(t, m, src)
		accounted(t, "f.jsonl", data)
	})
}

func FuzzXLSX(f *testing.F) {
	var gen, tpl bytes.Buffer
	Generate(&gen, GenOptions{N: 5, Seed: 1, Format: FormatXLSX})
	sheets.WriteTemplate(&tpl)
	f.Add(gen.Bytes())
	f.Add(tpl.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewXLSX(bytes.NewReader(data), int64(len(data)), "")
		if err != nil {
			var se *schemas.Error
			if !errors.As(err, &se) {
				t.Fatalf("error without a message for people: %v", err)
			}
			return
		}
		drain(t, src)
		accounted(t, "f.xlsx", data)
	})
}

// FuzzXLSXSheet fuzzes the worksheet XML scanner directly (no zip around it).
func FuzzXLSXSheet(f *testing.F) {
	for _, s := range []string{
		`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><r><t>a</t></r><r><t xml:space="preserve"> b</t></r></is></c></row><row r="3"/></sheetData></worksheet>`,
		`<x:sheetData><x:row><x:c t="n"><x:f>1+1</x:f><x:v>2</x:v></x:c><x:c r="XFD1"><v>&amp;&#233;&#x41;_x000D_</v></x:c></x:row></x:sheetData>`,
		`<sheetData><row r="2"><c r="B2"><v><![CDATA[a<b]]></v></c><!-- c --><?pi?></row>`,
		`<row r="99999999999999999999"><c r="ZZZZZ1"><v>1</v></c></row>`,
		`<row><c t="s"><v>7</v></c></row>`,
		`<row><c r="B1"/><c r="A1"><v>x</v></c></row>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &xlsxSource{rc: io.NopCloser(nil), sc: newScanner(bytes.NewReader(data)), shared: []string{"uno"}}
		last := 0
		for i := 0; i < 1_000_000; i++ {
			row, cells, err := src.Next()
			if err == io.EOF {
				return
			}
			if row <= last && err == nil {
				t.Fatalf("row %d after row %d", row, last)
			}
			last = row
			if len(cells) > maxColumns {
				t.Fatalf("%d cells", len(cells))
			}
			var re *RowError
			if err != nil && !errors.As(err, &re) {
				return
			}
		}
		t.Fatal("the sheet did not end")
	})
}
