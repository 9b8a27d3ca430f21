// Package classify turns raw source values into the canonical codes of
// codelist v1. Everything here is a pure function of its inputs (no IO):
// synonyms, dates, ages, multi-valued cells, and the derived dimensions.
package classify

import (
	"fmt"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// Status says how a raw value was understood.
type Status uint8

const (
	Known    Status = iota // a code of the vocabulary
	Missing                // the source says nothing: unknown, no warning
	Unmapped               // a value the profile does not know: unknown, with a warning
)

// Outcome is the classification of one raw value.
type Outcome struct {
	Code   int // position in the dimension's code list; the unknown code unless Known
	Status Status
}

type lookup struct {
	dim     *schemas.Dimension
	keys    map[string]int      // folded synonym -> code index
	missing map[string]struct{} // folded tokens meaning "not stated"
	unknown int
	memo    map[string]Outcome // raw value -> outcome
	multi   map[string]multiOutcome
}

type multiOutcome struct {
	codes    []int
	unmapped []string
}

// maxMemoized is the longest raw value memoised: spellings of a code are
// short, and a column of long, all-different text would otherwise keep
// 65,536 of them per field.
const maxMemoized = 128

// Classifier classifies the values of one profile. It memoises every distinct
// raw value, so a column of a million cells with thirty spellings costs thirty
// lookups. It is not safe for concurrent use: give each goroutine its own.
// Fields are addressed by their index in schemas.Fields (the *At methods),
// or by name.
type Classifier struct {
	profile *schemas.Profile
	fields  []*lookup             // by field index; nil for fields that are not coded
	missing []map[string]struct{} // by field index
	maxMiss []int                 // by field index: longest missing token, in bytes
	dates   map[string]dateMemo
}

type dateMemo struct {
	d  Date
	ok bool
}

// New builds the lookups of profile p: the code list's own codes, labels and
// synonyms, then the profile's values, which win.
func New(p *schemas.Profile) (*Classifier, error) {
	n := schemas.NumFields()
	c := &Classifier{profile: p, fields: make([]*lookup, n), missing: make([]map[string]struct{}, n),
		maxMiss: make([]int, n), dates: map[string]dateMemo{}}
	for fi, f := range schemas.Fields() {
		c.missing[fi] = foldSet(p.Missing["*"], p.Missing[f])
		for _, tok := range append(p.Missing["*"], p.Missing[f]...) {
			c.maxMiss[fi] = max(c.maxMiss[fi], len(tok))
		}
		dim, ok := schemas.Lookup(schemas.Dim(f))
		if !ok {
			continue
		}
		l := &lookup{dim: dim, keys: map[string]int{}, missing: c.missing[fi], unknown: unknownIndex(dim), memo: map[string]Outcome{}, multi: map[string]multiOutcome{}}
		for i, code := range dim.Codes {
			for _, s := range append([]string{code.Code, code.ES, code.EN}, code.Synonyms...) {
				k := schemas.Fold(s)
				if prev, dup := l.keys[k]; dup && prev != i {
					return nil, fmt.Errorf("classify: %s: %q means both %s and %s", f, s, dim.Codes[prev].Code, code.Code)
				}
				l.keys[k] = i
			}
		}
		for raw, code := range p.Values[f] {
			l.keys[schemas.Fold(raw)] = dim.Index(code)
		}
		c.fields[fi] = l
	}
	return c, nil
}

func foldSet(lists ...[]string) map[string]struct{} {
	out := map[string]struct{}{}
	for _, l := range lists {
		for _, s := range l {
			out[schemas.Fold(s)] = struct{}{}
		}
	}
	return out
}

func unknownIndex(d *schemas.Dimension) int {
	for _, u := range []string{"unknown", "UNK"} {
		if i := d.Index(u); i >= 0 {
			return i
		}
	}
	return -1
}

// Profile returns the profile the classifier was built from.
func (c *Classifier) Profile() *schemas.Profile { return c.profile }

// IsMissing reports whether raw means "not stated" for field.
func (c *Classifier) IsMissing(field, raw string) bool {
	return c.IsMissingAt(schemas.FieldIndex(field), raw)
}

// IsMissingAt is IsMissing by field index.
func (c *Classifier) IsMissingAt(fi int, raw string) bool {
	t := strings.TrimSpace(raw)
	if t == "" {
		return true
	}
	if len(t) > 2*c.maxMiss[fi]+2 {
		return false // longer than any missing token, however punctuated
	}
	_, ok := c.missing[fi][schemas.Fold(t)]
	return ok
}

// Code classifies a single-valued cell of field, which must be a coded
// dimension.
func (c *Classifier) Code(field, raw string) Outcome {
	return c.CodeAt(schemas.FieldIndex(field), raw)
}

// CodeAt is Code by field index.
func (c *Classifier) CodeAt(fi int, raw string) Outcome {
	l := c.fields[fi]
	if o, ok := l.memo[raw]; ok {
		return o
	}
	o := l.classify(raw)
	if len(l.memo) < 1<<16 && len(raw) <= maxMemoized {
		l.memo[raw] = o
	}
	return o
}

// Date parses a date (see ParseDate), memoised per raw value.
func (c *Classifier) Date(raw string, pivot int) (Date, bool) {
	if m, ok := c.dates[raw]; ok {
		return m.d, m.ok
	}
	d, ok := ParseDate(raw, pivot)
	if len(c.dates) < 1<<16 && len(raw) <= maxMemoized {
		c.dates[raw] = dateMemo{d, ok}
	}
	return d, ok
}

func (l *lookup) classify(raw string) Outcome {
	k := schemas.Fold(raw)
	if _, ok := l.missing[k]; ok || k == "" {
		return Outcome{Code: l.unknown, Status: Missing}
	}
	if i, ok := l.keys[k]; ok {
		return Outcome{Code: i, Status: Known}
	}
	return Outcome{Code: l.unknown, Status: Unmapped}
}

// Multi classifies a multi-valued cell: it splits raw (see Split) and
// classifies every part. It returns the distinct codes in code-list order,
// with unknown only when no part is known, and the parts it did not know.
// The returned slices are shared between calls: do not modify them.
func (c *Classifier) Multi(field, raw string) (codes []int, unmapped []string) {
	return c.MultiAt(schemas.FieldIndex(field), raw)
}

// MultiAt is Multi by field index.
func (c *Classifier) MultiAt(fi int, raw string) (codes []int, unmapped []string) {
	l := c.fields[fi]
	if m, ok := l.multi[raw]; ok {
		return m.codes, m.unmapped
	}
	codes, unmapped = l.classifyMulti(raw)
	if len(l.multi) < 1<<16 && len(raw) <= maxMemoized {
		l.multi[raw] = multiOutcome{codes, unmapped}
	}
	return codes, unmapped
}

func (l *lookup) classifyMulti(raw string) (codes []int, unmapped []string) {
	if o := l.classify(raw); o.Status != Unmapped {
		return []int{o.Code}, nil
	}
	seen := make([]bool, len(l.dim.Codes))
	for _, part := range Split(raw) {
		o := l.classify(part)
		switch o.Status {
		case Known:
			seen[o.Code] = true
		case Unmapped:
			unmapped = append(unmapped, part)
		}
	}
	for i, s := range seen {
		if s && i != l.unknown {
			codes = append(codes, i)
		}
	}
	if len(codes) == 0 {
		codes = []int{l.unknown}
	}
	return codes, unmapped
}

// Split cuts a multi-valued cell on ";", ",", "/", "|" and the word " y "
// ("and"), trimming the parts and dropping empty ones.
func Split(raw string) []string {
	cut := strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == ',' || r == '/' || r == '|' })
	var out []string
	for _, p := range cut {
		for _, q := range splitAnd(p) {
			if q = strings.TrimSpace(q); q != "" {
				out = append(out, q)
			}
		}
	}
	return out
}

// splitAnd cuts s on " y " and " Y ". It works on bytes, not on a
// lower-cased copy, whose length may differ for invalid UTF-8.
func splitAnd(s string) []string {
	var out []string
	for {
		i := strings.Index(s, " y ")
		if j := strings.Index(s, " Y "); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+3:]
	}
}

// FlagValue is a yes/no source column.
type FlagValue uint8

const (
	FlagUnknown FlagValue = iota
	FlagNo
	FlagYes
)

// Flag reads a yes/no cell: 1, 1.0, true, sí, yes, x are yes; 0, 0.0, false,
// no are no; anything else, the profile's missing tokens included, is unknown.
func Flag(raw string) FlagValue {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "1", "1.0", "true", "si", "sí", "yes", "x", "verdadero":
		return FlagYes
	case "0", "0.0", "false", "no", "falso":
		return FlagNo
	}
	return FlagUnknown
}
