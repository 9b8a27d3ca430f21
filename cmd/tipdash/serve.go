package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/conatt/tipdash/api"
	"github.com/conatt/tipdash/dashboard"
	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// The wiring, checked when compiling: the store (with ingest for files)
// implements every service the server and the command line use.
var (
	_ schemas.UserService    = (*store.DB)(nil)
	_ schemas.AuditService   = (*store.DB)(nil)
	_ schemas.BatchService   = (*store.DB)(nil)
	_ schemas.TableService   = (*store.DB)(nil)
	_ schemas.ReleaseService = (*store.DB)(nil)
	_ schemas.ExportService  = (*store.DB)(nil)
	_ schemas.IngestService  = ingest.Service{}
)

const serveUsage = `serve [--db PATH] [--addr HOST:PORT] [--demo] [--insecure-cookies] [--max-upload MB] [--public=false]

  Sirve la API (/api/v1), el inicio de sesión y el tablero. Mientras corre, es el único que escribe en la
  base de datos: las demás órdenes de tipdash pasan por él (por el socket PATH.sock, solo de su dueño).
  Serves the API (/api/v1), sign-in and the dashboard. While it runs it is the database's one writer:
  other tipdash commands go through it (over the socket PATH.sock, its owner's only).

  --demo: una base de demostración con volúmenes como los de Costa Rica, una publicación conatt y una
  public aprobada, y una cuenta por rol (las contraseñas se imprimen al empezar) /
  a demo database with Costa Rica-like volumes, a conatt and an approved public release, and one
  account per role (passwords printed at start).`

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := e.flags("serve", serveUsage)
	db := dbFlag(fs)
	addr := fs.String("addr", envOr("TIPDASH_ADDR", "127.0.0.1:8080"), "dirección HTTP / HTTP address ($TIPDASH_ADDR)")
	demo := fs.Bool("demo", false, "base de demostración / demo database")
	insecure := fs.Bool("insecure-cookies", os.Getenv("TIPDASH_INSECURE_COOKIES") == "true",
		"cookie de sesión sin Secure, para HTTP sin TLS fuera de localhost / session cookie without Secure, for plain HTTP beyond localhost")
	maxUpload := fs.Int64("max-upload", 200, "tamaño máximo de un archivo cargado, MB / largest upload, MB")
	public := fs.Bool("public", true, "servir /public sin sesión (la última publicación public aprobada) / serve /public without sign-in (the latest approved public release)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	path := *db
	if *demo && !fs.Changed("db") {
		dir, err := os.MkdirTemp("", "tipdash-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "demo.duckdb")
	}
	every, err := conattEvery()
	if err != nil {
		return err
	}
	opt, err := protection()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, path, opt)
	if err != nil {
		return err
	}
	defer st.Close()
	if *demo {
		if err := makeDemo(ctx, e, st, path); err != nil {
			return err
		}
	}
	ing := ingest.Service{Store: st, Audit: st, Slots: make(chan struct{}, 2)}
	pages := dashboard.New(dashboard.Services{Tables: st, Releases: st, Batches: st, Ingest: ing}, dashboard.Options{Public: *public})
	services := api.Services{Users: st, Audit: st, Ingest: ing, Batches: st, Tables: st, Releases: st, Export: st}
	srv := api.New(services, api.Options{MaxUpload: *maxUpload << 20, InsecureCookies: *insecure, Logger: log, Pages: pages})
	// The owner's socket takes any file "tipdash ingest" would take
	// without a server: --max-upload guards the network, not the owner.
	local := api.New(services, api.Options{MaxUpload: 1 << 40, Logger: log})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	sock, err := listenSocket(path)
	if err != nil {
		ln.Close()
		return err
	}
	defer os.Remove(socketPath(path))
	servers := []*http.Server{
		{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Minute,
			WriteTimeout: 15 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
		{Handler: local.Local(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
	}
	fmt.Fprintf(e.stdout, "tipdash: sirviendo / serving http://%s (base de datos / database %s)\n", ln.Addr(), path)
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(ln) }()
	go func() { errc <- servers[1].Serve(sock) }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		scheduleConatt(ctx, st, every, log)
	}()

	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	// Uploads and releases in flight finish (up to 10 minutes); new
	// connections are refused at once.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	for _, s := range servers {
		if serr := s.Shutdown(shutdownCtx); serr != nil && err == nil {
			err = serr
		}
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	fmt.Fprintln(e.stdout, "tipdash: servidor detenido / server stopped")
	return err
}

// socketPath is the Unix socket beside the database through which the
// command line reaches a running server.
func socketPath(db string) string { return db + ".sock" }

// listenSocket opens the socket, readable and writable by its owner only.
// A socket left by a server that died is replaced; one a live server
// answers on is not.
func listenSocket(db string) (net.Listener, error) {
	p := socketPath(db)
	if abs, err := filepath.Abs(p); err == nil && len(abs) > 100 {
		// sockaddr_un holds about 104 bytes of path.
		return nil, fmt.Errorf("la ruta del socket %s es demasiado larga para el sistema (más de 100 caracteres): use una base de datos en una carpeta de ruta más corta / "+
			"the socket path %s is too long for the system (over 100 characters): use a database in a folder with a shorter path", abs, abs)
	}
	if c, err := net.DialTimeout("unix", p, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("otro servidor ya sirve %s / another server already serves %s", db, db)
	}
	os.Remove(p)
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", p)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// scheduleConatt publishes a conatt release when none was made in every
// (0: never), checking hourly.
func scheduleConatt(ctx context.Context, st *store.DB, every time.Duration, log *slog.Logger) {
	if every == 0 {
		return
	}
	ctx = schemas.WithActor(ctx, schemas.Actor{User: "scheduler", From: "local"})
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		rep, _, err := publishIfDue(ctx, st, every, "")
		if rep != nil {
			log.Info("scheduled conatt release", slog.Int64("release", rep.ID))
		}
		if err != nil && ctx.Err() == nil {
			log.Error("scheduled conatt release", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// makeDemo fills a database with synthetic data at Costa Rica's volumes
// (about 40 victims a year beside about 1,900 smuggled migrants), publishes
// a conatt and an approved public release, and makes one account per role,
// printing their passwords.
func makeDemo(ctx context.Context, e *env, st *store.DB, path string) error {
	ctx = schemas.WithActor(ctx, schemas.Actor{User: "demo", From: "local"})
	csvPath := path + ".demo.csv"
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	defer os.Remove(csvPath)
	err = ingest.Generate(f, ingest.GenOptions{N: 14000, Seed: 1, Roles: [3]int{2, 95, 3}})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	profile, err := schemas.BuiltinProfile("eri")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "tipdash: base de demostración: cargando datos sintéticos y publicando / demo database: loading synthetic data and publishing")
	svc := ingest.Service{Store: st, Audit: st}
	if _, err := svc.Ingest(ctx, schemas.IngestRequest{Path: csvPath, Name: "demo.csv", Profile: profile, Entity: "oij", Uploader: "demo"}); err != nil {
		return err
	}
	if _, err := st.PublishRelease(ctx, schemas.TierConatt, "demostración / demo", time.Now()); err != nil {
		return err
	}
	rep, err := st.PublishRelease(ctx, schemas.TierPublic, "demostración / demo", time.Now())
	if err != nil {
		return err
	}
	if err := st.ApproveRelease(ctx, rep.ID, time.Now()); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "tipdash: cuentas de demostración / demo accounts:")
	for _, role := range []string{"admin", "analyst", "viewer", "researcher"} {
		r, err := schemas.ParseUserRole(role)
		if err != nil {
			return err
		}
		entity, _ := schemas.ParseInstitution("oij")
		password := store.NewPassword()
		if _, err := st.AddUser(ctx, schemas.User{Name: role, Role: r, Entity: entity}, password); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "  %-11s %s\n", role, password)
	}
	return nil
}
