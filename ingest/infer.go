package ingest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/conatt/tipdash/classify"
	"github.com/conatt/tipdash/schemas"
)

// Reading a column the profile does not know by its values.
const (
	inferRows   = 500 // data rows sampled after the header
	inferMin    = 5   // non-empty cells a column needs to be judged
	inferShare  = 0.9 // share of a dimension's codes that reads the column as it
	suggestFrom = 0.3 // share from which a dimension is suggested
)

// inferable are the coded fields a column can be read as by its values.
var inferable = func() []int {
	out := []int{fiRole, fiOffence, fiExploit, fiRecruitment}
	for _, sf := range singleFields {
		out = append(out, sf.fi)
	}
	return out
}()

// sample reads data rows after the header, up to inferRows, for infer. In
// JSON Lines a row may bring new keys: the rows after it take the new plan.
func (p *pipeline) sample(src Source, rows []rawRow, pl *plan) ([]rawRow, error) {
	for len(rows) < inferRows {
		row, cells, err := src.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		var hc *HeaderChange
		switch {
		case errors.As(err, &hc):
			pl, err = p.ix.plan(hc.Header), nil
		case err != nil && !errors.As(err, &re):
			return nil, err
		}
		rows = append(rows, rawRow{row: row, cells: cells, err: err, plan: pl})
	}
	return rows, nil
}

// inferred is a column read as a field by its values.
type inferred struct{ col, fi int }

// applyInferred reads the inferred columns in a later plan of the same
// file (JSON Lines keys only grow, so columns keep their place).
func (p *pipeline) applyInferred(pl *plan) {
	for _, in := range p.inferred {
		if in.col < len(pl.columns) && pl.fields[in.fi] < 0 && pl.columns[in.col].Action == schemas.ColumnIgnored {
			pl.fields[in.fi] = in.col
			pl.columns[in.col].Action, pl.columns[in.col].Field = schemas.ColumnMapped, schemas.Fields()[in.fi]
			pl.matched++
		}
	}
}

// infer looks at the columns the profile does not know. When nearly all of
// a column's values are codes of exactly one dimension that no other column
// carries, the column is read as that dimension, with a warning to check;
// otherwise the closest dimensions are suggested.
func (p *pipeline) infer(m *mapper, pl *plan, rows []rawRow) {
	for ci := range pl.columns {
		cr := &pl.columns[ci]
		if cr.Action != schemas.ColumnIgnored || strings.TrimSpace(cr.Header) == "" {
			continue
		}
		col := cr.Index - 1
		known := make(map[int]int, len(inferable))
		n := 0
		for _, r := range rows {
			if r.err != nil || col >= len(r.cells) {
				continue
			}
			v := fixEncoding(r.cells[col])
			if strings.TrimSpace(v) == "" {
				continue
			}
			n++
			for _, fi := range inferable {
				if isCode(m, fi, v) {
					known[fi]++
				}
			}
		}
		if n < inferMin {
			continue
		}
		type share struct {
			fi    int
			share float64
		}
		var shares []share
		for fi, k := range known {
			shares = append(shares, share{fi, float64(k) / float64(n)})
		}
		slices.SortFunc(shares, func(a, b share) int {
			return cmp.Or(cmp.Compare(b.share, a.share), cmp.Compare(a.fi, b.fi))
		})
		if len(shares) > 0 && shares[0].share >= inferShare && (len(shares) == 1 || shares[1].share < inferShare) && pl.fields[shares[0].fi] < 0 && !p.inferredField(shares[0].fi) {
			s := shares[0]
			field := schemas.Fields()[s.fi]
			p.inferred = append(p.inferred, inferred{col, s.fi})
			pct := int(s.share * 100)
			p.rep.RowWarnings = append(p.rep.RowWarnings, schemas.Issue{Row: p.rep.HeaderRow, Column: cr.Header, Code: "column_inferred", Msg: schemas.Message{
				ES: fmt.Sprintf("columna «%s» leída como %s: el %d %% de sus valores son códigos de %s; revise que sea correcto (o indique otra con --map \"%s=campo\")", cr.Header, field, pct, field, cr.Header),
				EN: fmt.Sprintf("column %q read as %s: %d%% of its values are %s codes; check that this is right (or give another with --map \"%s=field\")", cr.Header, field, pct, field, cr.Header)}})
			continue
		}
		var near []string
		for _, s := range shares {
			if s.share >= suggestFrom && len(near) < 3 {
				near = append(near, fmt.Sprintf("%s (%d%%)", schemas.Fields()[s.fi], int(s.share*100)))
			}
		}
		if len(near) > 0 {
			list := strings.Join(near, ", ")
			p.rep.RowWarnings = append(p.rep.RowWarnings, schemas.Issue{Row: p.rep.HeaderRow, Column: cr.Header, Code: "column_suggestion", Msg: schemas.Message{
				ES: fmt.Sprintf("columna «%s» no leída; por sus valores podría ser: %s. Para leerla: --map \"%s=campo\"", cr.Header, list, cr.Header),
				EN: fmt.Sprintf("column %q not read; by its values it could be: %s. To read it: --map \"%s=field\"", cr.Header, list, cr.Header)}})
		}
	}
}

func (p *pipeline) inferredField(fi int) bool {
	return slices.ContainsFunc(p.inferred, func(in inferred) bool { return in.fi == fi })
}

// isCode reports a value that is a code of field fi (not a missing token).
func isCode(m *mapper, fi int, v string) bool {
	if fi == fiExploit || fi == fiRecruitment {
		codes, unmapped := m.c.MultiAt(fi, v)
		return len(unmapped) == 0 && len(codes) > 0 && codes[0] != m.unknown[fi]
	}
	o := m.c.CodeAt(fi, v)
	return o.Status == classify.Known && o.Code != m.unknown[fi]
}
