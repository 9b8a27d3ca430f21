package disclosure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// crossAttack is an attacker who reads a conatt and a public release of
// the same people (a CONATT member reads both: the public one is public).
// Every table of both is a set of equations over the same variables, each
// release read with its own rules. It returns the hidden cells of either
// release whose true count is 1..4 (the conatt threshold) and whose largest
// possible value is below 5: a conatt reader must not learn those.
func crossAttack(people []person, conatt, public []Published, rc, rp Rules) []string {
	vars := universe(people)
	lp := newProgram(len(vars))
	defer lp.free()
	id := func(j int) []int { return []int{j} }
	mc, pc := equations(lp, id, vars, conatt, rc)
	mp, pp := equations(lp, id, vars, public, rp)
	// Both are judged against the conatt threshold: the reader may know
	// counts of 5 to 9 (the conatt release shows them).
	k := Rules{Threshold: rc.Threshold}
	return append(pinned(lp, people, mc, pc, k, "conatt: "), pinned(lp, people, mp, pp, k, "public: ")...)
}

// crossProtect publishes a conatt release, then a public release of the same
// people checked together with it.
func crossProtect(t *testing.T, people []person, seed uint64) (conatt, public []Published, rc, rp Rules) {
	t.Helper()
	rc, rp = Minimum(schemas.TierConatt), Minimum(schemas.TierPublic)
	rc.Fold, rp.Fold = 0, 0 // the attacker works on the people's own categories
	conatt, err := ProtectRelease(context.Background(), problemOf(people, seed), rc)
	if err != nil {
		t.Fatal(err)
	}
	p := problemOf(people, seed)
	p.Others = []Other{{Tables: tablesOf(conatt), Rules: rc}}
	public, err = ProtectRelease(context.Background(), p, rp)
	if err != nil {
		t.Fatal(err)
	}
	return conatt, public, rc, rp
}

func tablesOf(pub []Published) map[string][]PubCell {
	out := map[string][]PubCell{}
	for _, tb := range pub {
		if !tb.Withheld {
			out[tb.ID] = tb.Cells
		}
	}
	return out
}

// TestConattAndPublicTogetherDoNotPin is the red team's attack: a reader
// of both the conatt and the public release of the same people combines
// them. The conatt release hides, say, female/unknown-age as a secondary
// cell (true 10-14) and the public one shows it as 10; with the conatt
// margins that pinned hidden conatt cells of 1 or 2 people. Each release
// alone pins nothing; together they must not either.
func TestConattAndPublicTogetherDoNotPin(t *testing.T) {
	for _, perYear := range []int{7, 25, 60} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%d_a_year/seed_%d", perYear, seed), func(t *testing.T) {
				t.Parallel()
				people := population(seed, perYear)
				conatt, public, rc, rp := crossProtect(t, people, seed)
				if found := crossAttack(people, conatt, public, rc, rp); len(found) > 0 {
					t.Errorf("%d hidden counts pinned below %d by reading both releases:\n%s", len(found), rc.Threshold, strings.Join(found, "\n"))
				}
				// The public release alone still keeps 1..9.
				if found := attack(t, people, public, rp); len(found) > 0 {
					t.Errorf("public alone: %d hidden counts pinned below %d:\n%s", len(found), rp.Threshold, strings.Join(found, "\n"))
				}
				checkPublished(t, people, public, rp)
			})
		}
	}
}

// A public release publishes fewer tables than the conatt one: those it
// lacks enter its check as shadow tables, carrying the conatt release's
// cells. The reader of both pins nothing.
func TestCrossTierShadowTables(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("seed_%d", seed), func(t *testing.T) {
			t.Parallel()
			people := population(seed, 60)
			rc, rp := Minimum(schemas.TierConatt), Minimum(schemas.TierPublic)
			rc.Fold, rp.Fold = 0, 0
			conatt, err := ProtectRelease(context.Background(), problemOf(people, seed), rc)
			if err != nil {
				t.Fatal(err)
			}
			p := problemOf(people, seed)
			p.Tables = slices.Clone(p.Tables)
			for i := range p.Tables {
				if id := p.Tables[i].ID; id == "year_citizenship" || id == "year_exploitation_main" {
					p.Tables[i].Shadow = true
				}
			}
			p.Others = []Other{{Tables: tablesOf(conatt), Rules: rc}}
			public, err := ProtectRelease(context.Background(), p, rp)
			if err != nil {
				t.Fatal(err)
			}
			if len(public) != len(testTables)-2 {
				t.Fatalf("%d tables published, want the %d that are not shadows", len(public), len(testTables)-2)
			}
			for _, tb := range public {
				if tb.ID == "year_citizenship" || tb.ID == "year_exploitation_main" {
					t.Errorf("shadow table %s published", tb.ID)
				}
			}
			if found := crossAttack(people, conatt, public, rc, rp); len(found) > 0 {
				t.Errorf("%d hidden counts pinned below %d by reading both releases:\n%s", len(found), rc.Threshold, strings.Join(found, "\n"))
			}
		})
	}
}

// A conatt release is checked with the latest conatt and the latest public
// release, both of earlier records: an attacker who holds all three and
// assumes people were only added since pins nothing in any of them. After
// 3 people, every table that changed would show fewer people than before
// (what rose by 1 to 4 is hidden), and is withheld: its readers keep the
// earlier release's. After 40, tables are shown again.
func TestConattCheckedWithEarlierConattAndPublic(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		for _, added := range []int{3, 40} {
			t.Run(fmt.Sprintf("seed_%d/%d_added", seed, added), func(t *testing.T) {
				t.Parallel()
				crossEarlier(t, seed, added)
			})
		}
	}
}

func crossEarlier(t *testing.T, seed uint64, added int) {
	before := population(seed, 25)
	conatt, public, rc, rp := crossProtect(t, before, seed)
	after := append(slices.Clone(before), population(seed+100, 12)[:added]...)
	p := problemOf(after, seed)
	p.Others = []Other{{Tables: tablesOf(conatt), Rules: rc, Back: 1}, {Tables: tablesOf(public), Rules: rp, Back: 1}}
	next, err := ProtectRelease(context.Background(), p, rc)
	if err != nil {
		t.Fatal(err)
	}
	vars := universe(after)
	lp := newProgram(2 * len(vars))
	defer lp.free()
	then := func(j int) []int { return []int{j} }
	now := func(j int) []int { return []int{j, len(vars) + j} }
	m1, p1 := equations(lp, then, vars, conatt, rc)
	m2, p2 := equations(lp, then, vars, public, rp)
	m3, p3 := equations(lp, now, vars, next, rc)
	k := Rules{Threshold: rc.Threshold}
	found := append(pinned(lp, before, m1, p1, k, "conatt then: "), pinned(lp, before, m2, p2, k, "public then: ")...)
	found = append(found, pinned(lp, after, m3, p3, k, "conatt now: ")...)
	if len(found) > 0 {
		t.Errorf("%d hidden counts pinned below %d:\n%s", len(found), rc.Threshold, strings.Join(found, "\n"))
	}
	shown := 0
	was := tablesOf(conatt)
	for _, tb := range next {
		if _, ok := was[tb.ID]; tb.Withheld && !ok {
			t.Errorf("%s is withheld, and so was it in the release before: its readers have none", tb.ID)
		}
		for _, c := range tb.Cells {
			if !c.Hidden {
				shown++
			}
		}
	}
	if shown == 0 && added >= 40 {
		t.Error("nothing shown: the check withheld everything")
	}
}
