package disclosure

import (
	"fmt"
	"maps"
	"slices"
)

// coarse is the code a comparison of two releases gives every category
// that is not shown on its own in both (folded, other, unknown).
const coarse = -3

// Changed returns, per table of the measure as p would publish it, the
// least number of people who changed in it since an earlier release
// (held: its cells, with the exact counts it stored); 0 when it is the
// same. A release that publishes a change of 1 to k-1 people lets its
// readers see which cells changed (the cells newly hidden, or shown at
// another value), and when one person changed they are her profile,
// though no count is proven (a red team read a victim's year, sex, age,
// nationality, form of exploitation and province this way). The store
// carries such tables over, unchanged, from the release before; and those
// that did not change at all too, so that being carried over does not
// tell that somebody changed (0 to k-1, never 1 to k-1).
//
// The people who changed in a table are at least the change of its total
// and at least half its cells' changes (one person moved changes two
// cells). Categories shown on their own in only one of the two releases
// are compared as one (folding differs between them), which counts fewer
// changes, never more. A table with a multi-valued dimension (one person
// in several cells) counts the change of its population's total (the
// tables with the same filter), since every person added or removed is in
// it, or the largest change of one of its cells if more (a person is in a
// cell once at most: records corrected, not added); a table the held
// release withheld, or whose exact counts it did not store, is left out
// (and a held release that stored none gives nothing).
func Changed(p Problem, r Rules, held map[string][]PubCell) map[string]int {
	atoms, _ := fold(p, r.Fold)
	out := map[string]int{}
	population := map[string]int{} // by filter: the change of its total
	var multi []Spec
	type pair struct{ now, before map[key]int }
	counts := map[string]pair{}
	for _, s := range p.Tables {
		then, ok := held[s.ID]
		if !ok || s.Shadow || slices.ContainsFunc(then, func(c PubCell) bool { return !c.Known }) {
			continue
		}
		now := map[key]int{}
		for _, c := range newTable(p.Dims, s, atoms, r).cells {
			if c.count > 0 {
				now[c.keys] = c.count
			}
		}
		before := map[key]int{}
		for _, c := range then {
			if c.Exact > 0 {
				before[keyOf(c.Keys)] = c.Exact
			}
		}
		if slices.ContainsFunc(s.By, isMulti) {
			multi = append(multi, s)
			counts[s.ID] = pair{now, before}
			continue
		}
		total := 0
		for _, n := range now {
			total += n
		}
		for _, n := range before {
			total -= n
		}
		population[filterOf(s)] = abs(total)
		if maps.Equal(now, before) {
			out[s.ID] = 0
			continue
		}
		out[s.ID] = peopleChanged(coarsen(s, now, before), coarsen(s, before, now))
	}
	for _, s := range multi {
		if n, ok := population[filterOf(s)]; ok {
			c := counts[s.ID]
			out[s.ID] = max(n, mostChanged(coarsen(s, c.now, c.before), coarsen(s, c.before, c.now)))
		}
	}
	return out
}

// mostChanged is the largest change of a cell of a table with a
// multi-valued dimension between now and then, among cells of categories
// shown on their own in both (coarse ones may count one person twice):
// a person is in a cell once at most, so that many people changed at
// least. Without it, the change of the population's total alone read
// five victims whose forms of exploitation were corrected as none.
func mostChanged(now, then map[key]int) int {
	most := 0
	for k, n := range now {
		if !slices.Contains(k[:], coarse) {
			most = max(most, abs(n-then[k]))
		}
	}
	for k, n := range then {
		if _, ok := now[k]; !ok && !slices.Contains(k[:], coarse) {
			most = max(most, n)
		}
	}
	return most
}

// filterOf names a table's population (its filter).
func filterOf(s Spec) string {
	return fmt.Sprint(s.Where, s.Through, s.After) // fmt sorts map keys
}

// coarsen maps the categories of a table's foldable dimensions that are
// not shown on their own in both a and b to one (coarse).
func coarsen(s Spec, a, b map[key]int) map[key]int {
	both := make([]map[int]bool, len(s.By))
	for i, d := range s.By {
		if !foldable[d] {
			continue
		}
		inA, inB := map[int]bool{}, map[int]bool{}
		for k := range a {
			inA[k[i]] = true
		}
		for k := range b {
			inB[k[i]] = true
		}
		both[i] = map[int]bool{}
		for c := range inA {
			if inB[c] && !isUnknownOrOther(d, c) {
				both[i][c] = true
			}
		}
	}
	out := map[key]int{}
	for k, n := range a {
		for i := range s.By {
			if both[i] != nil && !both[i][k[i]] {
				k[i] = coarse
			}
		}
		out[k] += n
	}
	return out
}

// peopleChanged is the least number of people whose change turns table
// then into table now: at least the change of the total, and at least
// half the sum of the cells' changes. Tables that differ only within a
// coarse category changed by at least one.
func peopleChanged(now, then map[key]int) int {
	total, cells := 0, 0
	for k, n := range now {
		total += n
		cells += abs(n - then[k])
	}
	for k, n := range then {
		total -= n
		if _, ok := now[k]; !ok {
			cells += n
		}
	}
	return max(abs(total), (cells+1)/2, 1)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
