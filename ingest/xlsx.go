package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
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
	if head := make([]byte, 8); size >= 8 {
		if _, err := r.ReadAt(head, 0); err == nil && bytes.Equal(head, oleMagic) {
			return nil, errEncrypted
		}
	}
	zr, err := zip.NewReader(r, size)
	if errors.Is(err, zip.ErrFormat) {
		return nil, errNotXLSX
	}
	if err != nil {
		return nil, badXLSX(err)
	}
	if len(zr.File) > maxParts {
		return nil, tooMany("parts", "partes internas", "internal parts", maxParts)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := strings.TrimPrefix(f.Name, "/")
		if files[name] != nil {
			// Which copy would be read is a guess: no spreadsheet writes two.
			return nil, schemas.Invalid("bad_xlsx",
				"el libro tiene dos partes internas con el mismo nombre (%s): está dañado o fue alterado; no se guardó nada. Ábralo y guárdelo de nuevo con Excel",
				"the workbook holds two internal parts with the same name (%s): it is damaged or was altered; nothing was stored. Open it and save it again with Excel", clipRunes(name, 80))
		}
		files[name] = f
	}
	if files["EncryptionInfo"] != nil {
		return nil, errEncrypted
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
	// The first sheet the user sees: a hidden sheet (an old copy, a
	// lookup list) is read only when asked for by name.
	target := sheets[0]
	if i := slices.IndexFunc(sheets, func(s sheetRef) bool { return !s.hidden }); i >= 0 {
		target = sheets[i]
	}
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
	return &xlsxSource{rc: rc, sc: newScanner(&capped{r: rc, left: maxSheetBytes}), shared: shared, name: target.name,
		others: otherSheets(files, sheets, target)}, nil
}

// otherSheets names the visible sheets other than target that hold a
// value: the report says they were not read. Each is looked at up to its
// first megabyte, and at most 50 of them.
func otherSheets(files map[string]*zip.File, sheets []sheetRef, target sheetRef) []string {
	var out []string
	looked := 0
	for _, s := range sheets {
		if s == target || s.hidden || files[s.path] == nil || looked == 50 {
			continue
		}
		looked++
		rc, err := files[s.path].Open()
		if err != nil {
			continue
		}
		head, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		if bytes.Contains(head, []byte("<v>")) || bytes.Contains(head, []byte("<is>")) {
			out = append(out, s.name)
		}
	}
	return out
}

// OtherSheets names the workbook's other visible sheets that hold data.
func (s *xlsxSource) OtherSheets() []string { return s.others }

// Limits of what a workbook may hold. Excel's own limits are 32,767
// characters in a cell, 16,384 columns and 1,048,576 rows; the others are
// far above what a case workbook needs, and keep memory and time bounded
// on a file made to exhaust them.
const (
	maxCellChars     = 32767
	maxRowBytes      = 1 << 20 // the text of all cells of one row
	maxXLSXRows      = 1 << 20
	maxSharedStrings = 2_000_000
	maxSharedBytes   = 128 << 20
	maxSheets        = 1000
	maxParts         = 10000
	maxSheetBytes    = 4 << 30 // a worksheet's XML, uncompressed
)

// oleMagic starts an OLE compound file: an encrypted (password-protected)
// workbook, or an old .xls saved as .xlsx.
var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

var errEncrypted = schemas.Invalid("xlsx_encrypted",
	"el libro está protegido con contraseña (o es un .xls antiguo): ábralo en Excel, quite la contraseña (Archivo > Información > Proteger libro) y guárdelo como .xlsx",
	"the workbook is password-protected (or an old .xls): open it in Excel, remove the password (File > Info > Protect Workbook) and save it as .xlsx")

// errNotXLSX is a file named .xlsx that is not a zip at all: empty, cut
// before its end, or another format renamed.
var errNotXLSX = schemas.Invalid("not_xlsx",
	"el archivo no es un libro XLSX (está vacío, incompleto, o es otro formato, como un CSV, con la extensión cambiada); no se guardó nada. Ábralo en Excel y guárdelo como .xlsx",
	"the file is not an XLSX workbook (it is empty, incomplete, or another format, such as a CSV, renamed); nothing was stored. Open it in Excel and save it as .xlsx")

func badXLSX(err error) error {
	return schemas.Invalid("bad_xlsx", "no es un libro XLSX legible: %v", "not a readable XLSX workbook: %v", err)
}

// damaged is a workbook whose sheet cannot be read to its end: nothing of it
// is stored, since the rows after the damage would be lost.
func damaged(sheet string, row int, err error) error {
	if errors.Is(err, errSheetTooBig) {
		return schemas.Invalid("limit_sheet_bytes",
			"la hoja %q tiene más de %d GB de XML (límite de tipdash); no se guardó nada. Divida los casos en varios archivos",
			"sheet %q holds more than %d GB of XML (tipdash's limit); nothing was stored. Split the cases over several files", sheet, maxSheetBytes>>30)
	}
	es, en := err.Error(), err.Error()
	var ce *cellError
	if errors.As(err, &ce) && ce.es != "" {
		es = ce.es
	}
	where, donde := "", ""
	if row > 0 {
		where, donde = fmt.Sprintf(" after row %d", row), fmt.Sprintf(" después de la fila %d", row)
	}
	return &schemas.Error{Code: "damaged_xlsx", Kind: schemas.ErrInvalid, Msg: schemas.Message{
		ES: fmt.Sprintf("el libro está dañado: la hoja %q no se puede leer%s (%s); no se guardó nada. Ábralo y guárdelo de nuevo con Excel", sheet, donde, es),
		EN: fmt.Sprintf("the workbook is damaged: sheet %q cannot be read%s (%s); nothing was stored. Open it and save it again with Excel", sheet, where, en)}}
}

func tooMany(what, es, en string, limit int) error {
	return schemas.Invalid("limit_"+what, "el libro tiene más de %[1]d %[2]s (límite de tipdash)", "the workbook has more than %[1]d %[3]s (tipdash's limit)", limit, es, en)
}

// capped reads up to a sheet's size limit, then fails.
type capped struct {
	r    io.Reader
	left int64
}

var errSheetTooBig = fmt.Errorf("the sheet holds more than %d GB of XML (tipdash's limit)", maxSheetBytes>>30)

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errSheetTooBig
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

type rel struct {
	ID, Type, Target string
}

// readRels reads a relationships part; targets are resolved against dir.
func readRels(files map[string]*zip.File, name, dir string) ([]rel, error) {
	var out []rel
	err := scanPart(files, name, func(t tag) error {
		if t.name != "Relationship" || t.end {
			return nil
		}
		if len(out) >= maxSheets*2+100 {
			return tooMany("relationships", "relaciones internas", "internal relationships", maxSheets*2+100)
		}
		var r rel
		r.ID, _ = t.attr("Id")
		r.Type, _ = t.attr("Type")
		r.Target, _ = t.attr("Target")
		if strings.HasPrefix(r.Target, "/") {
			r.Target = strings.TrimPrefix(r.Target, "/")
		} else {
			r.Target = path.Join(dir, r.Target)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

type sheetRef struct {
	name, path string
	hidden     bool // hidden or very hidden in Excel
}

// errDate1904 refuses a workbook that counts dates from 1904 (an option of
// Excel for Mac): its date cells would read four years early.
var errDate1904 = schemas.Invalid("xlsx_date1904",
	"el libro usa el sistema de fechas de 1904 y sus fechas se leerían cuatro años antes; no se guardó nada. En Excel: Archivo > Opciones > Avanzadas (Excel > Preferencias > Cálculo en Mac), desmarque «Usar sistema de fechas 1904», revise las fechas y guárdelo de nuevo",
	"the workbook uses the 1904 date system and its dates would read four years early; nothing was stored. In Excel: File > Options > Advanced (Excel > Preferences > Calculation on a Mac), untick \"Use 1904 date system\", check the dates and save it again")

func readSheets(files map[string]*zip.File, wbPath string) ([]sheetRef, error) {
	type entry struct {
		name, rid string
		hidden    bool
	}
	var listed []entry
	err := scanPart(files, wbPath, func(t tag) error {
		if t.name == "workbookPr" {
			if v, _ := t.attr("date1904"); v == "1" || v == "true" {
				return errDate1904
			}
		}
		if t.name != "sheet" || t.end {
			return nil
		}
		if len(listed) >= maxSheets {
			return tooMany("sheets", "hojas", "sheets", maxSheets)
		}
		name, _ := t.attr("name")
		rid, _ := t.attr("id") // r:id
		state, _ := t.attr("state")
		listed = append(listed, entry{name, rid, state == "hidden" || state == "veryHidden"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	dir := path.Dir(wbPath)
	rels, err := readRels(files, path.Join(dir, "_rels", path.Base(wbPath)+".rels"), dir)
	if err != nil {
		return nil, err
	}
	targets := make(map[string]string, len(rels))
	for _, r := range rels {
		targets[r.ID] = r.Target
	}
	var out []sheetRef
	for _, e := range listed {
		if t, ok := targets[e.rid]; ok {
			out = append(out, sheetRef{name: e.name, path: t, hidden: e.hidden})
		}
	}
	return out, nil
}

const maxPartSize = 64 << 20 // workbook metadata parts; sheets are streamed

// scanPart calls fn with every tag of a metadata part.
func scanPart(files map[string]*zip.File, name string, fn func(tag) error) error {
	f := files[name]
	if f == nil {
		return badXLSX(fmt.Errorf("no %s", name))
	}
	rc, err := f.Open()
	if err != nil {
		return badXLSX(err)
	}
	defer rc.Close()
	sc := newScanner(io.LimitReader(rc, maxPartSize))
	for {
		t, err := sc.nextTag()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badXLSX(fmt.Errorf("%s: %w", name, err))
		}
		if err := fn(t); err != nil {
			return err
		}
	}
}

// readShared reads the shared strings: each <si> is the text of its <t>
// elements (rich-text runs joined), phonetic runs (<rPh>) left out. Their
// number, their total size and the length of each are bounded.
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
	total := 0
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
			if len(out) >= maxSharedStrings {
				return nil, tooMany("shared_strings", "textos compartidos", "shared strings", maxSharedStrings)
			}
			inSI = true
			cur.Reset()
			if tag.selfClosing {
				out = append(out, "")
				inSI = false
			}
		case tag.name == "si" && tag.end:
			if total += cur.Len(); total > maxSharedBytes {
				return nil, schemas.Invalid("limit_shared_bytes", "los textos del libro suman más de %d MB (límite de tipdash)",
					"the workbook's texts add up to more than %d MB (tipdash's limit)", maxSharedBytes>>20)
			}
			out = append(out, cur.String())
			inSI = false
		case tag.name == "rPh" && !tag.selfClosing:
			if tag.end {
				inPh--
			} else {
				inPh++
			}
		case tag.name == "t" && !tag.end && !tag.selfClosing && inSI && inPh == 0:
			text, err := sc.textUntil("t", maxCellChars*4-cur.Len())
			if err == nil && tooLong(cur.Len()+len(text), cur.String()+text) {
				err = errCellTooLong
			}
			if errors.Is(err, errCellTooLong) {
				return nil, schemas.Invalid("limit_cell", "el libro tiene un texto de más de %d caracteres, el máximo de Excel por celda: el archivo está dañado o no lo hizo una hoja de cálculo",
					"the workbook holds a text of more than %d characters, Excel's maximum per cell: the file is damaged or was not made by a spreadsheet", maxCellChars)
			}
			if err != nil {
				return nil, badXLSX(fmt.Errorf("sharedStrings: %w", err))
			}
			cur.WriteString(text)
		}
	}
}

// tooLong reports text of more than maxCellChars characters; n is its length in bytes.
func tooLong(n int, text string) bool {
	return n > maxCellChars && utf8.RuneCountInString(text) > maxCellChars
}

type xlsxSource struct {
	rc     io.ReadCloser
	sc     *scanner
	shared []string
	name   string // of the sheet
	others []string
	row    int
	done   bool
}

func (s *xlsxSource) Close() error { return s.rc.Close() }

// Next returns the next <row> of sheetData. Rows left out of the file
// (empty in Excel) are skipped; the row numbers are Excel's. A row with a
// broken cell is returned as a *RowError and reading goes on at the next
// row; a sheet that cannot be read to its end (broken XML, a damaged zip
// part) is an error for the whole file.
func (s *xlsxSource) Next() (int, []string, error) {
	if s.done {
		return 0, nil, io.EOF
	}
	for {
		tag, err := s.sc.nextTag()
		if err == nil && tag.name == "sheetData" && (tag.end || tag.selfClosing) {
			s.done = true
			return 0, nil, s.finish()
		}
		if err == io.EOF {
			// The part ends before </sheetData>: cut off, and what came
			// after the cut is lost.
			s.done = true
			return s.row + 1, nil, damaged(s.name, s.row, &cellError{"the sheet ends before its end tag", "la hoja termina antes de su etiqueta de cierre"})
		}
		if err != nil {
			s.done = true
			return s.row + 1, nil, damaged(s.name, s.row, err)
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
		if num > maxXLSXRows {
			s.done = true
			return num, nil, schemas.Invalid("limit_rows", "la hoja %q tiene más de %d filas, el máximo de Excel",
				"sheet %q has more than %d rows, Excel's maximum", s.name, maxXLSXRows)
		}
		s.row = num
		if tag.selfClosing {
			return num, nil, nil
		}
		cells, err := s.cells()
		var ce *cellError
		if errors.As(err, &ce) {
			return num, nil, &RowError{Row: num, Err: err}
		}
		if err != nil {
			s.done = true
			return num, nil, damaged(s.name, num-1, err)
		}
		return num, cells, nil
	}
}

// finish reads the sheet's part to its end, so that the zip checksum is
// checked: a part damaged after the last row read is still refused.
func (s *xlsxSource) finish() error {
	if err := s.verify(); err != nil {
		return err
	}
	return io.EOF
}

// verify reads the rest of the sheet's part without reading its rows: a
// damaged part fails its checksum.
func (s *xlsxSource) verify() error {
	if _, err := io.Copy(io.Discard, s.sc.r); err != nil {
		return damaged(s.name, s.row, err)
	}
	return nil
}

const maxColumns = 16384 // Excel's limit (XFD)

var errNesting = errors.New("an element is not closed")

// cellError is a broken cell: its row is rejected, and reading goes on.
type cellError struct{ msg, es string }

func (e *cellError) Error() string { return e.msg }

var errCellTooLong = &cellError{fmt.Sprintf("a cell holds more than %d characters, Excel's maximum", maxCellChars),
	fmt.Sprintf("una celda tiene más de %d caracteres, el máximo de Excel", maxCellChars)}

// cells reads the <c> elements of a row up to </row>. After a broken cell
// it skips to </row> and returns a *cellError.
func (s *xlsxSource) cells() ([]string, error) {
	var cells []string
	var broken error
	next, size := 0, 0
	for {
		tag, err := s.sc.nextTag()
		if err != nil {
			return nil, unexpected(err)
		}
		if tag.name == "row" && tag.end {
			if broken != nil {
				return nil, broken
			}
			return cells, nil
		}
		if tag.name == "row" || tag.name == "sheetData" {
			return nil, errNesting // a row left open: the XML is broken
		}
		if tag.name != "c" || tag.end || broken != nil {
			continue
		}
		col := next
		if ref, ok := tag.attr("r"); ok {
			if c, ok := columnIndex(ref); ok {
				col = c
			}
		}
		if col >= maxColumns || col < next {
			broken = &cellError{fmt.Sprintf("cell %d out of order or beyond column XFD", col+1),
				fmt.Sprintf("la celda %d está fuera de orden o más allá de la columna XFD", col+1)}
			continue
		}
		next = col + 1
		typ, _ := tag.attr("t")
		val := ""
		if !tag.selfClosing {
			if val, err = s.cellValue(typ); err != nil {
				if errors.As(err, new(*cellError)) {
					broken = err
					continue
				}
				return nil, err
			}
		}
		if val == "" {
			continue
		}
		if size += len(val); size > maxRowBytes {
			broken = &cellError{fmt.Sprintf("the row holds more than %d MB of text", maxRowBytes>>20),
				fmt.Sprintf("la fila tiene más de %d MB de texto", maxRowBytes>>20)}
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
			return "", unexpected(err)
		}
		switch {
		case tag.name == "c" && tag.end:
			if typ == "inlineStr" {
				return inline.String(), nil
			}
			if typ == "s" {
				i, err := strconv.Atoi(strings.TrimSpace(v.String()))
				if err != nil || i < 0 || i >= len(s.shared) {
					return "", &cellError{fmt.Sprintf("shared string %q out of range", clipRunes(v.String(), 20)),
						fmt.Sprintf("el texto compartido %q no existe en el libro", clipRunes(v.String(), 20))}
				}
				return s.shared[i], nil
			}
			return v.String(), nil
		case tag.name == "row" || tag.name == "sheetData" || tag.name == "c":
			return "", errNesting // a cell left open: the XML is broken
		case tag.selfClosing || tag.end:
		case tag.name == "v", tag.name == "t":
			b := &v
			if tag.name == "t" {
				b = &inline
			}
			text, err := s.sc.textUntil(tag.name, maxCellChars*4-b.Len())
			if err != nil {
				return "", err
			}
			if tooLong(b.Len()+len(text), b.String()+text) {
				return "", errCellTooLong
			}
			b.WriteString(text)
		case tag.name == "f":
			if _, err := s.sc.textUntil("f", maxCellChars*4); err != nil {
				return "", err
			}
		}
	}
}

func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
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
// skipped. Text longer than limit bytes is errCellTooLong (the rest of the
// element is left unread).
func (s *scanner) textUntil(name string, limit int) (string, error) {
	var out []byte
	for {
		chunk, err := s.r.ReadSlice('<')
		if err != nil && err != bufio.ErrBufferFull {
			return "", unexpected(err)
		}
		if err == bufio.ErrBufferFull {
			out = append(out, chunk...)
			if len(out) > limit {
				return "", errCellTooLong
			}
			continue
		}
		out = append(out, chunk[:len(chunk)-1]...)
		if len(out) > limit {
			return "", errCellTooLong
		}
		if p, _ := s.r.Peek(8); string(p) == "![CDATA[" {
			s.r.Discard(8)
			data, err := s.readUntil("]]>", limit-len(out))
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

func (s *scanner) readUntil(end string, limit int) ([]byte, error) {
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
		if len(out) > limit {
			return nil, errCellTooLong
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
