package disclosure

import (
	"math"
	"testing"
)

func TestLPMin(t *testing.T) {
	// x + y = 5, y - z = 1, all >= 0: min x = 0 (y = 5, z = 4), max x = 4 (y = 1), max z = 4.
	A := [][]float64{{1, 1, 0}, {0, 1, -1}}
	b := []float64{5, 1}
	if v, ok := lpMin(A, b, []float64{1, 0, 0}); !ok || math.Abs(v) > 1e-6 {
		t.Errorf("min x = %v %v, want 0", v, ok)
	}
	if v, ok := lpMin(A, b, []float64{-1, 0, 0}); !ok || math.Abs(v+4) > 1e-6 {
		t.Errorf("max x = %v %v, want 4", -v, ok)
	}
	if v, ok := lpMin(A, b, []float64{0, 0, -1}); !ok || math.Abs(v+4) > 1e-6 {
		t.Errorf("max z = %v %v, want 4", -v, ok)
	}
	// x - y = 0 alone: max x is unbounded.
	if _, ok := lpMin([][]float64{{1, -1}}, []float64{0}, []float64{-1, 0}); ok {
		t.Error("unbounded problem reported bounded")
	}
	// A redundant row (the same equation twice) is fine.
	if v, ok := lpMin([][]float64{{1, 1}, {1, 1}}, []float64{3, 3}, []float64{-1, 0}); !ok || math.Abs(v+3) > 1e-6 {
		t.Errorf("redundant rows: max x = %v %v, want 3", -v, ok)
	}
}
