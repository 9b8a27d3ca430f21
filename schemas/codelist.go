package schemas

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed codelist.json
var codelistJSON []byte

//go:embed countries.json
var countriesJSON []byte

// Dim is a dimension key, as used in the API, the command line and exports.
type Dim string

// Dimension keys of codelist v1.
const (
	DimYear                 Dim = "year"
	DimQuarter              Dim = "quarter"
	DimMonth                Dim = "month"
	DimRole                 Dim = "role"
	DimOffence              Dim = "offence"
	DimSex                  Dim = "sex"
	DimGenderIdentity       Dim = "gender_identity"
	DimAgeGroup             Dim = "age_group"
	DimAgeBand              Dim = "age_band"
	DimSexAge               Dim = "sex_age"
	DimCitizenship          Dim = "citizenship"
	DimCountryExploitation  Dim = "country_exploitation"
	DimExploitation         Dim = "exploitation"
	DimExploitationMain     Dim = "exploitation_main"
	DimICCS                 Dim = "iccs"
	DimFlow                 Dim = "flow"
	DimProvince             Dim = "province"
	DimBorderPost           Dim = "border_post"
	DimStatus               Dim = "status"
	DimCJStage              Dim = "cj_stage"
	DimMigrationStatus      Dim = "migration_status"
	DimReferringInstitution Dim = "referring_institution"
	DimReportingEntity      Dim = "reporting_entity"
	DimRecruitment          Dim = "recruitment"
	DimSector               Dim = "sector"
)

// Kind tells how a dimension is filled.
type Kind string

const (
	KindTime    Kind = "time"    // from the reference date
	KindSingle  Kind = "single"  // one value per person, read from the source
	KindMulti   Kind = "multi"   // several values per person: not additive
	KindDerived Kind = "derived" // computed from other dimensions
)

// Code is one value of a dimension.
type Code struct {
	Code     string   `json:"code"`
	ES       string   `json:"es"`
	EN       string   `json:"en"`
	Synonyms []string `json:"synonyms,omitempty"`
}

// Label returns the label in lang ("es" or "en"; anything else is Spanish).
func (c Code) Label(lang string) string {
	if lang == "en" {
		return c.EN
	}
	return c.ES
}

// Dimension is one dimension of codelist v1 with its codes in their order.
type Dimension struct {
	Key       Dim    `json:"key"`
	Kind      Kind   `json:"kind"`
	ES        string `json:"es"`
	EN        string `json:"en"`
	CodesFrom string `json:"codes_from,omitempty"`
	Codes     []Code `json:"codes"`

	index map[string]int
}

// Label returns the dimension's name in lang.
func (d *Dimension) Label(lang string) string {
	if lang == "en" {
		return d.EN
	}
	return d.ES
}

// Index returns the position of code in the dimension, or -1.
func (d *Dimension) Index(code string) int {
	if i, ok := d.index[code]; ok {
		return i
	}
	return -1
}

// CodeStrings returns the codes in order.
func (d *Dimension) CodeStrings() []string {
	out := make([]string, len(d.Codes))
	for i, c := range d.Codes {
		out[i] = c.Code
	}
	return out
}

// ISOCountry is one ISO 3166-1 country.
type ISOCountry struct {
	Alpha2 string `json:"alpha2"`
	Alpha3 string `json:"alpha3"`
	ES     string `json:"es"`
	EN     string `json:"en"`
}

// Codelist is the whole vocabulary.
type Codelist struct {
	Version         string              `json:"version"`
	Dimensions      []*Dimension        `json:"dimensions"`
	Lists           map[string][]Code   `json:"lists"`
	CountryExtra    []Code              `json:"country_extra"`
	CountrySynonyms map[string][]string `json:"country_synonyms"`
	Countries       []ISOCountry        `json:"-"`

	byKey map[Dim]*Dimension
}

var codelist = mustLoadCodelist()

// Vocabulary returns codelist v1. It is shared: do not modify it.
func Vocabulary() *Codelist { return codelist }

// Lookup returns the dimension with key k.
func Lookup(k Dim) (*Dimension, bool) {
	d, ok := codelist.byKey[k]
	return d, ok
}

// MustDim returns the dimension with key k and panics if there is none:
// only for the constant keys above.
func MustDim(k Dim) *Dimension {
	d, ok := codelist.byKey[k]
	if !ok {
		panic("schemas: unknown dimension " + string(k))
	}
	return d
}

// ParseDim validates a dimension key.
func ParseDim(s string) (Dim, error) {
	if _, ok := codelist.byKey[Dim(s)]; ok {
		return Dim(s), nil
	}
	keys := make([]string, 0, len(codelist.Dimensions))
	for _, d := range codelist.Dimensions {
		keys = append(keys, string(d.Key))
	}
	return "", Invalid("unknown_dimension", "dimensión desconocida %q; las dimensiones son: %s",
		"unknown dimension %q; the dimensions are: %s", s, strings.Join(keys, ", "))
}

func mustLoadCodelist() *Codelist {
	c, err := loadCodelist(codelistJSON, countriesJSON)
	if err != nil {
		panic(err)
	}
	return c
}

func loadCodelist(listJSON, countries []byte) (*Codelist, error) {
	var c Codelist
	if err := json.Unmarshal(listJSON, &c); err != nil {
		return nil, fmt.Errorf("codelist: %w", err)
	}
	if err := json.Unmarshal(countries, &c.Countries); err != nil {
		return nil, fmt.Errorf("countries: %w", err)
	}
	countryCodes := make([]Code, 0, len(c.Countries)+len(c.CountryExtra))
	for _, k := range c.Countries {
		syn := append([]string{k.Alpha2, k.Alpha3, k.ES, k.EN}, c.CountrySynonyms[k.Alpha3]...)
		countryCodes = append(countryCodes, Code{Code: k.Alpha3, ES: k.ES, EN: k.EN, Synonyms: syn})
	}
	countryCodes = append(countryCodes, c.CountryExtra...)
	c.byKey = make(map[Dim]*Dimension, len(c.Dimensions))
	for _, d := range c.Dimensions {
		switch d.CodesFrom {
		case "":
		case "countries":
			d.Codes = countryCodes
		default:
			l, ok := c.Lists[d.CodesFrom]
			if !ok {
				return nil, fmt.Errorf("codelist: dimension %s: no list %q", d.Key, d.CodesFrom)
			}
			d.Codes = l
		}
		d.index = make(map[string]int, len(d.Codes))
		for i, code := range d.Codes {
			if _, dup := d.index[code.Code]; dup {
				return nil, fmt.Errorf("codelist: dimension %s: code %q twice", d.Key, code.Code)
			}
			d.index[code.Code] = i
		}
		if _, dup := c.byKey[d.Key]; dup {
			return nil, fmt.Errorf("codelist: dimension %s twice", d.Key)
		}
		if d.Kind != KindTime && len(d.Codes) == 0 {
			return nil, fmt.Errorf("codelist: dimension %s has no codes", d.Key)
		}
		if len(d.Codes) > 255 && d.CodesFrom != "countries" {
			return nil, fmt.Errorf("codelist: dimension %s has more codes than fit a byte", d.Key)
		}
		c.byKey[d.Key] = d
	}
	return &c, nil
}

// code is the common shape of the closed-set types below: a position in a
// dimension's code list.
type code interface {
	~uint8 | ~uint16
}

// codeNames caches each dimension's codes, so that String on the closed-set
// types is an index, not a map lookup: ingest calls it millions of times.
var codeNames = func() map[Dim][]string {
	m := map[Dim][]string{}
	for _, d := range codelist.Dimensions {
		m[d.Key] = d.CodeStrings()
	}
	return m
}()

var (
	namesRole, namesOffence, namesSex, namesGender, namesAgeGroup, namesAgeBand, namesSexAge,
	namesCountry, namesExploitation, namesExploitationMain, namesICCS, namesFlow, namesProvince,
	namesBorderPost, namesStatus, namesCJStage, namesMigration, namesInstitution, namesRecruitment,
	namesSector = codeNames[DimRole], codeNames[DimOffence], codeNames[DimSex], codeNames[DimGenderIdentity],
		codeNames[DimAgeGroup], codeNames[DimAgeBand], codeNames[DimSexAge], codeNames[DimCitizenship],
		codeNames[DimExploitation], codeNames[DimExploitationMain], codeNames[DimICCS], codeNames[DimFlow],
		codeNames[DimProvince], codeNames[DimBorderPost], codeNames[DimStatus], codeNames[DimCJStage],
		codeNames[DimMigrationStatus], codeNames[DimReferringInstitution], codeNames[DimRecruitment], codeNames[DimSector]
)

func codeString[T code](names []string, d Dim, v T) string {
	if int(v) >= len(names) {
		return fmt.Sprintf("%s(%d)", d, v)
	}
	return names[v]
}

func parseCode[T code](d Dim, s string) (T, error) {
	dim := MustDim(d)
	if i := dim.Index(s); i >= 0 {
		return T(i), nil
	}
	return 0, Invalid("unknown_code", "%q no es un código de %s; los códigos son: %s",
		"%q is not a %s code; the codes are: %s", s, d, shortList(dim.CodeStrings()))
}

func shortList(codes []string) string {
	if len(codes) > 20 {
		return strings.Join(codes[:20], ", ") + ", ..."
	}
	return strings.Join(codes, ", ")
}

// mustIndex is used to define the constants of the closed-set types from the
// code list itself, so that the Go names cannot drift from the data.
func mustIndex(d Dim, c string) int {
	i := MustDim(d).Index(c)
	if i < 0 {
		panic(fmt.Sprintf("schemas: %s has no code %q", d, c))
	}
	return i
}
