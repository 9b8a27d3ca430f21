package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/conatt/tipdash/schemas"
)

// Session keys.
const (
	sessionUser = "user"
	sessionCSRF = "csrf"
)

// authenticate finds the caller: a bearer token, else a browser session.
// It puts the caller and the actor (for the audit log) in the request's
// context, and checks the CSRF token of a session's unsafe requests. A
// request without credentials goes on anonymous: the routes decide.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx := r.Context()
		ip := c.RealIP()
		var caller schemas.Caller
		found := false
		if login, ok := ctx.Value(localKey{}).(string); ok {
			// The owner's socket: the command line, trusted as it would be
			// holding the database file itself. It belongs to no
			// institution (the zero Institution is oij's).
			caller, found = schemas.Caller{User: schemas.User{Name: login, Role: schemas.RoleAdmin, Entity: schemas.InstitutionUnknown}, Lang: "es"}, true
			ip = "local"
			if l := r.Header.Get(headerLogin); l != "" && len(l) <= schemas.MaxUserName+4 {
				caller.User.Name = "cli:" + l
			}
		} else if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || token == "" {
				return schemas.ErrBadCredentials
			}
			if !s.limits.allowed("ip:" + ip) {
				return errTooMany
			}
			u, err := s.svc.Users.UserByToken(ctx, strings.TrimSpace(token))
			if err != nil {
				if errors.Is(err, schemas.ErrUnauthenticated) {
					s.limits.failed("ip:" + ip)
				}
				return err
			}
			caller, found = schemas.Caller{User: u, Lang: "es"}, true
		} else {
			lang := s.lang(c)
			if name := s.sessions.GetString(ctx, sessionUser); name != "" {
				u, err := s.svc.Users.UserByName(ctx, name)
				if err != nil || u.Disabled {
					// A disabled or deleted account's session ends here.
					s.sessions.Destroy(ctx)
				} else {
					caller, found = schemas.Caller{User: u, CSRF: s.csrfToken(c), Lang: lang}, true
				}
			}
			if unsafe(r.Method) && s.sessions.Exists(ctx, sessionCSRF) && c.Path() != "/login" {
				if !s.csrfValid(c) {
					return errCSRF
				}
			}
			if !found {
				caller.Lang = lang
			}
		}
		if found {
			ctx = schemas.WithCaller(ctx, caller)
			entity := caller.User.Entity.String()
			if ip == "local" {
				entity = "" // the command line belongs to no institution
			}
			ctx = schemas.WithActor(ctx, schemas.Actor{User: caller.User.Name, Entity: entity, From: ip})
		} else {
			ctx = schemas.WithActor(ctx, schemas.Actor{From: ip})
		}
		c.SetRequest(r.WithContext(ctx))
		return next(c)
	}
}

type localKey struct{}

// headerLogin carries the local login of a command sent over the socket.
const headerLogin = "X-Tipdash-Login"

// Local serves the same routes to the owner of the database, over a Unix
// socket only it can open: every request acts as an administrator named
// after the login the command line sends (for the audit log).
func (s *Server) Local() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), localKey{}, "cli")
		s.e.ServeHTTP(w, r.WithContext(ctx))
	})
}

// allow lets through the roles given (nil: any signed-in account).
func (s *Server) allow(roles []schemas.UserRole) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			caller, ok := schemas.CallerFrom(c.Request().Context())
			if !ok {
				return errSignIn
			}
			if roles != nil && !slices.Contains(roles, caller.User.Role) {
				return forbidden(caller.User.Role)
			}
			return next(c)
		}
	}
}

var errPlainHTTP = &schemas.Error{Code: "needs_https", Kind: schemas.ErrForbidden, Msg: schemas.Message{
	ES: "el inicio de sesión necesita HTTPS (o que el servidor corra con --insecure-cookies en una red de confianza)",
	EN: "signing in needs HTTPS (or the server run with --insecure-cookies on a trusted network)"}}

// loopback says whether a Host header names this machine.
func loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

var errSignIn = &schemas.Error{Code: "unauthenticated", Kind: schemas.ErrUnauthenticated, Msg: schemas.Message{
	ES: "inicie sesión o envíe «Authorization: Bearer TOKEN»", EN: "sign in or send \"Authorization: Bearer TOKEN\""}}

func forbidden(r schemas.UserRole) error {
	return &schemas.Error{Code: "forbidden", Kind: schemas.ErrForbidden, Msg: schemas.Message{
		ES: "el rol " + r.String() + " no puede hacer esto", EN: "role " + r.String() + " may not do this"}}
}

// Cookies of a browser without a session: nothing is kept on the server
// for a visitor who has not signed in (a flood of anonymous requests must
// not fill its memory).
const (
	// langCookie keeps the language chosen with ?lang=es|en.
	langCookie = schemas.LangCookie
	// loginCookie carries the sign-in form's CSRF token: the form posts
	// it back, and another site can neither read nor set it (a
	// double-submit cookie, SameSite=Strict, only for /login).
	loginCookie = "tipdash_login"
	// loginTokenLen is the length of its token (crypto/rand.Text: 26
	// base32 characters).
	loginTokenLen = 26
)

// lang is the caller's language: ?lang=es|en (then kept in a cookie), the
// cookie, or Spanish.
func (s *Server) lang(c echo.Context) string {
	if l := c.QueryParam("lang"); l == "es" || l == "en" {
		if ck, err := c.Cookie(langCookie); err != nil || ck.Value != l {
			c.SetCookie(&http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: !s.opt.InsecureCookies, SameSite: http.SameSiteLaxMode})
		}
		return l
	}
	if ck, err := c.Cookie(langCookie); err == nil && ck.Value == "en" {
		return "en"
	}
	return "es"
}

// loginToken returns the sign-in form's CSRF token from its cookie, making
// one (and the cookie) when there is none.
func (s *Server) loginToken(c echo.Context) string {
	if ck, err := c.Cookie(loginCookie); err == nil && len(ck.Value) == loginTokenLen {
		return ck.Value
	}
	t := rand.Text()
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: t, Path: "/login", MaxAge: 2 * 3600,
		HttpOnly: true, Secure: !s.opt.InsecureCookies, SameSite: http.SameSiteStrictMode})
	return t
}

// loginValid compares the sign-in form's token (form field _csrf or header
// X-CSRF-Token, never the query string) with its cookie.
func (s *Server) loginValid(c echo.Context) bool {
	ck, err := c.Cookie(loginCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	got := c.Request().Header.Get("X-CSRF-Token")
	if got == "" {
		got = c.Request().PostFormValue("_csrf")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(ck.Value)) == 1
}

// csrfToken returns the session's CSRF token, making one when it has none.
func (s *Server) csrfToken(c echo.Context) string {
	ctx := c.Request().Context()
	if t := s.sessions.GetString(ctx, sessionCSRF); t != "" {
		return t
	}
	t := rand.Text()
	s.sessions.Put(ctx, sessionCSRF, t)
	return t
}

// csrfValid compares the form field _csrf (or the header X-CSRF-Token)
// with the session's token. Never from the query string: a token in a URL
// ends up in logs and browser history.
func (s *Server) csrfValid(c echo.Context) bool {
	want := s.sessions.GetString(c.Request().Context(), sessionCSRF)
	got := c.Request().Header.Get("X-CSRF-Token")
	if got == "" {
		got = c.Request().PostFormValue("_csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

//go:embed login.html
var loginHTML string

var loginTemplate = template.Must(template.New("login").Parse(loginHTML))

type loginView struct {
	Lang, CSRF, Next, Error string
	ES                      bool
}

// loginPage is the sign-in form, in Spanish unless the session chose English.
func (s *Server) loginPage(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, "")
}

func (s *Server) renderLogin(c echo.Context, status int, msg string) error {
	lang := s.lang(c)
	v := loginView{Lang: lang, CSRF: s.loginToken(c), Next: safeNext(c.QueryParam("next")), Error: msg, ES: lang == "es"}
	if v.Next == "/dashboard" && c.FormValue("next") != "" {
		v.Next = safeNext(c.FormValue("next"))
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	var b strings.Builder
	if err := loginTemplate.Execute(&b, v); err != nil {
		return err
	}
	return c.HTML(status, b.String())
}

// safeNext keeps a redirect after sign-in on this server.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/dashboard"
	}
	return u.RequestURI()
}

// login checks a password posted by the form (or as JSON by a script),
// rate-limited per account and per address; a browser is sent on with a
// new session, a script gets its account as JSON.
func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	if !s.loginValid(c) {
		if c.Request().TLS == nil && !s.opt.InsecureCookies && !loopback(c.Request().Host) {
			// The browser keeps no Secure cookie over plain HTTP: the form's
			// session was never kept.
			return errPlainHTTP
		}
		return errCSRF
	}
	name := strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password")
	ip := c.RealIP()
	if !s.limits.allowed("ip:"+ip) || !s.limits.allowed("user:"+name) {
		s.svc.Audit.Record(ctx, schemas.AuditEntry{Action: schemas.ActionLogin, Target: auditName(name), From: ip, Result: errTooMany.Code})
		c.Response().Header().Set("Retry-After", "60")
		return errTooMany
	}
	u, err := s.svc.Users.Authenticate(ctx, name, password)
	if err != nil {
		if errors.Is(err, schemas.ErrUnauthenticated) {
			s.limits.failed("ip:" + ip)
			s.limits.failed("user:" + name)
			if wantsHTML(c) {
				msg := schemas.ErrBadCredentials.Msg.ES
				if s.lang(c) == "en" {
					msg = schemas.ErrBadCredentials.Msg.EN
				}
				return s.renderLogin(c, http.StatusUnauthorized, msg)
			}
		}
		return err
	}
	// A new session id on sign-in: one fixed before it is worth nothing.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionUser, u.Name)
	s.sessions.Put(ctx, sessionCSRF, rand.Text())
	if wantsHTML(c) {
		return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
	}
	return c.JSON(http.StatusOK, u)
}

// auditName keeps what was typed as a user name out of the audit log when
// it cannot be one (it may be a password typed in the wrong field).
func auditName(name string) string {
	if schemas.ValidateUserName(name) != nil {
		return ""
	}
	return name
}

func wantsHTML(c echo.Context) bool {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}

// logout ends the session.
func (s *Server) logout(c echo.Context) error {
	if err := s.sessions.Destroy(c.Request().Context()); err != nil {
		return err
	}
	if wantsHTML(c) {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.NoContent(http.StatusNoContent)
}

// limiter counts failed sign-ins (and bad tokens) per key: an account
// may fail 10 times in a row, an address 50 (several people may share
// one), then once a minute each.
type limiter struct {
	mu   sync.Mutex
	keys map[string]*rate.Limiter
	seen map[string]time.Time
}

func newLimiter() *limiter {
	return &limiter{keys: map[string]*rate.Limiter{}, seen: map[string]time.Time{}}
}

const failEvery = time.Minute

func burst(key string) int {
	if strings.HasPrefix(key, "ip:") {
		return 50
	}
	return 10
}

func (l *limiter) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.keys) > 100_000 {
		// Forget keys idle long enough to have refilled.
		for k, t := range l.seen {
			if now.Sub(t) > time.Duration(burst(k))*failEvery {
				delete(l.keys, k)
				delete(l.seen, k)
			}
		}
	}
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(rate.Every(failEvery), burst(key))
		l.keys[key] = lim
	}
	l.seen[key] = now
	return lim
}

// allowed says whether key may try again now.
func (l *limiter) allowed(key string) bool { return l.get(key).Tokens() >= 1 }

// failed spends one attempt of key.
func (l *limiter) failed(key string) { l.get(key).Allow() }
