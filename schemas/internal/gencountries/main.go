// Command gencountries writes schemas/countries.json, the ISO 3166-1 list with
// Spanish and English names taken from the CLDR data in golang.org/x/text.
// Run it with `go generate ./schemas` after updating golang.org/x/text.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// notISO are CLDR regions that are not current ISO 3166-1 countries:
// reserved and withdrawn codes, groupings, and Kosovo (no ISO code yet).
var notISO = map[string]bool{}

func init() {
	for _, c := range []string{"AC", "CP", "CQ", "DG", "EA", "IC", "TA", "XK",
		"AN", "FQ", "NQ", "BU", "CT", "DD", "DY", "FX", "HV", "JT", "MI", "NH", "NT", "PC", "PZ", "PU",
		"CS", "SU", "TP", "VD", "WK", "YD", "YU", "ZR", "RH", "UN", "UK", "EZ"} {
		notISO[c] = true
	}
}

type country struct {
	Alpha2 string `json:"alpha2"`
	Alpha3 string `json:"alpha3"`
	ES     string `json:"es"`
	EN     string `json:"en"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencountries OUT.json")
		os.Exit(2)
	}
	es, en := display.Regions(language.Spanish), display.Regions(language.English)
	var out []country
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || notISO[code] || r.String() != code {
				continue
			}
			out = append(out, country{Alpha2: code, Alpha3: r.ISO3(), ES: es.Name(r), EN: en.Name(r)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Alpha3 < out[j].Alpha3 })
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
