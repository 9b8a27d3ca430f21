package schemas

// TemplateColumn is one column of the ERI template.
type TemplateColumn struct {
	Header string // Spanish header, an alias of Field in the eri profile
	Field  string
	Help   string // what to write, in Spanish
}

// TemplateColumns is the ERI template, in order. The generator writes the
// same columns, plus the personal-data columns a real sheet often carries.
var TemplateColumns = []TemplateColumn{
	{"ID persona", FieldPersonID, "Código interno de la persona (no la cédula). Se guarda cifrado; permite actualizarla en cargas posteriores."},
	{"ID caso", FieldCaseID, "Código interno del caso o expediente. Se guarda cifrado."},
	{"Rol", "role", "Víctima, persona migrante objeto de tráfico, o persona sospechosa/imputada."},
	{"Delito", "offence", "Trata de personas o tráfico ilícito de migrantes (ley 8764)."},
	{"Fecha de referencia", FieldDate, "Fecha de acreditación, identificación o detección: dd/mm/aaaa."},
	{"Sexo", "sex", "Mujer, hombre, otro o desconocido."},
	{"Identidad de género", "gender_identity", "Mujer, hombre, trans o no binaria, desconocida."},
	{"Edad", FieldAge, "Años cumplidos (p. ej. 15), o «menor de edad» / «mayor de edad» si no se sabe."},
	{"Fecha de nacimiento", FieldBirthDate, "dd/mm/aaaa; si se da, calcula la edad exacta."},
	{"Nacionalidad", "citizenship", "País o gentilicio: Nicaragua, nicaragüense, NIC."},
	{"País de explotación", "country_exploitation", "País donde ocurrió la explotación."},
	{"Provincia", "province", "Provincia de Costa Rica, o «en el extranjero»."},
	{"Puesto fronterizo", "border_post", "Peñas Blancas, Las Tablillas, Paso Canoas, Sixaola, Sabalito, aeropuertos, ninguno."},
	{"Estado de la víctima", "status", "Presunta, acreditada o no acreditada (solo víctimas)."},
	{"Etapa judicial", "cj_stage", "Sospechosa, acusada, condenada o absuelta (solo personas sospechosas)."},
	{"Condición migratoria", "migration_status", "Nacional, regular, irregular, en tránsito, solicitante de refugio, refugiada."},
	{"Institución que refiere", "referring_institution", "OIJ, DGME, PANI, INAMU, Fiscalía, 9-1-1, 1-1-7-6, ONG..."},
	{"Formas de explotación", "exploitation", "Una o varias, separadas por «;»: explotación sexual comercial; trabajos o servicios forzados..."},
	{"Formas de captación", "recruitment", "Una o varias, separadas por «;»: oferta de empleo engañosa; redes sociales..."},
	{"Sector económico", "sector", "Actividad donde ocurrió: agricultura, construcción, trabajo doméstico..."},
}
