package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/conatt/tipdash/schemas"
)

// A column the profile does not know is read by its values when they are
// codes of one dimension; otherwise the closest dimensions are suggested.
func TestUnknownColumnInferred(t *testing.T) {
	var b strings.Builder
	b.WriteString("ID persona,Rol,Fecha,Situación,Lugar,Comentario libre\n")
	states := []string{"acreditada", "presunta", "Acreditada", "no acreditada"}
	places := []string{"Limón", "NIC", "Guanacaste", "COL", "San José"}
	for i := range 40 {
		state := states[i%len(states)]
		if i == 7 {
			state = "en revisión"
		}
		b.WriteString("P-" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ",víctima,2024-01-15," + state + "," + places[i%len(places)] + ",texto\n")
	}
	rep, err := File(context.Background(), newMemSink(), writeFile(t, "situacion.csv", []byte(b.String())), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range rep.RowWarnings {
		got = append(got, w.Code+" "+w.Column+": "+w.Msg.EN)
	}
	t.Log(strings.Join(got, "\n"))
	if len(rep.RowWarnings) != 2 || rep.RowWarnings[0].Code != "column_inferred" || !strings.Contains(rep.RowWarnings[0].Msg.EN, "read as status: 97% of its values are status codes") {
		t.Fatalf("warnings: %s", got)
	}
	if w := rep.RowWarnings[1]; w.Code != "column_suggestion" || w.Column != "Lugar" || !strings.Contains(w.Msg.EN, "province (60%)") || !strings.Contains(w.Msg.EN, "citizenship (40%)") {
		t.Errorf("suggestion: %+v", w)
	}
	for _, c := range rep.Columns {
		if c.Header == "Situación" && (c.Action != schemas.ColumnMapped || c.Field != "status") {
			t.Errorf("Situación: %+v", c)
		}
	}
	if rep.Warnings[0].Column != "Situación" || rep.Warnings[0].Count != 1 {
		t.Errorf("the value it did not know is listed: %+v", rep.Warnings)
	}
}

// In JSON Lines the inferred column stays read when later objects bring
// new keys, in the sampled rows and after them.
func TestUnknownKeyInferredJSONL(t *testing.T) {
	var b strings.Builder
	for i := range 1200 {
		extra := ""
		if i == 3 || i == 800 {
			extra = fmt.Sprintf(`,"nuevo%d":"x"`, i)
		}
		fmt.Fprintf(&b, `{"ID persona":"P-%d","Rol":"víctima","Fecha":"2024-01-15","Situación":"acreditada"%s}`+"\n", i, extra)
	}
	sink := newMemSink()
	rep, err := File(context.Background(), sink, writeFile(t, "situacion.jsonl", []byte(b.String())), opts(t, "eri"))
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, rep, 1200, 0)
	accredited := 0
	for _, r := range sink.records {
		if r.Status.String() == "accredited" {
			accredited++
		}
	}
	if accredited != 1200 || len(rep.RowWarnings) != 1 || rep.RowWarnings[0].Code != "column_inferred" {
		t.Errorf("%d of 1200 read as accredited; warnings %+v", accredited, rep.RowWarnings)
	}
}
