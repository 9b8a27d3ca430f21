package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// PublishRelease computes every catalogue table of tier kind (conatt or
// public) from the current records, protects them together
// (disclosure.ProtectRelease) and stores the published cells and notes in
// one transaction: killed at any point, there is no release or a complete
// one. A conatt release is approved at once unless the database was opened
// with ConattApproval; a public release waits for ApproveRelease.
func (db *DB) PublishRelease(ctx context.Context, kind schemas.Tier, note string, now time.Time) (rep *schemas.ReleaseReport, err error) {
	defer wrap(&err, "publish %s release", kind)
	defer func() {
		target := ""
		if rep != nil {
			target = strconv.FormatInt(rep.ID, 10)
		}
		db.recordDone(ctx, schemas.ActionReleasePublish, target, "kind="+string(kind), &err)
	}()
	if kind != schemas.TierConatt && kind != schemas.TierPublic {
		return nil, schemas.Invalid("bad_release_kind", "una publicación es conatt o public, no %q", "a release is conatt or public, not %q", kind)
	}
	if strings.TrimSpace(note) == "" {
		return nil, schemas.Invalid("release_note", "una publicación necesita una nota", "a release needs a note")
	}
	cellKey, err := db.disclosureKey(ctx, "cell_key")
	if err != nil {
		return nil, err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rules := db.rules(kind)
	specs := schemas.Tables().ForTier(kind)
	// A CONATT member reads the public releases too: a release is checked
	// together with every approved release of both tiers, each read with
	// its own rules (DESIGN.md, "Protecting people").
	other := schemas.TierPublic
	if kind == schemas.TierPublic {
		other = schemas.TierConatt
	}
	records, err := recordsStamp(ctx, tx)
	if err != nil {
		return nil, err
	}
	// The tables of the complete years count the years before the year in
	// progress (the latest any record refers to): monthly batches of that
	// year leave them as they were.
	open, through, err := completeYears(ctx, tx)
	if err != nil {
		return nil, err
	}
	sameRel, err := latestApproved(ctx, tx, kind)
	if err != nil {
		return nil, err
	}
	otherRel, err := latestApproved(ctx, tx, other)
	if err != nil {
		return nil, err
	}
	if kind == schemas.TierPublic && (otherRel.id == 0 || otherRel.records != records) {
		// The public release and the conatt release it is checked with
		// then count the same people: one population in the program.
		return nil, &schemas.Error{Code: "conatt_first", Kind: schemas.ErrConflict, Msg: schemas.Message{
			ES: "una publicación public debe contar los mismos registros que la última publicación conatt aprobada, y los registros cambiaron desde entonces (o no hay ninguna): publique primero una publicación conatt («tipdash release publish --kind conatt»)",
			EN: "a public release must count the same records as the latest approved conatt release, and the records have changed since (or there is none): publish a conatt release first (\"tipdash release publish --kind conatt\")"}}
	}
	// A reader holds every approved release of both tiers: each is checked
	// as one more release, with its own records (recordsBack). Holding the
	// latest of each tier alone was not enough: an older conatt release's
	// exact counts and zeros bound what was added since, and with a later
	// public release and the latest conatt one pinned a count of 1 that
	// both hid (a red team, over ten conatt and five public releases).
	held, err := allApproved(ctx, tx)
	if err != nil {
		return nil, err
	}
	counted, err := storedBatches(ctx, tx)
	if err != nil {
		return nil, err
	}
	links, err := linkRollbacks(ctx, tx, held, counted)
	if err != nil {
		return nil, err
	}
	backs := recordsBack(links.held, records, links.off)
	// The tables of both tiers: those of the other tier that this one does
	// not publish are shadows, carrying the other release's cells.
	all := withParts(specs)
	for _, s := range withParts(schemas.Tables().ForTier(other)) {
		if !s.For(kind) {
			all = append(all, s)
		}
	}
	published := map[string]disclosure.Published{}
	// A table that changed by fewer than k people since a release its
	// readers hold (none included) is carried over from the latest release
	// of this tier that computed it (0: none, withheld).
	carried := map[string]int64{}
	grew := map[string]int64{} // Spec.GrewSince, as the release compared with
	var problems []disclosure.Problem
	for _, m := range schemas.Measures {
		p, err := problem(ctx, tx, m, all, kind, cellKey, through)
		if err != nil {
			return nil, err
		}
		// A held release that counted other complete years than today's
		// tables: its tables of the complete years are tables of their
		// own (years up to then), whose cells today's are checked with.
		variants := map[string]disclosure.Spec{}
		if len(p.Tables) > 0 {
			for _, b := range links.batches {
				atoms, err := atomsFrom(ctx, tx, "rolled_back_versions", m, p.Dims, cellKey, fmt.Sprintf("(v.id >> 32) = %d", b))
				if err != nil {
					return nil, err
				}
				p.Extra = append(p.Extra, atoms)
			}
		}
		// By how many people each table changed since each held release
		// of this tier that today's records grew from (and the lower of
		// the two thresholds).
		changed := map[int64]map[string]int{}
		threshold := map[int64]int{}
		others := map[int64]int{} // a held release's place in p.Others
		for i, h := range held {
			cells, withheld, err := releaseCells(ctx, tx, h.id, m, all, through, p.Tables, variants)
			if err != nil {
				return nil, err
			}
			if cells == nil {
				// It computed no table of the measure; one it carried over
				// still tells that the table changed by fewer than its
				// threshold since (Other.Carried, below).
				cells = map[string][]disclosure.PubCell{}
			}
			hr := db.heldRules(h)
			// (Of records that today's did not grow from, a batch rolled
			// back since, it is not linked, -1: recordsBack. What changed
			// since it still counts below, and the engine hides what its
			// cells and today's differ by when a few.)
			o := disclosure.Other{Tables: cells, Rules: hr, Back: backs[i]}
			if backs[i] >= 0 {
				o.Extra = links.extra[i]
			}
			if backs[i] > 0 {
				// Those it counted by a version updated since: known to
				// the program, so that it still reads as records
				// today's grew from.
				if o.Gone, err = goneSince(ctx, tx, m, p.Dims, cellKey, h.batches); err != nil {
					return nil, err
				}
			}
			others[h.id] = len(p.Others)
			p.Others = append(p.Others, o)
			// Carrying over is decided against the releases of this tier:
			// a release of the other counts the records of one of this
			// tier's (public follows conatt), and its rounded or exact
			// values do not show this tier's changes cell by cell. Told
			// apart from a table computed, a table withheld because it
			// changed since the other tier's release said that somebody
			// changed (a red team read 1 to 4 late records off a public
			// release's note and the conatt release carried over).
			// (Nor one that counted people rolled back since: carried
			// from it, they would stay published.)
			if backs[i] <= 0 || len(o.Extra) > 0 || len(p.Tables) == 0 || h.kind != kind {
				continue
			}
			// (Its tables withheld are compared with their exact cells:
			// told apart from nothing to compare with, one withheld and
			// unchanged no longer has every table of its years computed
			// again.)
			compared := maps.Clone(cells)
			maps.Copy(compared, withheld)
			changed[h.id], threshold[h.id] = disclosure.Changed(p, rules, compared), min(rules.Threshold, hr.Threshold)
		}
		for _, id := range slices.Sorted(maps.Keys(variants)) {
			p.Tables = append(p.Tables, variants[id])
		}
		// What the held releases carried over, and from which: each says
		// that its table changed by fewer than its threshold since.
		for id, i := range others {
			if p.Others[i].Carried, err = carriedFrom(ctx, tx, id, m, through, others); err != nil {
				return nil, err
			}
			if p.Others[i].Grew, err = grewFrom(ctx, tx, id, m, through, others); err != nil {
				return nil, err
			}
		}
		// A table is carried over from the latest release of this tier
		// that computed it and that today's records grew from, when it
		// changed by fewer than k people since that one. (Against any
		// release held, a table whose rolled-back people that release
		// counted was carried from a later one that counted them too: the
		// note "unchanged" was false, and those people stayed published.)
		// And all the tables of one measure's years together (its complete
		// years; its year in progress), or none: one carried and another
		// computed told, of nested people (the suspects of trafficking
		// among all suspects), that a change was 1 to 4 and not 0.
		// Computed because some table changed by k or more (not because
		// one had nothing to compare with: blind), the tables say that
		// their people grew by k or more since the oldest of the releases
		// compared (Spec.GrewSince), and the check reads that too.
		origins := map[string]int64{}
		// By whether the part of the year in progress:
		computeAll, blind, oldest := map[bool]bool{}, map[bool]bool{}, map[bool]int64{}
		for i := range p.Tables {
			s := p.Tables[i]
			if s.Shadow || s.Carried {
				continue
			}
			origin, err := lastComputed(ctx, tx, kind, s.ID, through[s.ID], changed)
			if err != nil {
				return nil, err
			}
			g := s.After != 0
			n, ok := changed[origin][s.ID]
			switch {
			case !ok:
				computeAll[g], blind[g] = true, true
			case n >= threshold[origin]:
				computeAll[g] = true
			}
			if ok && (oldest[g] == 0 || origin < oldest[g]) {
				oldest[g] = origin
			}
			origins[s.ID] = origin
		}
		for i := range p.Tables {
			s := &p.Tables[i]
			if s.Shadow || s.Carried {
				continue
			}
			g := s.After != 0
			if !computeAll[g] {
				s.Carried, carried[s.ID] = true, origins[s.ID]
				if j, ok := others[origins[s.ID]]; ok {
					s.From = j + 1
				}
			} else if j, ok := others[oldest[g]]; ok && !blind[g] {
				s.GrewSince, grew[s.ID] = j+1, oldest[g]
			}
		}
		if p.Floors, err = releaseFloors(ctx, tx, m, all, through, db.heldRules); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(p.Tables, func(s disclosure.Spec) bool { return !s.Shadow && !s.Carried }) {
			continue // nothing of the measure to compute
		}
		problems = append(problems, p)
	}
	// The measures are protected apart (their people are others): each on
	// its own goroutine, with its own budget.
	outs := make([][]disclosure.Published, len(problems))
	errs := make([]error, len(problems))
	var wg sync.WaitGroup
	for i := range problems {
		problems[i].Deadline = time.Now().Add(db.publishBudget)
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = disclosure.ProtectRelease(ctx, problems[i], rules)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, out := range outs {
		for _, t := range out {
			published[t.ID] = t
		}
	}
	rep = &schemas.ReleaseReport{Release: schemas.Release{Kind: kind, Note: note, Status: schemas.ReleaseDraft, CreatedAt: now.UTC().Truncate(time.Second)}}
	if kind == schemas.TierConatt && !db.conattApproval {
		rep.Status, rep.ApprovedAt = schemas.ReleaseApproved, rep.CreatedAt
	}
	if err := tx.QueryRowContext(ctx, `SELECT nextval('release_ids')`).Scan(&rep.ID); err != nil {
		return nil, err
	}
	// storeTable stores table s (a part of a table by year: its id) and
	// returns its report.
	storeTable := func(pos int, s schemas.TableSpec) (schemas.TableReport, error) {
		if origin, ok := carried[s.ID]; ok {
			return carryTable(ctx, tx, rep.ID, pos, origin, s)
		}
		t := published[s.ID]
		notes := slices.Clone(t.Notes)
		if s.NoteES != "" {
			notes = append([]schemas.Message{{ES: s.NoteES, EN: s.NoteEN}}, notes...)
		}
		var years any
		if s.CompleteYears() {
			notes = append([]schemas.Message{schemas.CompleteYearsNote(open)}, notes...)
		}
		if s.CompleteYears() || byYear(s) {
			years = through[s.ID]
		}
		cells := make([]schemas.Row, 0, len(t.Cells))
		exact := make([]int, 0, len(t.Cells))
		shown := 0
		for _, c := range t.Cells {
			exact = append(exact, c.Exact)
			if !c.Hidden {
				shown += c.Count
			}
			r := schemas.Row{Keys: codeNames(s.By, c.Keys)}
			if c.Hidden {
				r.Note = schemas.Hidden
			} else {
				n := c.Count
				r.Count = &n
			}
			cells = append(cells, r)
		}
		notesJS, _ := json.Marshal(notes)
		cellsJS, _ := json.Marshal(cells)
		exactJS, _ := json.Marshal(exact)
		var since, withheldJS any
		if n, ok := grew[s.ID]; ok && !t.Withheld {
			since = n
		}
		if t.Withheld {
			// Its exact cells, never served: what a later release compares
			// its table with (releaseCells).
			rows := make([]schemas.Row, 0, len(t.WithheldCells))
			for _, c := range t.WithheldCells {
				n := c.Exact
				rows = append(rows, schemas.Row{Keys: codeNames(s.By, c.Keys), Count: &n})
			}
			js, _ := json.Marshal(rows)
			withheldJS = string(js)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_tables (release, position, table_id, measure, dims, withheld, notes, cells, exact, shown, years_through, grew_since, withheld_exact)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rep.ID, pos, s.ID, string(s.Measure), dimStrings(s.By), t.Withheld, string(notesJS), string(cellsJS), string(exactJS), shown, years, since, withheldJS); err != nil {
			return t.Report, err
		}
		return t.Report, nil
	}
	for pos, s := range specs {
		if !byYear(s) {
			tr, err := storeTable(pos, s)
			if err != nil {
				return nil, err
			}
			rep.Tables = append(rep.Tables, tr)
			continue
		}
		tr := schemas.TableReport{ID: s.ID, Withheld: true}
		for _, ps := range withParts([]schemas.TableSpec{s}) {
			part, err := storeTable(pos, ps)
			if err != nil {
				return nil, err
			}
			part.Years = partYears(ps.ID, through[ps.ID])
			tr.Parts = append(tr.Parts, part)
			tr.Cells += part.Cells
			tr.Hidden += part.Hidden
			tr.People += part.People
			tr.ShownPeople += part.ShownPeople
			tr.Withheld = tr.Withheld && part.Withheld
		}
		if a, b := tr.Parts[0].CarriedFrom, tr.Parts[1].CarriedFrom; a == b {
			tr.CarriedFrom = a
		}
		rep.Tables = append(rep.Tables, tr)
	}
	js, _ := json.Marshal(rep.Tables)
	var approved any
	if !rep.ApprovedAt.IsZero() {
		approved = rep.ApprovedAt
	}
	rulesJS, _ := json.Marshal(rules)
	batchesJS, _ := json.Marshal(counted)
	if _, err := tx.ExecContext(ctx, `INSERT INTO releases (id, kind, note, status, created_at, approved_at, report, checked_with, checked_with_other, records, rules, batches)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rep.ID, string(kind), note, string(rep.Status), rep.CreatedAt, approved, string(js), sameRel.id, otherRel.id, records, string(rulesJS), string(batchesJS)); err != nil {
		return nil, err
	}
	return rep, tx.Commit()
}

// lastComputed returns the latest approved release of tier kind that
// computed table id rather than carrying it over, counting the same years
// (through: its last complete year; after a rollback the year in progress
// may go back), among those today's records grew from (linked: the held
// releases compared); 0: none.
func lastComputed(ctx context.Context, tx *sql.Tx, kind schemas.Tier, id string, through int, linked map[int64]map[string]int) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT r.id FROM releases r JOIN release_tables t ON t.release = r.id
		WHERE r.kind = ? AND r.status = ? AND t.table_id = ? AND t.carried_from IS NULL AND coalesce(t.years_through, 0) = ?
		ORDER BY r.id DESC`,
		string(kind), string(schemas.ReleaseApproved), id, through)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
		if _, ok := linked[n]; ok {
			return n, nil
		}
	}
	return 0, rows.Err()
}

// grewFrom returns what held release n's computed tables of measure m
// say of their people (Spec.GrewSince, as its grew_since column stored
// it): those that grew by its threshold or more since another held
// release (others: their places in Problem.Others), as today's table ids
// name them (a table of other complete years, its window; a part of a
// table by year, its pieces, together).
func grewFrom(ctx context.Context, tx *sql.Tx, n int64, m schemas.Measure, through map[string]int, others map[int64]int) ([]disclosure.Growth, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_id, grew_since, coalesce(years_through, 0) FROM release_tables
		WHERE release = ? AND measure = ? AND grew_since IS NOT NULL AND carried_from IS NULL AND NOT withheld ORDER BY table_id`, n, string(m))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []disclosure.Growth
	for rows.Next() {
		var id string
		var since int64
		var then int
		if err := rows.Scan(&id, &since, &then); err != nil {
			return nil, err
		}
		i, ok := others[since]
		if !ok {
			continue
		}
		g := disclosure.Growth{Since: i}
		if base, _ := partOf(id); byYearID(base) {
			for _, pc := range yearPieces(id, then, through) {
				g.Tables = append(g.Tables, pc.id)
			}
		} else {
			id, _ = yearsVariant(id, then, through)
			g.Tables = []string{id}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// carryTable stores table s of release n as release origin published it
// (withheld when origin is 0 or lacks it) and returns its report.
func carryTable(ctx context.Context, tx *sql.Tx, n int64, pos int, origin int64, s schemas.TableSpec) (schemas.TableReport, error) {
	tr := schemas.TableReport{ID: s.ID, Withheld: true}
	var js string
	err := tx.QueryRowContext(ctx, `SELECT coalesce(report, '[]') FROM releases WHERE id = ?`, origin).Scan(&js)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return tr, err
	}
	var reports []schemas.TableReport
	if js != "" {
		if err := json.Unmarshal([]byte(js), &reports); err != nil {
			return tr, err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO release_tables (release, position, table_id, measure, dims, withheld, notes, cells, exact, shown, carried_from, years_through)
		SELECT ?, ?, table_id, measure, dims, withheld, notes, cells, exact, shown, release, years_through FROM release_tables WHERE release = ? AND table_id = ?`, n, pos, origin, s.ID)
	if err != nil {
		return tr, err
	}
	if added, err := res.RowsAffected(); err != nil || added == 1 {
		if r, ok := findReport(reports, s.ID); ok {
			tr = r
		}
		tr.CarriedFrom = origin
		return tr, err
	}
	notes, _ := json.Marshal([]schemas.Message{{
		ES: "Retenida: desde una publicación que sus lectores tienen, sus cifras no cambiaron o cambiaron en muy pocas personas para publicarlas sin describirlas, y ninguna publicación anterior de este nivel la muestra.",
		EN: "Withheld: since a release its readers hold, its counts have not changed or changed by too few people to publish without describing them, and no earlier release of this tier shows it."}})
	_, err = tx.ExecContext(ctx, `INSERT INTO release_tables (release, position, table_id, measure, dims, withheld, notes, cells, exact, shown)
		VALUES (?, ?, ?, ?, ?, true, ?, '[]', '[]', 0)`, n, pos, s.ID, string(s.Measure), dimStrings(s.By), string(notes))
	return tr, err
}

// allApproved returns every approved release, whole, oldest first.
func allApproved(ctx context.Context, tx *sql.Tx) ([]heldRelease, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, coalesce(records, ''), coalesce(rules, ''), coalesce(batches, '') FROM releases WHERE status = ? ORDER BY id`, string(schemas.ReleaseApproved))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []heldRelease
	for rows.Next() {
		var h heldRelease
		var kind, rules, batches string
		if err := rows.Scan(&h.id, &kind, &h.records, &rules, &batches); err != nil {
			return nil, err
		}
		if batches != "" {
			if err := json.Unmarshal([]byte(batches), &h.batches); err != nil {
				return nil, fmt.Errorf("release %d: its batches: %w", h.id, err)
			}
		}
		h.kind = schemas.Tier(kind)
		if err := h.readRules(rules); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// heldRelease is an approved release a reader holds.
type heldRelease struct {
	id      int64 // 0: none
	kind    schemas.Tier
	records string
	rules   disclosure.Rules // made with (zero: not stored, before migration 10)
	batches []int64          // the batches it counted (nil: not stored, before migration 11)
}

// readRules reads the rules stored with a release (releases.rules; ""
// before migration 10).
func (h *heldRelease) readRules(js string) error {
	if js == "" {
		return nil
	}
	return json.Unmarshal([]byte(js), &h.rules)
}

// heldRules returns the rules a held release was made with: its readers
// know it by them, whatever the configuration says now (thresholds can be
// raised since). A release made before they were stored is read by its
// tier's current rules.
func (db *DB) heldRules(h heldRelease) disclosure.Rules {
	if h.rules.Threshold > 0 {
		return h.rules
	}
	return db.rules(h.kind)
}

// servedFrom returns the approved release of tier kind that a reader of
// its latest release is served table id from: the one that shows the most
// people in it (the latest among equals), 0 when none shows it. After a
// batch of a few people the latest release hides the cells that changed
// by 1 to k-1 (or withholds the table), and the release before shows
// more; PublishRelease holds every approved release, that one among them.
// A part of a table by year (part) is served on its own, from the
// releases whose part counted the same years (through).
func servedFrom(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, kind schemas.Tier, id string, part bool, through int) (int64, error) {
	stored := map[int64]bool{}
	rows, err := q.QueryContext(ctx, `SELECT id FROM batches WHERE status = 'stored'`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var b int64
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return 0, err
		}
		stored[b] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// (A table by year: its two parts, shown people added.) Never one
	// that counted a batch rolled back since: the administrator withdrew
	// those records.
	ids, years := []any{id, id + openPart}, ""
	if part {
		ids, years = []any{id, id}, fmt.Sprintf(" AND coalesce(t.years_through, 0) = %d", through)
	}
	rows, err = q.QueryContext(ctx, `SELECT r.id, coalesce(any_value(r.batches), '') FROM release_tables t JOIN releases r ON r.id = t.release
		WHERE r.kind = ? AND r.status = ? AND t.table_id IN (?, ?)`+years+` GROUP BY r.id HAVING bool_or(NOT t.withheld)
		ORDER BY sum(CASE WHEN t.withheld THEN 0 ELSE coalesce(t.shown, 0) END) DESC, r.id DESC`, append([]any{string(kind), string(schemas.ReleaseApproved)}, ids...)...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var js string
		if err := rows.Scan(&n, &js); err != nil {
			return 0, err
		}
		var counted []int64
		if js != "" {
			if err := json.Unmarshal([]byte(js), &counted); err != nil {
				return 0, err
			}
		}
		if !slices.ContainsFunc(counted, func(b int64) bool { return !stored[b] }) {
			return n, nil
		}
	}
	return 0, rows.Err()
}

// latestApproved returns the latest approved release of a tier.
func latestApproved(ctx context.Context, tx *sql.Tx, kind schemas.Tier) (heldRelease, error) {
	h := heldRelease{kind: kind}
	err := tx.QueryRowContext(ctx, `SELECT id, coalesce(records, '') FROM releases WHERE kind = ? AND status = ? ORDER BY id DESC LIMIT 1`,
		string(kind), string(schemas.ReleaseApproved)).Scan(&h.id, &h.records)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	}
	return h, err
}

// recordsStamp names the current records: their number and the sum of a
// hash of their versions' ids. A stored batch, an update or a rollback
// changes it.
func recordsStamp(ctx context.Context, tx *sql.Tx) (string, error) {
	var n int64
	var sum string
	err := tx.QueryRowContext(ctx, `SELECT count(*), CAST(coalesce(sum(hash(id)), 0) AS VARCHAR) FROM record_versions WHERE is_current`).Scan(&n, &sum)
	return fmt.Sprintf("%d:%s", n, sum), err
}

// storedBatches lists the batches whose records count now, ascending.
func storedBatches(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM batches WHERE status = 'stored' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// offPath says, for each held release that stored its batches, whether a
// batch it counted has been rolled back since: its people are then not
// all among today's, and no check may read today's records as its records
// and more. (An update since keeps it on the way: the versions it counted
// and today's records no longer have are read back as known, goneSince.)
func offPath(held []heldRelease, stored []int64) []bool {
	out := make([]bool, len(held))
	for i, h := range held {
		if h.id == 0 {
			continue
		}
		for _, b := range h.batches {
			if _, ok := slices.BinarySearch(stored, b); !ok {
				out[i] = true // rolled back since
			}
		}
	}
	return out
}

// rollbackLinks is how the held releases that counted a batch rolled back
// since are read: held with their records stamps as if without those
// batches, off as offPath but false for those linked, extra the blocks of
// batches each counted besides (indexes into batches, whose kept records
// are disclosure.Problem.Extra).
type rollbackLinks struct {
	held    []heldRelease
	off     []bool
	extra   [][]int
	batches []int64
}

// linkRollbacks reads a held release that counted a batch rolled back
// since (offPath) as the records it grew from plus that batch's people,
// when the batch's records are kept (rolled_back_versions: rolled back
// after migration 12; a purge keeps their codes, Purge) and none of its
// people has another version among the batches the release counted (an
// update then: the release did not count the version before, and does
// not read as records plus people). Its stamp becomes that of its records without the
// batch, so that recordsBack places them in the chain. The others stay
// off the path, as before.
func linkRollbacks(ctx context.Context, tx *sql.Tx, held []heldRelease, stored []int64) (rollbackLinks, error) {
	out := rollbackLinks{held: slices.Clone(held), off: offPath(held, stored), extra: make([][]int, len(held))}
	index := map[int64]int{}
	for i, h := range held {
		if !out.off[i] || h.records == "" {
			continue
		}
		var gone []int64
		for _, b := range h.batches {
			if _, ok := slices.BinarySearch(stored, b); !ok {
				gone = append(gone, b)
			}
		}
		linkable := true
		for _, b := range gone {
			var kept int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rolled_back_versions WHERE (id >> 32) = ?`, b).Scan(&kept); err != nil {
				return out, err
			}
			updates, err := updatesAmong(ctx, tx, b, h.batches)
			if err != nil {
				return out, err
			}
			if kept == 0 || updates > 0 {
				linkable = false
				break
			}
		}
		if !linkable {
			continue
		}
		n, sum, ok := strings.Cut(h.records, ":")
		if !ok {
			continue
		}
		var stamp string
		set := make([]string, len(gone))
		for j, b := range gone {
			set[j] = strconv.FormatInt(b, 10)
		}
		err := tx.QueryRowContext(ctx, `SELECT CAST(CAST(? AS BIGINT) - count(*) AS VARCHAR) || ':' || CAST(CAST(? AS HUGEINT) - coalesce(sum(hash(id)), 0) AS VARCHAR)
			FROM rolled_back_versions WHERE (id >> 32) IN (`+strings.Join(set, ",")+`)`, n, sum).Scan(&stamp)
		if err != nil {
			return out, err
		}
		out.held[i].records, out.off[i] = stamp, false
		for _, b := range gone {
			e, ok := index[b]
			if !ok {
				e = len(out.batches)
				index[b] = e
				out.batches = append(out.batches, b)
			}
			out.extra[i] = append(out.extra[i], e)
		}
	}
	return out, nil
}

// recordsBack says, for each held release, how many times the records
// changed between it and now (taking the releases in the order they were
// made): 0 when it counted today's records. A release with no stamp (made
// before migration 7) counts as other records than any.
//
// A release that counted the records of today is one population with
// today's release, however the records went in between (a batch stored,
// then rolled back): 0. A release that today's records did not grow from
// (off: a batch it counted rolled back since) is -1, and so are the
// releases made after the newest one of today's records: no check reads
// them as records today's grew from (the engine does not link them).
func recordsBack(held []heldRelease, now string, off []bool) []int {
	order := make([]int, 0, len(held))
	for i, h := range held {
		if h.id != 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(held[b].id, held[a].id) }) // newest first
	out := make([]int, len(held))
	same := slices.IndexFunc(order, func(i int) bool { return held[i].records != "" && held[i].records == now })
	back, next := 0, now
	for n, i := range order {
		if n < same || off[i] {
			out[i] = -1
			continue
		}
		if held[i].records == "" || held[i].records != next {
			back++
		}
		out[i], next = back, held[i].records
	}
	return out
}

// rules returns the disclosure rules of a protected tier: its minimum, or
// stricter ones from Options.Protection.
func (db *DB) rules(t schemas.Tier) disclosure.Rules {
	if r, ok := db.protection[t]; ok {
		return r
	}
	return disclosure.Minimum(t)
}

// problem reads what the engine needs for one measure: the combinations of
// codes of every dimension its tables use, with their counts and cell keys.
func problem(ctx context.Context, tx *sql.Tx, m schemas.Measure, specs []schemas.TableSpec, kind schemas.Tier, cellKey []byte, through map[string]int) (disclosure.Problem, error) {
	var p disclosure.Problem
	for _, s := range specs {
		if s.Measure != m {
			continue
		}
		ds := disclosure.Spec{ID: s.ID, By: s.By, Where: map[schemas.Dim][]int{}, Shadow: !s.For(kind), Through: through[s.ID]}
		if _, open := partOf(s.ID); open {
			ds.Through, ds.After = 0, through[s.ID]
		}
		if (ds.Through != 0 || ds.After != 0) && !slices.Contains(p.Dims, schemas.DimYear) {
			p.Dims = append(p.Dims, schemas.DimYear)
		}
		for _, f := range s.Where {
			for _, v := range f.Values {
				ds.Where[f.Dim] = append(ds.Where[f.Dim], schemas.MustDim(f.Dim).Index(v))
			}
			if !slices.Contains(p.Dims, f.Dim) {
				p.Dims = append(p.Dims, f.Dim)
			}
		}
		for _, d := range s.By {
			if !slices.Contains(p.Dims, d) {
				p.Dims = append(p.Dims, d)
			}
		}
		p.Tables = append(p.Tables, ds)
	}
	if !slices.ContainsFunc(p.Tables, func(s disclosure.Spec) bool { return !s.Shadow }) {
		p.Tables = nil
		return p, nil
	}
	var err error
	p.Atoms, err = atomsOf(ctx, tx, m, p.Dims, cellKey, "v.is_current")
	return p, err
}

// atomsOf counts the record versions that where selects (a condition on
// record_versions v), of the measure's role, by their codes in dims, each
// combination with the sum of its people's keys.
func atomsOf(ctx context.Context, tx *sql.Tx, m schemas.Measure, dims []schemas.Dim, cellKey []byte, where string) ([]disclosure.Atom, error) {
	return atomsFrom(ctx, tx, "record_versions", m, dims, cellKey, where)
}

// atomsFrom is atomsOf over the record versions of table from.
func atomsFrom(ctx context.Context, tx *sql.Tx, from string, m schemas.Measure, dims []schemas.Dim, cellKey []byte, where string) ([]disclosure.Atom, error) {
	cols := make([]string, 0, len(dims)+2)
	for _, d := range dims {
		if multiValued[d] {
			cols = append(cols, layout[d].expr("v"))
		} else {
			cols = append(cols, dimExpr(d))
		}
	}
	// A record's key is a keyed hash of its person (of the record when the
	// source had no person id): the same person keeps it across versions
	// and releases. The sum wraps at 2^64, as the engine's does.
	cols = append(cols, "count(*)", `CAST(sum(CAST(CAST('0x' || left(sha256(? || coalesce(CAST(v.person_key AS VARCHAR), CAST(v.id AS VARCHAR))), 16) AS UBIGINT) AS HUGEINT)) % 18446744073709551616 AS UBIGINT)`)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " v WHERE " + where + " AND " + layout[schemas.DimRole].expr("v") + " = ?"
	if len(dims) > 0 {
		q += " GROUP BY ALL"
	}
	rows, err := tx.QueryContext(ctx, q, fmt.Sprintf("%x", cellKey), int(m.Role()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []disclosure.Atom
	for rows.Next() {
		codes := make([]int64, len(dims))
		dest := make([]any, 0, len(codes)+2)
		for i := range codes {
			dest = append(dest, &codes[i])
		}
		var a disclosure.Atom
		dest = append(dest, &a.Count, &a.Key)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if a.Count == 0 {
			continue
		}
		for _, c := range codes {
			a.Codes = append(a.Codes, int(c))
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// goneSince reads the people a release counted (batches: the batches it
// counted) by a version of their record that is no longer today's: a
// later batch updated them. Their codes are those it counted them by.
func goneSince(ctx context.Context, tx *sql.Tx, m schemas.Measure, dims []schemas.Dim, cellKey []byte, batches []int64) ([]disclosure.Atom, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	in := make([]string, len(batches))
	for i, b := range batches {
		in[i] = strconv.FormatInt(b, 10)
	}
	set := "(" + strings.Join(in, ",") + ")"
	return atomsOf(ctx, tx, m, dims, cellKey, `NOT v.is_current AND v.person_key IS NOT NULL AND (v.id >> 32) IN `+set+
		` AND v.id = (SELECT max(w.id) FROM record_versions w WHERE w.person_key = v.person_key AND (w.id >> 32) IN `+set+`)`)
}

// releaseCells reads the measure's tables as release n published them
// (nil when it has none), and the exact cells of those it withheld
// (withheld: what a later release compares its table with, never read as
// published). A table that no longer reads back (its table left the
// catalogue, its dimensions changed, or a code left its list) is an
// error: a reader holds it, and a check without it would not be the check
// of what readers hold (fail closed, not open).
//
// A table of the complete years that counted other years than today's
// (through: today's last complete year, by table id) is read as a table of
// its own, id@YEAR (id@all before migration 13, when it counted every
// year): variants gets its spec, made from today's of that id (tables),
// to be checked with today's and left out of the result. (A withheld one
// is left out: it showed nothing to check with.)
func releaseCells(ctx context.Context, tx *sql.Tx, n int64, m schemas.Measure, specs []schemas.TableSpec, through map[string]int, tables []disclosure.Spec, variants map[string]disclosure.Spec) (out, withheld map[string][]disclosure.PubCell, err error) {
	byID := map[string]schemas.TableSpec{}
	for _, s := range specs {
		if s.Measure == m {
			byID[s.ID] = s
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.table_id, t.withheld, t.cells, coalesce(t.exact, ''), coalesce(t.withheld_exact, ''), coalesce(t.years_through, 0) FROM release_tables t
		WHERE t.measure = ? AND t.release = ? AND t.carried_from IS NULL`, string(m), n)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, js, exactJS, withheldJS string
		var isWithheld bool
		var then int
		if err := rows.Scan(&id, &isWithheld, &js, &exactJS, &withheldJS, &then); err != nil {
			return nil, nil, err
		}
		if out == nil {
			out, withheld = map[string][]disclosure.PubCell{}, map[string][]disclosure.PubCell{}
		}
		dest := out
		if isWithheld {
			if withheldJS == "" {
				continue // withheld before migration 15: nothing to compare with
			}
			dest, js = withheld, withheldJS
		}
		spec, ok := byID[id]
		var cells []schemas.Row
		if err := json.Unmarshal([]byte(js), &cells); err != nil {
			return nil, nil, err
		}
		pub, read := readCells(spec, cells)
		if !ok || !read {
			return nil, nil, &schemas.Error{Code: "release_unreadable", Kind: schemas.ErrConflict, Msg: schemas.Message{
				ES: fmt.Sprintf("la tabla %s de la publicación %d ya no se lee con el catálogo y las listas de códigos de esta versión de tipdash; quien la tiene la usaría, así que no se puede comprobar una publicación nueva sin ella: hace falta una versión de tipdash que la lea", id, n),
				EN: fmt.Sprintf("table %s of release %d no longer reads with this tipdash version's catalogue and code lists; its readers hold it, so a new release cannot be checked without it: a tipdash version that reads it is needed", id, n)}}
		}
		if isWithheld {
			for i := range pub {
				pub[i] = disclosure.PubCell{Keys: pub[i].Keys, Hidden: true, Exact: pub[i].Count, Known: true}
			}
		} else {
			// The exact counts it stood for (releases of migration 8 on):
			// one per cell, or none known.
			var exact []int
			if exactJS != "" {
				if err := json.Unmarshal([]byte(exactJS), &exact); err != nil {
					return nil, nil, err
				}
			}
			if len(exact) == len(pub) {
				for i := range pub {
					pub[i].Exact, pub[i].Known = exact[i], true
				}
			}
		}
		if byYear(spec) {
			for _, pc := range yearPieces(id, then, through) {
				if pc.variant {
					if isWithheld {
						continue
					}
					v, ok := pc.spec(tables)
					if !ok {
						continue // not a table of the measure today
					}
					variants[pc.id] = v
				}
				dest[pc.id] = pc.cellsOf(spec, pub)
			}
			continue
		}
		if vid, ok := yearsVariant(id, then, through); ok {
			i := slices.IndexFunc(tables, func(s disclosure.Spec) bool { return s.ID == id })
			if i < 0 || isWithheld {
				continue // not a table of the measure today, or withheld
			}
			v := tables[i]
			v.ID, v.Through, v.Shadow, v.Carried, v.Of = vid, then, false, true, id
			variants[vid] = v
			id = vid
		}
		dest[id] = pub
	}
	return out, withheld, rows.Err()
}

// carriedFrom reads the tables of measure m that release n carried over
// from a held release (others: their places in Problem.Others), by the id
// the check knows them by (yearsVariant).
func carriedFrom(ctx context.Context, tx *sql.Tx, n int64, m schemas.Measure, through map[string]int, others map[int64]int) (map[string]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_id, carried_from, coalesce(years_through, 0) FROM release_tables
		WHERE release = ? AND measure = ? AND carried_from IS NOT NULL AND NOT withheld`, n, string(m))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]int
	for rows.Next() {
		var id string
		var from int64
		var then int
		if err := rows.Scan(&id, &from, &then); err != nil {
			return nil, err
		}
		if i, ok := others[from]; ok {
			if out == nil {
				out = map[string]int{}
			}
			if base, _ := partOf(id); byYearID(base) {
				// Each piece changed by no more than the part did.
				for _, pc := range yearPieces(id, then, through) {
					out[pc.id] = i
				}
				continue
			}
			id, _ = yearsVariant(id, then, through)
			out[id] = i
		}
	}
	return out, rows.Err()
}

// yearsVariant names a held table of the complete years that counted
// other years (then: its last, 0 for every year) than today's table of
// that id: id@YEAR, or id@all.
func yearsVariant(id string, then int, through map[string]int) (string, bool) {
	now, ok := through[id]
	if !ok || then == now {
		return id, false
	}
	if then == 0 {
		return id + "@all", true
	}
	return id + "@" + strconv.Itoa(then), true
}

// releaseFloors reads, per tier, the least count of each cell of the
// measure's tables that its approved releases tell (disclosure.Problem's
// Floors): a reader holds every one of them.
//
// A table of the complete years gives floors only while it counted the
// years today's does (its cells held count in the program all the same).
func releaseFloors(ctx context.Context, tx *sql.Tx, m schemas.Measure, specs []schemas.TableSpec, through map[string]int, rules func(heldRelease) disclosure.Rules) ([]disclosure.Floors, error) {
	byID := map[string]schemas.TableSpec{}
	for _, s := range specs {
		if s.Measure == m {
			byID[s.ID] = s
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.kind, coalesce(r.rules, ''), t.table_id, t.cells, coalesce(t.years_through, 0) FROM release_tables t JOIN releases r ON r.id = t.release
		WHERE t.measure = ? AND r.status = ? AND NOT t.withheld AND t.carried_from IS NULL ORDER BY r.kind, r.id, t.table_id`, string(m), string(schemas.ReleaseApproved))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Grouped by the rules each release was made with (a tier's, unless
	// raised since).
	least := map[disclosure.Rules]map[string]map[string]disclosure.PubCell{}
	for rows.Next() {
		var kind, rulesJS, id, js string
		var then int
		if err := rows.Scan(&kind, &rulesJS, &id, &js, &then); err != nil {
			return nil, err
		}
		spec, ok := byID[id]
		if !ok {
			continue
		}
		// A table by year's cells give floors whatever years its part
		// counted: each counts one year, in today's part of that year.
		if _, other := yearsVariant(id, then, through); other && !byYear(spec) {
			continue
		}
		h := heldRelease{kind: schemas.Tier(kind)}
		if err := h.readRules(rulesJS); err != nil {
			return nil, err
		}
		r := rules(h)
		var cells []schemas.Row
		if err := json.Unmarshal([]byte(js), &cells); err != nil {
			return nil, err
		}
		pub, ok := readCells(spec, cells)
		if !ok {
			continue
		}
		if least[r] == nil {
			least[r] = map[string]map[string]disclosure.PubCell{}
		}
		year := slices.Index(spec.By, schemas.DimYear)
		for _, c := range pub {
			if c.Hidden {
				continue
			}
			tid := id
			if byYear(spec) {
				base, _ := partOf(id)
				if tid = base; c.Keys[year] > through[base] {
					tid = base + openPart
				}
			}
			if least[r][tid] == nil {
				least[r][tid] = map[string]disclosure.PubCell{}
			}
			k := fmt.Sprint(c.Keys)
			if n := r.Least(c.Count); n > least[r][tid][k].Count {
				least[r][tid][k] = disclosure.PubCell{Keys: c.Keys, Count: n}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []disclosure.Floors
	byRules := func(a, b disclosure.Rules) int {
		return cmp.Or(cmp.Compare(a.Threshold, b.Threshold), cmp.Compare(a.Round, b.Round), cmp.Compare(a.Fold, b.Fold))
	}
	for _, r := range slices.SortedFunc(maps.Keys(least), byRules) {
		f := disclosure.Floors{Tables: map[string][]disclosure.PubCell{}, Rules: r}
		for id, cells := range least[r] {
			for _, k := range slices.Sorted(maps.Keys(cells)) {
				f.Tables[id] = append(f.Tables[id], cells[k])
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// readCells turns a stored table back into the engine's cells.
func readCells(spec schemas.TableSpec, rows []schemas.Row) ([]disclosure.PubCell, bool) {
	out := make([]disclosure.PubCell, 0, len(rows))
	for _, r := range rows {
		if len(r.Keys) != len(spec.By) {
			return nil, false
		}
		c := disclosure.PubCell{Keys: make([]int, len(r.Keys)), Hidden: r.Count == nil}
		for i, code := range r.Keys {
			k, ok := codeIndex(spec.By[i], code)
			if !ok {
				return nil, false
			}
			c.Keys[i] = k
		}
		if r.Count != nil {
			c.Count = *r.Count
		}
		out = append(out, c)
	}
	return out, true
}

// codeIndex is codeName's inverse.
func codeIndex(d schemas.Dim, code string) (int, bool) {
	if d == schemas.DimYear {
		y, err := strconv.Atoi(code)
		return y, err == nil
	}
	if i := schemas.MustDim(d).Index(code); i >= 0 {
		return i, true
	}
	if code == "other" {
		return disclosure.OtherIndex, true
	}
	return 0, false
}

// disclosureKey returns the database's secret key of that name, made on
// first use in a transaction of its own: made inside two publishes running
// at once, both would insert it and one would fail at commit. The file
// lock keeps other processes out; keyMu serialises this one.
func (db *DB) disclosureKey(ctx context.Context, name string) ([]byte, error) {
	db.keyMu.Lock()
	defer db.keyMu.Unlock()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var k []byte
	err = tx.QueryRowContext(ctx, `SELECT key FROM disclosure_keys WHERE name = ?`, name).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		k = make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO disclosure_keys VALUES (?, ?)`, name, k)
	}
	if err != nil {
		return nil, err
	}
	return k, tx.Commit()
}

func dimStrings(ds []schemas.Dim) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

func codeNames(by []schemas.Dim, keys []int) []string {
	out := make([]string, len(by))
	for i, d := range by {
		out[i] = codeName(d, int64(keys[i]))
	}
	return out
}

// ConattDue reports whether a scheduled conatt release is due: none was
// made in the last period. Releases on a schedule, not after every batch,
// make two consecutive releases seldom differ by one person.
func (db *DB) ConattDue(ctx context.Context, now time.Time, period time.Duration) (bool, time.Time, error) {
	var last sql.NullTime
	if err := db.sql.QueryRowContext(ctx, `SELECT max(created_at) FROM releases WHERE kind = ?`, string(schemas.TierConatt)).Scan(&last); err != nil {
		return false, time.Time{}, fmt.Errorf("conatt due: %w", err)
	}
	if !last.Valid {
		return true, now, nil
	}
	next := last.Time.Add(period)
	return !now.UTC().Before(next), next, nil
}

// ApproveRelease makes draft release n the one its tier reads.
func (db *DB) ApproveRelease(ctx context.Context, n int64, now time.Time) (err error) {
	defer wrap(&err, "approve release %d", n)
	defer db.recordDone(ctx, schemas.ActionReleaseApprove, strconv.FormatInt(n, 10), "", &err)
	// A draft was checked together with the latest approved release of
	// each tier at the time (a CONATT member reads both tiers); approved
	// after another one, readers would hold releases never checked
	// together.
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var checkedWith, latest, checkedOther, latestOther int64
	err = tx.QueryRowContext(ctx, `SELECT coalesce(r.checked_with, 0), coalesce((SELECT max(a.id) FROM releases a WHERE a.kind = r.kind AND a.status = ?), 0),
			coalesce(r.checked_with_other, 0), coalesce((SELECT max(a.id) FROM releases a WHERE a.kind <> r.kind AND a.status = ?), 0)
		FROM releases r WHERE r.id = ? AND r.status = ?`, string(schemas.ReleaseApproved), string(schemas.ReleaseApproved), n, string(schemas.ReleaseDraft)).Scan(&checkedWith, &latest, &checkedOther, &latestOther)
	if err == nil && latest == checkedWith && latestOther != checkedOther {
		checkedWith, latest = checkedOther, latestOther
	}
	switch {
	case err == nil && latest != checkedWith:
		return &schemas.Error{Code: "release_stale", Kind: schemas.ErrConflict, Msg: schemas.Message{
			ES: fmt.Sprintf("la publicación %d se comprobó junto a la %d, pero desde entonces se aprobó la %d: publique de nuevo para que se compruebe con ella", n, checkedWith, latest),
			EN: fmt.Sprintf("release %d was checked together with release %d, but release %d has been approved since: publish again so that it is checked with that one", n, checkedWith, latest)}}
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE releases SET status = ?, approved_at = ? WHERE id = ? AND status = ?`,
		string(schemas.ReleaseApproved), now.UTC(), n, string(schemas.ReleaseDraft))
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		if _, err := db.Release(ctx, n); err != nil {
			return err
		}
		return schemas.Invalid("already_approved", "la publicación %d ya estaba aprobada", "release %d was already approved", n)
	}
	return nil
}

const releaseColumns = `id, kind, note, status, created_at, approved_at`

func scanRelease(row interface{ Scan(...any) error }) (schemas.Release, error) {
	var r schemas.Release
	var kind, status string
	var approved sql.NullTime
	err := row.Scan(&r.ID, &kind, &r.Note, &status, &r.CreatedAt, &approved)
	r.Kind, r.Status, r.ApprovedAt = schemas.Tier(kind), schemas.ReleaseStatus(status), approved.Time
	return r, err
}

// Releases lists the releases, newest first.
func (db *DB) Releases(ctx context.Context) (out []schemas.Release, err error) {
	defer wrap(&err, "releases")
	rows, err := db.sql.QueryContext(ctx, `SELECT `+releaseColumns+` FROM releases ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Release returns release n.
func (db *DB) Release(ctx context.Context, n int64) (*schemas.Release, error) {
	r, err := scanRelease(db.sql.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noRelease(n)
	}
	if err != nil {
		return nil, fmt.Errorf("release %d: %w", n, err)
	}
	return &r, nil
}

// ReleaseReport returns release n with its disclosure report (exact
// counts: for administrators).
func (db *DB) ReleaseReport(ctx context.Context, n int64) (*schemas.ReleaseReport, error) {
	r, err := db.Release(ctx, n)
	if err != nil {
		return nil, err
	}
	rep := &schemas.ReleaseReport{Release: *r}
	var js string
	if err := db.sql.QueryRowContext(ctx, `SELECT report FROM releases WHERE id = ?`, n).Scan(&js); err != nil {
		return nil, fmt.Errorf("release %d: %w", n, err)
	}
	if err := json.Unmarshal([]byte(js), &rep.Tables); err != nil {
		return nil, fmt.Errorf("release %d: %w", n, err)
	}
	return rep, nil
}

func noRelease(n int64) error {
	return &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
		ES: fmt.Sprintf("no existe la publicación %d", n), EN: fmt.Sprintf("there is no release %d", n)}}
}

// servedRelease is the release tier kind reads: n, or the latest approved
// release of that kind; never a draft, never one of another kind.
func (db *DB) servedRelease(ctx context.Context, kind schemas.Tier, n int64) (*schemas.Release, error) {
	if n == 0 {
		rel, err := scanRelease(db.sql.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE status = ? AND kind = ? ORDER BY id DESC LIMIT 1`,
			string(schemas.ReleaseApproved), string(kind)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
				ES: fmt.Sprintf("no hay ninguna publicación %[1]s aprobada: el nivel %[1]s solo lee publicaciones («tipdash release publish --kind %[1]s»)", kind),
				EN: fmt.Sprintf("there is no approved %[1]s release: tier %[1]s reads releases only (\"tipdash release publish --kind %[1]s\")", kind)}}
		}
		if err != nil {
			return nil, err
		}
		return &rel, nil
	}
	rel, err := db.Release(ctx, n)
	if err != nil {
		return nil, err
	}
	if rel.Kind != kind {
		return nil, schemas.Refused("release_kind", "la publicación %d es del nivel %s, no %s", "release %d is of tier %s, not %s", n, rel.Kind, kind)
	}
	if rel.Status != schemas.ReleaseApproved {
		return nil, schemas.Refused("release_not_approved", "la publicación %d no está aprobada", "release %d is not approved", n)
	}
	return rel, nil
}

// ReleaseTable reads catalogue table id of tier from release n (0: the
// latest approved release of that tier), as it was frozen: a lookup, never
// a count. where selects rows of the published table; it never makes a
// new total.
func (db *DB) ReleaseTable(ctx context.Context, tier schemas.Tier, n int64, id string, where []schemas.Filter) (t *schemas.Table, err error) {
	defer wrap(&err, "table %s", id)
	spec, err := schemas.Tables().Table(tier, id)
	if err != nil {
		return nil, err
	}
	rel, err := db.servedRelease(ctx, tier, n)
	if err != nil {
		return nil, err
	}
	if n == 0 && byYear(spec) {
		if t, ok, err := db.servedByParts(ctx, rel, spec, where); ok || err != nil {
			return t, err
		}
	}
	t, err = db.releaseTable(ctx, rel, spec, where)
	if err != nil || n != 0 {
		return t, err
	}
	// The latest release withheld it (publishing it would have given a
	// small count away), or hid what changed by a few people since a
	// release that shows more: the table is served from the approved
	// release of the tier that shows the most people in it, which its
	// readers hold anyway; the next release is checked with it too.
	m, err := servedFrom(ctx, db.sql, tier, id, false, 0)
	if err != nil || m == 0 || m == rel.ID {
		return t, err
	}
	before, err := db.Release(ctx, m)
	if err != nil {
		return nil, err
	}
	shown, err := db.releaseTable(ctx, before, spec, where)
	if err != nil {
		return nil, err
	}
	from, latest := before.CreatedAt.Format("2006-01-02"), rel.CreatedAt.Format("2006-01-02")
	note := schemas.Message{
		ES: fmt.Sprintf("Tabla de la publicación %d (%s): la publicación %d (%s) la retuvo, porque publicarla habría dejado deducir alguna cifra pequeña.", before.ID, from, rel.ID, latest),
		EN: fmt.Sprintf("Table of release %d (%s): release %d (%s) withheld it, because publishing it would have let some small count be worked out.", before.ID, from, rel.ID, latest),
	}
	if !t.Withheld {
		note = schemas.Message{
			ES: fmt.Sprintf("Tabla de la publicación %d (%s): la publicación %d (%s) muestra menos personas en ella, porque oculta las cifras que cambiaron en pocas personas desde entonces (que describirían a esas personas).", before.ID, from, rel.ID, latest),
			EN: fmt.Sprintf("Table of release %d (%s): release %d (%s) shows fewer people in it, because it hides the counts that changed by a few people since (which would describe those people).", before.ID, from, rel.ID, latest),
		}
	}
	shown.Notes = append([]schemas.Message{note}, shown.Notes...)
	return shown, nil
}

// openYear is the latest year any current record refers to: the year in
// progress, which the tables of the complete years leave out (0: no
// records).
func openYear(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var y sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT max(`+layout[schemas.DimYear].expr("v")+`) FROM record_versions v WHERE v.is_current`).Scan(&y)
	return int(y.Int64), err
}

// completeYears returns the year in progress (openYear) and, per table of
// the complete years and per part of a table by year (withParts), the
// last complete year: the last year a table of the complete years counts,
// and the year a table by year's parts are cut at.
func completeYears(ctx context.Context, tx *sql.Tx) (int, map[string]int, error) {
	open, err := openYear(ctx, tx)
	through := map[string]int{}
	for _, s := range withParts(schemas.Tables().Tables) {
		if s.CompleteYears() || byYear(s) {
			through[s.ID] = schemas.LastComplete(open)
		}
	}
	return open, through, err
}

// CatalogueQuery is the exact query of catalogue table spec over today's
// records (a table of the complete years counts the years before the
// latest any record refers to), and the note that says which years.
func (db *DB) CatalogueQuery(ctx context.Context, spec schemas.TableSpec) (schemas.Query, []schemas.Message, error) {
	open, err := openYear(ctx, db.sql)
	if err != nil {
		return schemas.Query{}, nil, err
	}
	var notes []schemas.Message
	if spec.CompleteYears() {
		notes = append(notes, schemas.CompleteYearsNote(open))
	}
	return spec.Query(open), notes, nil
}

// CatalogueTable reads catalogue table id at tier: at tier admin it counts
// the current records exactly (and is recorded as an exact aggregate), at
// the protected tiers it reads release n (0: the latest approved). where
// only selects rows of the table, at every tier.
func (db *DB) CatalogueTable(ctx context.Context, tier schemas.Tier, n int64, id string, where []schemas.Filter) (*schemas.Table, error) {
	if tier != schemas.TierAdmin {
		return db.ReleaseTable(ctx, tier, n, id, where)
	}
	if n != 0 {
		return nil, schemas.Invalid("exact_release", "el nivel exacto cuenta los registros actuales: sin publicación",
			"the exact tier counts the current records: no release")
	}
	spec, err := schemas.Tables().Table(tier, id)
	if err != nil {
		return nil, err
	}
	q, notes, err := db.CatalogueQuery(ctx, spec)
	if err != nil {
		return nil, err
	}
	t, err := db.Aggregate(ctx, q)
	if err != nil {
		return nil, err
	}
	t.ID = id
	t.Notes = append(notes, t.Notes...)
	if spec.CompleteYears() {
		for _, f := range q.Where {
			if f.Dim == schemas.DimYear {
				t.YearsThrough = f.ToYear
			}
		}
	}
	return t, t.Select(where)
}

// DraftTable reads a table of release n, approved or not, as its tier
// would be served it: for the administrator deciding on a draft.
func (db *DB) DraftTable(ctx context.Context, n int64, id string) (t *schemas.Table, err error) {
	defer wrap(&err, "draft table %s", id)
	rel, err := db.Release(ctx, n)
	if err != nil {
		return nil, err
	}
	spec, err := schemas.Tables().Table(rel.Kind, id)
	if err != nil {
		return nil, err
	}
	return db.releaseTable(ctx, rel, spec, nil)
}

func (db *DB) releaseTable(ctx context.Context, rel *schemas.Release, spec schemas.TableSpec, where []schemas.Filter) (*schemas.Table, error) {
	parts, err := db.storedParts(ctx, rel.ID, spec.ID)
	if err != nil {
		return nil, err
	}
	return db.tableOf(ctx, rel, spec, parts, nil, where)
}

// servedByParts is what a reader of release rel, the latest of its tier,
// is served of a table by year when its parts show more people apart
// than any one release's table does whole (ok; else the caller serves it
// whole): each part from the approved release that shows the most people
// in it among those whose part counted the same years (servedFrom), said
// so. Served whole from the release that showed the most of both, a
// reader of the last of a year of monthly releases was served the year
// in progress of the first (40 victims of 2025 where the latest counted
// 88), because the late records' release hid most of the complete years.
// (Across the year's move, a release of the years before may show more
// of its table whole: it is served whole then.)
func (db *DB) servedByParts(ctx context.Context, rel *schemas.Release, spec schemas.TableSpec, where []schemas.Filter) (*schemas.Table, bool, error) {
	parts, err := db.storedParts(ctx, rel.ID, spec.ID)
	if err != nil || len(parts) != 2 {
		return nil, false, err
	}
	whole, err := servedFrom(ctx, db.sql, rel.Kind, spec.ID, false, 0)
	if err != nil {
		return nil, false, err
	}
	most, err := shownIn(ctx, db.sql, whole, spec.ID, spec.ID+openPart)
	if err != nil {
		return nil, false, err
	}
	from := make([]int64, len(parts))
	shown := 0
	for i, p := range parts {
		if from[i], err = servedFrom(ctx, db.sql, rel.Kind, p.id, true, p.through); err != nil {
			return nil, false, err
		}
		n, err := shownIn(ctx, db.sql, from[i], p.id)
		if err != nil {
			return nil, false, err
		}
		shown += n
	}
	if shown <= most || from[0] == from[1] {
		return nil, false, nil
	}
	var head []schemas.Message
	latest := rel
	for i, p := range parts {
		m := from[i]
		if m == 0 || m == rel.ID {
			continue
		}
		before, err := db.Release(ctx, m)
		if err != nil {
			return nil, false, err
		}
		then, err := db.storedParts(ctx, m, spec.ID)
		if err != nil {
			return nil, false, err
		}
		j := slices.IndexFunc(then, func(q storedPart) bool { return q.id == p.id })
		if j < 0 {
			continue
		}
		years := partYears(p.id, p.through)
		from, day := before.CreatedAt.Format("2006-01-02"), rel.CreatedAt.Format("2006-01-02")
		if p.withheld {
			head = append(head, schemas.Message{
				ES: fmt.Sprintf("Años %s: de la publicación %d (%s): la publicación %d (%s) los retuvo, porque publicarlos habría dejado deducir alguna cifra pequeña.", years, before.ID, from, rel.ID, day),
				EN: fmt.Sprintf("Years %s: from release %d (%s): release %d (%s) withheld them, because publishing them would have let some small count be worked out.", years, before.ID, from, rel.ID, day)})
		} else {
			head = append(head, schemas.Message{
				ES: fmt.Sprintf("Años %s: de la publicación %d (%s): la publicación %d (%s) muestra menos personas en ellos, porque oculta las cifras que cambiaron en pocas personas desde entonces (que describirían a esas personas).", years, before.ID, from, rel.ID, day),
				EN: fmt.Sprintf("Years %s: from release %d (%s): release %d (%s) shows fewer people in them, because it hides the counts that changed by a few people since (which would describe those people).", years, before.ID, from, rel.ID, day)})
		}
		parts[i] = then[j]
		if _, open := partOf(p.id); open {
			latest = before // the release of the year in progress names the table
		}
	}
	t, err := db.tableOf(ctx, latest, spec, parts, head, where)
	return t, err == nil, err
}

// shownIn is the people that release n shows in the tables ids (0: none).
func shownIn(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, n int64, ids ...string) (int, error) {
	args := []any{n}
	for _, id := range ids {
		args = append(args, id)
	}
	var shown int
	err := q.QueryRowContext(ctx, `SELECT coalesce(sum(CASE WHEN withheld THEN 0 ELSE coalesce(shown, 0) END), 0) FROM release_tables
		WHERE release = ? AND table_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...).Scan(&shown)
	return int(shown), err
}

// tableOf is table spec as parts (storedParts: of release rel, or, served
// by parts, of others) read, head its first notes.
func (db *DB) tableOf(ctx context.Context, rel *schemas.Release, spec schemas.TableSpec, parts []storedPart, head []schemas.Message, where []schemas.Filter) (*schemas.Table, error) {
	id, tier := spec.ID, rel.Kind
	t := &schemas.Table{ID: id, Measure: spec.Measure, By: spec.By, Tier: tier, Release: rel.ID, ReleasedAt: rel.CreatedAt, Rows: []schemas.Row{}}
	if len(parts) == 0 {
		return nil, schemas.Refused("table_not_in_release", "la publicación %d no tiene la tabla %s (es anterior a ella)",
			"release %d has no table %s (it predates it)", rel.ID, id)
	}
	if len(parts) == 1 || parts[0].origin != 0 && parts[0].origin == parts[1].origin {
		// One table (or a table by year carried over whole): origin's,
		// when carried over, and says so.
		p := parts[0]
		if !byYear(spec) {
			t.YearsThrough = p.through
		}
		t.Withheld = true
		for _, q := range parts {
			if !q.withheld {
				t.Rows = append(t.Rows, q.rows...)
			}
			t.Withheld = t.Withheld && q.withheld
		}
		t.Notes = mergeNotes(parts, !t.Withheld)
		if p.origin != 0 {
			from, err := db.Release(ctx, p.origin)
			if err != nil {
				return nil, err
			}
			t.Release, t.ReleasedAt = from.ID, from.CreatedAt
			t.Notes = append([]schemas.Message{carriedNote(from, "", "")}, t.Notes...)
		}
	} else {
		// A table by year, its complete years and its year in progress
		// computed or carried over apart: each says so.
		t.Withheld = parts[0].withheld && parts[1].withheld
		var head []schemas.Message
		for _, p := range parts {
			years := partYears(p.id, p.through)
			es, en := fmt.Sprintf("Años %s: ", years), fmt.Sprintf("Years %s: ", years)
			if p.origin != 0 {
				from, err := db.Release(ctx, p.origin)
				if err != nil {
					return nil, err
				}
				head = append(head, carriedNote(from, es, en))
			}
			if p.withheld && !t.Withheld {
				head = append(head, schemas.Message{
					ES: es + "retenidos: publicarlos dejaría deducir alguna cifra pequeña, con las demás tablas de la publicación o, frente a publicaciones anteriores, de las personas añadidas desde entonces.",
					EN: en + "withheld: publishing them would let some small count be worked out, with the release's other tables or, against earlier releases, of the people added since."})
			}
			if !p.withheld {
				t.Rows = append(t.Rows, p.rows...)
			}
		}
		t.Notes = append(head, mergeNotes(parts, !t.Withheld)...)
	}
	t.Notes = append(head, t.Notes...)
	if byYear(spec) && len(parts) == 2 && !t.Withheld {
		// Said of the table as it is read, not of its parts.
		if cells, ok := readCells(spec, t.Rows); ok {
			t.Notes = append(t.Notes, disclosure.UnknownShares(spec.By, cells, db.rules(tier))...)
		}
	}
	return t, t.Select(where)
}

// storedPart is one stored row of a release's table (a part of a table by
// year).
type storedPart struct {
	id       string
	withheld bool
	notes    []schemas.Message
	rows     []schemas.Row
	origin   int64
	through  int
}

// storedParts reads table id of release n: its row, or a table by year's
// two parts (complete years first).
func (db *DB) storedParts(ctx context.Context, n int64, id string) ([]storedPart, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT table_id, withheld, notes, cells, coalesce(carried_from, 0), coalesce(years_through, 0) FROM release_tables
		WHERE release = ? AND table_id IN (?, ?) ORDER BY table_id`, n, id, id+openPart)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedPart
	for rows.Next() {
		var p storedPart
		var notes, cells string
		if err := rows.Scan(&p.id, &p.withheld, &notes, &cells, &p.origin, &p.through); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(notes), &p.notes); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cells), &p.rows); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// mergeNotes returns the notes of a table's parts, each once; read as
// one table by year (two parts), without the parts' unknown shares (the
// table's own are added), and without a withheld part's notes unless the
// whole table is withheld.
func mergeNotes(parts []storedPart, shown bool) []schemas.Message {
	var out []schemas.Message
	for _, p := range parts {
		if p.withheld && shown {
			continue
		}
		for _, m := range p.notes {
			if len(parts) > 1 && disclosure.IsUnknownShare(m) || slices.Contains(out, m) {
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

// carriedNote says that a table (or the part of it that es and en name)
// is release from's, unchanged since.
func carriedNote(from *schemas.Release, es, en string) schemas.Message {
	day := from.CreatedAt.Format("2006-01-02")
	return schemas.Message{
		ES: es + fmt.Sprintf("Sin cambios desde la publicación %d (%s): desde entonces sus cifras no cambiaron, o cambiaron en muy pocas personas para publicarlas sin describirlas (las celdas que cambian dirían quiénes son); se actualiza cuando hayan cambiado en más.", from.ID, day),
		EN: en + fmt.Sprintf("Unchanged since release %d (%s): since then its counts have not changed, or changed by too few people to publish without describing them (the cells that change would tell who they are); it is updated once more have changed.", from.ID, day),
	}
}

// wrap names the operation on an error once, at the top of a function.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}
