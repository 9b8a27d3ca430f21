package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestYearPieces: a held part of a table by year is read as today's part
// when it counted today's complete years, else cut at today's last
// complete year into windows of today's parts, and every year it counted
// falls in exactly one piece.
func TestYearPieces(t *testing.T) {
	through := map[string]int{"t": 2024, "t#open": 2024}
	cases := []struct {
		id   string
		then int
		want []yearPiece
	}{
		{"t", 2024, []yearPiece{{id: "t"}}},
		{"t#open", 2024, []yearPiece{{id: "t#open"}}},
		// Before the year's move: its complete years to 2023, its year in
		// progress 2024 (today complete).
		{"t", 2023, []yearPiece{{id: "t@2023", of: "t", through: 2023, variant: true}}},
		{"t#open", 2023, []yearPiece{
			{id: "t#open@2023", of: "t", after: 2023, through: 2024, variant: true},
			{id: "t#open@2023+", of: "t#open", after: 2024, variant: true},
		}},
		// A release made before the parts: every year in one row.
		{"t", 0, []yearPiece{
			{id: "t@all", of: "t", through: 2024, variant: true},
			{id: "t@all+", of: "t#open", after: 2024, variant: true},
		}},
		// After a rollback moved the year in progress back.
		{"t", 2025, []yearPiece{
			{id: "t@2025", of: "t", through: 2024, variant: true},
			{id: "t@2025+", of: "t#open", after: 2024, through: 2025, variant: true},
		}},
		{"t#open", 2025, []yearPiece{{id: "t#open@2025+", of: "t#open", after: 2025, variant: true}}},
	}
	for _, c := range cases {
		got := yearPieces(c.id, c.then, through)
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(yearPiece{})); diff != "" {
			t.Errorf("yearPieces(%s, %d) (-want +got):\n%s", c.id, c.then, diff)
		}
		// Each year the stored part counted is in one piece, and in the
		// part of today that the piece is read with.
		for y := 2015; y <= 2030; y++ {
			_, open := partOf(c.id)
			counted := open && y > c.then || !open && (c.then == 0 || y <= c.then)
			n := 0
			for _, pc := range got {
				if pc.variant && pc.keeps(y) || !pc.variant && counted {
					n++
					if of := pc.of; pc.variant && (of == "t") != (y <= 2024) {
						t.Errorf("yearPieces(%s, %d): %d in %s, read with %s", c.id, c.then, y, pc.id, of)
					}
				}
			}
			if counted && n != 1 || !counted && n != 0 {
				t.Errorf("yearPieces(%s, %d): year %d in %d pieces, counted %v", c.id, c.then, y, n, counted)
			}
		}
	}
}
