package schemas

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

//go:embed catalogue.json
var catalogueJSON []byte

// TableSpec is one table of the catalogue: what the protected tiers may
// publish. A release computes every table of its tier, protects them
// together and freezes the result; the tiers answer nothing else.
type TableSpec struct {
	ID      string           `json:"id"`
	Measure Measure          `json:"measure"`
	By      []Dim            `json:"by"`
	Where   []Filter         `json:"-"`               // the people the table counts (e.g. suspects of trafficking)
	WhereJS map[Dim][]string `json:"where,omitempty"` // Where as it is written in catalogue.json
	// Years is "complete" for a table without a year dimension that counts
	// the complete years only: every year before the latest year any
	// record refers to (the year in progress, counted in the tables by
	// year). Monthly releases then leave it unchanged but for late records
	// of earlier years (README, "Complete years").
	Years   string `json:"years,omitempty"`
	Tiers   []Tier `json:"tiers"`
	Chart   string `json:"chart"` // bar, stacked_bar, pyramid, map, number
	TitleES string `json:"title_es"`
	TitleEN string `json:"title_en"`
	NoteES  string `json:"note_es,omitempty"`
	NoteEN  string `json:"note_en,omitempty"`
}

// For reports whether the table is read at tier t: published at that
// tier, or any table at the exact tier (administrators and analysts read
// every table of the catalogue, exactly).
func (s TableSpec) For(t Tier) bool { return t == TierAdmin || slices.Contains(s.Tiers, t) }

// YearsComplete is the value of TableSpec.Years for a table of the
// complete years.
const YearsComplete = "complete"

// CompleteYears reports whether the table counts the complete years only.
func (s TableSpec) CompleteYears() bool { return s.Years == YearsComplete }

// Query is the exact query whose protected cells the table publishes, when
// the latest year any record refers to is open (0: no records). A table of
// the complete years counts the years before it.
func (s TableSpec) Query(open int) Query {
	q := Query{Measure: s.Measure, By: s.By, Where: slices.Clone(s.Where)}
	if s.CompleteYears() {
		q.Where = append(q.Where, Filter{Dim: DimYear, ToYear: LastComplete(open)})
	}
	return q
}

// LastComplete is the last complete year when the latest year any record
// refers to is open: the year before it (1900 when there are no records,
// so that the filter keeps nothing).
func LastComplete(open int) int {
	if open <= 1900 {
		return 1900
	}
	return open - 1
}

// Title is the table's title for t, one of its tables: a table of the
// complete years names the last year it counts.
func (s TableSpec) Title(t *Table) Message {
	m := Message{ES: s.TitleES, EN: s.TitleEN}
	if t != nil && t.YearsThrough > 0 {
		m.ES += fmt.Sprintf(" (años completos, hasta %d)", t.YearsThrough)
		m.EN += fmt.Sprintf(" (complete years, to %d)", t.YearsThrough)
	}
	return m
}

// CompleteYearsNote says which years a table of the complete years counts,
// when open is the year in progress.
func CompleteYearsNote(open int) Message {
	if open == 0 {
		return Message{ES: "Cuenta los años completos (aún no hay registros).", EN: "Counts the complete years (there are no records yet)."}
	}
	return Message{
		ES: fmt.Sprintf("Cuenta los años completos, hasta %d; el año en curso (%d) aparece en las tablas por año.", open-1, open),
		EN: fmt.Sprintf("Counts the complete years, up to %d; the year in progress (%d) is in the tables by year.", open-1, open),
	}
}

// Catalogue lists the tables of the protected tiers, in catalogue.json's order.
type Catalogue struct {
	Version string      `json:"version"`
	Tables  []TableSpec `json:"tables"`
}

var catalogue = mustLoadCatalogue()

// Tables returns the catalogue. It is shared: do not modify it.
func Tables() *Catalogue { return catalogue }

// ForTier returns the tables published at tier t.
func (c *Catalogue) ForTier(t Tier) []TableSpec {
	var out []TableSpec
	for _, s := range c.Tables {
		if s.For(t) {
			out = append(out, s)
		}
	}
	return out
}

// Table returns the table with id published at tier t, or an error that
// names the tables of that tier.
func (c *Catalogue) Table(t Tier, id string) (TableSpec, error) {
	for _, s := range c.Tables {
		if s.ID == id && s.For(t) {
			return s, nil
		}
	}
	return TableSpec{}, &Error{Code: "unknown_table", Kind: ErrNotFound, Msg: Message{
		ES: fmt.Sprintf("el nivel %s no publica la tabla %q; las más parecidas son: %s («tipdash tables» las lista todas)", t, id, c.nearest(t, "", nil, id)),
		EN: fmt.Sprintf("tier %s publishes no table %q; the nearest are: %s (\"tipdash tables\" lists them all)", t, id, c.nearest(t, "", nil, id)),
	}}
}

// Find returns the table of tier t that counts m by exactly the dimensions
// by (in any order), without a population filter; otherwise an error that
// names the nearest tables. The protected tiers answer no other question.
func (c *Catalogue) Find(t Tier, m Measure, by []Dim) (TableSpec, error) {
	for _, s := range c.ForTier(t) {
		if s.Measure == m && len(s.Where) == 0 && sameDims(s.By, by) {
			return s, nil
		}
	}
	names := make([]string, len(by))
	for i, d := range by {
		names[i] = string(d)
	}
	asked := string(m)
	if len(by) > 0 {
		asked += " por / by " + strings.Join(names, " x ")
	}
	near := c.nearest(t, m, by, "")
	return TableSpec{}, &Error{Code: "not_in_catalogue", Kind: ErrNotFound, Msg: Message{
		ES: fmt.Sprintf("el nivel %s solo publica las tablas del catálogo (tipdash tables) y %s no es una de ellas; las más cercanas: %s", t, asked, near),
		EN: fmt.Sprintf("tier %s publishes the catalogue's tables only (tipdash tables) and %s is not one of them; the nearest: %s", t, asked, near),
	}}
}

// nearest names up to five tables of tier t, those sharing most with the
// question first.
func (c *Catalogue) nearest(t Tier, m Measure, by []Dim, id string) string {
	type scored struct {
		id    string
		score int
	}
	var all []scored
	for i, s := range c.ForTier(t) {
		score := 0
		if s.Measure == m {
			score += 10
		}
		for _, d := range by {
			if slices.Contains(s.By, d) {
				score += 3
			}
		}
		score -= abs(len(s.By) - len(by))
		if id != "" && strings.Contains(s.ID, id) || strings.Contains(id, s.ID) {
			score += 5
		}
		all = append(all, scored{s.ID, score*1000 - i})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	var out []string
	for i := 0; i < len(all) && i < 5; i++ {
		out = append(out, all[i].id)
	}
	return strings.Join(out, ", ")
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sameDims(a, b []Dim) bool {
	if len(a) != len(b) {
		return false
	}
	for _, d := range b {
		if !slices.Contains(a, d) {
			return false
		}
	}
	return true
}

func mustLoadCatalogue() *Catalogue {
	c, err := loadCatalogue(catalogueJSON)
	if err != nil {
		panic(err)
	}
	return c
}

func loadCatalogue(js []byte) (*Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(js, &c); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	seen := map[string]bool{}
	for i := range c.Tables {
		s := &c.Tables[i]
		if seen[s.ID] || s.ID == "" {
			return nil, fmt.Errorf("catalogue: table id %q empty or twice", s.ID)
		}
		seen[s.ID] = true
		dims := make([]Dim, 0, len(s.WhereJS))
		for d := range s.WhereJS {
			dims = append(dims, d)
		}
		slices.Sort(dims)
		for _, d := range dims {
			s.Where = append(s.Where, Filter{Dim: d, Values: s.WhereJS[d]})
		}
		if len(s.Tiers) == 0 || s.TitleES == "" || s.TitleEN == "" || s.Chart == "" {
			return nil, fmt.Errorf("catalogue: table %s needs tiers, titles and a chart", s.ID)
		}
		switch {
		case s.Years != "" && s.Years != YearsComplete:
			return nil, fmt.Errorf("catalogue: table %s: years is %q or absent, not %q", s.ID, YearsComplete, s.Years)
		case s.CompleteYears() && slices.Contains(s.By, DimYear):
			return nil, fmt.Errorf("catalogue: table %s: a table by year counts every year; only a table without a year counts the complete years", s.ID)
		}
		for _, t := range s.Tiers {
			if t == TierAdmin {
				return nil, fmt.Errorf("catalogue: table %s: tier admin reads exact counts, not the catalogue", s.ID)
			}
			if err := s.Query(0).Validate(t); err != nil {
				return nil, fmt.Errorf("catalogue: table %s: %w", s.ID, err)
			}
		}
	}
	return &c, nil
}
