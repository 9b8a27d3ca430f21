// Package schemas is the vocabulary of tipdash: the normalised case record,
// the closed-set code types of codelist v1 with their Spanish and English
// labels, the aggregate query and result types, the error vocabulary, and the
// embedded data files (code lists, mapping profiles) that other packages read.
//
// It imports the standard library only.
package schemas

//go:generate go run ./internal/gencountries countries.json
