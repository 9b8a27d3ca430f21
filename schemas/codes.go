// The closed-set code types of codelist v1. Their constants follow the order of codelist.json; TestCodeConstants keeps them in step.

package schemas

// Role is a code of the dimension role.
type Role uint8

// Codes of Role, in codelist order.
const (
	RoleVictim Role = iota
	RoleSmuggledMigrant
	RoleSuspect
)

func (v Role) String() string { return codeString(namesRole, DimRole, v) }

// ParseRole parses a canonical role code.
func ParseRole(s string) (Role, error) { return parseCode[Role](DimRole, s) }

// Offence is a code of the dimension offence.
type Offence uint8

// Codes of Offence, in codelist order.
const (
	OffenceTip Offence = iota
	OffenceSom
)

func (v Offence) String() string { return codeString(namesOffence, DimOffence, v) }

// ParseOffence parses a canonical offence code.
func ParseOffence(s string) (Offence, error) { return parseCode[Offence](DimOffence, s) }

// Sex is a code of the dimension sex.
type Sex uint8

// Codes of Sex, in codelist order.
const (
	SexFemale Sex = iota
	SexMale
	SexOther
	SexUnknown
)

func (v Sex) String() string { return codeString(namesSex, DimSex, v) }

// ParseSex parses a canonical sex code.
func ParseSex(s string) (Sex, error) { return parseCode[Sex](DimSex, s) }

// GenderIdentity is a code of the dimension gender_identity.
type GenderIdentity uint8

// Codes of GenderIdentity, in codelist order.
const (
	GenderIdentityWoman GenderIdentity = iota
	GenderIdentityMan
	GenderIdentityTransNonbinary
	GenderIdentityUnknown
)

func (v GenderIdentity) String() string { return codeString(namesGender, DimGenderIdentity, v) }

// ParseGenderIdentity parses a canonical gender_identity code.
func ParseGenderIdentity(s string) (GenderIdentity, error) {
	return parseCode[GenderIdentity](DimGenderIdentity, s)
}

// AgeGroup is a code of the dimension age_group.
type AgeGroup uint8

// Codes of AgeGroup, in codelist order.
const (
	AgeGroupChild AgeGroup = iota
	AgeGroupAdult
	AgeGroupUnknown
)

func (v AgeGroup) String() string { return codeString(namesAgeGroup, DimAgeGroup, v) }

// ParseAgeGroup parses a canonical age_group code.
func ParseAgeGroup(s string) (AgeGroup, error) { return parseCode[AgeGroup](DimAgeGroup, s) }

// AgeBand is a code of the dimension age_band.
type AgeBand uint8

// Codes of AgeBand, in codelist order.
const (
	AgeBand0to4 AgeBand = iota
	AgeBand5to9
	AgeBand10to14
	AgeBand15to17
	AgeBand18to24
	AgeBand25to34
	AgeBand35to44
	AgeBand45to59
	AgeBand60Plus
	AgeBandUnknown
)

func (v AgeBand) String() string { return codeString(namesAgeBand, DimAgeBand, v) }

// ParseAgeBand parses a canonical age_band code.
func ParseAgeBand(s string) (AgeBand, error) { return parseCode[AgeBand](DimAgeBand, s) }

// SexAge is a code of the dimension sex_age.
type SexAge uint8

// Codes of SexAge, in codelist order.
const (
	SexAgeGirl SexAge = iota
	SexAgeBoy
	SexAgeWoman
	SexAgeMan
	SexAgeUnknown
)

func (v SexAge) String() string { return codeString(namesSexAge, DimSexAge, v) }

// ParseSexAge parses a canonical sex_age code.
func ParseSexAge(s string) (SexAge, error) { return parseCode[SexAge](DimSexAge, s) }

// Exploitation is a code of the dimension exploitation.
type Exploitation uint8

// Codes of Exploitation, in codelist order.
const (
	ExploitationSexual Exploitation = iota
	ExploitationForcedLabour
	ExploitationServitude
	ExploitationSlavery
	ExploitationForcedBegging
	ExploitationForcedCriminality
	ExploitationForcedMarriage
	ExploitationIllegalAdoption
	ExploitationOrganRemoval
	ExploitationForcedPregnancy
	ExploitationOther
	ExploitationUnknown
)

func (v Exploitation) String() string { return codeString(namesExploitation, DimExploitation, v) }

// ParseExploitation parses a canonical exploitation code.
func ParseExploitation(s string) (Exploitation, error) {
	return parseCode[Exploitation](DimExploitation, s)
}

// ExploitationMain is a code of the dimension exploitation_main.
type ExploitationMain uint8

// Codes of ExploitationMain, in codelist order.
const (
	ExploitationMainSexual ExploitationMain = iota
	ExploitationMainForcedLabour
	ExploitationMainServitude
	ExploitationMainSlavery
	ExploitationMainForcedBegging
	ExploitationMainForcedCriminality
	ExploitationMainForcedMarriage
	ExploitationMainIllegalAdoption
	ExploitationMainOrganRemoval
	ExploitationMainForcedPregnancy
	ExploitationMainOther
	ExploitationMainMixed
	ExploitationMainUnknown
)

func (v ExploitationMain) String() string {
	return codeString(namesExploitationMain, DimExploitationMain, v)
}

// ParseExploitationMain parses a canonical exploitation_main code.
func ParseExploitationMain(s string) (ExploitationMain, error) {
	return parseCode[ExploitationMain](DimExploitationMain, s)
}

// ICCS is a code of the dimension iccs.
type ICCS uint8

// Codes of ICCS, in codelist order.
const (
	ICCS02041 ICCS = iota
	ICCS02042
	ICCS02043
	ICCS02044
	ICCS0204
	ICCS08051
)

func (v ICCS) String() string { return codeString(namesICCS, DimICCS, v) }

// ParseICCS parses a canonical iccs code.
func ParseICCS(s string) (ICCS, error) { return parseCode[ICCS](DimICCS, s) }

// Flow is a code of the dimension flow.
type Flow uint8

// Codes of Flow, in codelist order.
const (
	FlowDomestic Flow = iota
	FlowTransnational
	FlowUnknown
)

func (v Flow) String() string { return codeString(namesFlow, DimFlow, v) }

// ParseFlow parses a canonical flow code.
func ParseFlow(s string) (Flow, error) { return parseCode[Flow](DimFlow, s) }

// Province is a code of the dimension province.
type Province uint8

// Codes of Province, in codelist order.
const (
	ProvinceSJ Province = iota
	ProvinceA
	ProvinceC
	ProvinceH
	ProvinceG
	ProvinceP
	ProvinceL
	ProvinceAbroad
	ProvinceUnknown
)

func (v Province) String() string { return codeString(namesProvince, DimProvince, v) }

// ParseProvince parses a canonical province code.
func ParseProvince(s string) (Province, error) { return parseCode[Province](DimProvince, s) }

// BorderPost is a code of the dimension border_post.
type BorderPost uint8

// Codes of BorderPost, in codelist order.
const (
	BorderPostPenasBlancas BorderPost = iota
	BorderPostLasTablillas
	BorderPostPasoCanoas
	BorderPostSixaola
	BorderPostSabalito
	BorderPostAirportSjo
	BorderPostAirportLir
	BorderPostOther
	BorderPostNone
	BorderPostUnknown
)

func (v BorderPost) String() string { return codeString(namesBorderPost, DimBorderPost, v) }

// ParseBorderPost parses a canonical border_post code.
func ParseBorderPost(s string) (BorderPost, error) { return parseCode[BorderPost](DimBorderPost, s) }

// Status is a code of the dimension status.
type Status uint8

// Codes of Status, in codelist order.
const (
	StatusPresumed Status = iota
	StatusAccredited
	StatusNotAccredited
	StatusUnknown
)

func (v Status) String() string { return codeString(namesStatus, DimStatus, v) }

// ParseStatus parses a canonical status code.
func ParseStatus(s string) (Status, error) { return parseCode[Status](DimStatus, s) }

// CJStage is a code of the dimension cj_stage.
type CJStage uint8

// Codes of CJStage, in codelist order.
const (
	CJStageSuspected CJStage = iota
	CJStageProsecuted
	CJStageConvicted
	CJStageAcquitted
	CJStageUnknown
)

func (v CJStage) String() string { return codeString(namesCJStage, DimCJStage, v) }

// ParseCJStage parses a canonical cj_stage code.
func ParseCJStage(s string) (CJStage, error) { return parseCode[CJStage](DimCJStage, s) }

// MigrationStatus is a code of the dimension migration_status.
type MigrationStatus uint8

// Codes of MigrationStatus, in codelist order.
const (
	MigrationStatusNational MigrationStatus = iota
	MigrationStatusRegular
	MigrationStatusIrregular
	MigrationStatusInTransit
	MigrationStatusAsylumSeeker
	MigrationStatusRefugee
	MigrationStatusUnknown
)

func (v MigrationStatus) String() string { return codeString(namesMigration, DimMigrationStatus, v) }

// ParseMigrationStatus parses a canonical migration_status code.
func ParseMigrationStatus(s string) (MigrationStatus, error) {
	return parseCode[MigrationStatus](DimMigrationStatus, s)
}

// Institution is a code of the dimension referring_institution.
type Institution uint8

// Codes of Institution, in codelist order.
const (
	InstitutionOij Institution = iota
	InstitutionDgme
	InstitutionPme
	InstitutionFuerzaPublica
	InstitutionPani
	InstitutionInamu
	InstitutionCcss
	InstitutionMinisterioPublico
	InstitutionMtss
	InstitutionNgo
	InstitutionInternationalOrg
	InstitutionHotline911
	InstitutionHotline1176
	InstitutionOther
	InstitutionUnknown
)

func (v Institution) String() string { return codeString(namesInstitution, DimReferringInstitution, v) }

// ParseInstitution parses a canonical referring_institution code.
func ParseInstitution(s string) (Institution, error) {
	return parseCode[Institution](DimReferringInstitution, s)
}

// Recruitment is a code of the dimension recruitment.
type Recruitment uint8

// Codes of Recruitment, in codelist order.
const (
	RecruitmentJobOfferDeception Recruitment = iota
	RecruitmentOnline
	RecruitmentFamily
	RecruitmentIntimatePartner
	RecruitmentAcquaintance
	RecruitmentAbduction
	RecruitmentDebtBondage
	RecruitmentOther
	RecruitmentUnknown
)

func (v Recruitment) String() string { return codeString(namesRecruitment, DimRecruitment, v) }

// ParseRecruitment parses a canonical recruitment code.
func ParseRecruitment(s string) (Recruitment, error) {
	return parseCode[Recruitment](DimRecruitment, s)
}

// Sector is a code of the dimension sector.
type Sector uint8

// Codes of Sector, in codelist order.
const (
	SectorA Sector = iota
	SectorB
	SectorC
	SectorD
	SectorE
	SectorF
	SectorG
	SectorH
	SectorI
	SectorJ
	SectorK
	SectorL
	SectorM
	SectorN
	SectorO
	SectorP
	SectorQ
	SectorR
	SectorS
	SectorT
	SectorU
	SectorUnknown
)

func (v Sector) String() string { return codeString(namesSector, DimSector, v) }

// ParseSector parses a canonical sector code.
func ParseSector(s string) (Sector, error) { return parseCode[Sector](DimSector, s) }
