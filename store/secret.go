package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// fingerprint identifies a secret without revealing it.
func fingerprint(secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("tipdash secret fingerprint v1"))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// Secret returns the key of person and case ids for a batch, checked
// against the fingerprint the database recorded (see checkedSecret). A
// dry run (dryRun) creates and records nothing; without a secret yet it
// gets one that only compares ids inside its file.
func (db *DB) Secret(ctx context.Context, dryRun, renew bool) ([]byte, error) {
	if !dryRun {
		return checkedSecret(ctx, db, renew)
	}
	secret, err := db.loadSecret(false)
	if err != nil {
		return nil, err
	}
	if _, err := verifySecret(ctx, db, secret, renew); err != nil {
		return nil, err
	}
	if secret == nil {
		secret = []byte("dry-run: ids are only compared inside the file")
	}
	return secret, nil
}

// checkedSecret returns the secret for a batch, after checking it against
// the fingerprint the database recorded: a lost or changed secret would
// add people already stored as new ones, so it stops ingest unless
// renew (--new-secret) is given. The first secret of a database is
// created and recorded here.
func checkedSecret(ctx context.Context, st *DB, renew bool) ([]byte, error) {
	secret, err := st.loadSecret(false)
	if err != nil {
		return nil, err
	}
	recorded, err := verifySecret(ctx, st, secret, renew)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		if secret, err = st.loadSecret(true); err != nil {
			return nil, err
		}
	}
	if mine := fingerprint(secret); recorded != mine {
		if err := st.SetSecretFingerprint(ctx, mine, time.Now()); err != nil {
			return nil, err
		}
	}
	return secret, nil
}

// verifySecret refuses a secret (nil: none) that is not the one the
// database used, unless renew; it returns the recorded fingerprint. A dry
// run checks it too: with the wrong secret its report would call people
// already stored new.
func verifySecret(ctx context.Context, st *DB, secret []byte, renew bool) (string, error) {
	dbPath := st.path
	recorded, found, err := st.SecretFingerprint(ctx)
	if err != nil {
		return "", err
	}
	if !found {
		// A database from before fingerprints: its keys tell whether a secret was used.
		if found, err = st.HasKeys(ctx); err != nil {
			return "", err
		}
	}
	if renew {
		return recorded, nil
	}
	if secret == nil && found {
		return "", schemas.Refused("secret_missing",
			"falta el secreto de la base de datos %[1]s (el archivo %[1]s.secret o $TIPDASH_SECRET): sin él, las personas ya guardadas se contarían como nuevas. "+
				"Restáurelo desde su respaldo (el archivo %[1]s.secret, modo 0600, o el mismo valor de $TIPDASH_SECRET). Si se perdió para siempre, «--new-secret» empieza de nuevo: los lotes siguientes no actualizarán a las personas ya guardadas",
			"the secret of database %[1]s is missing (the file %[1]s.secret or $TIPDASH_SECRET): without it, people already stored would be counted as new. "+
				"Restore it from your backup (the file %[1]s.secret, mode 0600, or the same $TIPDASH_SECRET). If it is lost for good, \"--new-secret\" starts anew: later batches will not update people already stored",
			dbPath)
	}
	if secret != nil && recorded != "" && recorded != fingerprint(secret) {
		return "", schemas.Refused("secret_changed",
			"el secreto dado ($TIPDASH_SECRET o %[1]s.secret) no es el que usó la base de datos %[1]s: las personas ya guardadas se contarían como nuevas. "+
				"Use el secreto original (restaure %[1]s.secret o $TIPDASH_SECRET desde su respaldo). Si se perdió para siempre, «--new-secret» empieza de nuevo: los lotes siguientes no actualizarán a las personas ya guardadas",
			"the secret given ($TIPDASH_SECRET or %[1]s.secret) is not the one database %[1]s used: people already stored would be counted as new. "+
				"Use the original secret (restore %[1]s.secret or $TIPDASH_SECRET from your backup). If it is lost for good, \"--new-secret\" starts anew: later batches will not update people already stored",
			dbPath)
	}
	return recorded, nil
}

// loadSecret returns the HMAC key for person and case ids: Options.Secret ($TIPDASH_SECRET),
// else the file beside the database (DB.secret), created on first use with
// 32 random bytes and mode 0600. create=false returns nil when there is none.
func (db *DB) loadSecret(create bool) ([]byte, error) {
	dbPath := db.path
	if s := db.envSecret; s != "" {
		if len(s) < 16 {
			return nil, errors.New("TIPDASH_SECRET debe tener al menos 16 caracteres / must be at least 16 characters")
		}
		return []byte(s), nil
	}
	path := dbPath + ".secret"
	b, err := os.ReadFile(path)
	if err == nil {
		st, err := os.Stat(path)
		if err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("el secreto %s es legible por otros (modo %v); ejecute chmod 600 / the secret %s is readable by others (mode %v); run chmod 600",
				path, st.Mode().Perm(), path, st.Mode().Perm())
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("el secreto %s está dañado / the secret %s is damaged", path, path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if !create {
		return nil, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	// Written whole to a private file, then linked to its name: a process
	// killed half-way leaves no empty secret behind, and of two processes
	// making one at once, the first link wins.
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return db.loadSecret(false) // another process made it first
	} else if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return key, nil
}
