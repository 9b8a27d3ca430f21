package store

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/conatt/tipdash/schemas"
)

// DuckDB's own out-of-space errors (an IO error, or "Out of Memory ...
// max_temp_directory_size") become a message for people.
func TestSpaceError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.duckdb")
	for _, typ := range []duckdb.ErrorType{duckdb.ErrorTypeIO, duckdb.ErrorTypeOutOfMemory} {
		err := spaceError(path, &duckdb.Error{Type: typ, Msg: "could not write"})
		var se *schemas.Error
		if !errors.As(err, &se) || se.Code != "disk_full" || se.Msg.ES == "" || se.Msg.EN == "" {
			t.Errorf("%v: got %v, want a bilingual disk_full error", typ, err)
		}
	}
	other := &duckdb.Error{Type: duckdb.ErrorTypeConstraint, Msg: "constraint"}
	if err := spaceError(path, other); err != other {
		t.Errorf("other errors pass unchanged: %v", err)
	}
}
