package classify

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/conatt/tipdash/schemas"
)

// Date is a reference or birth date; Month and Day are 0 when the source
// gave only a year (or a month and a year).
type Date struct {
	Year, Month, Day int
}

// IsFull reports whether year, month and day are all known.
func (d Date) IsFull() bool { return d.Month > 0 && d.Day > 0 }

// ParseDate reads the dates ERI spreadsheets carry: dd/mm/yyyy (also with
// "-" or "."), yyyy-mm-dd (with an optional time), mm/yyyy, a bare year,
// and Excel serial day numbers (XLSX raw cells). Two-digit years are read
// as 19xx or 20xx, whichever is not in the future of pivot.
func ParseDate(raw string, pivot int) (Date, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Date{}, false
	}
	if i := strings.IndexAny(s, "T "); i > 0 && strings.Count(s[:i], "-") == 2 {
		s = s[:i] // ISO date with a time part
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-/") {
		if n == math.Trunc(n) && n >= 1900 && n <= 2200 && len(s) == 4 {
			return Date{Year: int(n)}, true
		}
		return excelSerial(n)
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	nums := make([]int, 0, 3)
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return Date{}, false
		}
		nums = append(nums, n)
	}
	var d Date
	switch {
	case len(nums) == 3 && len(strings.TrimSpace(parts[0])) == 4:
		d = Date{Year: nums[0], Month: nums[1], Day: nums[2]}
	case len(nums) == 3:
		d = Date{Year: fullYear(nums[2], len(strings.TrimSpace(parts[2])), pivot), Month: nums[1], Day: nums[0]}
	case len(nums) == 2 && len(strings.TrimSpace(parts[1])) == 4:
		d = Date{Year: nums[1], Month: nums[0]}
	case len(nums) == 2 && len(strings.TrimSpace(parts[0])) == 4:
		d = Date{Year: nums[0], Month: nums[1]}
	default:
		return Date{}, false
	}
	return d, d.valid()
}

func fullYear(y, digits, pivot int) int {
	if digits != 2 {
		return y
	}
	if 2000+y <= pivot {
		return 2000 + y
	}
	return 1900 + y
}

func (d Date) valid() bool {
	if d.Year < 1900 || d.Year > 2200 || d.Month < 0 || d.Month > 12 {
		return false
	}
	if d.Day == 0 {
		return true
	}
	if d.Month == 0 {
		return false
	}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return t.Day() == d.Day
}

// excelSerial converts an Excel day number (1900 date system, with Excel's
// phantom 29 February 1900) between 1950 and 2100.
func excelSerial(n float64) (Date, bool) {
	if n < 18264 || n > 73415 {
		return Date{}, false
	}
	t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n))
	return Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, true
}

// AgeAt returns the age in whole years on date ref of a person born on
// birth, when both are full dates.
func AgeAt(birth, ref Date) (int, bool) {
	if !birth.IsFull() || !ref.IsFull() {
		return 0, false
	}
	age := ref.Year - birth.Year
	if ref.Month < birth.Month || (ref.Month == birth.Month && ref.Day < birth.Day) {
		age--
	}
	return age, age >= 0 && age <= 120
}

// ParseAge reads an exact age: "15", "15.0", "15 años", "15 anos", "15a".
// Words like "menor de edad" are not ages: the age_group lookup reads them.
func ParseAge(raw string) (int, bool) {
	s := strings.TrimSpace(raw)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	if end == 0 {
		return 0, false
	}
	rest := schemas.Fold(s[end:])
	switch rest {
	case "", "anos", "ano", "a", "years", "yrs", "y", "yo":
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > 120 {
		return 0, false
	}
	return int(f), true
}
