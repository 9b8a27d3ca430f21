package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// While "tipdash serve" runs it is the database's one writer (DuckDB
// allows one): the command line then asks it over the Unix socket beside
// the database, which only the owner can open and on which every
// request acts as an administrator named after the local login. client
// speaks the API there and answers as the store would, so that each
// command renders the same output either way.
type client struct {
	hc    *http.Client
	login string // the local login, recorded in the audit log as cli:LOGIN
}

// serverFor returns a client of the server serving db, or nil when no
// server answers on its socket. Whether a server runs is decided by
// dialling, not by the lock error of the database.
func serverFor(ctx context.Context, db string) *client {
	p := socketPath(db)
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", p)
	if err != nil {
		return nil
	}
	conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", p)
		},
		MaxIdleConnsPerHost: 4,
	}
	return &client{hc: &http.Client{Transport: tr}, login: strings.TrimPrefix(uploader(), "cli:")}
}

// apiHeaderRows is the response header of an export that says how many
// rows the file holds.
const apiHeaderRows = "X-Tipdash-Rows"

// do sends a request to /api/v1+path and returns a response of status 2xx;
// any other status is returned as the *schemas.Error the server described.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := "http://tipdash/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.login != "" && c.login != "cli" {
		req.Header.Set("X-Tipdash-Login", c.login)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &schemas.Error{Code: "server_unreachable", Kind: schemas.ErrConflict, Msg: schemas.Message{
			ES: fmt.Sprintf("el servidor (tipdash serve) dejó de responder: %v", err),
			EN: fmt.Sprintf("the server (tipdash serve) stopped answering: %v", err)}}
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, apiError(resp)
}

// apiError reads the API's one error shape back into a *schemas.Error,
// its kind from the status.
func apiError(resp *http.Response) error {
	var body struct {
		Error struct {
			Code      string `json:"code"`
			MessageES string `json:"message_es"`
			MessageEN string `json:"message_en"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil || body.Error.Code == "" {
		return &schemas.Error{Code: "server_error", Msg: schemas.Message{
			ES: "el servidor (tipdash serve) respondió " + resp.Status, EN: "the server (tipdash serve) answered " + resp.Status}}
	}
	if resp.StatusCode >= 500 && body.Error.RequestID != "" {
		// The server logged the error under this number: its log says what happened.
		body.Error.MessageES += " (petición " + body.Error.RequestID + ")"
		body.Error.MessageEN += " (request " + body.Error.RequestID + ")"
	}
	var kind error
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusMethodNotAllowed:
		kind = schemas.ErrInvalid
	case http.StatusUnauthorized:
		kind = schemas.ErrUnauthenticated
	case http.StatusForbidden:
		kind = schemas.ErrForbidden
	case http.StatusNotFound:
		kind = schemas.ErrNotFound
	case http.StatusConflict:
		kind = schemas.ErrConflict
	case http.StatusUnprocessableEntity, http.StatusTooManyRequests:
		kind = schemas.ErrRefused
	}
	return &schemas.Error{Code: body.Error.Code, Kind: kind, Msg: schemas.Message{ES: body.Error.MessageES, EN: body.Error.MessageEN}}
}

// get reads a JSON answer into out.
func (c *client) get(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.do(ctx, http.MethodGet, path, query, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// send sends in as JSON and reads the answer into out (nil: none).
func (c *client) send(ctx context.Context, method, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, method, path, nil, bytes.NewReader(b), "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return decode(resp, out)
}

func decode(resp *http.Response, out any) error {
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// Batches and reports: schemas.BatchService.

func (c *client) Batches(ctx context.Context) ([]schemas.BatchInfo, error) {
	var list []schemas.BatchInfo
	return list, c.get(ctx, "/batches", nil, &list)
}

func (c *client) Batch(ctx context.Context, id int64) (schemas.BatchInfo, *schemas.BatchReport, error) {
	var info schemas.BatchInfo
	if err := c.get(ctx, fmt.Sprintf("/batches/%d", id), nil, &info); err != nil {
		return info, nil, err
	}
	var rep schemas.BatchReport
	if err := c.get(ctx, fmt.Sprintf("/batches/%d/report", id), url.Values{"format": {"json"}}, &rep); err != nil {
		return info, nil, err
	}
	return info, &rep, nil
}

func (c *client) Rollback(ctx context.Context, id int64, _ time.Time) error {
	resp, err := c.do(ctx, http.MethodDelete, fmt.Sprintf("/batches/%d", id), nil, nil, "")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// upload is the ingest service of a running server. A built-in profile
// is sent by name, a profile file as a file; the column mapping as lines.
type upload struct {
	c       *client
	profile string   // a built-in profile's name or a profile file
	mapping []string // "Header=field"
}

func (u upload) Ingest(ctx context.Context, req schemas.IngestRequest) (*schemas.BatchReport, error) {
	f, err := os.Open(req.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var src io.Reader = f
	if req.Progress != nil {
		if st, err := f.Stat(); err == nil {
			src = &progressReader{r: f, total: st.Size(), report: req.Progress}
		}
	}
	// The form is streamed: a large file is never held in memory.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := writeUploadForm(mw, u, req, src)
		if cerr := mw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	resp, err := u.c.do(ctx, http.MethodPost, "/batches", nil, pr, mw.FormDataContentType())
	pr.CloseWithError(errors.New("request done")) // ends the writer if the server answered early
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var rep schemas.BatchReport
	if err := decode(resp, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func writeUploadForm(mw *multipart.Writer, u upload, req schemas.IngestRequest, file io.Reader) error {
	fields := [][2]string{{"entity", req.Entity}, {"sheet", req.Sheet},
		{"dry_run", strconv.FormatBool(req.DryRun)}, {"strict", strconv.FormatBool(req.Strict)}, {"new_secret", strconv.FormatBool(req.NewSecret)}}
	if !profileFile(u.profile) {
		fields = append(fields, [2]string{"profile", u.profile})
	}
	for _, m := range u.mapping {
		fields = append(fields, [2]string{"map", m})
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	if profileFile(u.profile) {
		b, err := os.ReadFile(u.profile)
		if err != nil {
			return err
		}
		w, err := mw.CreateFormFile("profile_file", filepath.Base(u.profile))
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	w, err := mw.CreateFormFile("file", filepath.Base(req.Path))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, file)
	return err
}

type progressReader struct {
	r           io.Reader
	read, total int64
	report      func(read, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	p.report(p.read, p.total)
	return n, err
}

// Tables: schemas.TableService.

// filterQuery adds filters as the API reads them: year=2019..2023, sex=female,male.
func filterQuery(q url.Values, where []schemas.Filter) {
	for _, f := range where {
		dim, values, _ := strings.Cut(f.String(), "=")
		q.Add(dim, values)
	}
}

func (c *client) Aggregate(ctx context.Context, q schemas.Query) (*schemas.Table, error) {
	v := url.Values{"measure": {string(q.Measure)}, "format": {"json"}}
	if len(q.By) > 0 {
		by := make([]string, len(q.By))
		for i, d := range q.By {
			by[i] = string(d)
		}
		v.Set("by", strings.Join(by, ","))
	}
	filterQuery(v, q.Where)
	var t schemas.Table
	return &t, c.get(ctx, "/aggregates", v, &t)
}

func (c *client) ReleaseTable(ctx context.Context, tier schemas.Tier, n int64, id string, where []schemas.Filter) (*schemas.Table, error) {
	return c.CatalogueTable(ctx, tier, n, id, where)
}

func (c *client) CatalogueTable(ctx context.Context, tier schemas.Tier, n int64, id string, where []schemas.Filter) (*schemas.Table, error) {
	v := url.Values{"tier": {string(tier)}, "format": {"json"}}
	if n != 0 {
		v.Set("release", strconv.FormatInt(n, 10))
	}
	filterQuery(v, where)
	var t schemas.Table
	return &t, c.get(ctx, "/tables/"+url.PathEscape(id), v, &t)
}

// Releases.

func (c *client) Releases(ctx context.Context) ([]schemas.Release, error) {
	var list []schemas.Release
	return list, c.get(ctx, "/releases", nil, &list)
}

func (c *client) ReleaseReport(ctx context.Context, n int64) (*schemas.ReleaseReport, error) {
	var rep schemas.ReleaseReport
	return &rep, c.get(ctx, fmt.Sprintf("/releases/%d/report", n), nil, &rep)
}

func (c *client) PublishRelease(ctx context.Context, kind schemas.Tier, note string, _ time.Time) (*schemas.ReleaseReport, error) {
	var rep schemas.ReleaseReport
	return &rep, c.send(ctx, http.MethodPost, "/releases", map[string]string{"kind": string(kind), "note": note}, &rep)
}

func (c *client) ApproveRelease(ctx context.Context, n int64, _ time.Time) error {
	return c.send(ctx, http.MethodPost, fmt.Sprintf("/releases/%d/approve", n), struct{}{}, nil)
}

// Exports: schemas.ExportService.

func (c *client) Export(ctx context.Context, req schemas.ExportRequest, w io.Writer) (int, error) {
	if err := req.Validate(); err != nil {
		return 0, err
	}
	path, v := "/exports/glotip", url.Values{}
	if req.Tier != schemas.TierAdmin {
		n, err := c.servedRelease(ctx, req.Tier, req.Release)
		if err != nil {
			return 0, err
		}
		path = fmt.Sprintf("/releases/%d/export", n)
		switch {
		case req.Layout == schemas.LayoutTables:
			v.Set("format", string(req.Format))
		case req.Format == schemas.FormatParquet:
			return 0, schemas.Invalid("remote_glotip_parquet",
				"el servidor escribe el formato glotip en XLSX o CSV: use --out .xlsx o .csv",
				"the server writes the glotip layout as XLSX or CSV: use --out .xlsx or .csv")
		default:
			v.Set("format", "glotip")
			if req.Format == schemas.FormatCSV {
				v.Set("file", "csv")
			}
		}
	}
	resp, err := c.do(ctx, http.MethodGet, path, v, nil, "")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return 0, err
	}
	return strconv.Atoi(resp.Header.Get(apiHeaderRows))
}

// servedRelease is the release a tier reads, as the store picks it: n,
// or the latest approved release of that kind; never a draft, never one
// of another kind (the server, asked for release n, exports it as its
// own kind).
func (c *client) servedRelease(ctx context.Context, kind schemas.Tier, n int64) (int64, error) {
	list, err := c.Releases(ctx)
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, r := range list {
		switch {
		case n != 0 && r.ID == n && r.Kind != kind:
			return 0, schemas.Refused("release_kind", "la publicación %d es del nivel %s, no %s", "release %d is of tier %s, not %s", n, r.Kind, kind)
		case n != 0 && r.ID == n && r.Status != schemas.ReleaseApproved:
			return 0, schemas.Refused("release_not_approved", "la publicación %d no está aprobada", "release %d is not approved", n)
		case n != 0 && r.ID == n:
			return n, nil
		case n == 0 && r.Kind == kind && r.Status == schemas.ReleaseApproved && r.ID > latest:
			latest = r.ID
		}
	}
	if n != 0 {
		return 0, &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("no existe la publicación %d", n), EN: fmt.Sprintf("there is no release %d", n)}}
	}
	if latest == 0 {
		return 0, &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("no hay ninguna publicación %[1]s aprobada: el nivel %[1]s solo lee publicaciones («tipdash release publish --kind %[1]s»)", kind),
			EN: fmt.Sprintf("there is no approved %[1]s release: tier %[1]s reads releases only (\"tipdash release publish --kind %[1]s\")", kind)}}
	}
	return latest, nil
}

// Accounts and the audit log.

// apiUser is an account as the API writes it (schemas.User writes its
// institution as a code).
type apiUser struct {
	Name     string           `json:"name"`
	Role     schemas.UserRole `json:"role"`
	Entity   string           `json:"entity"`
	Disabled bool             `json:"disabled"`
	Created  time.Time        `json:"created_at"`
}

func (a apiUser) user() (schemas.User, error) {
	entity, err := schemas.ParseInstitution(a.Entity)
	return schemas.User{Name: a.Name, Role: a.Role, Entity: entity, Disabled: a.Disabled, Created: a.Created}, err
}

func (c *client) Users(ctx context.Context) ([]schemas.User, error) {
	var list []apiUser
	if err := c.get(ctx, "/users", nil, &list); err != nil {
		return nil, err
	}
	out := make([]schemas.User, len(list))
	for i, a := range list {
		u, err := a.user()
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

func (c *client) AddUser(ctx context.Context, u schemas.User, password string) (schemas.User, error) {
	var out struct {
		User apiUser `json:"user"`
	}
	in := map[string]string{"name": u.Name, "role": u.Role.String(), "entity": u.Entity.String(), "password": password}
	if err := c.send(ctx, http.MethodPost, "/users", in, &out); err != nil {
		return schemas.User{}, err
	}
	return out.User.user()
}

func (c *client) DisableUser(ctx context.Context, name string) error {
	return c.send(ctx, http.MethodPatch, "/users/"+url.PathEscape(name), map[string]bool{"disabled": true}, nil)
}

func (c *client) SetPassword(ctx context.Context, name, password string) error {
	return c.send(ctx, http.MethodPatch, "/users/"+url.PathEscape(name), map[string]string{"password": password}, nil)
}

func (c *client) NewToken(ctx context.Context, name string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	return out.Token, c.send(ctx, http.MethodPost, "/users/"+url.PathEscape(name)+"/tokens", struct{}{}, &out)
}

func (c *client) Tokens(ctx context.Context, name string) ([]schemas.TokenInfo, error) {
	var list []schemas.TokenInfo
	return list, c.get(ctx, "/users/"+url.PathEscape(name)+"/tokens", nil, &list)
}

func (c *client) RevokeToken(ctx context.Context, name, id string) error {
	return c.send(ctx, http.MethodDelete, "/users/"+url.PathEscape(name)+"/tokens/"+url.PathEscape(id), nil, nil)
}

func (c *client) AuditLog(ctx context.Context, f schemas.AuditFilter) ([]schemas.AuditEntry, error) {
	// The server reads 1000 entries unless told; the command line, all.
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if f.User != "" {
		v.Set("user", f.User)
	}
	if f.Action != "" {
		v.Set("action", string(f.Action))
	}
	if !f.Since.IsZero() {
		v.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		v.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	var list []schemas.AuditEntry
	return list, c.get(ctx, "/audit", v, &list)
}

// What the command line does that the server does not.
var (
	errRemotePurge = &schemas.Error{Code: "remote_purge", Kind: schemas.ErrRefused, Msg: schemas.Message{
		ES: "purgar borra para siempre la cuarentena de un lote y reescribe el archivo de la base de datos para que lo borrado " +
			"no quede en sus bloques libres; reescribirlo exige tenerlo en exclusiva, y el servidor en marcha lo tiene abierto. " +
			"El lote revertido ya no cuenta en ninguna cifra; púrguelo cuando el servidor no esté en marcha (por ejemplo en una ventana de mantenimiento)",
		EN: "purging deletes a batch's quarantine for good and rewrites the database file so that nothing deleted stays in its free blocks; " +
			"rewriting it needs the file to itself, and the running server holds it open. " +
			"The rolled-back batch no longer counts in any figure; purge it when the server is not running (in a maintenance window, say)"}}
)

// services are what the commands ask of the database, answered by the
// store a command opens itself or by a running server.
type services interface {
	schemas.BatchService
	schemas.TableService
	schemas.ExportService
	Releases(ctx context.Context) ([]schemas.Release, error)
	ReleaseReport(ctx context.Context, n int64) (*schemas.ReleaseReport, error)
	PublishRelease(ctx context.Context, kind schemas.Tier, note string, now time.Time) (*schemas.ReleaseReport, error)
	ApproveRelease(ctx context.Context, n int64, now time.Time) error
	Users(ctx context.Context) ([]schemas.User, error)
	AddUser(ctx context.Context, u schemas.User, password string) (schemas.User, error)
	DisableUser(ctx context.Context, name string) error
	SetPassword(ctx context.Context, name, password string) error
	NewToken(ctx context.Context, name string) (string, error)
	Tokens(ctx context.Context, name string) ([]schemas.TokenInfo, error)
	RevokeToken(ctx context.Context, name, id string) error
	AuditLog(ctx context.Context, f schemas.AuditFilter) ([]schemas.AuditEntry, error)
}

var (
	_ services = (*store.DB)(nil)
	_ services = (*client)(nil)
)

// connect returns the services of the database at db: the running
// server's when one answers on its socket, else the store open opens
// (openExisting for the read-only commands, so that several run at once).
// done releases them.
func connect(ctx context.Context, db string, open func(context.Context, string) (*store.DB, error)) (_ services, done func(), _ error) {
	if c := serverFor(ctx, db); c != nil {
		return c, c.hc.CloseIdleConnections, nil
	}
	st, err := open(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// openWriter opens an existing database to change it.
func openWriter(ctx context.Context, db string) (*store.DB, error) {
	if err := mustExist(db); err != nil {
		return nil, err
	}
	opt, err := protection()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, db, opt)
}
