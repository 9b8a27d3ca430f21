package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// Aggregate counts a measure by up to three dimensions. It is the one path
// through which counts leave tipdash: every command, page, API response and
// export calls it. Tier admin gives exact counts; the protected tiers are
// refused until the disclosure-control engine serves them, so that no exact
// count ever reaches a tier that must not see it.
func (db *DB) Aggregate(ctx context.Context, q schemas.Query, tier schemas.Tier) (*schemas.Table, error) {
	if err := q.Validate(tier); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	if tier != schemas.TierAdmin {
		return nil, fmt.Errorf("aggregate: %w", schemas.Refused("tier_unavailable",
			"el nivel %s (control de divulgación) aún no está disponible; solo se sirve el nivel admin (cifras exactas)",
			"tier %s (disclosure control) is not available yet; only tier admin (exact counts) is served", tier))
	}
	query, args := aggregateSQL(q)
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	defer rows.Close()
	t := &schemas.Table{Measure: q.Measure, By: q.By, Tier: tier, Rows: []schemas.Row{}}
	for rows.Next() {
		keys := make([]string, len(q.By))
		dest := make([]any, len(q.By)+1)
		for i := range keys {
			dest[i] = &keys[i]
		}
		var n int
		dest[len(q.By)] = &n
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("aggregate: %w", err)
		}
		t.Rows = append(t.Rows, schemas.Row{Keys: keys, Count: &n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("aggregate: %w", err)
	}
	if len(q.By) == 0 && len(t.Rows) == 1 && *t.Rows[0].Count == 0 {
		// The total is printed even when it is zero.
		return t, nil
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

// multiTables maps the multi-valued dimensions to their table.
var multiTables = map[schemas.Dim]string{
	schemas.DimExploitation: "record_exploitation",
	schemas.DimRecruitment:  "record_recruitment",
}

// aggregateSQL builds the query. Dimension names come from the closed code
// list (validated), values are always parameters.
func aggregateSQL(q schemas.Query) (string, []any) {
	var sel, group []string
	from := "records r"
	for _, d := range q.By {
		col := "r." + string(d)
		if t, ok := multiTables[d]; ok {
			from += fmt.Sprintf(" JOIN %s m ON m.id = r.id", t)
			col = "m.value"
		}
		sel = append(sel, fmt.Sprintf("CAST(%s AS VARCHAR)", col))
		group = append(group, col)
	}
	where := []string{"r.role = ?"}
	args := []any{q.Measure.Role().String()}
	for _, f := range q.Where {
		switch {
		case f.Dim == schemas.DimYear && len(f.Values) == 0:
			if f.FromYear != 0 {
				where, args = append(where, "r.year >= ?"), append(args, f.FromYear)
			}
			if f.ToYear != 0 {
				where, args = append(where, "r.year <= ?"), append(args, f.ToYear)
			}
		default:
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(f.Values)), ", ")
			if t, ok := multiTables[f.Dim]; ok {
				where = append(where, fmt.Sprintf("r.id IN (SELECT id FROM %s WHERE CAST(value AS VARCHAR) IN (%s))", t, ph))
			} else {
				where = append(where, fmt.Sprintf("CAST(r.%s AS VARCHAR) IN (%s)", f.Dim, ph))
			}
			for _, v := range f.Values {
				args = append(args, v)
			}
		}
	}
	s := "SELECT " + strings.Join(append(sel, "count(*)"), ", ") + " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	if len(group) > 0 {
		s += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
	}
	return s, args
}
