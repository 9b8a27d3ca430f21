package disclosure

import (
	"context"

	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// foldPopulation is a population in which only citizenship folds: every
// sex, age and form of exploitation is common, while one nationality has
// fewer people than the fold threshold over all years and the others
// only a few more.
func foldPopulation(seed uint64, perYear int, cits []string, weights ...float64) []person {
	r := rand.New(rand.NewPCG(seed, 3))
	var out []person
	for y := 2019; y < 2026; y++ {
		for range perYear {
			p := person{year: y,
				sex:         pick(r, []string{"female", "male"}, .6),
				age:         pick(r, []string{"child", "adult"}, .4),
				citizenship: pick(r, cits, weights...),
				exploitn:    "CRI",
				forms:       []string{pick(r, []string{"sexual", "forced_labour"}, .6)},
			}
			out = append(out, p)
		}
	}
	return out
}

// published lists the codes of a dimension that a release shows as
// themselves: any cell's key in a table by that dimension.
func publishedCodes(pub []Published, d schemas.Dim) []string {
	var out []string
	for i, tb := range pub {
		if tb.Withheld {
			continue
		}
		col := slices.Index(testTables[i].By, d)
		if col < 0 {
			continue
		}
		for _, c := range tb.Cells {
			if code := codeText(d, c.Keys[col]); !slices.Contains(out, code) {
				out = append(out, code)
			}
		}
	}
	return out
}

// asPublished reads a person's citizenship as the release publishes it:
// itself when the release shows it, else the category it folded into.
func asPublished(p person, shown []string) person {
	switch {
	case slices.Contains(shown, p.citizenship):
	case slices.Contains(shown, "other"):
		p.shownAs = "other"
	default:
		p.shownAs = "UNK"
	}
	return p
}

// foldRows adds the folding rule as the attacker knows it: a nationality
// the release shows as itself holds at least r.Fold of its people (the
// columns colsOf(j) of combination j).
func foldRows(lp *program, vars []person, colsOf func(int) []int, shown []string, r Rules) {
	for _, code := range shown {
		if code == "other" || code == "UNK" {
			continue
		}
		var cols []int
		for j, v := range vars {
			if v.shownAs == "" && v.citizenship == code {
				cols = append(cols, colsOf(j)...)
			}
		}
		lp.addRow(cols, ones(len(cols)), atLeast(float64(r.Fold)))
	}
}

// TestFoldingRuleDoesNotPin: an attacker who knows that a nationality shown
// as itself has at least the fold threshold of people in the release (the
// engine's rule, which its notes state) pins no hidden count. Each release
// folds one nationality and shows the others as themselves; without the
// rule in the engine's program, the attacker pins a hidden count of each.
func TestFoldingRuleDoesNotPin(t *testing.T) {
	for _, c := range []struct {
		tier    schemas.Tier
		perYear int
		weights []float64
		seed    uint64
	}{
		{schemas.TierConatt, 5, []float64{.55, .2, .15, .02}, 1},
		// (Public folds at the conatt threshold, 5: see Minimum.)
		{schemas.TierPublic, 12, []float64{.7, .1, .1, .02}, 2},
	} {
		t.Run(string(c.tier), func(t *testing.T) {
			t.Parallel()
			r := Minimum(c.tier)
			people := foldPopulation(c.seed, c.perYear, []string{"CRI", "NIC", "VEN", "COL", "UNK"}, c.weights...)
			pub, err := ProtectRelease(context.Background(), problemOf(people, c.seed), r)
			if err != nil {
				t.Fatal(err)
			}
			shown := publishedCodes(pub, schemas.DimCitizenship)
			if slices.Contains(shown, "COL") || !slices.Contains(shown, "NIC") {
				t.Fatalf("citizenship shown as %v: want COL folded and NIC shown, or the test shows nothing", shown)
			}
			vars := universe(people)
			for j := range vars {
				vars[j] = asPublished(vars[j], shown)
			}
			seen := make([]person, len(people))
			for i, p := range people {
				seen[i] = asPublished(p, shown)
			}
			lp := newProgram(len(vars))
			defer lp.free()
			colsOf := func(j int) []int { return []int{j} }
			members, cells := equations(lp, colsOf, vars, pub, r)
			foldRows(lp, vars, colsOf, shown, r)
			if found := pinned(lp, seen, members, cells, r, ""); len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by the folding rule:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
			}
		})
	}
}

// foldAttack is the attacker of two releases who knows the folding rule:
// each combination holds its people then (column j) and those added since
// (column n+j); a nationality shown as itself had at least the threshold
// in the release that shows it, and one shown now that the earlier release
// folded had fewer than the threshold then.
func foldAttack(before, after []person, first, second []Published, r Rules) []string {
	vars := universe(after)
	n := len(vars)
	shownThen := publishedCodes(first, schemas.DimCitizenship)
	shownNow := publishedCodes(second, schemas.DimCitizenship)
	asThen, asNow := make([]person, n), make([]person, n)
	for j, v := range vars {
		asThen[j], asNow[j] = asPublished(v, shownThen), asPublished(v, shownNow)
	}
	lp := newProgram(2 * n)
	defer lp.free()
	then := func(j int) []int { return []int{j} }
	now := func(j int) []int { return []int{j, n + j} }
	m1, p1 := equations(lp, then, asThen, first, r)
	m2, p2 := equations(lp, now, asNow, second, r)
	foldRows(lp, asThen, then, shownThen, r)
	foldRows(lp, asNow, now, shownNow, r)
	for _, code := range shownNow {
		if code == "other" || code == "UNK" || slices.Contains(shownThen, code) {
			continue
		}
		var cols []int
		for j, v := range vars {
			if v.citizenship == code {
				cols = append(cols, j)
			}
		}
		lp.addRow(cols, ones(len(cols)), between(0, float64(r.Fold-1)))
	}
	seenThen, seenNow := make([]person, len(before)), make([]person, len(after))
	for i, p := range before {
		seenThen[i] = asPublished(p, shownThen)
	}
	for i, p := range after {
		seenNow[i] = asPublished(p, shownNow)
	}
	return append(pinned(lp, seenThen, m1, p1, r, "first: "), pinned(lp, seenNow, m2, p2, r, "second: ")...)
}

// unfold adds people of nationality cit until it has at least r.Fold.
func unfold(people []person, cit string, r Rules, seed uint64) []person {
	have := 0
	for _, p := range people {
		if p.citizenship == cit {
			have++
		}
	}
	out := slices.Clone(people)
	for _, p := range foldPopulation(seed+50, 2, []string{cit}) {
		if have >= r.Fold {
			break
		}
		out = append(out, p)
		have++
	}
	return out
}

// TestFoldingRuleAcrossReleases: a nationality folded in one release
// reaches the threshold by the next. An attacker who holds both and knows
// the rule reads it as fewer than the threshold then, and pins no hidden
// count of either release; without that bound in the engine's program, it
// pins one at each tier. In the third case other shrinks below the
// threshold as the nationality leaves it: merged into unknown, the rest
// of other would be read as unknown then, and the attacker pinned a cell
// of other in the earlier release.
func TestFoldingRuleAcrossReleases(t *testing.T) {
	for _, c := range []struct {
		name    string
		tier    schemas.Tier
		perYear int
		weights []float64
		seed    uint64
	}{
		{"conatt", schemas.TierConatt, 5, []float64{.55, .2, .15, .02}, 1},
		{"public", schemas.TierPublic, 5, []float64{.4, .3, .2, .02}, 1},
		{"public_other_shrinks", schemas.TierPublic, 8, []float64{.55, .2, .15, .02}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := Minimum(c.tier)
			before := foldPopulation(c.seed, c.perYear, []string{"CRI", "NIC", "VEN", "COL", "UNK"}, c.weights...)
			after := unfold(before, "COL", r, c.seed)
			first, err := ProtectRelease(context.Background(), problemOf(before, c.seed), r)
			if err != nil {
				t.Fatal(err)
			}
			if shown := publishedCodes(first, schemas.DimCitizenship); slices.Contains(shown, "COL") || len(shown) == 0 {
				t.Fatalf("the first release shows citizenship as %v: want COL folded, or the test shows nothing", shown)
			}
			p := problemOf(after, c.seed)
			p.Earlier = map[string][]PubCell{}
			for _, tb := range first {
				if !tb.Withheld {
					p.Earlier[tb.ID] = tb.Cells
				}
			}
			second, err := ProtectRelease(context.Background(), p, r)
			if err != nil {
				t.Fatal(err)
			}
			if found := foldAttack(before, after, first, second, r); len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d:\n%s", len(found), r.Threshold, strings.Join(found, "\n"))
			}
		})
	}
}
