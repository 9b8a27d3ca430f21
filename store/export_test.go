package store

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// TestGlotipUnitFollowsTheRules: the unit column of a GLOTIP export names
// the rounding base and the threshold of the rules the release was
// protected with, here raised above the tiers' minimums (conatt hides 1 to
// 5, public rounds to multiples of 10), and the values fit it.
func TestGlotipUnitFollowsTheRules(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{Protection: map[schemas.Tier]disclosure.Rules{
		schemas.TierConatt: {Threshold: 6, Fold: 5},
		schemas.TierPublic: {Threshold: 10, Round: 10, Fold: 5},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ingestGenerated(t, db, 400, 4)
	publish(t, db, schemas.TierConatt, "conatt")
	if err := db.ApproveRelease(ctx, publish(t, db, schemas.TierPublic, "public").ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tier  schemas.Tier
		unit  string
		round int
	}{
		{schemas.TierConatt, "Counts, exact; x: hidden (1 to 5 people, or hidden to protect such a count)", 1},
		{schemas.TierPublic, "Counts, rounded to multiples of 10; x: hidden (1 to 9 people, or hidden to protect such a count)", 10},
		{schemas.TierAdmin, "Counts", 1},
	} {
		_, rows, err := db.GlotipRows(ctx, c.tier, 0)
		if err != nil {
			t.Fatal(err)
		}
		shown := 0
		for _, r := range rows {
			if r[10] != c.unit {
				t.Fatalf("%s: unit %q, want %q", c.tier, r[10], c.unit)
			}
			if r[11] == GlotipHidden {
				continue
			}
			n, err := strconv.Atoi(r[11])
			if err != nil || n%c.round != 0 {
				t.Errorf("%s: value %q, want a multiple of %d", c.tier, r[11], c.round)
			}
			shown++
		}
		if shown == 0 {
			t.Errorf("%s: no value shown in %d rows", c.tier, len(rows))
		}
	}
}
