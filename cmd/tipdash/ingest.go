package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/sheets"
	"github.com/conatt/tipdash/store"
)

// profileFile says whether --profile names a file rather than a built-in profile.
func profileFile(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".json") || strings.ContainsRune(name, os.PathSeparator)
}

func loadProfile(name string) (*schemas.Profile, error) {
	if profileFile(name) {
		f, err := os.Open(name)
		if err != nil {
			return nil, schemas.Invalid("no_profile", "no se puede abrir el perfil %s: %v", "cannot open profile %s: %v", name, err)
		}
		defer f.Close()
		return schemas.ReadProfile(f)
	}
	return schemas.BuiltinProfile(name)
}

func cmdIngest(ctx context.Context, e *env, args []string) error {
	fs := e.flags("ingest", "ingest [--db PATH] [--profile eri|ctdc|FILE.json] [--map \"Header=field\"]... [--sheet NAME] [--entity CODE] [--dry-run] [--strict] [--json] [--report FILE.csv|.xlsx|.json] [--new-secret] FILE...")
	db := dbFlag(fs)
	profileName := fs.String("profile", "eri", "perfil de columnas: eri, ctdc o un archivo JSON / column profile")
	mapping := fs.StringArray("map", nil, "leer la columna como el campo, p. ej. \"Situación=status\"; repetible / read the column as the field; repeatable")
	sheet := fs.String("sheet", "", "hoja del XLSX (por defecto la primera) / XLSX sheet (default: the first)")
	entity := fs.String("entity", envOr("TIPDASH_ENTITY", "unknown"), "institución que reporta / reporting entity (oij, dgme, pani, ...)")
	dry := fs.Bool("dry-run", false, "validar e informar sin guardar / validate and report, store nothing")
	strict := fs.Bool("strict", false, "no guardar nada si alguna fila se rechaza (sale con 1) / store nothing if any row is rejected (exit 1)")
	asJSON := fs.Bool("json", false, "informe en JSON / report as JSON")
	reportPath := fs.String("report", "", "escribir el informe en un archivo .csv, .xlsx o .json / write the report to a file")
	noProgress := fs.Bool("no-progress", false, "sin barra de progreso / no progress bar")
	newSecret := fs.Bool("new-secret", false, "aceptar un secreto nuevo: los lotes siguientes no actualizarán a las personas ya guardadas / accept a new secret: later batches will not update people already stored")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{"falta el archivo / no file given"}
	}
	if *reportPath != "" && fs.NArg() > 1 {
		return usageError{"--report admite un solo archivo de entrada / --report takes a single input file"}
	}
	srv := serverFor(ctx, *db)
	profile, err := loadProfile(*profileName)
	if err != nil {
		return err
	}
	if len(*mapping) > 0 {
		m, err := parseMapping(*mapping)
		if err != nil {
			return err
		}
		if profile, err = profile.WithColumns(m); err != nil {
			return err
		}
	}
	if _, err := schemas.ParseInstitution(*entity); err != nil {
		return err
	}
	// Every file, and the report's path, before anything is written. With
	// several files each is read through first, so that one refused late
	// does not leave the others stored.
	check := ingest.Check
	if fs.NArg() > 1 {
		check = ingest.Verify
	}
	for _, path := range fs.Args() {
		if err := check(path, ingest.Options{Profile: profile, Sheet: *sheet}); err != nil {
			return fileFailed(path, err)
		}
	}
	reportWritten := false
	if *reportPath != "" {
		cleanup, err := checkReportPath(*reportPath)
		if err != nil {
			return err
		}
		defer func() { cleanup(!reportWritten) }()
	}

	// With a server running, every file goes through it; else through
	// the store, opened read-only for a dry run.
	var svc schemas.IngestService
	var batches schemas.BatchService
	if srv != nil {
		svc, batches = upload{c: srv, profile: *profileName, mapping: *mapping}, srv
		defer srv.hc.CloseIdleConnections()
	} else {
		var st *store.DB
		if *dry {
			ro, err := openExisting(ctx, *db)
			if err != nil && !errors.Is(err, schemas.ErrNotFound) {
				return err
			}
			st = ro
		} else {
			opt, err := protection()
			if err != nil {
				return err
			}
			opt.MemoryLimit = "48MB"
			if st, err = store.Open(ctx, *db, opt); err != nil {
				return err
			}
		}
		direct := ingest.Service{}
		if st != nil {
			defer st.Close()
			direct.Store, batches = st, st
			if !*dry {
				direct.Audit = st
			}
		}
		svc = direct
	}

	var stored, failed []string
	for _, path := range fs.Args() {
		req := schemas.IngestRequest{Path: path, Profile: profile, Sheet: *sheet, DryRun: *dry, Strict: *strict, Entity: *entity,
			Uploader: uploader(), NewSecret: *newSecret}
		var bar *progressbar.ProgressBar
		if !*noProgress && isTerminal(e.stderr) {
			req.Progress = func(read, total int64) {
				if bar == nil {
					bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(e.stderr),
						progressbar.OptionSetDescription(filepath.Base(path)), progressbar.OptionShowBytes(true),
						progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
				}
				bar.Set64(read)
			}
		}
		rep, err := svc.Ingest(ctx, req)
		if bar != nil {
			bar.Finish()
		}
		if err != nil {
			failed = append(failed, path)
			printError(e, fileFailed(path, err))
			continue
		}
		if err := printReport(e, rep, *asJSON); err != nil {
			return err
		}
		if *reportPath != "" {
			full := rep
			if rep.RejectionsOmitted > 0 && rep.BatchID != 0 {
				// The report lists the first rejections; the file gets them all.
				if _, full, err = batches.Batch(ctx, rep.BatchID); err != nil {
					return err
				}
				full.Meta = rep.Meta
			}
			if err := writeReportFile(*reportPath, full); err != nil {
				return err
			}
			reportWritten = true
		}
		switch rep.Status {
		case schemas.BatchRefusedStrict:
			failed = append(failed, path)
		case schemas.BatchStored:
			stored = append(stored, path)
		}
	}
	if len(failed) > 0 {
		if len(fs.Args()) > 1 {
			fmt.Fprintf(e.stderr, "tipdash: guardados / stored: %s\ntipdash: NO guardados / NOT stored: %s\n", listOrNone(stored), listOrNone(failed))
		}
		return exitError{1}
	}
	return nil
}

// parseMapping reads --map "Header=field" values.
func parseMapping(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		h, f, ok := strings.Cut(v, "=")
		h, f = strings.TrimSpace(h), strings.TrimSpace(f)
		if !ok || h == "" || f == "" {
			return nil, usageError{fmt.Sprintf("--map %q: use \"Encabezado=campo\" / use \"Header=field\"", v)}
		}
		out[h] = f
	}
	return out, nil
}

// fileFailed names the file in an error that does not.
func fileFailed(path string, err error) error {
	var se *schemas.Error
	if !errors.As(err, &se) {
		return err
	}
	name := filepath.Base(path)
	if strings.Contains(se.Msg.ES, name) {
		return se
	}
	return &schemas.Error{Code: se.Code, Kind: se.Kind, Msg: schemas.Message{ES: name + ": " + se.Msg.ES, EN: name + ": " + se.Msg.EN}}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "—"
	}
	return strings.Join(xs, ", ")
}

func printError(e *env, err error) {
	var se *schemas.Error
	if errors.As(err, &se) {
		fmt.Fprintf(e.stderr, "tipdash: %s\ntipdash: %s\n", se.Msg.ES, se.Msg.EN)
		return
	}
	fmt.Fprintln(e.stderr, "tipdash:", err)
}

func printReport(e *env, rep *schemas.BatchReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if err := sheets.WriteText(e.stdout, rep); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout)
	return err
}

var reportFormats = []string{".csv", ".xlsx", ".json"}

func writeReportFile(path string, rep *schemas.BatchReport) error {
	if !slices.Contains(reportFormats, strings.ToLower(filepath.Ext(path))) {
		return errReportFormat
	}
	format, err := schemas.ParseFileFormat(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return reportError(path, err)
	}
	err = sheets.WriteReport(f, format, rep)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return reportError(path, err)
	}
	return nil
}

var errReportFormat = schemas.Invalid("bad_report", "--report: use .csv, .xlsx o .json", "--report: use .csv, .xlsx or .json")

func reportError(path string, err error) error {
	return schemas.Invalid("bad_report", "no se puede escribir el informe %s: %v", "cannot write the report %s: %v", path, err)
}

// checkReportPath makes sure the report can be written before a batch is
// stored: its format is known and the file can be created. cleanup(true)
// removes the file if it created it (nothing was written to it).
func checkReportPath(path string) (cleanup func(unused bool), err error) {
	if !slices.Contains(reportFormats, strings.ToLower(filepath.Ext(path))) {
		return nil, errReportFormat
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, reportError(path, err)
	}
	f.Close()
	created := errors.Is(statErr, fs.ErrNotExist)
	return func(unused bool) {
		if unused && created {
			os.Remove(path)
		}
	}, nil
}

// openExisting opens a database that must already exist, read-only.
func openExisting(ctx context.Context, path string) (*store.DB, error) {
	if err := mustExist(path); err != nil {
		return nil, err
	}
	opt, err := protection()
	if err != nil {
		return nil, err
	}
	opt.ReadOnly = true
	return store.Open(ctx, path, opt)
}

func mustExist(path string) error {
	if _, err := os.Stat(path); err != nil {
		return &schemas.Error{Code: "no_database", Kind: schemas.ErrNotFound, Msg: schemas.Message{
			ES: fmt.Sprintf("no existe la base de datos %s; cargue datos con «tipdash ingest» o indique --db", path),
			EN: fmt.Sprintf("no database at %s; load data with \"tipdash ingest\" or give --db", path)}}
	}
	return nil
}

func uploader() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
