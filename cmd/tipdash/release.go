package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

const releaseUsage = `release publish|list|show|approve [--db PATH] ...
  release publish --kind conatt|public --note "..."   calcular, proteger y congelar el catálogo / compute, protect and freeze the catalogue
  release publish --kind conatt --scheduled          solo si no hubo otra en el periodo (TIPDASH_CONATT_EVERY, 720h):
                                                     para cron o un temporizador / only when none was made in the period: for cron or a timer
  release list                   publicaciones / releases
  release show N [--json]        informe de divulgación / disclosure report
  release approve N              la que lee su nivel / the one its tier reads

  conatt: aprobada al publicarla (salvo TIPDASH_CONATT_APPROVAL=required) / approved on publishing (unless ...)
  public: necesita «release approve N» / needs "release approve N"`

func cmdRelease(ctx context.Context, e *env, args []string) error {
	var db, note, kindName *string
	asJSON, scheduled := new(bool), new(bool)
	sub, fs, err := e.subflags("release", releaseUsage, []string{"publish", "list", "show", "approve"}, func(sub string, fs *pflag.FlagSet) {
		db = dbFlag(fs)
		switch sub {
		case "publish":
			note = fs.String("note", "", "nota / note")
			kindName = fs.String("kind", "conatt", "conatt o public")
			scheduled = fs.Bool("scheduled", false, "--kind conatt: solo si toca / only when due (TIPDASH_CONATT_EVERY, default 720h)")
		case "list", "show":
			asJSON = fs.Bool("json", false, "JSON")
		}
	}, args)
	if err != nil {
		return err
	}
	var n int64
	if sub == "show" || sub == "approve" {
		var err error
		if n, err = numberArg(fs, "publicación", "release"); err != nil {
			return err
		}
	}
	kind := schemas.TierConatt
	if sub == "publish" {
		if kind, err = schemas.ParseTier(*kindName); err != nil {
			return err
		}
		if *scheduled && kind != schemas.TierConatt {
			return usageError{"--scheduled es para --kind conatt; una publicación public la decide un administrador / --scheduled is for --kind conatt; a public release is an administrator's decision"}
		}
	}
	if sub == "publish" && *scheduled {
		if serverFor(ctx, *db) != nil {
			// The server has its own scheduler: a timer's release
			// would be a second one.
			fmt.Fprintln(e.stdout, "el servidor en marcha publica él mismo las publicaciones conatt programadas (TIPDASH_CONATT_EVERY del servidor): nada que hacer / "+
				"the running server makes the scheduled conatt releases itself (the server's TIPDASH_CONATT_EVERY): nothing to do")
			return nil
		}
		return publishScheduled(ctx, e, *db, *note)
	}
	open := openExisting
	if sub == "publish" || sub == "approve" {
		open = openWriter
	}
	st, done, err := connect(ctx, *db, open)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "approve":
		if err := st.ApproveRelease(ctx, n, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "publicación %d aprobada: su nivel la lee ahora / release %d approved: its tier reads it now\n", n, n)
		return nil
	case "publish":
		rep, err := st.PublishRelease(ctx, kind, *note, time.Now())
		if err != nil {
			return err
		}
		printPublished(e, rep)
		return nil
	case "show":
		rep, err := st.ReleaseReport(ctx, n)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		printReleaseReport(e, rep)
		return nil
	}
	list, err := st.Releases(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "publicación\tnivel\testado\tfecha\tnota")
	fmt.Fprintln(tw, "release\ttier\tstatus\tdate\tnote")
	for _, r := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Status, r.CreatedAt.Format("2006-01-02 15:04"), r.Note)
	}
	return tw.Flush()
}

// publishScheduled publishes a conatt release when none was made in
// TIPDASH_CONATT_EVERY, for cron or a timer when no server runs.
func publishScheduled(ctx context.Context, e *env, db, note string) error {
	every, err := conattEvery()
	if err != nil {
		return err
	}
	if every == 0 {
		return usageError{"TIPDASH_CONATT_EVERY=0: las publicaciones programadas están desactivadas / scheduled releases are turned off"}
	}
	st, err := openWriter(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, next, err := publishIfDue(ctx, st, every, note)
	if err != nil {
		return err
	}
	if rep == nil {
		fmt.Fprintf(e.stdout, "no toca todavía: la próxima publicación conatt será después de %s / not due: the next conatt release is after %s\n",
			next.Format("2006-01-02 15:04"), next.Format("2006-01-02 15:04"))
		return nil
	}
	printPublished(e, rep)
	return nil
}

// conattEvery reads TIPDASH_CONATT_EVERY, the period of scheduled conatt
// releases (default 720h; 0 turns them off).
func conattEvery() (time.Duration, error) {
	v := envOr("TIPDASH_CONATT_EVERY", "720h")
	every, err := time.ParseDuration(v)
	if v == "0" {
		return 0, nil
	}
	if err != nil || every <= 0 {
		return 0, usageError{fmt.Sprintf("TIPDASH_CONATT_EVERY=%q: una duración como 720h, o 0 para ninguna / a duration such as 720h, or 0 for none", v)}
	}
	return every, nil
}

// publishIfDue publishes a conatt release when none was made in every;
// otherwise it returns nil and when the next one is due. The command
// line (for cron) and the server's scheduler both use it.
func publishIfDue(ctx context.Context, st *store.DB, every time.Duration, note string) (*schemas.ReleaseReport, time.Time, error) {
	now := time.Now()
	due, next, err := st.ConattDue(ctx, now, every)
	if err != nil || !due {
		return nil, next, err
	}
	if note == "" {
		note = "publicación programada / scheduled release " + now.Format("2006-01-02")
	}
	rep, err := st.PublishRelease(ctx, schemas.TierConatt, note, now)
	return rep, next, err
}

// printPublished prints a new release's report and, last, its number.
func printPublished(e *env, rep *schemas.ReleaseReport) {
	printReleaseReport(e, rep)
	if rep.Status == schemas.ReleaseDraft {
		fmt.Fprintf(e.stdout, "\nrevise el informe y apruebe con / read the report and approve with: tipdash release approve %d\n", rep.ID)
	}
	fmt.Fprintf(e.stdout, "%d\n", rep.ID)
}

// printReleaseReport prints a release's disclosure report: per table, the cells
// hidden and the share of people in shown cells.
func printReleaseReport(e *env, rep *schemas.ReleaseReport) {
	fmt.Fprintf(e.stdout, "Publicación / release %d, nivel / tier %s (%s): %s\n", rep.ID, rep.Kind, rep.Status, rep.Note)
	fmt.Fprintf(e.stdout, "  creada el / made on %s\n\n", rep.CreatedAt.Format("2006-01-02 15:04"))
	fmt.Fprintln(e.stdout, "Informe de divulgación (cifras exactas: solo para administración) / disclosure report (exact: administrators only):")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  tabla / table\tceldas / cells\tocultas / hidden\tpersonas visibles / people shown")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\n", t.ID, t.Cells, t.Hidden, shownText(t))
		if t.CarriedFrom != 0 {
			continue // both parts of a table by year, from one release
		}
		for _, p := range t.Parts {
			fmt.Fprintf(tw, "    años / years %s\t%d\t%d\t%s\n", p.Years, p.Cells, p.Hidden, shownText(p))
		}
	}
	tw.Flush()
}

// shownText says what a table (or a part of one) of a report shows.
func shownText(t schemas.TableReport) string {
	shown := fmt.Sprintf("%.0f%%", 100*t.ShownShare())
	if t.Withheld {
		shown = "retenida / withheld"
	}
	if t.CarriedFrom != 0 {
		shown += fmt.Sprintf(" (sin cambios desde %d / unchanged since %d)", t.CarriedFrom, t.CarriedFrom)
	}
	return shown
}
