package schemas

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed ddl/*.sql
var ddlFiles embed.FS

// Migration is one numbered DDL file.
type Migration struct {
	Name string
	SQL  string
}

// Migrations returns the database migrations in order.
func Migrations() []Migration {
	names, _ := fs.Glob(ddlFiles, "ddl/*.sql")
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, _ := ddlFiles.ReadFile(n)
		out = append(out, Migration{Name: n, SQL: string(b)})
	}
	return out
}

// EnumTypes lists the database ENUM types and the dimension whose codes
// they hold, in the order they must be created.
func EnumTypes() []struct {
	Name string
	Dim  Dim
} {
	return []struct {
		Name string
		Dim  Dim
	}{
		{"role_t", DimRole}, {"offence_t", DimOffence}, {"quarter_t", DimQuarter}, {"month_t", DimMonth},
		{"sex_t", DimSex}, {"gender_identity_t", DimGenderIdentity}, {"age_group_t", DimAgeGroup},
		{"age_band_t", DimAgeBand}, {"sex_age_t", DimSexAge}, {"country_t", DimCitizenship},
		{"exploitation_t", DimExploitation}, {"exploitation_main_t", DimExploitationMain}, {"iccs_t", DimICCS},
		{"flow_t", DimFlow}, {"province_t", DimProvince}, {"border_post_t", DimBorderPost},
		{"status_t", DimStatus}, {"cj_stage_t", DimCJStage}, {"migration_status_t", DimMigrationStatus},
		{"institution_t", DimReferringInstitution}, {"recruitment_t", DimRecruitment}, {"sector_t", DimSector},
	}
}
