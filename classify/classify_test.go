package classify

import (
	"slices"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

func eri(t testing.TB) *Classifier {
	t.Helper()
	p, err := schemas.BuiltinProfile("eri")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func code(t *testing.T, field, want string) int {
	t.Helper()
	d := schemas.MustDim(schemas.Dim(field))
	i := d.Index(want)
	if i < 0 {
		t.Fatalf("%s has no code %q", field, want)
	}
	return i
}

// TestSynonyms covers how Costa Rican institutions write things.
func TestSynonyms(t *testing.T) {
	c := eri(t)
	cases := []struct{ field, raw, want string }{
		{"sex", "F", "female"}, {"sex", "Fem.", "female"}, {"sex", "Mujer", "female"}, {"sex", "femenino", "female"},
		{"sex", "MASCULINO", "male"}, {"sex", "Hombre", "male"},
		{"citizenship", "nicaragüense", "NIC"}, {"citizenship", "NIC", "NIC"}, {"citizenship", "Nicaragua", "NIC"},
		{"citizenship", "NI", "NIC"}, {"citizenship", "Costarricense", "CRI"}, {"citizenship", "venezolana", "VEN"},
		{"citizenship", "NA", "NAM"}, {"citizenship", "apátrida", "XXA"}, {"citizenship", "Estados Unidos", "USA"},
		{"status", "Acreditada", "accredited"}, {"status", "no acreditada", "not_accredited"},
		{"offence", "tráfico ilícito de personas", "som"}, {"offence", "Trata de personas", "tip"},
		{"role", "Víctima", "victim"}, {"role", "persona migrante objeto de tráfico", "smuggled_migrant"}, {"role", "imputado", "suspect"},
		{"province", "Limón", "CR-L"}, {"province", "LIMON", "CR-L"}, {"province", "San Jose", "CR-SJ"}, {"province", "san josé", "CR-SJ"},
		{"border_post", "Peñas Blancas", "penas_blancas"}, {"border_post", "penas blancas", "penas_blancas"}, {"border_post", "Paso Canoas", "paso_canoas"},
		{"border_post", "SJO", "airport_sjo"},
		{"age_group", "menor de edad", "child"}, {"age_group", "Mayor de edad", "adult"},
		{"referring_institution", "OIJ", "oij"}, {"referring_institution", "Fiscalía", "ministerio_publico"},
		{"referring_institution", "1-1-7-6", "hotline_1176"}, {"referring_institution", "9-1-1", "hotline_911"},
		{"cj_stage", "Condenado", "convicted"}, {"migration_status", "en tránsito", "in_transit"},
		{"sector", "agricultura", "A"}, {"sector", "trabajo doméstico", "T"},
	}
	for _, tc := range cases {
		o := c.Code(tc.field, tc.raw)
		if o.Status != Known || o.Code != code(t, tc.field, tc.want) {
			t.Errorf("%s %q = %+v, want %s", tc.field, tc.raw, o, tc.want)
		}
	}
	for _, missing := range []string{"", "  ", "-", "?"} {
		if o := c.Code("sex", missing); o.Status != Missing || o.Code != code(t, "sex", "unknown") {
			t.Errorf("sex %q = %+v, want missing/unknown", missing, o)
		}
	}
	if o := c.Code("sex", "marciano"); o.Status != Unmapped || o.Code != code(t, "sex", "unknown") {
		t.Errorf("sex marciano = %+v, want unmapped/unknown", o)
	}
}

func TestMulti(t *testing.T) {
	c := eri(t)
	names := func(codes []int) []string {
		var out []string
		for _, i := range codes {
			out = append(out, schemas.MustDim(schemas.DimExploitation).Codes[i].Code)
		}
		return out
	}
	cases := []struct {
		raw          string
		want         []string
		wantUnmapped []string
	}{
		{"Explotación sexual comercial", []string{"sexual"}, nil},
		{"trabajos o servicios forzados", []string{"forced_labour"}, nil},
		{"servidumbre doméstica", []string{"servitude"}, nil},
		{"Explotación sexual comercial; trabajos o servicios forzados", []string{"sexual", "forced_labour"}, nil},
		{"sexual y laboral", []string{"sexual", "forced_labour"}, nil},
		{"mendicidad / servidumbre | sexual, órganos", []string{"sexual", "servitude", "forced_begging", "organ_removal"}, nil},
		{"sexual; brujería", []string{"sexual"}, []string{"brujería"}},
		{"brujería", []string{"unknown"}, []string{"brujería"}},
		{"", []string{"unknown"}, nil},
		{"desconocida; sexual", []string{"sexual"}, nil},
	}
	for _, tc := range cases {
		codes, unmapped := c.Multi("exploitation", tc.raw)
		if got := names(codes); !slices.Equal(got, tc.want) || !slices.Equal(unmapped, tc.wantUnmapped) {
			t.Errorf("Multi(%q) = %v %v, want %v %v", tc.raw, got, unmapped, tc.want, tc.wantUnmapped)
		}
		again, _ := c.Multi("exploitation", tc.raw)
		if !slices.Equal(again, codes) {
			t.Errorf("Multi(%q) memo differs", tc.raw)
		}
	}
}

func TestSplit(t *testing.T) {
	got := Split("a; b,c / d|e y f Y g")
	want := []string{"a", "b", "c", "d", "e", "f", "g"}
	if !slices.Equal(got, want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
	if got := Split("trabajos o servicios forzados"); len(got) != 1 {
		t.Errorf("Split split a single value: %q", got)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		raw  string
		want Date
		ok   bool
	}{
		{"15/03/2023", Date{2023, 3, 15}, true},
		{"5/3/2023", Date{2023, 3, 5}, true},
		{"2023-03-15", Date{2023, 3, 15}, true},
		{"2023-03-15 00:00:00", Date{2023, 3, 15}, true},
		{"2023-03-15T10:00:00Z", Date{2023, 3, 15}, true},
		{"15-03-2023", Date{2023, 3, 15}, true},
		{"15.03.23", Date{2023, 3, 15}, true},
		{"15/03/99", Date{1999, 3, 15}, true},
		{"2016", Date{Year: 2016}, true},
		{"03/2021", Date{Year: 2021, Month: 3}, true},
		{"45000", Date{2023, 3, 15}, true},
		{"45000.5", Date{2023, 3, 15}, true},
		{"31/02/2023", Date{}, false},
		{"15/13/2023", Date{}, false},
		{"ayer", Date{}, false},
		{"", Date{}, false},
		{"12", Date{}, false},
	}
	for _, tc := range cases {
		got, ok := ParseDate(tc.raw, 2026)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseDate(%q) = %+v %v, want %+v %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseAge(t *testing.T) {
	for raw, want := range map[string]int{"15": 15, "15 años": 15, "15 anos": 15, "15.0": 15, " 7a": 7, "0": 0} {
		if got, ok := ParseAge(raw); !ok || got != want {
			t.Errorf("ParseAge(%q) = %d %v, want %d", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"menor de edad", "", "15.5", "200", "-3", "15 meses"} {
		if got, ok := ParseAge(raw); ok {
			t.Errorf("ParseAge(%q) = %d, want not an age", raw, got)
		}
	}
	if a, ok := AgeAt(Date{2008, 5, 20}, Date{2023, 5, 19}); !ok || a != 14 {
		t.Errorf("AgeAt = %d %v, want 14", a, ok)
	}
}

func TestDerive(t *testing.T) {
	cri, _ := schemas.ParseCountry("CRI")
	nic, _ := schemas.ParseCountry("NIC")
	cases := []struct {
		name string
		in   schemas.Record
		want func(r schemas.Record) bool
	}{
		{"girl from age", schemas.Record{Sex: schemas.SexFemale, Age: 15, AgeGroup: schemas.AgeGroupUnknown, Exploitation: schemas.SetOf(schemas.ExploitationSexual)},
			func(r schemas.Record) bool {
				return r.SexAge == schemas.SexAgeGirl && r.AgeBand == schemas.AgeBand15to17 && r.ICCS == schemas.ICCS02041 && r.ExploitationMain == schemas.ExploitationMainSexual
			}},
		{"man, labour group", schemas.Record{Sex: schemas.SexMale, Age: 40, Exploitation: schemas.SetOf(schemas.ExploitationServitude, schemas.ExploitationForcedLabour)},
			func(r schemas.Record) bool {
				return r.SexAge == schemas.SexAgeMan && r.ICCS == schemas.ICCS02042 && r.ExploitationMain == schemas.ExploitationMainMixed
			}},
		{"mixed groups", schemas.Record{Age: -1, Exploitation: schemas.SetOf(schemas.ExploitationSexual, schemas.ExploitationForcedBegging)},
			func(r schemas.Record) bool { return r.ICCS == schemas.ICCS0204 && r.AgeBand == schemas.AgeBandUnknown }},
		{"other forms", schemas.Record{Age: -1, Exploitation: schemas.SetOf(schemas.ExploitationForcedMarriage)},
			func(r schemas.Record) bool { return r.ICCS == schemas.ICCS02044 }},
		{"organs", schemas.Record{Age: -1, Exploitation: schemas.SetOf(schemas.ExploitationOrganRemoval)},
			func(r schemas.Record) bool { return r.ICCS == schemas.ICCS02043 }},
		{"unknown forms", schemas.Record{Age: -1},
			func(r schemas.Record) bool {
				return r.ICCS == schemas.ICCS0204 && r.Exploitation == schemas.SetOf(schemas.ExploitationUnknown) && r.Recruitment == schemas.SetOf(schemas.RecruitmentUnknown) && r.ExploitationMain == schemas.ExploitationMainUnknown
			}},
		{"smuggling", schemas.Record{Age: -1, Offence: schemas.OffenceSom},
			func(r schemas.Record) bool { return r.ICCS == schemas.ICCS08051 }},
		{"domestic", schemas.Record{Age: -1, Citizenship: cri, CountryExploitation: cri},
			func(r schemas.Record) bool { return r.Flow == schemas.FlowDomestic }},
		{"transnational", schemas.Record{Age: -1, Citizenship: nic, CountryExploitation: cri},
			func(r schemas.Record) bool { return r.Flow == schemas.FlowTransnational }},
		{"flow unknown", schemas.Record{Age: -1, Citizenship: nic, CountryExploitation: schemas.CountryUnknown},
			func(r schemas.Record) bool { return r.Flow == schemas.FlowUnknown }},
		{"adult group kept without age", schemas.Record{Age: -1, Sex: schemas.SexFemale, AgeGroup: schemas.AgeGroupAdult},
			func(r schemas.Record) bool {
				return r.SexAge == schemas.SexAgeWoman && r.AgeBand == schemas.AgeBandUnknown
			}},
	}
	for _, tc := range cases {
		r := tc.in
		Derive(&r)
		if !tc.want(r) {
			t.Errorf("%s: got %+v", tc.name, r)
		}
	}
}

// TestMainFormOrder: mainForm relies on exploitation and exploitation_main
// sharing the order of their single forms.
func TestMainFormOrder(t *testing.T) {
	e, m := schemas.MustDim(schemas.DimExploitation), schemas.MustDim(schemas.DimExploitationMain)
	for i := 0; i < int(schemas.ExploitationUnknown); i++ {
		if e.Codes[i].Code != m.Codes[i].Code {
			t.Errorf("exploitation[%d] = %s but exploitation_main[%d] = %s", i, e.Codes[i].Code, i, m.Codes[i].Code)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"F", "Explotación sexual comercial; trabajos o servicios forzados", "15/03/2023", "44999", "15 años", "nicaragüense", "\xff\xfe", "y y y", ""} {
		f.Add(s)
	}
	c := eri(f)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, field := range []string{"sex", "citizenship", "province", "role"} {
			o := c.Code(field, raw)
			if field == "role" && o.Status != Known && o.Code == -1 {
				continue // role has no unknown code: such a row is rejected
			}
			if o.Code < 0 || o.Code >= len(schemas.MustDim(schemas.Dim(field)).Codes) {
				t.Fatalf("%s %q: code %d out of range", field, raw, o.Code)
			}
		}
		codes, _ := c.Multi("exploitation", raw)
		if len(codes) == 0 {
			t.Fatalf("Multi(%q) gave no code", raw)
		}
		if d, ok := ParseDate(raw, 2026); ok && !d.valid() {
			t.Fatalf("ParseDate(%q) accepted an invalid date %+v", raw, d)
		}
		if a, ok := ParseAge(raw); ok && (a < 0 || a > 120) {
			t.Fatalf("ParseAge(%q) = %d", raw, a)
		}
		r := schemas.Record{Age: -1}
		Derive(&r)
	})
}
