// Package disclosure is the disclosure-control engine of tipdash: it turns a
// table of exact counts into the table a tier may see. Every count that
// leaves tipdash at a protected tier passes through Protect, called only by
// the store's aggregate path. It is pure: no IO.
package disclosure

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// Rules are the thresholds of a tier. They can be raised, never lowered
// below the tier's minimum (see Check).
type Rules struct {
	Threshold int    // counts 1..Threshold-1 are hidden; hidden groups must add up to at least this
	Round     int    // base of the rounding of published counts (0: exact)
	Fold      int    // categories with fewer people than this in the release fold into other (0: none)
	Key       []byte // rounding key: the release's, so that a cell always rounds the same way
}

// Conatt and Public are the minimum rules of the tiers (DESIGN.md, "Protecting people").
var (
	Conatt = Rules{Threshold: 5}
	Public = Rules{Threshold: 10, Round: 5, Fold: 10}
)

// Check refuses rules looser than the tier's minimum.
func Check(t schemas.Tier, r Rules) error {
	min := Conatt
	if t == schemas.TierPublic {
		min = Public
	}
	if r.Threshold < min.Threshold || r.Round < min.Round || r.Fold < min.Fold {
		return schemas.Refused("loose_rules",
			"los umbrales del nivel %s solo pueden subir: umbral mínimo %d, redondeo %d, agrupación %d",
			"the thresholds of tier %s can only be raised: threshold at least %d, rounding %d, folding %d",
			t, min.Threshold, min.Round, min.Fold)
	}
	return nil
}

// Cell is one combination of codes (one index per dimension) and its count.
type Cell struct {
	Keys  []int
	Count int
}

// Input is an exact table: its dimensions, the codes each may take (the
// grid: cells of the grid that are not in Cells are zero), and the non-zero
// cells.
type Input struct {
	Dims  []schemas.Dim
	Codes [][]int // per dimension: the code indexes of the grid (years for year)
	Cells []Cell
}

// Output cell states.
const (
	Shown     = "shown"
	Primary   = "suppressed"           // a count of 1..threshold-1
	Secondary = "suppressed_secondary" // hidden so that a primary one cannot be worked out
)

// Out is a protected cell.
type Out struct {
	Keys  []int
	Count int // the published count (rounded at tier public); meaningless when hidden
	State string
}

// Result is a protected table.
type Result struct {
	Cells     []Out // non-zero cells and hidden ones, in key order
	Hidden    int
	Secondary int
	Rounded   int
}

type key [3]int

func keyOf(k []int) key {
	var out key
	copy(out[:], k)
	return out
}

// Protect hides counts below the threshold, then hides more cells until no
// hidden cell can be worked out by subtraction. Every margin of the table
// (the table summed over one or more of its dimensions, down to the grand
// total) is a table another query shows, protected the same way. Wherever
// such a margin shows a total, the cells that add up to it must not hold a
// single hidden cell, nor hidden cells adding up to less than the
// threshold: the next-smallest cell of that group is hidden until they do,
// repeated until stable. Then, at tier public, every shown count is rounded
// to the base by a key of the release and the cell.
func Protect(in Input, r Rules, label string) Result {
	counts := countsOf(in)
	hidden := protect(in, counts, r.Threshold)
	return finish(counts, hidden, r, label, in.Dims)
}

func countsOf(in Input) map[key]int {
	counts := map[key]int{}
	for _, c := range in.Cells {
		counts[keyOf(c.Keys)] += c.Count
	}
	return counts
}

// protect returns the hidden cells of a table and their states.
func protect(in Input, counts map[key]int, threshold int) map[key]string {
	hidden := map[key]string{}
	for k, n := range counts {
		if n > 0 && n < threshold {
			hidden[k] = Primary
		}
	}
	n := len(in.Dims)
	if n == 0 {
		return hidden // the grand total alone
	}
	// For every non-empty set of dimensions summed over (a bit mask), the
	// margin table that results, protected in turn.
	masks := 1<<n - 1
	marginHidden := make([]map[key]string, masks+1)
	marginCounts := make([]map[key]int, masks+1)
	for mask := 1; mask <= masks; mask++ {
		m, mc := marginOf(in, counts, mask)
		marginHidden[mask], marginCounts[mask] = protect(m, mc, threshold), mc
	}
	shownGroup := func(k key, mask int) bool {
		_, h := marginHidden[mask][project(k, mask, n)]
		return !h
	}
	rounds := 0
	for {
		for changed := true; changed; {
			changed = false
			// A cell hidden in a margin table must stay hidden here: the
			// cells that add up to it cannot all be shown.
			for mask := 1; mask <= masks; mask++ {
				for _, mk := range sortedKeys(marginHidden[mask]) {
					if marginCounts[mask][mk] == 0 {
						continue // a hidden zero margin: nobody to reveal
					}
					if fix := marginRevealed(in, counts, hidden, unproject(mk, mask, n), mask); fix != nil {
						hidden[*fix] = Secondary
						changed = true
					}
				}
			}
			for _, hk := range sortedKeys(hidden) {
				for mask := 1; mask <= masks; mask++ {
					if !shownGroup(hk, mask) {
						continue // nobody sees this group's total
					}
					if fix := groupNeedsMore(in, counts, hidden, hk, mask, threshold); fix != nil {
						hidden[*fix] = Secondary
						changed = true
					}
				}
			}
		}
		// The local rule can leave a cell that a combination of groups pins
		// down (the difference of two nested totals, say): audit, and hide
		// one more cell next to each pinned one, until none is.
		pinned := audit(in, counts, hidden, shownGroup)
		zerosHelp := true
		if len(pinned) == 0 && rounds < maxBoundsRounds {
			// An attacker who knows that a hidden count is at least 1 can
			// bound cells the equations alone leave free: pinned that way,
			// only a shown non-zero cell joining them helps.
			pinned, zerosHelp = boundsAudit(in, counts, hidden, shownGroup, threshold), false
			rounds++
		}
		if len(pinned) == 0 {
			return hidden
		}
		added := false
		for _, pk := range pinned {
			if fix := breakPin(in, counts, hidden, pk, shownGroup, zerosHelp); fix != nil {
				hidden[*fix] = Secondary
				added = true
			}
		}
		if !added {
			return hidden // every cell around is hidden already
		}
	}
}

// maxBoundsRounds caps the rounds of the bounds audit, which solves linear
// programs: tables too tangled for it keep the protection they have then.
const maxBoundsRounds = 20

// audit solves the linear system an attacker has (one equation per group
// of hidden cells whose total is shown) and returns the hidden non-zero
// cells whose value it fixes.
func audit(in Input, counts map[key]int, hidden map[key]string, shownGroup func(key, int) bool) []key {
	cells := sortedKeys(hidden)
	index := map[key]int{}
	for i, k := range cells {
		index[k] = i
	}
	n := len(in.Dims)
	seen := map[[2]key]bool{}
	var rows [][]float64
	for _, hk := range cells {
		for mask := 1; mask < 1<<n; mask++ {
			id := [2]key{project(hk, mask, n), {mask}}
			if seen[id] || !shownGroup(hk, mask) {
				continue
			}
			seen[id] = true
			row := make([]float64, len(cells))
			for _, g := range group(in, hk, mask) {
				if i, h := index[g]; h {
					row[i] = 1
				}
			}
			rows = append(rows, row)
		}
	}
	// Row-reduce; a reduced row with a single non-zero entry fixes that cell.
	pivotRow := 0
	for col := 0; col < len(cells) && pivotRow < len(rows); col++ {
		p := -1
		for r := pivotRow; r < len(rows); r++ {
			if abs(rows[r][col]) > 1e-9 {
				p = r
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[pivotRow], rows[p] = rows[p], rows[pivotRow]
		pv := rows[pivotRow][col]
		for c := range rows[pivotRow] {
			rows[pivotRow][c] /= pv
		}
		for r := range rows {
			if r != pivotRow && abs(rows[r][col]) > 1e-9 {
				f := rows[r][col]
				for c := range rows[r] {
					rows[r][c] -= f * rows[pivotRow][c]
				}
			}
		}
		pivotRow++
	}
	var pinned []key
	for _, row := range rows[:pivotRow] {
		nz, last := 0, -1
		for c, v := range row {
			if abs(v) > 1e-9 {
				nz++
				last = c
			}
		}
		if nz == 1 && counts[cells[last]] > 0 {
			pinned = append(pinned, cells[last])
		}
	}
	return pinned
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// boundsAudit sets up what an attacker has: one equation per group of cells
// whose total is shown elsewhere, and the knowledge that a hidden cell that
// is not zero is at least 1. For every hidden count below the threshold it
// finds the smallest and largest value it can take (linear programming, one
// connected set of cells at a time) and returns those left with a single
// integer. (A secondary cell pinned down reveals a count of at least the
// threshold: nobody in it is at risk, and the small ones are checked.)
func boundsAudit(in Input, counts map[key]int, hidden map[key]string, shownGroup func(key, int) bool, threshold int) []key {
	cells := sortedKeys(hidden)
	index := map[key]int{}
	for i, k := range cells {
		index[k] = i
	}
	n := len(in.Dims)
	seen := map[[2]key]bool{}
	var rows [][]int // the hidden cells of each equation
	var rhs []float64
	for _, hk := range cells {
		for mask := 1; mask < 1<<n; mask++ {
			id := [2]key{project(hk, mask, n), {mask}}
			if seen[id] || !shownGroup(hk, mask) {
				continue
			}
			seen[id] = true
			var members []int
			sum := 0
			for _, g := range group(in, hk, mask) {
				if i, h := index[g]; h {
					members = append(members, i)
					sum += counts[g]
				}
			}
			rows = append(rows, members)
			rhs = append(rhs, float64(sum))
		}
	}
	// Connected sets of cells: equations that share no cell are separate problems.
	parent := make([]int, len(cells))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, r := range rows {
		for _, m := range r[1:] {
			parent[find(m)] = find(r[0])
		}
	}
	comps := map[int][]int{}
	for i := range cells {
		comps[find(i)] = append(comps[find(i)], i)
	}
	var pinned []key
	for _, comp := range comps {
		local := map[int]int{}
		for j, i := range comp {
			local[i] = j
		}
		lower := make([]float64, len(comp))
		for j, i := range comp {
			if counts[cells[i]] > 0 {
				lower[j] = 1
			}
		}
		var A [][]float64
		var b []float64
		for r, members := range rows {
			if _, in := local[members[0]]; !in {
				continue
			}
			row := make([]float64, len(comp))
			v := rhs[r]
			for _, m := range members {
				row[local[m]] = 1
				v -= lower[local[m]]
			}
			A = append(A, row)
			b = append(b, v)
		}
		if len(A) == 0 {
			continue
		}
		for j, i := range comp {
			if n := counts[cells[i]]; n == 0 || n >= threshold {
				continue
			}
			c := make([]float64, len(comp))
			c[j] = 1
			lo, ok1 := lpMin(A, b, c)
			c[j] = -1
			hi, ok2 := lpMin(A, b, c)
			if !ok1 || !ok2 {
				continue // unbounded: not pinned
			}
			lo, hi = lo+lower[j], -hi+lower[j]
			if math.Ceil(lo-1e-6) >= math.Floor(hi+1e-6) {
				pinned = append(pinned, cells[i])
			}
		}
	}
	slices.SortFunc(pinned, func(a, b key) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
	return pinned
}

// breakPin picks a cell to hide next to a pinned one: the smallest shown
// non-zero cell of a group through it whose total is shown, else a zero.
func breakPin(in Input, counts map[key]int, hidden map[key]string, pk key, shownGroup func(key, int) bool, zerosHelp bool) *key {
	var p pick
	for mask := 1; mask < 1<<len(in.Dims); mask++ {
		if !shownGroup(pk, mask) {
			continue
		}
		for _, k := range group(in, pk, mask) {
			if _, h := hidden[k]; !h {
				p.see(k, counts)
			}
		}
	}
	return p.next(zerosHelp)
}

// pick keeps the next cell to hide among shown ones: the smallest non-zero
// (ties by key), and the first zero as a last resort.
type pick struct {
	best, zero *key
}

func (p *pick) see(k key, counts map[key]int) {
	switch n := counts[k]; {
	case n > 0 && (p.best == nil || n < counts[*p.best] || (n == counts[*p.best] && less(k, *p.best))):
		p.best = &k
	case n == 0 && p.zero == nil:
		p.zero = &k
	}
}

// next is the cell to hide: the best, else (when zeros help) the zero.
func (p *pick) next(zerosHelp bool) *key {
	if p.best != nil || !zerosHelp {
		return p.best
	}
	return p.zero
}

// marginOf sums the table over the dimensions in mask.
func marginOf(in Input, counts map[key]int, mask int) (Input, map[key]int) {
	m := Input{}
	for i := range in.Dims {
		if mask&(1<<i) == 0 {
			m.Dims = append(m.Dims, in.Dims[i])
			m.Codes = append(m.Codes, in.Codes[i])
		}
	}
	mc := map[key]int{}
	for k, c := range counts {
		mc[project(k, mask, len(in.Dims))] += c
	}
	return m, mc
}

// project keeps the coordinates of the dimensions not in mask.
func project(k key, mask, n int) key {
	var out key
	j := 0
	for i := 0; i < n; i++ {
		if mask&(1<<i) == 0 {
			out[j] = k[i]
			j++
		}
	}
	return out
}

// unproject places a margin key back in the table's coordinates (the
// summed dimensions left at 0; group fills them in).
func unproject(mk key, mask, n int) key {
	var out key
	j := 0
	for i := 0; i < n; i++ {
		if mask&(1<<i) == 0 {
			out[i] = mk[j]
			j++
		}
	}
	return out
}

// marginRevealed returns a cell to hide when every cell of the group
// through hk (summed over mask) is shown: their sum would reveal the margin
// cell that the margin table hid.
func marginRevealed(in Input, counts map[key]int, hidden map[key]string, hk key, mask int) *key {
	var p pick
	for _, k := range group(in, hk, mask) {
		if _, h := hidden[k]; h {
			return nil
		}
		p.see(k, counts)
	}
	return p.next(true)
}

// group lists the grid cells that share hk's coordinates outside mask.
func group(in Input, hk key, mask int) []key {
	out := []key{hk}
	for d := range in.Dims {
		if mask&(1<<d) == 0 {
			continue
		}
		var next []key
		for _, k := range out {
			for _, code := range in.Codes[d] {
				k[d] = code
				next = append(next, k)
			}
		}
		out = next
	}
	return out
}

// groupNeedsMore checks the group of cells through hk summed over mask and
// returns the cell to hide next, or nil when the group is safe.
func groupNeedsMore(in Input, counts map[key]int, hidden map[key]string, hk key, mask, threshold int) *key {
	var nHidden, sumHidden int
	var p pick
	for _, k := range group(in, hk, mask) {
		if _, h := hidden[k]; h {
			nHidden++
			sumHidden += counts[k]
			continue
		}
		p.see(k, counts)
	}
	// Hidden zeros alone put nobody at risk; a lone hidden count, or hidden
	// counts adding up to less than the threshold, do.
	if sumHidden == 0 || (nHidden > 1 && sumHidden >= threshold) {
		return nil
	}
	return p.next(true) // only zeros left: hiding one keeps the others uncertain
}

func less(a, b key) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func sortedKeys[V any](m map[key]V) []key {
	out := make([]key, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b key) int {
		for i := range a {
			if c := cmp.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

func finish(counts map[key]int, hidden map[key]string, r Rules, label string, dims []schemas.Dim) Result {
	var res Result
	all := map[key]bool{}
	for k, n := range counts {
		if n > 0 {
			all[k] = true
		}
	}
	for k := range hidden {
		all[k] = true
	}
	// The rounding key of a cell is the same whatever order the dimensions
	// were asked in: year x sex and sex x year round (2021, female) alike.
	order := make([]int, len(dims))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(string(dims[a]), string(dims[b])) })
	canon := make([]int, len(dims))
	for _, k := range sortedKeys(all) {
		o := Out{Keys: slices.Clone(k[:len(dims)]), Count: counts[k], State: Shown}
		for i, j := range order {
			canon[i] = k[j]
		}
		if st, h := hidden[k]; h {
			o.State, o.Count = st, 0
			res.Hidden++
			if st == Secondary {
				res.Secondary++
			}
		} else if r.Round > 0 {
			if rounded := Round(o.Count, r.Round, r.Key, label, canon); rounded != o.Count {
				res.Rounded++
				o.Count = rounded
			}
		}
		res.Cells = append(res.Cells, o)
	}
	return res
}

// Round rounds n to a multiple of base, up with probability (n mod base) /
// base, the draw taken from a hash of the key, the table label and the
// cell's codes: the same cell always gives the same number, and the
// rounding is unbiased over many cells.
func Round(n, base int, k []byte, label string, codes []int) int {
	rem := n % base
	if rem == 0 {
		return n
	}
	h := sha256.New()
	h.Write(k)
	h.Write([]byte(label))
	for _, c := range codes {
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(c)))
	}
	draw := binary.LittleEndian.Uint64(h.Sum(nil)) % uint64(base)
	if int(draw) < rem {
		return n - rem + base
	}
	return n - rem
}

// Label names a table for the rounding key: the measure and the
// dimensions, in a fixed order (not the order asked).
func Label(m schemas.Measure, dims []schemas.Dim) string {
	parts := make([]string, 0, len(dims))
	for _, d := range dims {
		parts = append(parts, string(d))
	}
	slices.Sort(parts)
	return strings.Join(append([]string{string(m)}, parts...), "|")
}

// Notes describe what protection did, in Spanish and English.
func Notes(res Result, r Rules, folded []string) []schemas.Message {
	var out []schemas.Message
	if res.Hidden > 0 {
		out = append(out, schemas.Message{
			ES: fmt.Sprintf("%d celdas ocultas (%d por ser menores de %d, %d más para que no puedan deducirse por resta)", res.Hidden, res.Hidden-res.Secondary, r.Threshold, res.Secondary),
			EN: fmt.Sprintf("%d cells hidden (%d below %d, %d more so that they cannot be worked out by subtraction)", res.Hidden, res.Hidden-res.Secondary, r.Threshold, res.Secondary),
		})
	}
	if r.Round > 0 {
		out = append(out, schemas.Message{
			ES: fmt.Sprintf("todas las cifras publicadas, totales incluidos, están redondeadas a múltiplos de %d (%d celdas cambiaron)", r.Round, res.Rounded),
			EN: fmt.Sprintf("every published count, totals included, is rounded to a multiple of %d (%d cells changed)", r.Round, res.Rounded),
		})
	}
	if len(folded) > 0 {
		out = append(out, schemas.Message{
			ES: fmt.Sprintf("categorías con menos de %d personas en la publicación agrupadas en «other»: %s", r.Fold, strings.Join(folded, ", ")),
			EN: fmt.Sprintf("categories with fewer than %d people in the release folded into \"other\": %s", r.Fold, strings.Join(folded, ", ")),
		})
	}
	return out
}
