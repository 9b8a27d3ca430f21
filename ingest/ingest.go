package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/conatt/tipdash/classify"
	"github.com/conatt/tipdash/schemas"
)

// Sink receives the records of a batch. The store implements it; ingest
// never opens the database itself.
type Sink interface {
	// BatchByHash finds a stored batch (not rolled back) of the same file.
	BatchByHash(ctx context.Context, hash string) (id int64, found bool, err error)
	// BeginBatch starts one transaction for a whole batch.
	BeginBatch(ctx context.Context, meta schemas.BatchMeta) (BatchWriter, error)
}

// BatchWriter writes one batch inside one transaction.
type BatchWriter interface {
	Append(ctx context.Context, recs []schemas.Record) error
	// Commit writes the quarantine and the report, updates earlier versions
	// of the same people, and commits. It returns the batch id and how many
	// people were already known.
	Commit(ctx context.Context, report *schemas.BatchReport) (id int64, updated int, err error)
	// Abort rolls the transaction back; safe to call after Commit.
	Abort() error
}

// Options of one ingest.
type Options struct {
	Profile  *schemas.Profile
	Format   string // "" to detect from the file
	Sheet    string // XLSX sheet; "" for the first
	DryRun   bool   // validate and report, write nothing
	Strict   bool   // write nothing if any row is rejected
	Entity   string // reporting entity (institution code)
	Uploader string
	Secret   []byte    // HMAC key for person and case ids
	Now      time.Time // zero: time.Now()
	// Progress, when set, is called now and then with the bytes read so far
	// and the file size.
	Progress func(read, total int64)
}

const (
	chunkSize     = 2048
	headerScan    = 10 // rows searched for the header
	warnRowsKept  = 10 // row numbers kept per value warning
	maxCellLength = 200
)

// ErrNoHeader means no row of the first ones looks like a header the profile knows.
var ErrNoHeader = errors.New("no header")

// File ingests one file into sink and returns its batch report. The report
// is returned with a nil error whenever the file could be read, whatever
// its rows held; an error means the file itself could not be read or the
// sink failed, and then nothing was written.
func File(ctx context.Context, sink Sink, path string, opt Options) (*schemas.BatchReport, error) {
	if opt.Profile == nil {
		return nil, fmt.Errorf("ingest %s: no profile", path)
	}
	entity, err := schemas.ParseInstitution(opt.Entity)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: reporting entity: %w", path, err)
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileError(path, err)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return nil, fileError(path, err)
	}
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	format := opt.Format
	if format == "" {
		if format, err = DetectFormat(path, head[:n]); err != nil {
			return nil, err
		}
	}
	meta := schemas.BatchMeta{
		File: filepath.Base(path), Hash: hex.EncodeToString(sum.Sum(nil)), Format: format, Sheet: opt.Sheet,
		Profile: opt.Profile.Name, Entity: entity.String(), Uploader: opt.Uploader, Time: now.UTC().Truncate(time.Second),
	}
	rep := &schemas.BatchReport{Meta: meta, ByRole: map[string]int{}, Warnings: []schemas.ValueWarning{}, RowWarnings: []schemas.Issue{}, Rejections: []schemas.Rejected{}}
	if id, found, err := sink.BatchByHash(ctx, meta.Hash); err != nil {
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	} else if found {
		rep.Status, rep.DuplicateOf = schemas.BatchDuplicate, id
		return rep, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fileError(path, err)
	}
	in := &countingReader{r: f, total: st.Size(), progress: opt.Progress}
	var src Source
	switch format {
	case FormatCSV:
		src, err = NewCSV(in)
	case FormatXLSX:
		src, err = NewXLSX(in, opt.Sheet)
	case FormatJSONL:
		src, err = NewJSONL(in)
	default:
		err = schemas.Invalid("bad_format", "formato desconocido %q", "unknown format %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
	}
	defer src.Close()

	c, err := classify.New(opt.Profile)
	if err != nil {
		return nil, err
	}
	run := &run{
		ix: newAliasIndex(opt.Profile), rep: rep, seen: map[schemas.Key]int{}, warnIdx: map[warnKey]int{},
		m: &mapper{c: c, keyer: NewKeyer(opt.Secret), entity: entity, defaults: defaults(opt.Profile), unknown: unknownCodes(),
			today: classify.Date{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}},
	}
	var w BatchWriter
	if !opt.DryRun {
		if w, err = sink.BeginBatch(ctx, meta); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
		defer w.Abort()
	}
	if err := run.pipe(ctx, src, w); err != nil {
		return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
	}
	in.done()
	run.finish()
	switch {
	case opt.DryRun:
		rep.Status = schemas.BatchDryRun
	case opt.Strict && rep.Rejected > 0:
		rep.Status = schemas.BatchRefusedStrict
	default:
		rep.Status = schemas.BatchStored
		id, updated, err := w.Commit(ctx, rep)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
		rep.BatchID, rep.Updated = id, updated
	}
	return rep, nil
}

// defaults resolves the profile's default codes by field index.
func defaults(p *schemas.Profile) []int {
	out := make([]int, schemas.NumFields())
	for fi, f := range schemas.Fields() {
		out[fi] = -1
		if c, ok := p.Defaults[f]; ok {
			out[fi] = schemas.MustDim(schemas.Dim(f)).Index(c)
		}
	}
	return out
}

func unknownCodes() []int {
	out := make([]int, schemas.NumFields())
	for fi, f := range schemas.Fields() {
		out[fi] = -1
		if d, ok := schemas.Lookup(schemas.Dim(f)); ok {
			out[fi] = d.Index("unknown")
		}
	}
	return out
}

func fileError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return schemas.Invalid("no_file", "no existe el archivo %s", "no such file %s", path)
	}
	return fmt.Errorf("ingest %s: %w", path, err)
}

type warnKey struct{ column, value, code string }

// run is the state of one ingest.
type run struct {
	ix      *aliasIndex
	m       *mapper
	rep     *schemas.BatchReport
	seen    map[schemas.Key]int // person key -> first row
	warnIdx map[warnKey]int     // -> index in rep.Warnings
	warned  bool
}

// pipe reads and maps rows in one goroutine and writes chunks in this one.
func (r *run) pipe(ctx context.Context, src Source, w BatchWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []schemas.Record, 4)
	free := make(chan []schemas.Record, 6)
	errc := make(chan error, 1)
	go func() {
		defer close(chunks)
		errc <- r.read(ctx, src, chunks, free)
	}()
	var werr error
	for chunk := range chunks {
		if werr == nil && w != nil {
			if werr = w.Append(ctx, chunk); werr != nil {
				cancel()
			}
		}
		select {
		case free <- chunk[:0]:
		default:
		}
	}
	if err := <-errc; err != nil && werr == nil {
		return err
	}
	return werr
}

// pending is a row read while looking for the header.
type pending struct {
	row   int
	cells []string
	err   error
}

func (r *run) read(ctx context.Context, src Source, out chan<- []schemas.Record, free chan []schemas.Record) error {
	// The header is the row with most known columns among the first ones:
	// title rows above it are skipped.
	var buf []pending
	var best *plan
	bestAt := -1
	for len(buf) < headerScan {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		var hc *HeaderChange
		var re *RowError
		if err != nil && !errors.As(err, &hc) && !errors.As(err, &re) {
			return err
		}
		cells = slices.Clone(cells) // sources may reuse the slice
		buf = append(buf, pending{row, cells, err})
		if hc != nil {
			// JSON Lines: the keys are the header and this row is data.
			best, bestAt = r.ix.plan(hc.Header), len(buf)-2
			break
		}
		if err == nil {
			if p := r.ix.plan(cells); p.matched > 0 && (best == nil || p.matched > best.matched) {
				best, bestAt = p, len(buf)-1
			}
		}
	}
	if best == nil || best.matched == 0 {
		p := r.m.c.Profile()
		return schemas.Invalid("no_header",
			"no se reconoce ningún encabezado del perfil %s en las primeras %d filas; revise que la hoja y el perfil sean los correctos (se esperan columnas como: %s)",
			"no header of profile %s found in the first %d rows; check the sheet and the profile (columns such as: %s are expected)",
			p.Name, headerScan, expected(p))
	}
	r.setPlan(best)
	if bestAt >= 0 {
		r.rep.HeaderRow = buf[bestAt].row
	}

	chunk := make([]schemas.Record, 0, chunkSize)
	emit := func() error {
		select {
		case out <- chunk:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case chunk = <-free:
		default:
			chunk = make([]schemas.Record, 0, chunkSize)
		}
		return nil
	}
	handle := func(row int, cells []string, err error) error {
		var hc *HeaderChange
		if errors.As(err, &hc) {
			r.setPlan(r.ix.plan(hc.Header))
			err = nil
		}
		if rec, ok := r.row(row, cells, err); ok {
			chunk = append(chunk, rec)
			if len(chunk) == chunkSize {
				return emit()
			}
		}
		return nil
	}
	for _, p := range buf[bestAt+1:] {
		if err := handle(p.row, p.cells, p.err); err != nil {
			return err
		}
	}
	for {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		var hc *HeaderChange
		if err != nil && !errors.As(err, &re) && !errors.As(err, &hc) {
			return err
		}
		if err := handle(row, cells, err); err != nil {
			return err
		}
	}
	if len(chunk) > 0 {
		return emit()
	}
	return nil
}

func (r *run) setPlan(p *plan) {
	r.m.p = p
	r.rep.Columns = p.columns
	r.rep.Absent = r.rep.Absent[:0]
	for fi, f := range schemas.Fields() {
		if p.fields[fi] < 0 && len(r.m.c.Profile().Columns[f]) > 0 {
			r.rep.Absent = append(r.rep.Absent, f)
		}
	}
}

func expected(p *schemas.Profile) string {
	var out []string
	for _, f := range []string{"role", "offence", "date", "year", "sex", "age"} {
		if a := p.Columns[f]; len(a) > 0 {
			out = append(out, a[0])
		}
	}
	return strings.Join(out, ", ")
}

// row sorts one data row; it returns the record when the row is accepted.
func (r *run) row(row int, cells []string, readErr error) (schemas.Record, bool) {
	if readErr == nil && empty(cells) {
		r.rep.EmptyRows++
		return schemas.Record{}, false
	}
	r.rep.Rows++
	if readErr != nil {
		r.quarantine(row, nil, []schemas.Issue{{Row: row, Code: "unreadable", Msg: schemas.Message{
			ES: msgUnreadable.ES + ": " + readErr.Error(), EN: msgUnreadable.EN + ": " + readErr.Error()}}})
		return schemas.Record{}, false
	}
	if extra := len(cells) - len(r.m.p.header); extra > 0 && !empty(cells[len(r.m.p.header):]) {
		r.quarantine(row, cells, []schemas.Issue{{Row: row, Code: "too_many_cells", Msg: msgTooMany}})
		return schemas.Record{}, false
	}
	res := r.m.mapRow(row, cells)
	if k := res.rec.PersonKey; !k.IsZero() && len(res.reasons) == 0 {
		if first, dup := r.seen[k]; dup {
			col := r.m.p.header[r.m.p.fields[fiPersonID]]
			msg := schemas.Message{ES: fmt.Sprintf("%s (fila %d)", msgDuplicate.ES, first), EN: fmt.Sprintf("%s (row %d)", msgDuplicate.EN, first)}
			res.reasons = append(res.reasons, schemas.Issue{Row: row, Column: col, Code: "duplicate_person", Msg: msg})
		} else {
			r.seen[k] = row
		}
	}
	if len(res.reasons) > 0 {
		r.quarantine(row, cells, slices.Clone(res.reasons))
		return schemas.Record{}, false
	}
	r.rep.Accepted++
	r.rep.ByRole[res.rec.Role.String()]++
	if len(res.warnings) > 0 {
		r.rep.Warned++
		for _, w := range res.warnings {
			r.warn(w)
		}
	}
	return res.rec, true
}

func empty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (r *run) warn(w schemas.Issue) {
	if w.Code != "unmapped_value" {
		r.rep.RowWarnings = append(r.rep.RowWarnings, w)
		return
	}
	k := warnKey{w.Column, clip(w.Value), w.Code}
	i, ok := r.warnIdx[k]
	if !ok {
		i = len(r.rep.Warnings)
		r.warnIdx[k] = i
		field := ""
		for _, c := range r.m.p.columns {
			if c.Header == w.Column {
				field = c.Field
				break
			}
		}
		r.rep.Warnings = append(r.rep.Warnings, schemas.ValueWarning{Column: w.Column, Field: field, Value: k.value, Code: w.Code, Msg: w.Msg})
	}
	vw := &r.rep.Warnings[i]
	vw.Count++
	if len(vw.Rows) < warnRowsKept {
		vw.Rows = append(vw.Rows, w.Row)
	}
}

// quarantine keeps a rejected row with the cells of its mapped columns.
// Personal-data columns and the raw ids are never kept.
func (r *run) quarantine(row int, cells []string, reasons []schemas.Issue) {
	r.rep.Rejected++
	q := schemas.Rejected{Row: row, Reasons: reasons, Cells: map[string]string{}}
	for fi, i := range r.m.p.fields {
		if fi == fiPersonID || fi == fiCaseID || i < 0 || i >= len(cells) {
			continue
		}
		if v := strings.TrimSpace(fixEncoding(cells[i])); v != "" {
			q.Cells[r.m.p.header[i]] = clip(v)
		}
	}
	for _, fl := range r.m.p.flags {
		if fl.col < len(cells) && strings.TrimSpace(cells[fl.col]) != "" {
			q.Cells[r.m.p.header[fl.col]] = clip(fixEncoding(cells[fl.col]))
		}
	}
	r.rep.Rejections = append(r.rep.Rejections, q)
}

func clip(s string) string {
	if len(s) <= maxCellLength {
		return s
	}
	cut := maxCellLength
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// finish orders the warnings: most frequent first.
func (r *run) finish() {
	sort.SliceStable(r.rep.Warnings, func(i, j int) bool {
		a, b := r.rep.Warnings[i], r.rep.Warnings[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Count > b.Count
	})
}

// countingReader reports progress as it is read.
type countingReader struct {
	r        io.Reader
	n, total int64
	last     int64
	progress func(read, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last > 1<<20 {
		c.last = c.n
		c.progress(c.n, c.total)
	}
	return n, err
}

func (c *countingReader) done() {
	if c.progress != nil {
		c.progress(c.total, c.total)
	}
}
