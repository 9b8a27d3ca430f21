package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// A purged batch's quarantine leaves no trace in the file once compacted,
// and the rest of the database is as it was.
func TestPurgeCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, marker := range []string{"KEEPMARKERKEEP", "PURGEMARKERPURGE"} {
		b, err := db.BeginBatch(ctx, schemas.BatchMeta{File: "f.csv", Hash: "h" + marker[:4], Format: "csv", Profile: "eri", Entity: "oij", Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append(ctx, []schemas.Record{{Row: 2, Year: 2024, Age: -1}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Quarantine(ctx, []schemas.Rejected{{Row: 3, Cells: map[string]string{"Provincia": marker}}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Commit(ctx, &schemas.BatchReport{Meta: schemas.BatchMeta{Hash: "h" + marker[:4]}, Rows: 2, Accepted: 1, Rejected: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Rollback(ctx, 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.Purge(ctx, 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := Compact(ctx, path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + ".wal")
	if bytes.Contains(data, []byte("PURGEMARKER")) || bytes.Contains(wal, []byte("PURGEMARKER")) {
		t.Error("the purged quarantine is still in the file")
	}
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, rep, err := db.Batch(ctx, 1)
	if err != nil || len(rep.Rejections) != 1 || rep.Rejections[0].Cells["Provincia"] != "KEEPMARKERKEEP" {
		t.Errorf("batch 1 after compaction: %v %+v", err, rep)
	}
	list, err := db.Batches(ctx)
	if err != nil || len(list) != 2 || list[0].PurgedAt.IsZero() {
		t.Errorf("batches after compaction: %v %+v", err, list)
	}
}
