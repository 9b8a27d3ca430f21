package schemas

import (
	"unicode"
	"unicode/utf8"
)

// foldTable maps the Latin-1 letters to their lower-case base letter, and
// everything that is not a letter or digit to 0 (dropped).
var foldTable = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	for base, accented := range map[byte]string{
		'a': "áàâäãåÁÀÂÄÃÅ", 'e': "éèêëÉÈÊË", 'i': "íìîïÍÌÎÏ", 'o': "óòôöõÓÒÔÖÕ",
		'u': "úùûüÚÙÛÜ", 'n': "ñÑ", 'c': "çÇ", 'y': "ýÿÝ",
	} {
		for _, r := range accented {
			t[r] = base
		}
	}
	return t
}()

// Fold returns the matching key of a header or value: lower case, accents
// removed, and everything that is not a letter or a digit dropped. "Fem.",
// "fem" and "FEM" fold to the same key; so do "Peñas Blancas" and "penas_blancas".
func Fold(s string) string {
	return string(AppendFold(make([]byte, 0, len(s)), s))
}

// AppendFold appends the folded form of s to dst (see Fold).
func AppendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if f := foldTable[c]; f != 0 {
				dst = append(dst, f)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r < 256 && foldTable[r] != 0:
			dst = append(dst, foldTable[r])
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}
