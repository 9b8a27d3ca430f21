// Package disclosure is the disclosure-control engine of tipdash: it turns
// the exact tables of a release into the tables a protected tier may see,
// protected together (ProtectRelease). Every count that leaves tipdash at a
// protected tier was published by it. It does no IO; its linear programs
// are solved by COIN-OR CLP.
package disclosure

import "github.com/conatt/tipdash/schemas"

// Rules are the thresholds of a tier. They can be raised, never lowered
// below the tier's minimum (see Check).
type Rules struct {
	Threshold int // counts 1..Threshold-1 are hidden, and no hidden one may be pinned below it
	Round     int // base of the rounding of published counts (0: exact)
	Fold      int // categories with fewer people than this in the release fold into other (0: none)
}

// The minimum rules of the tiers (DESIGN.md, "Protecting people").
const (
	conattThreshold = 5
	publicThreshold = 10
	publicRound     = 5
)

// Minimum returns the minimum rules of a protected tier.
func Minimum(t schemas.Tier) Rules {
	if t == schemas.TierPublic {
		// Public folds as conatt does: a public release that grouped more
		// categories would tell a conatt reader, who reads both, that each
		// of them has fewer than its threshold (and so pin cells the conatt
		// release hides).
		return Rules{Threshold: publicThreshold, Round: publicRound, Fold: conattThreshold}
	}
	return Rules{Threshold: conattThreshold, Fold: conattThreshold}
}

// Check refuses rules looser than the tier's minimum.
func Check(t schemas.Tier, r Rules) error {
	min := Minimum(t)
	if r.Threshold < min.Threshold || r.Round < min.Round || r.Fold < min.Fold || (min.Round > 0 && r.Round%min.Round != 0) {
		return schemas.Refused("loose_rules",
			"los umbrales del nivel %s solo pueden subir: umbral mínimo %d, redondeo %d, agrupación %d",
			"the thresholds of tier %s can only be raised: threshold at least %d, rounding %d, folding %d",
			t, min.Threshold, min.Round, min.Fold)
	}
	return nil
}

// Cell is one combination of codes (one index per dimension) and its count.
type Cell struct {
	Keys  []int
	Count int
}

type key [3]int
