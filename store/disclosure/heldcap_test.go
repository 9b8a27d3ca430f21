package disclosure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// A held release that carried a table over says that fewer than its
// threshold of people were added to that table since: a reader of both
// tiers reads it beside a later release of the other tier. Here two late
// records of a complete year; the conatt release after them carries the
// total over (and withholds or shows the rest as the check finds); the
// public release of the same records is checked with it and with the
// releases before. An attacker who reads every table of the four
// releases and the carried total pins no hidden count and no change of 1
// to 4 people. The attacker reads a change where a public cell shows
// another value than before (the same people give the same value), not
// where one is hidden now: a cell hidden for another count tells nothing
// of its own people. Without the check's reading of held carried tables
// (heldCaps) it pinned 38 changes in these populations, e.g. flow
// "domestic" and 2024 by sexual exploitation, each up by 1 and shown at
// another value; so it did with heldCaps while a held release that
// withheld every table it computed was left out of the check, with what
// it carried over.
func TestHeldCarriedTableTellsFewChanged(t *testing.T) {
	for _, perYear := range []int{12, 25} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%d_a_year/seed_%d", perYear, seed), func(t *testing.T) {
				t.Parallel()
				rc, rp := Minimum(schemas.TierConatt), Minimum(schemas.TierPublic)
				rc.Fold, rp.Fold = 0, 0
				protect := func(people []person, r Rules, others []Other, carried ...string) []Published {
					t.Helper()
					p := problemOf(people, seed)
					p.Tables = slices.Clone(p.Tables)
					for i := range p.Tables {
						if slices.Contains(carried, p.Tables[i].ID) {
							p.Tables[i].Carried, p.Tables[i].From = true, 1 // from Others[0]
						}
					}
					p.Others = others
					pub, err := ProtectRelease(context.Background(), p, r)
					if err != nil {
						t.Fatal(err)
					}
					return pub
				}
				before := population(seed, perYear)
				c1 := protect(before, rc, nil)
				p1 := protect(before, rp, []Other{{Tables: tablesOf(c1), Rules: rc}})
				var late []person
				for _, q := range population(seed+50, perYear) {
					if q.year == testLastComplete && len(late) < 2 {
						late = append(late, q)
					}
				}
				after := append(slices.Clone(before), late...)
				c2 := protect(after, rc, []Other{{Tables: tablesOf(c1), Rules: rc, Back: 1}, {Tables: tablesOf(p1), Rules: rp, Back: 1}}, "total")
				p2 := protect(after, rp, []Other{
					{Tables: tablesOf(p1), Rules: rp, Back: 1},
					{Tables: tablesOf(c1), Rules: rc, Back: 1},
					{Tables: tablesOf(c2), Rules: rc, Carried: map[string]int{"total": 1}},
				})
				found, told, ok := attackReleases([][]person{before, before, after, after}, [][]Published{c1, p1, c2, p2},
					[]int{0, 0, 1, 1}, []Rules{rc, rp, rc, rp}, false, []carryCap{{release: 2, from: 0, table: "total"}}, false)
				if !ok {
					t.Fatal("no cell gained 1 to 4 people: the test shows nothing")
				}
				if len(found) > 0 || len(told) > 0 {
					t.Errorf("with the carried total read, %d hidden counts and %d changes of 1 to 4 pinned:\n%s", len(found), len(told), strings.Join(append(found, told...), "\n"))
				}
			})
		}
	}
}

// A public release is checked with the conatt releases before it: a
// public value is its count give or take a few (rounded to 5), and beside
// a conatt release that carried the table over ("fewer than 5 changed")
// and the exact count of the conatt release it was carried from, it pins
// what the cell gained since to 1 to 4. A red team read that way, from a
// conatt 65 male suspects "suspected", carried over after late records,
// and the public 70 of the same complete years (66 or more), that 1 to 4
// were added (true: 1), and the same of 2025's victims in the last month
// of a year of releases. Here two to four late records of a complete
// year: the conatt release after them carries every table of the
// complete years over, and the public release of the same records is
// checked with both conatt releases; an attacker who reads all three,
// the carried tables' caps and the public values as counts give or take
// 4, pins no count and no change of 1 to 4.
func TestPublicAgainstCarriedConatt(t *testing.T) {
	for _, perYear := range []int{25, 60} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%d_a_year/seed_%d", perYear, seed), func(t *testing.T) {
				t.Parallel()
				rc, rp := Minimum(schemas.TierConatt), Minimum(schemas.TierPublic)
				rc.Fold, rp.Fold = 0, 0
				before := population(seed, perYear)
				p := problemOf(before, seed)
				c1, err := ProtectRelease(context.Background(), p, rc)
				if err != nil {
					t.Fatal(err)
				}
				var late []person
				for _, q := range population(seed+70, perYear) {
					if q.year == testLastComplete && len(late) < 2+int(seed) {
						late = append(late, q)
					}
				}
				after := append(slices.Clone(before), late...)
				// The conatt release after them: every table of the
				// complete years carried over from c1 (the store's rule:
				// fewer than 5 changed), those by year computed.
				p = problemOf(after, seed)
				p.Tables = slices.Clone(p.Tables)
				carried := map[string]int{}
				var caps []carryCap
				for i := range p.Tables {
					if p.Tables[i].Through != 0 || p.Tables[i].ID == "total" {
						p.Tables[i].Carried, p.Tables[i].From = true, 1
						carried[p.Tables[i].ID] = 0
						caps = append(caps, carryCap{release: 1, from: 0, table: p.Tables[i].ID})
					}
				}
				p.Others = []Other{{Tables: tablesOf(c1), Rules: rc, Back: 1}}
				c2, err := ProtectRelease(context.Background(), p, rc)
				if err != nil {
					t.Fatal(err)
				}
				p = problemOf(after, seed)
				p.Others = []Other{
					{Tables: tablesOf(c1), Rules: rc, Back: 1},
					{Tables: tablesOf(c2), Rules: rc, Carried: carried},
				}
				p1, err := ProtectRelease(context.Background(), p, rp)
				if err != nil {
					t.Fatal(err)
				}
				found, told, ok := attackReleases([][]person{before, after, after}, [][]Published{c1, c2, p1},
					[]int{0, 1, 1}, []Rules{rc, rc, rp}, false, caps, false)
				if !ok {
					t.Fatal("no cell gained 1 to 4 people: the test shows nothing")
				}
				if len(found) > 0 || len(told) > 0 {
					t.Errorf("%d hidden counts and %d changes of 1 to 4 pinned:\n%s", len(found), len(told), strings.Join(append(found, told...), "\n"))
				}
			})
		}
	}
}
