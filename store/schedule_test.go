package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// A scheduled conatt release is due when none was made in the period.
func TestConattDue(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	ingestGenerated(t, db, 300, 1)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	month := 720 * time.Hour
	if due, _, err := db.ConattDue(ctx, now, month); err != nil || !due {
		t.Fatalf("no release yet: due %v, %v", due, err)
	}
	if _, err := db.PublishRelease(ctx, schemas.TierConatt, "marzo", now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishRelease(ctx, schemas.TierPublic, "public", now.Add(40*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, next, err := db.ConattDue(ctx, now.Add(10*24*time.Hour), month)
	if err != nil || due || !next.Equal(now.Add(month)) {
		t.Errorf("ten days later: due %v, next %v (want %v), %v", due, next, now.Add(month), err)
	}
	if due, _, err := db.ConattDue(ctx, now.Add(month), month); err != nil || !due {
		t.Errorf("a month later (a public release between does not count): due %v, %v", due, err)
	}
}

// At tier public the same group of people keeps its published value in a
// later release: the cell key follows the people. A batch that only adds
// smuggled migrants of a new year leaves every group of the earlier years
// as it was.
func TestPublicValuesFollowThePeople(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	ingestGenerated(t, db, 2000, 5)
	publish(t, db, schemas.TierConatt, "conatt")
	first := publish(t, db, schemas.TierPublic, "primera")
	if err := db.ApproveRelease(ctx, first.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	var recs []schemas.Record
	for i := range 40 {
		recs = append(recs, rec(i+1, fmt.Sprintf("nuevo-%d", i), schemas.RoleSmuggledMigrant, schemas.SexMale, 2031))
	}
	store(t, db, "nuevos.csv", recs...)
	publish(t, db, schemas.TierConatt, "conatt")
	second := publish(t, db, schemas.TierPublic, "segunda")
	if err := db.ApproveRelease(ctx, second.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, id := range []string{"smuggled_migrants_year_sex", "smuggled_migrants_year_border_post", "smuggled_migrants_year_citizenship", "victims_year_sex"} {
		a, err := db.ReleaseTable(ctx, schemas.TierPublic, first.ID, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.ReleaseTable(ctx, schemas.TierPublic, second.ID, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := map[string]*int{}
		for _, r := range a.Rows {
			before[strings.Join(r.Keys, "|")] = r.Count
		}
		for _, r := range b.Rows {
			old, ok := before[strings.Join(r.Keys, "|")]
			if !ok || old == nil || r.Count == nil || r.Keys[0] == "2031" {
				continue
			}
			compared++
			if *old != *r.Count {
				t.Errorf("%s %v: %d in release %d, %d in release %d, the same people", id, r.Keys, *old, first.ID, *r.Count, second.ID)
			}
		}
	}
	if compared < 20 {
		t.Fatalf("only %d cells compared", compared)
	}
}
