package schemas

import (
	"context"
	"time"
)

// BatchMeta describes an uploaded file before its rows are read.
type BatchMeta struct {
	File     string    `json:"file"`
	Hash     string    `json:"hash"` // SHA-256 of the file's bytes, hex
	Format   string    `json:"format"`
	Sheet    string    `json:"sheet,omitempty"`
	Profile  string    `json:"profile"`
	Entity   string    `json:"reporting_entity"`
	Uploader string    `json:"uploaded_by"`
	Time     time.Time `json:"created_at"`
}

// Batch outcomes.
const (
	BatchStored        = "stored"         // written; rejected rows are in quarantine
	BatchDryRun        = "dry_run"        // validated, nothing written
	BatchRefusedStrict = "refused_strict" // --strict and some row was rejected: nothing written
	BatchDuplicate     = "duplicate_file" // the same file was already stored: nothing changed
	BatchRolledBack    = "rolled_back"    // stored, then undone
)

// Column actions in a batch report.
const (
	ColumnMapped   = "mapped"   // read into a field
	ColumnFlag     = "flag"     // a yes/no column for one code
	ColumnPersonal = "personal" // personal data: dropped, never stored
	ColumnIgnored  = "ignored"  // not known to the profile: not read, not stored
	ColumnRepeated = "repeated" // a second column for a field already mapped: not read
)

// ColumnReport says what happened to one column of the source.
type ColumnReport struct {
	Index  int    `json:"index"` // 1-based
	Header string `json:"header"`
	Action string `json:"action"`
	Field  string `json:"field,omitempty"`
}

// Issue is one problem with one cell or row: the reason a row was rejected,
// or a value that became unknown.
type Issue struct {
	Row    int     `json:"row"`
	Column string  `json:"column,omitempty"`
	Value  string  `json:"value,omitempty"`
	Code   string  `json:"code"`
	Msg    Message `json:"message"`
}

// Rejected is a row that is not a record, kept in quarantine with every
// reason and the cells of its mapped, non-personal columns.
type Rejected struct {
	Row     int               `json:"row"`
	Reasons []Issue           `json:"reasons"`
	Cells   map[string]string `json:"cells"`
}

// ValueWarning groups the cells of one column whose value the profile did
// not know (they became unknown), so that the profile can be extended.
type ValueWarning struct {
	Column string  `json:"column"`
	Field  string  `json:"field"`
	Value  string  `json:"value"`
	Code   string  `json:"code"`
	Count  int     `json:"count"`
	Rows   []int   `json:"rows"` // the first few rows
	Msg    Message `json:"message"`
}

// BatchReport is what an analyst reads after an upload.
type BatchReport struct {
	BatchID     int64          `json:"batch_id,omitempty"`
	Meta        BatchMeta      `json:"batch"`
	Status      string         `json:"status"`
	DuplicateOf int64          `json:"duplicate_of,omitempty"`
	HeaderRow   int            `json:"header_row"`
	Rows        int            `json:"rows"`     // data rows read, empty rows excluded
	Accepted    int            `json:"accepted"` // stored, with or without warnings
	Warned      int            `json:"warned"`   // accepted rows that had a warning
	Rejected    int            `json:"rejected"` // in quarantine
	Updated     int            `json:"updated"`  // people already known from an earlier batch
	EmptyRows   int            `json:"empty_rows"`
	ByRole      map[string]int `json:"by_role"`
	Columns     []ColumnReport `json:"columns"`
	Absent      []string       `json:"absent_fields,omitempty"` // fields of the profile with no column
	Warnings    []ValueWarning `json:"warnings"`
	// WarningsOmitted counts the cells whose unknown value is not one of
	// the first 1000 distinct values listed in Warnings (memory stays flat
	// on a column of all-different text).
	WarningsOmitted int     `json:"warnings_omitted,omitempty"`
	RowWarnings     []Issue `json:"row_warnings"` // warnings that are not about a code list value
	// RowWarningsOmitted counts row warnings past the first 1000.
	RowWarningsOmitted int        `json:"row_warnings_omitted,omitempty"`
	Rejections         []Rejected `json:"rejections"`
	// RejectionsOmitted counts rejected rows not listed in Rejections, to
	// keep memory flat on large files; the quarantine holds them all, and
	// "batches show" reads them back.
	RejectionsOmitted int `json:"rejections_omitted,omitempty"`
}

// DroppedColumns lists the personal-data columns that were dropped.
func (r *BatchReport) DroppedColumns() []string {
	var out []string
	for _, c := range r.Columns {
		if c.Action == ColumnPersonal {
			out = append(out, c.Header)
		}
	}
	return out
}

// BatchInfo is a stored batch as listed by the store.
type BatchInfo struct {
	ID           int64     `json:"id"`
	Meta         BatchMeta `json:"batch"`
	Status       string    `json:"status"`
	Rows         int       `json:"rows"`
	Accepted     int       `json:"accepted"`
	Rejected     int       `json:"rejected"`
	Updated      int       `json:"updated"`
	RolledBackAt time.Time `json:"rolled_back_at,omitzero"`
	PurgedAt     time.Time `json:"purged_at,omitzero"` // quarantine and report deleted
}

// Duplicate is a row whose person id appeared on an earlier accepted row of
// the same batch: the first row is kept, this one goes to quarantine.
type Duplicate struct {
	Row      int
	FirstRow int
	Role     string
	Cells    map[string]string // its values, as codes
}

// BatchWriter writes one batch inside one transaction.
type BatchWriter interface {
	Append(ctx context.Context, recs []Record) error
	// Duplicates finds the rows whose person id appeared on an earlier
	// accepted row of the batch, removes them from the batch and returns
	// them, so that they go to quarantine. The database does this, so that
	// memory does not grow with the number of people in a file.
	Duplicates(ctx context.Context) ([]Duplicate, error)
	// Quarantine keeps rejected rows, as the file is read.
	Quarantine(ctx context.Context, rows []Rejected) error
	// Commit writes the report, updates earlier versions
	// of the same people, and commits. It returns the batch id and how many
	// people were already known.
	Commit(ctx context.Context, report *BatchReport) (id int64, updated int, err error)
	// Abort rolls the transaction back; safe to call after Commit.
	Abort() error
}
