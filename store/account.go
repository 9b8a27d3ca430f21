package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var errNoActor = schemas.Refused("no_actor", "un cambio de cuentas sin nadie a quien atribuirlo",
	"an account change with nobody to record it against")

func userNotFound(name string) error {
	return &schemas.Error{Code: "no_user", Kind: schemas.ErrNotFound, Msg: schemas.Message{
		ES: "no existe el usuario " + name, EN: "no user " + name}}
}

// AddUser creates an account with a password.
func (db *DB) AddUser(ctx context.Context, u schemas.User, password string) (_ schemas.User, err error) {
	defer wrap(&err, "add user %s", u.Name)
	if err := schemas.ValidateUserName(u.Name); err != nil {
		return schemas.User{}, err
	}
	if u.Role.IsZero() {
		return schemas.User{}, schemas.Invalid("no_user_role", "falta el rol", "no role")
	}
	if err := schemas.ValidatePassword(password); err != nil {
		return schemas.User{}, err
	}
	u.Disabled, u.Created = false, time.Now().UTC().Truncate(time.Microsecond)
	hash := hashPassword(password)
	details := "role=" + u.Role.String() + " entity=" + u.Entity.String()
	err = db.audited(ctx, schemas.ActionUserAdd, u.Name, details, func(tx *sql.Tx) error {
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE name = ?)`, u.Name).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return &schemas.Error{Code: "user_exists", Kind: schemas.ErrRefused, Msg: schemas.Message{
				ES: "ya existe el usuario " + u.Name, EN: "user " + u.Name + " already exists"}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, entity, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.Name, u.Role.String(), u.Entity.String(), hash, u.Created)
		return err
	})
	if err != nil {
		return schemas.User{}, err
	}
	return u, nil
}

const userColumns = `name, role, entity, created_at, disabled_at IS NOT NULL`

type scanner interface{ Scan(dest ...any) error }

// scanUser reads the userColumns, then extra columns into extra.
func scanUser(s scanner, extra ...any) (schemas.User, error) {
	var u schemas.User
	var role, entity string
	if err := s.Scan(append([]any{&u.Name, &role, &entity, &u.Created, &u.Disabled}, extra...)...); err != nil {
		return u, err
	}
	var err error
	if u.Role, err = schemas.ParseUserRole(role); err != nil {
		return u, err
	}
	u.Entity, err = schemas.ParseInstitution(entity)
	return u, err
}

// Users lists the accounts by name.
func (db *DB) Users(ctx context.Context) (_ []schemas.User, err error) {
	defer wrap(&err, "users")
	rows, err := db.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemas.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserByName finds an account, disabled or not.
func (db *DB) UserByName(ctx context.Context, name string) (_ schemas.User, err error) {
	defer wrap(&err, "user %s", name)
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, userNotFound(name)
	}
	return u, err
}

// userID finds the id of an account inside a change.
func userID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, userNotFound(name)
	}
	return id, err
}

// DisableUser stops an account: its password and its tokens no longer work.
func (db *DB) DisableUser(ctx context.Context, name string) (err error) {
	defer wrap(&err, "disable user %s", name)
	return db.audited(ctx, schemas.ActionUserDisable, name, "", func(tx *sql.Tx) error {
		id, err := userID(ctx, tx, name)
		if err != nil {
			return err
		}
		return disable(ctx, tx, id)
	})
}

// disable stops an account and deletes its tokens: enabled again later,
// it needs new ones.
func disable(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?`, time.Now().UTC(), id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, id)
	return err
}

// UpdateUser changes an account's role or institution, or enables or
// disables it.
func (db *DB) UpdateUser(ctx context.Context, name string, c schemas.UserChange) (_ schemas.User, err error) {
	defer wrap(&err, "update user %s", name)
	var details []string
	if c.Role != nil {
		if c.Role.IsZero() {
			return schemas.User{}, schemas.Invalid("no_user_role", "falta el rol", "no role")
		}
		details = append(details, "role="+c.Role.String())
	}
	if c.Entity != nil {
		details = append(details, "entity="+c.Entity.String())
	}
	if c.Enabled != nil {
		details = append(details, fmt.Sprintf("enabled=%t", *c.Enabled))
	}
	action := schemas.ActionUserUpdate
	if c.Enabled != nil && !*c.Enabled {
		action = schemas.ActionUserDisable // what an administrator looks for in the log
	}
	err = db.audited(ctx, action, name, strings.Join(details, " "), func(tx *sql.Tx) error {
		id, err := userID(ctx, tx, name)
		if err != nil {
			return err
		}
		if c.Role != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, c.Role.String(), id); err != nil {
				return err
			}
		}
		if c.Entity != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET entity = ? WHERE id = ?`, c.Entity.String(), id); err != nil {
				return err
			}
		}
		switch {
		case c.Enabled == nil:
		case *c.Enabled:
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = ?`, id); err != nil {
				return err
			}
		default:
			if err := disable(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return schemas.User{}, err
	}
	return db.UserByName(ctx, name)
}

// SetPassword replaces an account's password.
func (db *DB) SetPassword(ctx context.Context, name, password string) (err error) {
	defer wrap(&err, "set password of %s", name)
	if err := schemas.ValidatePassword(password); err != nil {
		return err
	}
	hash := hashPassword(password)
	return db.audited(ctx, schemas.ActionUserPassword, name, "", func(tx *sql.Tx) error {
		id, err := userID(ctx, tx, name)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
		return err
	})
}

// Authenticate checks a password and records the attempt. Unknown account,
// disabled account and wrong password fail alike, with
// schemas.ErrBadCredentials, in about the same time.
func (db *DB) Authenticate(ctx context.Context, name, password string) (_ schemas.User, err error) {
	defer wrap(&err, "log in %s", name)
	var hash string
	entry := auditEntry(ctx, schemas.ActionLogin, name, "")
	entry.User, entry.Entity = name, ""
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`, name), &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		hash = dummyHash()
		// What was typed is not kept: it may be a password in the wrong field.
		entry.User, entry.Target, entry.Details = "", "", "unknown_account"
	case err != nil:
		return schemas.User{}, err
	}
	ok, err := checkPassword(hash, password)
	if err != nil {
		return schemas.User{}, err
	}
	if ok && !u.Disabled && u.Name != "" {
		entry.Entity = u.Entity.String()
	} else {
		u, entry.Result = schemas.User{}, schemas.ErrBadCredentials.Code
	}
	if err := insertAudit(ctx, db.sql, entry); err != nil {
		return schemas.User{}, err
	}
	if entry.Result != schemas.ResultOK {
		return schemas.User{}, schemas.ErrBadCredentials
	}
	return u, nil
}

// NewToken makes a bearer token for an account and returns it: only its
// SHA-256 is stored, so it cannot be shown again.
func (db *DB) NewToken(ctx context.Context, name string) (token string, err error) {
	defer wrap(&err, "new token for %s", name)
	token, hash := newToken()
	err = db.audited(ctx, schemas.ActionUserToken, name, "", func(tx *sql.Tx) error {
		id, err := userID(ctx, tx, name)
		if err != nil {
			return err
		}
		var disabled bool
		if err := tx.QueryRowContext(ctx, `SELECT disabled_at IS NOT NULL FROM users WHERE id = ?`, id).Scan(&disabled); err != nil {
			return err
		}
		if disabled {
			return &schemas.Error{Code: "user_disabled", Kind: schemas.ErrRefused, Msg: schemas.Message{
				ES: "la cuenta " + name + " está desactivada", EN: "account " + name + " is disabled"}}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)`, hash, id, time.Now().UTC())
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// tokenID names a token by the start of its SHA-256 (schemas.TokenID).
func tokenID(hash []byte) string { return hex.EncodeToString(hash[:6]) }

// Tokens lists an account's bearer tokens, oldest first.
func (db *DB) Tokens(ctx context.Context, name string) (_ []schemas.TokenInfo, err error) {
	defer wrap(&err, "tokens of %s", name)
	if _, err := db.UserByName(ctx, name); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT t.hash, t.created_at FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE u.name = ? ORDER BY t.created_at, t.hash`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []schemas.TokenInfo{}
	for rows.Next() {
		var hash []byte
		var ti schemas.TokenInfo
		if err := rows.Scan(&hash, &ti.Created); err != nil {
			return nil, err
		}
		ti.ID = tokenID(hash)
		out = append(out, ti)
	}
	return out, rows.Err()
}

// RevokeToken deletes the account's token whose id is id: it stops
// working at once.
func (db *DB) RevokeToken(ctx context.Context, name, id string) (err error) {
	defer wrap(&err, "revoke token %s of %s", id, name)
	return db.audited(ctx, schemas.ActionUserRevoke, name, "id="+id, func(tx *sql.Tx) error {
		uid, err := userID(ctx, tx, name)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT hash FROM tokens WHERE user_id = ?`, uid)
		if err != nil {
			return err
		}
		var found []byte
		for rows.Next() {
			var hash []byte
			if err := rows.Scan(&hash); err != nil {
				rows.Close()
				return err
			}
			if tokenID(hash) == strings.ToLower(id) {
				found = hash
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if found == nil {
			return &schemas.Error{Code: "no_token", Kind: schemas.ErrNotFound, Msg: schemas.Message{
				ES: fmt.Sprintf("la cuenta %s no tiene ningún token %q («tipdash user tokens %s» los lista)", name, id, name),
				EN: fmt.Sprintf("account %s has no token %q (\"tipdash user tokens %s\" lists them)", name, id, name)}}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE hash = ?`, found)
		return err
	})
}

// UserByToken finds the enabled account of a bearer token.
func (db *DB) UserByToken(ctx context.Context, token string) (_ schemas.User, err error) {
	defer wrap(&err, "token")
	u, err := scanUser(db.sql.QueryRowContext(ctx, `SELECT `+prefixed("u.", userColumns)+`
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND u.disabled_at IS NULL`, tokenHash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return schemas.User{}, schemas.ErrBadCredentials
	}
	return u, err
}

// prefixed qualifies a list of columns with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// auditEntry is an entry for the actor of ctx, result ok.
func auditEntry(ctx context.Context, action schemas.AuditAction, target, details string) schemas.AuditEntry {
	a, _ := schemas.ActorFrom(ctx)
	return schemas.AuditEntry{Time: time.Now().UTC(), User: a.User, Entity: a.Entity, From: a.From,
		Action: action, Target: target, Result: schemas.ResultOK, Details: details}
}

// recordDone writes an action to the audit log once it is done, with its
// result: for the actor of ctx (the server's caller, or the command line),
// when the database is open for writing (read-only commands of the local
// command line, which holds the file, go unrecorded).
func (db *DB) recordDone(ctx context.Context, action schemas.AuditAction, target, details string, err *error) {
	if a, ok := schemas.ActorFrom(ctx); !ok || a.User == "" || db.readOnly {
		return
	}
	e := auditEntry(ctx, action, target, details)
	if *err != nil {
		e.Result = resultCode(*err)
	}
	if aerr := insertAudit(context.WithoutCancel(ctx), db.sql, e); aerr != nil && *err == nil {
		*err = aerr
	}
}

// audited runs an account change in a transaction and records it in the
// audit log: in the same transaction when it succeeds, so that no change
// goes unrecorded; after the rollback, with the error's code, when it fails.
func (db *DB) audited(ctx context.Context, action schemas.AuditAction, target, details string, change func(*sql.Tx) error) error {
	if a, ok := schemas.ActorFrom(ctx); !ok || a.User == "" {
		return errNoActor
	}
	entry := auditEntry(ctx, action, target, details)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = change(tx)
	if err == nil {
		err = insertAudit(ctx, tx, entry)
	}
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err == nil {
		return nil
	}
	entry.Result = resultCode(err)
	if aerr := insertAudit(ctx, db.sql, entry); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func resultCode(err error) string {
	var se *schemas.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return "error"
}

func insertAudit(ctx context.Context, q queryer, e schemas.AuditEntry) error {
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (at_time, user_name, entity, action, target, from_addr, result, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Time, e.User, e.Entity, string(e.Action), e.Target, e.From, e.Result, e.Details)
	return err
}

// Record writes an entry to the audit log.
func (db *DB) Record(ctx context.Context, e schemas.AuditEntry) (err error) {
	defer wrap(&err, "audit %s", e.Action)
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	return insertAudit(ctx, db.sql, e)
}

// AuditLog reads the audit log, newest first.
func (db *DB) AuditLog(ctx context.Context, f schemas.AuditFilter) (_ []schemas.AuditEntry, err error) {
	defer wrap(&err, "audit log")
	var where []string
	var args []any
	if f.User != "" {
		where, args = append(where, "user_name = ?"), append(args, f.User)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, string(f.Action))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at_time >= ?"), append(args, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at_time < ?"), append(args, f.Until.UTC())
	}
	q := `SELECT id, at_time, user_name, entity, action, target, from_addr, result, details FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemas.AuditEntry
	for rows.Next() {
		var e schemas.AuditEntry
		var action string
		if err := rows.Scan(&e.ID, &e.Time, &e.User, &e.Entity, &action, &e.Target, &e.From, &e.Result, &e.Details); err != nil {
			return nil, err
		}
		e.Action = schemas.AuditAction(action)
		out = append(out, e)
	}
	return out, rows.Err()
}
