package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conatt/tipdash/schemas"
)

var asAdmin = schemas.WithActor(context.Background(), schemas.Actor{User: "cli:test", From: "local"})

func addUser(t *testing.T, db *DB, name string, role schemas.UserRole, password string) schemas.User {
	t.Helper()
	u, err := db.AddUser(asAdmin, schemas.User{Name: name, Role: role, Entity: schemas.InstitutionOij}, password)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPasswordHash(t *testing.T) {
	a, b := hashPassword("correct horse battery"), hashPassword("correct horse battery")
	if a == b {
		t.Error("two hashes of one password are equal: the salt does not vary")
	}
	if want := "$argon2id$v=19$m=65536,t=3,p=4$"; !strings.HasPrefix(a, want) {
		t.Errorf("hash %q does not record its parameters as %q", a, want)
	}
	for _, tc := range []struct {
		hash, password string
		want           bool
	}{{a, "correct horse battery", true}, {b, "correct horse battery", true}, {a, "correct horse batterz", false}, {a, "", false}} {
		got, err := checkPassword(tc.hash, tc.password)
		if err != nil || got != tc.want {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", tc.password, got, err, tc.want)
		}
	}
	// A hash made with other parameters is read with them.
	parts := strings.Split(a, "$")
	if _, err := checkPassword(strings.Join([]string{"", "argon2id", "v=19", "m=65536,t=4,p=4", parts[4], parts[5]}, "$"), "correct horse battery"); err != nil {
		t.Errorf("other parameters: %v", err)
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=99999999,t=3,p=4$" + parts[4] + "$" + parts[5]} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("checkPassword accepted the hash %q", bad)
		}
	}
}

func TestUsersAndAudit(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	const pw = "a long enough password"
	ana := addUser(t, db, "ana", schemas.RoleAnalyst, pw)
	if _, err := db.AddUser(asAdmin, schemas.User{Name: "ana", Role: schemas.RoleViewer}, pw); !errors.Is(err, schemas.ErrRefused) {
		t.Errorf("second ana: %v, want refused", err)
	}
	if _, err := db.AddUser(asAdmin, schemas.User{Name: "bo", Role: schemas.RoleViewer}, "short"); !errors.Is(err, schemas.ErrInvalid) {
		t.Errorf("short password: %v, want invalid", err)
	}
	if _, err := db.AddUser(asAdmin, schemas.User{Name: "Bo Smith", Role: schemas.RoleViewer}, pw); !errors.Is(err, schemas.ErrInvalid) {
		t.Errorf("bad name: %v, want invalid", err)
	}
	if _, err := db.AddUser(ctx, schemas.User{Name: "bo", Role: schemas.RoleViewer}, pw); err == nil {
		t.Error("a change without an actor was accepted")
	}

	got, err := db.Authenticate(ctx, "ana", pw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ana, got, cmp.Comparer(func(a, b schemas.UserRole) bool { return a == b })); diff != "" {
		t.Errorf("Authenticate (-want +got):\n%s", diff)
	}
	wrong, unknownErr := func() (error, error) {
		_, e1 := db.Authenticate(ctx, "ana", pw+"!")
		_, e2 := db.Authenticate(ctx, "nobody", pw)
		return e1, e2
	}()
	for _, err := range []error{wrong, unknownErr} {
		if !errors.Is(err, schemas.ErrBadCredentials) || !errors.Is(err, schemas.ErrUnauthenticated) {
			t.Errorf("failed login: %v, want bad credentials", err)
		}
	}

	if err := db.SetPassword(asAdmin, "ana", "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "ana", pw); err == nil {
		t.Error("the old password still works")
	}
	if _, err := db.Authenticate(ctx, "ana", "another long password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := db.DisableUser(asAdmin, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "ana", "another long password"); !errors.Is(err, schemas.ErrBadCredentials) {
		t.Errorf("disabled account logged in: %v", err)
	}
	if err := db.DisableUser(asAdmin, "nobody"); !errors.Is(err, schemas.ErrNotFound) {
		t.Errorf("disable nobody: %v, want not found", err)
	}
	users, err := db.Users(ctx)
	if err != nil || len(users) != 1 || !users[0].Disabled || users[0].Role != schemas.RoleAnalyst {
		t.Errorf("Users = %+v, %v", users, err)
	}

	log, err := db.AuditLog(ctx, schemas.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		lines = append(lines, strings.Join([]string{e.User, string(e.Action), e.Target, e.Result, e.Details}, " "))
	}
	want := []string{
		"cli:test user.add ana ok role=analyst entity=oij",
		"cli:test user.add ana user_exists role=viewer entity=oij",
		"ana login ana ok ",
		"ana login ana bad_credentials ",
		" login  bad_credentials unknown_account",
		"cli:test user.password ana ok ",
		"ana login ana bad_credentials ",
		"ana login ana ok ",
		"cli:test user.disable ana ok ",
		"ana login ana bad_credentials ",
		"cli:test user.disable nobody no_user ",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	adds, err := db.AuditLog(ctx, schemas.AuditFilter{User: "cli:test", Action: schemas.ActionUserAdd, Since: time.Now().Add(-time.Hour)})
	if err != nil || len(adds) != 2 {
		t.Errorf("filtered audit log: %d entries, %v; want 2", len(adds), err)
	}
	if later, _ := db.AuditLog(ctx, schemas.AuditFilter{Since: time.Now().Add(time.Hour)}); len(later) != 0 {
		t.Errorf("entries from the future: %v", later)
	}
}

func TestTokens(t *testing.T) {
	db, path := openTemp(t)
	ctx := context.Background()
	addUser(t, db, "rosa", schemas.RoleResearcher, "a long enough password")
	token, err := db.NewToken(asAdmin, "rosa")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 {
		t.Errorf("token %q: want 43 characters of base64url (32 bytes)", token)
	}
	u, err := db.UserByToken(ctx, token)
	if err != nil || u.Name != "rosa" || u.Role != schemas.RoleResearcher {
		t.Fatalf("UserByToken = %+v, %v", u, err)
	}
	wrong := "A" + token[1:]
	if token[0] == 'A' {
		wrong = "B" + token[1:]
	}
	if _, err := db.UserByToken(ctx, wrong); !errors.Is(err, schemas.ErrBadCredentials) {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := db.NewToken(asAdmin, "nobody"); !errors.Is(err, schemas.ErrNotFound) {
		t.Errorf("token for nobody: %v", err)
	}

	// Only the hash is kept: the token is nowhere in the table or the file.
	var stored []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT hash FROM tokens`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, tokenHash(token)) {
		t.Errorf("stored %x, want the SHA-256 of the token", stored)
	}
	if _, err := db.sql.ExecContext(ctx, `CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + ".wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the raw token", f)
		}
	}

	if err := db.DisableUser(asAdmin, "rosa"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(ctx, token); !errors.Is(err, schemas.ErrBadCredentials) {
		t.Errorf("a disabled account's token still works: %v", err)
	}
	if _, err := db.NewToken(asAdmin, "rosa"); !errors.Is(err, schemas.ErrRefused) {
		t.Errorf("a token for a disabled account: %v, want refused", err)
	}
	// Enabled again, the account needs new tokens: the old one stays dead.
	yes := true
	if _, err := db.UpdateUser(asAdmin, "rosa", schemas.UserChange{Enabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByToken(ctx, token); !errors.Is(err, schemas.ErrBadCredentials) {
		t.Errorf("enabled again, the account's old token works: %v", err)
	}
	if u, err := db.UserByName(ctx, "rosa"); err != nil || u.Disabled {
		t.Errorf("enabled again: %+v %v", u, err)
	}
	log, _ := db.AuditLog(ctx, schemas.AuditFilter{Action: schemas.ActionUserToken})
	if len(log) != 3 || log[2].Result != schemas.ResultOK || log[1].Result != "no_user" || log[0].Result != "user_disabled" {
		t.Errorf("token audit: %+v", log)
	}
	for _, e := range log {
		if strings.Contains(e.Details, token) {
			t.Error("the audit log holds the token")
		}
	}
}

// TestConcurrentBatchIDs: two uploads at once get two ids and are both
// stored (max(id) + 1 gave both id 1, and one failed at commit).
func TestConcurrentBatchIDs(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	var done, open sync.WaitGroup
	open.Add(2)
	ids := make([]int64, 2)
	errs := make([]error, 2)
	for i := range 2 {
		done.Go(func() {
			b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: "f", Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
			if err == nil {
				err = b.Append(ctx, []schemas.Record{rec(1, string(rune('a'+i)), schemas.RoleVictim, schemas.SexFemale, 2023)})
			}
			open.Done()
			open.Wait() // both batches are open before either commits
			if err == nil {
				ids[i], _, err = b.Commit(ctx, &schemas.BatchReport{Rows: 1, Accepted: 1})
			}
			errs[i] = err
		})
	}
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("batch %d: %v", i, err)
		}
	}
	if ids[0] == ids[1] {
		t.Errorf("both batches got id %d", ids[0])
	}
	list, err := db.Batches(ctx)
	if err != nil || len(list) != 2 {
		t.Errorf("stored batches: %d, %v; want 2", len(list), err)
	}
}

// TestBatchIDsAfterUpgrade: a database made before migration 5 is upgraded
// by the first command that opens it, read-only or not, and its batch ids
// go on from the largest one.
func TestBatchIDsAfterUpgrade(t *testing.T) {
	db, path := openTemp(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO batches (id, file_name, file_hash, format, profile, reporting_entity, created_at, status) VALUES (7, 'f', 'h', 'csv', 'eri', 'oij', now(), 'stored')`,
		`DROP SEQUENCE batch_ids`,
		`DELETE FROM schema_migrations WHERE name = 'ddl/005_accounts.sql'`,
		`DROP TABLE users`, `DROP TABLE tokens`, `DROP TABLE audit_log`, `DROP SEQUENCE user_ids`, `DROP SEQUENCE audit_ids`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	// A read-only command is the first to open it: it upgrades it first.
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if users, err := ro.Users(ctx); err != nil || len(users) != 0 {
		t.Errorf("users of an upgraded database: %v, %v", users, err)
	}
	ro.Close()
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store(t, db, "next.csv", rec(1, "p", schemas.RoleVictim, schemas.SexMale, 2022))
	list, err := db.Batches(ctx)
	if err != nil || len(list) != 2 || list[0].ID != 8 {
		t.Errorf("batches after upgrade: %+v, %v; want the new one to be 8", list, err)
	}
}
