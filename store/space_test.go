package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
)

// A batch that DuckDB cannot write for want of room for its temporary
// files (a full disk) is refused in both languages, and nothing is kept.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	db, err := Open(ctx, path, Options{MemoryLimit: "48MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// DuckDB's own limit on temporary files stands for the disk, and the
	// disk says it has 10 MB left.
	if _, err := db.sql.ExecContext(ctx, `SET max_temp_directory_size = '1KB'`); err != nil {
		t.Fatal(err)
	}
	real := freeSpace
	freeSpace = func(string) (uint64, bool) { return 10 << 20, true }
	t.Cleanup(func() { freeSpace = real })

	b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: "f.csv", Hash: "h", Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	recs := make([]schemas.Record, 1000)
	for i := 0; i < 400 && err == nil; i++ {
		for j := range recs {
			recs[j] = schemas.Record{Row: i*1000 + j + 2, Year: 2024, Age: -1}
			recs[j].PersonKey[0], recs[j].PersonKey[1], recs[j].PersonKey[2] = byte(i), byte(j), byte(j>>8)
		}
		err = b.Append(ctx, recs)
	}
	if err == nil {
		_, err = b.Duplicates(ctx)
	}
	var se *schemas.Error
	if !errors.As(err, &se) || se.Code != "disk_full" || se.Msg.ES == "" || se.Msg.EN == "" {
		t.Fatalf("got %v, want a bilingual disk_full error", err)
	}
	b.Abort()
	if n := countRows(t, db, `SELECT count(*) FROM record_versions`); n != 0 {
		t.Errorf("%d records kept", n)
	}
}

// DuckDB's typed out-of-memory and IO errors are read the same way; other
// errors pass unchanged while the disk has room.
func TestSpaceErrorTyped(t *testing.T) {
	b := &Batch{path: filepath.Join(t.TempDir(), "t.duckdb")}
	for _, typ := range []duckdb.ErrorType{duckdb.ErrorTypeIO, duckdb.ErrorTypeOutOfMemory} {
		var se *schemas.Error
		if err := b.spaceError(&duckdb.Error{Type: typ, Msg: "x"}); !errors.As(err, &se) || se.Code != "disk_full" {
			t.Errorf("%v: got %v", typ, err)
		}
	}
	other := &duckdb.Error{Type: duckdb.ErrorTypeConstraint, Msg: "constraint"}
	if err := b.spaceError(other); err != other {
		t.Errorf("got %v, want the error unchanged", err)
	}
}

func countRows(t *testing.T, db *DB, q string) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
