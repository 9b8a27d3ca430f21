package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/conatt/tipdash/schemas"
)

// cmdTables lists the catalogue: the only tables the protected tiers publish.
func cmdTables(_ context.Context, e *env, args []string) error {
	fs := e.flags("tables", "tables [--tier conatt|public] [--format text|json]")
	tierName := fs.String("tier", "conatt", "conatt o public")
	format := fs.String("format", "text", "text o json")
	if err := parse(fs, args); err != nil {
		return err
	}
	tier, err := schemas.ParseTier(*tierName)
	if err != nil {
		return err
	}
	if tier == schemas.TierAdmin {
		return usageError{"el nivel admin responde cualquier consulta exacta («tipdash query»); el catálogo es de conatt y public / tier admin answers any exact query (\"tipdash query\"); the catalogue belongs to conatt and public"}
	}
	specs := schemas.Tables().ForTier(tier)
	switch *format {
	case "json":
		type entry struct {
			ID      string                   `json:"id"`
			Measure schemas.Measure          `json:"measure"`
			By      []schemas.Dim            `json:"by"`
			Where   map[schemas.Dim][]string `json:"where,omitempty"`
			Years   string                   `json:"years,omitempty"` // "complete": the years before the year in progress
			Chart   string                   `json:"chart"`
			TitleES string                   `json:"title_es"`
			TitleEN string                   `json:"title_en"`
			NoteES  string                   `json:"note_es,omitempty"`
			NoteEN  string                   `json:"note_en,omitempty"`
		}
		out := make([]entry, 0, len(specs))
		for _, s := range specs {
			by := s.By
			if by == nil {
				by = []schemas.Dim{}
			}
			out = append(out, entry{s.ID, s.Measure, by, s.WhereJS, s.Years, s.Chart, s.TitleES, s.TitleEN, s.NoteES, s.NoteEN})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "text":
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "tabla / table\tmedida / measure\tpor / by\ttítulo\ttitle\n")
		for _, s := range specs {
			by := make([]string, len(s.By))
			for i, d := range s.By {
				by[i] = string(d)
			}
			es, en := s.TitleES, s.TitleEN
			if s.CompleteYears() {
				es, en = es+" (años completos)", en+" (complete years)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Measure, strings.Join(by, ","), es, en)
		}
		return tw.Flush()
	}
	return usageError{"--format: text o json"}
}
