package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// WriteParquet writes rows of text (the column named count as a number,
// empty when suppressed) to a Parquet file with DuckDB's writer, in a
// private in-memory database. The rows are protected tables already: this
// counts nothing.
func WriteParquet(ctx context.Context, path string, header []string, rows [][]string) error {
	mem, err := Open(ctx, "", Options{})
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer mem.Close()
	conn, err := mem.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer conn.Close()
	cols := make([]string, len(header))
	for i, h := range header {
		typ := "VARCHAR"
		if h == "count" {
			typ = "BIGINT"
		}
		cols[i] = fmt.Sprintf("%q %s", h, typ)
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE export_rows (`+strings.Join(cols, ", ")+`)`); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS export_rows`)
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "export_rows")
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(header))
		for _, r := range rows {
			for i, h := range header {
				vals[i] = r[i]
				if h == "count" {
					var n int64
					if _, err := fmt.Sscan(r[i], &n); err == nil {
						vals[i] = n
					} else {
						vals[i] = nil
					}
				}
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `COPY export_rows TO '`+strings.ReplaceAll(path, "'", "''")+`' (FORMAT parquet)`); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
