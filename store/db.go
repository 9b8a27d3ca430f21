// Package store keeps tipdash's data in an embedded DuckDB file: migrations,
// batches, person records with their earlier versions, quarantine, accounts
// and the audit log, and the one aggregate path through which every count
// leaves the service.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store/disclosure"
)

// DB is an open tipdash database.
type DB struct {
	sql        *sql.DB
	path       string
	protection map[schemas.Tier]disclosure.Rules
	// conattApproval makes conatt releases wait for ApproveRelease.
	conattApproval bool
	keyMu          sync.Mutex // making a disclosure key
	commitMu       sync.Mutex // one batch commits at a time: the check for the same file and the commit are one step
	publishBudget  time.Duration
	envSecret      string
	readOnly       bool
}

// Options for Open.
type Options struct {
	ReadOnly    bool
	MemoryLimit string // DuckDB memory_limit, e.g. "512MB"; "" for DuckDB's default
	Threads     int    // 0 for DuckDB's default
	// Protection raises the disclosure rules of a tier above its minimum
	// (disclosure.Minimum); lower ones are refused.
	Protection map[schemas.Tier]disclosure.Rules
	// ConattApproval makes conatt releases drafts that an administrator
	// approves, as public releases always are.
	ConattApproval bool
	// PublishBudget bounds the disclosure check of each measure of a
	// release (default 90s): cells not proven safe by then are withheld.
	PublishBudget time.Duration
	// Secret is the key of person and case ids when given outside the
	// database's secret file ($TIPDASH_SECRET); "" reads that file.
	Secret string
}

// lockedError says which process holds the database: a schemas.Error of
// kind ErrConflict, code "database_locked".
func lockedError(path string, pid int) error {
	return &schemas.Error{Code: "database_locked", Kind: schemas.ErrConflict, Msg: schemas.Message{
		ES: fmt.Sprintf("la base de datos %s está abierta por otro proceso (PID %d): solo uno puede escribir en ella. "+
			"Si es el servidor (tipdash serve), las órdenes pasan por el servidor; si es otra orden de tipdash, espere a que termine", path, pid),
		EN: fmt.Sprintf("the database %s is held by another process (PID %d): only one may write to it. "+
			"If it is the server (tipdash serve), commands go through the server; if it is another tipdash command, wait for it to finish", path, pid)}}
}

// Open opens (creating it if needed) the database at path and applies the
// migrations. path "" opens a private in-memory database.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	for t, r := range opt.Protection {
		if err := disclosure.Check(t, r); err != nil {
			return nil, err
		}
	}
	if path != "" {
		if pid, locked := lockHolder(path, opt.ReadOnly); locked {
			return nil, lockedError(path, pid)
		}
	}
	q := url.Values{}
	q.Set("autoinstall_known_extensions", "false")
	q.Set("autoload_known_extensions", "false")
	if opt.ReadOnly {
		q.Set("access_mode", "READ_ONLY")
	}
	if opt.MemoryLimit != "" {
		q.Set("memory_limit", opt.MemoryLimit)
	}
	if opt.MemoryLimit != "" {
		// Bounded memory matters more than row order, which tipdash never relies on.
		q.Set("preserve_insertion_order", "false")
	}
	if opt.Threads > 0 {
		q.Set("threads", fmt.Sprint(opt.Threads))
	}
	conn, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		if pid, locked := lockHolder(path, opt.ReadOnly); path != "" && locked {
			return nil, lockedError(path, pid)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{sql: sql.OpenDB(conn), path: path, protection: opt.Protection, conattApproval: opt.ConattApproval, publishBudget: opt.PublishBudget, envSecret: opt.Secret, readOnly: opt.ReadOnly}
	if db.publishBudget <= 0 {
		db.publishBudget = 90 * time.Second
	}
	if path == "" {
		// Every connection to "" would be a new empty database.
		db.sql.SetMaxOpenConns(1)
	}
	if opt.ReadOnly && path != "" {
		behind, err := db.behind(ctx)
		if err != nil || behind {
			db.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		if behind {
			// A database of an earlier tipdash: upgraded once by the first
			// command that reads it, then read as asked.
			rw := opt
			rw.ReadOnly = false
			up, err := Open(ctx, path, rw)
			if err != nil {
				return nil, err
			}
			if err := up.Close(); err != nil {
				return nil, err
			}
			return Open(ctx, path, opt)
		}
	}
	if !opt.ReadOnly {
		if err := db.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		for _, v := range viewDDL() {
			if _, err := db.sql.ExecContext(ctx, v); err != nil {
				db.Close()
				return nil, fmt.Errorf("views: %w", err)
			}
		}
	}
	return db, nil
}

// lockHolder asks the kernel whether another process holds a lock on the
// database file that keeps us out, as DuckDB does when it opens a file:
// a writer takes an exclusive lock, readers share one, so a reader
// (readOnly) is kept out by a writer only.
func lockHolder(path string, readOnly bool) (int, bool) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var want int16 = syscall.F_WRLCK
	if readOnly {
		want = syscall.F_RDLCK
	}
	lk := syscall.Flock_t{Type: want, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, false
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, false
	}
	return int(lk.Pid), true
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// behind reports whether migrations are waiting to be applied.
func (db *DB) behind(ctx context.Context) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	return n < len(schemas.Migrations()), err
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for i, m := range schemas.Migrations() {
		var n int
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		stmts := []string{}
		if i == 0 {
			stmts = append(stmts, enumDDL()...)
		}
		stmts = append(stmts, m.SQL)
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate %s: %w", m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, m.Name); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// enumDDL creates one ENUM type per coded dimension, from the code list.
// The values come from embedded data, never from input, and are quoted.
func enumDDL() []string {
	var out []string
	for _, e := range schemas.EnumTypes() {
		codes := schemas.MustDim(e.Dim).CodeStrings()
		quoted := make([]string, len(codes))
		for i, c := range codes {
			quoted[i] = "'" + strings.ReplaceAll(c, "'", "''") + "'"
		}
		out = append(out, fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", e.Name, strings.Join(quoted, ", ")))
	}
	return out
}
