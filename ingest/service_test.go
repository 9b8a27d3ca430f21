package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// TestServiceSlots: with every slot taken, a file waits (and gives up with
// its caller); once one is free, it is read.
func TestServiceSlots(t *testing.T) {
	path := writeFile(t, "casos.csv", []byte("ID persona,Rol,Fecha,Sexo\nP-1,víctima,15/03/2024,F\n"))
	profile, err := schemas.BuiltinProfile("eri")
	if err != nil {
		t.Fatal(err)
	}
	svc := Service{Slots: make(chan struct{}, 1)}
	req := schemas.IngestRequest{Path: path, Profile: profile, Entity: "oij", DryRun: true}
	svc.Slots <- struct{}{} // another file is being read
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := svc.Ingest(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with no slot free: %v, want it to wait until its caller gives up", err)
	}
	<-svc.Slots
	rep, err := svc.Ingest(context.Background(), req)
	if err != nil || rep.Rows != 1 {
		t.Fatalf("with a slot free: %v %+v", err, rep)
	}
	if len(svc.Slots) != 0 {
		t.Error("the slot was not given back")
	}
}
