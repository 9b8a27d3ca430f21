package schemas

import (
	"context"
	"io"
	"strings"
	"time"
)

// What a user of tipdash can do, as services: declared here, implemented
// by store (with ingest for reading files), wired by cmd, and used alike
// by the command line and the server. Every method takes the caller's
// context first; changes are audited with its Actor.

// IngestRequest is one file to read into a batch.
type IngestRequest struct {
	Path      string // the file on disk (an upload is saved to a private temporary file first)
	Name      string // the name recorded for the batch; "" for the base of Path
	Profile   *Profile
	Sheet     string // XLSX sheet; "" for the first
	Entity    string // reporting institution code
	Uploader  string // who sends it: an account, or "cli:LOGIN"
	DryRun    bool   // read and report, store nothing
	Strict    bool   // store nothing if any row is rejected
	NewSecret bool   // accept a new person-id secret (see the README)
	Progress  func(read, total int64)
}

// IngestService reads files into batches.
type IngestService interface {
	// Ingest reads one file: its report, stored with the batch unless a
	// dry run. A file refused whole is an error; rejected rows are not.
	Ingest(ctx context.Context, req IngestRequest) (*BatchReport, error)
}

// BatchService lists stored batches and rolls them back.
type BatchService interface {
	Batches(ctx context.Context) ([]BatchInfo, error)
	// Batch returns a batch and its full report (every rejected row).
	Batch(ctx context.Context, id int64) (BatchInfo, *BatchReport, error)
	Rollback(ctx context.Context, id int64, now time.Time) error
}

// TableService answers questions: catalogue tables of a protected tier
// from its releases, and exact free queries at tier admin.
type TableService interface {
	// ReleaseTable reads a catalogue table of tier conatt or public from
	// release n (0: the latest approved one of the tier); where only
	// selects its rows.
	ReleaseTable(ctx context.Context, tier Tier, n int64, id string, where []Filter) (*Table, error)
	// Aggregate counts exactly: tier admin only.
	Aggregate(ctx context.Context, q Query) (*Table, error)
	// CatalogueTable reads catalogue table id at tier: counted exactly at
	// tier admin (n must be 0), else ReleaseTable. where only selects rows.
	CatalogueTable(ctx context.Context, tier Tier, n int64, id string, where []Filter) (*Table, error)
}

// ReleaseService makes, approves and describes releases.
type ReleaseService interface {
	// PublishRelease computes, protects and freezes the catalogue of a
	// tier; note says why (required).
	PublishRelease(ctx context.Context, kind Tier, note string, now time.Time) (*ReleaseReport, error)
	ApproveRelease(ctx context.Context, n int64, now time.Time) error
	// Releases lists every release, drafts included, newest last.
	Releases(ctx context.Context) ([]Release, error)
	// ReleaseReport is a release's disclosure report (exact: admin only).
	ReleaseReport(ctx context.Context, n int64) (*ReleaseReport, error)
	// DraftTable reads a table of release n as it would be served, draft
	// or not: for the administrator who decides whether to approve it.
	DraftTable(ctx context.Context, n int64, id string) (*Table, error)
	// ConattDue says whether a scheduled conatt release is due, and when
	// the next one is.
	ConattDue(ctx context.Context, now time.Time, every time.Duration) (bool, time.Time, error)
}

// ExportLayout is what an export holds.
type ExportLayout string

// Export layouts.
const (
	LayoutGlotip ExportLayout = "glotip" // UNODC GLOTIP long format
	LayoutTables ExportLayout = "tables" // every catalogue table of a release, long format
)

// FileFormat is the kind of file an export or a report is written as.
type FileFormat string

// File formats.
const (
	FormatCSV     FileFormat = "csv"
	FormatXLSX    FileFormat = "xlsx"
	FormatParquet FileFormat = "parquet"
	FormatJSON    FileFormat = "json"
)

// ParseFileFormat reads "csv", "xlsx", "parquet" or "json" (or a file
// name ending so).
func ParseFileFormat(s string) (FileFormat, error) {
	s = strings.ToLower(s)
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	for _, f := range []FileFormat{FormatCSV, FormatXLSX, FormatParquet, FormatJSON} {
		if string(f) == s {
			return f, nil
		}
	}
	return "", Invalid("bad_format", "formato desconocido %q: use csv, xlsx, parquet o json", "unknown format %q: use csv, xlsx, parquet or json", s)
}

// ContentType is the MIME type of a file format.
func (f FileFormat) ContentType() string {
	switch f {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatParquet:
		return "application/vnd.apache.parquet"
	}
	return "application/json"
}

// ExportRequest asks for a release's tables as a file.
type ExportRequest struct {
	Layout  ExportLayout
	Tier    Tier
	Release int64 // 0: the latest approved release of the tier
	Format  FileFormat
}

// Validate applies the rules of exports: a protected export is a layout
// of a release; exact figures leave only as the GLOTIP questionnaire, in
// XLSX marked confidential, counted from the current records.
func (r ExportRequest) Validate() error {
	if r.Layout != LayoutGlotip && r.Layout != LayoutTables {
		return Invalid("bad_layout", "exportación desconocida %q: use glotip o tables", "unknown export %q: use glotip or tables", r.Layout)
	}
	if r.Format != FormatCSV && r.Format != FormatXLSX && r.Format != FormatParquet {
		return Invalid("bad_format", "una exportación se escribe en csv, xlsx o parquet", "an export is written as csv, xlsx or parquet")
	}
	if r.Tier != TierAdmin {
		return nil
	}
	switch {
	case r.Layout != LayoutGlotip:
		return Invalid("exact_export", "las exportaciones de tablas son protegidas: nivel conatt o public",
			"table exports are protected: tier conatt or public")
	case r.Release != 0:
		return Invalid("exact_export", "el nivel admin cuenta los registros actuales: sin publicación",
			"tier admin counts the current records: no release")
	case r.Format != FormatXLSX:
		return Invalid("exact_export", "el nivel admin escribe XLSX, con CONFIDENCIAL en el título",
			"tier admin writes XLSX, with CONFIDENTIAL in its title")
	}
	return nil
}

// ExportService writes releases (and, for UNODC, exact figures) as files.
type ExportService interface {
	// Export writes the file to w and returns how many rows it holds.
	Export(ctx context.Context, req ExportRequest, w io.Writer) (int, error)
}
