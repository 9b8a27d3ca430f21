package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// otherIndex is the code index of a folded category ("other") in a table of
// tier public, for dimensions whose code list has no "other" of its own.
const otherIndex = -2

// rules returns the disclosure rules of a protected tier.
func (db *DB) rules(t schemas.Tier) disclosure.Rules {
	if r, ok := db.protection[t]; ok {
		return r
	}
	if t == schemas.TierPublic {
		return disclosure.Public
	}
	return disclosure.Conatt
}

// protectTable fills t with the protected cells of an exact table, and
// says what the engine did.
func (db *DB) protectTable(ctx context.Context, t *schemas.Table, src source, q schemas.Query, tier schemas.Tier, cells []disclosure.Cell) (disclosure.Result, []string, error) {
	r := db.rules(tier)
	var folded []string
	if tier == schemas.TierPublic {
		r.Key = src.release.Key
		var err error
		if cells, folded, err = db.fold(ctx, src, q, cells, r.Fold); err != nil {
			return disclosure.Result{}, nil, err
		}
	}
	in := disclosure.Input{Dims: q.By, Cells: cells}
	for i, d := range q.By {
		in.Codes = append(in.Codes, gridCodes(d, i, cells))
	}
	res := disclosure.Protect(in, r, disclosure.Label(q.Measure, q.By))
	for _, c := range res.Cells {
		row := schemas.Row{Keys: keyNames(q.By, c.Keys)}
		if c.State == disclosure.Shown {
			n := c.Count
			row.Count = &n
		} else {
			// Primary and secondary look the same: which is which is a clue.
			row.Note = "suppressed"
		}
		if c.State == disclosure.Shown && c.Count == 0 && len(q.By) > 0 {
			continue // a rounded-away cell: rows are the non-zero ones
		}
		t.Rows = append(t.Rows, row)
	}
	if len(q.By) == 0 && len(t.Rows) == 0 {
		zero := 0
		t.Rows = append(t.Rows, schemas.Row{Keys: []string{}, Count: &zero})
	}
	t.Notes = append(t.Notes, disclosure.Notes(res, r, folded)...)
	t.Notes = append(t.Notes, unknownShares(q.By, cells)...)
	return res, folded, nil
}

// gridCodes lists the codes a dimension may take in the table: every code
// of its list (years: those present), and "other" where categories folded.
func gridCodes(d schemas.Dim, i int, cells []disclosure.Cell) []int {
	var out []int
	if d == schemas.DimYear {
		for _, c := range cells {
			if !slices.Contains(out, c.Keys[i]) {
				out = append(out, c.Keys[i])
			}
		}
		slices.Sort(out)
		return out
	}
	for j := range schemas.MustDim(d).Codes {
		out = append(out, j)
	}
	for _, c := range cells {
		if c.Keys[i] == otherIndex {
			return append(out, otherIndex)
		}
	}
	return out
}

// fold merges the categories that have fewer than min people in the whole
// release into "other" (the dimension's own, or a new one). Unknown is never
// folded, nor is the year.
func (db *DB) fold(ctx context.Context, src source, q schemas.Query, cells []disclosure.Cell, min int) ([]disclosure.Cell, []string, error) {
	if min <= 0 {
		return cells, nil, nil
	}
	var folded []string
	rare := make([]map[int]bool, len(q.By))
	target := make([]int, len(q.By))
	for i, d := range q.By {
		rare[i] = map[int]bool{}
		if d == schemas.DimYear {
			continue
		}
		dim := schemas.MustDim(d)
		target[i] = otherIndex
		if o := dim.Index("other"); o >= 0 {
			target[i] = o
		}
		whole, err := db.exact(ctx, src, schemas.Query{Measure: q.Measure, By: []schemas.Dim{d}})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range whole {
			code := dim.Codes[c.Keys[0]].Code
			if c.Count < min && code != "unknown" && code != "UNK" && c.Keys[0] != target[i] {
				rare[i][c.Keys[0]] = true
				folded = append(folded, fmt.Sprintf("%s=%s", d, code))
			}
		}
	}
	merged := map[[3]int]int{}
	var order [][3]int
	for _, c := range cells {
		var k [3]int
		for i, code := range c.Keys {
			if rare[i][code] {
				code = target[i]
			}
			k[i] = code
		}
		if _, seen := merged[k]; !seen {
			order = append(order, k)
		}
		merged[k] += c.Count
	}
	out := make([]disclosure.Cell, 0, len(order))
	for _, k := range order {
		out = append(out, disclosure.Cell{Keys: slices.Clone(k[:len(q.By)]), Count: merged[k]})
	}
	return out, folded, nil
}

// unknownShares says, per dimension, roughly how much of the table is
// unknown: to the nearest 10%, so that the share cannot be multiplied back
// into a small count.
func unknownShares(by []schemas.Dim, cells []disclosure.Cell) []schemas.Message {
	total := 0
	for _, c := range cells {
		total += c.Count
	}
	var out []schemas.Message
	for i, d := range by {
		if d == schemas.DimYear || total == 0 {
			continue
		}
		dim := schemas.MustDim(d)
		unknown := 0
		for _, c := range cells {
			if c.Keys[i] >= 0 && c.Keys[i] < len(dim.Codes) && (dim.Codes[c.Keys[i]].Code == "unknown" || dim.Codes[c.Keys[i]].Code == "UNK") {
				unknown += c.Count
			}
		}
		share := float64(unknown) / float64(total) * 100
		var es, en string
		switch {
		case unknown == 0:
			es, en = "ninguno", "none"
		case share < 10:
			es, en = "menos del 10 %", "under 10%"
		default:
			p := int(share/10+0.5) * 10
			es, en = fmt.Sprintf("alrededor del %d %%", p), fmt.Sprintf("about %d%%", p)
		}
		out = append(out, schemas.Message{
			ES: fmt.Sprintf("%s desconocido: %s", d, es),
			EN: fmt.Sprintf("%s unknown: %s", d, en),
		})
	}
	return out
}
