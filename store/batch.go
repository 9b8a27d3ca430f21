package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
)

// BatchByHash finds a stored batch (not rolled back) of the file with this hash.
func (db *DB) BatchByHash(ctx context.Context, hash string) (int64, bool, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx,
		`SELECT id FROM batches WHERE file_hash = ? AND status = 'stored' ORDER BY id LIMIT 1`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("batch by hash: %w", err)
	}
	return id, true, nil
}

// Batch is one batch being written, inside one transaction on one
// connection: the appenders run on the connection that ran BEGIN, so that
// their flushes belong to the transaction and a killed process leaves nothing.
type Batch struct {
	path        string // of the database
	freeAtStart uint64 // bytes free on its disk when the batch began
	conn        *sql.Conn
	id          int64
	records     *duckdb.Appender
	quarantine  *duckdb.Appender
	row         []driver.Value
	done        bool
	commitMu    *sync.Mutex // the database's
	committed   *sql.DB     // the database outside this batch's transaction
}

// BeginBatch starts a batch: a transaction, a row in batches, and appenders.
func (db *DB) BeginBatch(ctx context.Context, meta schemas.BatchMeta) (schemas.BatchWriter, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	b := &Batch{path: db.path, conn: conn, row: make([]driver.Value, 30), commitMu: &db.commitMu, committed: db.sql}
	b.freeAtStart, _ = freeSpace(filepath.Dir(db.path))
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	fail := func(err error) (*Batch, error) {
		b.Abort()
		return nil, fmt.Errorf("begin batch: %w", b.spaceError(err))
	}
	// A sequence, not max(id) + 1: two uploads at once get two ids.
	if err := conn.QueryRowContext(ctx, `SELECT nextval('batch_ids')`).Scan(&b.id); err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO batches (id, file_name, file_hash, format, sheet, profile, reporting_entity, uploaded_by, created_at, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'loading')`,
		b.id, meta.File, meta.Hash, meta.Format, meta.Sheet, meta.Profile, meta.Entity, meta.Uploader, meta.Time); err != nil {
		return fail(err)
	}
	err = conn.Raw(func(dc any) error {
		var err error
		b.records, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "record_versions")
		return err
	})
	if err != nil {
		return fail(err)
	}
	return b, nil
}

// freeSpace returns the bytes free for this user on the disk of dir
// (a variable so that a test can play a full disk).
var freeSpace = func(dir string) (uint64, bool) {
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) != nil {
		return 0, false
	}
	return fs.Bavail * uint64(fs.Bsize), true
}

// lowSpace is free space under which a failed write is taken for a full disk.
const lowSpace = 64 << 20

// spaceError says so in both languages when DuckDB ran out of disk (or
// memory) while writing a batch; nothing of the batch was kept. DuckDB
// names an out-of-memory or IO error by its type, but an appender's error
// comes untyped: then a disk that has little room left, or far less than
// when the batch began (DuckDB lets its temporary files take 90% of it),
// tells.
func (b *Batch) spaceError(err error) error {
	dir := filepath.Dir(b.path)
	free, known := freeSpace(dir)
	var de *duckdb.Error
	typed := errors.As(err, &de) && (de.Type == duckdb.ErrorTypeOutOfMemory || de.Type == duckdb.ErrorTypeIO)
	full := known && (free < lowSpace || free < b.freeAtStart/5)
	if !typed && !full {
		return err
	}
	return schemas.Refused("disk_full",
		"la base de datos no pudo escribir el lote: falta espacio en disco (quedan %[1]d MB libres en %[2]s) o memoria; libere espacio y cargue de nuevo: no se guardó nada",
		"the database could not write the batch: disk space (%[1]d MB free in %[2]s) or memory ran out; free some space and load again: nothing was stored",
		free>>20, dir)
}

func recordID(batch int64, row int) int64 { return batch<<32 | int64(row) }

func uuidOrNil(k schemas.Key) driver.Value {
	if k.IsZero() {
		return nil
	}
	return duckdb.UUID(k)
}

// Append adds records to the batch.
func (b *Batch) Append(ctx context.Context, recs []schemas.Record) error {
	for i := range recs {
		r := &recs[i]
		c0, c1, c2, c3, c4 := pack(r)
		v := append(b.row[:0], recordID(b.id, r.Row), uuidOrNil(r.PersonKey), uuidOrNil(r.CaseKey), true, c0, c1, c2, c3, c4)
		if err := b.records.AppendRow(v...); err != nil {
			return fmt.Errorf("append row %d: %w", r.Row, b.spaceError(err))
		}
	}
	return nil
}

// Duplicates flushes the appenders and moves out of the batch every row
// whose person id appeared on an earlier row of it: the first row is kept.
// The rows come back with their values (as codes) for the quarantine.
func (b *Batch) Duplicates(ctx context.Context) ([]schemas.Duplicate, error) {
	if err := b.closeAppenders(); err != nil {
		return nil, fmt.Errorf("duplicates: %w", b.spaceError(err))
	}
	if _, err := b.conn.ExecContext(ctx, `CREATE TEMP TABLE dup_rows AS
		WITH mine AS (SELECT id, person_key FROM record_versions WHERE id BETWEEN ? AND ? AND person_key IS NOT NULL),
		     f AS (SELECT person_key, min(id) AS first_id FROM mine GROUP BY person_key HAVING count(*) > 1)
		SELECT m.id, m.id & 4294967295 AS row_no, f.first_id & 4294967295 AS first_row
		FROM mine m JOIN f ON f.person_key = m.person_key WHERE m.id > f.first_id`, recordID(b.id, 0), recordID(b.id, 1<<32-1)); err != nil {
		return nil, fmt.Errorf("duplicates: %w", b.spaceError(err))
	}
	defer b.conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS dup_rows`)
	cols := []schemas.Dim{schemas.DimRole, schemas.DimOffence, schemas.DimSex, schemas.DimGenderIdentity,
		schemas.DimAgeGroup, schemas.DimCitizenship, schemas.DimCountryExploitation, schemas.DimProvince,
		schemas.DimBorderPost, schemas.DimStatus, schemas.DimCJStage, schemas.DimMigrationStatus,
		schemas.DimReferringInstitution, schemas.DimSector}
	sel := []string{layout[schemas.DimYear].expr("v"), layout["month"].expr("v"), layout["day"].expr("v"), layout["age"].expr("v")}
	for _, c := range cols {
		sel = append(sel, layout[c].expr("v"))
	}
	rows, err := b.conn.QueryContext(ctx, `SELECT d.row_no, d.first_row, `+strings.Join(sel, ", ")+`
		FROM dup_rows d JOIN record_versions v ON v.id = d.id ORDER BY d.row_no`)
	if err != nil {
		return nil, fmt.Errorf("duplicates: %w", b.spaceError(err))
	}
	var out []schemas.Duplicate
	for rows.Next() {
		var d schemas.Duplicate
		var year, month, day, age int64
		codes := make([]int64, len(cols))
		dest := []any{&d.Row, &d.FirstRow, &year, &month, &day, &age}
		for i := range codes {
			dest = append(dest, &codes[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("duplicates: %w", err)
		}
		d.Cells = map[string]string{schemas.FieldDate: formatDate(int(year), int(month), int(day))}
		if age != ageUnknown {
			d.Cells[schemas.FieldAge] = fmt.Sprint(age)
		}
		for i, c := range cols {
			d.Cells[string(c)] = codeName(c, codes[i])
		}
		d.Role = d.Cells[string(schemas.DimRole)]
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duplicates: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	for _, q := range []string{
		`DELETE FROM record_versions USING dup_rows d WHERE record_versions.id = d.id`,
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("duplicates: %w", err)
		}
	}
	return out, nil
}

func formatDate(y, m, d int) string {
	switch {
	case m == 0:
		return fmt.Sprintf("%04d", y)
	case d == 0:
		return fmt.Sprintf("%04d-%02d", y, m)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// Commit flushes the appenders, writes the quarantine, makes the new
// versions current, stores the report and commits.
func (b *Batch) Commit(ctx context.Context, rep *schemas.BatchReport) (int64, int, error) {
	fail := func(err error) (int64, int, error) {
		b.Abort()
		return 0, 0, fmt.Errorf("commit batch %d: %w", b.id, b.spaceError(err))
	}
	if err := b.closeAppenders(); err != nil {
		return fail(err)
	}
	// The same file sent twice at once passed the check before its rows
	// were read, both times; it is checked again here, one commit at a
	// time, outside the transaction (whose snapshot predates the other's
	// commit).
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	var other int64
	err := b.committed.QueryRowContext(ctx, `SELECT id FROM batches WHERE file_hash = ? AND status = 'stored' AND id <> ? LIMIT 1`, rep.Meta.Hash, b.id).Scan(&other)
	switch {
	case err == nil && rep.Meta.Hash != "":
		b.Abort()
		return 0, 0, &schemas.Error{Code: "duplicate_file", Kind: schemas.ErrConflict, Msg: schemas.Message{
			ES: fmt.Sprintf("el mismo archivo se guardó como lote %d mientras se leía este: no se guardó dos veces", other),
			EN: fmt.Sprintf("the same file was stored as batch %d while this one was being read: it was not stored twice", other)}}
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fail(err)
	}
	var earlier bool
	lo, hi := recordID(b.id, 0), recordID(b.id, 1<<32-1)
	if err := b.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM record_versions WHERE id < ? AND person_key IS NOT NULL)`, lo).Scan(&earlier); err != nil {
		return fail(err)
	}
	var updated int64
	if earlier {
		res, err := b.conn.ExecContext(ctx, `UPDATE record_versions SET is_current = false
			WHERE is_current AND id < ? AND person_key IN
			(SELECT person_key FROM record_versions WHERE id BETWEEN ? AND ? AND person_key IS NOT NULL)`, lo, lo, hi)
		if err != nil {
			return fail(err)
		}
		updated, _ = res.RowsAffected()
	}
	rep.BatchID, rep.Updated = b.id, int(updated)
	stored := *rep
	stored.Rejections, stored.RejectionsOmitted = nil, 0
	js, err := json.Marshal(stored)
	if err != nil {
		return fail(err)
	}
	if _, err = b.conn.ExecContext(ctx, `UPDATE batches SET status = 'stored', file_hash = ?, rows_read = ?, accepted = ?,
		warned = ?, rejected = ?, updated = ?, report = ? WHERE id = ?`,
		rep.Meta.Hash, rep.Rows, rep.Accepted, rep.Warned, rep.Rejected, updated, string(js), b.id); err != nil {
		return fail(err)
	}
	if _, err := b.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fail(err)
	}
	b.done = true
	b.conn.Close()
	return b.id, int(updated), nil
}

// Quarantine appends rejected rows, with their reasons and the cells of
// their mapped, non-personal columns, as JSON text.
func (b *Batch) Quarantine(ctx context.Context, rows []schemas.Rejected) error {
	if len(rows) == 0 {
		return nil
	}
	if b.quarantine == nil {
		err := b.conn.Raw(func(dc any) error {
			var err error
			b.quarantine, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "quarantine")
			return err
		})
		if err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
	}
	for _, q := range rows {
		reasons, err := json.Marshal(q.Reasons)
		if err != nil {
			return fmt.Errorf("quarantine row %d: %w", q.Row, err)
		}
		cells, err := json.Marshal(q.Cells)
		if err != nil {
			return fmt.Errorf("quarantine row %d: %w", q.Row, err)
		}
		if err := b.quarantine.AppendRow(b.id, int32(q.Row), string(reasons), string(cells)); err != nil {
			return fmt.Errorf("quarantine row %d: %w", q.Row, b.spaceError(err))
		}
	}
	return nil
}

func (b *Batch) closeAppenders() error {
	var errs []error
	for _, a := range []**duckdb.Appender{&b.records, &b.quarantine} {
		if *a != nil {
			errs = append(errs, (*a).Close())
			*a = nil
		}
	}
	return errors.Join(errs...)
}

// Abort rolls the batch back. It is safe after Commit and twice.
func (b *Batch) Abort() error {
	if b.done {
		return nil
	}
	b.done = true
	for _, a := range []**duckdb.Appender{&b.records, &b.quarantine} {
		if *a != nil {
			(*a).Clear()
			*a = nil
		}
	}
	_, err := b.conn.ExecContext(context.Background(), `ROLLBACK`)
	b.conn.Close()
	return err
}

// Batches lists the batches, newest first.
func (db *DB) Batches(ctx context.Context) ([]schemas.BatchInfo, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, file_name, file_hash, format, coalesce(sheet, ''), profile,
		reporting_entity, coalesce(uploaded_by, ''), created_at, status, rows_read, accepted, rejected, updated, rolled_back_at, purged_at
		FROM batches WHERE status <> 'loading' ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	var out []schemas.BatchInfo
	for rows.Next() {
		var b schemas.BatchInfo
		var rolled, purged sql.NullTime
		if err := rows.Scan(&b.ID, &b.Meta.File, &b.Meta.Hash, &b.Meta.Format, &b.Meta.Sheet, &b.Meta.Profile,
			&b.Meta.Entity, &b.Meta.Uploader, &b.Meta.Time, &b.Status, &b.Rows, &b.Accepted, &b.Rejected, &b.Updated, &rolled, &purged); err != nil {
			return nil, fmt.Errorf("list batches: %w", err)
		}
		b.RolledBackAt, b.PurgedAt = rolled.Time, purged.Time
		out = append(out, b)
	}
	return out, rows.Err()
}

// Batch returns one batch and its report, rejections read back from quarantine.
func (db *DB) Batch(ctx context.Context, id int64) (schemas.BatchInfo, *schemas.BatchReport, error) {
	var info schemas.BatchInfo
	var js sql.NullString
	var rolled sql.NullTime
	err := db.sql.QueryRowContext(ctx, `SELECT id, file_name, file_hash, format, coalesce(sheet, ''), profile,
		reporting_entity, coalesce(uploaded_by, ''), created_at, status, rows_read, accepted, rejected, updated,
		rolled_back_at, CAST(report AS VARCHAR) FROM batches WHERE id = ? AND status <> 'loading'`, id).Scan(
		&info.ID, &info.Meta.File, &info.Meta.Hash, &info.Meta.Format, &info.Meta.Sheet, &info.Meta.Profile,
		&info.Meta.Entity, &info.Meta.Uploader, &info.Meta.Time, &info.Status, &info.Rows, &info.Accepted,
		&info.Rejected, &info.Updated, &rolled, &js)
	if errors.Is(err, sql.ErrNoRows) {
		return info, nil, noBatch(id)
	}
	if err != nil {
		return info, nil, fmt.Errorf("batch %d: %w", id, err)
	}
	info.RolledBackAt = rolled.Time
	rep := &schemas.BatchReport{}
	if js.Valid {
		if err := json.Unmarshal([]byte(js.String), rep); err != nil {
			return info, nil, fmt.Errorf("batch %d report: %w", id, err)
		}
	}
	rep.Status = info.Status
	rep.Rejections = []schemas.Rejected{}
	rows, err := db.sql.QueryContext(ctx, `SELECT row_no, reasons, cells FROM quarantine WHERE batch_id = ? ORDER BY row_no`, id)
	if err != nil {
		return info, nil, fmt.Errorf("batch %d quarantine: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var q schemas.Rejected
		var reasons, cells string
		if err := rows.Scan(&q.Row, &reasons, &cells); err != nil {
			return info, nil, fmt.Errorf("batch %d quarantine: %w", id, err)
		}
		if err := errors.Join(json.Unmarshal([]byte(reasons), &q.Reasons), json.Unmarshal([]byte(cells), &q.Cells)); err != nil {
			return info, nil, fmt.Errorf("batch %d quarantine: %w", id, err)
		}
		rep.Rejections = append(rep.Rejections, q)
	}
	return info, rep, rows.Err()
}

// batchStatus reads a batch's status; a batch still loading is not found.
func batchStatus(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM batches WHERE id = ?`, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status == "loading" {
		return "", noBatch(id)
	}
	return status, err
}

func noBatch(id int64) error {
	return &schemas.Error{Code: "no_batch", Kind: schemas.ErrNotFound, Msg: schemas.Message{
		ES: fmt.Sprintf("no existe el lote %d", id), EN: fmt.Sprintf("there is no batch %d", id)}}
}

// Rollback undoes a stored batch: its records go, and for every person it
// had updated the version before it becomes current again. The batch row and
// its quarantine stay, marked rolled_back, so the history is kept. Its
// records are kept apart (rolled_back_versions), read only by the
// disclosure check of later releases, until Purge.
func (db *DB) Rollback(ctx context.Context, id int64, now time.Time) (err error) {
	defer db.recordDone(ctx, schemas.ActionBatchRollback, strconv.FormatInt(id, 10), "", &err)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rollback batch %d: %w", id, err)
	}
	defer tx.Rollback()
	status, err := batchStatus(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("rollback batch %d: %w", id, err)
	}
	if status != schemas.BatchStored {
		return fmt.Errorf("rollback batch %d: %w", id, &schemas.Error{Code: "not_stored", Kind: schemas.ErrConflict, Msg: schemas.Message{
			ES: fmt.Sprintf("el lote %d ya fue revertido", id), EN: fmt.Sprintf("batch %d was already rolled back", id)}})
	}
	for _, q := range []string{
		`CREATE TEMP TABLE rollback_keys AS SELECT DISTINCT person_key FROM record_versions WHERE id BETWEEN ? AND ? AND person_key IS NOT NULL`,
		`INSERT INTO rolled_back_versions SELECT id, person_key, case_key, false, c0, c1, c2, c3, c4 FROM record_versions WHERE id BETWEEN ? AND ?`,
		`DELETE FROM record_versions WHERE id BETWEEN ? AND ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, recordID(id, 0), recordID(id, 1<<32-1)); err != nil {
			return fmt.Errorf("rollback batch %d: %w", id, err)
		}
	}
	for _, q := range []string{
		`UPDATE record_versions SET is_current = true WHERE id IN (
			SELECT max(v.id) FROM record_versions v JOIN rollback_keys k ON v.person_key = k.person_key
			JOIN batches b ON b.id = v.id >> 32 AND b.status = 'stored' GROUP BY v.person_key)`,
		`DROP TABLE rollback_keys`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rollback batch %d: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE batches SET status = 'rolled_back', rolled_back_at = ? WHERE id = ?`, now.UTC(), id); err != nil {
		return fmt.Errorf("rollback batch %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rollback batch %d: %w", id, err)
	}
	return nil
}

// SecretFingerprint returns the fingerprint of the secret the database's
// keys were made with; found is false before the first batch.
func (db *DB) SecretFingerprint(ctx context.Context) (fp string, found bool, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT fingerprint FROM secret_fingerprint ORDER BY set_at DESC LIMIT 1`).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("secret fingerprint: %w", err)
	}
	return fp, true, nil
}

// HasKeys reports whether any stored record carries a keyed person or case id.
func (db *DB) HasKeys(ctx context.Context) (bool, error) {
	var found bool
	err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM record_versions WHERE person_key IS NOT NULL OR case_key IS NOT NULL)`).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("keys: %w", err)
	}
	return found, nil
}

// SetSecretFingerprint records the fingerprint of the secret in use from now on.
func (db *DB) SetSecretFingerprint(ctx context.Context, fp string, now time.Time) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set secret fingerprint: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM secret_fingerprint`); err != nil {
		return fmt.Errorf("set secret fingerprint: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO secret_fingerprint VALUES (?, ?)`, fp, now.UTC()); err != nil {
		return fmt.Errorf("set secret fingerprint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set secret fingerprint: %w", err)
	}
	return nil
}

// Purge deletes the quarantine and the report of a rolled-back batch (they
// may hold what its file held); the batch stays listed, with its counts.
// Of its records kept apart (Rollback) it keeps only the codes the tables
// count people by: no person or case key, no month, day or age. A release
// that counted the batch is held by its readers for good, and later checks
// read it as records plus these people (linkRollbacks). When one of its
// people had another version among the batches a release counted with it
// (an update), that release never reads so, and the records go entirely.
// Compact then removes what the deleted rows left in the file.
func (db *DB) Purge(ctx context.Context, id int64, now time.Time) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	defer tx.Rollback()
	status, err := batchStatus(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	if status != schemas.BatchRolledBack {
		return schemas.Refused("not_rolled_back", "el lote %d no está revertido: revértalo primero con «tipdash batches rollback %d»",
			"batch %d is not rolled back: roll it back first with \"tipdash batches rollback %d\"", id, id)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine WHERE batch_id = ?`, id); err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	linked, err := keptLinked(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	q := `DELETE FROM rolled_back_versions WHERE id BETWEEN ? AND ?`
	if linked {
		q = fmt.Sprintf(`UPDATE rolled_back_versions SET person_key = NULL, case_key = NULL, c0 = (c0 & %d) | (CAST(%d AS UBIGINT) << %d)
			WHERE id BETWEEN ? AND ?`, uint64(1)<<layout[schemas.DimYear].bits-1, ageUnknown, layout["age"].shift)
	}
	if _, err := tx.ExecContext(ctx, q, recordID(id, 0), recordID(id, 1<<32-1)); err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE batches SET report = NULL, purged_at = ? WHERE id = ?`, now.UTC(), id); err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	if _, err := db.sql.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("purge batch %d: %w", id, err)
	}
	return nil
}

// keptLinked reports whether the kept records of rolled-back batch id can
// stay for the releases that counted it: none of its people has another
// version among the batches any release counted with it.
func keptLinked(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT batches FROM releases WHERE batches IS NOT NULL`)
	if err != nil {
		return false, err
	}
	var sets [][]int64
	for rows.Next() {
		var js string
		var set []int64
		if err := rows.Scan(&js); err != nil {
			rows.Close()
			return false, err
		}
		if err := json.Unmarshal([]byte(js), &set); err != nil {
			rows.Close()
			return false, err
		}
		if slices.Contains(set, id) {
			sets = append(sets, set)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, set := range sets {
		n, err := updatesAmong(ctx, tx, id, set)
		if err != nil || n > 0 {
			return false, err
		}
	}
	return true, nil
}

// updatesAmong counts the kept records of rolled-back batch b whose person
// has another version in the batches counted (stored or rolled back): an
// update that a release counting them all saw.
func updatesAmong(ctx context.Context, tx *sql.Tx, b int64, counted []int64) (int, error) {
	in := make([]string, len(counted))
	for j, c := range counted {
		in[j] = strconv.FormatInt(c, 10)
	}
	set := "(" + strings.Join(in, ",") + ")"
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rolled_back_versions v WHERE (v.id >> 32) = ? AND v.person_key IS NOT NULL AND (
			EXISTS (SELECT 1 FROM record_versions w WHERE w.person_key = v.person_key AND (w.id >> 32) IN `+set+`)
			OR EXISTS (SELECT 1 FROM rolled_back_versions w WHERE w.person_key = v.person_key AND w.id <> v.id AND (w.id >> 32) IN `+set+`))`, b).Scan(&n)
	return n, err
}

// Compact rewrites the database file at path into a new file and puts it in
// its place, so that rows deleted (a purged batch) leave nothing behind in
// the file's free blocks. No other process may have it open.
func Compact(ctx context.Context, path string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("compact %s: %w", path, err)
		}
	}()
	if pid, locked := lockHolder(path, false); locked {
		return lockedError(path, pid)
	}
	tmp := path + ".compact"
	os.Remove(tmp)
	defer os.Remove(tmp)
	conn, err := duckdb.NewConnector(path+"?autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return err
	}
	var name string
	err = c.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name)
	// A path cannot be a parameter of ATTACH: it is quoted; the name is DuckDB's own.
	for _, q := range []string{
		`CHECKPOINT`,
		`ATTACH '` + strings.ReplaceAll(tmp, "'", "''") + `' AS compact_target`,
		`COPY FROM DATABASE "` + strings.ReplaceAll(name, `"`, `""`) + `" TO compact_target`,
		`DETACH compact_target`,
	} {
		if err != nil {
			break
		}
		_, err = c.ExecContext(ctx, q)
	}
	c.Close()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
