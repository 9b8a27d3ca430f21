package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// Keyer turns person and case ids into keyed hashes (HMAC-SHA256, first 16
// bytes), so that a later batch can update the same person while the raw id
// never reaches the database. Ids are folded first ("ERI-001" = "eri 001").
type Keyer struct {
	mac hash.Hash
	buf []byte
}

// NewKeyer returns a Keyer for secret. It is not safe for concurrent use.
func NewKeyer(secret []byte) *Keyer { return &Keyer{mac: hmac.New(sha256.New, secret)} }

// Key returns the keyed hash of id in namespace kind ("person" or "case").
func (k *Keyer) Key(kind, id string) schemas.Key {
	k.mac.Reset()
	k.buf = schemas.AppendFold(append(append(k.buf[:0], kind...), 0), id)
	k.mac.Write(k.buf)
	var sum [sha256.Size]byte
	var out schemas.Key
	copy(out[:], k.mac.Sum(sum[:0]))
	return out
}

const fieldPersonal = "\x00personal"

// aliasIndex maps folded header aliases to profile fields.
type aliasIndex struct {
	profile *schemas.Profile
	fields  map[string]string // folded alias -> field (or fieldPersonal)
	flags   map[string]int    // folded alias -> index in Profile.Flags
	hints   []string          // folded substrings of personal-data headers
}

// userMapped reports a folded header that the user mapped (--map).
func (ix *aliasIndex) userMapped(k string) bool {
	_, ok := ix.profile.Mapped[k]
	return ok
}

func newAliasIndex(p *schemas.Profile) *aliasIndex {
	ix := &aliasIndex{profile: p, fields: map[string]string{}, flags: map[string]int{}}
	for f, aliases := range p.Columns {
		ix.fields[schemas.Fold(f)] = f
		for _, a := range aliases {
			ix.fields[schemas.Fold(a)] = f
		}
	}
	for _, a := range p.Personal {
		ix.fields[schemas.Fold(a)] = fieldPersonal
	}
	for i, fl := range p.Flags {
		for _, a := range fl.Columns {
			ix.flags[schemas.Fold(a)] = i
		}
	}
	for _, h := range p.PersonalHints {
		ix.hints = append(ix.hints, schemas.Fold(h))
	}
	return ix
}

// plan says which column feeds which field.
type plan struct {
	header  []string
	fields  []int // by field index: the column, or -1
	flags   []flagColumn
	columns []schemas.ColumnReport
	matched int // columns recognised as a field or flag
}

// fieldOf returns the field a column header feeds.
func (p *plan) fieldOf(header string) (int, bool) {
	for fi, i := range p.fields {
		if i >= 0 && p.header[i] == header {
			return fi, true
		}
	}
	return 0, false
}

// isFlag reports a yes/no column.
func (p *plan) isFlag(header string) bool {
	for _, fl := range p.flags {
		if p.header[fl.col] == header {
			return true
		}
	}
	return false
}

type flagColumn struct {
	col  int
	dim  schemas.Dim
	code int
}

func (ix *aliasIndex) plan(header []string) *plan {
	p := &plan{header: header, fields: make([]int, schemas.NumFields())}
	for i := range p.fields {
		p.fields[i] = -1
	}
	for i, h := range header {
		if len(h) > maxCellLength {
			h = clip(h) // no alias is that long; folding it would only cost time
		}
		h = fixEncoding(h)
		header[i] = h
		k := schemas.Fold(h)
		cr := schemas.ColumnReport{Index: i + 1, Header: h, Action: schemas.ColumnIgnored}
		if f, ok := ix.fields[k]; ok && k != "" {
			switch {
			case f == fieldPersonal:
				cr.Action = schemas.ColumnPersonal
			case p.fields[schemas.FieldIndex(f)] >= 0 && ix.userMapped(k) && !ix.userMapped(schemas.Fold(header[p.fields[schemas.FieldIndex(f)]])):
				// The user's mapping wins over the profile's alias for
				// the same field, wherever the columns stand.
				prev := p.fields[schemas.FieldIndex(f)]
				p.columns[prev].Action, p.columns[prev].Field = schemas.ColumnRepeated, f
				p.fields[schemas.FieldIndex(f)] = i
				cr.Action, cr.Field = schemas.ColumnMapped, f
			case p.fields[schemas.FieldIndex(f)] >= 0:
				cr.Action, cr.Field = schemas.ColumnRepeated, f
			default:
				p.fields[schemas.FieldIndex(f)] = i
				cr.Action, cr.Field = schemas.ColumnMapped, f
				p.matched++
			}
		} else if fi, ok := ix.flags[k]; ok && k != "" {
			fl := ix.profile.Flags[fi]
			p.flags = append(p.flags, flagColumn{col: i, dim: fl.Dim, code: schemas.MustDim(fl.Dim).Index(fl.Code)})
			cr.Action, cr.Field = schemas.ColumnFlag, string(fl.Dim)+"="+fl.Code
			p.matched++
		} else if ix.personal(k) {
			cr.Action = schemas.ColumnPersonal
		}
		p.columns = append(p.columns, cr)
	}
	return p
}

func (ix *aliasIndex) personal(folded string) bool {
	if folded == "" {
		return false
	}
	for _, h := range ix.hints {
		if strings.Contains(folded, h) {
			return true
		}
	}
	return false
}
