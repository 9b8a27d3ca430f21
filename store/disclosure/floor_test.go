package disclosure

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// TestFloorsOfOlderReleases: an older release showed Chinese women 28 and
// men 20; today one Chinese victim of unknown sex and one more woman. A
// release checked without what the older one told hides men and unknown
// (the fewest people) and shows the women and the total: with the older
// men, the unknown is at most 50 - 29 - 20 = 1. With the older release's
// cells as floors, no hidden count below 5 is pinned.
func TestFloorsOfOlderReleases(t *testing.T) {
	cit := func(c string) int { return schemas.MustDim(schemas.DimCitizenship).Index(c) }
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	truth := map[[2]int]int{
		{cit("CHN"), sex("female")}: 29, {cit("CHN"), sex("male")}: 20, {cit("CHN"), sex("unknown")}: 1,
		{cit("COL"), sex("female")}: 30, {cit("COL"), sex("male")}: 25,
		{cit("CRI"), sex("female")}: 26, {cit("CRI"), sex("male")}: 22,
	}
	p := Problem{
		Dims: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex},
		Tables: []Spec{
			{ID: "citizenship", By: []schemas.Dim{schemas.DimCitizenship}},
			{ID: "citizenship_sex", By: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex}},
		},
	}
	for k, n := range truth {
		p.Atoms = append(p.Atoms, Atom{Codes: []int{k[0], k[1]}, Count: n, Key: uint64(k[0]*7 + k[1])})
	}
	floors := map[[2]int]int{{cit("CHN"), sex("female")}: 28, {cit("CHN"), sex("male")}: 20}
	// attack bounds each hidden Chinese cell below 5 by the Chinese total,
	// the cells shown and the floors of the others.
	attack := func(pub []Published) (pinned []string) {
		var total *int
		cells := map[int]PubCell{}
		for _, tb := range pub {
			for _, c := range tb.Cells {
				switch {
				case tb.Withheld || c.Keys[0] != cit("CHN"):
				case tb.ID == "citizenship" && !c.Hidden:
					total = &c.Count
				case tb.ID == "citizenship_sex":
					cells[c.Keys[1]] = c
				}
			}
		}
		if total == nil {
			return nil
		}
		for s, c := range cells {
			if !c.Hidden || truth[[2]int{cit("CHN"), s}] >= 5 {
				continue
			}
			most := *total
			for o, d := range cells {
				switch {
				case o == s:
				case !d.Hidden:
					most -= d.Count
				default:
					most -= max(1, floors[[2]int{cit("CHN"), o}])
				}
			}
			if most < 5 {
				pinned = append(pinned, schemas.MustDim(schemas.DimSex).Codes[s].Code)
			}
		}
		return pinned
	}
	r := Minimum(schemas.TierConatt)
	without, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(attack(without)) == 0 {
		t.Fatalf("checked without the floors, the release pins nothing: the test no longer shows what floors are for")
	}
	older := Floors{Tables: map[string][]PubCell{}, Rules: Minimum(schemas.TierConatt)}
	for k, n := range floors {
		older.Tables["citizenship_sex"] = append(older.Tables["citizenship_sex"], PubCell{Keys: []int{k[0], k[1]}, Count: n})
	}
	p.Floors = []Floors{older}
	with, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	if found := attack(with); len(found) > 0 {
		t.Errorf("with the older release's floors, Chinese victims of sex %v are pinned below 5", found)
	}
	// A floor above today's count (the records shrank since) is not
	// knowledge: the release stays as it is without it.
	p.Floors = []Floors{{Tables: map[string][]PubCell{"citizenship_sex": {{Keys: []int{cit("CHN"), sex("male")}, Count: 40}}}, Rules: r}}
	shrunk, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shrunk, without) {
		t.Errorf("a floor above the truth changed the release:\n%+v\nwant\n%+v", shrunk, without)
	}
}

// TestOneAddedVictimIsNotDescribed: one victim of unknown sex added after
// a release that showed every cell. Shown again, the grand total and her
// nationality's total would each rise by 1 and describe her (the
// difference of the two releases). They are hidden, with her own new
// cell, and every cell that did not change is shown as it was. (Their
// readers are served the first release's totals, which show more: the
// store's servedFrom.)
func TestOneAddedVictimIsNotDescribed(t *testing.T) {
	cit := func(c string) int { return schemas.MustDim(schemas.DimCitizenship).Index(c) }
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	before := map[[2]int]int{
		{cit("CHN"), sex("female")}: 28, {cit("CHN"), sex("male")}: 20,
		{cit("COL"), sex("female")}: 30, {cit("COL"), sex("male")}: 25,
		{cit("CRI"), sex("female")}: 26, {cit("CRI"), sex("male")}: 22,
	}
	problem := func(counts map[[2]int]int) Problem {
		p := Problem{
			Dims: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex},
			Tables: []Spec{
				{ID: "total"},
				{ID: "citizenship", By: []schemas.Dim{schemas.DimCitizenship}},
				{ID: "citizenship_sex", By: []schemas.Dim{schemas.DimCitizenship, schemas.DimSex}},
			},
		}
		for k, n := range counts {
			p.Atoms = append(p.Atoms, Atom{Codes: []int{k[0], k[1]}, Count: n, Key: uint64(k[0]*7 + k[1])})
		}
		return p
	}
	r := Minimum(schemas.TierConatt)
	first := showsAll(t, problem(before), r)
	after := maps.Clone(before)
	after[[2]int{cit("CHN"), sex("unknown")}] = 1
	p := problem(after)
	p.Others = []Other{{Tables: tablesOf(first), Rules: r, Back: 1}}
	second, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	was := map[string]map[string]int{}
	for _, tb := range first {
		was[tb.ID] = map[string]int{}
		for _, c := range tb.Cells {
			was[tb.ID][fmt.Sprint(c.Keys)] = c.Count
		}
	}
	for _, tb := range second {
		if tb.Withheld {
			t.Errorf("%s is withheld: hiding the cells she changed is enough", tb.ID)
			continue
		}
		for _, c := range tb.Cells {
			herCell := len(c.Keys) == 0 || c.Keys[0] == cit("CHN") && (len(c.Keys) == 1 || c.Keys[1] == sex("unknown"))
			switch {
			case herCell && !c.Hidden:
				t.Errorf("%s %v is shown (%d): against the first release it tells that she is in it", tb.ID, c.Keys, c.Count)
			case !herCell && (c.Hidden || c.Count != was[tb.ID][fmt.Sprint(c.Keys)]):
				t.Errorf("%s %v: hidden %v, count %d, want %d as before: it did not change", tb.ID, c.Keys, c.Hidden, c.Count, was[tb.ID][fmt.Sprint(c.Keys)])
			}
		}
	}
}

// showsAll protects a first release (no release held) that must show
// every cell: the setting of a test about what changes after it.
func showsAll(t *testing.T, p Problem, r Rules) []Published {
	t.Helper()
	pub, err := ProtectRelease(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range pub {
		for _, c := range tb.Cells {
			if tb.Withheld || c.Hidden {
				t.Fatalf("the first release hides %s %v", tb.ID, c.Keys)
			}
		}
	}
	return pub
}
