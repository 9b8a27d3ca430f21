package store

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// A table by year is stored, and protected, as two parts: its complete
// years (its own id, a row of release_tables with years_through set, like
// a table of the complete years) and the year in progress (id#open, the
// same years_through). Each part is computed or carried over on its own:
// a month that brings a batch of the year in progress and a few late
// records of the year before carries the complete years over, as the
// tables of the complete years are, and computes the year in progress.
// Computed whole, the cells that the late records changed were hidden as
// changed, the carried totals of the complete years told that fewer than
// k came, and the check withheld every victims' table by year.
const openPart = "#open"

// byYear reports whether a catalogue table is by year (stored in parts).
func byYear(s schemas.TableSpec) bool { return slices.Contains(s.By, schemas.DimYear) }

// partOf returns the catalogue id of a stored part, and whether it is the
// part of the year in progress.
func partOf(id string) (string, bool) { return strings.CutSuffix(id, openPart) }

// withParts returns specs with, after each table by year, its part of the
// year in progress; the table's own id then names its complete years.
func withParts(specs []schemas.TableSpec) []schemas.TableSpec {
	out := make([]schemas.TableSpec, 0, 2*len(specs))
	for _, s := range specs {
		out = append(out, s)
		if byYear(s) {
			o := s
			o.ID += openPart
			out = append(out, o)
		}
	}
	return out
}

// yearPiece is a piece of a held release's stored part of a table by
// year, as the check reads it: today's part itself (variant false), or a
// table of its own counting the years [after+1, through] (0: unbounded)
// that the held part counted and that fall in today's part of (of).
type yearPiece struct {
	id, of         string
	after, through int
	variant        bool
}

// yearPieces splits stored part id of a table by year, whose complete
// years went up to then (0: a release made before the parts, which
// counted every year in one row), by today's complete years (through).
// A part of today's years is today's part; any other is cut at today's
// last complete year into pieces of their own, each read with today's
// part of its years (Spec.Of): the cells of one key count one year, so
// they are the same people but those added since.
func yearPieces(id string, then int, through map[string]int) []yearPiece {
	base, open := partOf(id)
	now := through[base]
	if then != 0 && then == now {
		return []yearPiece{{id: id}}
	}
	lo, hi := math.MinInt, math.MaxInt // the years the stored part counted
	switch {
	case open:
		lo = then + 1
	case then != 0:
		hi = then
	}
	tag := "all"
	if then != 0 {
		tag = strconv.Itoa(then)
	}
	var out []yearPiece
	bounds := func(l, h int) (int, int) {
		after, thru := 0, 0
		if l != math.MinInt {
			after = l - 1
		}
		if h != math.MaxInt {
			thru = h
		}
		return after, thru
	}
	if l, h := lo, min(hi, now); l <= h {
		a, t := bounds(l, h)
		out = append(out, yearPiece{id: id + "@" + tag, of: base, after: a, through: t, variant: true})
	}
	if l, h := max(lo, now+1), hi; l <= h {
		a, t := bounds(l, h)
		out = append(out, yearPiece{id: id + "@" + tag + "+", of: base + openPart, after: a, through: t, variant: true})
	}
	return out
}

// keeps reports whether a cell of the year y falls in the piece.
func (pc yearPiece) keeps(y int) bool {
	return y > pc.after && (pc.through == 0 || y <= pc.through)
}

// cellsOf returns the cells of a stored part that fall in the piece
// (never nil: a piece without cells tells that its years held nobody).
func (pc yearPiece) cellsOf(spec schemas.TableSpec, cells []disclosure.PubCell) []disclosure.PubCell {
	col := slices.Index(spec.By, schemas.DimYear)
	out := []disclosure.PubCell{}
	for _, c := range cells {
		if !pc.variant || pc.keeps(c.Keys[col]) {
			out = append(out, c)
		}
	}
	return out
}

// spec returns the check's table of a piece that is not today's part:
// today's part of its years (tables), counting the piece's years, carried
// (not published), a window of it.
func (pc yearPiece) spec(tables []disclosure.Spec) (disclosure.Spec, bool) {
	i := slices.IndexFunc(tables, func(s disclosure.Spec) bool { return s.ID == pc.of })
	if i < 0 {
		return disclosure.Spec{}, false
	}
	v := tables[i]
	v.ID, v.Through, v.After, v.Shadow, v.Carried, v.Of = pc.id, pc.through, pc.after, false, true, pc.of
	return v, true
}

// byYearID reports whether catalogue table id is by year.
func byYearID(id string) bool {
	i := slices.IndexFunc(schemas.Tables().Tables, func(s schemas.TableSpec) bool { return s.ID == id })
	return i >= 0 && byYear(schemas.Tables().Tables[i])
}

// partYears names the years a part of a table by year counts, for the
// disclosure report ("..2024", "2025..").
func partYears(id string, through int) string {
	if _, open := partOf(id); open {
		return strconv.Itoa(through+1) + ".."
	}
	return ".." + strconv.Itoa(through)
}

// findReport finds the report of a stored table (a part of a table by
// year among its table's parts) in a release's report.
func findReport(reports []schemas.TableReport, id string) (schemas.TableReport, bool) {
	for _, r := range reports {
		for _, p := range r.Parts {
			if p.ID == id {
				return p, true
			}
		}
	}
	for _, r := range reports {
		if r.ID == id && len(r.Parts) == 0 {
			return r, true
		}
	}
	return schemas.TableReport{}, false
}
