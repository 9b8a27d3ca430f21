package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/conatt/tipdash/schemas"
)

// Store is what a Service needs of the database: a Sink, and the key of
// person and case ids.
type Store interface {
	Sink
	// Secret returns the key for a batch, checked against the one the
	// database used (renew accepts a new one); a dry run records nothing.
	Secret(ctx context.Context, dryRun, renew bool) ([]byte, error)
}

// Service reads files into batches: schemas.IngestService.
type Service struct {
	// Store is the database; nil allows dry runs only (no database yet).
	Store Store
	// Audit, when set, records every upload with its result, for the
	// actor of the context.
	Audit schemas.AuditService
	// Slots, when set, bounds how many files are read at once (one slot
	// each; reading a large workbook may take a few hundred MB): the
	// others wait their turn. The server shares one among its API, its
	// socket and its pages.
	Slots chan struct{}
}

var _ schemas.IngestService = Service{}

// Ingest reads one file into a batch (or only reports on it, as a dry run).
func (s Service) Ingest(ctx context.Context, req schemas.IngestRequest) (rep *schemas.BatchReport, err error) {
	if s.Audit != nil {
		defer func() { s.record(ctx, req, rep, err) }()
	}
	if s.Slots != nil {
		select {
		case s.Slots <- struct{}{}:
			defer func() { <-s.Slots }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if req.Profile == nil {
		return nil, schemas.Invalid("no_profile", "falta el perfil de columnas", "no column profile given")
	}
	if _, err := schemas.ParseInstitution(req.Entity); err != nil {
		return nil, err
	}
	opt := Options{Profile: req.Profile, Sheet: req.Sheet, DryRun: req.DryRun, Strict: req.Strict,
		Entity: req.Entity, Uploader: req.Uploader, Progress: req.Progress, Name: req.Name}
	var sink Sink = s.Store
	switch {
	case s.Store == nil && !req.DryRun:
		return nil, errors.New("ingest: no database to store the batch in")
	case s.Store == nil:
		sink = dryRunSink{}
		opt.Secret = []byte("dry-run: ids are only compared inside the file")
	default:
		secret, err := s.Store.Secret(ctx, req.DryRun, req.NewSecret)
		if err != nil {
			return nil, err
		}
		opt.Secret = secret
		if req.DryRun {
			sink = dryRunSink{s.Store}
		}
	}
	return File(ctx, sink, req.Path, opt)
}

// dryRunSink answers "is this file stored?" and writes nothing.
type dryRunSink struct{ stored Sink }

func (s dryRunSink) BatchByHash(ctx context.Context, hash string) (int64, bool, error) {
	if s.stored == nil {
		return 0, false, nil
	}
	return s.stored.BatchByHash(ctx, hash)
}

func (dryRunSink) BeginBatch(context.Context, schemas.BatchMeta) (BatchWriter, error) {
	return nil, errors.New("dry run writes nothing")
}

// record writes the upload to the audit log: the file's name is left out
// (it may name a person), the batch and what became of it are kept.
func (s Service) record(ctx context.Context, req schemas.IngestRequest, rep *schemas.BatchReport, err error) {
	a, ok := schemas.ActorFrom(ctx)
	if !ok || a.User == "" {
		return
	}
	e := schemas.AuditEntry{User: a.User, Entity: a.Entity, From: a.From, Action: schemas.ActionBatchUpload, Result: schemas.ResultOK}
	details := []string{"entity=" + req.Entity}
	if req.DryRun {
		details = append(details, "dry_run")
	}
	if rep != nil {
		if rep.BatchID != 0 {
			e.Target = strconv.FormatInt(rep.BatchID, 10)
		}
		details = append(details, "status="+rep.Status, fmt.Sprintf("rows=%d accepted=%d rejected=%d", rep.Rows, rep.Accepted, rep.Rejected))
	}
	var se *schemas.Error
	switch {
	case errors.As(err, &se):
		e.Result = se.Code
	case err != nil:
		e.Result = "error"
	}
	e.Details = strings.Join(details, " ")
	s.Audit.Record(context.WithoutCancel(ctx), e) // a database that cannot record this failed the upload already, or will the next change
}
