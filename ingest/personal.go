package ingest

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/conatt/tipdash/classify"
	"github.com/conatt/tipdash/schemas"
)

// What the report and the quarantine put in place of personal data.
const (
	hiddenNumber = "[número oculto]"
	hiddenEmail  = "[correo oculto]"
	hiddenText   = "[texto oculto / hidden text]"
)

var (
	// digitGroups is a run of digits, alone or in groups joined by single
	// spaces, dots or dashes: 88888888, 8888 8888, 8888.8888, 1-0234-0567,
	// 1 0234 0567, 1.0234.0567, 123 456 789, +506 8888-8888.
	digitGroups = regexp.MustCompile(`\d+(?:[ .\-]\d+)*`)
	email       = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)
)

// maskPersonal masks e-mail addresses, and the numbers that an ID card, a
// passport or a phone are written with in Costa Rica and Central America:
// seven digits or more, in one run or in groups. Dates (2024-03-15,
// 15.03.2024, 15/03/2024) and shorter numbers are kept.
func maskPersonal(s string) string {
	if strings.IndexByte(s, '@') >= 0 {
		s = email.ReplaceAllString(s, hiddenEmail)
	}
	return digitGroups.ReplaceAllStringFunc(s, func(m string) string {
		digits, groups := 0, strings.FieldsFunc(m, func(r rune) bool { return r == ' ' || r == '.' || r == '-' })
		for _, g := range groups {
			digits += len(g)
		}
		if digits < 7 || isDate(groups, m) {
			return m
		}
		return hiddenNumber
	})
}

// isDate reports groups that read as a date: day, month and a four-digit
// year (or the reverse), with one separator.
func isDate(groups []string, m string) bool {
	if len(groups) != 3 || strings.Count(m, " ") == 2 {
		return false
	}
	short := func(g string) bool { return len(g) <= 2 }
	return (len(groups[0]) == 4 && short(groups[1]) && short(groups[2])) ||
		(short(groups[0]) && short(groups[1]) && len(groups[2]) == 4)
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// storable reports whether a value of field fi may be kept in the database
// (quarantine, stored report): text is kept only when the profile knows it,
// since free text typed into a kept column may be a name. Numbers and dates
// are kept (already masked).
func (m *mapper) storable(fi int, v string) bool {
	if !hasLetter(v) {
		return true
	}
	switch fi {
	case fiDate, fiYear, fiBirthDate:
		_, ok := m.c.Date(v, m.today.Year)
		return ok
	case fiAge:
		_, ok := classify.ParseAge(v)
		return ok || m.c.CodeAt(fiAgeGroup, v).Status == classify.Known
	case fiExploit, fiRecruitment:
		_, unmapped := m.c.MultiAt(fi, v)
		return len(unmapped) == 0
	case fiPersonID, fiCaseID:
		return false
	}
	return m.c.CodeAt(fi, v).Status != classify.Unmapped
}

// stored is the copy of a rejected row that goes to the quarantine: values
// the profile does not know are hidden.
func (m *mapper) stored(pl *plan, q schemas.Rejected) schemas.Rejected {
	out := schemas.Rejected{Row: q.Row, Reasons: make([]schemas.Issue, len(q.Reasons)), Cells: make(map[string]string, len(q.Cells))}
	keep := func(column, v string) string {
		if v == "" {
			return v
		}
		if fi, ok := pl.fieldOf(column); ok && m.storable(fi, v) {
			return v
		}
		if pl.isFlag(column) && classify.Flag(v) != classify.FlagUnknown {
			return v
		}
		if !hasLetter(v) {
			return v
		}
		return hiddenText
	}
	for i, r := range q.Reasons {
		r.Value = keep(r.Column, r.Value)
		out.Reasons[i] = r
	}
	for k, v := range q.Cells {
		out.Cells[k] = keep(k, v)
	}
	return out
}

// storedReport is the copy of the report that the database keeps: every
// value it lists is one the profile did not know or could not read, so text
// is hidden, and the unknown values of a column are grouped.
func storedReport(rep *schemas.BatchReport) *schemas.BatchReport {
	out := *rep
	out.Rejections = nil
	// A header the profile does not know was not read, and may be a name
	// typed into the header row.
	out.Columns = slices.Clone(rep.Columns)
	hidden := map[string]bool{}
	for i, c := range out.Columns {
		if c.Action == schemas.ColumnIgnored && strings.TrimSpace(c.Header) != "" {
			hidden[c.Header] = true
			out.Columns[i].Header = hiddenText
		}
	}
	out.RowWarnings = make([]schemas.Issue, len(rep.RowWarnings))
	for i, w := range rep.RowWarnings {
		if hasLetter(w.Value) {
			w.Value = hiddenText
		}
		if hidden[w.Column] { // a suggestion for a column not read names it
			w.Msg.ES = strings.ReplaceAll(w.Msg.ES, w.Column, hiddenText)
			w.Msg.EN = strings.ReplaceAll(w.Msg.EN, w.Column, hiddenText)
			w.Column = hiddenText
		}
		out.RowWarnings[i] = w
	}
	out.Warnings = make([]schemas.ValueWarning, 0, len(rep.Warnings))
	at := map[[2]string]int{}
	for _, w := range rep.Warnings {
		if !hasLetter(w.Value) {
			out.Warnings = append(out.Warnings, w)
			continue
		}
		w.Value = hiddenText
		k := [2]string{w.Column, w.Code}
		i, ok := at[k]
		if !ok {
			at[k] = len(out.Warnings)
			w.Rows = append([]int(nil), w.Rows...)
			out.Warnings = append(out.Warnings, w)
			continue
		}
		g := &out.Warnings[i]
		g.Count += w.Count
		for _, r := range w.Rows {
			if len(g.Rows) < warnRowsKept {
				g.Rows = append(g.Rows, r)
			}
		}
	}
	return &out
}
