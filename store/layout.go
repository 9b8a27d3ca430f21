package store

import (
	"fmt"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// The layout packs a record's codes into the five integer columns c0..c4 of
// record_versions. It is the one place that knows where a dimension lives:
// the appender packs with it, the aggregate path and the views unpack with it.
type slot struct {
	col   string
	shift uint
	bits  uint
}

var layout = map[schemas.Dim]slot{
	schemas.DimYear: {"c0", 0, 16}, "month": {"c0", 16, 8}, "day": {"c0", 24, 8}, "age": {"c0", 32, 16},

	schemas.DimRole: {"c1", 0, 8}, schemas.DimOffence: {"c1", 8, 8}, schemas.DimSex: {"c1", 16, 8},
	schemas.DimGenderIdentity: {"c1", 24, 8}, schemas.DimAgeGroup: {"c1", 32, 8}, schemas.DimAgeBand: {"c1", 40, 8},
	schemas.DimSexAge: {"c1", 48, 8}, schemas.DimFlow: {"c1", 56, 8},

	schemas.DimProvince: {"c2", 0, 8}, schemas.DimBorderPost: {"c2", 8, 8}, schemas.DimStatus: {"c2", 16, 8},
	schemas.DimCJStage: {"c2", 24, 8}, schemas.DimMigrationStatus: {"c2", 32, 8},
	schemas.DimReferringInstitution: {"c2", 40, 8}, schemas.DimReportingEntity: {"c2", 48, 8}, schemas.DimSector: {"c2", 56, 8},

	schemas.DimExploitationMain: {"c3", 0, 8}, schemas.DimICCS: {"c3", 8, 8},
	schemas.DimCitizenship: {"c3", 16, 16}, schemas.DimCountryExploitation: {"c3", 32, 16},

	schemas.DimExploitation: {"c4", 0, 32}, schemas.DimRecruitment: {"c4", 32, 32},
}

const ageUnknown = 1<<16 - 1

// expr is the SQL that unpacks a slot of the row alias v.
func (s slot) expr(v string) string {
	return fmt.Sprintf("CAST((%s.%s >> %d) & %d AS BIGINT)", v, s.col, s.shift, uint64(1)<<s.bits-1)
}

// pack returns the five columns of a record.
func pack(r *schemas.Record) (c0, c1, c2, c3, c4 uint64) {
	age := uint64(ageUnknown)
	if r.Age >= 0 {
		age = uint64(r.Age)
	}
	c0 = uint64(uint16(r.Year)) | uint64(r.Month)<<16 | uint64(r.Day)<<24 | age<<32
	c1 = uint64(r.Role) | uint64(r.Offence)<<8 | uint64(r.Sex)<<16 | uint64(r.GenderIdentity)<<24 |
		uint64(r.AgeGroup)<<32 | uint64(r.AgeBand)<<40 | uint64(r.SexAge)<<48 | uint64(r.Flow)<<56
	c2 = uint64(r.Province) | uint64(r.BorderPost)<<8 | uint64(r.Status)<<16 | uint64(r.CJStage)<<24 |
		uint64(r.MigrationStatus)<<32 | uint64(r.ReferringInstitution)<<40 | uint64(r.ReportingEntity)<<48 | uint64(r.Sector)<<56
	c3 = uint64(r.ExploitationMain) | uint64(r.ICCS)<<8 | uint64(r.Citizenship)<<16 | uint64(r.CountryExploitation)<<32
	c4 = uint64(r.Exploitation) | uint64(r.Recruitment)<<32
	return
}

// enumType names the ENUM type of a dimension (schemas.EnumTypes).
func enumType(d schemas.Dim) string {
	for _, e := range schemas.EnumTypes() {
		if e.Dim == d || (d == schemas.DimCountryExploitation && e.Dim == schemas.DimCitizenship) ||
			(d == schemas.DimReportingEntity && e.Dim == schemas.DimReferringInstitution) {
			return e.Name
		}
	}
	panic("store: no ENUM type for " + string(d))
}

// viewColumns are the single-valued columns of the records view, in order.
var viewColumns = []schemas.Dim{
	schemas.DimRole, schemas.DimOffence, schemas.DimYear, schemas.DimQuarter, schemas.DimMonth,
	schemas.DimSex, schemas.DimGenderIdentity, schemas.DimAgeGroup, schemas.DimAgeBand, schemas.DimSexAge,
	schemas.DimCitizenship, schemas.DimCountryExploitation, schemas.DimExploitationMain, schemas.DimICCS,
	schemas.DimFlow, schemas.DimProvince, schemas.DimBorderPost, schemas.DimStatus, schemas.DimCJStage,
	schemas.DimMigrationStatus, schemas.DimReferringInstitution, schemas.DimReportingEntity, schemas.DimSector,
}

// viewDDL creates the documented views from the layout: records (one row
// per person, current version, one ENUM column per single-valued dimension)
// and one view per multi-valued dimension (one row per person and value).
func viewDDL() []string {
	var cols []string
	month := layout["month"].expr("v")
	for _, d := range viewColumns {
		switch d {
		case schemas.DimYear:
			cols = append(cols, fmt.Sprintf("CAST(%s AS SMALLINT) AS year", layout[d].expr("v")))
		case schemas.DimQuarter:
			cols = append(cols, fmt.Sprintf("CAST(CASE WHEN %[1]s = 0 THEN 'unknown' ELSE CAST((%[1]s - 1) // 3 + 1 AS VARCHAR) END AS quarter_t) AS quarter", month))
		case schemas.DimMonth:
			cols = append(cols, fmt.Sprintf("CAST(CASE WHEN %[1]s = 0 THEN 'unknown' ELSE CAST(%[1]s AS VARCHAR) END AS month_t) AS month", month))
		default:
			cols = append(cols, fmt.Sprintf("CAST(enum_range(NULL::%[1]s)[%[2]s + 1] AS %[1]s) AS %[3]s", enumType(d), layout[d].expr("v"), d))
		}
	}
	age := layout["age"].expr("v")
	cols = append(cols, fmt.Sprintf("CASE WHEN %s = %d THEN NULL ELSE CAST(%s AS SMALLINT) END AS age", age, ageUnknown, age))
	out := []string{fmt.Sprintf("CREATE OR REPLACE VIEW records AS SELECT v.id, v.id >> 32 AS batch_id, %s FROM record_versions v WHERE v.is_current",
		strings.Join(cols, ", "))}
	for _, d := range []schemas.Dim{schemas.DimExploitation, schemas.DimRecruitment} {
		out = append(out, fmt.Sprintf(`CREATE OR REPLACE VIEW records_%[1]s AS
SELECT v.id, CAST(enum_range(NULL::%[2]s)[c.range + 1] AS %[2]s) AS %[1]s
FROM record_versions v JOIN range(0, 32) c ON (%[3]s >> c.range) & 1 = 1
WHERE v.is_current`, d, enumType(d), layout[d].expr("v")))
	}
	return out
}
