package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// loadSecret returns the HMAC key for person and case ids: $TIPDASH_SECRET,
// else the file beside the database (DB.secret), created on first use with
// 32 random bytes and mode 0600. create=false returns nil when there is none.
func loadSecret(dbPath string, create bool) ([]byte, error) {
	if s := os.Getenv("TIPDASH_SECRET"); s != "" {
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
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadSecret(dbPath, false) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return key, nil
}
