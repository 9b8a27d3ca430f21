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
	"maps"
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
	r     *csv.Reader
	row   int
	mixed rune // another delimiter that some first line uses instead
}

// NewCSV returns a Source over delimited text.
func NewCSV(r io.Reader) (Source, error) {
	g, mixed := guarded(r)
	cr := csv.NewReader(bufio.NewReaderSize(g, 64<<10))
	cr.Comma = rune(g.comma)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return &csvSource{r: cr, mixed: mixed}, nil
}

// guarded decodes delimited text (UTF-16 with a BOM to UTF-8, a UTF-8 BOM
// dropped), detects its delimiter, and returns it behind a quoteGuard.
func guarded(r io.Reader) (*quoteGuard, rune) {
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
	comma, width, mixed := detectDelimiter(first)
	return &quoteGuard{r: in, comma: byte(comma), width: width, line: 1}, mixed
}

// detectDelimiter counts commas, semicolons and tabs outside quotes on each
// of the first lines and picks the one with the highest count on a single
// line (a title line above the header has none); comma on a tie. It also
// returns that count, and another delimiter that some line uses while
// having none of the chosen one (a file with mixed delimiters).
func detectDelimiter(b []byte) (comma rune, width int, mixed rune) {
	most := map[rune]int{}
	line := map[rune]int{}
	var lines []map[rune]int
	inQuote := false
	endLine := func() {
		for d, n := range line {
			most[d] = max(most[d], n)
		}
		lines = append(lines, maps.Clone(line))
		clear(line)
	}
scan:
	for _, c := range string(b) {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			if endLine(); len(lines) == 10 {
				break scan
			}
		case c == ',' || c == ';' || c == '\t':
			line[c]++
		}
	}
	endLine()
	best := ','
	for _, c := range []rune{';', '\t'} {
		if most[c] > most[best] {
			best = c
		}
	}
	for _, l := range lines {
		for d, n := range l {
			if d != best && n >= 1 && l[best] == 0 {
				mixed = d
			}
		}
	}
	return best, most[best], mixed
}

// Limits of a line of delimited text and of a quoted cell in it: a quoted
// cell spanning more lines, more bytes than Excel's longest cell, or
// several lines that look like rows is a quote left open.
const (
	maxLineBytes   = 1 << 20
	maxQuotedLines = 100
	maxQuotedBytes = 4 * 32767
	maxQuotedRows  = 3
)

// quoteGuard watches delimited text as the CSV reader reads it, with the
// reader's own rules for quotes (a quote opens a cell only at its start;
// inside, "" is a quote and a quote before a delimiter or a line end closes
// it). A quote left open swallows the rows after it into one cell: the
// guard stops at the first sign of it (a cell spanning many lines or far
// more bytes than a cell holds, or lines inside the quote with as many
// delimiters as a row) and names the row where the quote opened. It also bounds the length of a line.
type quoteGuard struct {
	r     io.Reader
	comma byte
	width int // delimiters on the widest of the first lines
	err   error

	line      int  // current line, from 1
	lineBytes int  // bytes of the current line so far
	col       int  // delimiters seen on the current line, outside quotes, before this buffer's part of it
	last      byte // the byte before the unread ones (0 at the start)
	inQuote   bool
	afterQ    bool // inside a quote, just after a quote
	qLine     int  // where the open quote started
	qCol      int  // its column, from 1
	qDelims   int  // delimiters on the current line inside the quote
	qRows     int  // lines inside the quote that look like rows
	qBytes    int  // bytes inside the quote
}

func (g *quoteGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if g.err = g.scan(p[:n]); g.err != nil {
		return 0, g.err
	}
	if err == io.EOF && g.inQuote && !g.afterQ {
		// The file ends inside a quote: the cell, and any row it took in,
		// would be read as something the sheet does not say.
		g.err = g.unclosed()
		return 0, g.err
	}
	return n, err
}

// scan follows b. Outside quotes it only looks for quotes and line ends
// (with the fast byte searches); inside a quote it reads byte by byte.
func (g *quoteGuard) scan(b []byte) error {
	for len(b) > 0 {
		if g.inQuote {
			n, err := g.quoted(b)
			if err != nil {
				return err
			}
			b = b[n:]
			continue
		}
		nl := bytes.IndexByte(b, '\n')
		seg := b
		if nl >= 0 {
			seg = b[:nl]
		}
		q := bytes.IndexByte(seg, '"')
		if q < 0 {
			if g.lineBytes += len(seg); g.lineBytes > maxLineBytes {
				return g.longLine()
			}
			if nl < 0 {
				g.col += bytes.Count(seg, []byte{g.comma})
				if len(seg) > 0 {
					g.last = seg[len(seg)-1]
				}
				return nil
			}
			g.line++
			g.lineBytes, g.col, g.last = 0, 0, '\n'
			b = b[nl+1:]
			continue
		}
		prev := g.last
		if q > 0 {
			prev = seg[q-1]
		}
		g.col += bytes.Count(seg[:q], []byte{g.comma})
		if g.lineBytes += q + 1; g.lineBytes > maxLineBytes {
			return g.longLine()
		}
		if prev == 0 || prev == '\n' || prev == g.comma {
			g.inQuote, g.afterQ, g.qLine, g.qCol, g.qDelims, g.qRows, g.qBytes = true, false, g.line, g.col+1, 0, 0, 0
		}
		g.last = '"'
		b = b[q+1:]
	}
	return nil
}

// quoted reads inside a quote up to its end; the byte after the closing
// quote is left to scan.
func (g *quoteGuard) quoted(b []byte) (int, error) {
	for i, c := range b {
		if g.lineBytes++; g.lineBytes > maxLineBytes {
			return i, g.longLine()
		}
		switch {
		case g.afterQ && c == '"': // "" inside a quote
			g.afterQ = false
		case g.afterQ && (c == g.comma || c == '\n' || c == '\r'):
			g.inQuote, g.afterQ = false, false
			g.lineBytes--
			return i, nil
		case c == '"':
			g.afterQ = true
		default:
			g.afterQ = false
			switch c {
			case '\n':
				// Lines inside the quote that hold a whole row's delimiters
				// are rows swallowed by it.
				if g.line > g.qLine && g.width >= 2 && g.qDelims >= g.width {
					g.qRows++
				}
				g.line++
				g.lineBytes, g.qDelims = 0, 0
				if g.line-g.qLine > maxQuotedLines || g.qRows >= maxQuotedRows {
					return i, g.unclosed()
				}
			case g.comma:
				g.qDelims++
			}
		}
		if g.qBytes++; g.qBytes > maxQuotedBytes {
			return i, g.unclosed()
		}
		g.last = c
	}
	return len(b), nil
}

func (g *quoteGuard) longLine() error {
	return schemas.Invalid("limit_line", "la línea %d tiene más de %d MB (límite de tipdash); no se guardó nada",
		"line %d is longer than %d MB (tipdash's limit); nothing was stored", g.line, maxLineBytes>>20)
}

func (g *quoteGuard) unclosed() error {
	return schemas.Invalid("unclosed_quote",
		"fila %d, columna %d: unas comillas (\") abren la celda y no se cierran, y tomarían las filas siguientes como parte de ella; corrija la celda (o quite las comillas) y cargue de nuevo: no se guardó nada",
		"row %d, column %d: a quote (\") opens the cell and is never closed, and would take the rows after it into the cell; fix the cell (or remove the quote) and load again: nothing was stored",
		g.qLine, g.qCol)
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
	r      *bufio.Reader
	line   int
	buf    []byte
	keys   []string
	index  map[string]int
	emitHd bool
}

// NewJSONL returns a Source over JSON Lines. Its first row is the header
// (the keys of the first object); objects with new keys extend it.
func NewJSONL(r io.Reader) (Source, error) {
	return &jsonlSource{r: bufio.NewReaderSize(r, 64<<10), index: map[string]int{}}, nil
}

var errLongLine = fmt.Errorf("line longer than %d MB", maxLineBytes>>20)

// readLine returns the next line; a line over maxLineBytes is skipped to its
// end and returned as errLongLine.
func (s *jsonlSource) readLine() ([]byte, error) {
	s.buf = s.buf[:0]
	long := false
	for {
		chunk, err := s.r.ReadSlice('\n')
		if !long {
			s.buf = append(s.buf, chunk...)
			if len(s.buf) > maxLineBytes {
				long, s.buf = true, s.buf[:0]
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(s.buf) > 0 || long):
			err = nil
		}
		if err != nil {
			return nil, err
		}
		if long {
			return nil, errLongLine
		}
		return s.buf, nil
	}
}

func (s *jsonlSource) Next() (int, []string, error) {
	for {
		b, err := s.readLine()
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		s.line++
		if err == errLongLine {
			return s.line, nil, &RowError{Row: s.line, Err: err}
		}
		if err != nil {
			return s.line, nil, fmt.Errorf("jsonl: %w", err)
		}
		b = bytes.TrimSpace(b)
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
		fresh := 0
		for _, k := range keys {
			if _, ok := s.index[k]; !ok {
				fresh++
			}
		}
		if len(s.keys)+fresh > maxHeaderColumns {
			return s.line, nil, &RowError{Row: s.line, Err: fmt.Errorf("more than %d distinct keys in the file", maxHeaderColumns)}
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
