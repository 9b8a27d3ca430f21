package ingest

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/conatt/tipdash/schemas"
)

// GenOptions configure the synthetic ERI batch generator.
type GenOptions struct {
	N         int
	Seed      uint64
	Format    string // csv, xlsx, jsonl
	Delimiter rune   // CSV only; 0 for ','
	Encoding  string // CSV only: utf-8 (default), utf-8-bom, windows-1252
	FromYear  int    // reference dates from FromYear to ToYear; 0 for 2019..2025
	ToYear    int
	// Roles weighs victims, smuggled migrants and suspects; zero for
	// 15:65:20. Costa Rica's volumes are about 2:95:3 (20-60 victims a
	// year beside thousands of smuggled migrants).
	Roles [3]int
}

// personalColumns are the personal-data columns real ERI sheets carry;
// the generator fills them with fake values so that tests can check they
// are dropped.
var personalColumns = []string{"Nombre completo", "Cédula o pasaporte", "Teléfono", "Dirección", "Observaciones"}

// GenHeader is the header the generator writes.
func GenHeader() []string {
	h := make([]string, 0, len(schemas.TemplateColumns)+len(personalColumns))
	for _, c := range schemas.TemplateColumns {
		h = append(h, c.Header)
	}
	return append(h, personalColumns...)
}

// Generate writes n synthetic case rows in the ERI layout: victims,
// smuggled migrants and suspects, written the many ways people type them
// (abbreviations, missing accents, gendered forms, several date formats),
// about 1% of rows that must be rejected, a few values no profile knows,
// and fake personal data. The same seed always gives the same file. No row
// describes a real person.
func Generate(w io.Writer, o GenOptions) error {
	g := newGen(o)
	switch o.Format {
	case "", FormatCSV:
		return g.csv(w)
	case FormatXLSX:
		return g.xlsx(w)
	case FormatJSONL:
		return g.jsonl(w)
	}
	return schemas.Invalid("bad_format", "formato desconocido %q: use csv, xlsx o jsonl", "unknown format %q: use csv, xlsx or jsonl", o.Format)
}

type gen struct {
	o      GenOptions
	r      *rand.Rand
	pools  map[string][][]string // field -> code index -> spellings
	row    []string
	ids    []string
	serial int
}

func newGen(o GenOptions) *gen {
	if o.FromYear == 0 {
		o.FromYear, o.ToYear = 2019, 2025
	}
	if o.ToYear < o.FromYear {
		o.ToYear = o.FromYear
	}
	g := &gen{o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), pools: map[string][][]string{}}
	for _, c := range schemas.TemplateColumns {
		d, ok := schemas.Lookup(schemas.Dim(c.Field))
		if !ok || d.Kind == schemas.KindTime {
			continue
		}
		pool := make([][]string, len(d.Codes))
		for i, code := range d.Codes {
			sp := []string{code.ES, code.ES, strings.ToUpper(code.ES), stripAccents(code.ES)}
			for _, s := range code.Synonyms {
				if len([]rune(s)) > 1 || c.Field == "sex" {
					sp = append(sp, s)
				}
			}
			pool[i] = sp
		}
		g.pools[c.Field] = pool
	}
	return g
}

func stripAccents(s string) string {
	return strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "Á", "A", "É", "E", "Í", "I", "Ó", "O", "Ú", "U", "ü", "u").Replace(s)
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// spell writes code c of field the way a person might.
func (g *gen) spell(field, code string) string {
	d := schemas.MustDim(schemas.Dim(field))
	sp := g.pools[field][d.Index(code)]
	return sp[g.pick(len(sp))]
}

func (g *gen) weighted(choices []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.pick(total)
	for i, w := range weights {
		if x < w {
			return choices[i]
		}
		x -= w
	}
	return choices[len(choices)-1]
}

var (
	migrantOrigins = []string{"VEN", "HTI", "CUB", "ECU", "COL", "CHN", "AFG", "CMR", "IND", "NPL", "SEN", "PER"}
	victimOrigins  = []string{"CRI", "NIC", "COL", "VEN", "DOM", "HND", "PAN", "CHN", "PHL"}
	firstNames     = []string{"María", "José", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Carlos", "Yesenia", "Kevin"}
	lastNames      = []string{"Rojas", "Vargas", "Jiménez", "Mora", "Solano", "Quesada", "Castillo", "Méndez"}
	places         = []string{"Barrio Cuba", "La Carpio", "Pavas", "Hatillo", "Liberia centro", "Upala", "Ciudad Neily", "Sixaola"}
)

// country spells a country as a name, a demonym, an alpha-3 or alpha-2 code.
func (g *gen) country(alpha3 string) string {
	d := schemas.MustDim(schemas.DimCitizenship)
	c := d.Codes[d.Index(alpha3)]
	switch g.pick(5) {
	case 0:
		return c.Code
	case 1:
		return c.ES
	case 2:
		return strings.ToUpper(stripAccents(c.ES))
	default:
		if len(c.Synonyms) > 4 {
			return c.Synonyms[4+g.pick(len(c.Synonyms)-4)]
		}
		return c.Synonyms[0]
	}
}

func (g *gen) date(t time.Time) string {
	switch g.pick(10) {
	case 0, 1, 2:
		return t.Format("2006-01-02")
	case 3:
		return t.Format("2/1/06")
	default:
		return t.Format("02/01/2006")
	}
}

// record fills g.row with one synthetic case and returns the reference
// date (for XLSX, which writes real date cells).
func (g *gen) record(i int) time.Time {
	row := g.row[:0]
	weights := g.o.Roles[:]
	if g.o.Roles == [3]int{} {
		weights = []int{15, 65, 20}
	}
	roleCode := g.weighted([]string{"victim", "smuggled_migrant", "suspect"}, weights)
	offence := "tip"
	if roleCode == "smuggled_migrant" || (roleCode == "suspect" && g.chance(0.6)) {
		offence = "som"
	}
	span := time.Date(g.o.ToYear, 12, 31, 0, 0, 0, 0, time.UTC).Sub(time.Date(g.o.FromYear, 1, 1, 0, 0, 0, 0, time.UTC))
	ref := time.Date(g.o.FromYear, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.Int64N(int64(span/time.Hour))) * time.Hour).Truncate(24 * time.Hour)
	if now := time.Now().UTC().Truncate(24 * time.Hour); ref.After(now) {
		ref = now
	}

	id := fmt.Sprintf("ERI-%d-%04X%06d", ref.Year(), g.o.Seed%0x10000, i+1) // distinct per seed: batches of different seeds are different people
	if len(g.ids) > 0 && g.chance(0.003) {
		id = g.ids[g.pick(len(g.ids))] // repeated in the batch: rejected
	} else if len(g.ids) < 1000 {
		g.ids = append(g.ids, id)
	}
	row = append(row, id, fmt.Sprintf("C-%d-%05d", ref.Year(), g.pick(99999)))

	role := g.spell("role", roleCode)
	switch {
	case g.chance(0.004):
		role = "" // no role: rejected
	case g.chance(0.002):
		role = "testigo" // not a role: rejected
	}
	off := g.spell("offence", offence)
	if roleCode != "suspect" && g.chance(0.3) {
		off = "" // told by the role
	}
	row = append(row, role, off)

	refText := g.date(ref)
	switch {
	case g.chance(0.002):
		refText = "" // no date: rejected
	case g.chance(0.002):
		refText = "31/02/" + fmt.Sprint(ref.Year()) // impossible date: rejected
	}
	row = append(row, refText)

	child := g.chance(map[string]float64{"victim": 0.3, "smuggled_migrant": 0.2, "suspect": 0.01}[roleCode])
	sex := g.weighted([]string{"female", "male", "other", "unknown"}, map[bool][]int{true: {55, 43, 0, 2}, false: {45, 52, 1, 2}}[roleCode == "victim"])
	sexText := g.spell("sex", sex)
	if g.chance(0.002) {
		sexText = "Femenimo" // a typo: warning, unknown
	}
	gi := map[string]string{"female": "woman", "male": "man", "other": "trans_nonbinary", "unknown": "unknown"}[sex]
	giText := ""
	if g.chance(0.6) {
		giText = g.spell("gender_identity", gi)
	}
	row = append(row, sexText, giText)

	age := 18 + g.pick(45)
	if child {
		age = g.pick(18)
	}
	ageText, birth := "", ""
	switch x := g.pick(20); {
	case x < 13:
		ageText = fmt.Sprint(age)
	case x < 15:
		ageText = fmt.Sprintf("%d años", age)
	case x < 16:
		ageText = map[bool]string{true: "menor de edad", false: "mayor de edad"}[child]
	case x < 18:
		b := ref.AddDate(-age, -g.pick(11), -g.pick(27))
		birth = g.date(b)
	}
	row = append(row, ageText, birth)

	origin := migrantOrigins[g.pick(len(migrantOrigins))]
	if roleCode != "smuggled_migrant" {
		origin = victimOrigins[g.pick(len(victimOrigins))]
	}
	exploitCountry := ""
	if roleCode != "smuggled_migrant" {
		exploitCountry = g.country(map[bool]string{true: "CRI", false: "PAN"}[g.chance(0.92)])
	}
	citizenship := g.country(origin)
	if g.chance(0.02) {
		citizenship = ""
	}
	row = append(row, citizenship, exploitCountry)

	prov := []string{"CR-SJ", "CR-A", "CR-C", "CR-H", "CR-G", "CR-P", "CR-L"}[g.pick(7)]
	border := "none"
	if roleCode == "smuggled_migrant" {
		border = g.weighted([]string{"paso_canoas", "penas_blancas", "las_tablillas", "sixaola", "sabalito", "airport_sjo", "airport_lir", "other"}, []int{40, 30, 8, 6, 4, 8, 2, 2})
		prov = map[string]string{"paso_canoas": "CR-P", "penas_blancas": "CR-G", "las_tablillas": "CR-A", "sixaola": "CR-L", "sabalito": "CR-P", "airport_sjo": "CR-A", "airport_lir": "CR-G", "other": "CR-L"}[border]
	}
	row = append(row, g.spell("province", prov), g.spell("border_post", border))

	status, stage := "", ""
	if roleCode == "victim" {
		status = g.spell("status", g.weighted([]string{"accredited", "presumed", "not_accredited"}, []int{70, 20, 10}))
	}
	if roleCode == "suspect" {
		stage = g.spell("cj_stage", g.weighted([]string{"suspected", "prosecuted", "convicted", "acquitted"}, []int{50, 25, 15, 10}))
	}
	row = append(row, status, stage)

	mig := "national"
	if origin != "CRI" {
		mig = g.weighted([]string{"irregular", "in_transit", "regular", "asylum_seeker", "refugee"}, map[bool][]int{true: {30, 60, 2, 6, 2}, false: {40, 5, 35, 15, 5}}[roleCode == "smuggled_migrant"])
	}
	row = append(row, g.spell("migration_status", mig))
	row = append(row, g.spell("referring_institution", g.weighted(
		[]string{"oij", "dgme", "pme", "fuerza_publica", "pani", "inamu", "ministerio_publico", "ngo", "hotline_911", "hotline_1176"},
		map[bool][]int{true: {25, 5, 5, 10, 15, 10, 15, 8, 4, 3}, false: {5, 40, 30, 20, 1, 0, 2, 1, 1, 0}}[roleCode != "smuggled_migrant"])))

	exploit, recruit, sector := "", "", ""
	if offence == "tip" {
		forms := []string{g.weighted([]string{"sexual", "forced_labour", "servitude", "forced_begging", "forced_criminality", "forced_marriage", "illegal_adoption", "unknown"}, []int{55, 20, 8, 4, 4, 3, 1, 5})}
		if g.chance(0.15) {
			forms = append(forms, []string{"forced_labour", "servitude", "sexual"}[g.pick(3)])
		}
		parts := make([]string, len(forms))
		for i, f := range forms {
			parts[i] = g.spell("exploitation", f)
		}
		exploit = strings.Join(parts, []string{"; ", ", ", " y ", " / "}[g.pick(4)])
		recruit = g.spell("recruitment", g.weighted([]string{"job_offer_deception", "online", "family", "intimate_partner", "acquaintance", "debt_bondage", "unknown"}, []int{35, 20, 12, 10, 13, 5, 5}))
		sector = g.spell("sector", g.weighted([]string{"A", "I", "T", "R", "G", "F", "S", "unknown"}, []int{15, 20, 15, 15, 8, 7, 10, 10}))
		if g.chance(0.003) {
			exploit += "; brujería" // not a form of exploitation: warning
		}
	}
	row = append(row, exploit, recruit, sector)

	// Personal data: fake, and always dropped.
	row = append(row,
		firstNames[g.pick(len(firstNames))]+" "+lastNames[g.pick(len(lastNames))]+" "+lastNames[g.pick(len(lastNames))],
		fmt.Sprintf("%d-%04d-%04d", 1+g.pick(9), g.pick(10000), g.pick(10000)),
		fmt.Sprintf("8%03d-%04d", g.pick(1000), g.pick(10000)),
		fmt.Sprintf("%s, %d m al norte de la iglesia", places[g.pick(len(places))], 100*(1+g.pick(5))),
		"Relato ficticio generado para pruebas.")
	g.row = row
	return ref
}

func (g *gen) csv(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var out io.Writer = bw
	switch strings.ToLower(g.o.Encoding) {
	case "", "utf-8", "utf8":
	case "utf-8-bom", "utf8-bom":
		bw.WriteString("\ufeff")
	case "windows-1252", "cp1252", "latin1":
		out = charmap.Windows1252.NewEncoder().Writer(bw)
	default:
		return schemas.Invalid("bad_encoding", "codificación desconocida %q: use utf-8, utf-8-bom o windows-1252",
			"unknown encoding %q: use utf-8, utf-8-bom or windows-1252", g.o.Encoding)
	}
	cw := csv.NewWriter(out)
	if g.o.Delimiter != 0 {
		cw.Comma = g.o.Delimiter
	}
	if err := cw.Write(GenHeader()); err != nil {
		return err
	}
	for i := 0; i < g.o.N; i++ {
		g.record(i)
		if err := cw.Write(g.row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func (g *gen) jsonl(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	hdr := GenHeader()
	for i := 0; i < g.o.N; i++ {
		g.record(i)
		bw.WriteByte('{')
		first := true
		for j, h := range hdr {
			if g.row[j] == "" {
				continue // JSON Lines writers leave empty keys out
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(h)
			v, _ := json.Marshal(g.row[j])
			bw.Write(k)
			bw.WriteByte(':')
			bw.Write(v)
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

func (g *gen) xlsx(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Casos"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	hdr := GenHeader()
	cells := make([]any, len(hdr))
	for i, h := range hdr {
		cells[i] = h
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	dateCol, ageCol := -1, -1
	for i, c := range schemas.TemplateColumns {
		switch c.Field {
		case schemas.FieldDate:
			dateCol = i
		case schemas.FieldAge:
			ageCol = i
		}
	}
	for i := 0; i < g.o.N; i++ {
		ref := g.record(i)
		for j, v := range g.row {
			cells[j] = v
		}
		// Most analysts type dates into date cells: Excel stores serials.
		if g.row[dateCol] != "" && !strings.HasPrefix(g.row[dateCol], "31/02") && i%5 != 0 { // not from g.r: the same seed gives the same cases in every format
			cells[dateCol] = excelize.Cell{StyleID: dateStyle, Value: ref}
		}
		if n, err := strconv.Atoi(g.row[ageCol]); err == nil {
			cells[ageCol] = n // a number cell, as Excel stores typed ages
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
