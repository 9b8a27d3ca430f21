package schemas

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measure is what an aggregate counts.
type Measure string

// The measures: each counts the people of one role.
const (
	MeasureVictims          Measure = "victims"
	MeasureSmuggledMigrants Measure = "smuggled_migrants"
	MeasureSuspects         Measure = "suspects"
)

// Measures lists the measures in order.
var Measures = []Measure{MeasureVictims, MeasureSmuggledMigrants, MeasureSuspects}

// ParseMeasure validates a measure name.
func ParseMeasure(s string) (Measure, error) {
	for _, m := range Measures {
		if string(m) == s {
			return m, nil
		}
	}
	return "", Invalid("unknown_measure", "medida desconocida %q; use victims, smuggled_migrants o suspects",
		"unknown measure %q; use victims, smuggled_migrants or suspects", s)
}

// Role returns the role a measure counts.
func (m Measure) Role() Role {
	switch m {
	case MeasureSmuggledMigrants:
		return RoleSmuggledMigrant
	case MeasureSuspects:
		return RoleSuspect
	default:
		return RoleVictim
	}
}

// Tier is a level of disclosure control, chosen by the caller's role.
type Tier string

// The tiers of "Protecting people" in DESIGN.md.
const (
	TierAdmin  Tier = "admin"
	TierConatt Tier = "conatt"
	TierPublic Tier = "public"
)

// ParseTier validates a tier name.
func ParseTier(s string) (Tier, error) {
	switch Tier(s) {
	case TierAdmin, TierConatt, TierPublic:
		return Tier(s), nil
	}
	return "", Invalid("unknown_tier", "nivel desconocido %q; use admin, conatt o public",
		"unknown tier %q; use admin, conatt or public", s)
}

// MaxDims is the largest number of dimensions a tier may cross.
func (t Tier) MaxDims() int {
	if t == TierPublic {
		return 2
	}
	return 3
}

// Filter keeps the people whose value in Dim is one of Values. For year,
// FromYear/ToYear give an inclusive range instead (0 = open).
type Filter struct {
	Dim      Dim
	Values   []string
	FromYear int
	ToYear   int
}

// ParseFilter parses "dim=v1,v2" or "year=2019..2023".
func ParseFilter(s string) (Filter, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || v == "" {
		return Filter{}, Invalid("bad_filter", "filtro %q: use DIM=VALOR[,VALOR...]", "filter %q: use DIM=VALUE[,VALUE...]", s)
	}
	d, err := ParseDim(strings.TrimSpace(k))
	if err != nil {
		return Filter{}, err
	}
	f := Filter{Dim: d}
	if d == DimYear {
		if from, to, isRange := strings.Cut(v, ".."); isRange {
			if f.FromYear, err = parseYear(from, true); err != nil {
				return Filter{}, err
			}
			if f.ToYear, err = parseYear(to, true); err != nil {
				return Filter{}, err
			}
			if f.FromYear != 0 && f.ToYear != 0 && f.FromYear > f.ToYear {
				return Filter{}, Invalid("bad_filter", "rango de años %q invertido", "year range %q is reversed", v)
			}
			return f, nil
		}
	}
	for _, x := range strings.Split(v, ",") {
		f.Values = append(f.Values, strings.TrimSpace(x))
	}
	return f, f.validate()
}

func parseYear(s string, open bool) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" && open {
		return 0, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 1900 || y > 2200 {
		return 0, Invalid("bad_year", "%q no es un año", "%q is not a year", s)
	}
	return y, nil
}

func (f Filter) validate() error {
	dim, ok := Lookup(f.Dim)
	if !ok {
		_, err := ParseDim(string(f.Dim))
		return err
	}
	if f.Dim == DimYear {
		for _, v := range f.Values {
			if _, err := parseYear(v, false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range f.Values {
		if dim.Index(v) < 0 {
			return Invalid("unknown_code", "%q no es un código de %s; los códigos son: %s",
				"%q is not a %s code; the codes are: %s", v, f.Dim, shortList(dim.CodeStrings()))
		}
	}
	return nil
}

// Query is one aggregate: count Measure by the dimensions By, keeping the
// people that pass every filter.
type Query struct {
	Measure Measure
	By      []Dim
	Where   []Filter
}

// Validate checks the query against the vocabulary and the tier's limits.
func (q Query) Validate(t Tier) error {
	if _, err := ParseMeasure(string(q.Measure)); err != nil {
		return err
	}
	if len(q.By) > t.MaxDims() {
		return Invalid("too_many_dimensions", "el nivel %s cruza como máximo %d dimensiones (se pidieron %d)",
			"tier %s crosses at most %d dimensions (%d asked)", t, t.MaxDims(), len(q.By))
	}
	for i, d := range q.By {
		if _, err := ParseDim(string(d)); err != nil {
			return err
		}
		if d == DimRole {
			return Invalid("bad_dimension", "la medida ya fija el rol: no se puede desagregar por role",
				"the measure fixes the role: role cannot be a breakdown")
		}
		if slices.Contains(q.By[:i], d) {
			return Invalid("repeated_dimension", "la dimensión %s aparece dos veces", "dimension %s appears twice", d)
		}
	}
	multi := 0
	for _, d := range q.By {
		if MustDim(d).Kind == KindMulti {
			multi++
		}
	}
	if multi > 1 {
		return Invalid("two_multi", "no se pueden cruzar dos dimensiones de valores múltiples",
			"two multi-valued dimensions cannot be crossed")
	}
	for _, f := range q.Where {
		if err := f.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Row is one cell of an aggregate table.
type Row struct {
	Keys  []string `json:"keys"`  // one code per dimension of Query.By, in order
	Count *int     `json:"count"` // nil when hidden
	Note  string   `json:"note,omitempty"`
}

// Hidden is the note of a row whose count a protected tier hides.
const Hidden = "hidden"

// Table is the result of a Query at a tier: exact at tier admin, or a
// catalogue table read from a release at tier conatt or public.
type Table struct {
	ID         string    `json:"id,omitempty"` // the catalogue table
	Measure    Measure   `json:"measure"`
	By         []Dim     `json:"by"`
	Tier       Tier      `json:"tier"`
	Release    int64     `json:"release,omitempty"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
	Withheld   bool      `json:"withheld,omitempty"` // too detailed to protect: no cells
	// YearsThrough is the last year a table of the complete years counts
	// (TableSpec.Years), 0 for a table by year.
	YearsThrough int       `json:"years_through,omitempty"`
	Rows         []Row     `json:"rows"`
	Notes        []Message `json:"notes,omitempty"`
}

// ReleaseStatus is the state of a release.
type ReleaseStatus string

// Release statuses: a draft is read by administrators only.
const (
	ReleaseDraft    ReleaseStatus = "draft"
	ReleaseApproved ReleaseStatus = "approved"
)

// Release is the catalogue of one tier computed, protected together and
// frozen. What it says of itself holds no count.
type Release struct {
	ID         int64         `json:"id"`
	Kind       Tier          `json:"kind"` // conatt or public
	Note       string        `json:"note"`
	Status     ReleaseStatus `json:"status"`
	CreatedAt  time.Time     `json:"created_at"`
	ApprovedAt time.Time     `json:"approved_at,omitzero"`
}

// ReleaseReport is what the engine did to each table of a release, for
// the administrator who approves it: it is computed from exact counts and
// never leaves tier admin.
type ReleaseReport struct {
	Release
	Tables []TableReport `json:"tables"`
}

// TableReport is one table of a release's disclosure report.
type TableReport struct {
	ID          string `json:"id"`
	Cells       int    `json:"cells"`        // non-zero cells
	Hidden      int    `json:"hidden"`       // cells hidden
	People      int    `json:"people"`       // people counted (exact; multi-valued tables count a person once per value)
	ShownPeople int    `json:"shown_people"` // of them, in shown cells
	Withheld    bool   `json:"withheld,omitempty"`
	// CarriedFrom is the earlier release of the tier whose table this
	// release carries over unchanged (0: computed by this release): some
	// table of its measure changed by too few people to publish.
	CarriedFrom int64 `json:"carried_from,omitempty"`
	// Parts are, for a table by year, its complete years and its year in
	// progress, each computed or carried over on its own (the table's
	// counts are their sums; CarriedFrom is set when both came from one
	// release). Years names the years a part counts ("..2024", "2025..").
	Parts []TableReport `json:"parts,omitempty"`
	Years string        `json:"years,omitempty"`
}

// ShownShare is the share of the table's people in shown cells.
func (t TableReport) ShownShare() float64 {
	if t.People == 0 {
		return 1
	}
	return float64(t.ShownPeople) / float64(t.People)
}

// Select keeps the rows of a published table that pass every filter: a
// filter picks rows and columns of the table, it never makes a new total.
func (t *Table) Select(where []Filter) error {
	for _, f := range where {
		col := slices.Index(t.By, f.Dim)
		if col < 0 {
			return Invalid("filter_not_in_table", "la tabla %s no tiene la dimensión %s: un filtro solo elige filas de la tabla publicada",
				"table %s has no dimension %s: a filter only selects rows of the published table", t.ID, f.Dim)
		}
		kept := t.Rows[:0]
		for _, r := range t.Rows {
			if f.Keeps(r.Keys[col]) {
				kept = append(kept, r)
			}
		}
		t.Rows = kept
	}
	return nil
}

// Keeps reports whether a code (a year for year) passes the filter.
func (f Filter) Keeps(code string) bool {
	if f.Dim == DimYear && len(f.Values) == 0 {
		y, err := strconv.Atoi(code)
		return err == nil && (f.FromYear == 0 || y >= f.FromYear) && (f.ToYear == 0 || y <= f.ToYear)
	}
	return slices.Contains(f.Values, code)
}

// Reorder puts the table's dimensions in the order asked (the same set).
func (t *Table) Reorder(by []Dim) {
	if !sameDims(t.By, by) {
		return
	}
	perm := make([]int, len(by))
	for i, d := range by {
		perm[i] = slices.Index(t.By, d)
	}
	for ri, r := range t.Rows {
		keys := make([]string, len(perm))
		for i, j := range perm {
			keys[i] = r.Keys[j]
		}
		t.Rows[ri].Keys = keys
	}
	t.By = slices.Clone(by)
}

// String writes the filter as ParseFilter reads it.
func (f Filter) String() string {
	if f.Dim == DimYear && len(f.Values) == 0 {
		from, to := "", ""
		if f.FromYear != 0 {
			from = strconv.Itoa(f.FromYear)
		}
		if f.ToYear != 0 {
			to = strconv.Itoa(f.ToYear)
		}
		return string(f.Dim) + "=" + from + ".." + to
	}
	return string(f.Dim) + "=" + strings.Join(f.Values, ",")
}

// String writes the query for the audit log: "victims by year,sex where
// year=2019..2023".
func (q Query) String() string {
	s := string(q.Measure)
	if len(q.By) > 0 {
		by := make([]string, len(q.By))
		for i, d := range q.By {
			by[i] = string(d)
		}
		s += " by " + strings.Join(by, ",")
	}
	for i, f := range q.Where {
		if i == 0 {
			s += " where "
		} else {
			s += " and "
		}
		s += f.String()
	}
	return s
}

// ParseDims reads a comma-separated list of dimensions ("year,sex"), as
// --by and by= give it; "" is none.
func ParseDims(by string) ([]Dim, error) {
	var out []Dim
	if by == "" {
		return out, nil
	}
	for _, d := range strings.Split(by, ",") {
		dim, err := ParseDim(strings.TrimSpace(d))
		if err != nil {
			return nil, err
		}
		out = append(out, dim)
	}
	return out, nil
}
