package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the server may write while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveForTest runs "tipdash serve" in process on a free port and returns
// its address, the socket's client, and a stop that cancels it (as a
// signal would) and returns run's error.
func serveForTest(t *testing.T, db string, flags ...string) (addr string, local *http.Client, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
	}()
	re := regexp.MustCompile(`serving http://(\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s %s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	local = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socketPath(db))
	}}}
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(2 * time.Minute):
				runErr = fmt.Errorf("serve did not stop")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return addr, local, stop
}

// TestServeFinishesUploadsOnShutdown: a signal while an upload is being
// sent stops new work but lets the upload finish and be stored; the
// socket is owner-only and goes away with the server.
func TestServeFinishesUploadsOnShutdown(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	t.Setenv("TIPDASH_SECRET", "a secret for the serve test")
	t.Setenv("TIPDASH_CONATT_EVERY", "0")
	csvPath := filepath.Join(dir, "casos.csv")
	if err := run(context.Background(), []string{"gen", "--n", "3000", "--out", csvPath}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	addr, local, stop := serveForTest(t, db)
	if st, err := os.Stat(socketPath(db)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	// The owner's socket makes an analyst and its token.
	resp, err := local.Post("http://tipdash/api/v1/users", "application/json", strings.NewReader(`{"name":"ana","role":"analyst","entity":"oij"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add user over the socket: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = local.Post("http://tipdash/api/v1/users/ana/tokens", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	// An upload whose body arrives slowly: the server is told to stop
	// half-way through it.
	file, _ := os.ReadFile(csvPath)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	halfway := make(chan struct{})
	go func() {
		fw, _ := mw.CreateFormFile("file", "casos.csv")
		fw.Write(file[:len(file)/2])
		close(halfway)
		time.Sleep(500 * time.Millisecond)
		fw.Write(file[len(file)/2:])
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/batches", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	type result struct {
		code int
		body []byte
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{code: resp.StatusCode, body: b}
	}()
	<-halfway
	time.Sleep(100 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	r := <-res
	if r.err != nil || r.code != http.StatusCreated || !bytes.Contains(r.body, []byte(`"status":"stored"`)) {
		t.Fatalf("the upload in flight: %v %d %.300s", r.err, r.code, r.body)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(socketPath(db)); err == nil {
		t.Error("the socket outlived the server")
	}
	// Stored for good: the file database holds the batch after the server.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"batches", "list", "--db", db, "--json"}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"casos.csv"`) {
		t.Errorf("after the server stopped, batches: %s", out.String())
	}
}
