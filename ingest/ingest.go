package ingest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
type BatchWriter = schemas.BatchWriter

// Options of one ingest.
type Options struct {
	Profile  *schemas.Profile
	Format   string // "" to detect from the file
	Sheet    string // XLSX sheet; "" for the first visible one
	DryRun   bool   // validate and report, write nothing
	Strict   bool   // write nothing if any row is rejected
	Entity   string // reporting entity (institution code)
	Uploader string
	Name     string    // the file name recorded; "" for the base of the path
	Secret   []byte    // HMAC key for person and case ids
	Now      time.Time // zero: time.Now()
	// Progress, when set, is called now and then with the bytes read so far
	// and the file size.
	Progress func(read, total int64)
}

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
	f, st, format, err := open(path, opt.Format)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file's hash tells a file already stored. It is computed while the
	// rows are read (another core, another file handle) and checked before
	// anything is committed.
	hashc := make(chan hashResult, 1)
	go func() { hashc <- hashFile(path) }()
	name := opt.Name
	if name == "" {
		name = filepath.Base(path)
	}
	meta := schemas.BatchMeta{
		File: name, Format: format, Sheet: opt.Sheet,
		Profile: opt.Profile.Name, Entity: entity.String(), Uploader: opt.Uploader, Time: now.UTC().Truncate(time.Second),
	}
	rep := &schemas.BatchReport{Meta: meta, ByRole: map[string]int{}, Warnings: []schemas.ValueWarning{}, RowWarnings: []schemas.Issue{}, Rejections: []schemas.Rejected{}}
	duplicate := func() (bool, error) {
		h := <-hashc
		if h.err != nil {
			return false, fileError(path, h.err)
		}
		rep.Meta.Hash = h.sum
		id, found, err := sink.BatchByHash(ctx, h.sum)
		if err != nil {
			return false, fmt.Errorf("ingest %s: %w", path, err)
		}
		if found {
			*rep = schemas.BatchReport{Meta: rep.Meta, Status: schemas.BatchDuplicate, DuplicateOf: id, ByRole: map[string]int{},
				Warnings: []schemas.ValueWarning{}, RowWarnings: []schemas.Issue{}, Rejections: []schemas.Rejected{}}
		}
		return found, nil
	}
	in := &countingReader{r: f, total: st.Size(), progress: opt.Progress}
	src, err := newSource(format, in, &countingReaderAt{r: f, c: in}, st.Size(), opt.Sheet)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
	}
	defer src.Close()

	newMapper := func() (*mapper, error) {
		c, err := classify.New(opt.Profile)
		if err != nil {
			return nil, err
		}
		return &mapper{c: c, keyer: NewKeyer(opt.Secret), entity: entity, defaults: defaults(opt.Profile), unknown: unknownCodes(),
			today: classify.Date{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}}, nil
	}
	var w BatchWriter
	if !opt.DryRun {
		if w, err = sink.BeginBatch(ctx, meta); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
		defer w.Abort()
	}
	p := &pipeline{ix: newAliasIndex(opt.Profile), profile: opt.Profile, rep: rep, newMapper: newMapper,
		warnIdx: map[warnKey]int{}, warnedRows: map[int]bool{}}
	if opt.DryRun {
		p.seen = map[schemas.Key]int{}
		p.keepAll = true // nothing is stored: the report is the only copy
	}
	if err := p.run(ctx, src, w); err != nil {
		return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
	}
	in.done()
	if w != nil {
		dups, err := w.Duplicates(ctx)
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
		var rows []schemas.Rejected
		for _, d := range dups {
			rows = append(rows, p.duplicate(d))
		}
		if err := w.Quarantine(ctx, rows); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
	}
	p.finish()
	if rep.Rows != rep.Accepted+rep.Rejected {
		return nil, schemas.Refused("rows_unaccounted", "%[1]s: %[2]d filas leídas, pero %[3]d aceptadas y %[4]d rechazadas: no se guardó nada (es un error de tipdash: repórtelo)",
			"%[1]s: %[2]d rows read, but %[3]d accepted and %[4]d rejected: nothing was stored (a tipdash bug: report it)", meta.File, rep.Rows, rep.Accepted, rep.Rejected)
	}
	if dup, err := duplicate(); err != nil {
		return nil, err
	} else if dup {
		return rep, nil
	}
	switch {
	case opt.DryRun:
		rep.Status = schemas.BatchDryRun
	case opt.Strict && rep.Rejected > 0:
		rep.Status = schemas.BatchRefusedStrict
	default:
		rep.Status = schemas.BatchStored
		id, updated, err := w.Commit(ctx, storedReport(rep)) // rep.Meta.Hash is set now
		if err != nil {
			return nil, fmt.Errorf("ingest %s: %w", meta.File, err)
		}
		rep.BatchID, rep.Updated = id, updated
	}
	return rep, nil
}

// Check tells whether a file can be ingested, without reading its rows: it
// exists, is a regular file, its format is known and, for a workbook, its
// sheet can be opened. Errors name the file.
func Check(path string, opt Options) error {
	f, st, format, err := open(path, opt.Format)
	if err != nil {
		return err
	}
	defer f.Close()
	if format == FormatXLSX {
		src, err := NewXLSX(f, st.Size(), opt.Sheet)
		if err != nil {
			return fmt.Errorf("ingest %s: %w", filepath.Base(path), err)
		}
		src.Close()
	}
	return nil
}

// newSource reads a file of format: r from its start, ra at any offset.
func newSource(format string, r io.Reader, ra io.ReaderAt, size int64, sheet string) (Source, error) {
	switch format {
	case FormatCSV:
		return NewCSV(r)
	case FormatXLSX:
		return NewXLSX(ra, size, sheet)
	case FormatJSONL:
		return NewJSONL(r)
	}
	return nil, schemas.Invalid("bad_format", "formato desconocido %q", "unknown format %q", format)
}

// Verify reads a whole file for what would refuse it once rows are
// stored: no header, two tables one under the other, a --map header it
// lacks; in delimited text, an unclosed quote or a line over the limit;
// in a workbook, a damaged sheet (its zip checksum). A multi-file ingest
// verifies every file before it writes the first one.
func Verify(path string, opt Options) error {
	f, st, format, err := open(path, opt.Format)
	if err != nil {
		return err
	}
	defer f.Close()
	if opt.Profile != nil {
		src, err := newSource(format, f, f, st.Size(), opt.Sheet)
		if err == nil {
			p := &pipeline{ix: newAliasIndex(opt.Profile), profile: opt.Profile, rep: &schemas.BatchReport{}}
			_, _, _, err = p.findHeader(src)
			src.Close()
		}
		if err != nil {
			return fmt.Errorf("ingest %s: %w", filepath.Base(path), err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	switch format {
	case FormatCSV:
		g, _ := guarded(f)
		_, err = io.Copy(io.Discard, g)
	case FormatXLSX:
		var src Source
		if src, err = NewXLSX(f, st.Size(), opt.Sheet); err == nil {
			err = src.(*xlsxSource).verify()
			src.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("ingest %s: %w", filepath.Base(path), err)
	}
	return nil
}

// open opens a regular file and names its format. Devices, pipes and
// directories are refused before they are opened (a FIFO would block).
func open(path, format string) (*os.File, os.FileInfo, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, "", fileError(path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, "", schemas.Invalid("not_a_file", "%s no es un archivo común (es una carpeta, un dispositivo o una tubería): no se lee",
			"%s is not a regular file (it is a folder, a device or a pipe): it is not read", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, "", fileError(path, err)
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, "", fileError(path, cmp.Or(err, errors.New("not a regular file")))
	}
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	if format == "" {
		if format, err = DetectFormat(path, head[:n]); err != nil {
			f.Close()
			return nil, nil, "", err
		}
	}
	if format == FormatXLSX && bytes.Equal(head[:n], oleMagic) {
		f.Close()
		return nil, nil, "", fmt.Errorf("ingest %s: %w", filepath.Base(path), errEncrypted)
	}
	return f, st, format, nil
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

type hashResult struct {
	sum string
	err error
}

func hashFile(path string) hashResult {
	f, err := os.Open(path)
	if err != nil {
		return hashResult{err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return hashResult{err: err}
	}
	return hashResult{sum: hex.EncodeToString(h.Sum(nil))}
}

func fileError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return schemas.Invalid("no_file", "no existe el archivo %s", "no such file %s", path)
	}
	return fmt.Errorf("ingest %s: %w", path, err)
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

// countingReaderAt reports the progress of an XLSX file, read at offsets.
type countingReaderAt struct {
	r io.ReaderAt
	c *countingReader
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.c.n += int64(n)
	if c.c.progress != nil && c.c.n-c.c.last > 1<<20 {
		c.c.last = c.c.n
		c.c.progress(min(c.c.n, c.c.total), c.c.total)
	}
	return n, err
}

func (c *countingReader) done() {
	if c.progress != nil {
		c.progress(c.total, c.total)
	}
}
