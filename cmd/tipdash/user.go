package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

var (
	_ schemas.UserService  = (*store.DB)(nil)
	_ schemas.AuditService = (*store.DB)(nil)
)

const userUsage = `user add|list|disable|token|tokens|revoke|password [--db PATH] ...
  user add NAME --role ROLE [--entity CODE] [--password-stdin]
                               crear una cuenta; sin --password-stdin se genera una contraseña que se
                               muestra una sola vez (última línea) / create an account; without
                               --password-stdin a password is generated and shown once (last line)
  user list [--json]           cuentas / accounts
  user disable NAME            desactivar: su contraseña y sus tokens dejan de valer /
                               disable: its password and tokens stop working
  user token NAME              un token nuevo para scripts (Authorization: Bearer), una línea; solo se
                               guarda su hash / a new bearer token, one line; only its hash is kept
  user tokens NAME [--json]    sus tokens: id y fecha, nunca el token / its tokens: id and date, never the token
  user revoke NAME ID          anular un token (deja de valer al instante) / revoke a token (it stops at once)
  user password NAME [--password-stdin]
                               cambiar la contraseña / change the password

  roles: admin, analyst (cifras exactas / exact counts), viewer (publicación conatt / conatt release),
         researcher (publicación pública aprobada / approved public release)`

func cmdUser(ctx context.Context, e *env, args []string) error {
	var db, roleName, entityName *string
	fromStdin, asJSON := new(bool), new(bool)
	sub, fs, err := e.subflags("user", userUsage, []string{"add", "list", "disable", "token", "tokens", "revoke", "password"}, func(sub string, fs *pflag.FlagSet) {
		db = dbFlag(fs)
		switch sub {
		case "add":
			roleName = fs.String("role", "", "admin, analyst, viewer o researcher")
			entityName = fs.String("entity", envOr("TIPDASH_ENTITY", "unknown"), "institución de la cuenta / the account's institution (oij, dgme, pani, ...)")
			fromStdin = fs.Bool("password-stdin", false, "leer la contraseña de la entrada estándar / read the password from stdin")
		case "password":
			fromStdin = fs.Bool("password-stdin", false, "leer la contraseña de la entrada estándar / read the password from stdin")
		case "list", "tokens":
			asJSON = fs.Bool("json", false, "JSON")
		}
	}, args)
	if err != nil {
		return err
	}
	if sub == "list" {
		st, done, err := connect(ctx, *db, openExisting)
		if err != nil {
			return err
		}
		defer done()
		return writeUsers(ctx, e.stdout, st, *asJSON)
	}
	switch {
	case sub == "revoke" && fs.NArg() != 3:
		return usageError{"indique la cuenta y el id del token («tipdash user tokens NAME») / give the account and the token's id (\"tipdash user tokens NAME\")"}
	case sub != "revoke" && fs.NArg() != 2:
		return usageError{"indique el nombre de la cuenta / give the account's name"}
	}
	name := fs.Arg(1)
	if sub == "tokens" {
		st, done, err := connect(ctx, *db, openExisting)
		if err != nil {
			return err
		}
		defer done()
		list, err := st.Tokens(ctx, name)
		if err != nil {
			return err
		}
		return writeList(e.stdout, list, *asJSON, "id\tcreado\nid\tcreated", func(t schemas.TokenInfo) string {
			return t.ID + "\t" + t.Created.Format("2006-01-02 15:04")
		})
	}
	var u schemas.User
	if sub == "add" {
		if u.Role, err = schemas.ParseUserRole(*roleName); err != nil {
			return err
		}
		if u.Entity, err = schemas.ParseInstitution(*entityName); err != nil {
			return err
		}
		u.Name = name
	}
	password := ""
	if sub == "add" || sub == "password" {
		if password, err = readPassword(e.stdin, *fromStdin); err != nil {
			return err
		}
	}
	open := openWriter
	if sub == "add" {
		// The first account may be made before any data.
		open = func(ctx context.Context, db string) (*store.DB, error) {
			opt, err := protection()
			if err != nil {
				return nil, err
			}
			return store.Open(ctx, db, opt)
		}
	}
	st, done, err := connect(ctx, *db, open)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "add":
		if u, err = st.AddUser(ctx, u, password); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "usuario %s creado (%s, %s) / user %s created\n", u.Name, u.Role, u.Entity, u.Name)
	case "password":
		if err := st.SetPassword(ctx, name, password); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "contraseña de %s cambiada / password of %s changed\n", name, name)
	case "disable":
		if err := st.DisableUser(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "usuario %s desactivado / user %s disabled\n", name, name)
	case "token":
		token, err := st.NewToken(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "token de %s (id %s): se muestra una sola vez / token of %s (id %s): shown once\n", name, schemas.TokenID(token), name, schemas.TokenID(token))
		fmt.Fprintln(e.stdout, token)
	case "revoke":
		if err := st.RevokeToken(ctx, name, fs.Arg(2)); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "token %s de %s anulado / token %s of %s revoked\n", fs.Arg(2), name, fs.Arg(2), name)
	}
	if (sub == "add" || sub == "password") && !*fromStdin {
		fmt.Fprintln(e.stdout, "contraseña generada, se muestra una sola vez / generated password, shown once:")
		fmt.Fprintln(e.stdout, password)
	}
	return nil
}

// readPassword reads the first line of stdin, or makes a strong password.
func readPassword(stdin io.Reader, fromStdin bool) (string, error) {
	if !fromStdin {
		return store.NewPassword(), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, schemas.MaxPasswordLength+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func writeUsers(ctx context.Context, w io.Writer, users services, asJSON bool) error {
	list, err := users.Users(ctx)
	if err != nil {
		return err
	}
	return writeList(w, list, asJSON, "usuario\trol\tentidad\tcreado\testado\nuser\trole\tentity\tcreated\tstatus", func(u schemas.User) string {
		status := "activo / active"
		if u.Disabled {
			status = "desactivado / disabled"
		}
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", u.Name, u.Role, u.Entity, u.Created.Format("2006-01-02 15:04"), status)
	})
}

// writeList writes items as a JSON array ([] when there are none), or as
// a table under a header of tab-separated columns.
func writeList[T any](w io.Writer, items []T, asJSON bool, header string, row func(T) string) error {
	if asJSON {
		if items == nil {
			items = []T{}
		}
		return json.NewEncoder(w).Encode(items)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		fmt.Fprintln(tw, row(it))
	}
	return tw.Flush()
}

const auditUsage = `audit [--db PATH] [--user U] [--action A] [--since T] [--until T] [--limit N] [--json]
  el registro de auditoría, lo más reciente primero / the audit log, newest first
  T: 2026-01-31, 2026-01-31T08:00:00Z, o una duración hacia atrás / or a duration back (24h)`

func cmdAudit(ctx context.Context, e *env, args []string) error {
	fs := e.flags("audit", auditUsage)
	db := dbFlag(fs)
	userName := fs.String("user", "", "solo esta cuenta (o cli:LOGIN) / only this account")
	action := fs.String("action", "", "solo esta acción / only this action (login, user.add, user.disable, user.password, user.token)")
	since := fs.String("since", "", "desde / from T")
	until := fs.String("until", "", "hasta / until T")
	limit := fs.Int("limit", 0, "a lo sumo N / at most N")
	asJSON := fs.Bool("json", false, "JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("argumento de más %q / unexpected argument %q", fs.Arg(0), fs.Arg(0))}
	}
	f := schemas.AuditFilter{User: *userName, Limit: *limit}
	var err error
	if *action != "" {
		if f.Action, err = schemas.ParseAuditAction(*action); err != nil {
			return err
		}
	}
	now := time.Now()
	if f.Since, err = parseWhen(*since, now); err != nil {
		return err
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		return err
	}
	st, done, err := connect(ctx, *db, openExisting)
	if err != nil {
		return err
	}
	defer done()
	return writeAudit(ctx, e.stdout, st, f, *asJSON)
}

func writeAudit(ctx context.Context, w io.Writer, audit services, f schemas.AuditFilter, asJSON bool) error {
	log, err := audit.AuditLog(ctx, f)
	if err != nil {
		return err
	}
	return writeList(w, log, asJSON, "fecha (UTC)\tusuario\tentidad\tacción\tobjeto\tdesde\tresultado\tdetalles\n"+
		"time (UTC)\tuser\tentity\taction\ttarget\tfrom\tresult\tdetails", func(a schemas.AuditEntry) string {
		return strings.Join([]string{a.Time.UTC().Format("2006-01-02 15:04:05"), a.User, a.Entity, string(a.Action),
			a.Target, a.From, a.Result, a.Details}, "\t")
	})
}

// parseWhen reads a date, an RFC 3339 time, or a duration back from now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("%q no es una fecha (2026-01-31), una hora RFC 3339 ni una duración (24h) / "+
		"is not a date, an RFC 3339 time or a duration", s)}
}
