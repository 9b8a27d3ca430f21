package disclosure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// An attacker who holds every release of a tier, made one after each of
// several small batches, and assumes that people were only added from one
// to the next, pins no hidden count of any of them when each release was
// checked with every release before it (Problem.Others, one per release,
// Back counting the batches since). An old release's exact zeros and
// margins bound what was added since as well as the latest release's do.
// Nor does the attacker pin what a batch of 1 to 4 people added to any
// cell (one batch is a single person): two releases showing a cell that
// rose by 1 describe the person added between them.
func TestEveryEarlierReleaseHeld(t *testing.T) {
	for _, seed := range []uint64{3} {
		t.Run(fmt.Sprintf("seed_%d", seed), func(t *testing.T) {
			t.Parallel()
			r := Minimum(schemas.TierConatt)
			r.Fold = 0
			pops, releases := history(t, seed, 12, 6, 4, 4, r)
			found, told, ok := attackHistory(pops, releases, r, false)
			if !ok {
				t.Fatal("no batch added 1 to 4 people to a cell: the history tests nothing")
			}
			if len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the %d releases together:\n%s", len(found), r.Threshold, len(releases), strings.Join(found, "\n"))
			}
			if len(told) > 0 {
				t.Errorf("%d changes of 1 to %d people pinned by the %d releases together:\n%s", len(told), r.Threshold-1, len(releases), strings.Join(told, "\n"))
			}
		})
	}
}

// attackHistory is the attacker of TestEveryEarlierReleaseHeld: every
// release of pops (each the one before plus a batch) in one program, people
// only added. It returns the hidden counts of 1..k-1 it pins, the changes
// of 1..k-1 between any two releases it pins, and whether there was any
// such change to try. With folded, the releases may fold citizenship (and
// nothing else): each release's tables are read with the nationalities it
// shows as themselves, the others in the category they folded into, and
// the folding rule as the attacker knows it (a nationality shown as itself
// holds at least r.Fold people of the release; one that another release
// shows and this one does not, while this one shows nationalities, fewer).
func attackHistory(pops [][]person, releases [][]Published, r Rules, folded bool) (found, told []string, ok bool) {
	return attackHistoryCaps(pops, releases, r, folded, nil)
}

// carryCap is what a release that carried a table over says: fewer than
// k people were added to the table's population since the release it
// carried it from (release and from: places in the history).
type carryCap struct {
	release, from int
	table         string
}

// attackHistoryCaps is attackHistory reading, besides, what the carried
// tables say (caps).
func attackHistoryCaps(pops [][]person, releases [][]Published, r Rules, folded bool, caps []carryCap) (found, told []string, ok bool) {
	blocks, rules := make([]int, len(releases)), make([]Rules, len(releases))
	for i := range releases {
		blocks[i], rules[i] = i, r
	}
	return attackReleases(pops, releases, blocks, rules, folded, caps, true)
}

// attackReleases is the attacker of a history of releases of both tiers:
// release i counts pops[i], the people of batches 0..blocks[i] (blocks
// ascending; two releases of one batch count the same people), read with
// its own rules (rules[i]). What a tier tells of a change (a cell shown,
// then hidden or shown at another count) is read between releases of one
// tier; hidden counts and changes are judged against the lowest
// threshold (a CONATT member reads both tiers). With hiddenTells, a cell
// shown and then hidden is read as changed too (without, only one shown
// at another count: the same people give the same value).
func attackReleases(pops [][]person, releases [][]Published, blocks []int, rules []Rules, folded bool, caps []carryCap, hiddenTells bool) (found, told []string, ok bool) {
	last := pops[len(pops)-1]
	vars := universe(last)
	nblocks := blocks[len(blocks)-1] + 1
	lp := newProgram(nblocks * len(vars))
	defer lp.free()
	a := &attacker{lp: lp} // the bounds read by two solvers
	defer a.free()
	r := Rules{Threshold: rules[0].Threshold}
	for _, x := range rules {
		r.Threshold = min(r.Threshold, x.Threshold)
	}
	type system struct {
		members   map[string][]int
		published map[string]PubCell
	}
	// shown[i] is what release i shows of citizenship (nil: read as is).
	shown := make([][]string, len(releases))
	var ever []string
	for i, pub := range releases {
		if folded {
			// (Empty, not nil, when it shows none: every table of
			// citizenship withheld.)
			shown[i] = append([]string{}, slices.Sorted(slices.Values(publishedCodes(pub, schemas.DimCitizenship)))...)
			ever = append(ever, shown[i]...)
		}
	}
	as := func(ps []person, i int) []person {
		if shown[i] == nil {
			return ps
		}
		out := make([]person, len(ps))
		for j, p := range ps {
			out[j] = asPublished(p, shown[i])
		}
		return out
	}
	var systems []system
	for i, pub := range releases {
		// Release i counts the people of every batch up to its own.
		cols := func(j int) []int {
			var out []int
			for b := 0; b <= blocks[i]; b++ {
				out = append(out, b*len(vars)+j)
			}
			return out
		}
		m, p := equations(lp, cols, as(vars, i), pub, rules[i])
		systems = append(systems, system{m, p})
		if !folded || len(shown[i]) == 0 {
			continue
		}
		foldRows(lp, as(vars, i), cols, shown[i], r)
		for _, code := range slices.Compact(slices.Sorted(slices.Values(ever))) {
			if code == "other" || code == "UNK" || slices.Contains(shown[i], code) {
				continue
			}
			var fewer []int
			for j, v := range vars {
				if v.citizenship == code {
					fewer = append(fewer, cols(j)...)
				}
			}
			lp.addRow(fewer, ones(len(fewer)), between(0, float64(rules[i].Fold-1)))
		}
	}
	for _, c := range caps {
		s := specOf(c.table)
		var cols []int
		for j, v := range vars {
			if !counts(s, v) {
				continue
			}
			for b := blocks[c.from] + 1; b <= blocks[c.release]; b++ {
				cols = append(cols, b*len(vars)+j)
			}
		}
		lp.addRow(cols, ones(len(cols)), between(0, float64(rules[c.release].Threshold-1)))
	}
	// What each batch added to each cell: a rise of 1..k-1 people
	// describes them (one person added, and every cell she falls in
	// rises by 1). The attacker reads a cell shown before and hidden
	// now, or shown at another count, as one that gained somebody.
	type change struct {
		label string
		cols  []int
	}
	// Between any two releases, not only consecutive ones: what
	// several batches added together is read off the first and the
	// last.
	var changes []change
	for i := 1; i < len(systems); i++ {
		for j := range i {
			if blocks[j] == blocks[i] {
				continue // the same people
			}
			same := rules[i] == rules[j] // of one tier: its values compare
			// (Under release i's folding: who was added to its cell.)
			before, after := truth(as(pops[j], i)), truth(as(pops[i], i))
			for k, c := range systems[i].published {
				d := after[k] - before[k]
				if d < 1 || d >= r.Threshold {
					continue
				}
				var cols []int
				for _, col := range systems[i].members[k] {
					if col/len(vars) > blocks[j] {
						cols = append(cols, col)
					}
				}
				// (Not where the two fold citizenship otherwise: a cell of
				// other people then.)
				sameFold := !strings.Contains(k, string(schemas.DimCitizenship)) || slices.Equal(shown[i], shown[j])
				if prev, ok := systems[j].published[k]; ok && same && sameFold && !prev.Hidden && (c.Hidden && hiddenTells || !c.Hidden && c.Count != prev.Count) {
					lp.addRow(cols, ones(len(cols)), atLeast(1))
				}
				changes = append(changes, change{fmt.Sprintf("releases %d to %d: %s gained %d", j+1, i+1, k, d), cols})
			}
			// The hidden cells of one line of a table (the same codes
			// but in one dimension), of either release, together: with
			// the line's margin and its other cells shown in both, their
			// sum is as good as published in both, and so is what it
			// gained (a red team read that 2 migrants of sex other or
			// unknown came in a month: hidden, then shown at 5 and 6).
			for _, tb := range releases[i] {
				by := specOf(tb.ID).By
				if tb.Withheld || slices.ContainsFunc(by, isMulti) {
					continue
				}
				cells := slices.Clone(tb.Cells)
				for _, o := range releases[j] {
					if o.ID == tb.ID && !o.Withheld && same {
						cells = append(cells, o.Cells...)
					}
				}
				for d := range by {
					lines := map[string][]string{}
					for _, c := range cells {
						if !c.Hidden {
							continue
						}
						codes := make([]string, len(c.Keys))
						for x, kx := range c.Keys {
							codes[x] = codeText(by[x], kx)
						}
						line := fmt.Sprint(d, slices.Delete(slices.Clone(codes), d, d+1))
						if k := tb.ID + cellKey(by, codes); !slices.Contains(lines[line], k) {
							lines[line] = append(lines[line], k)
						}
					}
					for _, keys := range lines {
						if len(keys) < 2 {
							continue
						}
						slices.Sort(keys)
						gained := 0
						var cols []int
						for _, k := range keys {
							gained += after[k] - before[k]
							for _, col := range systems[i].members[k] {
								if col/len(vars) > blocks[j] {
									cols = append(cols, col)
								}
							}
						}
						if gained < 1 || gained >= r.Threshold {
							continue
						}
						changes = append(changes, change{fmt.Sprintf("releases %d to %d: %v together gained %d", j+1, i+1, keys, gained), cols})
					}
				}
			}
			// A table of the complete years that release j counted to
			// an earlier year (id@YEAR): what release i's counts and it
			// does not (the years between, and late records) is read
			// off the two the same way.
			for k, c := range systems[i].published {
				id, rest, _ := strings.Cut(k, "[")
				kj := fmt.Sprintf("%s@%d[%s", id, testLastComplete-1, rest)
				prev, ok := systems[j].published[kj]
				if !ok || strings.Contains(id, "@") {
					continue
				}
				d := after[k] - before[kj]
				if d < 1 || d >= r.Threshold {
					continue
				}
				then := map[int]bool{}
				for _, col := range systems[j].members[kj] {
					then[col] = true
				}
				var cols []int
				for _, col := range systems[i].members[k] {
					if !then[col] {
						cols = append(cols, col)
					}
				}
				if same && !prev.Hidden && (c.Hidden && hiddenTells || !c.Hidden && c.Count != prev.Count) {
					lp.addRow(cols, ones(len(cols)), atLeast(1))
				}
				changes = append(changes, change{fmt.Sprintf("releases %d to %d: %s gained %d since %s", j+1, i+1, k, d, kj), cols})
			}
		}
	}
	if len(changes) == 0 {
		return nil, nil, false
	}
	// The cells to prove: every release's hidden cells of 1..k-1
	// people. A solution in which one holds k or more proves it; one
	// that pushes all those left up at once proves many; the rest
	// are solved one by one (pinned).
	type target struct {
		release int
		key     string
		cols    []int
	}
	var targets []target
	for i, s := range systems {
		exact := truth(as(pops[i], i))
		for k, c := range s.published {
			if c.Hidden && exact[k] > 0 && exact[k] < r.Threshold {
				targets = append(targets, target{i, k, s.members[k]})
			}
		}
	}
	holds := func(cols []int) bool { return lp.sum(cols) >= float64(r.Threshold)-1e-6 }
	for len(targets) > 1 {
		var cols []int
		seen := map[int]bool{}
		for _, tg := range targets {
			for _, c := range tg.cols {
				if !seen[c] {
					seen[c] = true
					cols = append(cols, c)
				}
			}
		}
		if _, ok := lp.maximize(cols); !ok {
			break
		}
		left := slices.DeleteFunc(slices.Clone(targets), func(tg target) bool { return holds(tg.cols) })
		if len(left) == len(targets) {
			break
		}
		targets = left
	}
	for i, s := range systems {
		members := map[string][]int{}
		published := map[string]PubCell{}
		for _, tg := range targets {
			if tg.release == i {
				members[tg.key], published[tg.key] = tg.cols, s.published[tg.key]
			}
		}
		found = append(found, pinned(lp, as(pops[i], i), members, published, r, fmt.Sprintf("release %d: ", i+1))...)
	}
	// A change is safe when it can be none or k and more. One
	// solution pushing all of them up, one pulling all down, then
	// one by one.
	safe := func(cols []int) bool {
		v := lp.sum(cols)
		return v >= float64(r.Threshold)-1e-6 || v <= 1e-6
	}
	for _, dir := range []func([]int) (float64, bool){lp.maximize, lp.minimize} {
		var cols []int
		for _, c := range changes {
			cols = append(cols, c.cols...)
		}
		slices.Sort(cols)
		if _, ok := dir(slices.Compact(cols)); ok {
			changes = slices.DeleteFunc(changes, func(c change) bool { return safe(c.cols) })
		}
	}
	for _, c := range changes {
		hi, okHi := a.maximize(c.cols)
		lo, okLo := a.minimize(c.cols)
		if okHi && hi >= float64(r.Threshold)-1e-6 || okLo && lo <= 1e-6 {
			continue
		}
		told = append(told, fmt.Sprintf("%s (between %.2f and %.2f)", c.label, lo, hi))
	}
	slices.Sort(told)
	return found, told, true
}

// Folding across releases: a nationality of a few people, folded into
// "other" by the first releases, grows with the batches until one shows it
// as itself, while another hovers about the fold threshold. An attacker
// who holds every release, reads each with the nationalities it shows,
// and knows the folding rule (shown as itself: at least r.Fold people of
// that release; shown by another release and not by this one: fewer),
// pins no hidden count and no change of 1 to k-1 between any two of them.
func TestFoldingAcrossReleasesPinsNothing(t *testing.T) {
	cits := []string{"CRI", "NIC", "VEN", "PAN"}
	// (Seed 6: what the total gained between the second and third
	// releases was read exactly, 4, until the check also proved what a
	// cell gained since a release that did not publish its table.)
	for _, seed := range []uint64{1, 2, 6} {
		t.Run(fmt.Sprintf("seed_%d", seed), func(t *testing.T) {
			t.Parallel()
			r := Minimum(schemas.TierConatt)
			first := foldPopulation(seed, 4, cits, .5, .3, .17)
			extra := foldPopulation(seed+100, 4, cits, .3, .2, .1)
			pops, releases := historyOf(t, first, extra, seed, 5, 4, r)
			var seen [][]string
			for _, pub := range releases {
				shown := slices.Sorted(slices.Values(publishedCodes(pub, schemas.DimCitizenship)))
				if !slices.ContainsFunc(seen, func(s []string) bool { return slices.Equal(s, shown) }) {
					seen = append(seen, shown)
				}
			}
			if len(seen) < 2 {
				t.Fatalf("every release shows the same nationalities %v: the history folds nothing differently", seen)
			}
			found, told, ok := attackHistory(pops, releases, r, true)
			if !ok {
				t.Fatal("no batch added 1 to 4 people to a cell: the history tests nothing")
			}
			if len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the %d releases together:\n%s", len(found), r.Threshold, len(releases), strings.Join(found, "\n"))
			}
			if len(told) > 0 {
				t.Errorf("%d changes of 1 to %d people pinned by the %d releases together:\n%s", len(told), r.Threshold-1, len(releases), strings.Join(told, "\n"))
			}
		})
	}
}

// Useful, not only safe, after small batches: at about 30 victims a year,
// five releases made after batches of 1 to 6 people, each checked with
// every release before it, show together at least 40% of the people their
// tables count. Hiding one cell at a time, as the dual values of the last
// solve named it, showed 36% (and withheld a table in every release):
// where many shown cells limit a count together, hiding the one named
// frees nothing, and after a few such steps the table was withheld.
func TestSmallBatchesLeaveReleasesUseful(t *testing.T) {
	r := Minimum(schemas.TierConatt)
	shown, people := 0, 0
	for _, seed := range []uint64{3, 5} {
		_, releases := history(t, seed, 30, 30, 5, 6, r)
		for _, pub := range releases[1:] { // the first release is checked alone
			for _, tb := range pub {
				people += tb.Report.People
				shown += tb.Report.ShownPeople
			}
		}
	}
	if share := float64(shown) / float64(people); share < 0.40 {
		t.Errorf("the releases after small batches show %.1f%% of their people (%d of %d), want at least 40%%", 100*share, shown, people)
	}
}

// A form of exploitation that earlier releases folded into "other" and a
// later one shows as itself tells, with it, that it had fewer than the
// fold threshold then. That knowledge comes from today's tables of that
// dimension: withheld, they no longer tell it, and the rest of the release
// stays. (It was kept after they were withheld, so a held release's count
// stayed pinned and every table of the release was withheld, in this
// history the third and every later one.)
func TestFoldedCategoryShownLaterKeepsTheRelease(t *testing.T) {
	_, releases := history(t, 7, 12, 12, 5, 6, Minimum(schemas.TierConatt))
	for i, pub := range releases {
		shown := 0
		for _, tb := range pub {
			if !tb.Withheld {
				shown++
			}
		}
		if shown == 0 {
			t.Errorf("release %d withholds all its %d tables", i, len(pub))
		}
	}
}

// history makes a release of a population of about perYear victims a
// year, then one after each of batches batches of 1 to most people (drawn
// from a population of about extraPerYear, in the latest years), each
// checked with every release before it. It returns the populations and
// the releases.
func history(t *testing.T, seed uint64, perYear, extraPerYear, batches, most int, r Rules) ([][]person, [][]Published) {
	t.Helper()
	return historyOf(t, population(seed, perYear), population(seed+100, extraPerYear), seed, batches, most, r)
}

// historyOf is history from a first population and one the batches are
// drawn from (its last people).
func historyOf(t *testing.T, first, extra []person, seed uint64, batches, most int, r Rules) ([][]person, [][]Published) {
	t.Helper()
	pops := [][]person{first}
	for i := range batches {
		n := 1 + (int(seed)+i)%most
		batch := extra[len(extra)-(i+1)*most : len(extra)-(i+1)*most+n]
		pops = append(pops, append(slices.Clone(pops[len(pops)-1]), batch...))
	}
	var releases [][]Published
	for i, pop := range pops {
		p := problemOf(pop, seed)
		for j, rel := range releases {
			p.Others = append(p.Others, Other{Tables: tablesOf(rel), Rules: r, Back: i - j})
		}
		pub, err := ProtectRelease(context.Background(), p, r)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, pub)
	}
	return pops, releases
}

// Records that did not only grow (a batch rolled back, a person updated):
// a release held that the program cannot read as records today's grew
// from, because it counted people today's records do not have, still
// shows its cells. Today's release shows no cell at a count 1 to k-1 away
// from the count that release showed exactly: subtracting the two would
// tell what the people who left (or moved) were. Held with Back < 0 (a
// batch rolled back since), or with Back 1 where the add-only model does
// not fit (the engine then drops it from the program).
func TestUnlinkedReleaseDifferencesHidden(t *testing.T) {
	r, people, then := firstRelease(t)
	// Two people rolled back (or moved), ten others added.
	now := append(slices.Clone(people[2:]), population(12, 60)[:10]...)
	for _, back := range []int{-1, 1} {
		p := problemOf(now, 11)
		p.Others = []Other{{Tables: tablesOf(then), Rules: r, Back: back}}
		pub, err := ProtectRelease(context.Background(), p, r)
		if err != nil {
			t.Fatal(err)
		}
		before := tablesOf(then)
		shown, compared := 0, 0
		for _, tb := range pub {
			old := map[string]PubCell{}
			for _, c := range before[tb.ID] {
				old[fmt.Sprint(c.Keys)] = c
			}
			for _, c := range tb.Cells {
				e, ok := old[fmt.Sprint(c.Keys)]
				if c.Hidden || !ok || e.Hidden {
					continue
				}
				compared++
				if d := c.Count - e.Count; d != 0 && d > -r.Threshold && d < r.Threshold {
					t.Errorf("held with Back %d: %s %v shown at %d, shown at %d before", back, tb.ID, c.Keys, c.Count, e.Count)
				}
				if c.Count != e.Count {
					shown++
				}
			}
		}
		if compared == 0 || shown == 0 {
			t.Errorf("held with Back %d: %d cells shown in both, %d of them changed: the test compares nothing", back, compared, shown)
		}
	}
}

// Updated people (a corrected age) and ten added: the release before the
// update, held with the people it counted by their old records (Gone),
// still reads as records today's grew from, so what the ten added to
// each cell stays protected. The attacker knows the old records outright
// (three blocks: people in both releases, added or updated since, the
// old versions fixed at their counts) and pins no hidden count of 1..k-1
// of either release and no cell's gain of 1..k-1 people.
func TestUpdatedPeopleKeepTheChain(t *testing.T) {
	r, people, then := firstRelease(t)
	var gone, moved []person
	for _, x := range people[:3] {
		gone = append(gone, x)
		x.age = map[string]string{"child": "adult", "adult": "child", "unknown": "adult"}[x.age]
		moved = append(moved, x)
	}
	added := population(12, 60)[:10]
	now := append(slices.Clone(people[3:]), append(moved, added...)...)
	p := problemOf(now, 11)
	p.Others = []Other{{Tables: tablesOf(then), Rules: r, Back: 1, Gone: problemOf(gone, 11).Atoms}}
	pub, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	vars := universe(append(slices.Clone(people), now...))
	n := len(vars)
	lp := newProgram(3 * n)
	defer lp.free()
	a := &attacker{lp: lp} // the bounds read by two solvers
	defer a.free()
	mThen, pThen := equations(lp, func(j int) []int { return []int{j, 2*n + j} }, vars, then, r)
	mNow, pNow := equations(lp, func(j int) []int { return []int{j, n + j} }, vars, pub, r)
	oldOf := map[string]int{}
	for _, g := range gone {
		oldOf[fmt.Sprint(g)]++
	}
	for j, v := range vars {
		lp.addRow([]int{2*n + j}, ones(1), exactly(float64(oldOf[fmt.Sprint(v)])))
	}
	found := pinned(lp, people, mThen, pThen, r, "then: ")
	found = append(found, pinned(lp, now, mNow, pNow, r, "now: ")...)
	if len(found) > 0 {
		t.Errorf("%d hidden counts pinned below %d:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
	}
	gained := truth(append(moved, added...))
	var told []string
	tried := 0
	for k := range pNow {
		if d := gained[k]; d < 1 || d >= r.Threshold {
			continue
		}
		var cols []int
		for _, col := range mNow[k] {
			if col >= n && col < 2*n {
				cols = append(cols, col)
			}
		}
		tried++
		hi, okHi := a.maximize(cols)
		lo, okLo := a.minimize(cols)
		if okHi && hi >= float64(r.Threshold)-1e-6 || okLo && lo <= 1e-6 {
			continue
		}
		told = append(told, fmt.Sprintf("%s gained %d (between %.2f and %.2f)", k, gained[k], lo, hi))
	}
	if tried == 0 {
		t.Fatal("no cell gained 1 to 4 people: the test tries nothing")
	}
	if len(told) > 0 {
		slices.Sort(told)
		t.Errorf("%d gains of 1 to %d people pinned:\n%s", len(told), r.Threshold-1, strings.Join(told, "\n"))
	}
}

// firstRelease is a conatt release (no folding) of about 60 victims a year,
// checked alone.
func firstRelease(t *testing.T) (Rules, []person, []Published) {
	t.Helper()
	r := Minimum(schemas.TierConatt)
	r.Fold = 0
	people := population(11, 60)
	then, err := ProtectRelease(context.Background(), problemOf(people, 11), r)
	if err != nil {
		t.Fatal(err)
	}
	return r, people, then
}

// The tables without a year count the complete years (Spec.Through). When
// the first records of a new year arrive, the year before is complete and
// those tables count it too: a reader then holds the earlier release's
// tables of the years before (read as tables of their own, id@YEAR, as the
// store names them) beside today's, and subtracts them to get the year just
// completed, which the tables by year show with its small cells hidden.
// An attacker who holds both, with late records of the completed year
// among the people added, pins no hidden count of either and no change of
// 1 to k-1 people, at about 7, 25 and 60 victims a year.
func TestCompleteYearsMoveOn(t *testing.T) {
	for _, perYear := range []int{7, 25, 60} {
		t.Run(fmt.Sprintf("%d_a_year", perYear), func(t *testing.T) {
			t.Parallel()
			r := Minimum(schemas.TierConatt)
			r.Fold = 0
			seed := uint64(perYear)
			// Then: 2019 to 2024, 2024 in progress (and a few of its
			// people not yet recorded).
			var then, late []person
			for _, p := range population(seed, perYear) {
				switch {
				case p.year == testLastComplete && len(late) < 3:
					late = append(late, p)
				case p.year <= testLastComplete:
					then = append(then, p)
				}
			}
			p := problemOf(then, seed)
			p.Tables = tablesThrough(testLastComplete - 1)
			first, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			// Now: the late records of 2024 and the first of 2025.
			var fresh []person
			for _, q := range population(seed+1, perYear) {
				if q.year == testLastComplete+1 && len(fresh) < 4 {
					fresh = append(fresh, q)
				}
			}
			now := append(append(slices.Clone(then), late...), fresh...)
			p = problemOf(now, seed)
			p.Tables = slices.Clone(testTables)
			for _, v := range testVariants {
				v.Carried = true
				v.Of, _, _ = strings.Cut(v.ID, "@")
				p.Tables = append(p.Tables, v)
			}
			p.Others = []Other{{Tables: tablesOf(first), Rules: r, Back: 1}}
			second, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(second) != len(testTables) {
				t.Fatalf("%d tables published, want %d (the tables of the years before are not published again)", len(second), len(testTables))
			}
			checkPublished(t, now, second, r)
			for _, tb := range second {
				if tb.ID == "citizenship_sex" && !tb.Withheld && tb.Report.ShownPeople == 0 {
					t.Errorf("%s shows nobody", tb.ID)
				}
			}
			found, told, _ := attackHistory([][]person{then, now}, [][]Published{first, second}, r, false)
			if len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the two releases:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
			}
			if len(told) > 0 {
				t.Errorf("%d changes of 1 to %d people pinned by the two releases:\n%s", len(told), r.Threshold-1, strings.Join(told, "\n"))
			}
			if smallHidden(now, second, r) == 0 {
				t.Error("no hidden count of 1 to k-1 in the second release: the attacker had nothing to try")
			}
		})
	}
}

// A table carried over says that fewer than k people were added to it
// since the release it comes from (its note: "unchanged since ..., or
// changed by too few people"). A reader who knows that and sees a cell of
// another table hidden as changed reads its gain as 1 to k-1 unless the
// check knows it too (a red team pinned 2024's suspects' gain to 3 or 4
// that way). Two late records of a complete year: the total is carried
// over, and the attacker reads that beside every table of both releases.
func TestCarriedTableTellsFewChanged(t *testing.T) {
	// (At about 60 a year the check withholds every other table: each
	// would show a cell hidden as changed whose gain the total bounds.)
	for _, perYear := range []int{25} {
		t.Run(fmt.Sprintf("%d_a_year", perYear), func(t *testing.T) {
			t.Parallel()
			r := Minimum(schemas.TierConatt)
			r.Fold = 0
			seed := uint64(perYear + 3)
			first := population(seed, perYear)
			rel1, err := ProtectRelease(context.Background(), problemOf(first, seed), r)
			if err != nil {
				t.Fatal(err)
			}
			var late []person
			for _, q := range population(seed+1, perYear) {
				if q.year == testLastComplete && len(late) < 2 {
					late = append(late, q)
				}
			}
			now := append(slices.Clone(first), late...)
			p := problemOf(now, seed)
			p.Tables = slices.Clone(p.Tables)
			p.Tables[0].Carried, p.Tables[0].From = true, 1 // "total": 2 people more, since Others[0]
			p.Others = []Other{{Tables: tablesOf(rel1), Rules: r, Back: 1}}
			rel2, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			found, told, ok := attackHistoryCaps([][]person{first, now}, [][]Published{rel1, rel2}, r, false, []carryCap{{release: 1, from: 0, table: "total"}})
			if !ok {
				t.Fatal("no cell gained 1 to 4 people: the test shows nothing")
			}
			if len(found) > 0 || len(told) > 0 {
				t.Errorf("with the carried total read, %d hidden counts and %d changes of 1 to %d pinned:\n%s", len(found), len(told), r.Threshold-1, strings.Join(append(found, told...), "\n"))
			}
		})
	}
}

// A table carried over changed by fewer than k people since the release
// it is carried from (the latest of its tier that computed it, Spec.From),
// not since an older one: the tables of the complete years were computed
// by a release after 28 late records and carried over by the next, after
// two records of the year in progress, those the second release withheld
// too. Read as "fewer than 5 since every release", or since the latest
// release that showed the table (the first, for a table the second
// withheld), the check had no solution (the first release counted 28
// fewer) and withheld every table; read as the store means it, the tables
// by year show the new year, and an attacker who reads the carried tables
// that way pins nothing.
func TestCarriedSinceTheLatest(t *testing.T) {
	r := Minimum(schemas.TierConatt)
	r.Fold = 0
	const seed = 5
	first := population(seed, 25)
	var late, next []person
	for _, q := range population(seed+1, 25) {
		switch {
		case q.year <= testLastComplete && len(late) < 28:
			late = append(late, q)
		case q.year > testLastComplete && len(next) < 2:
			next = append(next, q)
		}
	}
	rel1, err := ProtectRelease(context.Background(), problemOf(first, seed), r)
	if err != nil {
		t.Fatal(err)
	}
	second := append(slices.Clone(first), late...)
	p := problemOf(second, seed)
	p.Others = []Other{{Tables: tablesOf(rel1), Rules: r, Back: 1}}
	rel2, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	third := append(slices.Clone(second), next...)
	p = problemOf(third, seed)
	p.Tables = slices.Clone(p.Tables)
	var caps []carryCap
	for i := range p.Tables {
		// Every table of the complete years, those the second release
		// withheld too (the store compares them with their exact cells),
		// from the second release, Others[1].
		if p.Tables[i].Through != 0 {
			p.Tables[i].Carried, p.Tables[i].From = true, 2
			caps = append(caps, carryCap{release: 2, from: 1, table: p.Tables[i].ID})
		}
	}
	p.Others = []Other{{Tables: tablesOf(rel1), Rules: r, Back: 2}, {Tables: tablesOf(rel2), Rules: r, Back: 1}}
	rel3, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	// (A table the second release withheld, whose line's hidden cells
	// gained 1 to 4 together since the first, stays withheld.)
	for _, tb := range rel3 {
		if tb.Withheld && !slices.ContainsFunc(rel2, func(o Published) bool { return o.ID == tb.ID && o.Withheld }) {
			t.Errorf("%s is withheld", tb.ID)
		}
	}
	found, told, ok := attackHistoryCaps([][]person{first, second, third}, [][]Published{rel1, rel2, rel3}, r, false, caps)
	if !ok {
		t.Fatal("no cell gained 1 to 4 people: the test shows nothing")
	}
	if len(found) > 0 || len(told) > 0 {
		t.Errorf("%d hidden counts and %d changes of 1 to %d pinned:\n%s", len(found), len(told), r.Threshold-1, strings.Join(append(found, told...), "\n"))
	}
}
