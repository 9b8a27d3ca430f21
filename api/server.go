// Package api is the HTTP JSON API of tipdash (Echo v4): accounts and
// sessions, roles, uploads, catalogue tables read from releases, exact
// aggregates for analysts, releases, exports, the audit log, and the
// mounting of the dashboard's pages behind the same login. Handlers parse
// input, call one service and render its answer.
package api

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/conatt/tipdash/schemas"
)

// Services are what the server does, set by cmd.
type Services struct {
	Users    schemas.UserService
	Audit    schemas.AuditService
	Ingest   schemas.IngestService
	Batches  schemas.BatchService
	Tables   schemas.TableService
	Releases schemas.ReleaseService
	Export   schemas.ExportService
}

// Options of a server; zero values take the defaults.
type Options struct {
	// MaxUpload bounds an uploaded file (default 200 MiB): larger ones get 413.
	MaxUpload int64
	// InsecureCookies drops the Secure flag of the session cookie, for a
	// server reached over plain HTTP on another address than localhost.
	InsecureCookies bool
	// IdleTimeout ends a browser session left alone this long (default 30 min);
	// no session lasts more than 12 hours.
	IdleTimeout time.Duration
	// Pages is the dashboard, mounted at /dashboard, /upload, /releases,
	// /public and /static behind the same sessions; nil serves none.
	Pages http.Handler
	// TempDir holds uploads while they are read ("" for the system's).
	TempDir string
	Logger  *slog.Logger
}

// Server is the HTTP API.
type Server struct {
	svc      Services
	opt      Options
	log      *slog.Logger
	e        *echo.Echo
	sessions *scs.SessionManager
	limits   *limiter
	metrics  *metrics
}

// New builds the server and its routes.
func New(svc Services, opt Options) *Server {
	if opt.MaxUpload <= 0 {
		opt.MaxUpload = 200 << 20
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Server{svc: svc, opt: opt, log: opt.Logger, limits: newLimiter(), metrics: newMetrics()}

	s.sessions = scs.New()
	s.sessions.Lifetime = 12 * time.Hour
	s.sessions.IdleTimeout = opt.IdleTimeout
	s.sessions.Cookie.Name = "tipdash_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = !opt.InsecureCookies
	s.sessions.Cookie.Path = "/"

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The caller's address is the connection's: X-Forwarded-For is
	// anyone's to write.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	e.Pre(headAsGet)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", slog.Any("error", err), slog.String("stack", string(stack)))
			return err
		}}))
	e.Use(middleware.RequestID())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		HSTSMaxAge:            0,
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		ReferrerPolicy:        "same-origin",
	}))
	e.Use(s.metrics.middleware)
	// Uploads are the largest bodies; the limit applies before a form is read.
	e.Use(middleware.BodyLimit(strconv.FormatInt((opt.MaxUpload+1<<20)>>10, 10) + "K"))
	e.Use(echo.WrapMiddleware(s.sessions.LoadAndSave))
	e.Use(s.authenticate)
	s.e = e
	s.routes()
	return s
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.e }

// Routes lists the API's routes as "METHOD /path/{param}", the dashboard's
// pages left out: openapi.json describes exactly these.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.e.Routes() {
		if r.Path == "/" || strings.HasSuffix(r.Path, "/*") || r.Method == echo.RouteNotFound || isPage(r.Path) {
			continue
		}
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		out = append(out, r.Method+" "+strings.Join(parts, "/"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var pages = []string{"/dashboard", "/upload", "/releases", "/public", "/static"}

func isPage(path string) bool {
	for _, p := range pages {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// Registry holds the server's Prometheus metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// route is one entry of the API: the router and openapi.json are checked
// against each other by a test.
type route struct {
	method, path string
	roles        []schemas.UserRole // nil: any signed-in account
	handler      echo.HandlerFunc
}

var (
	admins   = []schemas.UserRole{schemas.RoleAdmin}
	exact    = []schemas.UserRole{schemas.RoleAdmin, schemas.RoleAnalyst}
	everyone []schemas.UserRole
)

func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.metricsHandler)
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/dashboard") })
	e.GET("/api/v1/openapi.json", s.openapi)

	v1 := "/api/v1"
	for _, r := range []route{
		{"GET", "/me", everyone, s.me},
		{"POST", "/batches", exact, s.upload},
		{"GET", "/batches", exact, s.batches},
		{"GET", "/batches/:id", exact, s.batch},
		{"GET", "/batches/:id/report", exact, s.batchReport},
		{"DELETE", "/batches/:id", exact, s.rollback},
		{"GET", "/tables", everyone, s.tables},
		{"GET", "/tables/:id", everyone, s.table},
		{"GET", "/releases", everyone, s.releases},
		{"POST", "/releases", admins, s.publish},
		{"GET", "/releases/:n/report", admins, s.releaseReport},
		{"POST", "/releases/:n/approve", admins, s.approve},
		{"GET", "/releases/:n/export", everyone, s.export},
		{"GET", "/exports/glotip", admins, s.exactGlotip},
		{"GET", "/aggregates", exact, s.aggregates},
		{"GET", "/codelists", everyone, s.codelists},
		{"GET", "/audit", admins, s.audit},
		{"GET", "/users", admins, s.users},
		{"POST", "/users", admins, s.addUser},
		{"PATCH", "/users/:name", admins, s.updateUser},
		{"POST", "/users/:name/tokens", admins, s.newToken},
		{"GET", "/users/:name/tokens", admins, s.tokens},
		{"DELETE", "/users/:name/tokens/:id", admins, s.revokeToken},
	} {
		e.Add(r.method, v1+r.path, r.handler, s.allow(r.roles))
	}
	if s.opt.Pages != nil {
		serve := echo.WrapHandler(s.opt.Pages)
		for _, p := range pages {
			e.Any(p, serve)
			e.Any(p+"/*", serve)
		}
	}
}

// headAsGet answers HEAD as the GET of the same address, without its body.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodHead {
			c.Request().Method = http.MethodGet
			c.Response().Writer = headWriter{c.Response().Writer}
		}
		return next(c)
	}
}

// headWriter drops a response's body and keeps its headers.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

// unsafe methods change something: a browser session must prove them with
// its CSRF token.
func unsafe(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
