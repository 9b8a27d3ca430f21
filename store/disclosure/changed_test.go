package disclosure

import (
	"context"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// TestFewChanged: a release's tables changed since an earlier one by no
// person, by fewer than k or by k or more, including where the folding of
// small nationalities into other differs between the two.
func TestFewChanged(t *testing.T) {
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
	for _, c := range []struct {
		name string
		now  map[person]int
		want string // the table found changed by too few, "" none
	}{
		{"the same people", base, ""},
		{"one added", with(map[person]int{{"CHN", "female"}: 1}), "total"},
		{"four added", with(map[person]int{{"CHN", "female"}: 2, {"COL", "male"}: 2}), "total"},
		{"five added", with(map[person]int{{"CHN", "female"}: 3, {"COL", "male"}: 2}), ""},
		{"one moved from male to female", with(map[person]int{{"CHN", "female"}: 1, {"CHN", "male"}: -1}), "sex"},
		{"one moved between nationalities", with(map[person]int{{"CHN", "female"}: 1, {"COL", "female"}: -1}), "citizenship_sex"},
		// Two more Dominicans make five: DOM is shown on its own now and
		// was folded into other before; compared as one, other gained 2.
		{"a folded nationality unfolds", with(map[person]int{{"DOM", "female"}: 2}), "total"},
		{"five added to folded ones", with(map[person]int{{"DOM", "female"}: 2, {"HTI", "male"}: 3}), ""},
		{"five removed", with(map[person]int{{"CHN", "female"}: -5}), ""},
		// Five people changed, but the total tells of one at least, the
		// table by sex of three: counted short, carried over (safe).
		{"three removed, two added", with(map[person]int{{"CHN", "female"}: -3, {"COL", "male"}: 2}), "total"},
	} {
		if got := FewChanged(problem(c.now), r, held, r.Threshold); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
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
	if got := FewChanged(alone(five), r, tablesOf(before), r.Threshold); got != "citizenship_sex" {
		t.Errorf("a Dominican unfolds the nationality: %q, want citizenship_sex", got)
	}
	// A held release whose exact counts are not known is not compared.
	unknown := map[string][]PubCell{}
	for id, cells := range held {
		for _, c := range cells {
			c.Known = false
			unknown[id] = append(unknown[id], c)
		}
	}
	if got := FewChanged(problem(with(map[person]int{{"CHN", "female"}: 1})), r, unknown, r.Threshold); got != "" {
		t.Errorf("exact counts not known: %q, want none compared", got)
	}
}
