package disclosure

import (
	"maps"
	"slices"
)

// coarse is the code a comparison of two releases gives every category
// that is not shown on its own in both (folded, other, unknown).
const coarse = -3

// FewChanged says whether the measure's tables, as p would publish them,
// changed since an earlier release (held: its cells, with the exact counts
// it stored) by fewer than k people in some table, but not by none: the
// first such table's id, or "" when every table changed by none or by k or
// more. A release that publishes such a change lets its readers see which
// cells changed (the cells newly hidden, or shown at another value), and
// when one person changed they are her profile, though no count is
// proven (a red team read a victim's year, sex, age, nationality, form of
// exploitation and province this way). The store then carries the
// measure's tables over from the release before, unchanged.
//
// The people who changed in a table are at least the change of its total
// and at least half its cells' changes (one person moved changes two
// cells). Categories shown on their own in only one of the two releases
// are compared as one (folding differs between them), which counts fewer
// changes, never more. Tables with a multi-valued dimension (one person in
// several cells) and tables the held release withheld, or whose exact
// counts it did not store, are not compared; every person of a measure
// counts in its total, which is.
func FewChanged(p Problem, r Rules, held map[string][]PubCell, k int) string {
	atoms, _, _ := fold(p, r.Fold)
	for _, s := range p.Tables {
		then, ok := held[s.ID]
		if !ok || s.Shadow || slices.ContainsFunc(s.By, isMulti) || slices.ContainsFunc(then, func(c PubCell) bool { return !c.Known }) {
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
		if maps.Equal(now, before) {
			continue
		}
		changed := peopleChanged(coarsen(s, now, before), coarsen(s, before, now))
		if changed < k {
			return s.ID
		}
	}
	return ""
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
