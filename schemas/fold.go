package schemas

import (
	"strings"
	"unicode"
)

// accentFold maps accented Latin letters to their base letter, so that
// "Limón", "LIMON" and "limon" compare equal. Spanish and Portuguese letters
// are enough for the sources tipdash reads; others pass through unchanged.
var accentFold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u',
	'ñ': 'n', 'ç': 'c', 'ý': 'y', 'ÿ': 'y',
}

// Fold returns the matching key of a header or value: lower case, accents
// removed, and everything that is not a letter or a digit dropped. "Fem.",
// "fem" and "FEM" fold to the same key; so do "Peñas Blancas" and "penas_blancas".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if f, ok := accentFold[r]; ok {
			r = f
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
