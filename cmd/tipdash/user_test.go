package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// tipdashStdin runs tipdash with stdin, as a user types "... | tipdash ...".
func tipdashStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{exitCode(err, &errb), out.String(), errb.String()}
}

func finalLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// withStore opens the workspace's database for a check the CLI cannot make.
func withStore(t *testing.T, check func(*store.DB)) {
	t.Helper()
	db, err := store.Open(context.Background(), os.Getenv("TIPDASH_DB"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db)
}

func TestUserCommands(t *testing.T) {
	workspace(t)
	ctx := context.Background()
	// The first admin, on a machine with no database yet.
	out := mustRun(t, "user", "add", "admin", "--role", "admin", "--entity", "ministerio_publico")
	adminPW := finalLine(out)
	if len(adminPW) < 20 || strings.Contains(adminPW, " ") {
		t.Errorf("generated password %q: want one strong word on the last line\n%s", adminPW, out)
	}
	// Flags before the subcommand; the password from stdin.
	if r := tipdashStdin(t, "una contraseña bastante larga\n", "user", "--role", "researcher", "--password-stdin", "add", "rosa"); r.code != 0 || strings.Contains(r.stdout, "larga") {
		t.Fatalf("user add rosa: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "user", "add", "ana", "--role", "analyst", "--entity", "oij")

	var users []struct{ Name, Role, Entity string }
	if err := json.Unmarshal([]byte(mustRun(t, "user", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Name, Role, Entity string }{{"admin", "admin", "ministerio_publico"}, {"ana", "analyst", "oij"}, {"rosa", "researcher", "unknown"}}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Errorf("user list --json (-want +got):\n%s", diff)
	}
	if out := mustRun(t, "user", "list"); !strings.Contains(out, "rosa") || !strings.Contains(out, "researcher") {
		t.Errorf("user list:\n%s", out)
	}

	r := tipdash(t, "user", "token", "rosa")
	token := r.stdout
	if r.code != 0 || strings.Count(token, "\n") != 1 || len(token) != 44 {
		t.Fatalf("user token: exit %d, stdout %q: want the token alone on one line\n%s", r.code, token, r.stderr)
	}
	token = strings.TrimSpace(token)
	withStore(t, func(db *store.DB) {
		if u, err := db.UserByToken(ctx, token); err != nil || u.Name != "rosa" {
			t.Errorf("the token is not rosa's: %+v, %v", u, err)
		}
		if _, err := db.Authenticate(ctx, "admin", adminPW); err != nil {
			t.Errorf("the generated password does not log in: %v", err)
		}
		if _, err := db.Authenticate(ctx, "rosa", "una contraseña bastante larga"); err != nil {
			t.Errorf("the password from stdin does not log in: %v", err)
		}
	})
	b, err := os.ReadFile(os.Getenv("TIPDASH_DB"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(token)) {
		t.Error("the database file holds the raw token")
	}

	// A second token; the first is revoked by its id, the second still works.
	second := strings.TrimSpace(mustRun(t, "user", "token", "rosa"))
	var tokens []schemas.TokenInfo
	if err := json.Unmarshal([]byte(mustRun(t, "user", "tokens", "rosa", "--json")), &tokens); err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 || tokens[0].ID != schemas.TokenID(token) || tokens[1].ID != schemas.TokenID(second) {
		t.Fatalf("user tokens rosa: %+v, want the ids of both tokens, oldest first", tokens)
	}
	if out := mustRun(t, "user", "tokens", "rosa"); !strings.Contains(out, tokens[0].ID) || strings.Contains(out, token) {
		t.Errorf("user tokens rosa: %s", out)
	}
	mustRun(t, "user", "revoke", "rosa", tokens[0].ID)
	withStore(t, func(db *store.DB) {
		if _, err := db.UserByToken(ctx, token); !errors.Is(err, schemas.ErrBadCredentials) {
			t.Errorf("a revoked token works: %v", err)
		}
		if u, err := db.UserByToken(ctx, second); err != nil || u.Name != "rosa" {
			t.Errorf("the other token stopped working: %+v %v", u, err)
		}
	})
	if r := tipdash(t, "user", "revoke", "rosa", tokens[0].ID); r.code != 1 || !strings.Contains(r.stderr, tokens[0].ID) || !strings.Contains(r.stderr, "user tokens rosa") {
		t.Errorf("revoking a revoked token: exit %d\n%s", r.code, r.stderr)
	}
	if r := tipdash(t, "user", "revoke", "rosa"); r.code != 2 {
		t.Errorf("user revoke without an id: exit %d\n%s", r.code, r.stderr)
	}

	mustRun(t, "user", "disable", "rosa")
	if r := tipdashStdin(t, "otra contraseña bastante larga", "user", "password", "ana", "--password-stdin"); r.code != 0 {
		t.Fatalf("user password: exit %d\n%s", r.code, r.stderr)
	}
	withStore(t, func(db *store.DB) {
		if _, err := db.UserByToken(ctx, token); !errors.Is(err, schemas.ErrBadCredentials) {
			t.Errorf("a disabled account's token works: %v", err)
		}
		if _, err := db.Authenticate(ctx, "ana", "otra contraseña bastante larga"); err != nil {
			t.Errorf("the new password does not log in: %v", err)
		}
	})
	if out := mustRun(t, "user", "list"); !strings.Contains(out, "disabled") {
		t.Errorf("user list does not show rosa disabled:\n%s", out)
	}

	// Refusals: exit 1 with both languages, or 2 for usage.
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"user", "add", "bo", "--role", "root"}, 1, "root"},
		{[]string{"user", "add", "bo", "--role", "viewer", "--entity", "cia"}, 1, "cia"},
		{[]string{"user", "add", "ana", "--role", "viewer"}, 1, "ana"},
		{[]string{"user", "add", "Bo Smith", "--role", "viewer"}, 1, "Bo Smith"},
		{[]string{"user", "disable", "nobody"}, 1, "nobody"},
		{[]string{"user", "token", "nobody"}, 1, "nobody"},
		{[]string{"user", "add", "--role", "viewer"}, 2, "name"},
		{[]string{"user", "list", "--role", "viewer"}, 2, "role"},
		{[]string{"audit", "--since", "yesterday"}, 2, "yesterday"},
		{[]string{"audit", "--action", "drop"}, 1, "drop"},
	} {
		r := tipdash(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("tipdash %s: exit %d, want %d naming %q\n%s", strings.Join(tc.args, " "), r.code, tc.code, tc.says, r.stderr)
		}
	}
	if r := tipdashStdin(t, "short\n", "user", "password", "ana", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "12") {
		t.Errorf("a short password: exit %d\n%s", r.code, r.stderr)
	}

	// Every change is in the audit log, by the local user.
	var log []schemas.AuditEntry
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "--json", "--since", "1h")), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.Action == schemas.ActionLogin {
			continue // the logins of the checks above
		}
		if e.User != uploader() || e.From != "local" {
			t.Errorf("entry %d by %q from %q, want %q from local", e.ID, e.User, e.From, uploader())
		}
		got = append(got, string(e.Action)+" "+e.Target+" "+e.Result)
	}
	wantLog := []string{
		"user.add admin ok", "user.add rosa ok", "user.add ana ok", "user.token rosa ok", "user.token rosa ok", "user.revoke rosa ok",
		"user.revoke rosa no_token", "user.disable rosa ok",
		"user.password ana ok", "user.add ana user_exists", "user.disable nobody no_user", "user.token nobody no_user",
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	if out := mustRun(t, "audit", "--action", "user.add", "--user", uploader()); strings.Count(out, "user.add") != 4 {
		t.Errorf("audit --action user.add: want 4 entries\n%s", out)
	}
	if out := mustRun(t, "audit", "--user", "someone-else"); strings.Count(out, "\n") != 2 {
		t.Errorf("audit --user someone-else: want the header only\n%s", out)
	}
}

func TestUserHelp(t *testing.T) {
	workspace(t)
	for _, args := range [][]string{
		{"user", "-h"}, {"user", "add", "-h"}, {"user", "token", "--help"}, {"audit", "-h"},
	} {
		r := tipdash(t, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "uso / usage") {
			t.Errorf("tipdash %s: exit %d, want 0 and the usage\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if r := tipdash(t, "user", "add", "-h"); !strings.Contains(r.stderr, "--password-stdin") || !strings.Contains(r.stderr, "--entity") {
		t.Errorf("user add -h does not list its flags:\n%s", r.stderr)
	}
	if r := tipdash(t, "-h"); !strings.Contains(r.stdout, "user") || !strings.Contains(r.stdout, "audit") {
		t.Errorf("the usage does not list user and audit:\n%s", r.stdout)
	}
}
