// Command tipdash ingests CONATT/ERI case spreadsheets into an embedded
// DuckDB file and gives gender-disaggregated aggregates from it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
	"github.com/conatt/tipdash/store/disclosure"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the first signal cancels the work; a second one ends the process
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries an exit code with nothing more to print.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error, stderr io.Writer) int {
	var ee exitError
	var se *schemas.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &usageError{}):
		fmt.Fprintln(stderr, "tipdash:", err)
		return 2
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "tipdash: %s\ntipdash: %s\n", se.Msg.ES, se.Msg.EN)
		return 1
	default:
		fmt.Fprintln(stderr, "tipdash:", err)
		return 1
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `tipdash: datos de casos de trata de personas y tráfico ilícito de migrantes (CONATT/ERI)
         case data on trafficking in persons and smuggling of migrants

uso / usage: tipdash COMMAND [flags]

  serve     servir la API y el tablero / serve the API and the dashboard
  ingest    cargar hojas de casos (XLSX, CSV, JSON Lines) / load case sheets
  query     contar por dimensiones / count by dimensions
  tables    el catálogo de tablas protegidas / the catalogue of protected tables
  batches   listar, ver, revertir o purgar lotes / list, show, roll back or purge batches
  gen       generar datos sintéticos ERI / write synthetic ERI data
  template  escribir la plantilla ERI (XLSX) / write the ERI template
  release   publicaciones protegidas (conatt, public) / protected releases (conatt, public)
  export    exportar tablas protegidas (UNODC GLOTIP, CSV, Parquet) / export protected tables
  dims      listar dimensiones y códigos / list dimensions and codes
  user      cuentas: crear, listar, desactivar, token, contraseña / accounts: add, list, disable, token, password
  audit     leer el registro de auditoría / read the audit log

"tipdash COMMAND -h" explica cada comando / explains each command.
--db: $TIPDASH_DB, o ./tipdash.duckdb.
`

// run is the whole program: main only wires signals and the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	environment := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	// What the command line changes is recorded in the audit log as the
	// local login's doing.
	ctx = schemas.WithActor(ctx, schemas.Actor{User: uploader(), From: "local"})
	cmds := map[string]func(context.Context, *env, []string) error{
		"serve":    cmdServe,
		"ingest":   cmdIngest,
		"query":    cmdQuery,
		"batches":  cmdBatches,
		"gen":      cmdGen,
		"template": cmdTemplate,
		"dims":     cmdDims,
		"release":  cmdRelease,
		"export":   cmdExport,
		"tables":   cmdTables,
		"user":     cmdUser,
		"audit":    cmdAudit,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("comando desconocido %q / unknown command %q", args[0], args[0])}
	}
	return cmd(ctx, environment, args[1:])
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// flags makes a FlagSet that prints its usage to stderr and returns errors.
// Flags and arguments may come in any order; "--" ends the flags.
func (e *env) flags(name, synopsis string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "uso / usage: tipdash %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// protection reads stricter disclosure rules from the environment:
// TIPDASH_CONATT_THRESHOLD and TIPDASH_PUBLIC_THRESHOLD raise the tiers'
// thresholds (the store refuses anything below the minimum), and
// TIPDASH_CONATT_APPROVAL=required makes conatt releases wait for approval;
// TIPDASH_PUBLISH_BUDGET bounds the check of each measure of a release
// (what is not proven by then is withheld).
func protection() (store.Options, error) {
	opt := store.Options{Protection: map[schemas.Tier]disclosure.Rules{}, Secret: os.Getenv("TIPDASH_SECRET")}
	for tier, name := range map[schemas.Tier]string{schemas.TierConatt: "TIPDASH_CONATT_THRESHOLD", schemas.TierPublic: "TIPDASH_PUBLIC_THRESHOLD"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return opt, usageError{fmt.Sprintf("%s=%q no es un número / is not a number", name, v)}
		}
		r := disclosure.Minimum(tier)
		r.Threshold = n
		opt.Protection[tier] = r
	}
	if v := os.Getenv("TIPDASH_PUBLISH_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return opt, usageError{fmt.Sprintf("TIPDASH_PUBLISH_BUDGET=%q: una duración como 90s o 5m / a duration such as 90s or 5m", v)}
		}
		opt.PublishBudget = d
	}
	switch v := os.Getenv("TIPDASH_CONATT_APPROVAL"); v {
	case "", "auto":
	case "required":
		opt.ConattApproval = true
	default:
		return opt, usageError{fmt.Sprintf("TIPDASH_CONATT_APPROVAL=%q: use required o auto / use required or auto", v)}
	}
	return opt, nil
}

// subcommand parses the flags of a command with subcommands ("batches
// --db f list", "batches list --db f") and returns its first argument.
func subcommand(fs *pflag.FlagSet, args []string) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", usageError{"falta el subcomando / no subcommand"}
	}
	return fs.Arg(0), nil
}

// subflags finds the subcommand of a command (its first argument; flags
// may come before or after it) and parses args with that subcommand's own
// flags, which define adds to a FlagSet.
func (e *env) subflags(name, usage string, subs []string, define func(sub string, fs *pflag.FlagSet), args []string) (string, *pflag.FlagSet, error) {
	all := pflag.NewFlagSet(name, pflag.ContinueOnError)
	all.SetOutput(io.Discard)
	all.Usage = func() {}
	all.ParseErrorsWhitelist.UnknownFlags = true
	for _, s := range subs {
		one := pflag.NewFlagSet(s, pflag.ContinueOnError)
		define(s, one)
		all.AddFlagSet(one) // a flag several subcommands share is added once
	}
	err := all.Parse(args)
	sub := all.Arg(0)
	if !slices.Contains(subs, sub) {
		fmt.Fprintf(e.stderr, "uso / usage: tipdash %s\n", usage)
		switch {
		case errors.Is(err, pflag.ErrHelp):
			return "", nil, err
		case sub == "":
			return "", nil, usageError{"falta el subcomando / no subcommand"}
		}
		return "", nil, usageError{fmt.Sprintf("subcomando desconocido %q / unknown subcommand %q", sub, sub)}
	}
	fs := e.flags(name+" "+sub, usage)
	define(sub, fs)
	return sub, fs, parse(fs, args)
}

// numberArg reads the single argument after the subcommand of "batches
// show N" and the like.
func numberArg(fs *pflag.FlagSet, es, en string) (int64, error) {
	if fs.NArg() != 2 {
		return 0, usageError{fmt.Sprintf("indique el número de %s / give the %s number", es, en)}
	}
	n, err := strconv.ParseInt(fs.Arg(1), 10, 64)
	if err != nil || n <= 0 {
		return 0, usageError{fmt.Sprintf("%q no es un número de %s / is not a %s number", fs.Arg(1), es, en)}
	}
	return n, nil
}

func dbFlag(fs *pflag.FlagSet) *string {
	def := os.Getenv("TIPDASH_DB")
	if def == "" {
		def = "tipdash.duckdb"
	}
	return fs.String("db", def, "archivo de la base de datos / database file ($TIPDASH_DB)")
}
