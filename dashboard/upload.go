package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

// maxUpload bounds an uploaded file; the ingest limits (5,000,000 rows)
// apply after it.
const maxUpload = 512 << 20

// pendingTTL is how long a checked file waits on the server for the
// analyst to fix its mapping and store it.
const pendingTTL = time.Hour

// pendingUploads keeps the files analysts checked (dry runs), so that a
// changed column mapping is checked again, and stored, without sending
// the file again. Each file is private to its uploader.
type pendingUploads struct {
	mu    sync.Mutex
	root  string // where the private folder is made
	dir   string
	files map[string]*pendingFile
}

type pendingFile struct {
	path, name, owner string
	created           time.Time
	report            *schemas.BatchReport
}

func newPendingUploads(root string) *pendingUploads {
	return &pendingUploads{root: root, files: map[string]*pendingFile{}}
}

// save copies an uploaded file into the private folder (mode 0700, files
// 0600), keeping its extension: the readers choose the format by it.
func (p *pendingUploads) save(src multipart.File, name, owner string) (string, *pendingFile, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(time.Now())
	if p.dir == "" {
		dir, err := os.MkdirTemp(p.root, "tipdash-uploads-")
		if err != nil {
			return "", nil, err
		}
		p.dir = dir
	}
	f, err := os.CreateTemp(p.dir, "upload-*"+strings.ToLower(filepath.Ext(name)))
	if err != nil {
		return "", nil, err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", nil, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	pf := &pendingFile{path: f.Name(), name: filepath.Base(name), owner: owner, created: time.Now()}
	p.files[token] = pf
	return token, pf, nil
}

// get returns the caller's pending file of token.
func (p *pendingUploads) get(token, owner string) (*pendingFile, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(time.Now())
	pf, ok := p.files[token]
	if !ok || pf.owner != owner {
		return nil, false
	}
	return pf, true
}

func (p *pendingUploads) setReport(pf *pendingFile, rep *schemas.BatchReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pf.report = rep
}

func (p *pendingUploads) drop(token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pf, ok := p.files[token]; ok {
		os.Remove(pf.path)
		delete(p.files, token)
	}
}

// expire removes files older than pendingTTL; the caller holds mu.
func (p *pendingUploads) expire(now time.Time) {
	for t, pf := range p.files {
		if now.Sub(pf.created) > pendingTTL {
			os.Remove(pf.path)
			delete(p.files, t)
		}
	}
}

// uploadView is what the upload page shows.
type uploadView struct {
	Profiles []string
	Profile  string
	Entities []schemas.Code
	Entity   string
	Fields   []string
	Token    string
	File     string
	Report   *schemas.BatchReport
	Columns  []columnView
	Mapping  map[string]string
	Batches  []schemas.BatchInfo
	Done     string // a key of words: what the last action did
	Error    *schemas.Message
}

type columnView struct {
	schemas.ColumnReport
	Chosen string // the field the analyst chose; "" for the profile's reading
	Why    []schemas.Message
}

func (s *server) uploadPage(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	v := s.newUploadView(r, c)
	if done := r.URL.Query().Get("done"); done == "rolledback" {
		v.Done = "up.rolledback"
	}
	s.showUpload(w, r, c, http.StatusOK, v)
}

func (s *server) newUploadView(r *http.Request, c schemas.Caller) *uploadView {
	return &uploadView{
		Profiles: schemas.BuiltinProfiles(),
		Profile:  "eri",
		Entities: schemas.MustDim(schemas.DimReferringInstitution).Codes,
		Entity:   c.User.Entity.String(),
		Fields:   schemas.Fields(),
	}
}

func (s *server) showUpload(w http.ResponseWriter, r *http.Request, c schemas.Caller, status int, v *uploadView) {
	if bs, err := s.svc.Batches.Batches(r.Context()); err == nil {
		v.Batches = bs // newest first
	}
	s.render(w, status, "upload", page{Lang: c.Lang, Title: words["up.title"], URL: r.URL, Caller: &c, Data: v})
}

// upload checks (dry run) or stores a file. The file comes with the form
// the first time; later the form names the pending file by its token and
// sends the column mapping the analyst chose.
func (s *server) upload(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	v := s.newUploadView(r, c)
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		v.Error = &schemas.Message{ES: "No se pudo leer el formulario: " + err.Error(), EN: "The form could not be read: " + err.Error()}
		s.showUpload(w, r, c, http.StatusBadRequest, v)
		return
	}
	defer r.MultipartForm.RemoveAll()
	if p := r.FormValue("profile"); slices.Contains(v.Profiles, p) {
		v.Profile = p
	}
	if e := r.FormValue("entity"); e != "" {
		v.Entity = e
	}

	var pf *pendingFile
	if f, h, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if v.Token, pf, err = s.uploads.save(f, h.Filename, c.User.Name); err != nil {
			s.failErr(w, r, c.Lang, err)
			return
		}
	} else if tok := r.FormValue("token"); tok != "" {
		var ok bool
		if pf, ok = s.uploads.get(tok, c.User.Name); !ok {
			v.Error = &schemas.Message{ES: words["up.expired"].ES, EN: words["up.expired"].EN}
			s.showUpload(w, r, c, http.StatusBadRequest, v)
			return
		}
		v.Token = tok
	} else {
		v.Error = &schemas.Message{ES: words["up.noupload"].ES, EN: words["up.noupload"].EN}
		s.showUpload(w, r, c, http.StatusBadRequest, v)
		return
	}
	v.File = pf.name

	// The mapping: one "col" (a header) and one "field" per column of the
	// previous report, "" where the analyst kept the profile's reading.
	v.Mapping = map[string]string{}
	cols, fields := r.MultipartForm.Value["col"], r.MultipartForm.Value["field"]
	for i := 0; i < len(cols) && i < len(fields); i++ {
		if fields[i] != "" {
			v.Mapping[cols[i]] = fields[i]
		}
	}
	prof, err := schemas.BuiltinProfile(v.Profile)
	if err == nil && len(v.Mapping) > 0 {
		prof, err = prof.WithColumns(v.Mapping)
	}
	if err != nil {
		v.Error = ptr(messageOf(err))
		s.showUpload(w, r, c, statusOf(err), v)
		return
	}
	dry := r.FormValue("action") != "store"
	rep, err := s.svc.Ingest.Ingest(r.Context(), schemas.IngestRequest{
		Path: pf.path, Name: pf.name, Profile: prof, Entity: v.Entity, Uploader: c.User.Name, DryRun: dry,
	})
	if err != nil {
		v.Error = ptr(messageOf(err))
		s.showUpload(w, r, c, statusOf(err), v)
		return
	}
	v.Report = rep
	s.uploads.setReport(pf, rep)
	v.Done = "up.checkedok"
	if !dry {
		v.Done = "up.storedok"
		s.uploads.drop(v.Token)
		v.Token = ""
	}
	for _, col := range rep.Columns {
		cv := columnView{ColumnReport: col, Chosen: v.Mapping[col.Header]}
		for _, iss := range rep.RowWarnings {
			if iss.Column == col.Header && iss.Row == rep.HeaderRow {
				cv.Why = append(cv.Why, iss.Msg)
			}
		}
		v.Columns = append(v.Columns, cv)
	}
	s.showUpload(w, r, c, http.StatusOK, v)
}

func ptr[T any](v T) *T { return &v }

// template sends the ERI template.
func (s *server) template(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	w.Header().Set("Content-Type", schemas.FormatXLSX.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="plantilla_eri.xlsx"`)
	sheets.WriteTemplate(w)
}

// pendingReport sends the report of the analyst's last check of a file.
func (s *server) pendingReport(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	pf, ok := s.uploads.get(r.PathValue("token"), c.User.Name)
	if !ok || pf.report == nil {
		s.fail(w, r, c.Lang, http.StatusNotFound, words["up.expired"])
		return
	}
	writeReport(w, pf.report, "informe_revision.xlsx")
}

// batchReport sends a stored batch's report.
func (s *server) batchReport(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, c.Lang, http.StatusNotFound, msgNotFound)
		return
	}
	_, rep, err := s.svc.Batches.Batch(r.Context(), id)
	if err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	writeReport(w, rep, "informe_lote_"+strconv.FormatInt(id, 10)+".xlsx")
}

func writeReport(w http.ResponseWriter, rep *schemas.BatchReport, name string) {
	w.Header().Set("Content-Type", schemas.FormatXLSX.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	sheets.WriteReport(w, schemas.FormatXLSX, rep)
}

// rollback undoes a batch (the service audits it).
func (s *server) rollback(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, c.Lang, http.StatusNotFound, msgNotFound)
		return
	}
	if err := s.svc.Batches.Rollback(r.Context(), id, time.Now()); err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	http.Redirect(w, r, "/upload?done=rolledback", http.StatusSeeOther)
}
