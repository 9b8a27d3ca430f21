package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/conatt/tipdash/sheets"
	"github.com/conatt/tipdash/store"
)

const batchesUsage = `batches list|show|rollback|purge [--db PATH] ...
  batches list                          lotes cargados / stored batches
  batches show ID [--json] [--report F] informe de un lote / a batch's report
  batches rollback ID                   revertir un lote / roll a batch back
  batches purge ID                      borrar para siempre la cuarentena y el informe de un lote revertido
                                        (de sus registros quedan solo los códigos que cuentan las tablas) /
                                        delete a rolled-back batch's quarantine and report for good
                                        (of its records only the codes the tables count remain)`

func cmdBatches(ctx context.Context, e *env, args []string) error {
	var db, reportPath *string
	asJSON := new(bool)
	sub, fs, err := e.subflags("batches", batchesUsage, []string{"list", "show", "rollback", "purge"}, func(sub string, fs *pflag.FlagSet) {
		db = dbFlag(fs)
		switch sub {
		case "list":
			asJSON = fs.Bool("json", false, "JSON")
		case "show":
			asJSON = fs.Bool("json", false, "JSON")
			reportPath = fs.String("report", "", "escribir el informe en .csv, .xlsx o .json / write the report to a file")
		}
	}, args)
	if err != nil {
		return err
	}
	var id int64
	if sub == "show" || sub == "rollback" || sub == "purge" {
		var err error
		if id, err = numberArg(fs, "lote", "batch"); err != nil {
			return err
		}
	}
	if sub == "purge" {
		if serverFor(ctx, *db) != nil {
			return errRemotePurge
		}
		if err := mustExist(*db); err != nil {
			return err
		}
		st, err := store.Open(ctx, *db, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.Purge(ctx, id, time.Now()); err != nil {
			return err
		}
		st.Close()
		if err := store.Compact(ctx, *db); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "lote %d: cuarentena e informe borrados / batch %d: quarantine and report deleted\n", id, id)
		return nil
	}
	open := openExisting
	if sub == "rollback" {
		open = openWriter
	}
	svc, done, err := connect(ctx, *db, open)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "list":
		list, err := svc.Batches(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(list)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "lote\testado\tfecha\tarchivo\tperfil\tentidad\tfilas\taceptadas\trechazadas\tactualizadas")
		fmt.Fprintln(tw, "batch\tstatus\tdate\tfile\tprofile\tentity\trows\taccepted\trejected\tupdated")
		for _, b := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", b.ID, b.Status, b.Meta.Time.Format("2006-01-02 15:04"),
				b.Meta.File, b.Meta.Profile, b.Meta.Entity, b.Rows, b.Accepted, b.Rejected, b.Updated)
		}
		return tw.Flush()
	case "show":
		_, rep, err := svc.Batch(ctx, id)
		if err != nil {
			return err
		}
		if *reportPath != "" {
			if err := writeReportFile(*reportPath, rep); err != nil {
				return err
			}
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		return sheets.WriteText(e.stdout, rep)
	case "rollback":
		if err := svc.Rollback(ctx, id, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "lote %d revertido / batch %d rolled back\n", id, id)
	}
	return nil
}
