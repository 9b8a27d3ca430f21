package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// Release statuses.
const (
	ReleaseDraft    = "draft"
	ReleaseApproved = "approved"
)

// ReleaseTables is the fixed set of tables a release is checked on; its
// disclosure report says what the engine did to each.
var ReleaseTables = []schemas.Query{
	{Measure: schemas.MeasureVictims},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimYear}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimYear, schemas.DimSex}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimYear, schemas.DimSexAge}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimYear, schemas.DimExploitation}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimYear, schemas.DimCitizenship}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimSex, schemas.DimAgeGroup}},
	{Measure: schemas.MeasureVictims, By: []schemas.Dim{schemas.DimProvince}},
	{Measure: schemas.MeasureSmuggledMigrants, By: []schemas.Dim{schemas.DimYear, schemas.DimSex}},
	{Measure: schemas.MeasureSmuggledMigrants, By: []schemas.Dim{schemas.DimBorderPost, schemas.DimSex}},
	{Measure: schemas.MeasureSmuggledMigrants, By: []schemas.Dim{schemas.DimYear, schemas.DimCitizenship}},
	{Measure: schemas.MeasureSuspects, By: []schemas.Dim{schemas.DimYear, schemas.DimCJStage}},
	{Measure: schemas.MeasureSuspects, By: []schemas.Dim{schemas.DimYear, schemas.DimSex}},
}

// PublishRelease freezes the current records as a new numbered release
// (a draft), runs the engine over ReleaseTables and stores the disclosure
// report. An administrator reads it and approves the release.
func (db *DB) PublishRelease(ctx context.Context, note string, now time.Time) (*schemas.Release, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	defer tx.Rollback()
	rel := &schemas.Release{Note: note, Status: ReleaseDraft, CreatedAt: now.UTC().Truncate(time.Second), Key: key}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM releases`).Scan(&rel.ID); err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO release_records SELECT ?, c0, c1, c2, c3, c4 FROM record_versions WHERE is_current`, rel.ID)
	if err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	n, _ := res.RowsAffected()
	rel.Records = int(n)
	if _, err := tx.ExecContext(ctx, `INSERT INTO releases (id, note, status, created_at, records, rounding_key) VALUES (?, ?, ?, ?, ?, ?)`,
		rel.ID, note, ReleaseDraft, rel.CreatedAt, rel.Records, key); err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	src := source{from: "release_records v", where: "v.release = ?", args: []any{rel.ID}, release: rel}
	for _, q := range ReleaseTables {
		cells, err := db.exact(ctx, src, q)
		if err != nil {
			return nil, fmt.Errorf("publish release: %w", err)
		}
		t := &schemas.Table{Measure: q.Measure, By: q.By, Tier: schemas.TierPublic}
		res, folded, err := db.protectTable(ctx, t, src, q, schemas.TierPublic, cells)
		if err != nil {
			return nil, fmt.Errorf("publish release: %w", err)
		}
		rel.Report = append(rel.Report, schemas.ReleaseTable{Measure: q.Measure, By: q.By, Cells: len(res.Cells),
			Hidden: res.Hidden, Secondary: res.Secondary, Rounded: res.Rounded, Folded: folded, Notes: t.Notes})
	}
	js, _ := json.Marshal(rel.Report)
	if _, err := db.sql.ExecContext(ctx, `UPDATE releases SET report = ? WHERE id = ?`, string(js), rel.ID); err != nil {
		return nil, fmt.Errorf("publish release: %w", err)
	}
	return rel, nil
}

// ApproveRelease makes release n the one researchers see.
func (db *DB) ApproveRelease(ctx context.Context, n int64, now time.Time) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE releases SET status = ?, approved_at = ? WHERE id = ? AND status = ?`,
		ReleaseApproved, now.UTC(), n, ReleaseDraft)
	if err != nil {
		return fmt.Errorf("approve release %d: %w", n, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		if _, err := db.Release(ctx, n); err != nil {
			return err
		}
		return fmt.Errorf("approve release %d: %w", n, schemas.Invalid("already_approved",
			"la publicación %d ya estaba aprobada", "release %d was already approved", n))
	}
	return nil
}

// Releases lists the releases, newest first (without their reports).
func (db *DB) Releases(ctx context.Context) ([]schemas.Release, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, note, status, created_at, approved_at, records FROM releases ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	defer rows.Close()
	var out []schemas.Release
	for rows.Next() {
		var r schemas.Release
		var approved sql.NullTime
		if err := rows.Scan(&r.ID, &r.Note, &r.Status, &r.CreatedAt, &approved, &r.Records); err != nil {
			return nil, fmt.Errorf("releases: %w", err)
		}
		r.ApprovedAt = approved.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Release returns release n with its disclosure report.
func (db *DB) Release(ctx context.Context, n int64) (*schemas.Release, error) {
	var r schemas.Release
	var approved sql.NullTime
	var report sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT id, note, status, created_at, approved_at, records, rounding_key, report FROM releases WHERE id = ?`, n).Scan(
		&r.ID, &r.Note, &r.Status, &r.CreatedAt, &approved, &r.Records, &r.Key, &report)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("release %d: %w", n, &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("no existe la publicación %d", n), EN: fmt.Sprintf("there is no release %d", n)}})
	}
	if err != nil {
		return nil, fmt.Errorf("release %d: %w", n, err)
	}
	r.ApprovedAt = approved.Time
	if report.Valid {
		if err := json.Unmarshal([]byte(report.String), &r.Report); err != nil {
			return nil, fmt.Errorf("release %d: %w", n, err)
		}
	}
	return &r, nil
}

// servedRelease is the release researchers count from: n, or the latest
// approved one; never a draft.
func (db *DB) servedRelease(ctx context.Context, n int64) (*schemas.Release, error) {
	if n == 0 {
		err := db.sql.QueryRowContext(ctx, `SELECT id FROM releases WHERE status = ? ORDER BY id DESC LIMIT 1`, ReleaseApproved).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &schemas.Error{Code: "no_release", Kind: schemas.ErrNotFound, Msg: schemas.Message{
				ES: "no hay ninguna publicación aprobada: el nivel public solo cuenta publicaciones («tipdash release publish», luego «release approve N»)",
				EN: "there is no approved release: tier public counts releases only (\"tipdash release publish\", then \"release approve N\")"}}
		}
		if err != nil {
			return nil, err
		}
	}
	rel, err := db.Release(ctx, n)
	if err != nil {
		return nil, err
	}
	if rel.Status != ReleaseApproved {
		return nil, schemas.Refused("release_not_approved", "la publicación %d no está aprobada", "release %d is not approved", n)
	}
	return rel, nil
}
