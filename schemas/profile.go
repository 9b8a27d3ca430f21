package schemas

import (
	"embed"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
)

//go:embed profiles/*.json
var profileFiles embed.FS

// Special fields of a profile that are not dimensions.
const (
	FieldPersonID  = "person_id"  // hashed, never stored raw
	FieldCaseID    = "case_id"    // hashed, never stored raw
	FieldDate      = "date"       // reference date: accreditation, identification or detection
	FieldYear      = "year"       // reference year, when only the year is known
	FieldBirthDate = "birth_date" // gives the exact age with the reference date
	FieldAge       = "age"        // exact age, "15 años", "menor de edad"
)

var specialFields = []string{FieldPersonID, FieldCaseID, FieldDate, FieldYear, FieldBirthDate, FieldAge}

// Flag is a source column that says yes or no to one code of a
// multi-valued dimension (CTDC's isForcedLabour, for instance).
type Flag struct {
	Columns []string `json:"columns"`
	Dim     Dim      `json:"dim"`
	Code    string   `json:"code"`
}

// Profile maps one source layout to the vocabulary. Profiles are data:
// the built-in ones are embedded, a user can load their own JSON file.
type Profile struct {
	Name          string                       `json:"name"`
	ES            string                       `json:"es"`
	EN            string                       `json:"en"`
	Columns       map[string][]string          `json:"columns"`
	Flags         []Flag                       `json:"flags"`
	FlagsNone     map[Dim]string               `json:"flags_none"`
	Personal      []string                     `json:"personal"`
	PersonalHints []string                     `json:"personal_hints"`
	Missing       map[string][]string          `json:"missing"`
	Values        map[string]map[string]string `json:"values"`
	Defaults      map[string]string            `json:"defaults"`
	// Mapped are the headers a user mapped (WithColumns): each must be in
	// the file, and is read as its field before any alias of the profile.
	Mapped map[string]string `json:"-"`
}

// Fields lists every field a profile may map: the special fields and the
// dimensions that are read from sources. A field's position in this list is
// its index (FieldIndex).
func Fields() []string { return slices.Clone(fieldList) }

var fieldList = func() []string {
	out := slices.Clone(specialFields)
	for _, d := range codelist.Dimensions {
		if (d.Kind == KindSingle || d.Kind == KindMulti) && d.Key != DimReportingEntity {
			out = append(out, string(d.Key))
		}
	}
	return out
}()

var fieldIndex = func() map[string]int {
	m := map[string]int{}
	for i, f := range fieldList {
		m[f] = i
	}
	return m
}()

// FieldIndex returns the position of field in Fields, or -1.
func FieldIndex(field string) int {
	if i, ok := fieldIndex[field]; ok {
		return i
	}
	return -1
}

// NumFields is the number of fields.
func NumFields() int { return len(fieldList) }

// BuiltinProfiles lists the names of the embedded profiles.
func BuiltinProfiles() []string {
	entries, _ := profileFiles.ReadDir("profiles")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// BuiltinProfile returns an embedded profile by name.
func BuiltinProfile(name string) (*Profile, error) {
	f, err := profileFiles.Open("profiles/" + name + ".json")
	if err != nil {
		return nil, Invalid("unknown_profile", "perfil desconocido %q; los perfiles incluidos son: %s, o la ruta de un archivo JSON",
			"unknown profile %q; the built-in profiles are: %s, or the path of a JSON file", name, strings.Join(BuiltinProfiles(), ", "))
	}
	defer f.Close()
	return ReadProfile(f)
}

// ReadProfile reads and validates a profile. Its errors say what is wrong
// and where, in Spanish and English.
func ReadProfile(r io.Reader) (*Profile, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, Invalid("bad_profile", "el perfil no es JSON válido: %v", "the profile is not valid JSON: %v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// personalPrefixes begin the folded headers of columns that name, locate or
// reach a person. Such a column is dropped; it can only be the person or
// case id, which is stored as a keyed hash.
var personalPrefixes = []string{"nombre", "apellido", "cedula", "pasaporte", "dimex", "telefono", "celular",
	"correo", "email", "direccion", "domicilio", "name", "fullname", "surname", "phone", "address", "passport"}

// notPersonal refuses to read a personal-data column as field.
func (p *Profile) notPersonal(header, field string) error {
	if field == FieldPersonID || field == FieldCaseID {
		return nil
	}
	k := Fold(header)
	personal := slices.ContainsFunc(p.Personal, func(a string) bool { return Fold(a) == k }) ||
		slices.ContainsFunc(personalPrefixes, func(pre string) bool { return strings.HasPrefix(k, pre) })
	if !personal {
		return nil
	}
	return Refused("personal_column",
		"perfil %[1]s: la columna %[2]q lleva datos personales y no puede leerse como %[3]s; los datos personales nunca se guardan (solo el ID de persona o de caso, como clave cifrada)",
		"profile %[1]s: column %[2]q holds personal data and cannot be read as %[3]s; personal data is never stored (only the person or case id, as a keyed hash)",
		p.Name, header, field)
}

// WithColumns returns a copy of the profile in which each header of m is
// read as its field, whatever the profile said of it (a user's own mapping,
// "--map Header=field"). A personal-data column is refused, unless it is
// the person or case id.
func (p *Profile) WithColumns(m map[string]string) (*Profile, error) {
	out := *p
	out.Columns = make(map[string][]string, len(p.Columns))
	for h, f := range m {
		if err := p.notPersonal(h, f); err != nil {
			return nil, err
		}
	}
	taken := func(a string) bool {
		for h := range m {
			if Fold(h) == Fold(a) {
				return true
			}
		}
		return false
	}
	for f, aliases := range p.Columns {
		out.Columns[f] = slices.DeleteFunc(slices.Clone(aliases), taken)
	}
	out.Personal = slices.DeleteFunc(slices.Clone(p.Personal), taken)
	out.Flags = slices.Clone(p.Flags)
	for i := range out.Flags {
		out.Flags[i].Columns = slices.DeleteFunc(slices.Clone(out.Flags[i].Columns), taken)
	}
	out.Mapped = maps.Clone(p.Mapped)
	if out.Mapped == nil {
		out.Mapped = map[string]string{}
	}
	for h, f := range m {
		out.Columns[f] = append(out.Columns[f], h)
		out.Mapped[Fold(h)] = h
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate checks every field name, code and alias of the profile.
func (p *Profile) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return Invalid("bad_profile", "el perfil no tiene nombre (\"name\")", "the profile has no \"name\"")
	}
	fields := Fields()
	known := func(f string) bool { return slices.Contains(fields, f) }
	seen := map[string]string{}
	claim := func(alias, field string) error {
		k := Fold(alias)
		if k == "" {
			return Invalid("bad_profile", "perfil %s: encabezado vacío en %s", "profile %s: empty header alias in %s", p.Name, field)
		}
		if prev, ok := seen[k]; ok && prev != field {
			return Invalid("bad_profile", "perfil %s: el encabezado %q está en %s y en %s",
				"profile %s: header %q is listed under both %s and %s", p.Name, alias, prev, field)
		}
		seen[k] = field
		return nil
	}
	for f, aliases := range p.Columns {
		if !known(f) {
			return Invalid("bad_profile", "perfil %s: campo desconocido %q; los campos son: %s",
				"profile %s: unknown field %q; the fields are: %s", p.Name, f, strings.Join(fields, ", "))
		}
		for _, a := range aliases {
			if err := claim(a, f); err != nil {
				return err
			}
			if err := p.notPersonal(a, f); err != nil {
				return err
			}
		}
	}
	for _, a := range p.Personal {
		if err := claim(a, "personal"); err != nil {
			return err
		}
	}
	for i, fl := range p.Flags {
		d, ok := Lookup(fl.Dim)
		if !ok || d.Kind != KindMulti {
			return Invalid("bad_profile", "perfil %s: indicador %d: %q no es una dimensión de valores múltiples",
				"profile %s: flag %d: %q is not a multi-valued dimension", p.Name, i+1, fl.Dim)
		}
		if d.Index(fl.Code) < 0 {
			return Invalid("bad_profile", "perfil %s: indicador %d: %q no es un código de %s",
				"profile %s: flag %d: %q is not a %s code", p.Name, i+1, fl.Code, fl.Dim)
		}
		for _, a := range fl.Columns {
			if err := claim(a, "flag "+fl.Code); err != nil {
				return err
			}
		}
	}
	for d, c := range p.FlagsNone {
		if dim, ok := Lookup(d); !ok || dim.Index(c) < 0 {
			return Invalid("bad_profile", "perfil %s: flags_none: %q no es un código de %s",
				"profile %s: flags_none: %q is not a %s code", p.Name, c, d)
		}
	}
	for f := range p.Missing {
		if f != "*" && !known(f) {
			return Invalid("bad_profile", "perfil %s: missing: campo desconocido %q", "profile %s: missing: unknown field %q", p.Name, f)
		}
	}
	for f, m := range p.Values {
		dim, ok := Lookup(Dim(f))
		if !ok || !known(f) {
			return Invalid("bad_profile", "perfil %s: values: %q no es una dimensión codificada",
				"profile %s: values: %q is not a coded dimension", p.Name, f)
		}
		for raw, c := range m {
			if dim.Index(c) < 0 {
				return Invalid("bad_profile", "perfil %s: values.%s: %q -> %q: %q no es un código de %s",
					"profile %s: values.%s: %q -> %q: %q is not a %s code", p.Name, f, raw, c, c, f)
			}
		}
	}
	for f, c := range p.Defaults {
		dim, ok := Lookup(Dim(f))
		if !ok || !known(f) || dim.Index(c) < 0 {
			return Invalid("bad_profile", "perfil %s: defaults: %s=%q no es válido", "profile %s: defaults: %s=%q is not valid", p.Name, f, c)
		}
	}
	if len(p.Columns) == 0 && len(p.Flags) == 0 {
		return Invalid("bad_profile", "perfil %s: no declara ninguna columna", "profile %s: declares no column", p.Name)
	}
	return nil
}
