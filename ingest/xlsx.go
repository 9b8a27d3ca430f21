package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/conatt/tipdash/schemas"
)

// The XLSX reader streams one worksheet's XML with a small scanner made for
// the few elements a worksheet's data uses (row, c, v, is/t), instead of a
// general XML decoder: excelize's row reader decodes about 12,000 rows of 25
// cells a second here, this one several times that, which is what lets a
// 100,000-row sheet load in a few seconds. excelize still writes every
// workbook tipdash makes (template, generator, reports). Cells come raw:
// numbers as written, dates as Excel serial numbers, shared strings resolved.

// NewXLSX returns a Source over one sheet ("" for the first) of a workbook.
func NewXLSX(r io.ReaderAt, size int64, sheet string) (Source, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, badXLSX(err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	wbPath := "xl/workbook.xml"
	if rels, err := readRels(files, "_rels/.rels", ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPath = r.Target
			}
		}
	}
	sheets, err := readSheets(files, wbPath)
	if err != nil {
		return nil, err
	}
	if len(sheets) == 0 {
		return nil, schemas.Invalid("bad_xlsx", "el libro no tiene hojas", "the workbook has no sheets")
	}
	target := sheets[0]
	if sheet != "" {
		i := slices.IndexFunc(sheets, func(s sheetRef) bool { return s.name == sheet })
		if i < 0 {
			names := make([]string, len(sheets))
			for i, s := range sheets {
				names[i] = s.name
			}
			return nil, schemas.Invalid("no_sheet", "el libro no tiene la hoja %q; sus hojas son: %s",
				"the workbook has no sheet %q; its sheets are: %s", sheet, strings.Join(names, ", "))
		}
		target = sheets[i]
	}
	var shared []string
	dir := path.Dir(wbPath)
	if rels, err := readRels(files, path.Join(dir, "_rels", path.Base(wbPath)+".rels"), dir); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.Type, "/sharedStrings") {
				if shared, err = readShared(files[r.Target]); err != nil {
					return nil, err
				}
			}
		}
	}
	f := files[target.path]
	if f == nil {
		return nil, schemas.Invalid("bad_xlsx", "falta la hoja %q dentro del libro", "sheet %q is missing from the workbook", target.name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, badXLSX(err)
	}
	return &xlsxSource{rc: rc, sc: newScanner(rc), shared: shared}, nil
}

func badXLSX(err error) error {
	return schemas.Invalid("bad_xlsx", "no es un libro XLSX legible: %v", "not a readable XLSX workbook: %v", err)
}

type rel struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

// readRels reads a relationships part; targets are resolved against dir.
func readRels(files map[string]*zip.File, name, dir string) ([]rel, error) {
	var doc struct {
		Rels []rel `xml:"Relationship"`
	}
	if err := decodePart(files, name, &doc); err != nil {
		return nil, err
	}
	for i, r := range doc.Rels {
		if strings.HasPrefix(r.Target, "/") {
			doc.Rels[i].Target = strings.TrimPrefix(r.Target, "/")
		} else {
			doc.Rels[i].Target = path.Join(dir, r.Target)
		}
	}
	return doc.Rels, nil
}

type sheetRef struct{ name, path string }

func readSheets(files map[string]*zip.File, wbPath string) ([]sheetRef, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(files, wbPath, &wb); err != nil {
		return nil, err
	}
	dir := path.Dir(wbPath)
	rels, err := readRels(files, path.Join(dir, "_rels", path.Base(wbPath)+".rels"), dir)
	if err != nil {
		return nil, err
	}
	var out []sheetRef
	for _, s := range wb.Sheets {
		for _, r := range rels {
			if r.ID == s.RID {
				out = append(out, sheetRef{name: s.Name, path: r.Target})
			}
		}
	}
	return out, nil
}

const maxPartSize = 64 << 20 // workbook metadata parts; sheets are streamed

func decodePart(files map[string]*zip.File, name string, v any) error {
	f := files[name]
	if f == nil {
		return badXLSX(fmt.Errorf("no %s", name))
	}
	rc, err := f.Open()
	if err != nil {
		return badXLSX(err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, maxPartSize)).Decode(v); err != nil {
		return badXLSX(fmt.Errorf("%s: %w", name, err))
	}
	return nil
}

// readShared reads the shared strings: each <si> is the text of its <t>
// elements (rich-text runs joined), phonetic runs (<rPh>) left out.
func readShared(f *zip.File) ([]string, error) {
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, badXLSX(err)
	}
	defer rc.Close()
	sc := newScanner(rc)
	var out []string
	var cur strings.Builder
	inSI, inPh := false, 0
	for {
		tag, err := sc.nextTag()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, badXLSX(fmt.Errorf("sharedStrings: %w", err))
		}
		switch {
		case tag.name == "si" && !tag.end:
			inSI = true
			cur.Reset()
			if tag.selfClosing {
				out = append(out, "")
				inSI = false
			}
		case tag.name == "si" && tag.end:
			out = append(out, cur.String())
			inSI = false
		case tag.name == "rPh" && !tag.selfClosing:
			if tag.end {
				inPh--
			} else {
				inPh++
			}
		case tag.name == "t" && !tag.end && !tag.selfClosing && inSI && inPh == 0:
			text, err := sc.textUntil("t")
			if err != nil {
				return nil, badXLSX(fmt.Errorf("sharedStrings: %w", err))
			}
			cur.WriteString(text)
		}
	}
}

type xlsxSource struct {
	rc     io.ReadCloser
	sc     *scanner
	shared []string
	row    int
	done   bool
}

func (s *xlsxSource) Close() error { return s.rc.Close() }

// Next returns the next <row> of sheetData. Rows left out of the file
// (empty in Excel) are skipped; the row numbers are Excel's.
func (s *xlsxSource) Next() (int, []string, error) {
	if s.done {
		return 0, nil, io.EOF
	}
	for {
		tag, err := s.sc.nextTag()
		if err == io.EOF {
			s.done = true
			return 0, nil, io.EOF
		}
		if err != nil {
			s.done = true
			return s.row + 1, nil, badXLSX(err)
		}
		if tag.name == "sheetData" && tag.end {
			s.done = true
			return 0, nil, io.EOF
		}
		if tag.name != "row" || tag.end {
			continue
		}
		num := s.row + 1
		if r, ok := tag.attr("r"); ok {
			if n, err := strconv.Atoi(r); err == nil && n > s.row {
				num = n
			}
		}
		s.row = num
		if tag.selfClosing {
			return num, nil, nil
		}
		cells, err := s.cells()
		if err != nil {
			s.done = true
			return num, nil, &RowError{Row: num, Err: err}
		}
		return num, cells, nil
	}
}

const maxColumns = 16384 // Excel's limit (XFD)

// cells reads the <c> elements of a row up to </row>.
func (s *xlsxSource) cells() ([]string, error) {
	var cells []string
	next := 0
	for {
		tag, err := s.sc.nextTag()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if tag.name == "row" && tag.end {
			return cells, nil
		}
		if tag.name != "c" || tag.end {
			continue
		}
		col := next
		if ref, ok := tag.attr("r"); ok {
			if c, ok := columnIndex(ref); ok {
				col = c
			}
		}
		if col >= maxColumns || col < next {
			return nil, fmt.Errorf("cell %d out of order or beyond column XFD", col+1)
		}
		next = col + 1
		typ, _ := tag.attr("t")
		val := ""
		if !tag.selfClosing {
			if val, err = s.cellValue(typ); err != nil {
				return nil, err
			}
		}
		if val == "" {
			continue
		}
		for len(cells) < col {
			cells = append(cells, "")
		}
		cells = append(cells, val)
	}
}

// cellValue reads a cell's content up to </c>: <v> for values (a shared
// string index when t="s"), the <t> texts of <is> for inline strings;
// formulas (<f>) are skipped, their cached value kept.
func (s *xlsxSource) cellValue(typ string) (string, error) {
	var v, inline strings.Builder
	for {
		tag, err := s.sc.nextTag()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch {
		case tag.name == "c" && tag.end:
			if typ == "inlineStr" {
				return inline.String(), nil
			}
			if typ == "s" {
				i, err := strconv.Atoi(strings.TrimSpace(v.String()))
				if err != nil || i < 0 || i >= len(s.shared) {
					return "", fmt.Errorf("shared string %q out of range", v.String())
				}
				return s.shared[i], nil
			}
			return v.String(), nil
		case tag.selfClosing || tag.end:
		case tag.name == "v":
			text, err := s.sc.textUntil("v")
			if err != nil {
				return "", err
			}
			v.WriteString(text)
		case tag.name == "t":
			text, err := s.sc.textUntil("t")
			if err != nil {
				return "", err
			}
			inline.WriteString(text)
		case tag.name == "f":
			if _, err := s.sc.textUntil("f"); err != nil {
				return "", err
			}
		}
	}
}

// columnIndex reads the column of a cell reference ("AB12" -> 27).
func columnIndex(ref string) (int, bool) {
	col := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A'+1)
		if col > maxColumns {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return col - 1, true
}

// scanner reads the tags of an XML stream and the text between them.
// Comments, processing instructions and DOCTYPEs are skipped; CDATA is kept
// as text. Namespace prefixes are dropped from names (x:row is row).
type scanner struct {
	r   *bufio.Reader
	buf []byte
}

type tag struct {
	name        string
	end         bool // </name>
	selfClosing bool // <name/>
	attrs       []byte
}

func newScanner(r io.Reader) *scanner { return &scanner{r: bufio.NewReaderSize(r, 64<<10)} }

const maxTagLength = 1 << 20

var errTagTooLong = errors.New("XML tag too long")

// nextTag skips text up to the next tag and reads it.
func (s *scanner) nextTag() (tag, error) {
	for {
		if _, err := s.r.ReadSlice('<'); err != nil {
			if err == bufio.ErrBufferFull {
				continue
			}
			return tag{}, err
		}
		t, skip, err := s.readTag()
		if err != nil || !skip {
			return t, err
		}
	}
}

// readTag reads after '<'; skip reports a comment, PI, DOCTYPE or CDATA.
func (s *scanner) readTag() (tag, bool, error) {
	b, err := s.r.Peek(1)
	if err != nil {
		return tag{}, false, unexpected(err)
	}
	switch b[0] {
	case '?':
		return tag{}, true, s.skipPast("?>")
	case '!':
		if p, _ := s.r.Peek(3); string(p) == "!--" {
			return tag{}, true, s.skipPast("-->")
		}
		if p, _ := s.r.Peek(8); string(p) == "![CDATA[" {
			return tag{}, true, s.skipPast("]]>")
		}
		return tag{}, true, s.skipPast(">")
	}
	s.buf = s.buf[:0]
	quote := byte(0)
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return tag{}, false, unexpected(err)
		}
		if quote != 0 {
			if c == quote {
				quote = 0
			}
		} else if c == '"' || c == '\'' {
			quote = c
		} else if c == '>' {
			break
		}
		s.buf = append(s.buf, c)
		if len(s.buf) > maxTagLength {
			return tag{}, false, errTagTooLong
		}
	}
	t := tag{}
	body := s.buf
	if len(body) > 0 && body[0] == '/' {
		t.end, body = true, body[1:]
	}
	if len(body) > 0 && body[len(body)-1] == '/' {
		t.selfClosing, body = true, body[:len(body)-1]
	}
	end := bytes.IndexAny(body, " \t\r\n")
	if end < 0 {
		end = len(body)
	}
	name := body[:end]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	t.name = string(name)
	t.attrs = body[end:]
	return t, false, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (s *scanner) skipPast(end string) error {
	matched := 0
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		switch {
		case c == end[matched]:
			matched++
			if matched == len(end) {
				return nil
			}
		case c == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
}

// textUntil reads the text of an element up to its end tag </name>,
// decoding entities, CDATA and Excel's _xHHHH_ escapes; nested tags are
// skipped.
func (s *scanner) textUntil(name string) (string, error) {
	var out []byte
	for {
		chunk, err := s.r.ReadSlice('<')
		if err != nil && err != bufio.ErrBufferFull {
			return "", unexpected(err)
		}
		if err == bufio.ErrBufferFull {
			out = append(out, chunk...)
			if len(out) > maxTagLength*32 {
				return "", errTagTooLong
			}
			continue
		}
		out = append(out, chunk[:len(chunk)-1]...)
		if p, _ := s.r.Peek(8); string(p) == "![CDATA[" {
			s.r.Discard(8)
			data, err := s.readUntil("]]>")
			if err != nil {
				return "", err
			}
			out = append(out, escapeText(data)...)
			continue
		}
		t, skip, err := s.readTag()
		if err != nil {
			return "", err
		}
		if !skip && t.end && t.name == name {
			return unescape(out), nil
		}
	}
}

func (s *scanner) readUntil(end string) ([]byte, error) {
	var out []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		out = append(out, c)
		if bytes.HasSuffix(out, []byte(end)) {
			return out[:len(out)-len(end)], nil
		}
		if len(out) > maxTagLength*32 {
			return nil, errTagTooLong
		}
	}
}

// escapeText makes CDATA safe to pass through unescape unchanged.
func escapeText(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("&"), []byte("&amp;"))
}

// attr returns the value of attribute name (without a namespace prefix).
func (t tag) attr(name string) (string, bool) {
	a := t.attrs
	for len(a) > 0 {
		a = bytes.TrimLeft(a, " \t\r\n")
		eq := bytes.IndexByte(a, '=')
		if eq < 0 {
			return "", false
		}
		key := bytes.TrimSpace(a[:eq])
		if i := bytes.IndexByte(key, ':'); i >= 0 {
			key = key[i+1:]
		}
		rest := bytes.TrimLeft(a[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return "", false
		}
		q := rest[0]
		end := bytes.IndexByte(rest[1:], q)
		if end < 0 {
			return "", false
		}
		if string(key) == name {
			return unescape(rest[1 : 1+end]), true
		}
		a = rest[end+2:]
	}
	return "", false
}

var entities = map[string]rune{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\''}

// unescape decodes XML entities and Excel's _xHHHH_ escapes.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && bytes.Index(b, []byte("_x")) < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '&' {
			if end := bytes.IndexByte(b[i:], ';'); end > 1 && end < 12 {
				ent := string(b[i+1 : i+end])
				if r, ok := entities[ent]; ok {
					out = append(out, byte(r))
					i += end
					continue
				}
				if strings.HasPrefix(ent, "#") {
					var n uint64
					var err error
					if strings.HasPrefix(ent, "#x") {
						n, err = strconv.ParseUint(ent[2:], 16, 32)
					} else {
						n, err = strconv.ParseUint(ent[1:], 10, 32)
					}
					if err == nil && utf8.ValidRune(rune(n)) {
						out = utf8.AppendRune(out, rune(n))
						i += end
						continue
					}
				}
			}
		}
		if c == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				out = utf8.AppendRune(out, rune(n))
				i += 6
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}
