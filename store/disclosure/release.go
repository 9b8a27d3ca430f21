package disclosure

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// Atom is one combination of codes found among the records of a measure:
// one code index per column of the Problem (the year itself for year, a bit
// set for a multi-valued dimension), the number of people with it and the
// sum of their record keys (the cell-key method: a cell's key is the sum of
// its people's keys, so the same group of people always has the same key).
type Atom struct {
	Codes []int
	Count int
	Key   uint64
}

// Spec is a table of the release: the people passing Where, counted by By.
type Spec struct {
	ID    string
	By    []schemas.Dim
	Where map[schemas.Dim][]int // code indexes a person must have (any of, for a multi-valued dimension)
	// Through, when not 0, keeps the people of the years up to it only (a
	// table of the complete years); the Problem's Dims then hold the year.
	Through int
	// After, when not 0, keeps the people of the years after it only (a
	// table by year's year in progress, whose complete years are a table
	// of their own, Through: each part is carried over or computed on its
	// own); the Problem's Dims then hold the year.
	After int
	// Shadow marks a table that this release does not publish but one of
	// Problem.Others does (a conatt-only table, checked with a public
	// release): it carries that release's cells into the program and is
	// left out of the result.
	Shadow bool
	// Of names today's table of which this one is a window: a table of
	// the complete years as a held release counted it, up to an earlier
	// (or, after a rollback, a later) year, Carried. What one counts and
	// the other does not is read off the two like a change between
	// releases of one table.
	Of string
	// Carried marks a table this release carries over from an earlier
	// release of its tier (Changed): not published anew, its held
	// releases' cells take part in every check (of this tier's releases
	// too), and it is left out of the result.
	Carried bool
	// From, when not 0, names the release it is carried over from,
	// Problem.Others[From-1]: it changed by fewer than k people since that
	// one (carriedCaps), which may have withheld it.
	From int
	// GrewSince, when not 0, says that this release computes the table
	// (with its measure's other tables of the same years) because some of
	// them changed by k or more people since the release it would have
	// been carried from, the oldest of them Problem.Others[GrewSince-1]:
	// with people only added since, the table's people grew by k or more
	// since that one. A reader who knows the rule reads that off a table
	// computed rather than carried over (a red team read, from one table
	// computed and a nested one carried, a change of 1 to 4).
	GrewSince int
}

// published says whether this release publishes the table's cells.
func (s Spec) published() bool { return !s.Shadow && !s.Carried }

// Other is a release that a reader holds beside this one, read with its
// own rules: a CONATT member reads every conatt release and every public
// one (public is public), so each release is checked together with every
// approved release of both tiers.
type Other struct {
	Tables map[string][]PubCell // its cells by table id (withheld tables left out)
	Rules  Rules
	// Back says which records it counted: 0 today's (the same records),
	// 1 those before the records last changed, 2 those before the change
	// before. An attacker assumes people were only added from one to the
	// next; so does the engine, and when that does not fit today's truth
	// it checks without the releases of other records (Back > 0).
	// Negative: of records today's did not grow from at all (a batch
	// rolled back since); not in the program, only its differences with
	// today's cells that a reader subtracts are hidden.
	Back int
	// Extra lists the blocks of Problem.Extra it counted besides the
	// records Back names (a batch stored, released, then rolled back):
	// the release reads as those records and these people.
	Extra []int
	// Carried names the tables it carried over from an earlier release
	// (by table id as Tables names them, the index in Problem.Others of
	// that release): it says that each changed by fewer than its
	// threshold of people since then.
	Carried map[string]int
	// Grew lists its tables computed rather than carried over because its
	// measure's tables of the same years changed by its threshold or more
	// since another release (Spec.GrewSince, as it was then): with people
	// only added since, their people grew by that many since then.
	Grew []Growth
	// Gone are the people it counted by a version of their record that
	// is no longer today's (updated since), with the codes it counted
	// them by. The program counts them in its cells as known, as if the
	// attacker knew them (a stronger attacker: safe), so that a release
	// before an update still reads as records today's grew from, and
	// its differences with today's stay checked.
	Gone []Atom
}

// Growth is what a held release's table computed rather than carried
// over tells (Other.Grew): the people it counts (Tables, as today's
// release names them: one table, or the pieces of a part of a table by
// year, together) grew by its threshold or more since the release
// Problem.Others[Since].
type Growth struct {
	Tables []string
	Since  int
}

// Problem is everything a release publishes about one measure.
type Problem struct {
	Dims   []schemas.Dim // the columns of Atoms: every dimension the tables use
	Atoms  []Atom
	Tables []Spec
	// Earlier holds, per table, the cells the latest earlier release of the
	// same tier published. An attacker who holds both and assumes that
	// people were only added between them (every combination of codes holds
	// at least as many people now) reads the two as one system; so does the
	// engine, whenever the records did only grow.
	Earlier map[string][]PubCell
	// Others are further releases a reader holds (every approved release of
	// both tiers), each with its own rules. A hidden cell of any of them, or
	// of this one, must not be pinned below the lowest threshold among
	// them; this release's own hidden cells also not below its threshold by
	// the releases of its own tier (those with its rules).
	Others []Other
	// Extra are people that held releases counted and today's records no
	// longer have (a batch rolled back since), one block per group of
	// them that the same releases counted (Other.Extra). Each is a block
	// of unknowns of its own in the program: an attacker reads such a
	// release as the records it grew from plus some people, not as
	// today's less some.
	Extra [][]Atom
	// Floors are what the earlier approved releases of each tier tell of
	// the least count of cells (people are only added: a cell shown as 20
	// then holds at least 20 now). The releases held (Others) imply them;
	// given as well, they tell the choice of the next cell to hide how far
	// a hidden cell can drop. A check reads those of the releases it holds:
	// this tier's alone, or every tier's.
	Floors []Floors
	// Deadline bounds the checking (zero: none). The cells not proven
	// safe by then are treated as unsafe: their tables are withheld.
	Deadline time.Time
}

// Floors are the least counts of cells that the releases of one tier
// tell, per table (Count carrying the least), read with its rules. A floor
// above today's count (the records shrank since, or folded otherwise) is
// not what an attacker can know, and is left out.
type Floors struct {
	Tables map[string][]PubCell
	Rules  Rules
}

// Published is a protected table, frozen into a release.
type Published struct {
	ID       string
	Withheld bool
	Cells    []PubCell // the non-zero cells in key order; hidden ones carry no count
	// WithheldCells are a withheld table's non-zero cells with their exact
	// counts, never published: a later release compares its table with
	// them (Changed), as with a shown table's.
	WithheldCells []PubCell
	Notes         []schemas.Message
	Report        schemas.TableReport
}

// PubCell is one cell of a published table.
type PubCell struct {
	Keys   []int
	Count  int // the published count: exact at tier conatt, rounded at tier public; 0 when hidden
	Hidden bool
	// Exact is the number of people the cell held, never published: a
	// release stores it so that a later release of its tier can tell by
	// how many each cell rose since (Known: it did store it).
	Exact int
	Known bool
}

// OtherIndex is the code index of a category made by folding, in a
// dimension whose code list has no "other" of its own.
const OtherIndex = -2

// maxVariables bounds the linear program of one measure; a release whose
// tables need more withholds the tables of the largest clique (fail closed).
// A variable so that a test can lower it.
var maxVariables = 400_000

// ProtectRelease protects the tables of one measure together, as a release
// publishes them (DESIGN.md, "Protecting people"):
//
//  1. Categories with fewer than r.Fold people fold into "other".
//  2. Counts 1..r.Threshold-1 are hidden (primary). Zeros are shown as zeros.
//  3. At tier public every shown count is rounded to a multiple of r.Round,
//     up or down by the cell key of its people.
//  4. The attacker: every shown number, every hidden cell known to hold at
//     least one person, counts whole and >= 0, the dimensions that are
//     functions of others (sex_age of sex and age_group, ...). The tables
//     become a linear program over the finest combinations an attacker
//     cannot rule out (the cliques of a junction tree of the tables'
//     dimensions, linked on their separators); for every primary cell its
//     largest possible value is found, and while it is below the threshold
//     the shown cell that binds it (non-zero dual) with the fewest people is
//     hidden too.
//  5. Fail closed: a table whose cell cannot be protected, or whose program
//     is too large, does not solve or is not done by p.Deadline, is
//     withheld.
func ProtectRelease(ctx context.Context, p Problem, r Rules) ([]Published, error) {
	for _, s := range p.Tables {
		if (s.Through != 0 || s.After != 0) && !slices.Contains(p.Dims, schemas.DimYear) {
			return nil, fmt.Errorf("release: table %s counts some years only, but the year is not among the problem's dimensions", s.ID)
		}
	}
	atoms, maps := fold(p, r.Fold)
	// The same records give the same release, whatever order they came in:
	// two releases of one population must hide the same cells.
	byCodes := func(a, b Atom) int { return slices.Compare(a.Codes, b.Codes) }
	atoms = slices.Clone(atoms)
	slices.SortFunc(atoms, byCodes)
	tabs := make([]*table, len(p.Tables))
	for i, s := range p.Tables {
		tabs[i] = newTable(p.Dims, s, atoms, r)
	}
	// The releases of this tier (its rules), and those of another.
	var same, cross, unlinked []view
	if p.Earlier != nil {
		same = append(same, view{tables: p.Earlier, rules: r, back: 1, same: true, index: -1})
	}
	lowest := r.Threshold
	refold := false
	for i, o := range p.Others {
		if len(o.Tables) == 0 && len(o.Carried) == 0 {
			// It withheld every table of the measure: it tells nothing
			// of it, and its records need no block of their own. (One
			// that carried a table over tells that the table changed by
			// fewer than its threshold since: heldCaps.)
			continue
		}
		v := view{tables: o.Tables, rules: o.Rules, back: o.Back, same: o.Rules == r, gone: o.Gone, extra: o.Extra, index: i, carried: o.Carried, grew: o.Grew}
		if o.Back < 0 {
			unlinked = append(unlinked, v)
			continue
		}
		if v.same {
			same = append(same, v)
			continue
		}
		cross = append(cross, v)
		lowest = min(lowest, o.Rules.Threshold)
		refold = refold || o.Rules.Fold != r.Fold
	}
	// First the releases of this tier, against this tier's threshold; then,
	// when a release of another tier is held beside it, all of them against
	// the lowest threshold. (When that is this tier's own, the second check
	// proves the first: it holds more.)
	// The people of the held releases that today's records do not have,
	// as today's folding reads them (or their own categories, when the
	// variables are those).
	extra := func(own bool) [][]Atom {
		out := make([][]Atom, len(p.Extra))
		for i, b := range p.Extra {
			for _, a := range b {
				if !own {
					a.Codes = applyFold(p.Dims, maps, a.Codes)
				}
				out[i] = append(out[i], a)
			}
		}
		return out
	}
	if len(cross) == 0 || lowest < r.Threshold {
		plain := check{dims: p.Dims, atoms: atoms, vars: atoms, extra: extra(false), views: same, unlinked: unlinked, k: r.Threshold, floors: floorsOf(p.Floors, r, false)}
		if len(p.Extra) > 0 && maps != nil {
			// A release that counted people today's records do not have
			// may show a category that today's folds (those people were
			// most of it): the variables are the people's own categories,
			// mapped to this release's.
			plain.vars = slices.Clone(p.Atoms)
			slices.SortFunc(plain.vars, byCodes)
			plain.maps, plain.extra = maps, extra(true)
		}
		for {
			err := plain.protect(ctx, tabs, p.Deadline, r)
			if err == nil {
				break
			}
			var big *tooLarge
			if !errors.As(err, &big) {
				return nil, err
			}
			for _, t := range big.tables {
				t.withhold()
			}
		}
	}
	if len(cross) > 0 {
		joint := check{dims: p.Dims, atoms: atoms, vars: atoms, extra: extra(false), views: append(slices.Clone(same), cross...), unlinked: unlinked, k: lowest, shadows: true, floors: floorsOf(p.Floors, r, true)}
		if refold || len(p.Extra) > 0 && maps != nil {
			joint.extra = extra(true)
			// The other release folded by other rules: the variables are
			// the people's own categories, mapped to this release's.
			joint.vars = slices.Clone(p.Atoms)
			slices.SortFunc(joint.vars, byCodes)
			joint.maps = maps
		}
		err := joint.protect(ctx, tabs, p.Deadline, r)
		var big *tooLarge
		if errors.As(err, &big) {
			// Fail closed: the releases held together could not be checked.
			for _, t := range tabs {
				t.withhold()
			}
		} else if err != nil {
			return nil, err
		}
	}
	var out []Published
	for _, t := range tabs {
		if t.spec.published() {
			out = append(out, t.publish(r))
		}
	}
	return out, nil
}

// view is an earlier release held beside this one.
type view struct {
	tables map[string][]PubCell
	rules  Rules
	back   int
	same   bool   // of this release's tier
	gone   []Atom // Other.Gone
	extra  []int  // Other.Extra
	// index is its place in Problem.Others (-1: Problem.Earlier); carried
	// is Other.Carried.
	index   int
	carried map[string]int
	grew    []Growth
}

// blocks lists the blocks of columns of the people the view's release
// counted, once its back has become a block index (buildProgram): its
// records, blocks 0..last-back, and the blocks of Extra it counted.
func (v view) blocks(last int) []int {
	out := upTo(last - v.back)
	for _, e := range v.extra {
		out = append(out, last+1+e)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// upTo is 0..last.
func upTo(last int) []int {
	out := make([]int, last+1)
	for i := range out {
		out[i] = i
	}
	return out
}

// strictSubset reports whether the sorted blocks a are some of b, not all.
func strictSubset(a, b []int) bool {
	if len(a) >= len(b) {
		return false
	}
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

// goneIn counts, per cell of table t as the view's release published it,
// the people it counted that today's records no longer have (Other.Gone).
func (v view) goneIn(dims []schemas.Dim, t *table, then map[int][]int) map[key]int {
	if len(v.gone) == 0 {
		return nil
	}
	out := map[key]int{}
	for _, g := range v.gone {
		for _, k := range t.cellsOf(dims, mapCodes(dims, g.Codes, then)) {
			out[k] += g.Count
		}
	}
	return out
}

// check is one attacker's program: this release's tables over the
// variables vars (whose codes maps turns into the release's categories),
// with the views, every hidden cell to reach k.
type check struct {
	dims  []schemas.Dim
	atoms []Atom // the release's own (folded) atoms
	vars  []Atom // the atoms the variables come from
	// extra are the blocks of people held releases counted that today's
	// records do not have (Problem.Extra), in the codes of vars.
	extra [][]Atom
	maps  []map[int]int
	views []view
	// unlinked are releases held that the program cannot read as records
	// today's grew from (a batch rolled back since, Other.Back < 0): only
	// their differences that anyone reads off two tables are hidden.
	unlinked []view
	k        int
	shadows  bool // the shadow tables take part
	floors   map[string]map[key]int
}

// floorsOf gathers the floors a check reads: of the releases with rules r
// alone, or of all.
func floorsOf(fs []Floors, r Rules, all bool) map[string]map[key]int {
	out := map[string]map[key]int{}
	for _, f := range fs {
		if !all && f.Rules != r {
			continue
		}
		for id, cells := range f.Tables {
			if out[id] == nil {
				out[id] = map[key]int{}
			}
			for _, c := range cells {
				if !slices.Contains(c.Keys, OtherIndex) { // "other" then held other categories
					k := keyOf(c.Keys)
					out[id][k] = max(out[id][k], c.Count)
				}
			}
		}
	}
	return out
}

// today maps a variable's codes to this release's categories.
func (ch *check) today(codes []int) []int { return applyFold(ch.dims, ch.maps, codes) }

// table is a table being protected.
type table struct {
	spec     Spec
	by       []int // columns of the problem
	where    map[int][]int
	yearCol  int // the year's column when spec.Through or spec.After is set, else -1
	cells    []*cell
	index    map[key]*cell
	withheld bool
	// earlierHidden are the cells an earlier release hid, as rows of the
	// program that holds both releases; earlier are all of their cells.
	earlierHidden []*cell
	earlier       []*cell
}

type cell struct {
	keys   key
	count  int
	ckey   uint64
	value  int // the published value (rounded at tier public)
	hidden bool
	row    int // row of the linear program, -1 when none
	cols   []int
	cross  bool // a cell of a release of another tier
	floor  int  // the least it holds by older releases (Problem.Floors), for the check under way
	// Of a held release's cell: the blocks of people it counts (sorted),
	// and whether its count (exact, never published) is known.
	blocks []int
	known  bool
	exact  bool // published exactly
	gone   int  // of its people, those today's records no longer have (Other.Gone)
}

func newTable(dims []schemas.Dim, s Spec, atoms []Atom, r Rules) *table {
	t := &table{spec: s, index: map[key]*cell{}, where: map[int][]int{}, yearCol: -1}
	if s.Through != 0 || s.After != 0 {
		t.yearCol = slices.Index(dims, schemas.DimYear) // present: ProtectRelease refuses a problem without it
	}
	for _, d := range s.By {
		t.by = append(t.by, slices.Index(dims, d))
	}
	for d, codes := range s.Where {
		t.where[slices.Index(dims, d)] = codes
	}
	for _, a := range atoms {
		for _, k := range t.cellsOf(dims, a.Codes) {
			c := t.index[k]
			if c == nil {
				c = &cell{keys: k, row: -1}
				t.index[k] = c
				t.cells = append(t.cells, c)
			}
			c.count += a.Count
			c.ckey += a.Key
		}
	}
	slices.SortFunc(t.cells, func(a, b *cell) int { return compareKeys(a.keys, b.keys) })
	for _, c := range t.cells {
		c.value = c.count
		if !s.published() {
			c.hidden = true // not published by this release
		} else if c.count > 0 && c.count < r.Threshold {
			c.hidden = true
		} else if r.Round > 0 {
			c.value = RoundByKey(c.count, r.Round, c.ckey)
		}
	}
	return t
}

// cellsOf returns the cells of t that a combination of codes counts in:
// none when it fails the table's filter, several when a dimension of the
// table is multi-valued.
func (t *table) cellsOf(dims []schemas.Dim, codes []int) []key {
	if t.yearCol >= 0 && (t.spec.Through != 0 && codes[t.yearCol] > t.spec.Through || codes[t.yearCol] <= t.spec.After) {
		return nil
	}
	for col, allowed := range t.where {
		if !passes(dims[col], codes[col], allowed) {
			return nil
		}
	}
	out := []key{{}}
	for i, col := range t.by {
		d := dims[col]
		if isMulti(d) {
			var next []key
			for _, k := range out {
				for set := uint32(codes[col]); set != 0; set &= set - 1 {
					k[i] = bits.TrailingZeros32(set)
					next = append(next, k)
				}
			}
			out = next
			continue
		}
		for j := range out {
			out[j][i] = codes[col]
		}
	}
	return out
}

func passes(d schemas.Dim, code int, allowed []int) bool {
	for _, a := range allowed {
		if isMulti(d) && a >= 0 && code&(1<<a) != 0 || !isMulti(d) && code == a {
			return true
		}
	}
	return false
}

func isMulti(d schemas.Dim) bool {
	dim, ok := schemas.Lookup(d)
	return ok && dim.Kind == schemas.KindMulti
}

func keyOf(k []int) key {
	var out key
	copy(out[:], k)
	return out
}

func (t *table) withhold() {
	t.withheld = true
	for _, c := range t.cells {
		c.hidden = true
	}
}

// RoundByKey rounds n to a multiple of base: up with probability
// (n mod base) / base, the draw read from the cell key.
func RoundByKey(n, base int, ckey uint64) int {
	rem := n % base
	if rem == 0 {
		return n
	}
	// The top bits of the key are the draw: uniform in [0, base).
	draw := int((ckey >> 32) * uint64(base) >> 32)
	if draw < rem {
		return n - rem + base
	}
	return n - rem
}

// foldable are the dimensions whose rare categories fold into "other":
// long lists of categories of which many are rare. The others keep every
// category and hide what is small.
var foldable = map[schemas.Dim]bool{
	schemas.DimSex: true, schemas.DimCitizenship: true, schemas.DimCountryExploitation: true,
	schemas.DimExploitation: true, schemas.DimExploitationMain: true, schemas.DimBorderPost: true,
	schemas.DimReferringInstitution: true, schemas.DimReportingEntity: true, schemas.DimRecruitment: true,
	schemas.DimSector: true, schemas.DimMigrationStatus: true,
}

// fold merges, per dimension, the categories with fewer than min people in
// the measure into the dimension's "other" (or a new one), and "other" into
// "unknown" when it is still below min. Unknown never folds. It returns the
// folded atoms and, per column, the codes it folded and into what (nil:
// nothing folded).
func fold(p Problem, min int) ([]Atom, []map[int]int) {
	if min <= 0 {
		return p.Atoms, nil
	}
	folded := false
	maps := make([]map[int]int, len(p.Dims))
	for col, d := range p.Dims {
		if !foldable[d] {
			continue
		}
		dim := schemas.MustDim(d)
		totals := map[int]int{}
		for _, a := range p.Atoms {
			for _, code := range codesIn(d, a.Codes[col]) {
				totals[code] += a.Count
			}
		}
		unknown := dim.Index("unknown")
		if unknown < 0 {
			unknown = dim.Index("UNK")
		}
		other := dim.Index("other")
		if other < 0 {
			if isMulti(d) {
				continue // a bit set needs a code of the list to fold into
			}
			other = OtherIndex
		}
		m := map[int]int{}
		otherTotal := totals[other]
		for code, n := range totals {
			if n < min && code != unknown && code != other {
				m[code] = other
				otherTotal += n
			}
		}
		// Other stays itself, however small, where the earlier release
		// showed it: an attacker holding both reads the people who were
		// other then as other now, which the engine's program of the two
		// releases can only follow while they are. (Merged into unknown,
		// they would be read as unknown then too, and a nationality
		// leaving other could pin the other cells of the earlier release.)
		if otherTotal > 0 && otherTotal < min && unknown >= 0 && !earlierShows(p, d, other, min) {
			for code, to := range m {
				if to == other {
					m[code] = unknown
				}
			}
			m[other] = unknown
		}
		if len(m) > 0 {
			maps[col], folded = m, true
		}
	}
	if !folded {
		return p.Atoms, nil
	}
	merged := map[string]int{}
	var out []Atom
	for _, a := range p.Atoms {
		codes := applyFold(p.Dims, maps, a.Codes)
		id := fmt.Sprint(codes)
		if i, ok := merged[id]; ok {
			out[i].Count += a.Count
			out[i].Key += a.Key
			continue
		}
		merged[id] = len(out)
		out = append(out, Atom{Codes: codes, Count: a.Count, Key: a.Key})
	}
	return out, maps
}

// applyFold maps codes by the folding maps (nil: unchanged).
func applyFold(dims []schemas.Dim, maps []map[int]int, codes []int) []int {
	if maps == nil {
		return codes
	}
	codes = slices.Clone(codes)
	for col, m := range maps {
		if m == nil {
			continue
		}
		if isMulti(dims[col]) {
			var set int
			for _, c := range codesIn(dims[col], codes[col]) {
				if to, ok := m[c]; ok {
					c = to
				}
				set |= 1 << c
			}
			codes[col] = set
		} else if to, ok := m[codes[col]]; ok {
			codes[col] = to
		}
	}
	return codes
}

// earlierShows reports whether an earlier release of the same folding
// showed code of d in a table.
func earlierShows(p Problem, d schemas.Dim, code, min int) bool {
	sets := []map[string][]PubCell{p.Earlier}
	for _, o := range p.Others {
		if o.Rules.Fold == min {
			sets = append(sets, o.Tables)
		}
	}
	for _, s := range p.Tables {
		i := slices.Index(s.By, d)
		if i < 0 {
			continue
		}
		for _, set := range sets {
			for _, c := range set[s.ID] {
				if c.Keys[i] == code {
					return true
				}
			}
		}
	}
	return false
}

// groupOf names the set of dimensions a dimension belongs to: dimensions of
// one group are functions of one another or nested (sex_age of sex and
// age_group, age_band in age_group, month in quarter in year, the main form
// and the ICCS code of the forms of exploitation, flow of citizenship), so
// an attacker reasons about them as one.
func groupOf(d schemas.Dim) string {
	switch d {
	case schemas.DimYear, schemas.DimQuarter, schemas.DimMonth:
		return "time"
	case schemas.DimSex, schemas.DimGenderIdentity, schemas.DimAgeGroup, schemas.DimAgeBand, schemas.DimSexAge:
		return "person"
	case schemas.DimExploitation, schemas.DimExploitationMain, schemas.DimICCS, schemas.DimOffence:
		return "forms"
	case schemas.DimCitizenship, schemas.DimFlow, schemas.DimCountryExploitation:
		return "origin"
	}
	return string(d)
}

// tooLarge says which tables need a program larger than maxVariables.
type tooLarge struct{ tables []*table }

func (e *tooLarge) Error() string { return "release: tables too detailed to protect" }

// clique is a set of groups whose combinations are variables of the program.
type clique struct {
	groups []string
	tables []*table
	atoms  [][]int // per variable: one tuple index per group
	// mask says per variable which sources of people it may hold: bit 0
	// today's records, bit 1+e the block e of Problem.Extra (those whose
	// releases' zero cells do not rule it out).
	mask  []uint64
	codes [][]int // per variable: its codes, one per column of the problem
	today [][]int // per variable: its codes as this release's categories
	first int     // column of its first variable
}

// protect builds the attacker's linear program over all the tables still
// published (and the shadow tables, when they take part), and hides more
// until every hidden cell below ch.k can reach it.
func (ch *check) protect(ctx context.Context, tabs []*table, deadline time.Time, r Rules) (err error) {
	dims, atoms := ch.dims, ch.vars
	var live []*table
	published := 0
	for _, t := range tabs {
		if !t.withheld && (ch.shadows || !t.spec.Shadow) {
			live = append(live, t)
			if t.spec.published() {
				published++
			}
		}
	}
	if published == 0 {
		return nil
	}
	for _, t := range live {
		for _, c := range t.cells {
			c.floor = 0
			if f := ch.floors[t.spec.ID][c.keys]; f <= c.count && t.spec.published() {
				c.floor = f
			}
		}
	}
	// The groups of each table, and the combinations of each group that
	// occur (an attacker can rule out fewer; assuming they rule out all
	// others is the cautious side).
	groupDims := map[string][]int{}
	for col, d := range dims {
		g := groupOf(d)
		groupDims[g] = append(groupDims[g], col)
	}
	// With people that held releases counted and today's records do not
	// have (ch.extra, a batch rolled back since), the tuples of theirs
	// too: every block of the program may hold any tuple that occurs,
	// as in the check of the release that counted them.
	if len(ch.extra) > 62 {
		return &tooLarge{tables: live}
	}
	sources := append([][]Atom{atoms}, ch.extra...)
	tuples := map[string][][]int{}
	tupleIndex := map[string]map[string]int{}
	for g, cols := range groupDims {
		tupleIndex[g] = map[string]int{}
		for _, src := range sources {
			for _, a := range src {
				tup := make([]int, len(cols))
				for i, c := range cols {
					tup[i] = a.Codes[c]
				}
				id := fmt.Sprint(tup)
				if _, ok := tupleIndex[g][id]; !ok {
					tupleIndex[g][id] = len(tuples[g])
					tuples[g] = append(tuples[g], tup)
				}
			}
		}
	}
	tableGroups := func(t *table) []string {
		var gs []string
		for _, col := range t.by {
			gs = append(gs, groupOf(dims[col]))
		}
		for col := range t.where {
			gs = append(gs, groupOf(dims[col]))
		}
		if t.yearCol >= 0 {
			gs = append(gs, groupOf(dims[t.yearCol]))
		}
		slices.Sort(gs)
		return slices.Compact(gs)
	}
	cliques, edges := junctionTree(live, tableGroups, groupNames(groupDims))
	// Variables: per clique, the combinations of its groups' tuples that no
	// zero cell of its tables rules out.
	codesOf := func(c *clique, v []int) []int {
		codes := make([]int, len(dims))
		for gi, g := range c.groups {
			for i, col := range groupDims[g] {
				codes[col] = tuples[g][v[gi]][i]
			}
		}
		return codes
	}
	// The held releases that counted each block of Extra: their zero
	// cells rule its combinations out, as today's rule today's out.
	extraViews := make([][]view, len(ch.extra))
	extraCells := make([][]map[string]map[key]bool, len(ch.extra)) // their cells' keys, by table
	for _, v := range ch.views {
		for _, e := range v.extra {
			extraViews[e] = append(extraViews[e], v)
			index := map[string]map[key]bool{}
			for id, cells := range v.tables {
				index[id] = map[key]bool{}
				for _, c := range cells {
					index[id][keyOf(c.Keys)] = true
				}
			}
			extraCells[e] = append(extraCells[e], index)
		}
	}
	// (A block no release held counted tells nothing: no variables.)
	start := uint64(1)
	for e := range ch.extra {
		if len(extraViews[e]) > 0 {
			start |= 1 << (1 + e)
		}
	}
	nvars := 0
	for _, c := range cliques {
		c.first = nvars
		c.atoms = [][]int{{}}
		c.mask = []uint64{start}
		thens := map[int]map[int][]int{}
		then := func(e int, i int) map[int][]int {
			k := e<<16 | i
			if _, ok := thens[k]; !ok {
				thens[k] = earlierCodes(dims, cliques, extraViews[e][i].tables)
			}
			return thens[k]
		}
		for gi, g := range c.groups {
			var next [][]int
			var masks []uint64
			covered := coveredTables(c.tables, tableGroups, c.groups[:gi+1])
			for vi, v := range c.atoms {
				for ti := range tuples[g] {
					m := c.mask[vi]
					w := append(slices.Clone(v), ti)
					codes := codesOf(&clique{groups: c.groups[:gi+1]}, w)
					if m&1 != 0 && ruledOut(dims, covered, ch.today(codes)) {
						m &^= 1
					}
					for e := range ch.extra {
						for i := range extraViews[e] {
							if m&(1<<(1+e)) != 0 && ruledOutThen(dims, covered, extraCells[e][i], mapCodes(dims, codes, then(e, i))) {
								m &^= 1 << (1 + e)
							}
						}
					}
					if m != 0 {
						next, masks = append(next, w), append(masks, m)
					}
				}
				if len(next) > maxVariables {
					return &tooLarge{tables: c.tables}
				}
			}
			c.atoms, c.mask = next, masks
		}
		nvars += len(c.atoms)
		c.codes = make([][]int, len(c.atoms))
		c.today = make([][]int, len(c.atoms))
		for j, v := range c.atoms {
			c.codes[j] = codesOf(c, v)
			c.today[j] = ch.today(c.codes[j])
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if nvars > maxVariables {
		big := cliques[0]
		for _, c := range cliques {
			if len(c.atoms) > len(big.atoms) {
				big = c
			}
		}
		return &tooLarge{tables: big.tables}
	}
	// With an earlier release, the program holds both populations, the
	// earlier one's variables after today's, each combination today at
	// least as large as then. When the records did not only grow (an update,
	// a rollback, a category that folded differently), today's truth does
	// not fit that system: the attacker who assumes it is then wrong, and
	// the engine checks today's release alone.
	views, unlinked := ch.views, slices.Clone(ch.unlinked)
	lp, todayFold := buildProgram(dims, cliques, edges, nvars, len(ch.extra), r, views)
	for len(views) > 0 {
		feasible, decided := lp.feasible()
		if feasible {
			break
		}
		lp.free()
		// First without the releases that counted people today's records
		// do not have (the reading of them as records plus people may be
		// what does not fit), then without every release of other records.
		var kept []view
		keep := func(v view) bool { return v.back == 0 }
		if slices.ContainsFunc(views, func(v view) bool { return len(v.extra) > 0 }) {
			keep = func(v view) bool { return len(v.extra) == 0 }
		}
		for _, v := range views {
			if keep(v) {
				kept = append(kept, v)
			}
		}
		if !decided || len(kept) == len(views) {
			// Not knowing whether the attacker's system holds, or a
			// release of today's records that does not fit them (the
			// engine's reading of its categories is wrong): fail closed.
			for _, t := range live {
				t.withhold()
			}
			return nil
		}
		for _, v := range views {
			if !keep(v) {
				unlinked = append(unlinked, v)
			}
		}
		views = kept
		lp, todayFold = buildProgram(dims, cliques, edges, nvars, len(ch.extra), r, views)
	}
	linked := len(views) > 0
	defer lp.free()
	// Every primary cell must be able to hold the threshold or more; while
	// one cannot, the shown cell that binds it (non-zero dual) with the
	// fewest people is hidden too.
	byRow := map[int]*cell{}
	for _, t := range live {
		for _, cl := range t.cells {
			if !cl.hidden && t.spec.published() {
				byRow[cl.row] = cl
			}
		}
	}
	var todayRows []tableRow // what today's hidden cells tell of their changes (differences)
	withhold := func(t *table) {
		t.withheld = true
		for _, x := range t.cells {
			x.hidden = true
			lp.setBound(x.row, unbounded())
			delete(byRow, x.row)
		}
		for _, tr := range todayRows {
			if tr.t == t {
				lp.setBound(tr.row, unbounded())
			}
		}
		// How today folded a column shows only in its tables.
		for _, col := range t.by {
			shown := false
			for _, o := range live {
				shown = shown || !o.withheld && o.spec.published() && slices.Contains(o.by, col)
			}
			if !shown {
				for _, row := range todayFold[col] {
					lp.setBound(row, unbounded())
				}
			}
		}
	}
	hide := func(cl *cell) {
		cl.hidden = true
		lp.setBound(cl.row, cellBound(cl, r))
		delete(byRow, cl.row)
	}
	// free hides the cheapest shown cells (pattern) that let a sum of
	// columns of table t be none or reach the threshold, while that costs
	// fewer people than t shows; false: not freed (t is then withheld).
	var free func(t *table, cols []int) bool
	// Last (deferred: whichever way the check ends), the hidden cells of
	// each line taken together (lineUnions).
	defer func() {
		if err == nil && linked {
			ch.lineUnions(live, lp, nvars, deadline, free, withhold)
		}
	}()
	// The cells to prove: today's hidden counts below the threshold, the
	// held releases' hidden cells below it, and the differences below it
	// between releases of this tier (differences). A solution of the
	// program in which a cell holds the threshold proves it, whichever
	// cell's maximum it was solved for; hiding more only widens the
	// solutions, so a proven cell stays proven. A difference the attacker
	// cannot tell from none (zeroOK) is proven by a solution in which it is
	// 0 as well.
	// A release held but not in the program (unlinked) still shows its
	// cells: one that today would show at a count 1 to k-1 away from the
	// count that release showed exactly is hidden, as against a linked
	// one (differences). Without the program, nothing proves that today's
	// other cells do not give it away: this hides what a reader sees by
	// subtracting two tables, not what a linear program finds.
	for _, v := range unlinked {
		if !v.same {
			continue
		}
		for _, t := range live {
			// Its cells, and those of its windows (Spec.Of): a table of
			// the complete years as it counted fewer years, a part of a
			// table by year (what the years between or the late records
			// added is read off the two as well).
			helds := [][]PubCell{v.tables[t.spec.ID]}
			for _, w := range live {
				if w.spec.Of == t.spec.ID {
					helds = append(helds, v.tables[w.spec.ID])
				}
			}
			for _, held := range helds {
				then := map[key]PubCell{}
				for _, e := range held {
					then[keyOf(e.Keys)] = e
				}
				for _, cl := range t.cells {
					e, ok := then[cl.keys]
					if b := pubBound(e.Hidden, e.Count, v.rules); !ok || cl.hidden || e.Hidden || b.lo != b.hi || !t.spec.published() {
						continue
					}
					if d := cl.count - e.Count; d != 0 && d > -ch.k && d < ch.k {
						hide(cl)
					}
				}
			}
		}
	}
	var targets, diffs []*target
	ch.carriedCaps(live, lp, nvars, r.Threshold)
	grewRows(live, lp, views, r.Threshold)
	heldCaps(live, lp, views, nvars)
	heldGrowth(live, lp, views, nvars)
	diffs, todayRows = ch.differences(live, lp, nvars, hide)
	for _, t := range live {
		for _, cl := range t.cells {
			if cl.hidden && cl.count < ch.k && t.spec.published() {
				targets = append(targets, &target{cols: cl.cols, t: t})
			}
		}
	}
	proving := map[[2]int]bool{} // the rows of the held releases' hidden cells (one per cell shown alike), with their people gone
	for _, t := range live {
		for _, e := range t.earlierHidden {
			// A held release's hidden cell of the threshold or more (known
			// from its stored count) was hidden for another: nothing to prove.
			if !proving[[2]int{e.row, e.gone}] && !(e.known && e.count >= ch.k) {
				proving[[2]int{e.row, e.gone}] = true
				targets = append(targets, &target{cols: e.cols, t: t, earlier: true, offset: e.gone})
			}
		}
	}
	targets = append(targets, diffs...)
	// The cells hidden for a target rather than for their own count
	// (secondary), and, per proven target, where the solution that proved
	// it put them (witness): the cleanup below shows again the cells that
	// no target needs hidden.
	// Only a release checked alone (the first of its tier) is cleaned up:
	// a cell shown exactly is one every later release must keep to, and a
	// hidden one leaves them room. Cleaned up in a history of small
	// batches (TestFoldedCategoryShownLaterKeepsTheRelease), releases
	// checked with earlier ones showed a few more cells each, and the
	// fourth withheld every table.
	alone := len(ch.views)+len(ch.unlinked)+len(ch.extra)+len(ch.floors) == 0
	var secondary []*cell
	hiddenFor := map[*cell]*target{}
	snap := func() map[int]float64 {
		if !alone {
			return nil
		}
		w := make(map[int]float64, len(secondary))
		for _, c := range secondary {
			if c.hidden {
				w[c.row] = lp.rowValue(c.row)
			}
		}
		return w
	}
	holds := func(tg *target) bool {
		v := lp.sum(tg.cols)
		return v >= tg.goal(ch.k)-1e-6 || tg.zeroOK && v <= 1e-6
	}
	// solve tries to prove tg: by a solution in which it is none (when
	// zeroOK), or by its largest value, which it returns (ok: solved; the
	// duals of that solve then tell what binds it).
	solve := func(tg *target) (best float64, ok, proven bool) {
		if tg.zeroOK {
			if least, ok := lp.minimize(tg.cols); ok && least <= 1e-6 {
				return 0, true, true
			}
		}
		best, ok = lp.maximize(tg.cols)
		return best, ok, ok && best >= tg.goal(ch.k)-1e-6
	}
	withholdUntil := func(tg *target) bool {
		var order []*table
		for _, t := range live {
			if !t.withheld && t.spec.published() {
				order = append(order, t)
			}
		}
		slices.SortStableFunc(order, func(a, b *table) int {
			switch {
			case a == tg.t:
				return -1
			case b == tg.t:
				return 1
			}
			return shownPeople(a) - shownPeople(b)
		})
		for _, t := range order {
			withhold(t)
			if _, _, proven := solve(tg); proven {
				tg.proven, tg.witness = true, snap()
				return true
			}
		}
		return false
	}
	// Every change that may be none, pulled down at once; then one
	// solution that pushes every unproven cell up at once proves many of
	// them; again over those left, while that proves more. The rest are
	// solved one by one.
	var zero []int
	for _, tg := range targets {
		if tg.zeroOK {
			zero = append(zero, tg.cols...)
		}
	}
	if len(zero) > 0 {
		slices.Sort(zero)
		if _, ok := lp.minimize(slices.Compact(zero)); ok {
			for _, tg := range targets {
				if !tg.proven && tg.zeroOK && lp.sum(tg.cols) <= 1e-6 {
					tg.proven, tg.witness = true, snap()
				}
			}
		}
	}
	for {
		var cols []int
		seen := map[int]bool{}
		left := 0
		for _, tg := range targets {
			if tg.proven {
				continue
			}
			left++
			for _, c := range tg.cols {
				if !seen[c] {
					seen[c] = true
					cols = append(cols, c)
				}
			}
		}
		if left < 2 {
			break
		}
		if _, ok := lp.maximize(cols); !ok {
			break
		}
		more := false
		var w map[int]float64
		for _, o := range targets {
			if !o.proven && holds(o) {
				if w == nil {
					w = snap()
				}
				o.proven, o.witness, more = true, w, true
			}
		}
		if !more {
			break
		}
	}
	// declined is, per group of people (a cell key: the same people in
	// every table), the people of the tables withheld rather than hide a
	// shown cell of theirs: a large group (the total, and the cells that
	// hold everybody, such as border post "none") that binds the targets
	// of many tables is hidden once what withholding them costs passes it.
	declined := map[uint64]int{}
	free = func(t *table, cols []int) bool {
		tg := &target{cols: cols, t: t, zeroOK: true}
		cost := 0
		for range len(byRow) + 1 {
			if err := ctx.Err(); err != nil || !deadline.IsZero() && time.Now().After(deadline) {
				return false
			}
			if _, ok, proven := solve(tg); proven || !ok {
				return proven
			}
			pattern := ch.pattern(lp, tg, byRow, declined, r)
			for _, c := range pattern {
				cost += c.count
			}
			if len(pattern) == 0 || cost > shownPeople(t) {
				return false
			}
			for _, c := range pattern {
				c.hidden = true
				lp.setBound(c.row, cellBound(c, r))
				delete(byRow, c.row)
			}
		}
		return false
	}
	for _, tg := range targets {
		// The cells hidden for this target, and what was proven before
		// them. Checked with an earlier release, a target that needs more
		// hidden cells than its own table has, or whose largest value has
		// not risen over the last stallLimit cells hidden for it, or whose
		// next cell to hide holds more people than its table shows,
		// withholds its table instead and frees them again: many shown
		// cells bind it at once (a cell of people added since the earlier
		// release, which every margin holding them bounds), each costing a
		// solve and most of them hidden for nothing. A release checked alone raises such a
		// count in the end, and keeps its table (UNODC's Costa Rica 2021:
		// hiding the one man hides the women too, and more elsewhere).
		var picks []*cell
		var provenBefore []bool
		lastBest, stalled := math.Inf(-1), 0
		for !tg.proven && (tg.earlier || !tg.t.withheld) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				// Out of time: what is not proven is not published.
				if tg.earlier {
					for _, x := range live {
						withhold(x)
					}
					return nil
				}
				withhold(tg.t)
				break
			}
			best, ok, proven := solve(tg)
			if proven {
				w := snap()
				for _, o := range targets {
					if !o.proven && (o == tg || holds(o)) {
						o.proven, o.witness = true, w
					}
				}
				break
			}
			// The pick: the shown cell binding the target (non-zero dual)
			// that loses the fewest people for what hiding it frees. Hidden,
			// a cell may hold more without limit, and fewer down to the
			// least that the releases held tell (its floor): a cell of people
			// all counted before frees nothing below.
			var pick *cell
			var binding []*cell
			bestScore, bestDual := 0.0, 0.0
			if ok {
				need := tg.goal(ch.k) - best
				for row, s := range byRow {
					d := lp.dual(row)
					if math.Abs(d) < 1e-9 {
						continue
					}
					free := need
					if d < 0 {
						free = min(need, room(s, r))
					}
					if free < 1e-9 {
						continue
					}
					binding = append(binding, s)
					score := float64(s.count) / free
					if declined[s.ckey] > 0 && declined[s.ckey]+shownPeople(tg.t) >= s.count {
						score = 0 // its people bound tables withheld that, with this one, hold more
					}
					d = math.Abs(d)
					if pick == nil || score < bestScore || score == bestScore && (d > bestDual || d == bestDual && s.row < pick.row) {
						pick, bestScore, bestDual = s, score, d
					}
				}
			}
			if ok && best > lastBest+1e-6 {
				lastBest, stalled = best, 0
			} else {
				stalled++
			}
			// Rather than the one cell the dual values name (where many
			// shown cells limit the count together, a degenerate optimum,
			// hiding that one frees nothing and the table ends withheld),
			// the cheapest set of shown cells whose moving lets the count
			// reach the threshold is hidden at once.
			var pattern []*cell
			if ok && pick != nil {
				pattern = ch.pattern(lp, tg, byRow, declined, r)
				if pattern == nil {
					pick = nil // hiding every shown cell would not free it
				} else if len(pattern) > 0 {
					pick = pattern[0]
					for _, c := range pattern {
						if c.count-declined[c.ckey] > pick.count-declined[pick.ckey] {
							pick = c // the largest, for the rule below
						}
					}
				}
			}
			if pick != nil && !tg.earlier && linked && (len(picks)+max(len(pattern), 1) > len(tg.t.cells) || len(pattern) == 0 && stalled > stallLimit || pick.count > shownPeople(tg.t)+declined[pick.ckey]) {
				// Shown again, the cells hidden for this target only narrow
				// the program back to where every target proven before them
				// was proven; the withheld table only widens it.
				for _, c := range picks {
					c.hidden = false
					lp.setBound(c.row, cellBound(c, r))
					byRow[c.row] = c
				}
				if provenBefore != nil { // nil: nothing hidden for it yet
					for i, o := range targets {
						o.proven = provenBefore[i]
					}
				}
				// What withholding it costs is charged to every group of
				// people that bound it and held more than it shows (too
				// large to hide for it alone): one that binds the targets
				// of many tables is hidden once they held more than it.
				seen := map[uint64]bool{}
				for _, c := range binding {
					if c.count > shownPeople(tg.t) && !seen[c.ckey] {
						seen[c.ckey] = true
						declined[c.ckey] += shownPeople(tg.t)
					}
				}
				withhold(tg.t)
				break
			}
			if pick != nil {
				if picks == nil {
					provenBefore = make([]bool, len(targets))
					for i, o := range targets {
						provenBefore[i] = o.proven
					}
				}
				if len(pattern) == 0 {
					pattern = []*cell{pick}
				}
				for _, c := range pattern {
					picks = append(picks, c)
					secondary = append(secondary, c)
					hiddenFor[c] = tg
					c.hidden = true
					lp.setBound(c.row, cellBound(c, r))
					delete(byRow, c.row)
				}
				continue
			}
			// Nothing shown binds it, or the solver gave up: withhold its
			// table; what today shows pins a cell of the earlier release:
			// withhold today's tables of the measure (fail closed).
			if !tg.earlier {
				withhold(tg.t)
				break
			}
			// Today's tables pin it with no one shown cell to blame (the
			// optimum is degenerate): withhold them one by one, its own
			// first, then those showing the fewest people, until it is
			// proven; all of them if need be (fail closed).
			if ok && withholdUntil(tg) {
				break
			}
			for _, x := range live {
				withhold(x)
			}
			return nil
		}
	}
	// Cleanup: a cell hidden for one target may have become needless once
	// later cells were hidden for others (the greedy choice hid every cell
	// of two years of victims by year and sex, 49% of its people shown,
	// where the men of one year need not be: 57%). Largest first, each
	// secondary cell of a table that shows less than its useful share
	// (usefulShare) is shown again while every target stays proven: a
	// target whose witness put the cell at its count needs no solve; the
	// others are proven again, the one it was hidden for first (the
	// likeliest to fail), and if one is not, the cell stays hidden. A
	// target is proven again by the solution nearest the published counts
	// (program.nearest: the fewest people moved off them), so that its new
	// witness leaves the next cells where they are. Each step keeps the
	// release proven: running out of time only stops it early.
	if !alone {
		return nil
	}
	slices.SortStableFunc(secondary, func(a, b *cell) int { return b.count - a.count })
	owner := map[*cell]*table{}
	for _, t := range live {
		for _, c := range t.cells {
			owner[c] = t
		}
	}
	// The secondary cells, held at their counts in a copy of the program
	// (nearest), each free to leave them.
	var cands []*cell
	for _, c := range secondary {
		if t := owner[c]; c.hidden && c.row >= 0 && !slices.Contains(cands, c) && t != nil && !t.withheld && t.spec.published() {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	rows, bounds, down := make([]int, len(cands)), make([]rowBound, len(cands)), make([]float64, len(cands))
	for i, c := range cands {
		c.hidden = false
		rows[i], bounds[i], down[i] = c.row, cellBound(c, r), room(c, r)
		c.hidden = true
	}
	sums := make([][]int, len(targets))
	index := make(map[*target]int, len(targets))
	for i, tg := range targets {
		sums[i], index[tg] = tg.cols, i
	}
	near := lp.nearest(rows, bounds, down, nil, sums)
	defer near.free()
	reprove := func(tg *target) bool {
		if !tg.zeroOK {
			_, at, feasible, ok := near.reach(index[tg], tg.goal(ch.k))
			if ok {
				if feasible {
					tg.witness = make(map[int]float64, len(rows))
					for i, row := range rows {
						if cands[i].hidden {
							tg.witness[row] = at[i]
						}
					}
				}
				return feasible
			}
		}
		_, _, proven := solve(tg)
		if proven {
			tg.witness = snap()
		}
		return proven
	}
	for i, c := range cands {
		if t := owner[c]; float64(shownPeople(t)) >= usefulShare(r)*float64(t.people()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		c.hidden = false
		shown := cellBound(c, r)
		lp.setBound(c.row, shown)
		near.hold(i, true)
		var need []*target
		for _, tg := range targets {
			if !tg.proven || !tg.earlier && tg.t.withheld {
				continue
			}
			if v, ok := tg.witness[c.row]; ok && (v < shown.lo-1e-6 || v > shown.hi+1e-6) {
				need = append(need, tg)
			}
		}
		if i := slices.Index(need, hiddenFor[c]); i > 0 {
			need[0], need[i] = need[i], need[0]
		}
		kept := true
		for _, tg := range need {
			if !reprove(tg) {
				kept = false
				break
			}
		}
		if kept {
			byRow[c.row] = c
			continue
		}
		c.hidden = true
		lp.setBound(c.row, cellBound(c, r))
		near.hold(i, false)
	}
	return nil
}

// pattern is the cheapest set of today's shown cells (byRow) whose hiding
// lets tg reach the threshold (lp.relax): each person a cell's count moves
// costs its count, or nearly nothing for a group of people already
// charged with more withheld tables than it holds (declined). It is nil
// when hiding every shown cell would not free tg, or when the solver did
// not tell, and empty when tg needs nothing hidden.
func (ch *check) pattern(lp *program, tg *target, byRow map[int]*cell, declined map[uint64]int, r Rules) []*cell {
	rows := slices.Sorted(maps.Keys(byRow))
	down, cost := make([]float64, len(rows)), make([]float64, len(rows))
	for i, row := range rows {
		c := byRow[row]
		down[i], cost[i] = room(c, r), float64(c.count)
		if declined[c.ckey] > 0 && declined[c.ckey] >= c.count {
			cost[i] = 1e-3
		}
	}
	moved, feasible, ok := lp.relax(tg.cols, tg.goal(ch.k), rows, down, cost)
	if !ok || !feasible {
		return nil
	}
	out := []*cell{}
	for i, row := range rows {
		if moved[i] > 1e-6 {
			out = append(out, byRow[row])
		}
	}
	return out
}

// target is a count the program must let reach the threshold: a hidden
// cell of today's release or of a held one (earlier), or what a cell
// gained between two releases (zeroOK: or none, when nothing published
// tells that it changed).
type target struct {
	cols    []int
	offset  int // people of the cell known outside cols (cell.gone): cols must reach the threshold less these
	t       *table
	earlier bool // of held releases: today's tables can only be withheld or hide more for it
	proven  bool
	zeroOK  bool
	// witness is, of the solution that proved it, the sums of the rows of
	// the secondary cells hidden then: shown again at its count, a cell
	// whose row summed to that count leaves the proof standing.
	witness map[int]float64
}

// goal is what tg's columns must reach for its cell to reach k.
func (tg *target) goal(k int) float64 { return float64(k - tg.offset) }

// differences protects what a cell gained between two releases of this
// tier. Two releases that both show a cell exactly give its difference
// away: one person added between them, and every cell she falls in rises
// by 1, which describes her (her year, sex, age, nationality, form of
// exploitation, ...). So a cell that today would show a rise (or fall) of
// 1 to k-1 since a release of this tier that showed it exactly is hidden
// (primary), and every difference of 1 to k-1 (today's against each held
// release, and between any two held releases) becomes a
// target: the program must let it be k or more, or (when nothing
// published tells that it changed) none. The attacker is granted that a
// cell shown before and hidden now, or shown at another value, gained
// somebody (a row: at least 1). The counts come from what each release
// stored (PubCell.Exact); a release that stored none keeps the earlier
// rule: what it hid stays hidden.
//
// It returns the differences to prove, and the rows it added for today's
// (what today's release tells).
func (ch *check) differences(live []*table, lp *program, nvars int, hide func(*cell)) ([]*target, []tableRow) {
	if nvars == 0 {
		return nil, nil
	}
	today := upTo(lp.chain)
	after := func(cols []int, before []int) []int { return lp.live(addedSince(cols, before, nvars)) }
	type pair struct {
		t     *table
		es    []*cell // the held releases' cells of one tier, oldest first
		today *cell   // nil for the other tier's
	}
	// The held releases of the other tier too (in the check of both): what
	// today publishes must not pin a difference between two of them
	// either, and a shadow table carries theirs.
	var pairs []pair
	for _, t := range live {
		for _, cross := range []bool{false, true} {
			if t.spec.Shadow && !cross {
				continue
			}
			byKey := map[key][]*cell{}
			for _, e := range t.earlier {
				if e.cross == cross {
					byKey[e.keys] = append(byKey[e.keys], e)
				}
			}
			for _, k := range slices.SortedFunc(maps.Keys(byKey), compareKeys) {
				es := byKey[k]
				slices.SortStableFunc(es, func(a, b *cell) int { return len(a.blocks) - len(b.blocks) })
				p := pair{t: t, es: es}
				if !cross {
					// A carried table's cells today are not published,
					// but today's other tables may tell them: what they
					// gained is a target too.
					p.today = t.index[k]
				} else if cl := t.index[k]; cl != nil && t.spec.published() {
					// And what today's cell gained since the other
					// tier's: a public value is the count give or take
					// a few, and with a conatt release that carried the
					// table over ("fewer than 5 changed") it pinned what
					// a cell gained since the conatt release before to
					// 1 to 4 (a red team read, from a conatt count of 65
					// and a public 70 of the same complete years, that a
					// male suspect had been added). Of the same people
					// only (the tiers fold otherwise).
					same := true
					for _, e := range es {
						same = same && sameVars(cl.cols, e.cols, nvars)
					}
					if same {
						p.today = cl
					}
				}
				pairs = append(pairs, p)
			}
		}
	}
	// Windows of one table (Spec.Of): today's table of the complete years
	// and a held release's of another last year. What the wider counts
	// and the other does not (the years between, late records) is read
	// off the two like a change between releases of one table (a red
	// team read 74 such changes of 1 to 4 people off the releases before
	// and after the year's move: a Colombian man, victim in 2024).
	var families [][]*table // today's table first, then its windows
	for _, t := range live {
		if t.spec.Of != "" {
			continue
		}
		f := []*table{t}
		for _, v := range live {
			if v.spec.Of == t.spec.ID {
				f = append(f, v)
			}
		}
		if len(f) > 1 {
			families = append(families, f)
		}
	}
	// wider: years up to b include and exceed those up to a (0: every year).
	wider := func(a, b int) bool { return a != b && (b == 0 || a != 0 && a < b) }
	within := func(a, b []int) bool { return slices.Equal(a, b) || strictSubset(a, b) }
	minus := func(a, b []int) []int {
		drop := make(map[int]bool, len(b))
		for _, c := range b {
			drop[c] = true
		}
		out := make([]int, 0, len(a))
		for _, c := range a {
			if !drop[c] {
				out = append(out, c)
			}
		}
		return lp.live(out)
	}
	for _, f := range families {
		base := f[0]
		if !base.spec.published() {
			continue
		}
		for _, v := range f[1:] {
			for _, e := range v.earlier {
				cl := base.index[e.keys]
				if cl == nil || cl.hidden || e.cross || !e.known || !e.exact {
					continue
				}
				if d := cl.count - e.count; d != 0 && d > -ch.k && d < ch.k {
					hide(cl)
				}
			}
		}
	}
	// First what must be hidden, then the targets: whether an attacker sees
	// a change depends on what is hidden.
	for _, p := range pairs {
		cl := p.today
		if cl == nil {
			continue
		}
		for _, e := range p.es {
			switch {
			case e.cross:
				// (Values of another tier: a change is not read off them.)
			case !e.known:
				if e.hidden && !cl.hidden {
					hide(cl)
				}
			case !slices.Equal(e.blocks, today) && e.exact && !cl.hidden:
				if d := cl.count - e.count; d != 0 && d > -ch.k && d < ch.k {
					hide(cl)
				}
			}
		}
	}
	var out []*target
	var todayRows []tableRow
	seen := map[string]int{} // the index in out of a difference over the same columns
	add := func(t *table, before, after *cell, cols []int, earlier bool) {
		// What today's people in the cell gained (its people gone since
		// out of both counts).
		d := after.count - after.gone - (before.count - before.gone)
		if d <= 0 || d >= ch.k || len(cols) == 0 {
			return
		}
		// Shown before and hidden now, or shown at another value: told to
		// have changed (not so a carried table, which shows as before).
		// (Between releases of two tiers, values are not compared: a
		// public value is the count give or take a few.)
		changed := !before.hidden && (after.hidden || after.value != before.value) && (earlier || t.spec.published()) && before.cross == after.cross
		sig := fmt.Sprint(cols)
		i, ok := seen[sig]
		if ok && (!changed || !out[i].zeroOK) {
			return
		}
		if changed {
			row := lp.addLiveRow(cols, ones(len(cols)), atLeast(1))
			if !earlier {
				todayRows = append(todayRows, tableRow{t, row})
			}
		}
		if ok {
			out[i].zeroOK = false // the same people, told to have changed elsewhere
			return
		}
		seen[sig] = len(out)
		// A carried table's target, like a held release's, can only be
		// proven by today's published tables hiding more or withheld.
		out = append(out, &target{cols: cols, t: t, earlier: earlier || !t.spec.published(), zeroOK: !changed})
	}
	for _, p := range pairs {
		for i, e := range p.es {
			if !e.known {
				continue
			}
			if cl := p.today; cl != nil && strictSubset(e.blocks, today) {
				add(p.t, e, cl, after(cl.cols, e.blocks), false)
			} else if cl != nil && strictSubset(today, e.blocks) {
				// A release of today's records and people since rolled
				// back: what those people added to its cells.
				add(p.t, cl, e, after(e.cols, today), true)
			}
			// Between two held releases, every pair, not only the
			// consecutive ones: each difference along the way may reach
			// 0 or the threshold while their sum, what an attacker
			// reads between the first and the last, is pinned. A
			// difference they both show exactly was published before
			// this rule, and nothing today can take it back.
			for _, b := range p.es[:i] {
				if b.known && strictSubset(b.blocks, e.blocks) && !(b.exact && e.exact) {
					add(p.t, b, e, after(e.cols, b.blocks), true)
				}
			}
		}
	}
	for _, f := range families {
		base := f[0]
		type windowed struct {
			c       *cell
			through int
		}
		var held []windowed
		for _, g := range f {
			for _, e := range g.earlier {
				if e.known {
					held = append(held, windowed{e, g.spec.Through})
				}
			}
		}
		// A table by year: two cells of one key count one year, whatever
		// years each window counts, so the same people but those added
		// between (a part of the years counted otherwise then).
		byYear := slices.Contains(base.spec.By, schemas.DimYear)
		for _, a := range held {
			if cl := base.index[a.c.keys]; cl != nil && !a.c.cross {
				switch {
				case (byYear || wider(a.through, base.spec.Through)) && within(a.c.blocks, today):
					add(base, a.c, cl, minus(cl.cols, a.c.cols), false)
				case (byYear || wider(base.spec.Through, a.through)) && within(today, a.c.blocks):
					add(base, cl, a.c, minus(a.c.cols, cl.cols), true)
				}
			}
			for _, b := range held {
				if a.c.keys == b.c.keys && a.c.cross == b.c.cross && (byYear && !slices.Equal(a.c.blocks, b.c.blocks) || wider(a.through, b.through)) &&
					within(a.c.blocks, b.c.blocks) && !(a.c.exact && b.c.exact) {
					add(base, a.c, b.c, minus(b.c.cols, a.c.cols), true)
				}
			}
		}
	}
	// A held release of this tier that did not publish a table (withheld
	// or carried over then) may still tell what it would have shown, from
	// its other tables: what today's cells gained since is a target too,
	// one that nothing published tells changed. (Its count then is not
	// known here; a change of none or of k and more proves itself.)
	held := map[string][]int{}
	for _, t := range live {
		for _, e := range t.earlier {
			if !e.cross && strictSubset(e.blocks, today) {
				held[fmt.Sprint(e.blocks)] = e.blocks
			}
		}
	}
	for _, t := range live {
		if !t.spec.published() {
			continue
		}
		has := map[string]bool{}
		for _, e := range t.earlier {
			if !e.cross {
				has[fmt.Sprint(e.blocks)] = true
			}
		}
		for _, u := range slices.Sorted(maps.Keys(held)) {
			if has[u] {
				continue
			}
			for _, cl := range t.cells {
				cols := after(cl.cols, held[u])
				sig := fmt.Sprint(cols)
				if _, ok := seen[sig]; ok || len(cols) == 0 {
					continue
				}
				seen[sig] = len(out)
				out = append(out, &target{cols: cols, t: t, zeroOK: true})
			}
		}
	}
	return out, todayRows
}

// sameVars reports whether two cells' columns hold the same combinations
// of codes (variables), whatever their blocks.
func sameVars(a, b []int, nvars int) bool {
	va, vb := map[int]bool{}, map[int]bool{}
	for _, c := range a {
		va[c%nvars] = true
	}
	for _, c := range b {
		vb[c%nvars] = true
	}
	return maps.Equal(va, vb)
}

// addedSince keeps the columns of cols in blocks other than before's: the
// people added since a release that counted the blocks before.
func addedSince(cols, before []int, nvars int) []int {
	out := make([]int, 0, len(cols))
	for _, c := range cols {
		if _, ok := slices.BinarySearch(before, c/nvars); !ok {
			out = append(out, c)
		}
	}
	return out
}

// lineUnions protects what the hidden cells of one line of a table (the
// same codes but in one dimension) gained together since a held release
// of this tier: those hidden today or in that release. With the line's
// margin and its other cells shown in both releases, their sum is as
// good as published in both, and so is its change: a red team read that
// 2 smuggled migrants of sex "other" or "unknown" were added for 2024
// between two monthly releases (hidden then, shown at 5 and 6 after),
// each cell alone open. Run on the final pattern (hiding changes the
// lines), where the program cannot make what a line gained together (1
// to k-1) none or k and more, it hides the cheapest shown cells that let
// it (free: the line then holds them too, and every line is read again,
// until none changes), or withholds the table when that costs more people
// than the table shows (and, out of time, without solving: fail closed).
// Withheld rather than one more cell hidden, the smuggled migrants' table
// by year and sex showed none of the year in progress (some 400 people)
// in most months of a year of monthly releases.
func (ch *check) lineUnions(live []*table, lp *program, nvars int, deadline time.Time, free func(*table, []int) bool, withhold func(*table)) {
	if nvars == 0 {
		return
	}
	if free == nil {
		free = func(*table, []int) bool { return false }
	}
	for more := true; more; {
		more = ch.lineUnionsOnce(live, lp, nvars, deadline, free, withhold)
	}
}

// lineUnionsOnce is one reading of every line (lineUnions); true when it
// hid more cells, which changes the lines.
func (ch *check) lineUnionsOnce(live []*table, lp *program, nvars int, deadline time.Time, free func(*table, []int) bool, withhold func(*table)) (hid bool) {
	today := upTo(lp.chain)
	type release struct {
		blocks []int
		cells  map[key]*cell
	}
	for _, t := range live {
		if t.withheld || !t.spec.published() || slices.ContainsFunc(t.spec.By, isMulti) {
			continue
		}
		held := map[string]*release{}
		for _, e := range t.earlier {
			if e.cross || !strictSubset(e.blocks, today) {
				continue
			}
			b := fmt.Sprint(e.blocks)
			if held[b] == nil {
				held[b] = &release{blocks: e.blocks, cells: map[key]*cell{}}
			}
			held[b].cells[e.keys] = e
		}
		if len(held) == 0 {
			continue
		}
	dims:
		for d := range t.spec.By {
			for _, b := range slices.Sorted(maps.Keys(held)) {
				h := held[b]
				// A line's hidden keys, today's and that release's: the
				// sum of them both is known in both.
				lines := map[key][]key{}
				note := func(k key) {
					lk := k
					lk[d] = math.MinInt
					if !slices.Contains(lines[lk], k) {
						lines[lk] = append(lines[lk], k)
					}
				}
				for _, c := range t.cells {
					if c.hidden {
						note(c.keys)
					}
				}
				for _, e := range h.cells {
					if e.hidden {
						note(e.keys)
					}
				}
				for _, lk := range slices.SortedFunc(maps.Keys(lines), compareKeys) {
					keys := lines[lk]
					if len(keys) < 2 {
						continue
					}
					gained, known := 0, true
					var cols []int
					for _, k := range keys {
						if c := t.index[k]; c != nil {
							gained += c.count
							cols = append(cols, addedSince(c.cols, h.blocks, nvars)...)
						}
						if e := h.cells[k]; e != nil {
							known = known && e.known
							gained -= e.count - e.gone
						}
					}
					cols = lp.live(cols)
					if !known || gained < 1 || gained >= ch.k || len(cols) == 0 {
						continue
					}
					if !deadline.IsZero() && time.Now().After(deadline) {
						withhold(t)
						break dims
					}
					if lo, ok := lp.minimize(cols); ok && lo <= 1e-6 {
						continue
					}
					if hi, ok := lp.maximize(cols); ok && hi >= float64(ch.k)-1e-6 {
						continue
					}
					if free(t, cols) {
						hid = true
					} else {
						withhold(t)
					}
					break dims
				}
			}
		}
	}
	return hid
}

// carriedCaps adds what a table carried over tells: it changed by fewer
// than k people (its tier's threshold) since the release it is carried
// from (Spec.From; the store's rule, Changed), so its total moved by less
// than k since then. A reader who knows the rule reads that off the note
// "unchanged since"; with a cell the next release hid as changed, a red team pinned
// that cell's gain to 3 or 4. Read against the release it is carried
// from alone: since an older one it may have changed by more (a row
// saying otherwise left no solution, and every table of the measure was
// withheld; so did one read against an older release that showed the
// table when the one it was carried from had withheld it). (Tables with
// a multi-valued dimension, whose rule counts the total of their
// population, give the same through the tables of that population;
// releases with people rolled back since are left out, and those with
// people updated since unless they showed the table.)
func (ch *check) carriedCaps(live []*table, lp *program, nvars int, k int) {
	today := upTo(lp.chain)
	views, _ := asBlocks(ch.views)
	for _, t := range live {
		if !t.spec.Carried || t.spec.From == 0 || t.spec.Of != "" || slices.ContainsFunc(t.spec.By, isMulti) {
			continue
		}
		i := slices.IndexFunc(views, func(v view) bool { return v.index == t.spec.From-1 })
		if i < 0 || len(views[i].extra) > 0 {
			continue // not linked
		}
		from := views[i].blocks(lp.chain)
		if !strictSubset(from, today) {
			continue
		}
		now := map[int]bool{}
		vars := map[int]bool{}
		for _, cl := range t.cells {
			for _, c := range cl.cols {
				now[c] = true
				vars[c%nvars] = true
			}
		}
		then := map[key]*cell{}
		for _, e := range t.earlier {
			if !e.cross && slices.Equal(e.blocks, from) {
				then[e.keys] = e
			}
		}
		known := len(then) > 0
		for _, e := range then {
			known = known && e.known
		}
		if !known {
			// It withheld the table (or did not store its exact counts):
			// the people added since, with nobody gone.
			if len(views[i].gone) > 0 {
				continue
			}
			if cols := addedCols(today, from, vars, nvars); len(cols) > 0 {
				lp.addRow(cols, ones(len(cols)), between(0, float64(k-1)))
			}
			continue
		}
		coef := map[int]float64{}
		for c := range now {
			coef[c]++
		}
		gone := 0
		for _, e := range then {
			for _, c := range e.cols {
				coef[c]--
			}
			gone += e.gone
		}
		var cols []int
		var vals []float64
		for _, c := range slices.Sorted(maps.Keys(coef)) {
			if coef[c] != 0 {
				cols, vals = append(cols, c), append(vals, coef[c])
			}
		}
		// today's total - (then's columns + its people gone since)
		lp.addRow(cols, vals, between(float64(gone-(k-1)), float64(gone+k-1)))
	}
}

// grewRows adds what a table computed rather than carried over says
// (Spec.GrewSince): its people grew by k or more since the release it
// names, when that release is held and linked, with nobody gone or rolled
// back since (else the rule's change need not be growth).
func grewRows(live []*table, lp *program, views []view, k int) {
	views, _ = asBlocks(views)
	for _, t := range live {
		// (The measure's people of those years: a table with a filter
		// counts some of them, whose growth the rule does not bound.)
		if t.spec.GrewSince == 0 || !t.spec.published() || t.spec.Of != "" || len(t.spec.Where) > 0 || slices.ContainsFunc(t.spec.By, isMulti) {
			continue
		}
		i := slices.IndexFunc(views, func(v view) bool { return v.index == t.spec.GrewSince-1 })
		if i < 0 || len(views[i].gone) > 0 || len(views[i].extra) > 0 {
			continue
		}
		vb := views[i].blocks(lp.chain)
		coef := map[int]float64{}
		for _, cl := range t.cells {
			for _, c := range cl.cols {
				coef[c]++
			}
		}
		found := false
		for _, e := range t.earlier {
			if e.cross || !slices.Equal(e.blocks, vb) {
				continue
			}
			if !e.known || e.gone > 0 {
				found = false
				break
			}
			found = true
			for _, c := range e.cols {
				coef[c]--
			}
		}
		if !found {
			continue
		}
		var cols []int
		var vals []float64
		for _, c := range slices.Sorted(maps.Keys(coef)) {
			if coef[c] != 0 {
				cols, vals = append(cols, c), append(vals, coef[c])
			}
		}
		// (By the threshold the store compared with: the lower of this
		// tier's and that release's, raised since perhaps.)
		lp.addRow(cols, vals, atLeast(float64(min(k, views[i].rules.Threshold))))
	}
}

// addedCols are the columns of the variables vars in the blocks of vb
// that ob does not have: the people of those combinations added between
// a release that counted ob and one that counted vb.
func addedCols(vb, ob []int, vars map[int]bool, nvars int) []int {
	var cols []int
	for _, b := range vb {
		if _, before := slices.BinarySearch(ob, b); before {
			continue
		}
		for _, j := range slices.Sorted(maps.Keys(vars)) {
			cols = append(cols, b*nvars+j)
		}
	}
	return cols
}

// heldGrowth adds what the held releases' tables computed rather than
// carried over tell (Other.Grew), as grewRows does today's: their
// measure's people of those years grew by the lower of the two releases'
// thresholds or more between the release compared with and the one that
// computed them. The store decided so from its exact counts, and its
// readers see the decision; a check of today's release alone left it
// out. As grewRows: unfiltered tables without a multi-valued dimension,
// between releases of records today's grew from, with nobody updated or
// rolled back since (people only added, so the rule's change is growth).
func heldGrowth(live []*table, lp *program, views []view, nvars int) {
	views, _ = asBlocks(views)
	byIndex := map[int]view{}
	for _, v := range views {
		byIndex[v.index] = v
	}
	byID := map[string]*table{}
	for _, t := range live {
		byID[t.spec.ID] = t
	}
	seen := map[string]bool{}
	for _, v := range views {
		if len(v.grew) == 0 || len(v.gone) > 0 || len(v.extra) > 0 {
			continue
		}
		vb := v.blocks(lp.chain)
		for _, g := range v.grew {
			o, ok := byIndex[g.Since]
			if !ok || len(o.gone) > 0 || len(o.extra) > 0 || !strictSubset(o.blocks(lp.chain), vb) {
				continue
			}
			ob := o.blocks(lp.chain)
			// The people of those years are those of any unfiltered
			// table without a multi-valued dimension among them; a
			// filtered or multi-valued one changed by no more than they
			// grew, so its change bounds their growth too.
			vars := map[int]bool{}
			for _, id := range g.Tables {
				t := byID[id]
				if t == nil || len(t.spec.Where) > 0 || slices.ContainsFunc(t.spec.By, isMulti) {
					continue
				}
				for _, cl := range t.cells {
					for _, c := range cl.cols {
						vars[c%nvars] = true
					}
				}
			}
			cols := addedCols(vb, ob, vars, nvars)
			sig := fmt.Sprint(cols)
			if len(cols) == 0 || seen[sig] {
				continue
			}
			seen[sig] = true
			lp.addRow(cols, ones(len(cols)), atLeast(float64(min(v.rules.Threshold, o.rules.Threshold))))
		}
	}
}

// heldCaps adds what a held release says of the tables it carried over:
// each changed by fewer than its threshold of people since the release it
// carried it from, so the people added between the two in the table's
// population are fewer (a reader of both tiers read, from a conatt total
// carried over and a public cell hidden as changed, that 2024 had gained
// 1 to 4 victims). Only between releases of records today's grew from,
// the later of more records, with nobody gone or rolled back since.
func heldCaps(live []*table, lp *program, views []view, nvars int) {
	views, _ = asBlocks(views)
	byIndex := map[int]view{}
	for _, v := range views {
		byIndex[v.index] = v
	}
	for _, v := range views {
		if len(v.carried) == 0 || len(v.gone) > 0 || len(v.extra) > 0 {
			continue
		}
		vb := v.blocks(lp.chain)
		for _, id := range slices.Sorted(maps.Keys(v.carried)) {
			o, ok := byIndex[v.carried[id]]
			if !ok || len(o.gone) > 0 || len(o.extra) > 0 {
				continue
			}
			ob := o.blocks(lp.chain)
			i := slices.IndexFunc(live, func(t *table) bool { return t.spec.ID == id })
			if i < 0 || !strictSubset(ob, vb) {
				continue
			}
			vars := map[int]bool{}
			for _, cl := range live[i].cells {
				for _, c := range cl.cols {
					vars[c%nvars] = true
				}
			}
			cols := addedCols(vb, ob, vars, nvars)
			if len(cols) > 0 {
				lp.addRow(cols, ones(len(cols)), between(0, float64(v.rules.Threshold-1)))
			}
		}
	}
}

// tableRow is a row of the program that a table of today's release tells.
type tableRow struct {
	t   *table
	row int
}

// shownPeople is the number of people in a table's shown cells: what
// withholding it costs (a release checked with an earlier one withholds the
// table rather than hide a cell of more people for one of its counts: a
// grand total, say, for a cell of people added since).
func shownPeople(t *table) int {
	n := 0
	for _, c := range t.cells {
		if !c.hidden {
			n += c.count
		}
	}
	return n
}

// usefulShare is the share of a table's people that its shown cells
// should hold at the least: half at tier conatt, 40% at tier public (the
// issue of the second design: hiding everything is safe and worthless).
// The cleanup of a check shows cells again only in tables below it: a cell
// shown exactly is one a later release checked with this one must keep
// to, and a cell hidden leaves it room.
func usefulShare(r Rules) float64 {
	if r.Round > 0 {
		return .4
	}
	return .5
}

// people is the number of people a table counts (in all its cells).
func (t *table) people() int {
	n := 0
	for _, c := range t.cells {
		n += c.count
	}
	return n
}

// stallLimit is how many cells may be hidden for one target of a release
// checked with an earlier one without its largest value rising before its
// table is withheld instead.
const stallLimit = 5

// cellBound is what the attacker knows of a cell's people: its number when
// shown (give or take the rounding at tier public, and never below the
// threshold), at least one when hidden.
func cellBound(c *cell, r Rules) rowBound {
	b := pubBound(c.hidden, c.value, r)
	b.lo = max(b.lo, float64(c.floor))
	return b
}

// room is how many fewer people shown cell c may hold once hidden.
func room(c *cell, r Rules) float64 {
	hidden := *c
	hidden.hidden = true
	return cellBound(c, r).lo - cellBound(&hidden, r).lo
}

// Least is the least count a cell published as value (not hidden) holds.
func (r Rules) Least(value int) int {
	return int(pubBound(false, value, r).lo)
}

func pubBound(hidden bool, value int, r Rules) rowBound {
	switch {
	case hidden:
		return atLeast(1)
	case r.Round > 0:
		// A shown count is never 1..threshold-1: those are hidden.
		return between(float64(max(r.Threshold, value-r.Round+1)), float64(value+r.Round-1))
	default:
		return exactly(float64(value))
	}
}

func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func groupNames(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for g := range m {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// coveredTables are the tables whose groups are all among gs.
func coveredTables(tabs []*table, groupsOf func(*table) []string, gs []string) []*table {
	var out []*table
	for _, t := range tabs {
		all := true
		for _, g := range groupsOf(t) {
			if !slices.Contains(gs, g) {
				all = false
				break
			}
		}
		if all {
			out = append(out, t)
		}
	}
	return out
}

// ruledOut reports whether a combination falls in a cell that a table shows
// as zero: then nobody has it, as the attacker knows.
func ruledOut(dims []schemas.Dim, tabs []*table, codes []int) bool {
	for _, t := range tabs {
		for _, k := range t.cellsOf(dims, codes) {
			if _, ok := t.index[k]; !ok {
				return true
			}
		}
	}
	return false
}

// ruledOutThen reports whether a combination (as a held release's
// categories) falls in no cell of that release's tables among tabs: then
// nobody it counted had it.
func ruledOutThen(dims []schemas.Dim, tabs []*table, then map[string]map[key]bool, codes []int) bool {
	for _, t := range tabs {
		cells := then[t.spec.ID]
		if len(cells) == 0 {
			continue // not in that release
		}
		for _, k := range t.cellsOf(dims, codes) {
			if !cells[k] {
				return true
			}
		}
	}
	return false
}

// junctionTree joins the groups that tables cross into cliques (a
// triangulation of the graph whose edges join the groups of one table) and
// links the cliques into a tree on their shared groups. Given the counts of
// a separator, the cliques on either side are independent; so the joint
// program is the cliques' variables tied on their separators. Each table
// goes to one clique holding all its groups.
func junctionTree(tabs []*table, groupsOf func(*table) []string, all []string) ([]*clique, [][2]int) {
	adj := map[string]map[string]bool{}
	for _, g := range all {
		adj[g] = map[string]bool{}
	}
	for _, t := range tabs {
		gs := groupsOf(t)
		for _, a := range gs {
			for _, b := range gs {
				if a != b {
					adj[a][b] = true
				}
			}
		}
	}
	// Eliminate the vertex needing the fewest fill-in edges first.
	left := slices.Clone(all)
	var sets [][]string
	for len(left) > 0 {
		bestI, bestFill := 0, -1
		for i, v := range left {
			fill := 0
			nb := neighbours(adj, v, left)
			for x := range nb {
				for y := x + 1; y < len(nb); y++ {
					if !adj[nb[x]][nb[y]] {
						fill++
					}
				}
			}
			if bestFill < 0 || fill < bestFill {
				bestI, bestFill = i, fill
			}
		}
		v := left[bestI]
		nb := neighbours(adj, v, left)
		for _, x := range nb {
			for _, y := range nb {
				if x != y {
					adj[x][y] = true
				}
			}
		}
		set := append([]string{v}, nb...)
		slices.Sort(set)
		sets = append(sets, set)
		left = slices.Delete(left, bestI, bestI+1)
	}
	// Keep the maximal sets.
	var cliques []*clique
	for i, s := range sets {
		maximal := true
		for j, o := range sets {
			if i != j && len(o) >= len(s) && subset(s, o) && (len(o) > len(s) || j < i) {
				maximal = false
				break
			}
		}
		if maximal {
			cliques = append(cliques, &clique{groups: s})
		}
	}
	for _, t := range tabs {
		gs := groupsOf(t)
		for _, c := range cliques {
			if subset(gs, c.groups) {
				c.tables = append(c.tables, t)
				break
			}
		}
	}
	// A maximum spanning tree on the size of the separators (Kruskal);
	// cliques with nothing in common join on the grand total.
	type edge struct{ a, b, w int }
	var es []edge
	for i := range cliques {
		for j := i + 1; j < len(cliques); j++ {
			es = append(es, edge{i, j, len(intersect(cliques[i].groups, cliques[j].groups))})
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].w > es[j].w })
	parent := make([]int, len(cliques))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	var edges [][2]int
	for _, e := range es {
		if a, b := find(e.a), find(e.b); a != b {
			parent[a] = b
			edges = append(edges, [2]int{e.a, e.b})
		}
	}
	return cliques, edges
}

func neighbours(adj map[string]map[string]bool, v string, among []string) []string {
	var out []string
	for _, x := range among {
		if x != v && adj[v][x] {
			out = append(out, x)
		}
	}
	return out
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func compareKeys(a, b key) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// publish lays a protected table out with its notes and report.
func (t *table) publish(r Rules) Published {
	p := Published{ID: t.spec.ID, Withheld: t.withheld}
	n := len(t.spec.By)
	rep := schemas.TableReport{ID: t.spec.ID, Withheld: t.withheld}
	for _, c := range t.cells {
		rep.Cells++
		rep.People += c.count
		if c.hidden {
			rep.Hidden++
		} else {
			rep.ShownPeople += c.count
		}
		if t.withheld {
			if c.count > 0 {
				p.WithheldCells = append(p.WithheldCells, PubCell{Keys: slices.Clone(c.keys[:n]), Hidden: true, Exact: c.count, Known: true})
			}
			continue
		}
		pc := PubCell{Keys: slices.Clone(c.keys[:n]), Hidden: c.hidden, Exact: c.count, Known: true}
		if !c.hidden {
			pc.Count = c.value
		}
		p.Cells = append(p.Cells, pc)
	}
	p.Report = rep
	if t.withheld {
		p.Notes = append(p.Notes, schemas.Message{
			ES: "Tabla retenida: publicarla dejaría deducir alguna cifra pequeña, con las demás tablas de la publicación o, frente a publicaciones anteriores, de las personas añadidas desde entonces.",
			EN: "Table withheld: publishing it would let some small count be worked out, with the release's other tables or, against earlier releases, of the people added since.",
		})
		return p
	}
	if rep.Hidden > 0 {
		p.Notes = append(p.Notes, schemas.Message{
			ES: fmt.Sprintf("hidden: cifra oculta. Oculta de 1 a %d personas, o se oculta para que una cifra así no pueda deducirse de las demás tablas de la publicación.", r.Threshold-1),
			EN: fmt.Sprintf("hidden: hidden count. It hides 1 to %d people, or is hidden so that such a count cannot be worked out from the release's other tables.", r.Threshold-1),
		})
	}
	if r.Round > 0 {
		p.Notes = append(p.Notes, schemas.Message{
			ES: fmt.Sprintf("Las cifras están redondeadas a múltiplos de %d; el mismo grupo de personas da siempre la misma cifra, así que filas y totales pueden no sumar.", r.Round),
			EN: fmt.Sprintf("Counts are rounded to multiples of %d; the same group of people always gives the same number, so rows and totals need not add up.", r.Round),
		})
	}
	// Said of every dimension that may fold, whether or not anything
	// folded: said only where something did, it told that some category
	// held 1 to Fold-1 people (a red team read, from a suspects' table by
	// sex that showed female, male and unknown with the note, that 1 to 4
	// suspects were of sex "other").
	var grouped []string
	for _, d := range t.spec.By {
		if foldable[d] && r.Fold > 0 {
			grouped = append(grouped, string(d))
		}
	}
	if len(grouped) > 0 {
		p.Notes = append(p.Notes, schemas.Message{
			ES: fmt.Sprintf("%s: las categorías con menos de %d personas en la publicación se agrupan en «other» (otras) o «unknown».", strings.Join(grouped, ", "), r.Fold),
			EN: fmt.Sprintf("%s: categories with fewer than %d people in the release are grouped as other or unknown.", strings.Join(grouped, ", "), r.Fold),
		})
	}
	p.Notes = append(p.Notes, unknownShares(t.spec.By, p.Cells, r)...)
	return p
}

// The notes of unknownShares, and what recognises them (IsUnknownShare).
const (
	unknownShareES = "%s: sin dato en alrededor del %d %%"
	unknownShareEN = "%s: unknown for about %d%%"
)

var unknownShareRE = regexp.MustCompile(`^.+: unknown for about \d+%$`)

// IsUnknownShare reports whether a note is one of UnknownShares': a table
// read as the sum of its parts (a table by year's complete years and year
// in progress) says its own, not its parts'.
func IsUnknownShare(m schemas.Message) bool { return unknownShareRE.MatchString(m.EN) }

// UnknownShares is unknownShares for the cells of a published table.
func UnknownShares(by []schemas.Dim, cells []PubCell, r Rules) []schemas.Message {
	return unknownShares(by, cells, r)
}

// unknownShares says how much of a table is unknown, per dimension, from
// published numbers only: when every cell is shown, and the table is large
// enough that the 10% band holds at least the threshold.
func unknownShares(by []schemas.Dim, cells []PubCell, r Rules) []schemas.Message {
	total := 0
	for _, c := range cells {
		if c.Hidden {
			return nil
		}
		total += c.Count
	}
	var out []schemas.Message
	if total < 10*r.Threshold {
		return nil
	}
	for i, d := range by {
		dim := schemas.MustDim(d)
		if d == schemas.DimYear || isMulti(d) {
			continue
		}
		unknown := 0
		for _, c := range cells {
			if k := c.Keys[i]; k >= 0 && k < len(dim.Codes) && (dim.Codes[k].Code == "unknown" || dim.Codes[k].Code == "UNK") {
				unknown += c.Count
			}
		}
		share := int(math.Round(float64(unknown)/float64(total)*10)) * 10
		out = append(out, schemas.Message{
			ES: fmt.Sprintf(unknownShareES, dim.Label("es"), share),
			EN: fmt.Sprintf(unknownShareEN, dim.Label("en"), share),
		})
	}
	return out
}

// buildProgram writes the attacker's program: one row per published cell
// over the variables of its table's clique, and rows tying neighbouring
// cliques on their separators. With earlier releases, the people of each
// combination are those it had in the oldest records held (columns
// 0..nvars) and those added at each change since (one more block of nvars
// columns each, at least zero): a release of the records back b changes
// ago has rows over the blocks up to the last minus b, today's over all.
// Each release is read with its own rules.
// buildProgram also returns, per column, the rows that hold what today's
// folding tells (a category shown as itself holds at least r.Fold people
// today; one a held release showed and today's does not, fewer): known
// only through today's tables of that column, they are freed once every
// one of them is withheld.
// asBlocks returns a copy of views with each back a block index (records
// that changed between two held releases and that no held release counted
// in between are one block), and the last block of today's records.
func asBlocks(views []view) ([]view, int) {
	cuts := []int{0}
	for _, v := range views {
		cuts = append(cuts, v.back)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	views = slices.Clone(views)
	for i := range views {
		views[i].back = slices.Index(cuts, views[i].back)
	}
	return views, len(cuts) - 1
}

func buildProgram(dims []schemas.Dim, cliques []*clique, edges [][2]int, nvars, nextra int, r Rules, views []view) (*program, map[int][]int) {
	// One block of columns per population a held release counted: records
	// that changed between two of them and no held release counted in
	// between are one block (a check of one tier's releases skips those of
	// the other).
	views, last := asBlocks(views)
	// After the blocks of today's records, one block per group of people
	// held releases counted and today's records do not have.
	lp := newProgram(nvars * (last + 1 + nextra))
	lp.chain = last
	// The columns the held releases prove to be zero leave every row: the
	// same program, smaller (zeroColumns); so do those of a source that
	// cannot hold the combination (clique.mask).
	lp.fixed = zeroColumns(dims, cliques, nvars, last, nextra, views)
	for _, c := range cliques {
		for j, m := range c.mask {
			for b := 0; b <= last+nextra; b++ {
				if bit := uint64(1) << max(0, b-last); m&bit == 0 {
					lp.fixed[b*nvars+c.first+j] = true
				}
			}
		}
	}
	for j, z := range lp.fixed {
		if z {
			lp.fixZero(j)
		}
	}
	// blocks lists the columns of variable j in the blocks bs.
	blocks := func(j int, bs []int) []int {
		out := make([]int, 0, len(bs))
		for _, b := range bs {
			out = append(out, b*nvars+j)
		}
		return out
	}
	todayBlocks := upTo(last)
	for _, c := range cliques {
		for _, t := range c.tables {
			t.earlierHidden, t.earlier = nil, nil
			for _, cl := range t.cells {
				cl.cols = cl.cols[:0]
			}
			for j := range c.atoms {
				if c.mask[j]&1 == 0 {
					continue // held by none of today's records
				}
				for _, k := range t.cellsOf(dims, c.today[j]) {
					if cl := t.index[k]; cl != nil {
						cl.cols = append(cl.cols, blocks(c.first+j, todayBlocks)...)
					}
				}
			}
			for _, cl := range t.cells {
				b := cellBound(cl, r)
				if !t.spec.published() {
					b = unbounded() // not published by this release
				}
				cl.row = lp.addRow(cl.cols, ones(len(cl.cols)), b)
			}
		}
	}
	for b := 0; b <= last+nextra; b++ {
		lp.separators(cliques, edges, b*nvars)
	}
	// The folding rule is known: a category published as itself holds at
	// least r.Fold people of the release.
	todayCodes := func(c *clique, j int) []int { return c.today[j] }
	ownCodes := func(c *clique, j int) []int { return c.codes[j] }
	present := foldedCodes(dims, cliques, r, todayCodes)
	todayFold := map[int][]int{}
	// Only for the dimensions this release publishes a table of: a shadow
	// table's dimension says nothing of how this release folded it.
	shows := map[int]bool{}
	for _, c := range cliques {
		for _, t := range c.tables {
			if t.spec.published() {
				for _, col := range t.by {
					shows[col] = true
				}
			}
		}
	}
	for col := range present {
		if !shows[col] {
			delete(present, col)
		}
	}
	for _, col := range sortedCols(present) {
		for _, code := range present[col] {
			if row := lp.foldBound(dims, cliques, col, code, todayCodes, nvars, todayBlocks, atLeast(float64(r.Fold))); row >= 0 {
				todayFold[col] = append(todayFold[col], row)
			}
		}
	}
	seen := map[string]int{} // the rows of the held releases' cells, by columns and bounds
	// The categories some held release shows as themselves: known to
	// exist whatever today's release shows.
	held := map[int][]int{}
	for _, v := range views {
		for col, codes := range earlierCodes(dims, cliques, v.tables) {
			for _, code := range codes {
				if !isUnknownOrOther(dims[col], code) && !slices.Contains(held[col], code) {
					held[col] = append(held[col], code)
				}
			}
		}
	}
	for _, v := range views {
		upto := v.blocks(last)
		// An earlier release folded by its rule: a category it did not
		// publish as itself was in "other" (or "unknown") then, with fewer
		// than its Fold people; one it published had at least that many.
		then := earlierCodes(dims, cliques, v.tables)
		mapThen := func(c *clique, j int) []int { return mapCodes(dims, c.codes[j], then) }
		if v.rules.Fold > 0 {
			for _, col := range sortedCols(then) {
				codes := then[col]
				for _, code := range codes {
					if !isUnknownOrOther(dims[col], code) {
						lp.foldBound(dims, cliques, col, code, mapThen, nvars, upto, atLeast(float64(v.rules.Fold)))
					}
				}
				// (Only for the categories a release shows, today's or a
				// held one: an attacker does not know which others exist,
				// so cannot bound "other" by them. Known from today's
				// tables only, the bound goes when they are withheld.)
				known := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(held[col]), present[col]...))))
				// A category absent from its tables of the column was
				// folded, or had nobody in their people: of the release's
				// people, when they count every year (a table by year's
				// parts both computed, say), else of each table's (a
				// release that computed one part only, the other carried
				// over, told nothing of the other part's years).
				whole := coversAll(cliques, v, col)
				for _, code := range known {
					if slices.Contains(codes, code) {
						continue
					}
					b := between(0, float64(v.rules.Fold-1))
					var rows []int
					if whole {
						rows = append(rows, lp.foldBound(dims, cliques, col, code, ownCodes, nvars, upto, b))
					} else {
						for _, c := range cliques {
							for _, t := range c.tables {
								if len(v.tables[t.spec.ID]) > 0 && slices.Contains(t.by, col) {
									rows = append(rows, lp.foldBoundIn(dims, c, t, col, code, nvars, upto, b))
								}
							}
						}
					}
					for _, row := range rows {
						if row >= 0 && !slices.Contains(held[col], code) {
							todayFold[col] = append(todayFold[col], row)
						}
					}
				}
			}
		}
		// And this release folded by its rule: a category that release
		// shows and this one does not has fewer than r.Fold people now.
		if r.Fold > 0 {
			for _, col := range sortedCols(then) {
				if _, ok := present[col]; !ok {
					continue // this release shows no category of it
				}
				for _, code := range then[col] {
					if !isUnknownOrOther(dims[col], code) && !slices.Contains(present[col], code) {
						if row := lp.foldBound(dims, cliques, col, code, ownCodes, nvars, todayBlocks, between(0, float64(r.Fold-1))); row >= 0 {
							todayFold[col] = append(todayFold[col], row)
						}
					}
				}
			}
		}
		for _, c := range cliques {
			for _, t := range c.tables {
				cells := map[key]*cell{}
				gone := v.goneIn(dims, t, then)
				for _, e := range v.tables[t.spec.ID] {
					b := pubBound(e.Hidden, e.Count, v.rules)
					cells[keyOf(e.Keys)] = &cell{keys: keyOf(e.Keys), value: e.Count, hidden: e.Hidden, row: -1, cross: !v.same,
						count: e.Exact, known: e.Known, blocks: upto, exact: !e.Hidden && b.lo == b.hi, gone: gone[keyOf(e.Keys)]}
				}
				if len(cells) == 0 {
					continue // not in that release
				}
				for j := range c.atoms {
					for _, k := range t.cellsOf(dims, mapThen(c, j)) {
						if e := cells[k]; e != nil {
							e.cols = append(e.cols, blocks(c.first+j, upto)...)
						} else {
							for _, col := range blocks(c.first+j, upto) {
								lp.fixZero(col) // nobody then
							}
						}
					}
				}
				for _, k := range slices.SortedFunc(maps.Keys(cells), compareKeys) {
					e := cells[k]
					// A cell that several releases held show alike (the
					// same count over the same people, once the empty
					// columns are out) is one row, and one cell to prove.
					// Its people gone since are known: the row bounds
					// the others.
					b := pubBound(e.hidden, e.value, v.rules)
					b.lo, b.hi = b.lo-float64(e.gone), b.hi-float64(e.gone)
					sig := fmt.Sprint(lp.live(e.cols), b)
					if row, ok := seen[sig]; ok {
						e.row = row
					} else {
						e.row = lp.addRow(e.cols, ones(len(e.cols)), b)
						seen[sig] = e.row
					}
					if e.hidden {
						t.earlierHidden = append(t.earlierHidden, e)
					}
					t.earlier = append(t.earlier, e)
				}
			}
		}
	}
	return lp, todayFold
}

// zeroColumns marks the columns that the held releases prove hold nobody:
// a combination none of a release's cells holds had nobody at that
// release's records or before; and a cell that two releases of records
// b < c both publish exactly, with the same count and over the same
// combinations, gained nobody between them, so each of its combinations
// holds nobody in the records added after b up to c. The program implies
// both; marked, they leave its rows (a release a 30-row batch after the one
// before then keeps about a quarter of the combinations in its block,
// measured at 2,000 records, rather than all of them).
func zeroColumns(dims []schemas.Dim, cliques []*clique, nvars, last, nextra int, views []view) []bool {
	zero := make([]bool, nvars*(last+1+nextra))
	type exact struct {
		blocks []int
		value  int
		vars   []int
	}
	thens := make([]map[int][]int, len(views))
	for i, v := range views {
		thens[i] = earlierCodes(dims, cliques, v.tables)
	}
	for _, c := range cliques {
		for _, t := range c.tables {
			byKey := map[key][]exact{}
			for i, v := range views {
				upto := v.blocks(last)
				cells := map[key]PubCell{}
				for _, e := range v.tables[t.spec.ID] {
					cells[keyOf(e.Keys)] = e
				}
				if len(cells) == 0 {
					continue // not in that release
				}
				gone := v.goneIn(dims, t, thens[i])
				vars := map[key][]int{}
				for j := range c.atoms {
					for _, k := range t.cellsOf(dims, mapCodes(dims, c.codes[j], thens[i])) {
						if _, ok := cells[k]; ok {
							vars[k] = append(vars[k], c.first+j)
							continue
						}
						for _, b := range upto {
							zero[b*nvars+c.first+j] = true // nobody then, nor before
						}
					}
				}
				for k, e := range cells {
					if b := pubBound(e.Hidden, e.Count, v.rules); b.lo == b.hi {
						byKey[k] = append(byKey[k], exact{blocks: upto, value: e.Count - gone[k], vars: vars[k]})
					}
				}
			}
			for _, es := range byKey {
				// (Any two whose people one holds the other's and more.)
				for _, a := range es {
					for _, b := range es {
						if !strictSubset(a.blocks, b.blocks) || a.value != b.value || !slices.Equal(a.vars, b.vars) {
							continue
						}
						for _, blk := range b.blocks {
							if _, ok := slices.BinarySearch(a.blocks, blk); !ok {
								for _, j := range a.vars {
									zero[blk*nvars+j] = true
								}
							}
						}
					}
				}
			}
		}
	}
	return zero
}

// foldedCodes lists, per foldable column, the categories published as
// themselves (not other, not unknown).
func foldedCodes(dims []schemas.Dim, cliques []*clique, r Rules, codesOf func(*clique, int) []int) map[int][]int {
	out := map[int][]int{}
	if r.Fold <= 0 {
		return out
	}
	for col, d := range dims {
		if !foldable[d] {
			continue
		}
		seen := map[int]bool{}
		for _, c := range cliques {
			if !slices.Contains(c.groups, groupOf(d)) {
				continue
			}
			for j := range c.atoms {
				if c.mask[j]&1 == 0 {
					continue // held by none of today's records
				}
				for _, code := range codesIn(d, codesOf(c, j)[col]) {
					if !seen[code] && !isUnknownOrOther(d, code) {
						seen[code] = true
						out[col] = append(out[col], code)
					}
				}
			}
			break
		}
		slices.Sort(out[col])
	}
	return out
}

func sortedCols(m map[int][]int) []int {
	out := make([]int, 0, len(m))
	for col := range m {
		out = append(out, col)
	}
	slices.Sort(out)
	return out
}

// codesIn lists the codes of a value: itself, or the members of a bit set.
func codesIn(d schemas.Dim, v int) []int {
	if !isMulti(d) {
		return []int{v}
	}
	var out []int
	for set := uint32(v); set != 0; set &= set - 1 {
		out = append(out, bits.TrailingZeros32(set))
	}
	return out
}

func isUnknownOrOther(d schemas.Dim, code int) bool {
	if code == OtherIndex {
		return true
	}
	dim := schemas.MustDim(d)
	if code < 0 || code >= len(dim.Codes) {
		return false
	}
	c := dim.Codes[code].Code
	return c == "unknown" || c == "UNK" || c == "other"
}

// foldBoundIn bounds the people of a category (code, in column col) that
// table t counts (its years, its filter), of clique c, in the blocks upto:
// a row, or -1 when it counts none of them.
func (lp *program) foldBoundIn(dims []schemas.Dim, c *clique, t *table, col, code, nvars int, upto []int, b rowBound) int {
	var cols []int
	for j := range c.atoms {
		if slices.Contains(codesIn(dims[col], c.codes[j][col]), code) && len(t.cellsOf(dims, c.codes[j])) > 0 {
			for _, k := range upto {
				cols = append(cols, k*nvars+c.first+j)
			}
		}
	}
	if len(cols) == 0 {
		return -1
	}
	return lp.addRow(cols, ones(len(cols)), b)
}

// coversAll reports whether the tables of a held release (v) by column
// col count every person of the measure between them: one without a
// filter and without a bound on the years, or parts whose years join up.
func coversAll(cliques []*clique, v view, col int) bool {
	type span struct{ lo, hi int } // years lo..hi
	var spans []span
	for _, c := range cliques {
		for _, t := range c.tables {
			if len(v.tables[t.spec.ID]) == 0 || !slices.Contains(t.by, col) || len(t.spec.Where) > 0 {
				continue
			}
			sp := span{math.MinInt, math.MaxInt}
			if t.spec.After != 0 {
				sp.lo = t.spec.After + 1
			}
			if t.spec.Through != 0 {
				sp.hi = t.spec.Through
			}
			spans = append(spans, sp)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	next := math.MinInt // the first year not yet covered
	for _, sp := range spans {
		if sp.lo > next {
			return false
		}
		if sp.hi == math.MaxInt {
			return true
		}
		next = max(next, sp.hi+1)
	}
	return false
}

// foldBound bounds the people of one category of a column, over the
// variables of the first clique holding its group, in the blocks of
// columns upto. It returns the row (-1: no clique holds the group).
func (lp *program) foldBound(dims []schemas.Dim, cliques []*clique, col, code int, codesOf func(*clique, int) []int, nvars int, upto []int, b rowBound) int {
	d := dims[col]
	for _, c := range cliques {
		if !slices.Contains(c.groups, groupOf(d)) {
			continue
		}
		var cols []int
		for j := range c.atoms {
			if slices.Contains(codesIn(d, codesOf(c, j)[col]), code) {
				for _, k := range upto {
					cols = append(cols, k*nvars+c.first+j)
				}
			}
		}
		return lp.addRow(cols, ones(len(cols)), b)
	}
	return -1
}

// earlierCodes lists, per foldable column, the codes the earlier release
// published in any table.
func earlierCodes(dims []schemas.Dim, cliques []*clique, earlier map[string][]PubCell) map[int][]int {
	out := map[int][]int{}
	for _, c := range cliques {
		for _, t := range c.tables {
			for _, e := range earlier[t.spec.ID] {
				for i, col := range t.by {
					if foldable[dims[col]] && !slices.Contains(out[col], e.Keys[i]) {
						out[col] = append(out[col], e.Keys[i])
					}
				}
			}
		}
	}
	for col := range out {
		slices.Sort(out[col])
	}
	return out
}

// mapCodes maps today's codes to the categories the earlier release
// published: a category it did not publish as itself went to "other", or
// to "unknown" when there was no "other".
func mapCodes(dims []schemas.Dim, codes []int, then map[int][]int) []int {
	if len(then) == 0 {
		return codes
	}
	out := slices.Clone(codes)
	for col, known := range then {
		d := dims[col]
		dim := schemas.MustDim(d)
		other := dim.Index("other")
		if other < 0 {
			other = OtherIndex
		}
		unknown := dim.Index("unknown")
		if unknown < 0 {
			unknown = dim.Index("UNK")
		}
		to := func(code int) int {
			switch {
			case slices.Contains(known, code):
				return code
			case slices.Contains(known, other):
				return other
			case unknown >= 0 && slices.Contains(known, unknown):
				return unknown
			}
			return code
		}
		if isMulti(d) {
			set := 0
			for _, code := range codesIn(d, codes[col]) {
				if m := to(code); m >= 0 {
					set |= 1 << m
				}
			}
			out[col] = set
		} else {
			out[col] = to(codes[col])
		}
	}
	return out
}

// separators ties neighbouring cliques on the groups they share: the same
// people, counted twice. Columns start at first.
func (lp *program) separators(cliques []*clique, edges [][2]int, first int) {
	for _, e := range edges {
		a, b := cliques[e[0]], cliques[e[1]]
		sep := intersect(a.groups, b.groups)
		rows := map[string][]int{}
		coef := map[string][]float64{}
		var order []string
		for side, c := range []*clique{a, b} {
			sign := 1.0
			if side == 1 {
				sign = -1
			}
			for j, v := range c.atoms {
				var id []int
				for _, g := range sep {
					id = append(id, v[slices.Index(c.groups, g)])
				}
				k := fmt.Sprint(id)
				if _, ok := rows[k]; !ok {
					order = append(order, k)
				}
				rows[k] = append(rows[k], first+c.first+j)
				coef[k] = append(coef[k], sign)
			}
		}
		for _, k := range order {
			lp.addRow(rows[k], coef[k], exactly(0))
		}
	}
}
