package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/conatt/tipdash/api"
	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// fixture is a started server over a real DuckDB file with generated
// data, a conatt and an approved public release, and one account per role.
type fixture struct {
	t      *testing.T
	db     *store.DB
	srv    *api.Server
	ts     *httptest.Server
	dir    string
	tokens map[string]string // role -> bearer token
	pass   map[string]string // role -> password
}

var roles = []string{"admin", "analyst", "viewer", "researcher"}

var (
	sharedOnce sync.Once
	sharedDB   *fixture
	sharedErr  error
)

// newFixture serves one database, built once for the package (a real
// DuckDB file, about 600 generated records, two releases, four accounts),
// through a server of its own with opt: its sign-in limits start afresh.
// Tests that change data use names and files of their own.
func newFixture(t *testing.T, opt api.Options) *fixture {
	t.Helper()
	sharedOnce.Do(func() { sharedDB, sharedErr = buildShared() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	f := *sharedDB
	f.t, f.dir = t, t.TempDir()
	f.srv = api.New(api.Services{Users: f.db, Audit: f.db, Ingest: ingest.Service{Store: f.db, Audit: f.db}, Batches: f.db,
		Tables: f.db, Releases: f.db, Export: f.db}, opt)
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	f.tokens = maps.Clone(f.tokens)
	return &f
}

func buildShared() (*fixture, error) {
	ctx := schemas.WithActor(context.Background(), schemas.Actor{User: "test", From: "local"})
	dir, err := os.MkdirTemp("", "tipdash-api-test-")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, filepath.Join(dir, "t.duckdb"), store.Options{Secret: "a test secret of some length"})
	if err != nil {
		return nil, err
	}
	f := &fixture{db: db, dir: dir, tokens: map[string]string{}, pass: map[string]string{}}
	csvPath := filepath.Join(dir, "base.csv")
	w, err := os.Create(csvPath)
	if err != nil {
		return nil, err
	}
	err = ingest.Generate(w, ingest.GenOptions{N: 600, Seed: 1})
	w.Close()
	if err != nil {
		return nil, err
	}
	profile, _ := schemas.BuiltinProfile("eri")
	if _, err := (ingest.Service{Store: db}).Ingest(ctx, schemas.IngestRequest{Path: csvPath, Profile: profile, Entity: "oij", Uploader: "test"}); err != nil {
		return nil, err
	}
	if _, err := db.PublishRelease(ctx, schemas.TierConatt, "test", time.Now()); err != nil {
		return nil, err
	}
	rep, err := db.PublishRelease(ctx, schemas.TierPublic, "test", time.Now())
	if err != nil {
		return nil, err
	}
	if err := db.ApproveRelease(ctx, rep.ID, time.Now()); err != nil {
		return nil, err
	}
	for _, r := range roles {
		role, _ := schemas.ParseUserRole(r)
		entity, _ := schemas.ParseInstitution("dgme")
		f.pass[r] = "password of " + r + " 123"
		if _, err := db.AddUser(ctx, schemas.User{Name: r, Role: role, Entity: entity}, f.pass[r]); err != nil {
			return nil, err
		}
		if f.tokens[r], err = db.NewToken(ctx, r); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDB != nil {
		sharedDB.db.Close()
		os.RemoveAll(sharedDB.dir)
	}
	os.Exit(code)
}

// gen writes a synthetic ERI file (csv or xlsx by its extension).
func (f *fixture) gen(name string, n int, seed uint64) string {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	w, err := os.Create(p)
	if err != nil {
		f.t.Fatal(err)
	}
	defer w.Close()
	format := strings.TrimPrefix(filepath.Ext(name), ".")
	if err := ingest.Generate(w, ingest.GenOptions{N: n, Seed: seed, Format: format}); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// do sends a request as role ("" for anonymous) and returns the status and body.
func (f *fixture) do(role, method, path string, body io.Reader, contentType string) (int, []byte, http.Header) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (f *fixture) json(role, method, path string, v any) (int, []byte) {
	f.t.Helper()
	var body io.Reader
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	code, b, _ := f.do(role, method, path, body, "application/json")
	return code, b
}

// multipartFile builds an upload form.
func multipartFile(t *testing.T, path string, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if path != "" {
		fw, err := w.CreateFormFile("file", filepath.Base(path))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (f *fixture) upload(role, path string, fields map[string]string) (int, schemas.BatchReport) {
	f.t.Helper()
	body, ct := multipartFile(f.t, path, fields)
	code, b, _ := f.do(role, "POST", "/api/v1/batches", body, ct)
	var rep schemas.BatchReport
	if code < 300 {
		if err := json.Unmarshal(b, &rep); err != nil {
			f.t.Fatalf("upload: %v: %s", err, b)
		}
	}
	return code, rep
}

// errorCode reads the one error shape, failing when the body is not it.
func errorCode(t *testing.T, b []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			MessageES string `json:"message_es"`
			MessageEN string `json:"message_en"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.MessageES == "" || e.Error.MessageEN == "" {
		t.Errorf("not the error shape: %s", b)
	}
	return e.Error.Code
}

// TestRoleMatrix calls every route as nobody and as each role: anonymous
// gets 401, a role the route is not for 403, the others 2xx.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t, api.Options{})
	batchFor := func(role string) string {
		// A batch of the caller's own, so that an analyst may roll it back.
		up := role
		if role != "admin" && role != "analyst" {
			up = "analyst"
		}
		code, rep := f.upload(up, f.gen(fmt.Sprintf("b-%s-%d.csv", role, time.Now().UnixNano()), 40, uint64(time.Now().UnixNano())), nil)
		if code != http.StatusCreated {
			t.Fatalf("upload as %s: %d", up, code)
		}
		return fmt.Sprint(rep.BatchID)
	}
	type call struct {
		method, path string
		allowed      []string
		body         func(role string) (io.Reader, string)
		pathFor      func(role string) string
	}
	jsonBody := func(v any) func(string) (io.Reader, string) {
		return func(string) (io.Reader, string) {
			b, _ := json.Marshal(v)
			return bytes.NewReader(b), "application/json"
		}
	}
	all := roles
	exact := []string{"admin", "analyst"}
	admin := []string{"admin"}
	n := 0
	spare, err := f.db.NewToken(schemas.WithActor(context.Background(), schemas.Actor{User: "test"}), "researcher")
	if err != nil {
		t.Fatal(err)
	}
	calls := []call{
		{method: "GET", path: "/api/v1/me", allowed: all},
		{method: "POST", path: "/api/v1/batches", allowed: exact, body: func(string) (io.Reader, string) {
			n++
			return multipartFile(t, f.gen(fmt.Sprintf("m%d.csv", n), 30, uint64(100+n)), map[string]string{"dry_run": "true"})
		}},
		{method: "GET", path: "/api/v1/batches", allowed: exact},
		{method: "GET", path: "/api/v1/batches/1", allowed: exact},
		{method: "GET", path: "/api/v1/batches/1/report?format=csv", allowed: exact},
		{method: "DELETE", allowed: exact, pathFor: func(role string) string { return "/api/v1/batches/" + batchFor(role) }},
		{method: "GET", path: "/api/v1/tables", allowed: all},
		{method: "GET", path: "/api/v1/tables/victims_year_sex", allowed: all},
		{method: "GET", path: "/api/v1/releases", allowed: all},
		{method: "POST", path: "/api/v1/releases", allowed: admin, body: jsonBody(map[string]string{"kind": "conatt", "note": "matrix"})},
		{method: "GET", path: "/api/v1/releases/1/report", allowed: admin},
		{method: "POST", allowed: admin, pathFor: func(role string) string {
			ctx := schemas.WithActor(context.Background(), schemas.Actor{User: "test"})
			rep, err := f.db.PublishRelease(ctx, schemas.TierPublic, "to approve", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/releases/%d/approve", rep.ID)
		}},
		{method: "GET", path: "/api/v1/releases/2/export?format=csv", allowed: all}, // release 2 is public: every role reads it
		{method: "GET", path: "/api/v1/releases/1/export?format=glotip", allowed: []string{"admin", "analyst", "viewer"}},
		{method: "GET", path: "/api/v1/exports/glotip", allowed: admin},
		{method: "GET", path: "/api/v1/aggregates?measure=victims&by=year,sex", allowed: exact},
		{method: "GET", path: "/api/v1/codelists", allowed: all},
		{method: "GET", path: "/api/v1/audit", allowed: admin},
		{method: "GET", path: "/api/v1/users", allowed: admin},
		{method: "POST", path: "/api/v1/users", allowed: admin, body: func(string) (io.Reader, string) {
			n++
			return jsonBody(map[string]string{"name": fmt.Sprintf("new%d", n), "role": "viewer"})("")
		}},
		{method: "PATCH", path: "/api/v1/users/viewer", allowed: admin, body: jsonBody(map[string]string{"entity": "oij"})},
		{method: "POST", path: "/api/v1/users/researcher/tokens", allowed: admin},
		{method: "GET", path: "/api/v1/users/researcher/tokens", allowed: admin},
		{method: "DELETE", path: "/api/v1/users/researcher/tokens/" + schemas.TokenID(spare), allowed: admin},
	}
	var called []string
	for _, c := range calls {
		for _, role := range append([]string{""}, roles...) {
			path := c.path
			if c.pathFor != nil {
				path = "/api/v1/batches/1"
				if slices.Contains(c.allowed, role) {
					path = c.pathFor(role)
				}
				if c.method == "POST" && !slices.Contains(c.allowed, role) {
					path = "/api/v1/releases/1/approve"
				}
			}
			var body io.Reader
			ct := ""
			if c.body != nil {
				body, ct = c.body(role)
			}
			code, b, _ := f.do(role, c.method, path, body, ct)
			want := "2xx"
			switch {
			case role == "":
				want = "401"
			case !slices.Contains(c.allowed, role):
				want = "403"
			}
			got := fmt.Sprint(code)
			if code >= 200 && code < 300 {
				got = "2xx"
			}
			if got != want {
				t.Errorf("%s %s as %q: %d, want %s: %.300s", c.method, path, role, code, want, b)
			}
			if code >= 400 {
				errorCode(t, b)
			}
		}
		if c.path != "" {
			called = append(called, c.method+" "+strings.Split(c.path, "?")[0])
		} else {
			called = append(called, c.method+" "+strings.Split(c.pathFor("admin"), "?")[0])
		}
	}
	// The matrix covers every route of the API that needs an account.
	for _, r := range f.srv.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/api/v1/") || path == "/api/v1/openapi.json" {
			continue
		}
		re := regexp.MustCompile("^" + method + " " + regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "[^/]+") + "$")
		if !slices.ContainsFunc(called, re.MatchString) {
			t.Errorf("route %s is not in the role matrix", r)
		}
	}
}

// TestOpenAPIDescribesTheRouter: every route is in openapi.json, and
// openapi.json describes no route that does not exist.
func TestOpenAPIDescribesTheRouter(t *testing.T) {
	f := newFixture(t, api.Options{})
	code, b, _ := f.do("", "GET", "/api/v1/openapi.json", nil, "")
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v (version %q)", err, doc.OpenAPI)
	}
	var described []string
	for p, ops := range doc.Paths {
		for m := range ops {
			described = append(described, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(described)
	routes := f.srv.Routes()
	for _, r := range routes {
		if !slices.Contains(described, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range described {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json describes %s, which the router does not serve", d)
		}
	}
	if len(routes) < 20 {
		t.Errorf("only %d routes: %v", len(routes), routes)
	}
}

// browser is a client with a cookie jar that does not follow redirects.
func (f *fixture) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func loginForm(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("login page: %d, no CSRF field: %s", resp.StatusCode, b)
	}
	return string(m[1])
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestBrowserSession signs in with the form: CSRF on every form, a new
// session id on sign-in, HttpOnly SameSite cookie, logout.
func TestBrowserSession(t *testing.T) {
	f := newFixture(t, api.Options{InsecureCookies: true})
	c := f.browser()
	csrf := loginForm(t, c, f.ts.URL)
	before := sessionCookie(c, f.ts.URL)

	if resp, b := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the CSRF field: %d, want 403", resp.StatusCode)
	} else if errorCode(t, b) != "csrf" {
		t.Errorf("sign-in without the CSRF field: %s", b)
	}
	if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {"wrong password!"}, "_csrf": {csrf}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", resp.StatusCode)
	}
	resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {csrf}, "next": {"https://evil.example/x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("sign-in: %d to %q, want 303 to /dashboard (never off the server)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "tipdash_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax", cookie)
	}
	if cookie.Value == before {
		t.Error("the session id did not change on sign-in")
	}
	me, err := c.Get(f.ts.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var who struct {
		User struct{ Name string } `json:"user"`
		Tier string                `json:"tier"`
		CSRF string                `json:"csrf"`
	}
	json.NewDecoder(me.Body).Decode(&who)
	me.Body.Close()
	if who.User.Name != "viewer" || who.Tier != "conatt" || who.CSRF == "" || who.CSRF == csrf {
		t.Fatalf("me after sign-in: %+v (form token %q)", who, csrf)
	}
	// A session's unsafe request needs the token; the old one no longer works.
	for _, tok := range []string{"", csrf} {
		if resp, _ := postForm(t, c, f.ts.URL+"/logout", url.Values{"_csrf": {tok}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("logout with token %q: %d, want 403", tok, resp.StatusCode)
		}
	}
	// Not from the URL: a token there ends up in logs.
	if resp, _ := postForm(t, c, f.ts.URL+"/logout?_csrf="+url.QueryEscape(who.CSRF), url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout with the token in the query string: %d, want 403", resp.StatusCode)
	}
	if resp, _ := postForm(t, c, f.ts.URL+"/logout", url.Values{"_csrf": {who.CSRF}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d, want 303", resp.StatusCode)
	}
	if resp, _ := c.Get(f.ts.URL + "/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", resp.StatusCode)
	}
	// A script cannot ride a session cookie of another site's form: the
	// cookie alone does not change anything.
	c2 := f.browser()
	csrf2 := loginForm(t, c2, f.ts.URL)
	postForm(t, c2, f.ts.URL+"/login", url.Values{"username": {"admin"}, "password": {f.pass["admin"]}, "_csrf": {csrf2}})
	req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/users", strings.NewReader(`{"name":"intruder","role":"admin"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = c2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("session POST /users without CSRF: %d, want 403", resp.StatusCode)
	}
	if _, err := f.db.UserByName(context.Background(), "intruder"); err == nil {
		t.Error("an account was made without the CSRF token")
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sessionCookie(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "tipdash_session" {
			return ck.Value
		}
	}
	return ""
}

// TestSignInRateLimit: ten failures of one account block it for everyone
// (the right password too) with 429; another account still signs in.
func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t, api.Options{InsecureCookies: true})
	c := f.browser()
	csrf := loginForm(t, c, f.ts.URL)
	for i := range 10 {
		if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"analyst"}, "password": {"guess number " + fmt.Sprint(i)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i, resp.StatusCode)
		}
	}
	resp, b := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"analyst"}, "password": {f.pass["analyst"]}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("11th attempt: %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	} else if errorCode(t, b) != "rate_limited" {
		t.Errorf("429 body: %s", b)
	}
	if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another account: %d, want 303", resp.StatusCode)
	}
	// Bad bearer tokens count against the address: after 50, even a good
	// token waits.
	for range 50 {
		f.tokens["nobody"] = "not a token"
		f.do("nobody", "GET", "/api/v1/me", nil, "")
	}
	if code, _, _ := f.do("viewer", "GET", "/api/v1/me", nil, ""); code != http.StatusTooManyRequests {
		t.Errorf("after 50 bad tokens from one address: %d, want 429", code)
	}
}

// TestUploads sends real CSV and XLSX files, a dry run, a column
// mapping, a refused file, one too large, and two at once.
func TestUploads(t *testing.T) {
	f := newFixture(t, api.Options{MaxUpload: 2 << 20})
	code, rep := f.upload("analyst", f.gen("u.csv", 200, 7), map[string]string{"entity": "pani"})
	if code != http.StatusCreated || rep.Status != schemas.BatchStored || rep.Accepted == 0 || rep.Meta.File != "u.csv" || rep.Meta.Entity != "pani" || rep.Meta.Uploader != "analyst" {
		t.Errorf("CSV upload: %d %+v", code, rep.Meta)
	}
	code, rep = f.upload("admin", f.gen("u.xlsx", 200, 8), nil)
	if code != http.StatusCreated || rep.Status != schemas.BatchStored || rep.Meta.Format != "xlsx" || rep.Meta.Entity != "dgme" {
		t.Errorf("XLSX upload: %d %+v", code, rep.Meta)
	}
	for _, format := range []string{"csv", "xlsx", "json"} {
		c, b, h := f.do("analyst", "GET", fmt.Sprintf("/api/v1/batches/%d/report?format=%s", rep.BatchID, format), nil, "")
		if c != 200 || len(b) < 50 {
			t.Errorf("report %s: %d, %d bytes", format, c, len(b))
		}
		if format == "xlsx" {
			if x, err := excelize.OpenReader(bytes.NewReader(b)); err != nil {
				t.Errorf("report xlsx: %v", err)
			} else {
				x.Close()
			}
			if !strings.Contains(h.Get("Content-Disposition"), ".xlsx") {
				t.Errorf("report xlsx: Content-Disposition %q", h.Get("Content-Disposition"))
			}
		}
	}
	// The same file again is a duplicate: 200, nothing stored.
	if code, again := f.upload("analyst", filepath.Join(f.dir, "u.csv"), nil); code != http.StatusOK || again.Status != schemas.BatchDuplicate {
		t.Errorf("same file again: %d %s", code, again.Status)
	}
	// A dry run with a column mapping stores nothing and reads the column.
	src := filepath.Join(f.dir, "renamed.csv")
	b, _ := os.ReadFile(f.gen("r.csv", 50, 9))
	os.WriteFile(src, bytes.Replace(b, []byte("Sexo"), []byte("Género declarado"), 1), 0o600)
	before, _ := f.db.Batches(context.Background())
	code, dry := f.upload("analyst", src, map[string]string{"dry_run": "true", "map": "Género declarado=sex"})
	after, _ := f.db.Batches(context.Background())
	if code != http.StatusOK || dry.Status != schemas.BatchDryRun || len(after) != len(before) {
		t.Errorf("dry run: %d %s, batches %d -> %d", code, dry.Status, len(before), len(after))
	}
	mapped := false
	for _, c := range dry.Columns {
		if c.Header == "Género declarado" && c.Field == "sex" {
			mapped = true
		}
	}
	if !mapped {
		t.Errorf("the mapping was not applied: %+v", dry.Columns)
	}
	// A file the ingest refuses whole (an unclosed quote) gets its code.
	bad := filepath.Join(f.dir, "bad.csv")
	os.WriteFile(bad, []byte("Rol,Sexo,Año\nvíctima,\"mujer,2023\nvíctima,hombre,2023\n"), 0o600)
	body, ct := multipartFile(t, bad, nil)
	if c, b, _ := f.do("analyst", "POST", "/api/v1/batches", body, ct); c < 400 || c >= 500 {
		t.Errorf("unclosed quote: %d %s", c, b)
	} else {
		errorCode(t, b)
	}
	// Too large: 413 in the error shape.
	big := filepath.Join(f.dir, "big.csv")
	os.WriteFile(big, bytes.Repeat([]byte("a,b,c,d\n"), 3<<20/8), 0o600)
	body, ct = multipartFile(t, big, nil)
	if c, b, _ := f.do("analyst", "POST", "/api/v1/batches", body, ct); c != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MB upload over a 2 MB limit: %d %s", c, b)
	} else if errorCode(t, b) != "too_large" {
		t.Errorf("413 body: %s", b)
	}
	// Two uploads at once are both stored, with different batch ids.
	paths := []string{f.gen("c1.csv", 300, 11), f.gen("c2.csv", 300, 12)}
	var wg sync.WaitGroup
	ids := make([]int64, 2)
	codes := make([]int, 2)
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, ct := multipartFile(t, p, nil)
			c, b, _ := f.do("analyst", "POST", "/api/v1/batches", body, ct)
			codes[i] = c
			var r schemas.BatchReport
			json.Unmarshal(b, &r)
			ids[i] = r.BatchID
		}()
	}
	wg.Wait()
	if codes[0] != 201 || codes[1] != 201 || ids[0] == ids[1] || ids[0] == 0 {
		t.Errorf("two uploads at once: %v, batches %v", codes, ids)
	}
	// The same file twice at once (a double click) is stored once.
	twice := f.gen("twice.csv", 300, 13)
	before, _ = f.db.Batches(context.Background())
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, ct := multipartFile(t, twice, nil)
			codes[i], _, _ = f.do("analyst", "POST", "/api/v1/batches", body, ct)
		}()
	}
	wg.Wait()
	after, _ = f.db.Batches(context.Background())
	stored := slices.Index(codes, http.StatusCreated)
	if len(after) != len(before)+1 || stored < 0 || (codes[1-stored] != http.StatusOK && codes[1-stored] != http.StatusConflict) {
		t.Errorf("the same file twice at once: %v, batches %d -> %d; want it stored once", codes, len(before), len(after))
	}
	// An analyst rolls back only its own batches.
	if c, _, _ := f.do("analyst", "DELETE", fmt.Sprintf("/api/v1/batches/%d", rep.BatchID), nil, ""); c != http.StatusForbidden {
		t.Errorf("analyst rolls back the admin's batch: %d, want 403", c)
	}
	if c, _, _ := f.do("analyst", "DELETE", fmt.Sprintf("/api/v1/batches/%d", ids[0]), nil, ""); c != http.StatusNoContent {
		t.Errorf("analyst rolls back its own batch: %d, want 204", c)
	}
}

// TestTiersByRole: each role reads its tier; a stricter one may be asked
// for, a looser one never.
func TestTiersByRole(t *testing.T) {
	f := newFixture(t, api.Options{})
	read := func(role, query string) (int, schemas.Table) {
		code, b, _ := f.do(role, "GET", "/api/v1/tables/victims_year_sex"+query, nil, "")
		var tb schemas.Table
		json.Unmarshal(b, &tb)
		return code, tb
	}
	for _, c := range []struct {
		role, query string
		code        int
		tier        schemas.Tier
	}{
		{"admin", "", 200, schemas.TierAdmin},
		{"analyst", "", 200, schemas.TierAdmin},
		{"analyst", "?tier=public", 200, schemas.TierPublic},
		{"viewer", "", 200, schemas.TierConatt},
		{"viewer", "?tier=admin", 403, ""},
		{"researcher", "", 200, schemas.TierPublic},
		{"researcher", "?tier=conatt", 403, ""},
	} {
		code, tb := read(c.role, c.query)
		if code != c.code || tb.Tier != c.tier {
			t.Errorf("%s%s: %d tier %q, want %d %q", c.role, c.query, code, tb.Tier, c.code, c.tier)
		}
		if c.tier != "" && c.tier != schemas.TierAdmin && tb.Release == 0 {
			t.Errorf("%s%s: no release number", c.role, c.query)
		}
	}
	// A protected tier hides small cells; the exact tier does not.
	_, exact := read("admin", "")
	_, public := read("researcher", "")
	hidden := 0
	for _, r := range public.Rows {
		if r.Count == nil {
			hidden++
		} else if *r.Count > 0 && *r.Count < 10 {
			t.Errorf("public shows %v = %d", r.Keys, *r.Count)
		}
	}
	for _, r := range exact.Rows {
		if r.Count == nil {
			t.Errorf("exact tier hides %v", r.Keys)
		}
	}
	// Read from the release: hidden or rounded cells, and the release's
	// number; never the exact table.
	if public.Release == 0 || hidden == 0 && len(public.Rows) == len(exact.Rows) && cmp.Equal(public.Rows, exact.Rows) {
		t.Errorf("the public table is the exact one (release %d): is it read from a release?", public.Release)
	}
	// Filters select rows, in the CSV shape of tipdash query.
	code, b, _ := f.do("viewer", "GET", "/api/v1/tables/victims_year_sex?year=2023..2024&format=csv", nil, "")
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if code != 200 || lines[0] != "year,sex,count,note" {
		t.Fatalf("CSV: %d %q", code, lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "2023,") && !strings.HasPrefix(l, "2024,") {
			t.Errorf("year=2023..2024 kept %q", l)
		}
	}
	// The exact free query is the same shape.
	code, b, _ = f.do("analyst", "GET", "/api/v1/aggregates?measure=smuggled_migrants&by=year,sex&sex=female&format=csv", nil, "")
	if code != 200 || !strings.HasPrefix(string(b), "year,sex,count,note\n") || strings.Contains(string(b), ",male,") {
		t.Errorf("aggregates CSV: %d %.200s", code, b)
	}
	// A table without a year counts the complete years, at every tier,
	// and says up to which (the fixture's records reach some year in
	// progress); the catalogue marks it.
	for _, role := range []string{"admin", "viewer", "researcher"} {
		code, b, _ := f.do(role, "GET", "/api/v1/tables/victims_citizenship", nil, "")
		var tb schemas.Table
		json.Unmarshal(b, &tb)
		_, yb, _ := f.do(role, "GET", "/api/v1/tables/victims_year", nil, "")
		var years schemas.Table
		json.Unmarshal(yb, &years)
		latest := 0
		for _, r := range years.Rows {
			y, _ := strconv.Atoi(r.Keys[0])
			latest = max(latest, y)
		}
		said := slices.ContainsFunc(tb.Notes, func(m schemas.Message) bool {
			return strings.Contains(m.EN, fmt.Sprintf("complete years, up to %d", latest-1)) && strings.Contains(m.ES, fmt.Sprintf("años completos, hasta %d", latest-1))
		})
		if code != 200 || latest == 0 || tb.YearsThrough != latest-1 || !said {
			t.Errorf("%s victims_citizenship: %d, years through %d, notes %v; want the years to %d", role, code, tb.YearsThrough, tb.Notes, latest-1)
		}
	}
	_, b, _ = f.do("viewer", "GET", "/api/v1/tables", nil, "")
	if !strings.Contains(string(b), `"id":"victims_citizenship","measure":"victims","by":["citizenship"],`) || !strings.Contains(string(b), `"years":"complete"`) {
		t.Errorf("the catalogue does not mark victims_citizenship as of the complete years: %.300s", b)
	}
	// An unknown table names the nearest ones.
	code, b, _ = f.do("viewer", "GET", "/api/v1/tables/victims_by_shoe_size", nil, "")
	if code != 404 || !strings.Contains(string(b), "victims") {
		t.Errorf("unknown table: %d %s", code, b)
	}
}

// TestAuditEveryAction: sign-ins (good and bad), uploads, rollbacks,
// releases, exports, exact aggregates and account changes are in the
// audit log with who, from where and the result.
func TestAuditEveryAction(t *testing.T) {
	f := newFixture(t, api.Options{InsecureCookies: true})
	c := f.browser()
	csrf := loginForm(t, c, f.ts.URL)
	postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {"not it at all"}, "_csrf": {csrf}})
	postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {csrf}})
	_, rep := f.upload("analyst", f.gen("a.csv", 60, 21), nil)
	f.do("analyst", "DELETE", fmt.Sprintf("/api/v1/batches/%d", rep.BatchID), nil, "")
	_, b := f.json("admin", "POST", "/api/v1/releases", map[string]string{"kind": "public", "note": "audit"})
	var rel schemas.ReleaseReport
	json.Unmarshal(b, &rel)
	f.do("admin", "POST", fmt.Sprintf("/api/v1/releases/%d/approve", rel.ID), nil, "")
	f.do("researcher", "GET", fmt.Sprintf("/api/v1/releases/%d/export?format=xlsx", rel.ID), nil, "")
	f.do("admin", "GET", "/api/v1/exports/glotip", nil, "")
	f.do("analyst", "GET", "/api/v1/aggregates?measure=victims&by=sex", nil, "")
	f.json("admin", "POST", "/api/v1/users", map[string]string{"name": "audited", "role": "viewer"})
	f.json("admin", "PATCH", "/api/v1/users/audited", map[string]any{"role": "researcher"})
	f.json("admin", "PATCH", "/api/v1/users/audited", map[string]any{"disabled": true})

	code, b := f.json("admin", "GET", "/api/v1/audit?limit=200", nil)
	var log []schemas.AuditEntry
	if err := json.Unmarshal(b, &log); code != 200 || err != nil {
		t.Fatalf("audit: %d %v", code, err)
	}
	want := []struct {
		action        schemas.AuditAction
		user, result  string
		targetNonZero bool
	}{
		{schemas.ActionLogin, "viewer", "bad_credentials", true},
		{schemas.ActionLogin, "viewer", "ok", true},
		{schemas.ActionBatchUpload, "analyst", "ok", true},
		{schemas.ActionBatchRollback, "analyst", "ok", true},
		{schemas.ActionReleasePublish, "admin", "ok", true},
		{schemas.ActionReleaseApprove, "admin", "ok", true},
		{schemas.ActionExport, "researcher", "ok", true},
		{schemas.ActionExport, "admin", "ok", true},
		{schemas.ActionAggregate, "analyst", "ok", true},
		{schemas.ActionUserAdd, "admin", "ok", true},
		{schemas.ActionUserUpdate, "admin", "ok", true},
		{schemas.ActionUserDisable, "admin", "ok", true}, // PATCH {"disabled": true}
	}
	for _, w := range want {
		found := false
		for _, e := range log {
			if e.Action == w.action && e.User == w.user && e.Result == w.result && (e.Target != "" || !w.targetNonZero) && e.From != "" && !e.Time.IsZero() {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit entry %s by %s with result %s", w.action, w.user, w.result)
		}
	}
	for _, e := range log {
		if e.User == "analyst" && e.Result == "ok" && e.Entity != "dgme" {
			t.Errorf("entry %+v: the institution of the account is missing", e)
		}
		if strings.Contains(e.Details, "not it at all") || strings.Contains(e.Details, f.pass["viewer"]) {
			t.Errorf("a password reached the audit log: %+v", e)
		}
	}
	// Filters: by user and action.
	_, b = f.json("admin", "GET", "/api/v1/audit?user=analyst&action=aggregate", nil)
	log = nil
	json.Unmarshal(b, &log)
	if len(log) == 0 || log[0].Details != "victims by sex" {
		t.Errorf("audit?user=analyst&action=aggregate: newest %+v", log)
	}
	for _, e := range log {
		if e.User != "analyst" || e.Action != schemas.ActionAggregate {
			t.Errorf("audit?user=analyst&action=aggregate gave %+v", e)
		}
	}
}

// TestErrorsAndHeaders: one error shape, no internal text, the security
// headers, and metrics for administrators.
func TestErrorsAndHeaders(t *testing.T) {
	f := newFixture(t, api.Options{})
	code, b, h := f.do("viewer", "GET", "/api/v1/no/such/route", nil, "")
	if code != 404 || errorCode(t, b) != "not_found" {
		t.Errorf("unknown route: %d %s", code, b)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Request-Id") == "" {
		t.Errorf("headers: %v", h)
	}
	code, b = f.json("admin", "POST", "/api/v1/releases", map[string]string{"kind": "conatt"})
	if code != 400 || errorCode(t, b) != "release_note" {
		t.Errorf("release without a note: %d %s", code, b)
	}
	code, b, _ = f.do("admin", "POST", "/api/v1/releases", strings.NewReader("{not json"), "application/json")
	if code != 400 || strings.Contains(string(b), "invalid character") && !strings.Contains(string(b), "bad_json") {
		t.Errorf("bad JSON: %d %s", code, b)
	}
	huge := `{"kind":"conatt","note":"` + strings.Repeat("a", 2<<20) + `"}`
	code, b, _ = f.do("admin", "POST", "/api/v1/releases", strings.NewReader(huge), "application/json")
	if code != 413 || errorCode(t, b) != "too_large" {
		t.Errorf("a 2 MB JSON body: %d %.200s", code, b)
	}
	code, b = f.json("admin", "POST", "/api/v1/releases/999/approve", nil)
	if code != 404 {
		t.Errorf("approve release 999: %d %s", code, b)
	}
	code, b = f.json("admin", "POST", "/api/v1/users", map[string]string{"name": "viewer", "role": "viewer"})
	if code != 422 || errorCode(t, b) != "user_exists" {
		t.Errorf("existing account: %d %s", code, b)
	}
	if code, _, _ := f.do("", "GET", "/healthz", nil, ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	// HEAD is GET without the body, with the same access rules.
	if code, b, h := f.do("viewer", "HEAD", "/api/v1/tables/victims_year", nil, ""); code != 200 || len(b) != 0 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("HEAD as a viewer: %d, %d bytes, %q", code, len(b), h.Get("Content-Type"))
	}
	if code, _, _ := f.do("", "HEAD", "/api/v1/tables/victims_year", nil, ""); code != 401 {
		t.Errorf("HEAD without an account: %d, want 401", code)
	}
	code, b, _ = f.do("admin", "GET", "/metrics", nil, "")
	if code != 200 || !strings.Contains(string(b), "tipdash_http_requests_total") {
		t.Errorf("metrics: %d %.200s", code, b)
	}
	// Forwarded headers do not change who the caller is.
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/aggregates?measure=victims", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["analyst"])
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	list, _ := f.db.AuditLog(context.Background(), schemas.AuditFilter{Action: schemas.ActionAggregate, Limit: 1})
	if len(list) != 1 || list[0].From == "203.0.113.9" {
		t.Errorf("audit From %+v: X-Forwarded-For was trusted", list)
	}
}

// TestInternalErrorsSayOnlyTheRequestID: a failure inside the store (here,
// a closed database) reaches the caller as "internal" with a request id,
// never the driver's text.
func TestInternalErrorsSayOnlyTheRequestID(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "closed.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	srv := api.New(api.Services{Users: db, Audit: db, Ingest: ingest.Service{Store: db, Audit: db}, Batches: db, Tables: db, Releases: db, Export: db},
		api.Options{Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	db.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/tables", nil)
	req.Header.Set("Authorization", "Bearer some-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	json.Unmarshal(b, &e)
	if resp.StatusCode != 500 || e.Error.Code != "internal" || e.Error.RequestID == "" {
		t.Fatalf("closed database: %d %s", resp.StatusCode, b)
	}
	if strings.Contains(strings.ToLower(string(b)), "database") || strings.Contains(string(b), "sql") {
		t.Errorf("the caller saw the internal error: %s", b)
	}
	if n := strings.Count(logged.String(), e.Error.RequestID); n != 1 {
		t.Errorf("the request id is logged %d times, want once: %s", n, logged.String())
	}
}

// TestIdleSessionsEnd: a session left alone longer than the idle timeout
// is signed out; one in use stays.
func TestIdleSessionsEnd(t *testing.T) {
	f := newFixture(t, api.Options{InsecureCookies: true, IdleTimeout: 1500 * time.Millisecond})
	c := f.browser()
	csrf := loginForm(t, c, f.ts.URL)
	if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	me := func() int {
		resp, err := c.Get(f.ts.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 {
		time.Sleep(700 * time.Millisecond)
		if code := me(); code != http.StatusOK {
			t.Fatalf("a session in use ended: %d", code)
		}
	}
	time.Sleep(2 * time.Second)
	if code := me(); code != http.StatusUnauthorized {
		t.Errorf("after 2 idle seconds (timeout 1.5 s): %d, want 401", code)
	}
}

// TestSignInOverPlainHTTP: a browser keeps no Secure cookie over plain
// HTTP beyond localhost, so its form's session is lost: the answer says
// HTTPS (or --insecure-cookies) is needed, not "reload the page".
func TestSignInOverPlainHTTP(t *testing.T) {
	f := newFixture(t, api.Options{})
	req, _ := http.NewRequest("POST", f.ts.URL+"/login", strings.NewReader(url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "tipdash.conatt.example:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || errorCode(t, b) != "needs_https" {
		t.Errorf("sign-in over plain HTTP to %s: %d %s", req.Host, resp.StatusCode, b)
	}
}

// TestNoSessionBeforeSignIn: nothing is kept on the server for a visitor
// who has not signed in, so a flood of anonymous requests cannot fill its
// memory: the sign-in form's token and the chosen language live in the
// browser's cookies. The form's token is its own cookie's: a token from
// another browser's form is refused.
func TestNoSessionBeforeSignIn(t *testing.T) {
	f := newFixture(t, api.Options{InsecureCookies: true})
	c := f.browser()
	for _, path := range []string{"/login", "/login?lang=en", "/api/v1/me?lang=en", "/dashboard?lang=en", "/public?lang=en", "/login"} {
		resp, err := c.Get(f.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "tipdash_session" {
				t.Errorf("GET %s without signing in made a session", path)
			}
		}
	}
	resp, err := c.Get(f.ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `<html lang="en">`) {
		t.Errorf("the language chosen with ?lang=en was not kept: %.300s", b)
	}
	if ck := c.Jar.Cookies(mustParse(t, f.ts.URL)); !slices.ContainsFunc(ck, func(k *http.Cookie) bool { return k.Name == schemas.LangCookie && k.Value == "en" }) {
		t.Errorf("no %s=en cookie for the pages to read: %v", schemas.LangCookie, ck)
	}
	if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {"not the password"}, "_csrf": {loginForm(t, c, f.ts.URL)}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", resp.StatusCode)
	} else if sessionCookie(c, f.ts.URL) != "" {
		t.Error("a failed sign-in made a session")
	}
	other := f.browser()
	theirs := loginForm(t, other, f.ts.URL)
	loginForm(t, c, f.ts.URL)
	if resp, b := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {theirs}}); resp.StatusCode != http.StatusForbidden || errorCode(t, b) != "csrf" {
		t.Errorf("sign-in with another browser's form token: %d %s, want 403 csrf", resp.StatusCode, b)
	}
	if resp, _ := postForm(t, c, f.ts.URL+"/login", url.Values{"username": {"viewer"}, "password": {f.pass["viewer"]}, "_csrf": {loginForm(t, c, f.ts.URL)}}); resp.StatusCode != http.StatusSeeOther || sessionCookie(c, f.ts.URL) == "" {
		t.Errorf("sign-in with its own form token: %d, session %q", resp.StatusCode, sessionCookie(c, f.ts.URL))
	}
}
