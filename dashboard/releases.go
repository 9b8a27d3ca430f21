package dashboard

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

type releasesView struct {
	Releases []schemas.Release
	Done     string
}

// releasesPage lists the releases, newest first, with approve buttons for
// drafts and a form that publishes a conatt release now.
func (s *server) releasesPage(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	rels, err := s.svc.Releases.Releases(r.Context())
	if err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	slices.SortFunc(rels, func(a, b schemas.Release) int { return cmp.Compare(b.ID, a.ID) }) // newest first
	v := releasesView{Releases: rels}
	switch r.URL.Query().Get("done") {
	case "published":
		v.Done = "rel.done"
	case "approved":
		v.Done = "rel.ok"
	}
	s.render(w, http.StatusOK, "releases", page{Lang: c.Lang, Title: words["rel.title"], URL: r.URL, Caller: &c, Data: v})
}

// releaseView is one release's disclosure report, and one table of it
// exact and protected side by side.
type releaseView struct {
	Report  *schemas.ReleaseReport
	Titles  map[string]string
	Table   string
	Compare []compareRow
	Head    []string
	// Unreadable says why the protected side is missing (a table the
	// release predates, say).
	Unreadable *schemas.Message
}

type compareRow struct {
	Keys      []string
	Exact     string
	Protected string
	Hidden    bool
}

func (s *server) releasePage(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	ctx := r.Context()
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil {
		s.fail(w, r, c.Lang, http.StatusNotFound, msgNotFound)
		return
	}
	rep, err := s.svc.Releases.ReleaseReport(ctx, n)
	if err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	v := releaseView{Report: rep, Titles: map[string]string{}}
	for _, tr := range rep.Tables {
		if spec, err := schemas.Tables().Table(rep.Kind, tr.ID); err == nil {
			v.Titles[tr.ID] = pick(c.Lang, spec.TitleES, spec.TitleEN)
		}
	}
	v.Table = r.URL.Query().Get("table")
	if v.Table == "" && len(rep.Tables) > 0 {
		v.Table = rep.Tables[0].ID
	}
	if spec, err := schemas.Tables().Table(rep.Kind, v.Table); err == nil {
		exact, err := s.svc.Tables.CatalogueTable(ctx, schemas.TierAdmin, 0, spec.ID, nil)
		if err != nil {
			s.failErr(w, r, c.Lang, err)
			return
		}
		protected, err := s.svc.Releases.DraftTable(ctx, n, spec.ID)
		if err != nil {
			v.Unreadable = ptr(messageOf(err))
		}
		v.Head, v.Compare = compare(c.Lang, exact, protected)
	}
	s.render(w, http.StatusOK, "release", page{Lang: c.Lang, Title: schemas.Message{
		ES: "Publicación " + strconv.FormatInt(n, 10), EN: "Release " + strconv.FormatInt(n, 10)}, URL: r.URL, Caller: &c, Data: v})
}

func pick(lang, es, en string) string {
	return tr(lang, schemas.Message{ES: es, EN: en})
}

// compare joins an exact table and its protected cells by their codes
// (protected may be nil); the exact order leads, and a protected cell
// without an exact one (a folded category) follows.
func compare(lang string, exact, protected *schemas.Table) ([]string, []compareRow) {
	var head []string
	for _, d := range exact.By {
		head = append(head, dimLabel(d, lang))
	}
	prot := map[string]schemas.Row{}
	var order []string
	if protected != nil {
		for _, r := range protected.Rows {
			k := strings.Join(r.Keys, "\x00")
			prot[k] = r
			order = append(order, k)
		}
	}
	var out []compareRow
	seen := map[string]bool{}
	add := func(keys []string, ex *int, k string) {
		row := compareRow{Exact: "0", Protected: "—"}
		for i, code := range keys {
			row.Keys = append(row.Keys, codeLabel(exact.By[i], code, lang))
		}
		if ex != nil {
			row.Exact = formatInt(lang, *ex)
		}
		if p, ok := prot[k]; ok {
			row.Protected = countText(lang, p.Count)
			row.Hidden = p.Count == nil
		} else if protected != nil {
			row.Protected = "0"
		}
		out = append(out, row)
		seen[k] = true
	}
	for _, r := range exact.Rows {
		add(r.Keys, r.Count, strings.Join(r.Keys, "\x00"))
	}
	for _, k := range order {
		if !seen[k] {
			add(prot[k].Keys, nil, k)
		}
	}
	return head, out
}

// approve approves a draft (the service audits it).
func (s *server) approve(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil {
		s.fail(w, r, c.Lang, http.StatusNotFound, msgNotFound)
		return
	}
	if err := s.svc.Releases.ApproveRelease(r.Context(), n, time.Now()); err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	http.Redirect(w, r, "/releases?done=approved", http.StatusSeeOther)
}

// publish makes a conatt release now, with the note the administrator
// wrote (required by the service).
func (s *server) publish(w http.ResponseWriter, r *http.Request, c schemas.Caller) {
	if _, err := s.svc.Releases.PublishRelease(r.Context(), schemas.TierConatt, r.FormValue("note"), time.Now()); err != nil {
		s.failErr(w, r, c.Lang, err)
		return
	}
	http.Redirect(w, r, "/releases?done=published", http.StatusSeeOther)
}
