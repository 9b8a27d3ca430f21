package ingest

import (
	"unicode/utf8"

	"github.com/conatt/tipdash/classify"
	"github.com/conatt/tipdash/schemas"
)

// Reasons a row is rejected, and warnings, with their messages.
var (
	msgRoleMissing = schemas.Message{
		ES: "no se puede saber si la persona es víctima, migrante objeto de tráfico o sospechosa",
		EN: "cannot tell whether the person is a victim, a smuggled migrant or a suspect"}
	msgOffenceMissing = schemas.Message{
		ES: "falta el delito (trata de personas o tráfico ilícito de migrantes) de la persona sospechosa",
		EN: "the suspect's offence (trafficking in persons or smuggling of migrants) is missing"}
	msgRoleOffence = schemas.Message{
		ES: "el rol y el delito no concuerdan: una víctima es de trata y una persona migrante objeto de tráfico es de tráfico ilícito",
		EN: "role and offence disagree: a victim is of trafficking, a smuggled migrant of smuggling"}
	msgDateMissing = schemas.Message{
		ES: "no hay fecha de referencia ni año: la fila no puede ubicarse en el tiempo",
		EN: "no reference date and no year: the row cannot be placed in time"}
	msgDateInvalid = schemas.Message{
		ES: "fecha ilegible; use dd/mm/aaaa, aaaa-mm-dd o una fecha de Excel",
		EN: "unreadable date; use dd/mm/yyyy, yyyy-mm-dd or an Excel date"}
	msgDateFuture = schemas.Message{ES: "la fecha está en el futuro", EN: "the date is in the future"}
	msgDateOld    = schemas.Message{
		ES: "la fecha es anterior a 1990: probablemente un error de digitación",
		EN: "the date is before 1990: probably a typing error"}
	msgDuplicate = schemas.Message{
		ES: "el ID de persona ya aparece en una fila anterior de este lote; se conserva la primera",
		EN: "the person id already appears in an earlier row of this batch; the first is kept"}
	msgUnreadable = schemas.Message{ES: "fila ilegible", EN: "unreadable row"}
	msgTooMany    = schemas.Message{
		ES: "la fila tiene más celdas con datos que columnas el encabezado",
		EN: "the row has more filled cells than the header has columns"}
	msgUnmapped = schemas.Message{
		ES: "valor desconocido para el perfil: se registra como desconocido",
		EN: "value unknown to the profile: recorded as unknown"}
	msgAgeUnreadable = schemas.Message{
		ES: "edad ilegible (use años cumplidos, p. ej. 15 o «15 años»): se registra como desconocida",
		EN: "unreadable age (use whole years, e.g. 15 or \"15 años\"): recorded as unknown"}
	msgBirthUnreadable = schemas.Message{
		ES: "fecha de nacimiento ilegible: no se usa",
		EN: "unreadable birth date: not used"}
)

const minYear = 1990

// Field indices (schemas.FieldIndex), resolved once.
var (
	fiPersonID    = schemas.FieldIndex(schemas.FieldPersonID)
	fiCaseID      = schemas.FieldIndex(schemas.FieldCaseID)
	fiDate        = schemas.FieldIndex(schemas.FieldDate)
	fiYear        = schemas.FieldIndex(schemas.FieldYear)
	fiBirthDate   = schemas.FieldIndex(schemas.FieldBirthDate)
	fiAge         = schemas.FieldIndex(schemas.FieldAge)
	fiRole        = schemas.FieldIndex(string(schemas.DimRole))
	fiOffence     = schemas.FieldIndex(string(schemas.DimOffence))
	fiAgeGroup    = schemas.FieldIndex(string(schemas.DimAgeGroup))
	fiExploit     = schemas.FieldIndex(string(schemas.DimExploitation))
	fiRecruitment = schemas.FieldIndex(string(schemas.DimRecruitment))
)

// singleFields are the coded single-valued fields a profile can map.
var singleFields = func() []singleField {
	var out []singleField
	for _, d := range []schemas.Dim{
		schemas.DimSex, schemas.DimGenderIdentity, schemas.DimAgeGroup, schemas.DimCitizenship,
		schemas.DimCountryExploitation, schemas.DimProvince, schemas.DimBorderPost, schemas.DimStatus,
		schemas.DimCJStage, schemas.DimMigrationStatus, schemas.DimReferringInstitution, schemas.DimSector,
	} {
		out = append(out, singleField{schemas.FieldIndex(string(d)), d})
	}
	return out
}()

type singleField struct {
	fi  int
	dim schemas.Dim
}

// rowResult collects what mapping one row found.
type rowResult struct {
	rec      schemas.Record
	reasons  []schemas.Issue // non-empty: rejected
	warnings []schemas.Issue // value warnings (Code "unmapped_value") and others
}

type mapper struct {
	c        *classify.Classifier
	defaults []int // by field index: the profile's default code, or -1
	unknown  []int // by field index: the code "unknown", or -1
	keyer    *Keyer
	p        *plan
	entity   schemas.Institution
	today    classify.Date
	res      rowResult
	exploit  []int
	recruit  []int
}

// cell returns the raw value of field fi in this row, its column header,
// and whether the sheet has that column. A value that is not valid UTF-8 is
// read as Windows-1252 (only cells that are used pay for the check).
func (m *mapper) cell(cells []string, fi int) (string, string, bool) {
	i := m.p.fields[fi]
	if i < 0 {
		return "", "", false
	}
	if i >= len(cells) {
		return "", m.p.header[i], true
	}
	return fixEncoding(cells[i]), m.p.header[i], true
}

func fixEncoding(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if utf8.ValidString(s) {
				return s
			}
			if d, err := win1252.String(s); err == nil {
				return d
			}
			return s
		}
	}
	return s
}

func (m *mapper) reject(row int, col, value, code string, msg schemas.Message) {
	m.res.reasons = append(m.res.reasons, schemas.Issue{Row: row, Column: col, Value: value, Code: code, Msg: msg})
}

func (m *mapper) warn(row int, col, value, code string, msg schemas.Message) {
	m.res.warnings = append(m.res.warnings, schemas.Issue{Row: row, Column: col, Value: value, Code: code, Msg: msg})
}

// code classifies a coded field, falling back on the profile's default when
// the column is absent or empty, and warns about values it does not know.
func (m *mapper) code(row int, cells []string, fi int) (int, classify.Status) {
	raw, col, ok := m.cell(cells, fi)
	if ok {
		o := m.c.CodeAt(fi, raw)
		if o.Status == classify.Unmapped {
			m.warn(row, col, raw, "unmapped_value", msgUnmapped)
		}
		if o.Status != classify.Missing {
			return o.Code, o.Status
		}
	}
	if d := m.defaults[fi]; d >= 0 {
		return d, classify.Known
	}
	return m.c.CodeAt(fi, "").Code, classify.Missing
}

// mapRow turns the cells of one data row into a record, or into the reasons
// it is not one.
func (m *mapper) mapRow(row int, cells []string) *rowResult {
	m.res.reasons, m.res.warnings = m.res.reasons[:0], m.res.warnings[:0]
	r := &m.res.rec
	*r = schemas.Record{Row: row, Age: -1, ReportingEntity: m.entity}

	if raw, _, ok := m.cell(cells, fiPersonID); ok && !m.c.IsMissingAt(fiPersonID, raw) {
		r.PersonKey = m.keyer.Key("person", raw)
	}
	if raw, _, ok := m.cell(cells, fiCaseID); ok && !m.c.IsMissingAt(fiCaseID, raw) {
		r.CaseKey = m.keyer.Key("case", raw)
	}
	m.roleOffence(row, cells, r)
	m.date(row, cells, r)

	for _, sf := range singleFields {
		c, _ := m.code(row, cells, sf.fi)
		setSingle(r, sf.dim, c)
	}
	m.age(row, cells, r)
	r.Exploitation = toSet[schemas.Exploitation](m.multi(row, cells, fiExploit, schemas.DimExploitation, &m.exploit))
	r.Recruitment = toSet[schemas.Recruitment](m.multi(row, cells, fiRecruitment, schemas.DimRecruitment, &m.recruit))
	classify.Derive(r)
	return &m.res
}

func (m *mapper) roleOffence(row int, cells []string, r *schemas.Record) {
	role, rs := m.code(row, cells, fiRole)
	off, os := m.code(row, cells, fiOffence)
	if rs != classify.Known {
		raw, col, _ := m.cell(cells, fiRole)
		m.reject(row, col, raw, "role_missing", msgRoleMissing)
		return
	}
	r.Role = schemas.Role(role)
	if os != classify.Known {
		switch r.Role {
		case schemas.RoleVictim:
			off, os = int(schemas.OffenceTip), classify.Known
		case schemas.RoleSmuggledMigrant:
			off, os = int(schemas.OffenceSom), classify.Known
		default:
			raw, col, _ := m.cell(cells, fiOffence)
			m.reject(row, col, raw, "offence_missing", msgOffenceMissing)
			return
		}
	}
	r.Offence = schemas.Offence(off)
	if (r.Role == schemas.RoleVictim && r.Offence != schemas.OffenceTip) ||
		(r.Role == schemas.RoleSmuggledMigrant && r.Offence != schemas.OffenceSom) {
		raw, col, _ := m.cell(cells, fiOffence)
		m.reject(row, col, raw, "role_offence_conflict", msgRoleOffence)
	}
}

func (m *mapper) date(row int, cells []string, r *schemas.Record) {
	var d classify.Date
	raw, col, ok := m.cell(cells, fiDate)
	switch {
	case ok && !m.c.IsMissingAt(fiDate, raw):
		var parsed bool
		if d, parsed = m.c.Date(raw, m.today.Year); !parsed {
			m.reject(row, col, raw, "date_invalid", msgDateInvalid)
			return
		}
	default:
		yraw, ycol, yok := m.cell(cells, fiYear)
		if !yok || m.c.IsMissingAt(fiYear, yraw) {
			m.reject(row, col, raw, "date_missing", msgDateMissing)
			return
		}
		var parsed bool
		if d, parsed = m.c.Date(yraw, m.today.Year); !parsed {
			m.reject(row, ycol, yraw, "date_invalid", msgDateInvalid)
			return
		}
		raw, col = yraw, ycol
	}
	switch {
	case d.Year < minYear:
		m.reject(row, col, raw, "date_too_old", msgDateOld)
	case after(d, m.today):
		m.reject(row, col, raw, "date_future", msgDateFuture)
	default:
		r.Year, r.Month, r.Day = d.Year, d.Month, d.Day
	}
}

func after(d, today classify.Date) bool {
	if d.Year != today.Year {
		return d.Year > today.Year
	}
	if d.Month != today.Month {
		return d.Month > today.Month
	}
	return d.Day > today.Day
}

func (m *mapper) age(row int, cells []string, r *schemas.Record) {
	raw, col, ok := m.cell(cells, fiAge)
	if ok && !m.c.IsMissingAt(fiAge, raw) {
		if a, ok := classify.ParseAge(raw); ok {
			r.Age = a
			return
		}
		if o := m.c.CodeAt(fiAgeGroup, raw); o.Status == classify.Known {
			r.AgeGroup = schemas.AgeGroup(o.Code)
			return
		}
		m.warn(row, col, raw, "age_unreadable", msgAgeUnreadable)
	}
	braw, bcol, ok := m.cell(cells, fiBirthDate)
	if ok && !m.c.IsMissingAt(fiBirthDate, braw) {
		b, parsed := classify.ParseDate(braw, m.today.Year) // birth dates are mostly distinct: no memo
		if !parsed {
			m.warn(row, bcol, braw, "birth_date_unreadable", msgBirthUnreadable)
			return
		}
		if a, ok := classify.AgeAt(b, classify.Date{Year: r.Year, Month: r.Month, Day: r.Day}); ok {
			r.Age = a
		}
	}
}

// multi reads a multi-valued field from its column and its yes/no flags.
func (m *mapper) multi(row int, cells []string, fi int, f schemas.Dim, buf *[]int) []int {
	out := (*buf)[:0]
	unknown := m.unknown[fi]
	if raw, col, ok := m.cell(cells, fi); ok {
		codes, unmapped := m.c.MultiAt(fi, raw)
		for _, u := range unmapped {
			m.warn(row, col, u, "unmapped_value", msgUnmapped)
		}
		for _, c := range codes {
			if c != unknown {
				out = append(out, c)
			}
		}
	}
	sawNo := false
	for _, fl := range m.p.flags {
		if fl.dim != f || fl.col >= len(cells) {
			continue
		}
		switch classify.Flag(cells[fl.col]) {
		case classify.FlagYes:
			out = append(out, fl.code)
		case classify.FlagNo:
			sawNo = true
		}
	}
	if len(out) == 0 && sawNo {
		if none, ok := m.c.Profile().FlagsNone[f]; ok {
			out = append(out, schemas.MustDim(f).Index(none)) // rare: CTDC rows with every flag 0
		}
	}
	*buf = out
	return out
}

func toSet[T ~uint8](in []int) schemas.Set[T] {
	var s schemas.Set[T]
	for _, c := range in {
		s = s.Add(T(c))
	}
	return s
}

func setSingle(r *schemas.Record, f schemas.Dim, c int) {
	switch f {
	case schemas.DimSex:
		r.Sex = schemas.Sex(c)
	case schemas.DimGenderIdentity:
		r.GenderIdentity = schemas.GenderIdentity(c)
	case schemas.DimAgeGroup:
		r.AgeGroup = schemas.AgeGroup(c)
	case schemas.DimCitizenship:
		r.Citizenship = schemas.Country(c)
	case schemas.DimCountryExploitation:
		r.CountryExploitation = schemas.Country(c)
	case schemas.DimProvince:
		r.Province = schemas.Province(c)
	case schemas.DimBorderPost:
		r.BorderPost = schemas.BorderPost(c)
	case schemas.DimStatus:
		r.Status = schemas.Status(c)
	case schemas.DimCJStage:
		r.CJStage = schemas.CJStage(c)
	case schemas.DimMigrationStatus:
		r.MigrationStatus = schemas.MigrationStatus(c)
	case schemas.DimReferringInstitution:
		r.ReferringInstitution = schemas.Institution(c)
	case schemas.DimSector:
		r.Sector = schemas.Sector(c)
	}
}
