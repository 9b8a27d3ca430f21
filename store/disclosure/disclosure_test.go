package disclosure

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// UNODC's own table: Costa Rica 2021, 21 victims, 20 female, 1 male. Hiding
// only the 1 reveals it by subtraction; the engine hides the 20 too.
func TestUNODCCostaRica2021(t *testing.T) {
	in := Input{Dims: []schemas.Dim{schemas.DimSex}, Codes: [][]int{{0, 1, 2, 3}},
		Cells: []Cell{{Keys: []int{0}, Count: 20}, {Keys: []int{1}, Count: 1}}}
	res := Protect(in, Conatt, "t")
	states := map[int]string{}
	for _, c := range res.Cells {
		states[c.Keys[0]] = c.State
	}
	if states[1] != Primary || states[0] != Secondary || res.Hidden != 2 {
		t.Errorf("got %+v, want male hidden (<5) and female hidden with it", res.Cells)
	}
}

func TestRoundIsDeterministicAndUnbiased(t *testing.T) {
	key := []byte("release 1")
	sum, n := 0, 0
	for c := 0; c < 2000; c++ {
		a := Round(c, 5, key, "victims|sex", []int{c})
		if a != Round(c, 5, key, "victims|sex", []int{c}) || a%5 != 0 || a < c-4 || a > c+4 {
			t.Fatalf("Round(%d) = %d", c, a)
		}
		sum += a - c
		n++
	}
	if mean := float64(sum) / float64(n); mean < -0.3 || mean > 0.3 {
		t.Errorf("rounding is biased: mean change %.2f", mean)
	}
	if Round(7, 5, key, "a", []int{1}) == Round(7, 5, []byte("release 2"), "a", []int{1}) &&
		Round(8, 5, key, "a", []int{2}) == Round(8, 5, []byte("release 2"), "a", []int{2}) &&
		Round(6, 5, key, "a", []int{3}) == Round(6, 5, []byte("release 2"), "a", []int{3}) &&
		Round(9, 5, key, "a", []int{4}) == Round(9, 5, []byte("release 2"), "a", []int{4}) {
		t.Error("the rounding does not depend on the release key")
	}
}

func TestCheckRefusesLooserRules(t *testing.T) {
	if err := Check(schemas.TierConatt, Rules{Threshold: 3}); err == nil {
		t.Error("threshold 3 accepted for conatt")
	}
	if err := Check(schemas.TierPublic, Rules{Threshold: 10, Round: 5, Fold: 5}); err == nil {
		t.Error("fold 5 accepted for public")
	}
	if err := Check(schemas.TierConatt, Rules{Threshold: 7}); err != nil {
		t.Errorf("stricter rules refused: %v", err)
	}
}

// attacker knows every shown cell, every zero that is not hidden, the total
// of every line (all dimensions fixed but one) that another query shows, and
// the grand total. It enumerates every assignment of the hidden cells that
// fits.
type attacker struct {
	in      Input
	res     Result
	counts  map[key]int
	hidden  []key
	lines   [][]int // per line: indexes into hidden
	target  []int   // per line: line total minus its shown cells
	grand   int
	known   bool // the grand total is shown by another query
	margins map[int]map[key]string
	values  []map[int]bool
	current []int
}

func newAttacker(in Input, res Result) *attacker {
	a := &attacker{in: in, res: res, counts: map[key]int{}}
	for _, c := range in.Cells {
		a.counts[keyOf(c.Keys)] += c.Count
	}
	idx := map[key]int{}
	for _, c := range res.Cells {
		if c.State != Shown {
			idx[keyOf(c.Keys)] = len(a.hidden)
			a.hidden = append(a.hidden, keyOf(c.Keys))
		}
	}
	// every group of cells that a margin adds up (the table summed over one
	// or more dimensions), when that margin's query shows its total
	n := len(in.Dims)
	seen := map[string]bool{}
	var walk func(d int, k key)
	walk = func(d int, k key) {
		if d == n {
			for mask := 1; mask < 1<<n; mask++ {
				id := fmt.Sprint(mask, project(k, mask, n))
				if seen[id] {
					continue
				}
				seen[id] = true
				if !a.marginShown(mask, k) {
					continue
				}
				var members []int
				target := 0
				for _, g := range group(in, k, mask) {
					if i, h := idx[g]; h {
						members = append(members, i)
						target += a.counts[g]
					}
				}
				if len(members) > 0 {
					a.lines = append(a.lines, members)
					a.target = append(a.target, target)
				}
			}
			return
		}
		for _, code := range in.Codes[d] {
			k[d] = code
			walk(d+1, k)
		}
	}
	walk(0, key{})
	for _, h := range a.hidden {
		a.grand += a.counts[h]
	}

	total := 0
	for _, n := range a.counts {
		total += n
	}
	a.known = total == 0 || total >= Conatt.Threshold
	a.values = make([]map[int]bool, len(a.hidden))
	for i := range a.values {
		a.values[i] = map[int]bool{}
	}
	a.current = make([]int, len(a.hidden))
	return a
}

// marginShown tells whether the margin table summed over mask, as another
// query publishes it, shows the total of the group through k.
func (a *attacker) marginShown(mask int, k key) bool {
	if a.margins == nil {
		a.margins = map[int]map[key]string{}
	}
	states, ok := a.margins[mask]
	if !ok {
		m, mc := marginOf(a.in, a.counts, mask)
		res := Protect(Input{Dims: m.Dims, Codes: m.Codes, Cells: cellsOf(mc, len(m.Dims))}, Conatt, "m")
		states = map[key]string{}
		for _, c := range res.Cells {
			states[keyOf(c.Keys)] = c.State
		}
		a.margins[mask] = states
	}
	st, ok := states[project(k, mask, len(a.in.Dims))]
	return !ok || st == Shown // a zero total is shown as zero
}

func cellsOf(m map[key]int, n int) []Cell {
	var out []Cell
	for k, c := range m {
		if c > 0 {
			out = append(out, Cell{Keys: append([]int{}, k[:n]...), Count: c})
		}
	}
	return out
}

// solve enumerates assignments (bounded by the grand hidden total).
func (a *attacker) solve(i, left int) {
	if i == len(a.hidden) {
		if a.known && left != 0 {
			return
		}
		for l, members := range a.lines {
			s := 0
			for _, m := range members {
				s += a.current[m]
			}
			if s != a.target[l] {
				return
			}
		}
		for j, v := range a.current {
			a.values[j][v] = true
		}
		return
	}
	for v := 0; v <= left; v++ {
		a.current[i] = v
		if !a.partialOK(i) {
			continue
		}
		a.solve(i+1, left-v)
	}
}

// partialOK prunes: no line may already exceed its total.
func (a *attacker) partialOK(upto int) bool {
	for l, members := range a.lines {
		s := 0
		for _, m := range members {
			if m <= upto {
				s += a.current[m]
			}
		}
		if s > a.target[l] {
			return false
		}
	}
	return true
}

// TestNoHiddenCellCanBeWorkedOut: for random small tables of 1 to 3
// dimensions, a brute-force attacker who knows the published table, every
// line total and the grand total finds no hidden cell with a single
// possible value, and no line whose hidden cells add up to less than the
// threshold.
func TestNoHiddenCellCanBeWorkedOut(t *testing.T) {
	const maxDims = 3
	r := rand.New(rand.NewPCG(7, 11))
	dimsOf := []schemas.Dim{schemas.DimYear, schemas.DimSex, schemas.DimAgeGroup}
	checked := 0
	for trial := 0; trial < 3000; trial++ {
		nd := 1 + r.IntN(maxDims)
		in := Input{Dims: dimsOf[:nd]}
		cells := 1
		for d := 0; d < nd; d++ {
			n := 2 + r.IntN(2)
			if nd == 1 {
				n = 2 + r.IntN(4)
			}
			codes := make([]int, n)
			for i := range codes {
				codes[i] = i
			}
			in.Codes = append(in.Codes, codes)
			cells *= n
		}
		var walk func(d int, k []int)
		walk = func(d int, k []int) {
			if d == nd {
				// mostly small counts: the Costa Rican reality
				c := []int{0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 12}[r.IntN(11)]
				if c > 0 {
					in.Cells = append(in.Cells, Cell{Keys: append([]int{}, k...), Count: c})
				}
				return
			}
			for _, code := range in.Codes[d] {
				walk(d+1, append(k, code))
			}
		}
		walk(0, nil)
		res := Protect(in, Conatt, "t")
		a := newAttacker(in, res)
		if a.grand > 24 || len(a.hidden) > 8 {
			continue // keep the brute force brute
		}
		bound := a.grand
		if !a.known {
			bound += Conatt.Threshold // the attacker knows less: values may be larger
		}
		a.solve(0, bound)
		checked++
		for i, vals := range a.values {
			// The people at risk are in the small counts; a hidden zero or
			// a hidden count of at least the threshold that can be worked
			// out puts nobody at risk.
			if n := a.counts[a.hidden[i]]; len(vals) == 1 && n > 0 && n < Conatt.Threshold {
				t.Fatalf("trial %d: hidden cell %v can be worked out (only value %v)\ninput %+v\noutput %+v", trial, a.hidden[i], vals, in, res.Cells)
			}
		}
		for l, members := range a.lines {
			if a.target[l] < Conatt.Threshold && a.target[l] > 0 {
				t.Fatalf("trial %d: hidden cells %v add up to %d < %d\ninput %+v\noutput %+v", trial, members, a.target[l], Conatt.Threshold, in, res.Cells)
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d tables were small enough to brute-force", checked)
	}
}

// TestRoundingIgnoresDimensionOrder: the same cell asked as year x sex or
// sex x year is rounded the same way.
func TestRoundingIgnoresDimensionOrder(t *testing.T) {
	key := []byte("k")
	var a, b []Cell
	for y := 0; y < 6; y++ {
		for s := 0; s < 2; s++ {
			n := 11 + 3*y + s
			a = append(a, Cell{Keys: []int{2019 + y, s}, Count: n})
			b = append(b, Cell{Keys: []int{s, 2019 + y}, Count: n})
		}
	}
	ys := []int{2019, 2020, 2021, 2022, 2023, 2024}
	ra := Protect(Input{Dims: []schemas.Dim{schemas.DimYear, schemas.DimSex}, Codes: [][]int{ys, {0, 1}}, Cells: a},
		Rules{Threshold: 10, Round: 5, Key: key}, Label(schemas.MeasureVictims, []schemas.Dim{schemas.DimYear, schemas.DimSex}))
	rb := Protect(Input{Dims: []schemas.Dim{schemas.DimSex, schemas.DimYear}, Codes: [][]int{{0, 1}, ys}, Cells: b},
		Rules{Threshold: 10, Round: 5, Key: key}, Label(schemas.MeasureVictims, []schemas.Dim{schemas.DimSex, schemas.DimYear}))
	got := map[[2]int]int{}
	for _, c := range ra.Cells {
		got[[2]int{c.Keys[0], c.Keys[1]}] = c.Count
	}
	for _, c := range rb.Cells {
		if got[[2]int{c.Keys[1], c.Keys[0]}] != c.Count {
			t.Errorf("cell %v: %d one way, %d the other", c.Keys, got[[2]int{c.Keys[1], c.Keys[0]}], c.Count)
		}
	}
	if ra.Rounded == 0 {
		t.Error("nothing was rounded")
	}
}
