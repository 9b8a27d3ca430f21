// Package dashboard serves tipdash's browser pages: the CONATT dashboard of
// charts (go-echarts, rendered on the server, echarts served from the
// binary), the analysts' upload page, the administrators' releases page
// and an optional public page. It sees the database only through the
// service interfaces of schemas, which cmd sets.
package dashboard

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"

	"github.com/conatt/tipdash/schemas"
)

// Services are what the pages read and do; cmd fills them with the store
// (and the ingest service).
type Services struct {
	Tables   schemas.TableService
	Releases schemas.ReleaseService
	Batches  schemas.BatchService
	Ingest   schemas.IngestService
}

// Options configure the pages.
type Options struct {
	// Public serves /public (the latest approved public release) without
	// login; off, /public answers 404.
	Public bool
}

//go:embed static templates
var files embed.FS

// server holds what every handler needs.
type server struct {
	svc     Services
	opt     Options
	pages   *template.Template
	uploads *pendingUploads
}

// New returns the handler of /dashboard, /upload, /releases, /public and
// /static. It expects the API's session middleware in front of it: a
// logged-in request carries schemas.CallerFrom(ctx) (with its CSRF token,
// which the API checks on every POST, and its language); without one,
// every page but /public and /static redirects to /login?next=PATH.
func New(s Services, opt Options) http.Handler {
	srv := &server{svc: s, opt: opt, pages: parsePages(), uploads: newPendingUploads(os.TempDir())}
	static, _ := fs.Sub(files, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))

	viewers := []schemas.UserRole{schemas.RoleViewer, schemas.RoleAnalyst, schemas.RoleAdmin, schemas.RoleResearcher}
	analysts := []schemas.UserRole{schemas.RoleAnalyst, schemas.RoleAdmin}
	admins := []schemas.UserRole{schemas.RoleAdmin}

	mux.Handle("GET /dashboard", srv.only(viewers, srv.dashboard))
	mux.Handle("GET /dashboard/tables/{file}", srv.only(viewers, srv.download))
	mux.HandleFunc("GET /public", srv.public)
	mux.HandleFunc("GET /public/tables/{file}", srv.publicDownload)

	mux.Handle("GET /upload", srv.only(analysts, srv.uploadPage))
	mux.Handle("POST /upload", srv.only(analysts, srv.upload))
	mux.Handle("GET /upload/template.xlsx", srv.only(analysts, srv.template))
	mux.Handle("GET /upload/pending/{token}/report.xlsx", srv.only(analysts, srv.pendingReport))
	mux.Handle("GET /upload/batches/{id}/report.xlsx", srv.only(analysts, srv.batchReport))
	mux.Handle("POST /upload/batches/{id}/rollback", srv.only(analysts, srv.rollback))

	mux.Handle("GET /releases", srv.only(admins, srv.releasesPage))
	mux.Handle("GET /releases/{n}", srv.only(admins, srv.releasePage))
	mux.Handle("POST /releases/{n}/approve", srv.only(admins, srv.approve))
	mux.Handle("POST /releases/publish", srv.only(admins, srv.publish))
	return mux
}

// cacheStatic lets browsers keep the assets for a day: they change only
// with the binary.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

// only lets through the callers of the given roles: an anonymous request
// goes to the API's login page (coming back here after it), a wrong role
// gets a 403 page in its language.
func (s *server) only(roles []schemas.UserRole, h func(http.ResponseWriter, *http.Request, schemas.Caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := schemas.CallerFrom(r.Context())
		if !ok {
			if r.Method != http.MethodGet {
				http.Error(w, "login required / inicie sesión", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		c.Lang = langOf(r, c.Lang)
		if !slices.Contains(roles, c.User.Role) {
			s.fail(w, r, c.Lang, http.StatusForbidden, msgForbidden)
			return
		}
		h(w, r, c)
	})
}

// langOf is the page's language: ?lang= when the URL has it (the API then
// remembers it in the session), else the session's, else Spanish.
func langOf(r *http.Request, session string) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "es", "en":
		return l
	}
	if session == "en" {
		return "en"
	}
	if ck, err := r.Cookie(schemas.LangCookie); session == "" && err == nil && ck.Value == "en" {
		return "en" // a visitor who chose English before signing in, or without
	}
	return "es"
}

// fail renders an error page in the caller's language.
func (s *server) fail(w http.ResponseWriter, r *http.Request, lang string, status int, m schemas.Message) {
	if status >= 500 {
		slog.Error("dashboard", "path", r.URL.Path, "status", status, "error", m.EN)
	}
	s.render(w, status, "error", page{Lang: lang, Title: m, URL: r.URL, Data: m})
}

// failErr renders the page of an error returned by a service: its own
// bilingual message when it has one, and the status of its kind.
func (s *server) failErr(w http.ResponseWriter, r *http.Request, lang string, err error) {
	if r.Context().Err() != nil {
		return // the browser went away (a click led elsewhere): nobody reads the page
	}
	s.fail(w, r, lang, statusOf(err), messageOf(err))
}
