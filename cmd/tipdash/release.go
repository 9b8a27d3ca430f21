package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

const releaseUsage = `release publish|list|show|approve [--db PATH] ...
  release publish --note "..."   congelar los registros actuales / freeze the current records
  release list                   publicaciones / releases
  release show N [--json]        informe de divulgación / disclosure report
  release approve N              la que ven los investigadores / the one researchers see`

func cmdRelease(ctx context.Context, e *env, args []string) error {
	fs := e.flags("release", releaseUsage)
	db := dbFlag(fs)
	note := fs.String("note", "", "publish: nota / note")
	asJSON := fs.Bool("json", false, "JSON")
	sub, err := subcommand(fs, args)
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
	switch sub {
	case "publish", "approve":
		if err := mustExist(*db); err != nil {
			return err
		}
		rules, err := protection()
		if err != nil {
			return err
		}
		st, err := store.Open(ctx, *db, store.Options{Protection: rules})
		if err != nil {
			return err
		}
		defer st.Close()
		if sub == "approve" {
			if err := st.ApproveRelease(ctx, n, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "publicación %d aprobada: el nivel public la usa ahora / release %d approved: tier public uses it now\n", n, n)
			return nil
		}
		if strings.TrimSpace(*note) == "" {
			return usageError{"release publish necesita --note / needs --note"}
		}
		rel, err := st.PublishRelease(ctx, *note, time.Now())
		if err != nil {
			return err
		}
		printRelease(e, rel)
		fmt.Fprintf(e.stdout, "\nrevise el informe y apruebe con / read the report and approve with: tipdash release approve %d\n%d\n", rel.ID, rel.ID)
		return nil
	case "list", "show":
		st, err := openExisting(ctx, *db)
		if err != nil {
			return err
		}
		defer st.Close()
		if sub == "show" {
			rel, err := st.Release(ctx, n)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rel)
			}
			printRelease(e, rel)
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
		fmt.Fprintln(tw, "publicación\testado\tfecha\tregistros\tnota")
		fmt.Fprintln(tw, "release\tstatus\tdate\trecords\tnote")
		for _, r := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", r.ID, r.Status, r.CreatedAt.Format("2006-01-02 15:04"), r.Records, r.Note)
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("subcomando desconocido %q / unknown subcommand", sub)}
}

func printRelease(e *env, rel *schemas.Release) {
	fmt.Fprintf(e.stdout, "Publicación / release %d (%s): %s\n", rel.ID, rel.Status, rel.Note)
	fmt.Fprintf(e.stdout, "  %d registros congelados el / records frozen on %s\n", rel.Records, rel.CreatedAt.Format("2006-01-02 15:04"))
	if len(rel.Report) == 0 {
		return
	}
	fmt.Fprintln(e.stdout, "\nInforme de divulgación (nivel public) / disclosure report (tier public):")
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  tabla / table\tceldas / cells\tocultas / hidden\tsecundarias / secondary\tredondeadas / rounded\tagrupadas / folded")
	for _, t := range rel.Report {
		by := make([]string, len(t.By))
		for i, d := range t.By {
			by[i] = string(d)
		}
		name := string(t.Measure)
		if len(by) > 0 {
			name += " by " + strings.Join(by, " x ")
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%s\n", name, t.Cells, t.Hidden, t.Secondary, t.Rounded, strings.Join(t.Folded, " "))
	}
	tw.Flush()
}
