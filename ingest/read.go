// Package ingest reads case spreadsheets (CSV, XLSX, JSON Lines), maps their
// columns and values to the vocabulary through a profile, sorts rows into
// accepted, accepted with warnings and rejected, and writes the batch report.
// It writes records to a Sink that the caller provides; it never opens the
// database itself.
package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/conatt/tipdash/schemas"
)

// Source yields the rows of one sheet or file, header row included, as
// cells of text. Row numbers are those a person sees in Excel or a text
// editor (the first row is 1).
type Source interface {
	// Next returns the next row and its number; the cells belong to the
	// caller. At the end it returns io.EOF. A row that cannot be read returns a *RowError and the reader
	// goes on with the next row.
	Next() (row int, cells []string, err error)
	Close() error
}

// RowError is a row that could not be read at all.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// Formats.
const (
	FormatCSV   = "csv"
	FormatXLSX  = "xlsx"
	FormatJSONL = "jsonl"
)

// DetectFormat names the format of a file from its extension, or from its
// first bytes (an XLSX file is a ZIP archive).
func DetectFormat(name string, head []byte) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt", ".tsv":
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".xls":
		return "", schemas.Invalid("xls_format", "%s: el formato .xls antiguo no se lee; guárdelo como .xlsx o .csv",
			"%s: the old .xls format cannot be read; save it as .xlsx or .csv", filepath.Base(name))
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatXLSX, nil
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf"), []byte("{")):
		return FormatJSONL, nil
	}
	return FormatCSV, nil
}

// csvSource reads delimited text. The delimiter (comma, semicolon or tab) is
// detected from the first lines; a UTF-8 BOM is stripped and UTF-16 with a
// BOM is decoded. Cells are returned as bytes read: the mapper reads a cell
// that is not valid UTF-8 as Windows-1252, the encoding Spanish Excel uses
// for "CSV (delimitado por comas)", and does so only for the cells it uses.
type csvSource struct {
	r   *csv.Reader
	row int
}

// NewCSV returns a Source over delimited text.
func NewCSV(r io.Reader) (Source, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	var in io.Reader = br
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		dec := unicode.BOMOverride(unicode.UTF8.NewDecoder())
		br = bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
		in = br
	} else if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	first, _ := br.Peek(br.Buffered())
	if len(first) == 0 {
		first, _ = br.Peek(4096)
	}
	cr := csv.NewReader(in)
	cr.Comma = detectDelimiter(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return &csvSource{r: cr}, nil
}

// detectDelimiter counts commas, semicolons and tabs outside quotes on each
// of the first lines and picks the one with the highest count on a single
// line (a title line above the header has none); comma on a tie.
func detectDelimiter(b []byte) rune {
	most := map[rune]int{}
	line := map[rune]int{}
	inQuote, lines := false, 0
scan:
	for _, c := range string(b) {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			for d, n := range line {
				most[d] = max(most[d], n)
			}
			clear(line)
			if lines++; lines == 10 {
				break scan
			}
		case c == ',' || c == ';' || c == '\t':
			line[c]++
		}
	}
	for d, n := range line {
		most[d] = max(most[d], n)
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if most[c] > most[best] {
			best = c
		}
	}
	return best
}

var win1252 = charmap.Windows1252.NewDecoder()

func (s *csvSource) Next() (int, []string, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, nil, &RowError{Row: pe.StartLine, Err: err}
		}
		return s.row, nil, err
	}
	s.row, _ = s.r.FieldPos(0)
	return s.row, rec, nil
}

func (s *csvSource) Close() error { return nil }

// jsonlSource reads one JSON object per line. The keys of all objects seen
// so far form the header, which the source reports as row 1 of its output
// whenever a new key appears (Headers). Arrays become ";"-joined cells.
type jsonlSource struct {
	sc     *bufio.Scanner
	line   int
	keys   []string
	index  map[string]int
	emitHd bool
}

// NewJSONL returns a Source over JSON Lines. Its first row is the header
// (the keys of the first object); objects with new keys extend it.
func NewJSONL(r io.Reader) (Source, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &jsonlSource{sc: sc, index: map[string]int{}}, nil
}

func (s *jsonlSource) Next() (int, []string, error) {
	for s.sc.Scan() {
		s.line++
		b := bytes.TrimSpace(s.sc.Bytes())
		if s.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 {
			continue
		}
		keys, vals, err := decodeObject(b)
		if err != nil {
			return s.line, nil, &RowError{Row: s.line, Err: err}
		}
		grew := false
		for _, k := range keys {
			if _, ok := s.index[k]; !ok {
				s.index[k] = len(s.keys)
				s.keys = append(s.keys, k)
				grew = true
			}
		}
		cells := make([]string, len(s.keys))
		for i, k := range keys {
			cells[s.index[k]] = vals[i]
		}
		if grew {
			return s.line, cells, &HeaderChange{Header: slices.Clone(s.keys)}
		}
		return s.line, cells, nil
	}
	if err := s.sc.Err(); err != nil {
		return s.line + 1, nil, fmt.Errorf("jsonl: %w", err)
	}
	return 0, nil, io.EOF
}

func (s *jsonlSource) Close() error { return nil }

// HeaderChange is returned with a row of a JSON Lines source whose object
// brought new keys: Header is the new header, and the row is valid.
type HeaderChange struct{ Header []string }

func (h *HeaderChange) Error() string { return "header changed" }

// decodeObject reads a flat JSON object keeping its key order. Values that
// are strings, numbers, booleans or null become text; arrays of those are
// joined with "; ".
func decodeObject(b []byte) (keys, vals []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		s, err := jsonText(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", k, err)
		}
		keys = append(keys, k)
		vals = append(vals, s)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if dec.More() {
		return nil, nil, errors.New("text after the object")
	}
	return keys, vals, nil
}

func jsonText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, err := jsonText(e)
			if err != nil {
				return "", err
			}
			if _, nested := e.([]any); nested {
				return "", errors.New("nested array")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "; "), nil
	}
	return "", errors.New("nested object")
}
