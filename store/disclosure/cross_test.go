package disclosure

import (
	"context"
	"fmt"
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
