package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/conatt/tipdash/schemas"
)

const (
	blockRows     = 1024
	headerScan    = 10 // rows searched for the header
	warnRowsKept  = 10 // row numbers kept per value warning
	maxCellLength = 200
	// maxHeaderColumns bounds the columns of a header: wider rows are not
	// taken for one, and a file whose rows are all wider is refused.
	maxHeaderColumns = 1024
	// maxRows bounds the data rows of one file (row numbers also key the
	// records of a batch).
	maxRows = 5_000_000
)

// pipeline reads rows in one goroutine, maps blocks of them in parallel
// workers (each with its own memoising classifier), and puts the results
// back in row order in the calling goroutine, which writes them to the sink
// and builds the report.
type pipeline struct {
	ix        *aliasIndex
	profile   *schemas.Profile
	rep       *schemas.BatchReport
	newMapper func() (*mapper, error)
	plan      *plan      // the last header plan
	inferred  []inferred // set before the rows are read, then only read

	warnIdx    map[warnKey]int // -> index in rep.Warnings
	warnedRows map[int]bool
	seen       map[schemas.Key]int // dry run only: person key -> first row
	keepAll    bool                // keep every rejection in the report (dry run)
}

// reportRejections is how many rejected rows the report lists when they are
// also in the quarantine; the rest are counted.
const reportRejections = 1000

type warnKey struct{ column, value, code string }

type rawRow struct {
	row   int
	cells []string
	err   error
	plan  *plan
}

type rawBlock struct {
	seq  int
	rows []rawRow
}

type resultBlock struct {
	seq      int
	plan     *plan // of the block's last row
	recs     []schemas.Record
	rows     int
	empty    int
	byRole   [3]int
	rejected []schemas.Rejected
	stored   []schemas.Rejected // the rejected rows as the quarantine keeps them
	warnings []schemas.Issue
	warned   []int // rows with a warning
	err      error
}

func (p *pipeline) run(ctx context.Context, src Source, w BatchWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first, err := p.header(src)
	if err != nil {
		return err
	}
	if o, ok := src.(interface{ OtherSheets() []string }); ok && len(o.OtherSheets()) > 0 {
		// The names are the value: the stored report hides a value with
		// letters, and a sheet may be named after a person.
		p.warn(schemas.Issue{Row: p.rep.HeaderRow, Code: "other_sheets", Value: strings.Join(o.OtherSheets(), ", "), Msg: schemas.Message{
			ES: "solo se leyó esta hoja; el libro tiene otras hojas con datos (las del valor), que no se leyeron. Para leer otra: --sheet NOMBRE (o súbala aparte)",
			EN: "only this sheet was read; the workbook has other sheets with data (those in the value), which were not read. To read one: --sheet NAME (or upload it separately)"}})
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	raw := make(chan rawBlock, workers*2)
	done := make(chan resultBlock, workers*2)
	readErr := make(chan error, 1)
	go func() {
		defer close(raw)
		readErr <- p.read(ctx, src, first, raw)
	}()
	var wg sync.WaitGroup
	for range workers {
		m, err := p.newMapper()
		if err != nil {
			cancel()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range raw {
				select {
				case done <- p.mapBlock(m, b):
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	pending := map[int]resultBlock{}
	next := 0
	var werr error
	for b := range done {
		pending[b.seq] = b
		for {
			nb, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			p.merge(&nb)
			if werr == nil && w != nil && len(nb.recs) > 0 {
				werr = w.Append(ctx, nb.recs)
			}
			if werr == nil && w != nil && len(nb.stored) > 0 {
				werr = w.Quarantine(ctx, nb.stored)
			}
			if werr != nil {
				cancel()
			}
		}
	}
	if err := <-readErr; err != nil && werr == nil {
		return err
	}
	return werr
}

// findHeader finds the header among the first rows (the one with most
// known columns: title rows above it are skipped), or says why the file
// cannot be read from it. It returns the rows read and the header's index
// among them (-1: JSON Lines keys, before the first row).
func (p *pipeline) findHeader(src Source) (buf []rawRow, best *plan, bestAt int, err error) {
	bestAt, wide := -1, 0
	firstAt := -1 // the first row that reads as a header
	var unreadable *RowError
	for len(buf) < headerScan {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		var hc *HeaderChange
		var re *RowError
		if err != nil && !errors.As(err, &hc) && !errors.As(err, &re) {
			return nil, nil, -1, err
		}
		buf = append(buf, rawRow{row: row, cells: cells, err: err})
		if re != nil && unreadable == nil {
			unreadable = re
		}
		if hc != nil {
			// JSON Lines: the keys are the header and this row is data.
			best, bestAt = p.ix.plan(hc.Header), len(buf)-2
			break
		}
		if err == nil {
			if w := width(cells); w > maxHeaderColumns {
				wide = max(wide, w)
				continue
			}
			pl := p.ix.plan(cells)
			if pl.matched > 0 && (best == nil || pl.matched > best.matched) {
				best, bestAt = pl, len(buf)-1
			}
			if pl.matched >= 2 && firstAt < 0 {
				firstAt = len(buf) - 1
			}
		}
	}
	if best == nil && unreadable != nil {
		return nil, nil, -1, schemas.Invalid("unreadable_header", "no se encuentra el encabezado: las primeras filas no se pueden leer (fila %d: %v)",
			"no header found: the first rows cannot be read (row %d: %v)", unreadable.Row, unreadable.Err)
	}
	if best == nil && wide > 0 {
		return nil, nil, -1, schemas.Invalid("limit_header", "las primeras filas tienen %d columnas con datos; tipdash lee a lo sumo %d",
			"the first rows have %d filled columns; tipdash reads at most %d", wide, maxHeaderColumns)
	}
	if cs, ok := src.(*csvSource); ok && best == nil && cs.mixed != 0 {
		return nil, nil, -1, schemas.Invalid("mixed_delimiters",
			"el archivo mezcla separadores (%[1]q y %[2]q en distintas líneas), así que no se reconoce el encabezado; guárdelo de nuevo con un solo separador",
			"the file mixes delimiters (%[1]q and %[2]q on different lines), so no header is recognised; save it again with a single delimiter",
			string(cs.r.Comma), string(cs.mixed))
	}
	if best == nil || best.matched == 0 {
		return nil, nil, -1, schemas.Invalid("no_header",
			"no se reconoce ningún encabezado del perfil %s en las primeras %d filas; revise que la hoja y el perfil sean los correctos (se esperan columnas como: %s)",
			"no header of profile %s found in the first %d rows; check the sheet and the profile (columns such as: %s are expected)",
			p.profile.Name, headerScan, expected(p.profile))
	}
	// A header below another, with rows between them: two tables pasted
	// one under the other. Reading from the second would lose the first's
	// rows; title rows above the first header are the only rows skipped.
	if firstAt >= 0 && firstAt < bestAt {
		data := 0
		for _, r := range buf[firstAt+1 : bestAt] {
			if r.err != nil || !empty(r.cells) {
				data++
			}
		}
		if data > 0 {
			return nil, nil, -1, schemas.Invalid("two_headers",
				"la fila %d repite el encabezado de la fila %d, y entre ellas hay %d filas que se perderían; no se guardó nada. Ponga cada tabla en su propia hoja (y use --sheet) o borre el segundo encabezado",
				"row %d repeats the header of row %d, and the %d rows between them would be lost; nothing was stored. Put each table on its own sheet (and use --sheet) or delete the second header",
				buf[bestAt].row, buf[firstAt].row, data)
		}
	}
	// A header the user mapped (--map) that the file does not have: a
	// typo, or the wrong file; reading on would ignore what was asked.
	var missing []string
	for k, h := range p.profile.Mapped {
		if !slices.ContainsFunc(best.header, func(c string) bool { return schemas.Fold(c) == k }) {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		row := 1
		if bestAt >= 0 {
			row = buf[bestAt].row
		}
		return nil, nil, -1, schemas.Invalid("map_not_found",
			"--map: el archivo no tiene la columna %s (su encabezado, fila %d: %s); no se guardó nada",
			"--map: the file has no column %s (its header, row %d: %s); nothing was stored",
			"«"+strings.Join(missing, "», «")+"»", row, clipRunes(strings.Join(best.header, ", "), 300))
	}
	return buf, best, bestAt, nil
}

// header finds the header and returns the rows after it.
func (p *pipeline) header(src Source) ([]rawRow, error) {
	buf, best, bestAt, err := p.findHeader(src)
	if err != nil {
		return nil, err
	}
	p.plan = best
	if bestAt >= 0 {
		p.rep.HeaderRow = buf[bestAt].row
	}
	rest := buf[bestAt+1:]
	for i := range rest {
		rest[i].plan = best
	}
	if slices.ContainsFunc(best.columns, func(c schemas.ColumnReport) bool { return c.Action == schemas.ColumnIgnored }) {
		var err error
		if rest, err = p.sample(src, rest, best); err != nil {
			return nil, err
		}
		m, err := p.newMapper()
		if err != nil {
			return nil, err
		}
		p.infer(m, best, rest)
		p.applyInferred(best)
		for _, r := range rest {
			if r.plan != best {
				p.applyInferred(r.plan)
			}
		}
	}
	return rest, nil
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

// read sends the rows in blocks, each row with the header plan in force.
func (p *pipeline) read(ctx context.Context, src Source, first []rawRow, out chan<- rawBlock) error {
	seq := 0
	block := make([]rawRow, 0, blockRows)
	send := func() error {
		select {
		case out <- rawBlock{seq: seq, rows: block}:
		case <-ctx.Done():
			return ctx.Err()
		}
		seq++
		block = make([]rawRow, 0, blockRows)
		return nil
	}
	cur, rows := p.plan, len(first)
	if len(first) > 0 {
		cur = first[len(first)-1].plan // JSON Lines keys may have grown in the sampled rows
	}
	for _, r := range first {
		var hc *HeaderChange
		if errors.As(r.err, &hc) {
			r.err = nil
		}
		block = append(block, r)
	}
	for {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		var hc *HeaderChange
		switch {
		case errors.As(err, &hc):
			cur = p.ix.plan(hc.Header) // merge takes it up with the block: p.plan is not this goroutine's
			p.applyInferred(cur)
			err = nil
		case err != nil && !errors.As(err, &re):
			return err
		}
		if rows++; rows > maxRows {
			return schemas.Invalid("limit_rows", "el archivo tiene más de %d filas (límite de tipdash); divídalo en varios",
				"the file has more than %d rows (tipdash's limit); split it into several", maxRows)
		}
		block = append(block, rawRow{row: row, cells: cells, err: err, plan: cur})
		if len(block) == blockRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(block) > 0 {
		return send()
	}
	return nil
}

// unreadableMsg says why a row could not be read, in both languages.
func unreadableMsg(err error) schemas.Message {
	var ce *cellError
	if errors.As(err, &ce) && ce.es != "" {
		return schemas.Message{ES: msgUnreadable.ES + ": " + ce.es, EN: msgUnreadable.EN + ": " + ce.msg}
	}
	var se *schemas.Error
	if errors.As(err, &se) {
		return schemas.Message{ES: msgUnreadable.ES + ": " + se.Msg.ES, EN: msgUnreadable.EN + ": " + se.Msg.EN}
	}
	return schemas.Message{ES: msgUnreadable.ES + ": " + err.Error(), EN: msgUnreadable.EN + ": " + err.Error()}
}

// mapBlock sorts the rows of one block; it runs in a worker.
func (p *pipeline) mapBlock(m *mapper, b rawBlock) resultBlock {

	res := resultBlock{seq: b.seq, recs: make([]schemas.Record, 0, len(b.rows))}
	if len(b.rows) > 0 {
		res.plan = b.rows[len(b.rows)-1].plan
	}
	for _, r := range b.rows {
		m.p = r.plan
		if r.err == nil && empty(r.cells) {
			res.empty++
			continue
		}
		res.rows++
		if r.err != nil {
			// Kept in quarantine like every rejected row (without cells:
			// none could be read), so that the batch accounts for it.
			res.reject(m, r.plan, quarantined(r.plan, r.row, nil, []schemas.Issue{{Row: r.row, Code: "unreadable", Msg: unreadableMsg(r.err)}}))
			continue
		}
		if extra := len(r.cells) - len(r.plan.header); extra > 0 && !empty(r.cells[len(r.plan.header):]) {
			res.reject(m, r.plan, quarantined(r.plan, r.row, r.cells, []schemas.Issue{{Row: r.row, Code: "too_many_cells", Msg: msgTooMany}}))
			continue
		}
		out := m.mapRow(r.row, r.cells)
		if len(out.reasons) > 0 {
			res.reject(m, r.plan, quarantined(r.plan, r.row, r.cells, own(out.reasons)))
			continue
		}
		res.recs = append(res.recs, out.rec)
		res.byRole[out.rec.Role]++
		if len(out.warnings) > 0 {
			res.warned = append(res.warned, r.row)
			res.warnings = append(res.warnings, own(out.warnings)...)
		}
	}
	return res
}

// reject keeps a rejected row for the report, and its copy for the quarantine.
func (res *resultBlock) reject(m *mapper, pl *plan, q schemas.Rejected) {
	res.rejected = append(res.rejected, q)
	res.stored = append(res.stored, m.stored(pl, q))
}

// merge adds a block's results to the report, in row order.
func (p *pipeline) merge(b *resultBlock) {
	r := p.rep
	if b.plan != nil {
		p.plan = b.plan
	}
	r.Rows += b.rows
	r.EmptyRows += b.empty
	if p.seen != nil {
		b.recs = p.dedupe(b)
	}
	for i, n := range b.byRole {
		if n > 0 {
			r.ByRole[schemas.Role(i).String()] += n
		}
	}
	r.Accepted += len(b.recs)
	r.Rejected += len(b.rejected)
	p.list(b.rejected...)
	r.Warned += len(b.warned)
	for _, row := range b.warned {
		p.warnedRows[row] = true
	}
	for _, w := range b.warnings {
		p.warn(w)
	}
}

// dedupe keeps the first row of each person id (dry run: the database does
// it otherwise).
func (p *pipeline) dedupe(b *resultBlock) []schemas.Record {
	kept := b.recs[:0]
	for _, rec := range b.recs {
		if rec.PersonKey.IsZero() {
			kept = append(kept, rec)
			continue
		}
		if first, dup := p.seen[rec.PersonKey]; dup {
			b.byRole[rec.Role]--
			p.rep.Rejected++
			p.list(schemas.Rejected{Row: rec.Row, Reasons: []schemas.Issue{p.dupIssue(rec.Row, first)}, Cells: map[string]string{}})
			continue
		}
		p.seen[rec.PersonKey] = rec.Row
		kept = append(kept, rec)
	}
	return kept
}

func (p *pipeline) dupIssue(row, first int) schemas.Issue {
	col := ""
	if i := p.plan.fields[fiPersonID]; i >= 0 {
		col = p.plan.header[i]
	}
	return schemas.Issue{Row: row, Column: col, Code: "duplicate_person", Msg: schemas.Message{
		ES: fmt.Sprintf("%s (fila %d)", msgDuplicate.ES, first), EN: fmt.Sprintf("%s (row %d)", msgDuplicate.EN, first)}}
}

// list adds rejections to the report, up to reportRejections unless all
// are kept.
func (p *pipeline) list(rows ...schemas.Rejected) {
	for _, q := range rows {
		if p.keepAll || len(p.rep.Rejections) < reportRejections {
			p.rep.Rejections = append(p.rep.Rejections, q)
		} else {
			p.rep.RejectionsOmitted++
		}
	}
}

// duplicate moves a row the database found repeated into the rejections,
// and returns it for the quarantine.
func (p *pipeline) duplicate(d schemas.Duplicate) schemas.Rejected {
	r := p.rep
	r.Accepted--
	if r.ByRole[d.Role]--; r.ByRole[d.Role] == 0 {
		delete(r.ByRole, d.Role)
	}
	if p.warnedRows[d.Row] {
		r.Warned--
	}
	r.Rejected++
	q := schemas.Rejected{Row: d.Row, Reasons: []schemas.Issue{p.dupIssue(d.Row, d.FirstRow)}, Cells: d.Cells}
	p.list(q)
	return q
}

// width is the number of cells up to the last filled one.
func width(cells []string) int {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return n
}

func empty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (p *pipeline) warn(w schemas.Issue) {
	if w.Code != "unmapped_value" {
		if len(p.rep.RowWarnings) < reportRejections {
			p.rep.RowWarnings = append(p.rep.RowWarnings, w)
		} else {
			p.rep.RowWarningsOmitted++ // memory stays flat; the count says how many
		}
		return
	}
	k := warnKey{w.Column, clip(w.Value), w.Code}
	i, ok := p.warnIdx[k]
	if !ok && len(p.rep.Warnings) >= reportRejections {
		p.rep.WarningsOmitted++ // memory stays flat; the count says how many
		return
	}
	if !ok {
		i = len(p.rep.Warnings)
		p.warnIdx[k] = i
		field := ""
		for _, c := range p.plan.columns {
			if c.Header == w.Column {
				field = c.Field
				break
			}
		}
		p.rep.Warnings = append(p.rep.Warnings, schemas.ValueWarning{Column: w.Column, Field: field, Value: k.value, Code: w.Code, Msg: w.Msg})
	}
	vw := &p.rep.Warnings[i]
	vw.Count++
	if len(vw.Rows) < warnRowsKept {
		vw.Rows = append(vw.Rows, w.Row)
	}
}

// own copies issues out of the mapper's reused buffer, with values clipped
// and copied.
func own(in []schemas.Issue) []schemas.Issue {
	out := slices.Clone(in)
	for i := range out {
		out[i].Value = clip(out[i].Value)
	}
	return out
}

// quarantined keeps a rejected row with the cells of its mapped columns.
// Personal-data columns and the raw ids are never kept.
func quarantined(pl *plan, row int, cells []string, reasons []schemas.Issue) schemas.Rejected {
	q := schemas.Rejected{Row: row, Reasons: reasons, Cells: map[string]string{}}
	for fi, i := range pl.fields {
		if fi == fiPersonID || fi == fiCaseID || i < 0 || i >= len(cells) {
			continue
		}
		if v := strings.TrimSpace(fixEncoding(cells[i])); v != "" {
			q.Cells[pl.header[i]] = clip(v)
		}
	}
	for _, fl := range pl.flags {
		if fl.col < len(cells) && strings.TrimSpace(cells[fl.col]) != "" {
			q.Cells[pl.header[fl.col]] = clip(fixEncoding(cells[fl.col]))
		}
	}
	return q
}

// clip prepares a cell for the report and the quarantine: e-mails and
// numbers that look like an ID card, passport or phone typed into the
// wrong column are masked, long text is shortened, and the result is a
// copy, so that the report does not keep the whole source line alive.
func clip(s string) string {
	if len(s) > 4*maxCellLength {
		s = s[:4*maxCellLength] // what is cut cannot show; masking it would only cost time
	}
	s = maskPersonal(s)
	if len(s) <= maxCellLength {
		return strings.Clone(s)
	}
	cut := maxCellLength
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…" // a new string
}

// finish sets the columns of the report and orders rejections by row and
// warnings by column, most frequent first.
func (p *pipeline) finish() {
	r := p.rep
	r.Columns = p.plan.columns
	r.Absent = nil
	for fi, f := range schemas.Fields() {
		if p.plan.fields[fi] < 0 && len(p.profile.Columns[f]) > 0 {
			r.Absent = append(r.Absent, f)
		}
	}
	sort.SliceStable(r.Rejections, func(i, j int) bool { return r.Rejections[i].Row < r.Rejections[j].Row })
	sort.SliceStable(r.Warnings, func(i, j int) bool {
		a, b := r.Warnings[i], r.Warnings[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Count > b.Count
	})
}
