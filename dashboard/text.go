package dashboard

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// page is what every template receives: the language, the title, the URL
// (for the language switch), the caller (nil on /public) and the page's
// own data.
type page struct {
	Lang   string
	Title  schemas.Message
	URL    *url.URL
	Caller *schemas.Caller
	Data   any
}

// CSRF is the token every form of a session sends back as _csrf.
func (p page) CSRF() string {
	if p.Caller == nil {
		return ""
	}
	return p.Caller.CSRF
}

// Can reports whether the caller has one of the roles named.
func (p page) Can(roles ...string) bool {
	if p.Caller == nil {
		return false
	}
	for _, r := range roles {
		if p.Caller.User.Role.String() == r {
			return true
		}
	}
	return false
}

var (
	msgForbidden = schemas.Message{ES: "Su rol no da acceso a esta página.", EN: "Your role does not give access to this page."}
	msgNotFound  = schemas.Message{ES: "No se encontró la página.", EN: "Page not found."}
)

// words are the fixed texts of the pages, by key, in both languages.
var words = map[string]schemas.Message{
	"app":              {ES: "tipdash · CONATT", EN: "tipdash · CONATT"},
	"nav.dashboard":    {ES: "Tablero", EN: "Dashboard"},
	"nav.upload":       {ES: "Cargar datos", EN: "Upload data"},
	"nav.releases":     {ES: "Publicaciones", EN: "Releases"},
	"nav.logout":       {ES: "Salir", EN: "Log out"},
	"lang.switch":      {ES: "English", EN: "Español"},
	"lang.switch.code": {ES: "en", EN: "es"},
	"skip":             {ES: "Saltar al contenido", EN: "Skip to content"},
	"error":            {ES: "Error", EN: "Error"},

	"dash.title":                {ES: "Trata de personas y tráfico ilícito de migrantes en Costa Rica", EN: "Trafficking in persons and smuggling of migrants in Costa Rica"},
	"public.title":              {ES: "Datos públicos: trata de personas y tráfico ilícito de migrantes en Costa Rica", EN: "Public data: trafficking in persons and smuggling of migrants in Costa Rica"},
	"tier.conatt":               {ES: "Cifras protegidas de la publicación CONATT: las cifras de 1 a 4 se ocultan.", EN: "Protected figures of the CONATT release: counts of 1 to 4 are hidden."},
	"tier.public":               {ES: "Cifras protegidas de la publicación pública: las cifras de 1 a 9 se ocultan y el resto se redondea a múltiplos de 5.", EN: "Protected figures of the public release: counts of 1 to 9 are hidden and the rest rounded to multiples of 5."},
	"chart.release":             {ES: "Publicación %d (%s), nivel %s", EN: "Release %d (%s), tier %s"},
	"chart.exact":               {ES: "Cifras exactas de los registros actuales: uso interno", EN: "Exact counts of the current records: internal use"},
	"tier.admin":                {ES: "Cifras exactas de los registros actuales (uso interno: no las difunda).", EN: "Exact counts of the current records (internal use: do not share them)."},
	"head.release":              {ES: "Publicación", EN: "Release"},
	"head.exact":                {ES: "Registros actuales", EN: "Current records"},
	"head.batch":                {ES: "Último lote cargado", EN: "Latest batch uploaded"},
	"head.none":                 {ES: "ninguno", EN: "none"},
	"norelease":                 {ES: "Todavía no hay una publicación aprobada de este nivel: las tablas aparecerán cuando un administrador publique una.", EN: "There is no approved release of this tier yet: the tables will appear when an administrator publishes one."},
	"filter.legend":             {ES: "Filtros (solo eligen filas de las tablas publicadas)", EN: "Filters (they only select rows of the published tables)"},
	"filter.from":               {ES: "Desde el año", EN: "From year"},
	"filter.to":                 {ES: "Hasta el año", EN: "To year"},
	"filter.measure":            {ES: "Mostrar", EN: "Show"},
	"filter.all":                {ES: "Todo", EN: "Everything"},
	"filter.any":                {ES: "cualquiera", EN: "any"},
	"measure.victims":           {ES: "Víctimas de trata", EN: "Trafficking victims"},
	"measure.smuggled_migrants": {ES: "Migrantes objeto de tráfico", EN: "Smuggled migrants"},
	"measure.suspects":          {ES: "Personas sospechosas", EN: "Suspects"},
	"filter.apply":              {ES: "Aplicar", EN: "Apply"},
	"filter.clear":              {ES: "Quitar filtros", EN: "Clear filters"},
	"chart.table":               {ES: "Tabla de datos", EN: "Data table"},
	"chart.hidden":              {ES: "oculto", EN: "hidden"},
	"chart.hiddennote":          {ES: "oculto: de 1 a 4 personas, u oculto para proteger una cifra así", EN: "hidden: 1 to 4 people, or hidden to protect such a count"},
	"chart.hiddenpub":           {ES: "oculto: de 1 a 9 personas, u oculto para proteger una cifra así", EN: "hidden: 1 to 9 people, or hidden to protect such a count"},
	"chart.withheld":            {ES: "Tabla retenida: publicarla dejaría deducir alguna cifra pequeña.", EN: "Table withheld: publishing it would let a small count be worked out."},
	"chart.empty":               {ES: "Sin filas para los filtros elegidos.", EN: "No rows for the filters chosen."},
	"chart.count":               {ES: "Personas", EN: "People"},
	"chart.total":               {ES: "Total", EN: "Total"},
	"chart.multi":               {ES: "Una persona se cuenta una vez en cada forma de explotación que sufrió: las filas no suman el total.", EN: "A person is counted once under each form of exploitation they suffered: rows do not add up to the total."},
	"download":                  {ES: "Descargar", EN: "Download"},
	"png":                       {ES: "Imagen PNG: botón de descarga del gráfico", EN: "PNG image: the chart's download button"},

	"up.title":       {ES: "Cargar un lote de casos", EN: "Upload a batch of cases"},
	"up.file":        {ES: "Archivo (XLSX, CSV o JSON Lines)", EN: "File (XLSX, CSV or JSON Lines)"},
	"up.profile":     {ES: "Perfil de columnas", EN: "Column profile"},
	"up.entity":      {ES: "Institución que reporta", EN: "Reporting institution"},
	"up.preview":     {ES: "Revisar sin guardar", EN: "Check without storing"},
	"up.store":       {ES: "Guardar el lote", EN: "Store the batch"},
	"up.template":    {ES: "Descargar la plantilla ERI (XLSX)", EN: "Download the ERI template (XLSX)"},
	"up.columns":     {ES: "Cómo se lee cada columna", EN: "How each column is read"},
	"up.columnshelp": {ES: "Cambie la lectura de una columna y vuelva a revisar; «según el perfil» deja lo que el perfil decide.", EN: "Change how a column is read and check again; \"as the profile says\" keeps what the profile decides."},
	"up.asprofile":   {ES: "según el perfil", EN: "as the profile says"},
	"up.header":      {ES: "Encabezado", EN: "Header"},
	"up.action":      {ES: "Lectura", EN: "Read as"},
	"up.mapping":     {ES: "Leer como", EN: "Read as"},
	"up.report":      {ES: "Informe del lote", EN: "Batch report"},
	"up.status":      {ES: "Resultado", EN: "Outcome"},
	"up.rows":        {ES: "Filas leídas", EN: "Rows read"},
	"up.accepted":    {ES: "Aceptadas", EN: "Accepted"},
	"up.warned":      {ES: "Con avisos", EN: "With warnings"},
	"up.rejected":    {ES: "Rechazadas", EN: "Rejected"},
	"up.updated":     {ES: "Personas ya conocidas (actualizadas)", EN: "People already known (updated)"},
	"up.rejections":  {ES: "Filas rechazadas", EN: "Rejected rows"},
	"up.row":         {ES: "Fila", EN: "Row"},
	"up.column":      {ES: "Columna", EN: "Column"},
	"up.value":       {ES: "Valor", EN: "Value"},
	"up.reason":      {ES: "Motivo", EN: "Reason"},
	"up.warnings":    {ES: "Valores desconocidos (leídos como «unknown»)", EN: "Unknown values (read as \"unknown\")"},
	"up.count":       {ES: "Veces", EN: "Count"},
	"up.dropped":     {ES: "Columnas con datos personales descartadas", EN: "Personal-data columns dropped"},
	"up.omitted":     {ES: "filas más en la cuarentena", EN: "more rows in the quarantine"},
	"up.xlsx":        {ES: "Descargar el informe (XLSX)", EN: "Download the report (XLSX)"},
	"up.batches":     {ES: "Lotes cargados", EN: "Batches uploaded"},
	"up.batch":       {ES: "Lote", EN: "Batch"},
	"up.when":        {ES: "Fecha", EN: "Date"},
	"up.by":          {ES: "Cargado por", EN: "Uploaded by"},
	"up.rollback":    {ES: "Deshacer", EN: "Roll back"},
	"up.noupload":    {ES: "Elija un archivo.", EN: "Choose a file."},
	"up.expired":     {ES: "El archivo revisado ya no está en el servidor: vuelva a elegirlo.", EN: "The file checked is no longer on the server: choose it again."},
	"up.rolledback":  {ES: "Lote deshecho.", EN: "Batch rolled back."},
	"up.rollconfirm": {ES: "¿Deshacer este lote?", EN: "Roll this batch back?"},
	"up.storedok":    {ES: "Lote guardado.", EN: "Batch stored."},
	"up.checkedok":   {ES: "Revisado: no se guardó nada. Corrija la lectura de las columnas si hace falta y guarde.", EN: "Checked: nothing was stored. Fix how columns are read if needed, then store."},

	"col.mapped":   {ES: "se lee como", EN: "read as"},
	"col.flag":     {ES: "columna sí/no de un código", EN: "yes/no column of one code"},
	"col.personal": {ES: "datos personales: se descarta, nunca se guarda", EN: "personal data: dropped, never stored"},
	"col.ignored":  {ES: "no se lee", EN: "not read"},
	"col.repeated": {ES: "repetida: no se lee", EN: "repeated: not read"},

	"status.stored":         {ES: "guardado", EN: "stored"},
	"status.dry_run":        {ES: "revisado, sin guardar", EN: "checked, not stored"},
	"status.refused_strict": {ES: "rechazado (estricto)", EN: "refused (strict)"},
	"status.duplicate_file": {ES: "archivo ya cargado: nada cambió", EN: "file already stored: nothing changed"},
	"status.rolled_back":    {ES: "deshecho", EN: "rolled back"},

	"rel.title":     {ES: "Publicaciones", EN: "Releases"},
	"rel.publish":   {ES: "Publicar ahora una publicación CONATT", EN: "Publish a CONATT release now"},
	"rel.note":      {ES: "Motivo (obligatorio)", EN: "Reason (required)"},
	"rel.go":        {ES: "Publicar", EN: "Publish"},
	"rel.id":        {ES: "Nº", EN: "No."},
	"rel.kind":      {ES: "Nivel", EN: "Tier"},
	"rel.status":    {ES: "Estado", EN: "Status"},
	"rel.created":   {ES: "Creada", EN: "Created"},
	"rel.approved":  {ES: "Aprobada", EN: "Approved"},
	"rel.approve":   {ES: "Aprobar", EN: "Approve"},
	"rel.report":    {ES: "Informe de protección", EN: "Disclosure report"},
	"rel.table":     {ES: "Tabla", EN: "Table"},
	"rel.cells":     {ES: "Celdas", EN: "Cells"},
	"rel.hidden":    {ES: "Ocultas", EN: "Hidden"},
	"rel.people":    {ES: "Personas", EN: "People"},
	"rel.shown":     {ES: "Personas en celdas visibles", EN: "People in shown cells"},
	"rel.withheld":  {ES: "retenida", EN: "withheld"},
	"rel.compare":   {ES: "Exacta y protegida, lado a lado", EN: "Exact and protected, side by side"},
	"rel.exact":     {ES: "Exacta (actual)", EN: "Exact (current)"},
	"rel.protected": {ES: "Protegida (publicación)", EN: "Protected (release)"},
	"rel.confid":    {ES: "Este informe lleva cifras exactas: solo para administradores.", EN: "This report holds exact counts: administrators only."},
	"rel.none":      {ES: "Todavía no hay publicaciones.", EN: "No releases yet."},
	"rel.done":      {ES: "Publicación creada.", EN: "Release created."},
	"rel.ok":        {ES: "Publicación aprobada.", EN: "Release approved."},
	"rel.draft":     {ES: "borrador", EN: "draft"},
	"rel.approvedS": {ES: "aprobada", EN: "approved"},
	"rel.show":      {ES: "Ver", EN: "Show"},
}

// tr picks the text of m in lang.
func tr(lang string, m schemas.Message) string {
	if lang == "en" {
		return m.EN
	}
	return m.ES
}

// word is the text of a key of words; a missing key shows itself, so that
// a typo is seen, not hidden.
func word(lang, key string) string {
	m, ok := words[key]
	if !ok {
		return key
	}
	return tr(lang, m)
}

// withLang is the URL with ?lang= set, for the language switch.
func withLang(u *url.URL, lang string) string {
	q := u.Query()
	q.Set("lang", lang)
	v := *u
	v.RawQuery = q.Encode()
	return v.RequestURI()
}

// codeLabel is a code's label in lang: from the code list, the country
// names for citizenship, or the code itself (years).
func codeLabel(d schemas.Dim, code, lang string) string {
	if dim, ok := schemas.Lookup(d); ok {
		if i := dim.Index(code); i >= 0 && i < len(dim.Codes) {
			return dim.Codes[i].Label(lang)
		}
	}
	for _, c := range schemas.Vocabulary().Countries {
		if c.Alpha3 == code {
			if lang == "en" {
				return c.EN
			}
			return c.ES
		}
	}
	return code
}

func dimLabel(d schemas.Dim, lang string) string {
	if dim, ok := schemas.Lookup(d); ok {
		return dim.Label(lang)
	}
	return string(d)
}

func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return word(lang, "head.none")
	}
	if lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// fromEarlier labels a chart or figure read from release rel (of date at)
// on a page of release latest: its own release, so that it is not taken
// for the latest's; "" when it is of the latest (or exact).
func fromEarlier(lang string, rel int64, at time.Time, latest int64) string {
	if rel == 0 || rel >= latest {
		return ""
	}
	return tr(lang, schemas.Message{
		ES: fmt.Sprintf("De la publicación %d (%s), no de la última (publicación %d)", rel, formatDate("es", at), latest),
		EN: fmt.Sprintf("From release %d (%s), not the latest (release %d)", rel, formatDate("en", at), latest),
	})
}

// formatInt writes a count with the thousands separator of the language.
func formatInt(lang string, n int) string {
	s := strconv.Itoa(n)
	sep := ","
	if lang != "en" {
		sep = "." // Costa Rica writes 1.234 (and so does the README's limits table)
	}
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return neg + s
}

// statusOf maps a service's error to an HTTP status by its kind.
func statusOf(err error) int {
	switch {
	case errors.Is(err, schemas.ErrInvalid), errors.Is(err, schemas.ErrRefused):
		return http.StatusBadRequest
	case errors.Is(err, schemas.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, schemas.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, schemas.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, schemas.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// messageOf is the bilingual message of an error; an unexpected one is
// logged and shown without its details.
func messageOf(err error) schemas.Message {
	var se *schemas.Error
	if errors.As(err, &se) {
		return se.Msg
	}
	slog.Error("dashboard", "error", err)
	return schemas.Message{ES: "Error interno del servidor.", EN: "Internal server error."}
}

func parsePages() *template.Template {
	funcs := template.FuncMap{
		"t":        word,
		"tr":       tr,
		"withLang": withLang,
		"date":     formatDate,
		"num":      formatInt,
		"code":     func(d schemas.Dim, c, lang string) string { return codeLabel(d, c, lang) },
		"dim":      dimLabel,
		"pct":      func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	}
	return template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
}

// render writes a template into a buffer first, so that a failing page
// does not leave half its HTML behind.
func (s *server) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, p); err != nil {
		slog.Error("dashboard: render", "template", name, "error", err)
		http.Error(w, "internal error / error interno", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.Header().Set("Content-Security-Policy", contentPolicy(buf.Bytes()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// scriptTag opens a script element (go-echarts writes each chart's
// options as an inline one).
var scriptTag = regexp.MustCompile(`<script(?:\s[^>]*)?>`)

// contentPolicy allows scripts from the server and exactly the inline
// scripts of this page, by their hashes: nothing injected into a page can
// run, and nothing loads from elsewhere.
func contentPolicy(page []byte) string {
	var hashes []string
	for _, loc := range scriptTag.FindAllIndex(page, -1) {
		body := page[loc[1]:]
		end := bytes.Index(body, []byte("</script>"))
		if end <= 0 {
			continue // a script from a file (src=...), or no end
		}
		sum := sha256.Sum256(body[:end])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return "default-src 'self'; script-src 'self' " + strings.Join(hashes, " ") +
		"; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
}
