package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromium = "/usr/bin/chromium"

// TestDashboardThroughTheServer signs in with the real form of "tipdash
// serve" in headless chromium and checks that every chart of the viewer's
// dashboard drew with data under the server's content policy (no inline
// script runs unless the page allows it by hash), in Spanish and English,
// and that signing out ends the session.
func TestDashboardThroughTheServer(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser tests need %s (apt-get install chromium); CI installs it", chromium)
	}
	if _, err := os.Stat("../../dashboard/static/echarts.min.js"); err != nil {
		t.Fatal("dashboard/static/echarts.min.js is missing: run make assets")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "b.duckdb")
	t.Setenv("TIPDASH_SECRET", "a secret for the browser test")
	t.Setenv("TIPDASH_CONATT_EVERY", "0")
	csvPath := filepath.Join(dir, "casos.csv")
	ctx := context.Background()
	for _, args := range [][]string{
		{"gen", "--n", "1500", "--seed", "3", "--out", csvPath},
		{"ingest", "--db", db, "--no-progress", csvPath},
		{"release", "publish", "--db", db, "--note", "browser"},
	} {
		if err := run(ctx, args, nil, io.Discard, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	for _, u := range [][2]string{{"vera", "viewer"}, {"ana", "analyst"}} {
		if err := run(ctx, []string{"user", "add", u[0], "--db", db, "--role", u[1], "--entity", "oij", "--password-stdin"},
			strings.NewReader(u[1]+" password 123\n"), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	xlsxPath := filepath.Join(dir, "casos_abril.xlsx")
	if err := run(ctx, []string{"gen", "--n", "200", "--seed", "9", "--out", xlsxPath}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	addr, _, _ := serveForTest(t, db, "--insecure-cookies")
	base := "http://" + addr

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	bctx, cancel = context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	load := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.WaitEvent(page.LoadEventFired, nil, a)); err != nil {
			t.Fatal(err)
		}
	}
	// The dashboard sends a stranger to the sign-in form, and back after it.
	load(chromedp.Navigate(base + "/dashboard"))
	url, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil || !strings.Contains(url, "/login") {
		t.Fatalf("/dashboard without a session went to %q, %v", url, err)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#username"), "vera"),
		chromedp.SendKeys(chromedp.CSS("#password"), "viewer password 123")); err != nil {
		t.Fatal(err)
	}
	load(chromedp.Submit(chromedp.CSS("#password")))
	drew := func(lang string) {
		t.Helper()
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("figure.chart .echart .item")).map(function (el) {
  var c = window.echarts && echarts.getInstanceByDom(el);
  if (!c) { return "none"; }
  var n = 0;
  c.getOption().series.forEach(function (s) { (s.data || []).forEach(function (d) { var v = (d && d.value !== undefined) ? d.value : d; if (v !== "-" && v !== null) { n++; } }); });
  return String(n);
})`))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 9 {
			t.Fatalf("%s: %d charts on the page, want at least 9: %v", lang, len(got), got)
		}
		for i, n := range got {
			if n == "none" || n == "0" {
				t.Errorf("%s: chart %d did not draw (%s): is its script allowed by the content policy?", lang, i, n)
			}
		}
		htmlLang, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if htmlLang != lang {
			t.Errorf("page language %q, want %q", htmlLang, lang)
		}
	}
	url, _ = chromedp.Run(bctx, chromedp.Location())
	if !strings.HasSuffix(url, "/dashboard") {
		t.Fatalf("after signing in: %q", url)
	}
	drew("es")
	load(chromedp.Navigate(base + "/dashboard?lang=en"))
	drew("en")
	load(chromedp.Navigate(base + "/dashboard"))
	drew("en") // the browser remembers the language (a cookie)
	// Signing out (the page's own form, with its CSRF token) ends the session.
	load(chromedp.Submit(chromedp.CSS(`form[action="/logout"] button`)))
	load(chromedp.Navigate(base + "/dashboard"))
	url, _ = chromedp.Run(bctx, chromedp.Location())
	if !strings.Contains(url, "/login") {
		t.Errorf("after signing out, /dashboard is %q", url)
	}

	// An analyst checks and stores an XLSX on the upload page: a multipart
	// form whose CSRF token the server checks. The browser chose English
	// before; ?lang=es on the sign-in page chooses Spanish again.
	load(chromedp.Navigate(base + "/login?next=/upload&lang=es"))
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#username"), "ana"),
		chromedp.SendKeys(chromedp.CSS("#password"), "analyst password 123")); err != nil {
		t.Fatal(err)
	}
	load(chromedp.Submit(chromedp.CSS("#password")))
	if err := chromedp.Do(bctx, chromedp.SetUploadFiles(chromedp.ID("file"), []string{xlsxPath})); err != nil {
		t.Fatal(err)
	}
	load(chromedp.Click(chromedp.ID("check")))
	status := func() string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#report-status")))
		if err != nil {
			t.Fatalf("no report on the page: %v", err)
		}
		return strings.TrimSpace(s)
	}
	if st := status(); st != "revisado, sin guardar" {
		t.Errorf("after checking the file: %q", st)
	}
	load(chromedp.Click(chromedp.ID("store")))
	if st := status(); st != "guardado" {
		t.Errorf("after storing the file: %q", st)
	}
}
