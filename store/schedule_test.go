package store

import (
	"context"
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
