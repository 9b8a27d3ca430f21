package disclosure

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// TestChanged: a release's tables changed since an earlier one by no
// person, by fewer than k or by k or more, including where the folding of
// small nationalities into other differs between the two.
func TestChanged(t *testing.T) {
	cit := func(c string) int { return schemas.MustDim(schemas.DimCitizenship).Index(c) }
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	type person struct{ cit, sex string }
	problem := func(counts map[person]int) Problem {
		p := Problem{
			Dims: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex},
			Tables: []Spec{
				{ID: "total"},
				{ID: "sex", By: []schemas.Dim{schemas.DimSex}},
				{ID: "citizenship_sex", By: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex}},
			},
		}
		for k, n := range counts {
			p.Atoms = append(p.Atoms, Atom{Codes: []int{cit(k.cit), sex(k.sex)}, Count: n, Key: uint64(cit(k.cit)*7 + sex(k.sex))})
		}
		return p
	}
	base := map[person]int{{"CHN", "female"}: 28, {"CHN", "male"}: 20, {"COL", "female"}: 30, {"COL", "male"}: 25, {"DOM", "female"}: 3, {"HTI", "male"}: 2}
	r := Minimum(schemas.TierConatt)
	first, err := ProtectRelease(context.Background(), problem(base), r)
	if err != nil {
		t.Fatal(err)
	}
	held := tablesOf(first)
	for _, c := range held["citizenship_sex"] {
		if len(c.Keys) == 2 && (c.Keys[0] == cit("DOM") || c.Keys[0] == cit("HTI")) {
			t.Fatalf("DOM and HTI (fewer than %d) are not folded: %v", r.Fold, held["citizenship_sex"])
		}
	}
	with := func(add map[person]int) map[person]int {
		out := map[person]int{}
		for k, n := range base {
			out[k] = n
		}
		for k, n := range add {
			out[k] += n
			if out[k] == 0 {
				delete(out, k)
			}
		}
		return out
	}
	// few lists the tables that changed by fewer than 5 people but some.
	few := func(got map[string]int) []string {
		var out []string
		for _, id := range []string{"total", "sex", "citizenship_sex"} {
			if n, ok := got[id]; !ok {
				t.Errorf("%s not compared", id)
			} else if n > 0 && n < r.Threshold {
				out = append(out, id)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		now  map[person]int
		want []string // the tables changed by 1 to 4 people (at least)
	}{
		{"the same people", base, nil},
		{"one added", with(map[person]int{{"CHN", "female"}: 1}), []string{"total", "sex", "citizenship_sex"}},
		{"four added", with(map[person]int{{"CHN", "female"}: 2, {"COL", "male"}: 2}), []string{"total", "sex", "citizenship_sex"}},
		{"five added", with(map[person]int{{"CHN", "female"}: 3, {"COL", "male"}: 2}), nil},
		{"one moved from male to female", with(map[person]int{{"CHN", "female"}: 1, {"CHN", "male"}: -1}), []string{"sex", "citizenship_sex"}},
		{"one moved between nationalities", with(map[person]int{{"CHN", "female"}: 1, {"COL", "female"}: -1}), []string{"citizenship_sex"}},
		// Two more Dominicans make five: DOM is shown on its own now and
		// was folded into other before; compared as one, other gained 2.
		{"a folded nationality unfolds", with(map[person]int{{"DOM", "female"}: 2}), []string{"total", "sex", "citizenship_sex"}},
		{"five added to folded ones", with(map[person]int{{"DOM", "female"}: 2, {"HTI", "male"}: 3}), nil},
		{"five removed", with(map[person]int{{"CHN", "female"}: -5}), nil},
		// Five people changed, but the total tells of one at least, the
		// tables by sex and by nationality and sex of three: counted
		// short, carried over (safe).
		{"three removed, two added", with(map[person]int{{"CHN", "female"}: -3, {"COL", "male"}: 2}), []string{"total", "sex", "citizenship_sex"}},
	} {
		if got := few(Changed(problem(c.now), r, held)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Without its total, the table by nationality and sex alone: one more
	// Dominican (4, folded, then 5, shown) reads as a new cell of 5 and a
	// folded cell that lost 4, unless the two are compared as one.
	alone := func(counts map[person]int) Problem {
		p := problem(counts)
		p.Tables = p.Tables[2:]
		return p
	}
	four := with(map[person]int{{"DOM", "female"}: 1})
	before, err := ProtectRelease(context.Background(), alone(four), r)
	if err != nil {
		t.Fatal(err)
	}
	five := map[person]int{}
	for k, n := range four {
		five[k] = n
	}
	five[person{"DOM", "female"}]++
	if got := Changed(alone(five), r, tablesOf(before))["citizenship_sex"]; got != 1 {
		t.Errorf("a Dominican unfolds the nationality: %d changed, want 1", got)
	}
	// A held release whose exact counts are not known is not compared.
	unknown := map[string][]PubCell{}
	for id, cells := range held {
		for _, c := range cells {
			c.Known = false
			unknown[id] = append(unknown[id], c)
		}
	}
	if got := Changed(problem(with(map[person]int{{"CHN", "female"}: 1})), r, unknown); len(got) != 0 {
		t.Errorf("exact counts not known: %v, want none compared", got)
	}
}

// TestCarriedTableDifferenceProtected: a release carries the table by year
// over (one victim more since the release held, which showed it) and
// computes the table by year and sex, which the release held withheld.
// Summed over sex, today's table gives today's years: against the held
// release's years, the one added victim's year. What a carried table's
// cells gained is a target as any other: today's table hides or goes.
func TestCarriedTableDifferenceProtected(t *testing.T) {
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	problem := func(extra int) Problem {
		p := Problem{
			Dims: []schemas.Dim{schemas.DimYear, schemas.DimSex},
			Tables: []Spec{
				{ID: "year", By: []schemas.Dim{schemas.DimYear}},
				{ID: "year_sex", By: []schemas.Dim{schemas.DimYear, schemas.DimSex}},
			},
		}
		for y := 2022; y <= 2025; y++ {
			for i, s := range []string{"female", "male"} {
				n := 20 + y%3*4 - i*5
				if y == 2025 && s == "female" {
					n += extra
				}
				p.Atoms = append(p.Atoms, Atom{Codes: []int{y, sex(s)}, Count: n, Key: uint64(y*7919 + i)})
			}
		}
		return p
	}
	r := Minimum(schemas.TierConatt)
	held := tablesOf(showsAll(t, problem(0), r))
	delete(held, "year_sex") // withheld by the release held
	p := problem(1)
	p.Tables[0].Carried, p.Tables[0].From = true, 1
	p.Others = []Other{{Tables: held, Rules: r, Back: 1}}
	out, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].ID != "year_sex" {
		t.Fatalf("published %d tables, want year_sex alone (year is carried over)", len(out))
	}
	if out[0].Withheld {
		return
	}
	sum, hidden := 0, false
	for _, c := range out[0].Cells {
		if c.Keys[0] == 2025 {
			sum += c.Count
			hidden = hidden || c.Hidden
		}
	}
	if !hidden {
		var was int
		for _, c := range held["year"] {
			if c.Keys[0] == 2025 {
				was = c.Count
			}
		}
		t.Errorf("2025 by sex is shown whole (%d), against the held release's 2025 (%d): one victim added in 2025", sum, was)
	}
}

// TestChangedMultiValued: a table by a multi-valued dimension (one person
// in a cell per form of exploitation) after records were corrected, not
// added: the population's total is the same, the table is not. Its
// people changed at least as much as any cell of a form shown in both
// releases: five victims whose form was corrected from sexual to labour
// exploitation are five changed (computed anew), one is one (carried over).
func TestChangedMultiValued(t *testing.T) {
	expl := schemas.MustDim(schemas.DimExploitation)
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	set := func(forms ...string) int {
		code := 0
		for _, f := range forms {
			code |= 1 << expl.Index(f)
		}
		return code
	}
	type person struct {
		forms int
		sex   string
	}
	problem := func(counts map[person]int) Problem {
		p := Problem{
			Dims: []schemas.Dim{schemas.DimExploitation, schemas.DimSex},
			Tables: []Spec{
				{ID: "sex", By: []schemas.Dim{schemas.DimSex}},
				{ID: "exploitation", By: []schemas.Dim{schemas.DimExploitation}},
			},
		}
		for k, n := range counts {
			p.Atoms = append(p.Atoms, Atom{Codes: []int{k.forms, sex(k.sex)}, Count: n, Key: uint64(k.forms*7 + sex(k.sex))})
		}
		return p
	}
	sexual, labour := set("sexual"), set("forced_labour")
	both := set("sexual", "forced_labour")
	base := map[person]int{{sexual, "female"}: 30, {labour, "male"}: 25, {both, "female"}: 12, {labour, "female"}: 15, {sexual, "male"}: 10}
	r := Minimum(schemas.TierConatt)
	first, err := ProtectRelease(context.Background(), problem(base), r)
	if err != nil {
		t.Fatal(err)
	}
	held := tablesOf(first)
	corrected := func(n int) map[person]int {
		out := maps.Clone(base)
		out[person{sexual, "female"}] -= n
		out[person{labour, "female"}] += n
		return out
	}
	for _, c := range []struct {
		name      string
		now       map[person]int
		least, at int // Changed of the table by form: at least least, at most at
	}{
		{"the same people", base, 0, 0},
		{"one corrected", corrected(1), 1, 1},
		{"five corrected", corrected(5), 5, 5},
		// A second form added to three: three changed, though the total
		// and the table by sex are the same.
		{"a form added to three", map[person]int{{sexual, "female"}: 27, {labour, "male"}: 25, {both, "female"}: 15, {labour, "female"}: 15, {sexual, "male"}: 10}, 3, 3},
	} {
		got := Changed(problem(c.now), r, held)
		if n, ok := got["exploitation"]; !ok || n < c.least || n > c.at {
			t.Errorf("%s: the table by form changed by %d (compared: %v), want %d to %d", c.name, n, ok, c.least, c.at)
		}
		if got["sex"] != 0 {
			t.Errorf("%s: the table by sex changed by %d, want 0", c.name, got["sex"])
		}
	}
}
