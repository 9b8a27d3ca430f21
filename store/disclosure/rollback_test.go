package disclosure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// A batch stored, released and rolled back, then another batch: the
// releases are not a chain. The first release counted the base records,
// the second the base and batch X, today's the base and batch B. The
// store keeps X's records apart until purged (rolled_back_versions) and
// gives them to the engine as a block of its own (Problem.Extra): the
// second release reads as the base records (one change back) and X's
// people. An attacker written apart from the engine reads the three as one
// system of three blocks of people (base, X, B; each release the sum of
// its blocks) and looks for hidden counts of 1 to k-1 in any release, and
// cells to which X or B added 1 to k-1 people, that the three releases
// together pin.
//
// While the engine left the second release out of its program (only the
// cells of today's 1 to k-1 away from its exact cells hidden), this
// attacker pinned, in the first four histories below: 8 hidden counts
// (year by form of exploitation, 2024, in the first and third releases),
// what X added to two cells (one woman, sexual exploitation, 2025), 20
// hidden counts (sex "other" in five years, in all three releases), and
// what X added to four cells (1 and 4). Without the second release held at
// all it read what X added to a cell (about 12 victims a year, batches of
// 3, seed 4: the last history).
func TestRollbackThenBatchPinsNothing(t *testing.T) {
	for _, c := range []struct {
		perYear, batch int
		seed           uint64
	}{{25, 3, 1}, {40, 1, 1}, {40, 1, 2}, {40, 5, 2}, {12, 3, 4}} {
		t.Run(fmt.Sprintf("%d_a_year/batch_%d/seed_%d", c.perYear, c.batch, c.seed), func(t *testing.T) {
			t.Parallel()
			seed := c.seed
			r := Minimum(schemas.TierConatt)
			r.Fold = 0
			base := population(seed, c.perYear)
			extra := population(seed+100, c.perYear)
			x, b := extra[len(extra)-c.batch:], extra[len(extra)-2*c.batch-1:len(extra)-c.batch-1]
			blocks := [][]person{base, x, b}
			sets := [][]int{{0}, {0, 1}, {0, 2}}
			// Each earlier release as the store holds it: the second, of
			// the base records (one change back) and the people of X,
			// who are not among today's records (Problem.Extra).
			held := [][]Other{nil, {{Back: 1}}, {{Back: 1}, {Back: 1, Extra: []int{0}}}}
			var releases [][]Published
			for i, set := range sets {
				p := problemOf(peopleOf(blocks, set), seed)
				if i == 2 {
					p.Extra = [][]Atom{problemOf(x, seed+7).Atoms}
				}
				for j, o := range held[i] {
					o.Tables, o.Rules = tablesOf(releases[j]), r
					p.Others = append(p.Others, o)
				}
				pub, err := ProtectRelease(context.Background(), p, r)
				if err != nil {
					t.Fatal(err)
				}
				releases = append(releases, pub)
			}
			found, told, ok := attackBlocks(blocks, sets, releases, r)
			if !ok {
				t.Fatal("neither batch added 1 to 4 people to a cell: the history tests nothing")
			}
			if len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the three releases together:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
			}
			if len(told) > 0 {
				t.Errorf("%d changes of 1 to %d people pinned by the three releases together:\n%s", len(told), r.Threshold-1, strings.Join(told, "\n"))
			}
		})
	}
}

// peopleOf is the people of the blocks in set.
func peopleOf(blocks [][]person, set []int) []person {
	var out []person
	for _, b := range set {
		out = append(out, blocks[b]...)
	}
	return out
}

// attackBlocks is the attacker of TestRollbackThenBatchPinsNothing: one
// column per combination of the people's own fields and block, release i
// the sum of the blocks sets[i], every published table of every release
// its equations. It returns the hidden counts of 1..k-1 it pins, and the
// cells to which one block (other than the first) added 1..k-1 people
// that it pins (neither 0 nor k possible); ok is false when no block
// added 1..k-1 to any cell.
func attackBlocks(blocks [][]person, sets [][]int, releases [][]Published, r Rules) (found, told []string, ok bool) {
	var all []person
	for _, b := range blocks {
		all = append(all, b...)
	}
	vars := universe(all)
	lp := newProgram(len(blocks) * len(vars))
	defer lp.free()
	a := &attacker{lp: lp} // the bounds read by two solvers
	defer a.free()
	type system struct {
		members   map[string][]int
		published map[string]PubCell
	}
	var systems []system
	for i, pub := range releases {
		cols := func(j int) []int {
			var out []int
			for _, b := range sets[i] {
				out = append(out, b*len(vars)+j)
			}
			return out
		}
		m, p := equations(lp, cols, vars, pub, r)
		systems = append(systems, system{m, p})
	}
	// A release whose blocks hold another's and more: a cell it shows at
	// another count than that one, or hides where that one showed it,
	// is read as one that gained somebody (where it did: an attacker
	// who reads it so where it did not is wrong).
	for i, s := range systems {
		for j, o := range systems {
			added := difference(sets[i], sets[j])
			if i == j || len(added) == 0 || len(difference(sets[j], sets[i])) > 0 {
				continue
			}
			gained := truth(peopleOf(blocks, added))
			for k, c := range s.published {
				if prev, ok := o.published[k]; ok && gained[k] > 0 && !prev.Hidden && (c.Hidden || c.Count != prev.Count) {
					cols := inBlocks(s.members[k], added, len(vars))
					lp.addRow(cols, ones(len(cols)), atLeast(1))
				}
			}
		}
	}
	for i, s := range systems {
		members := map[string][]int{}
		published := map[string]PubCell{}
		for k, c := range s.published {
			if c.Hidden {
				members[k], published[k] = s.members[k], c
			}
		}
		found = append(found, pinned(lp, peopleOf(blocks, sets[i]), members, published, r, fmt.Sprintf("release %d: ", i+1))...)
	}
	// What each later block added to each cell of the releases that hold
	// it (the cells of one table are the same whichever release holds it).
	done := map[string]bool{}
	for i, s := range systems {
		for _, b := range sets[i][1:] {
			added := truth(blocks[b])
			for k := range s.published {
				d := added[k]
				if d < 1 || d >= r.Threshold || done[fmt.Sprint(b, k)] {
					continue
				}
				done[fmt.Sprint(b, k)], ok = true, true
				cols := inBlocks(s.members[k], []int{b}, len(vars))
				hi, okHi := a.maximize(cols)
				lo, okLo := a.minimize(cols)
				if okHi && hi >= float64(r.Threshold)-1e-6 || okLo && lo <= 1e-6 {
					continue
				}
				told = append(told, fmt.Sprintf("block %d added %d to %s (between %.2f and %.2f)", b, d, k, lo, hi))
			}
		}
	}
	slices.Sort(found)
	slices.Sort(told)
	return found, told, ok
}

// difference is the blocks of a not in b.
func difference(a, b []int) []int {
	var out []int
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// inBlocks keeps the columns of cols that belong to blocks.
func inBlocks(cols, blocks []int, n int) []int {
	var out []int
	for _, c := range cols {
		if slices.Contains(blocks, c/n) {
			out = append(out, c)
		}
	}
	return out
}

// TestRolledBackCategoryFoldsAgain: batch X made a nationality large
// enough to be shown as itself in its release; rolled back, today's
// records fold it again. Read with today's folding, X's people were in
// "other", and that release's cell of the nationality held nobody; and
// categories only X's people have were read as shown by today's release
// (at least the fold threshold of today's people, who have none). The
// program did not fit, and the check dropped every release of other
// records, the first one too: today's release then gave away hidden counts
// of the first to an attacker holding only those two (a red team, about 8
// victims a year: seven hidden counts of 1 to 4 in two releases, what a
// batch of 5 added to 7 cells; here 5 to 43 hidden counts in 12 of 13
// histories). The engine now reads the variables in the people's own
// categories when it holds people today's records do not have, takes
// today's categories from today's people alone, and when the program
// still does not fit drops the releases of those people first. An
// attacker who knows the folding rule, holding the first release and
// today's, pins nothing.
func TestRolledBackCategoryFoldsAgain(t *testing.T) {
	for _, c := range []struct {
		perYear int
		seed    uint64
	}{{5, 7}, {5, 11}, {8, 3}, {8, 10}, {12, 6}} {
		t.Run(fmt.Sprintf("%d_a_year/seed_%d", c.perYear, c.seed), func(t *testing.T) {
			t.Parallel()
			r := Minimum(schemas.TierConatt)
			cits := []string{"CRI", "NIC", "VEN", "COL", "UNK"}
			base := foldPopulation(c.seed, c.perYear, cits, .55, .2, .15, .02)
			x := unfold(base, "COL", r, c.seed)[len(base):]
			b := foldPopulation(c.seed+9, 1, []string{"CRI", "NIC", "VEN"})[:5]
			first, err := ProtectRelease(context.Background(), problemOf(base, c.seed), r)
			if err != nil {
				t.Fatal(err)
			}
			p := problemOf(slices.Concat(base, x), c.seed)
			p.Others = []Other{{Tables: tablesOf(first), Rules: r, Back: 1}}
			second, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			if shown := publishedCodes(first, schemas.DimCitizenship); slices.Contains(shown, "COL") {
				t.Fatalf("the first release shows COL: the history tests nothing")
			}
			if shown := publishedCodes(second, schemas.DimCitizenship); !slices.Contains(shown, "COL") {
				t.Fatalf("the release of X does not show COL (%v): the history tests nothing", shown)
			}
			p = problemOf(slices.Concat(base, b), c.seed)
			p.Others = []Other{{Tables: tablesOf(first), Rules: r, Back: 1}, {Tables: tablesOf(second), Rules: r, Back: 1, Extra: []int{0}}}
			p.Extra = [][]Atom{problemOf(x, c.seed+7).Atoms}
			third, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			if found := foldAttack(base, slices.Concat(base, b), first, third, r); len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the first release and today's:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
			}
		})
	}
}
