package disclosure

import "math"

const eps = 1e-9

// lpMin minimises c·y subject to A y = b, y ≥ 0, with the two-phase simplex
// method (dense tableau, Bland's rule: it cannot cycle). It returns the
// minimum and ok; ok is false when the problem is unbounded below (or, which
// cannot happen for an audit of true counts, infeasible).
func lpMin(A [][]float64, b, c []float64) (float64, bool) {
	m, n := len(A), len(c)
	// Tableau: m constraint rows, then the objective row; columns: n
	// variables, m artificials, right-hand side.
	w := n + m + 1
	t := make([][]float64, m+1)
	for i := range m {
		t[i] = make([]float64, w)
		sign := 1.0
		if b[i] < 0 {
			sign = -1
		}
		for j := range n {
			t[i][j] = sign * A[i][j]
		}
		t[i][n+i] = 1
		t[i][w-1] = sign * b[i]
	}
	basis := make([]int, m)
	for i := range m {
		basis[i] = n + i
	}
	// Phase 1: minimise the sum of the artificials.
	t[m] = make([]float64, w)
	for i := range m {
		for j := 0; j < w; j++ {
			if j < n || j == w-1 {
				t[m][j] -= t[i][j]
			}
		}
	}
	if !simplex(t, basis, n+m) {
		return 0, false
	}
	if -t[m][w-1] > 1e-7 {
		return 0, false // infeasible
	}
	// Drive the artificials out of the basis; rows where that is
	// impossible are redundant and are dropped.
	keep := make([]bool, m)
	for i := range m {
		keep[i] = true
		if basis[i] < n {
			continue
		}
		pivoted := false
		for j := range n {
			if math.Abs(t[i][j]) > eps {
				pivot(t, basis, i, j)
				pivoted = true
				break
			}
		}
		if !pivoted {
			keep[i] = false
		}
	}
	// Phase 2: the real objective, artificials barred.
	for j := range t[m] {
		t[m][j] = 0
	}
	for j := range n {
		t[m][j] = c[j]
	}
	for i := range m {
		if keep[i] && basis[i] < n && c[basis[i]] != 0 {
			f := c[basis[i]]
			for j := range w {
				t[m][j] -= f * t[i][j]
			}
		}
	}
	for i := range m {
		if !keep[i] {
			for j := range w {
				t[i][j] = 0
			}
		}
	}
	if !simplex(t, basis, n) {
		return 0, false // unbounded
	}
	return -t[m][w-1], true
}

// simplex pivots until no column among the first cols improves the
// objective row; false means unbounded.
func simplex(t [][]float64, basis []int, cols int) bool {
	m := len(t) - 1
	w := len(t[0])
	for iter := 0; iter < 50000; iter++ {
		col := -1
		for j := 0; j < cols; j++ {
			if t[m][j] < -eps {
				col = j // Bland: the lowest index
				break
			}
		}
		if col < 0 {
			return true
		}
		row := -1
		best := math.Inf(1)
		for i := 0; i < m; i++ {
			if t[i][col] > eps {
				r := t[i][w-1] / t[i][col]
				if r < best-eps || (math.Abs(r-best) <= eps && row >= 0 && basis[i] < basis[row]) {
					best, row = r, i
				}
			}
		}
		if row < 0 {
			return false
		}
		pivot(t, basis, row, col)
	}
	return false // too many pivots: report no bound, which the audit reads as "not pinned"
}

func pivot(t [][]float64, basis []int, row, col int) {
	p := t[row][col]
	for j := range t[row] {
		t[row][j] /= p
	}
	for i := range t {
		if i != row && math.Abs(t[i][col]) > eps {
			f := t[i][col]
			for j := range t[i] {
				t[i][j] -= f * t[row][j]
			}
		}
	}
	basis[row] = col
}
