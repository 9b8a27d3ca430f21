package disclosure

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// TestLineGainHidesOneMoreCell: what the hidden cells of one line gained
// together since a held release is read off the line's margin and its
// shown cells in both (a red team read that 2 smuggled migrants of sex
// "other" or "unknown" were added for 2024 between two monthly releases).
// Here 2024's "other" and "unknown" are hidden in both releases and
// gained 2 together, while the year's total and its women and men are
// shown in both. The release hides one more cell of the line (the
// cheaper of the women and the men), so that the line's hidden cells
// gained 8 together, and keeps the table; before, it withheld the table
// (a year of monthly releases showed none of the smuggled migrants by
// year and sex of the year in progress in most months). An attacker who
// reads every cell and every line of both releases pins nothing.
func TestLineGainHidesOneMoreCell(t *testing.T) {
	r := Minimum(schemas.TierConatt)
	r.Fold = 0
	add := func(people []person, year int, sex string, n int) []person {
		for i := range n {
			people = append(people, person{year: year, sex: sex, age: testAges[i%2], forms: []string{"sexual"}, citizenship: "CRI", exploitn: "CRI"})
		}
		return people
	}
	var first []person
	for y := 2022; y <= 2024; y++ {
		first = add(first, y, "female", 40)
		first = add(first, y, "male", 38)
		first = add(first, y, "other", 3)
		first = add(first, y, "unknown", 3)
	}
	second := slices.Clone(first)
	second = add(second, 2024, "female", 6)
	second = add(second, 2024, "male", 6)
	second = add(second, 2024, "other", 1)
	second = add(second, 2024, "unknown", 1)
	tables := []Spec{testTables[1], testTables[2]} // year, year_sex
	protect := func(people []person, others []Other) []Published {
		t.Helper()
		p := problemOf(people, 1)
		p.Tables, p.Others = tables, others
		out, err := ProtectRelease(context.Background(), p, r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	rel1 := protect(first, nil)
	rel2 := protect(second, []Other{{Tables: tablesOf(rel1), Rules: r, Back: 1}})
	sex := func(s string) int { return schemas.MustDim(schemas.DimSex).Index(s) }
	cells := func(pub []Published) (map[int]bool, bool) {
		for _, tb := range pub {
			if tb.ID != "year_sex" {
				continue
			}
			hidden := map[int]bool{}
			for _, c := range tb.Cells {
				if c.Keys[0] == 2024 && c.Hidden {
					hidden[c.Keys[1]] = true
				}
			}
			return hidden, tb.Withheld
		}
		t.Fatal("no year_sex")
		return nil, false
	}
	h1, w1 := cells(rel1)
	if w1 || !h1[sex("other")] || !h1[sex("unknown")] || h1[sex("female")] || h1[sex("male")] {
		t.Fatalf("release 1's 2024 by sex: hidden %v, withheld %v; want other and unknown hidden alone", h1, w1)
	}
	h2, w2 := cells(rel2)
	if w2 {
		t.Fatal("release 2 withholds year_sex, where one more cell hidden keeps it")
	}
	if !h2[sex("other")] || !h2[sex("unknown")] || h2[sex("female")] == h2[sex("male")] {
		t.Errorf("release 2's 2024 by sex: hidden %v; want other, unknown and one of female and male", h2)
	}
	found, told, ok := attackHistory([][]person{first, second}, [][]Published{rel1, rel2}, r, false)
	if !ok {
		t.Fatal("no cell gained 1 to 4 people: the test shows nothing")
	}
	if len(found) > 0 || len(told) > 0 {
		t.Errorf("%d hidden counts and %d changes of 1 to %d pinned:\n%s", len(found), len(told), r.Threshold-1, strings.Join(append(found, told...), "\n"))
	}
}
