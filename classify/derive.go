package classify

import "github.com/conatt/tipdash/schemas"

// Derive fills the derived dimensions of r from the others: age group and
// band from an exact age, the four GLOTIP sex-age groups, the main form of
// exploitation, the ICCS code, and the flow.
func Derive(r *schemas.Record) {
	if r.Age >= 0 {
		r.AgeGroup = schemas.AgeGroupAdult
		if r.Age < 18 {
			r.AgeGroup = schemas.AgeGroupChild
		}
	}
	r.AgeBand = AgeBand(r.Age)
	r.SexAge = sexAge(r.Sex, r.AgeGroup)
	r.Exploitation = normalise(r.Exploitation, schemas.ExploitationUnknown)
	r.Recruitment = normalise(r.Recruitment, schemas.RecruitmentUnknown)
	r.ExploitationMain = mainForm(r.Exploitation)
	r.ICCS = iccs(r.Offence, r.Exploitation)
	r.Flow = flow(r.Citizenship, r.CountryExploitation)
}

// AgeBand returns the band of an exact age, or unknown for -1.
func AgeBand(age int) schemas.AgeBand {
	switch {
	case age < 0:
		return schemas.AgeBandUnknown
	case age <= 4:
		return schemas.AgeBand0to4
	case age <= 9:
		return schemas.AgeBand5to9
	case age <= 14:
		return schemas.AgeBand10to14
	case age <= 17:
		return schemas.AgeBand15to17
	case age <= 24:
		return schemas.AgeBand18to24
	case age <= 34:
		return schemas.AgeBand25to34
	case age <= 44:
		return schemas.AgeBand35to44
	case age <= 59:
		return schemas.AgeBand45to59
	default:
		return schemas.AgeBand60Plus
	}
}

func sexAge(s schemas.Sex, g schemas.AgeGroup) schemas.SexAge {
	switch {
	case s == schemas.SexFemale && g == schemas.AgeGroupChild:
		return schemas.SexAgeGirl
	case s == schemas.SexMale && g == schemas.AgeGroupChild:
		return schemas.SexAgeBoy
	case s == schemas.SexFemale && g == schemas.AgeGroupAdult:
		return schemas.SexAgeWoman
	case s == schemas.SexMale && g == schemas.AgeGroupAdult:
		return schemas.SexAgeMan
	}
	return schemas.SexAgeUnknown
}

// normalise drops unknown beside a known code and gives {unknown} for an
// empty set.
func normalise[T ~uint8](s schemas.Set[T], unknown T) schemas.Set[T] {
	known := s &^ schemas.SetOf(unknown)
	if known == 0 {
		return schemas.SetOf(unknown)
	}
	return known
}

func mainForm(forms schemas.Set[schemas.Exploitation]) schemas.ExploitationMain {
	switch {
	case forms.Len() > 1:
		return schemas.ExploitationMainMixed
	case forms.Has(schemas.ExploitationUnknown):
		return schemas.ExploitationMainUnknown
	}
	for e := range forms.All() {
		// The single forms share their order with exploitation_main.
		return schemas.ExploitationMain(e)
	}
	return schemas.ExploitationMainUnknown
}

// iccs maps the offence and forms of exploitation to ICCS: 08051 for
// smuggling; for trafficking 02041 sexual, 02042 labour (forced labour,
// servitude, slavery), 02043 organ removal, 02044 the other forms, and the
// parent 0204 when the forms span several of these or none is known.
func iccs(o schemas.Offence, forms schemas.Set[schemas.Exploitation]) schemas.ICCS {
	if o == schemas.OffenceSom {
		return schemas.ICCS08051
	}
	group := schemas.ICCS0204
	i := -1
	for e := range forms.All() {
		i++
		var g schemas.ICCS
		switch e {
		case schemas.ExploitationUnknown:
			return schemas.ICCS0204
		case schemas.ExploitationSexual:
			g = schemas.ICCS02041
		case schemas.ExploitationForcedLabour, schemas.ExploitationServitude, schemas.ExploitationSlavery:
			g = schemas.ICCS02042
		case schemas.ExploitationOrganRemoval:
			g = schemas.ICCS02043
		default:
			g = schemas.ICCS02044
		}
		if i > 0 && g != group {
			return schemas.ICCS0204
		}
		group = g
	}
	return group
}

// flow is domestic when citizenship and country of exploitation are the
// same known country, transnational when both are known and differ
// (a stateless person counts as transnational), unknown otherwise.
func flow(citizenship, exploitation schemas.Country) schemas.Flow {
	switch {
	case citizenship == schemas.CountryUnknown || exploitation == schemas.CountryUnknown:
		return schemas.FlowUnknown
	case citizenship == exploitation:
		return schemas.FlowDomestic
	default:
		return schemas.FlowTransnational
	}
}
