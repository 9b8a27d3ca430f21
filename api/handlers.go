package api

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
)

func caller(c echo.Context) schemas.Caller {
	cl, _ := schemas.CallerFrom(c.Request().Context())
	return cl
}

func (s *Server) me(c echo.Context) error {
	cl := caller(c)
	return c.JSON(http.StatusOK, map[string]any{"user": cl.User, "tier": cl.User.Role.Tier(), "csrf": cl.CSRF})
}

// format reads the format parameter among those allowed (the first is
// the default).
func format(c echo.Context, allowed ...schemas.FileFormat) (schemas.FileFormat, error) {
	v := c.QueryParam("format")
	if v == "" {
		return allowed[0], nil
	}
	for _, f := range allowed {
		if string(f) == v {
			return f, nil
		}
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		names[i] = string(f)
	}
	return "", schemas.Invalid("bad_format", "format=%s: use %s", "format=%s: use %s", v, strings.Join(names, ", "))
}

func idParam(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, &schemas.Error{Code: "not_found", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("%q no es un número válido", c.Param(name)), EN: fmt.Sprintf("%q is not a valid number", c.Param(name))}}
	}
	return n, nil
}

// attachment sends a file made by write, with a name for the browser.
func attachment(c echo.Context, f schemas.FileFormat, name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	if f != schemas.FormatJSON {
		c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name+"."+string(f)))
	}
	return c.Blob(http.StatusOK, f.ContentType(), b.Bytes())
}

// upload reads a multipart file into a batch: the file is saved to a
// private temporary file under its own extension (which says its format),
// then read by the ingest service like any other.
func (s *Server) upload(c echo.Context) error {
	r := c.Request()
	fh, err := c.FormFile("file")
	switch {
	case errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return errTooLarge
	case err != nil:
		return schemas.Invalid("no_file", "falta el archivo (campo «file» de un formulario multipart)", "no file (field \"file\" of a multipart form)")
	case fh.Size > s.opt.MaxUpload:
		return errTooLarge
	}
	cl := caller(c)
	profile, err := uploadProfile(c)
	if err != nil {
		return err
	}
	if maps := c.Request().MultipartForm.Value["map"]; len(maps) > 0 {
		m := map[string]string{}
		for _, line := range maps {
			for _, v := range strings.Split(line, "\n") {
				if strings.TrimSpace(v) == "" {
					continue
				}
				h, f, ok := strings.Cut(v, "=")
				if !ok || strings.TrimSpace(h) == "" || strings.TrimSpace(f) == "" {
					return schemas.Invalid("bad_map", "map %q: use \"Encabezado=campo\"", "map %q: use \"Header=field\"", v)
				}
				m[strings.TrimSpace(h)] = strings.TrimSpace(f)
			}
		}
		if profile, err = profile.WithColumns(m); err != nil {
			return err
		}
	}
	dry, err := boolForm(c, "dry_run")
	if err != nil {
		return err
	}
	strict, err := boolForm(c, "strict")
	if err != nil {
		return err
	}
	// Accepting a new person-id secret (the old one lost) cuts every later
	// batch off from the people stored before: an administrator's decision.
	newSecret, err := boolForm(c, "new_secret")
	if err != nil {
		return err
	}
	if newSecret && cl.User.Role != schemas.RoleAdmin {
		return &schemas.Error{Code: "new_secret_admin", Kind: schemas.ErrForbidden, Msg: schemas.Message{
			ES: "solo un administrador puede aceptar un secreto nuevo", EN: "only an administrator may accept a new secret"}}
	}
	fileName := filepath.Base(fh.Filename)
	path, cleanup, err := s.saveUpload(fh.Open, fileName)
	if err != nil {
		return err
	}
	defer cleanup()
	rep, err := s.svc.Ingest.Ingest(r.Context(), schemas.IngestRequest{Path: path, Name: fileName, Profile: profile,
		Sheet: c.FormValue("sheet"), Entity: formOr(c, "entity", cl.User.Entity.String()), Uploader: cl.User.Name,
		DryRun: dry, Strict: strict, NewSecret: newSecret})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if rep.Status == schemas.BatchStored {
		status = http.StatusCreated
	}
	return c.JSON(status, rep)
}

// uploadProfile is a built-in profile named by profile (default eri), or
// a profile file sent as profile_file, read as "tipdash ingest --profile
// FILE.json" reads one.
func uploadProfile(c echo.Context) (*schemas.Profile, error) {
	fh, err := c.FormFile("profile_file")
	if errors.Is(err, http.ErrMissingFile) {
		name := formOr(c, "profile", "eri")
		p, err := schemas.BuiltinProfile(name)
		if err != nil {
			// A profile by name is one of the server's own, never a path.
			return nil, schemas.Invalid("unknown_profile", "perfil desconocido %q: use %s, o envíe el archivo del perfil (profile_file)",
				"unknown profile %q: use %s, or send the profile's file (profile_file)", name, strings.Join(schemas.BuiltinProfiles(), ", "))
		}
		return p, nil
	}
	if err != nil {
		return nil, schemas.Invalid("bad_profile", "no se puede leer el perfil enviado", "cannot read the profile sent")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return schemas.ReadProfile(io.LimitReader(f, 1<<20))
}

func formOr(c echo.Context, name, def string) string {
	if v := strings.TrimSpace(c.FormValue(name)); v != "" {
		return v
	}
	return def
}

func boolForm(c echo.Context, name string) (bool, error) {
	v := c.FormValue(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, schemas.Invalid("bad_flag", "%s=%q: use true o false", "%s=%q: use true or false", name, v)
	}
	return b, nil
}

// saveUpload copies an upload to a private file whose extension is the
// original's; cleanup removes it.
func (s *Server) saveUpload(open func() (multipart.File, error), name string) (string, func(), error) {
	src, err := open()
	if err != nil {
		return "", nil, err
	}
	defer src.Close()
	dir, err := os.MkdirTemp(s.opt.TempDir, "tipdash-upload-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "upload"+strings.ToLower(filepath.Ext(name)))
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

func (s *Server) batches(c echo.Context) error {
	list, err := s.svc.Batches.Batches(c.Request().Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []schemas.BatchInfo{}
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) batch(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	info, _, err := s.svc.Batches.Batch(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) batchReport(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, err := format(c, schemas.FormatJSON, schemas.FormatCSV, schemas.FormatXLSX)
	if err != nil {
		return err
	}
	_, rep, err := s.svc.Batches.Batch(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return attachment(c, f, fmt.Sprintf("lote-%d-informe", id), func(w io.Writer) error { return sheets.WriteReport(w, f, rep) })
}

// rollback: an administrator, or the analyst who uploaded the batch.
func (s *Server) rollback(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cl := caller(c)
	if cl.User.Role != schemas.RoleAdmin {
		info, _, err := s.svc.Batches.Batch(ctx, id)
		if err != nil {
			return err
		}
		if info.Meta.Uploader != cl.User.Name {
			return &schemas.Error{Code: "not_uploader", Kind: schemas.ErrForbidden, Msg: schemas.Message{
				ES: "solo quien cargó el lote, o un administrador, puede revertirlo", EN: "only who uploaded the batch, or an administrator, may roll it back"}}
		}
	}
	if err := s.svc.Batches.Rollback(ctx, id, time.Now()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// readTier is the tier the caller reads: its role's, or a stricter one it
// asks for with tier=.
func readTier(c echo.Context) (schemas.Tier, error) {
	var asked schemas.Tier
	if v := c.QueryParam("tier"); v != "" {
		t, err := schemas.ParseTier(v)
		if err != nil {
			return "", err
		}
		asked = t
	}
	return caller(c).User.Role.ReadTier(asked)
}

// tableInfo is a catalogue entry as the API lists it.
type tableInfo struct {
	ID      string        `json:"id"`
	Measure string        `json:"measure"`
	By      []schemas.Dim `json:"by"`
	TitleES string        `json:"title_es"`
	TitleEN string        `json:"title_en"`
	NoteES  string        `json:"note_es,omitempty"`
	NoteEN  string        `json:"note_en,omitempty"`
	Chart   string        `json:"chart,omitempty"`
	Years   string        `json:"years,omitempty"` // "complete": the years before the year in progress
}

func (s *Server) tables(c echo.Context) error {
	tier, err := readTier(c)
	if err != nil {
		return err
	}
	list := schemas.Tables().ForTier(tier)
	out := make([]tableInfo, len(list))
	for i, t := range list {
		out[i] = tableInfo{ID: t.ID, Measure: string(t.Measure), By: t.By, TitleES: t.TitleES, TitleEN: t.TitleEN,
			NoteES: t.NoteES, NoteEN: t.NoteEN, Chart: t.Chart, Years: t.Years}
	}
	return c.JSON(http.StatusOK, out)
}

// filters reads the query parameters that name a dimension as filters
// that select rows (year=2019..2023, sex=female,male).
func filters(c echo.Context) ([]schemas.Filter, error) {
	var out []schemas.Filter
	for k, vs := range c.QueryParams() {
		if _, err := schemas.ParseDim(k); err != nil {
			continue
		}
		for _, v := range vs {
			f, err := schemas.ParseFilter(k + "=" + v)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// table serves a catalogue table at the caller's tier: exact for admins
// and analysts, from a release for the others.
func (s *Server) table(c echo.Context) error {
	tier, err := readTier(c)
	if err != nil {
		return err
	}
	spec, err := schemas.Tables().Table(tier, c.Param("id"))
	if err != nil {
		return err
	}
	where, err := filters(c)
	if err != nil {
		return err
	}
	f, err := format(c, schemas.FormatJSON, schemas.FormatCSV, schemas.FormatXLSX)
	if err != nil {
		return err
	}
	var n int64
	if v := c.QueryParam("release"); v != "" {
		if n, err = strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
			return schemas.Invalid("bad_release", "release=%q no es un número", "release=%q is not a number", v)
		}
	}
	t, err := s.svc.Tables.CatalogueTable(c.Request().Context(), tier, n, spec.ID, where)
	if err != nil {
		return err
	}
	return attachment(c, f, spec.ID, func(w io.Writer) error {
		return sheets.WriteTable(w, f, t, spec.Title(t))
	})
}

// visible says whether the caller may see a release: administrators see
// every one, analysts every approved one, the others the approved
// releases of their tier.
func visible(cl schemas.Caller, r schemas.Release) bool {
	switch {
	case cl.User.Role == schemas.RoleAdmin:
		return true
	case r.Status != schemas.ReleaseApproved:
		return false
	}
	_, err := cl.User.Role.ReadTier(r.Kind)
	return err == nil
}

func (s *Server) releases(c echo.Context) error {
	list, err := s.svc.Releases.Releases(c.Request().Context())
	if err != nil {
		return err
	}
	cl := caller(c)
	out := []schemas.Release{}
	for _, r := range list {
		if visible(cl, r) {
			out = append(out, r)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type publishRequest struct {
	Kind string `json:"kind"`
	Note string `json:"note"`
}

func (s *Server) publish(c echo.Context) error {
	var req publishRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	kind, err := schemas.ParseTier(req.Kind)
	if err != nil {
		return err
	}
	rep, err := s.svc.Releases.PublishRelease(c.Request().Context(), kind, req.Note, time.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rep)
}

// bind reads a JSON body (or a form) into v.
func bind(c echo.Context, v any) error {
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 1<<20))
		dec.DisallowUnknownFields()
		var tooLarge *http.MaxBytesError
		if err := dec.Decode(v); errors.As(err, &tooLarge) {
			return errTooLarge
		} else if err != nil {
			return schemas.Invalid("bad_json", "el cuerpo no es el JSON que espera esta dirección (ver /api/v1/openapi.json)",
				"the body is not the JSON this address expects (see /api/v1/openapi.json)")
		}
		return nil
	}
	if err := (&echo.DefaultBinder{}).BindBody(c, v); err != nil {
		return schemas.Invalid("bad_body", "cuerpo de la petición no válido", "invalid request body")
	}
	return nil
}

func (s *Server) releaseReport(c echo.Context) error {
	n, err := idParam(c, "n")
	if err != nil {
		return err
	}
	rep, err := s.svc.Releases.ReleaseReport(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

func (s *Server) approve(c echo.Context) error {
	n, err := idParam(c, "n")
	if err != nil {
		return err
	}
	if err := s.svc.Releases.ApproveRelease(c.Request().Context(), n, time.Now()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// export writes a release the caller may read as a file: format glotip
// (UNODC's layout, XLSX unless file=csv) or the catalogue's tables in
// csv, xlsx or parquet.
func (s *Server) export(c echo.Context) error {
	n, err := idParam(c, "n")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var rel *schemas.Release
	list, err := s.svc.Releases.Releases(ctx)
	if err != nil {
		return err
	}
	for i := range list {
		if list[i].ID == n {
			rel = &list[i]
		}
	}
	cl := caller(c)
	switch {
	case rel == nil || rel.Status != schemas.ReleaseApproved && cl.User.Role != schemas.RoleAdmin:
		return &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("no hay publicación %d aprobada", n), EN: fmt.Sprintf("no approved release %d", n)}}
	case !visible(cl, *rel):
		return &schemas.Error{Code: "tier_forbidden", Kind: schemas.ErrForbidden, Msg: schemas.Message{
			ES: fmt.Sprintf("el rol %s no puede leer publicaciones %s", cl.User.Role, rel.Kind),
			EN: fmt.Sprintf("role %s may not read %s releases", cl.User.Role, rel.Kind)}}
	}
	req := schemas.ExportRequest{Layout: schemas.LayoutTables, Tier: rel.Kind, Release: n}
	switch v := c.QueryParam("format"); v {
	case "glotip":
		req.Layout, req.Format = schemas.LayoutGlotip, schemas.FormatXLSX
		if c.QueryParam("file") == "csv" {
			req.Format = schemas.FormatCSV
		}
	case "", "csv", "xlsx", "parquet":
		req.Format = schemas.FormatCSV
		if v != "" {
			req.Format = schemas.FileFormat(v)
		}
	default:
		return schemas.Invalid("bad_format", "format=%s: use glotip, csv, xlsx o parquet", "format=%s: use glotip, csv, xlsx or parquet", v)
	}
	return attachment(c, req.Format, fmt.Sprintf("tipdash-%s-%d-%s", rel.Kind, n, req.Layout), func(w io.Writer) error {
		return s.exportRows(c, req, w)
	})
}

// exactGlotip is UNODC's questionnaire with exact figures, for
// administrators: XLSX, titled confidential, audited.
func (s *Server) exactGlotip(c echo.Context) error {
	req := schemas.ExportRequest{Layout: schemas.LayoutGlotip, Tier: schemas.TierAdmin, Format: schemas.FormatXLSX}
	return attachment(c, req.Format, "tipdash-glotip-CONFIDENCIAL", func(w io.Writer) error { return s.exportRows(c, req, w) })
}

// exportRows writes an export and says how many rows it holds in the
// header X-Tipdash-Rows (the command line prints it).
func (s *Server) exportRows(c echo.Context, req schemas.ExportRequest, w io.Writer) error {
	n, err := s.svc.Export.Export(c.Request().Context(), req, w)
	if err == nil {
		c.Response().Header().Set("X-Tipdash-Rows", strconv.Itoa(n))
	}
	return err
}

// aggregates is the exact free query of administrators and analysts:
// the rows and CSV shape of "tipdash query".
func (s *Server) aggregates(c echo.Context) error {
	m, err := schemas.ParseMeasure(c.QueryParam("measure"))
	if err != nil {
		return err
	}
	q := schemas.Query{Measure: m}
	if q.By, err = schemas.ParseDims(c.QueryParam("by")); err != nil {
		return err
	}
	if q.Where, err = filters(c); err != nil {
		return err
	}
	f, err := format(c, schemas.FormatJSON, schemas.FormatCSV)
	if err != nil {
		return err
	}
	if err := q.Validate(schemas.TierAdmin); err != nil {
		return err
	}
	t, err := s.svc.Tables.Aggregate(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return attachment(c, f, "tipdash-"+string(m), func(w io.Writer) error { return sheets.WriteTable(w, f, t, schemas.Message{}) })
}

func (s *Server) codelists(c echo.Context) error {
	return c.JSON(http.StatusOK, schemas.Vocabulary())
}

// audit reads the audit log: user=, action=, since=, until= (RFC 3339 or
// a date), limit= (default 1000).
func (s *Server) audit(c echo.Context) error {
	f := schemas.AuditFilter{User: c.QueryParam("user"), Limit: 1000}
	if v := c.QueryParam("action"); v != "" {
		a, err := schemas.ParseAuditAction(v)
		if err != nil {
			return err
		}
		f.Action = a
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return schemas.Invalid("bad_time", "%s=%q: use 2026-01-31 o 2026-01-31T08:00:00Z", "%s=%q: use 2026-01-31 or 2026-01-31T08:00:00Z", p.name, v)
			}
		}
		*p.t = t
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return schemas.Invalid("bad_limit", "limit=%q no es un número", "limit=%q is not a number", v)
		}
		f.Limit = n
	}
	list, err := s.svc.Audit.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []schemas.AuditEntry{}
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) users(c echo.Context) error {
	list, err := s.svc.Users.Users(c.Request().Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []schemas.User{}
	}
	return c.JSON(http.StatusOK, list)
}

type userRequest struct {
	Name     string  `json:"name"`
	Role     *string `json:"role"`
	Entity   *string `json:"entity"`
	Password *string `json:"password"`
	Disabled *bool   `json:"disabled"`
}

// addUser creates an account; without a password one is generated and
// returned once.
func (s *Server) addUser(c echo.Context) error {
	var req userRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Role == nil {
		return schemas.Invalid("no_user_role", "falta el rol", "no role")
	}
	role, err := schemas.ParseUserRole(*req.Role)
	if err != nil {
		return err
	}
	entity := caller(c).User.Entity
	if req.Entity != nil {
		if entity, err = schemas.ParseInstitution(*req.Entity); err != nil {
			return err
		}
	}
	password, generated := "", false
	if req.Password != nil {
		password = *req.Password
	} else {
		password, generated = rand.Text(), true
	}
	u, err := s.svc.Users.AddUser(c.Request().Context(), schemas.User{Name: req.Name, Role: role, Entity: entity}, password)
	if err != nil {
		return err
	}
	out := map[string]any{"user": u}
	if generated {
		out["password"] = password
	}
	return c.JSON(http.StatusCreated, out)
}

// updateUser changes role, institution, enabled state or password.
func (s *Server) updateUser(c echo.Context) error {
	var req userRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := c.Param("name")
	var ch schemas.UserChange
	if req.Role != nil {
		r, err := schemas.ParseUserRole(*req.Role)
		if err != nil {
			return err
		}
		ch.Role = &r
	}
	if req.Entity != nil {
		e, err := schemas.ParseInstitution(*req.Entity)
		if err != nil {
			return err
		}
		ch.Entity = &e
	}
	if req.Disabled != nil {
		enabled := !*req.Disabled
		ch.Enabled = &enabled
	}
	if req.Password != nil {
		if err := s.svc.Users.SetPassword(ctx, name, *req.Password); err != nil {
			return err
		}
	}
	u, err := s.svc.Users.UpdateUser(ctx, name, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// newToken makes a bearer token for an account: shown once.
func (s *Server) newToken(c echo.Context) error {
	token, err := s.svc.Users.NewToken(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"token": token, "id": schemas.TokenID(token)})
}

func (s *Server) tokens(c echo.Context) error {
	list, err := s.svc.Users.Tokens(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) revokeToken(c echo.Context) error {
	if err := s.svc.Users.RevokeToken(c.Request().Context(), c.Param("name"), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
