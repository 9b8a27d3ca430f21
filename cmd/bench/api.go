package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/conatt/tipdash/api"
	"github.com/conatt/tipdash/ingest"
	"github.com/conatt/tipdash/schemas"
	"github.com/conatt/tipdash/store"
)

// load runs f from n workers for d and returns each call's latency.
func load(n int, d time.Duration, f func() error) ([]time.Duration, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				t := time.Now()
				if err := f(); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, first
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(p*float64(len(lat))))]
}

// benchAPI serves the database at path with the HTTP API and 16 clients:
// the exact aggregate (with authentication and its audit entry) and a
// catalogue table read from a release, against the same GROUP BY run in
// process on the records view by 2 workers, in the same run.
func benchAPI(path string, records int) error {
	const d = 5 * time.Second
	const view = `SELECT year, sex, count(*) FROM records WHERE role = 'smuggled_migrant' GROUP BY ALL ORDER BY ALL`
	ctx := schemas.WithActor(context.Background(), schemas.Actor{User: "bench", From: "local"})

	raw, err := sql.Open("duckdb", path+"?access_mode=read_only&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		return err
	}
	base, err := load(2, d, func() error {
		rs, err := raw.QueryContext(ctx, view)
		if err != nil {
			return err
		}
		for rs.Next() {
		}
		return rs.Close()
	})
	raw.Close()
	if err != nil {
		return err
	}

	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	tokens := map[string]string{}
	for _, name := range []string{"analyst", "viewer"} {
		role, _ := schemas.ParseUserRole(name)
		entity, _ := schemas.ParseInstitution("oij")
		if _, err := db.AddUser(ctx, schemas.User{Name: "bench-" + name, Role: role, Entity: entity}, store.NewPassword()); err != nil {
			return err
		}
		if tokens[name], err = db.NewToken(ctx, "bench-"+name); err != nil {
			return err
		}
	}
	srv := api.New(api.Services{Users: db, Audit: db, Ingest: ingest.Service{Store: db, Audit: db}, Batches: db, Tables: db,
		Releases: db, Export: db}, api.Options{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	get := func(token, path string) func() error {
		return func() error {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
			}
			return nil
		}
	}
	agg, err := load(16, d, get(tokens["analyst"], "/api/v1/aggregates?measure=smuggled_migrants&by=year,sex"))
	if err != nil {
		return err
	}
	tbl, err := load(16, d, get(tokens["viewer"], "/api/v1/tables/smuggled_migrants_year_sex"))
	if err != nil {
		return err
	}
	rate := func(lat []time.Duration) float64 { return float64(len(lat)) / d.Seconds() }
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	fmt.Printf("\n%-44s %10s %10s %10s %8s\n", fmt.Sprintf("HTTP API, %d records, 16 clients", records), "req/s", "p50", "p99", "ratio")
	fmt.Printf("%-44s %10.0f %8.1fms %8.1fms %8s\n", "baseline: GROUP BY in process, 2 workers", rate(base), ms(pct(base, .5)), ms(pct(base, .99)), "1.00")
	fmt.Printf("%-44s %10.0f %8.1fms %8.1fms %8.2f  (target >= 0.5)\n", "GET /aggregates (exact, auth, audit)", rate(agg), ms(pct(agg, .5)), ms(pct(agg, .99)), rate(agg)/rate(base))
	fmt.Printf("%-44s %10.0f %8.1fms %8.1fms %8.2f  (target >= 2)\n", "GET /tables/{id} (a release lookup)", rate(tbl), ms(pct(tbl, .5)), ms(pct(tbl, .99)), rate(tbl)/rate(base))
	return nil
}
