package schemas

import (
	"encoding/hex"
	"iter"
	"math/bits"
)

// Country is a position in the country code list (ISO 3166-1 alpha-3, then
// UNK for unknown and XXA for stateless).
type Country uint16

func (v Country) String() string { return codeString(namesCountry, DimCitizenship, v) }

// ParseCountry parses an ISO 3166-1 alpha-3 code, UNK or XXA.
func ParseCountry(s string) (Country, error) { return parseCode[Country](DimCitizenship, s) }

// CountryUnknown is the code UNK.
var CountryUnknown = Country(mustIndex(DimCitizenship, "UNK"))

// Key is a keyed hash (HMAC-SHA256, first 16 bytes) of a person or case id.
// The raw id never enters the database. The zero Key means "no id".
type Key [16]byte

// IsZero reports whether k is the zero Key.
func (k Key) IsZero() bool { return k == Key{} }

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Record is one person (victim, smuggled migrant or suspect) as tipdash
// stores it: every dimension set, "unknown" where the source said nothing.
type Record struct {
	Row       int // row number in the source file (1 = header)
	PersonKey Key
	CaseKey   Key

	Role    Role
	Offence Offence
	Year    int // reference year, always set
	Month   int // 1-12, 0 when only the year is known
	Day     int // 1-31, 0 when unknown

	Sex                  Sex
	GenderIdentity       GenderIdentity
	Age                  int // exact age in years, -1 when unknown
	AgeGroup             AgeGroup
	Citizenship          Country
	CountryExploitation  Country
	Province             Province
	BorderPost           BorderPost
	Status               Status
	CJStage              CJStage
	MigrationStatus      MigrationStatus
	ReferringInstitution Institution
	ReportingEntity      Institution
	Sector               Sector
	Exploitation         Set[Exploitation] // never empty: {unknown} when nothing is known
	Recruitment          Set[Recruitment]  // never empty

	// Derived from the fields above by classify.Derive.
	AgeBand          AgeBand
	SexAge           SexAge
	ExploitationMain ExploitationMain
	ICCS             ICCS
	Flow             Flow
}

// Set is a set of codes of a multi-valued dimension, as a bit mask: a record
// carries its forms of exploitation without an allocation.
type Set[T ~uint8] uint32

// SetOf returns the set of the given codes.
func SetOf[T ~uint8](codes ...T) Set[T] {
	var s Set[T]
	for _, c := range codes {
		s = s.Add(c)
	}
	return s
}

// Add returns s with c.
func (s Set[T]) Add(c T) Set[T] { return s | 1<<c }

// Has reports whether c is in s.
func (s Set[T]) Has(c T) bool { return s&(1<<c) != 0 }

// Len is the number of codes in s.
func (s Set[T]) Len() int { return bits.OnesCount32(uint32(s)) }

// All yields the codes in code-list order.
func (s Set[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for x := uint32(s); x != 0; x &= x - 1 {
			if !yield(T(bits.TrailingZeros32(x))) {
				return
			}
		}
	}
}
