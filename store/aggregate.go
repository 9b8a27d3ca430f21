package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// Aggregate counts a measure by up to three dimensions, exactly: tier
// admin (administrators and analysts). It is the one path through which
// exact counts leave tipdash. The protected tiers never count: they read
// catalogue tables from releases (ReleaseTable), which PublishRelease
// computes through this same path and the disclosure engine.
func (db *DB) Aggregate(ctx context.Context, q schemas.Query) (_ *schemas.Table, err error) {
	defer db.recordDone(ctx, schemas.ActionAggregate, string(q.Measure), q.String(), &err)
	return db.aggregate(ctx, q)
}

// aggregate counts exactly, unrecorded: the paths that record the action
// themselves (exports) use it.
func (db *DB) aggregate(ctx context.Context, q schemas.Query) (*schemas.Table, error) {
	if err := q.Validate(schemas.TierAdmin); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	cells, err := db.exact(ctx, source{from: "record_versions v", where: "v.is_current"}, q)
	if err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	t := &schemas.Table{Measure: q.Measure, By: q.By, Tier: schemas.TierAdmin, Rows: []schemas.Row{}}
	for _, c := range cells {
		n := c.Count
		t.Rows = append(t.Rows, schemas.Row{Keys: keyNames(q.By, c.Keys), Count: &n})
	}
	if len(q.By) == 0 && len(t.Rows) == 0 {
		zero := 0
		t.Rows = append(t.Rows, schemas.Row{Keys: []string{}, Count: &zero})
	}
	for _, d := range q.By {
		if schemas.MustDim(d).Kind == schemas.KindMulti {
			t.Notes = append(t.Notes, schemas.Message{
				ES: fmt.Sprintf("%s tiene varios valores por persona: una persona cuenta una vez en cada uno, así que las filas no suman el total", d),
				EN: fmt.Sprintf("%s has several values per person: a person counts once under each, so the rows do not add up to the total", d),
			})
		}
	}
	return t, nil
}

// source is where counts come from: the live records or a release.
type source struct {
	from, where string
	args        []any
}

// exact runs the GROUP BY and returns the non-zero cells with code indexes.
func (db *DB) exact(ctx context.Context, src source, q schemas.Query) ([]disclosure.Cell, error) {
	query, args := aggregateSQL(q, src)
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []disclosure.Cell
	codes := make([]int64, len(q.By))
	dest := make([]any, len(q.By)+1)
	for i := range codes {
		dest[i] = &codes[i]
	}
	for rows.Next() {
		var n int
		dest[len(q.By)] = &n
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		keys := make([]int, len(codes))
		for i, c := range codes {
			keys[i] = int(c)
		}
		out = append(out, disclosure.Cell{Keys: keys, Count: n})
	}
	return out, rows.Err()
}

func keyNames(by []schemas.Dim, keys []int) []string {
	out := make([]string, len(by))
	for i, d := range by {
		out[i] = codeName(d, int64(keys[i]))
	}
	return out
}

// multiValued are the dimensions stored as bit sets.
var multiValued = map[schemas.Dim]bool{schemas.DimExploitation: true, schemas.DimRecruitment: true}

// dimExpr is the SQL expression of a dimension's code index (the year itself
// for year) over record_versions v, or m for a multi-valued dimension.
func dimExpr(d schemas.Dim) string {
	month := layout["month"].expr("v")
	switch d {
	case schemas.DimQuarter:
		return fmt.Sprintf("CASE WHEN %[1]s = 0 THEN 4 ELSE (%[1]s - 1) // 3 END", month)
	case schemas.DimMonth:
		return fmt.Sprintf("CASE WHEN %[1]s = 0 THEN 12 ELSE %[1]s - 1 END", month)
	}
	if multiValued[d] {
		return "m.range"
	}
	return layout[d].expr("v")
}

// codeName turns a code index back into its code.
func codeName(d schemas.Dim, i int64) string {
	if d == schemas.DimYear {
		return strconv.FormatInt(i, 10)
	}
	if i == disclosure.OtherIndex {
		return "other"
	}
	codes := schemas.MustDim(d).Codes
	if i < 0 || int(i) >= len(codes) {
		return "?"
	}
	return codes[i].Code
}

// aggregateSQL builds the query over the current versions. It groups by
// code indexes, which is faster than grouping the records view by names,
// and gives the same numbers (TestAggregateMatchesView). Dimension names
// come from the closed code list (validated); values are always parameters.
func aggregateSQL(q schemas.Query, src source) (string, []any) {
	var group []string
	from := src.from
	for _, d := range q.By {
		if multiValued[d] {
			// One row per person and value: each set bit of the code set.
			from += fmt.Sprintf(" JOIN range(0, 32) m ON (%s >> m.range) & 1 = 1", layout[d].expr("v"))
		}
		group = append(group, dimExpr(d))
	}
	where := []string{src.where, layout[schemas.DimRole].expr("v") + " = ?"}
	args := append(slices.Clone(src.args), int(q.Measure.Role()))
	for _, f := range q.Where {
		if f.Dim == schemas.DimYear && len(f.Values) == 0 {
			if f.FromYear != 0 {
				where, args = append(where, dimExpr(schemas.DimYear)+" >= ?"), append(args, f.FromYear)
			}
			if f.ToYear != 0 {
				where, args = append(where, dimExpr(schemas.DimYear)+" <= ?"), append(args, f.ToYear)
			}
			continue
		}
		if multiValued[f.Dim] {
			var mask uint32
			for _, v := range f.Values {
				mask |= 1 << schemas.MustDim(f.Dim).Index(v)
			}
			where, args = append(where, fmt.Sprintf("%s & ? <> 0", layout[f.Dim].expr("v"))), append(args, mask)
			continue
		}
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Values)), ", ")
		for _, v := range f.Values {
			if f.Dim == schemas.DimYear {
				y, _ := strconv.Atoi(v)
				args = append(args, y)
			} else {
				args = append(args, schemas.MustDim(f.Dim).Index(v))
			}
		}
		where = append(where, fmt.Sprintf("(%s) IN (%s)", dimExpr(f.Dim), ph))
	}
	s := "SELECT " + strings.Join(append(slices.Clone(group), "count(*)"), ", ") + " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	if len(group) > 0 {
		s += " GROUP BY ALL ORDER BY ALL"
	}
	return s, args
}
