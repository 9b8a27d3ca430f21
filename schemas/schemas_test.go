package schemas

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Fem.": "fem", "  Limón ": "limon", "PEÑAS_BLANCAS": "penasblancas",
		"Nicaragüense": "nicaraguense", "15 años": "15anos", "ID-Persona": "idpersona",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCodeConstants keeps the Go constants in step with codelist.json.
func TestCodeConstants(t *testing.T) {
	checks := []struct{ got, want string }{
		{RoleVictim.String(), "victim"}, {RoleSuspect.String(), "suspect"},
		{OffenceSom.String(), "som"}, {SexUnknown.String(), "unknown"},
		{GenderIdentityTransNonbinary.String(), "trans_nonbinary"},
		{AgeGroupUnknown.String(), "unknown"}, {AgeBand60Plus.String(), "60+"}, {AgeBandUnknown.String(), "unknown"},
		{SexAgeUnknown.String(), "unknown"}, {ExploitationUnknown.String(), "unknown"},
		{ExploitationMainMixed.String(), "mixed"}, {ExploitationMainUnknown.String(), "unknown"},
		{ICCS08051.String(), "08051"}, {FlowUnknown.String(), "unknown"},
		{ProvinceL.String(), "CR-L"}, {ProvinceUnknown.String(), "unknown"},
		{BorderPostUnknown.String(), "unknown"}, {StatusUnknown.String(), "unknown"},
		{CJStageUnknown.String(), "unknown"}, {MigrationStatusUnknown.String(), "unknown"},
		{InstitutionUnknown.String(), "unknown"}, {RecruitmentUnknown.String(), "unknown"},
		{SectorU.String(), "U"}, {SectorUnknown.String(), "unknown"},
		{CountryUnknown.String(), "UNK"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("constant is %q, want %q: codes.go is out of step with codelist.json", c.got, c.want)
		}
	}
	for _, d := range Vocabulary().Dimensions {
		if d.Kind == KindTime && d.Key == DimYear {
			continue
		}
		if d.Kind != KindMulti && d.Key != DimRole && d.Key != DimOffence && d.Key != DimICCS && d.Key != DimCitizenship && d.Key != DimCountryExploitation && d.Index("unknown") < 0 {
			t.Errorf("dimension %s has no unknown code", d.Key)
		}
		for _, c := range d.Codes {
			if c.ES == "" || c.EN == "" {
				t.Errorf("%s/%s lacks a Spanish or English label", d.Key, c.Code)
			}
		}
	}
}

func TestCountries(t *testing.T) {
	d := MustDim(DimCitizenship)
	if n := len(d.Codes); n != 251 {
		t.Errorf("citizenship has %d codes, want 249 ISO countries + UNK + XXA", n)
	}
	for _, c := range []string{"CRI", "NIC", "NAM", "UNK", "XXA"} {
		if _, err := ParseCountry(c); err != nil {
			t.Errorf("ParseCountry(%q): %v", c, err)
		}
	}
}

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter("year=2019..2023")
	if err != nil || f.FromYear != 2019 || f.ToYear != 2023 {
		t.Fatalf("year range: %+v, %v", f, err)
	}
	f, err = ParseFilter("sex=female,male")
	if err != nil || len(f.Values) != 2 {
		t.Fatalf("sex list: %+v, %v", f, err)
	}
	for _, bad := range []string{"sex=mujer", "colour=red", "year=2023..2019", "year=abc", "sex"} {
		_, err := ParseFilter(bad)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Msg.ES == "" || e.Msg.EN == "" {
			t.Errorf("ParseFilter(%q) = %v, want a bilingual ErrInvalid", bad, err)
		}
	}
}

func TestQueryValidate(t *testing.T) {
	ok := Query{Measure: MeasureVictims, By: []Dim{DimYear, DimSex, DimAgeGroup}}
	if err := ok.Validate(TierAdmin); err != nil {
		t.Fatal(err)
	}
	if err := ok.Validate(TierPublic); err == nil {
		t.Error("public tier accepted 3 dimensions")
	}
	bad := []Query{
		{Measure: "people"},
		{Measure: MeasureVictims, By: []Dim{"colour"}},
		{Measure: MeasureVictims, By: []Dim{DimSex, DimSex}},
		{Measure: MeasureVictims, By: []Dim{DimExploitation, DimRecruitment}},
		{Measure: MeasureVictims, By: []Dim{DimYear, DimSex, DimAgeGroup, DimProvince}},
	}
	for _, q := range bad {
		if err := q.Validate(TierAdmin); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: got %v, want ErrInvalid", q, err)
		}
	}
}

func TestBuiltinProfiles(t *testing.T) {
	for _, name := range []string{"eri", "ctdc"} {
		if _, err := BuiltinProfile(name); err != nil {
			t.Errorf("profile %s: %v", name, err)
		}
	}
	if _, err := BuiltinProfile("nope"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestReadProfileErrors(t *testing.T) {
	cases := map[string]string{
		`{`: "JSON",
		`{"name":"x","columns":{"colour":["Color"]}}`:                          "colour",
		`{"name":"x","columns":{"sex":["Sexo"],"age":["Sexo"]}}`:               "Sexo",
		`{"name":"x","columns":{"sex":["Sexo"]},"values":{"sex":{"F":"fem"}}}`: "fem",
		`{"name":"x","columns":{"sex":["Sexo"]},"defaults":{"role":"boss"}}`:   "boss",
		`{"name":"x","columns":{"sex":["Sexo"]},"extra":1}`:                    "extra",
		`{"name":"","columns":{"sex":["Sexo"]}}`:                               "name",
	}
	for in, want := range cases {
		_, err := ReadProfile(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadProfile(%s) = %v, want an error naming %q", in, err, want)
		}
	}
}

// A table the tier does not publish gets an error in both languages that
// names the nearest tables and says that they are not all of them.
func TestUnknownTableNamesTheNearest(t *testing.T) {
	_, err := Tables().Table(TierConatt, "victims_by_citizenship")
	var e *Error
	if !errors.As(err, &e) || e.Code != "unknown_table" {
		t.Fatalf("%v, want unknown_table", err)
	}
	for _, msg := range []string{e.Msg.ES, e.Msg.EN} {
		if !strings.Contains(msg, "victims_citizenship") || !strings.Contains(msg, "tipdash tables") {
			t.Errorf("%q: want the nearest table (victims_citizenship) and where to find them all", msg)
		}
	}
}

// Every table without a year counts the complete years, and its query
// leaves out the year in progress; a table by year counts every year; the
// catalogue refuses "complete" on a table by year and any other value.
func TestCompleteYears(t *testing.T) {
	for _, s := range Tables().Tables {
		byYear := slices.Contains(s.By, DimYear)
		if s.CompleteYears() == byYear {
			t.Errorf("%s: by year %v, complete years %v", s.ID, byYear, s.CompleteYears())
		}
		q := s.Query(2025)
		var last int
		for _, f := range q.Where {
			if f.Dim == DimYear {
				last = f.ToYear
			}
		}
		if want := map[bool]int{true: 2024}[s.CompleteYears()]; last != want {
			t.Errorf("%s: the query with 2025 in progress keeps years to %d, want %d (0: every year)", s.ID, last, want)
		}
	}
	if n := CompleteYearsNote(2025); !strings.Contains(n.ES, "2024") || !strings.Contains(n.EN, "2024") || !strings.Contains(n.EN, "2025") {
		t.Errorf("note %+v", n)
	}
	for _, bad := range []string{
		`{"tables":[{"id":"a","measure":"victims","by":["year"],"years":"complete","tiers":["conatt"],"chart":"bar","title_es":"a","title_en":"a"}]}`,
		`{"tables":[{"id":"a","measure":"victims","by":["sex"],"years":"last","tiers":["conatt"],"chart":"bar","title_es":"a","title_en":"a"}]}`,
	} {
		if _, err := loadCatalogue([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := loadCatalogue([]byte(`{"tables":[{"id":"a","measure":"victims","by":["sex"],"years":"complete","tiers":["conatt"],"chart":"bar","title_es":"a","title_en":"a"}]}`)); err != nil {
		t.Errorf("refused a table by sex of the complete years: %v", err)
	}
}
