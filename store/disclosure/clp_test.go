package disclosure

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/conatt/tipdash/store/disclosure/internal/mip"
)

// glpkOf is lp in GLPK: its rows, row bounds and column bounds.
func glpkOf(lp *program) *mip.LP {
	hi := make([]float64, lp.cols)
	for j, h := range lp.colHi {
		hi[j] = math.Inf(1)
		if h < infinity {
			hi[j] = float64(h)
		}
	}
	rows := make([]mip.Row, lp.rows())
	for i := range rows {
		r := mip.Row{Lo: math.Inf(-1), Hi: math.Inf(1)}
		for k := lp.start[i]; k < lp.start[i+1]; k++ {
			r.Cols, r.Coef = append(r.Cols, int(lp.idx[k])), append(r.Coef, float64(lp.val[k]))
		}
		if lp.lo[i] > -infinity {
			r.Lo = float64(lp.lo[i])
		}
		if lp.hi[i] < infinity {
			r.Hi = float64(lp.hi[i])
		}
		rows[i] = r
	}
	return mip.New(hi, rows)
}

// attacker reads the bounds of a sum off a program by two independent
// solvers, the engine's (CLP) and GLPK, and keeps the tighter: a fault of
// one solver that the engine relied on still shows as a pin. It rebuilds
// GLPK's copy when the program changed.
type attacker struct {
	lp    *program
	g     *mip.LP
	edits int
}

func (a *attacker) glpk() *mip.LP {
	if a.g == nil || a.edits != a.lp.edits {
		a.free()
		a.g, a.edits = glpkOf(a.lp), a.lp.edits
	}
	return a.g
}

func (a *attacker) free() {
	if a.g != nil {
		a.g.Free()
		a.g = nil
	}
}

// maximize is the lower of the two solvers' largest sums; ok when either
// found one.
func (a *attacker) maximize(cols []int) (float64, bool) {
	v, ok := a.lp.maximize(cols)
	if w, okG := a.glpk().Maximize(cols); okG && (!ok || w < v) {
		v, ok = w, true
	}
	return v, ok
}

// minimize is the higher of the two solvers' least sums.
func (a *attacker) minimize(cols []int) (float64, bool) {
	v, ok := a.lp.minimize(cols)
	if w, okG := a.glpk().Minimize(cols); okG && (!ok || w > v) {
		v, ok = w, true
	}
	return v, ok
}

// The solver's answers on programs small enough to work out by hand: the
// largest and least sums, which bound limits them (dual values), an
// unbounded sum, an infeasible program, bounds changed after a solve, a
// column fixed at zero and a row added after a solve.
func TestProgramByHand(t *testing.T) {
	lp := newProgram(3)
	defer lp.free()
	pair := lp.addRow([]int{0, 1}, []float64{1, 1}, between(4, 10)) // 4 <= x0 + x1 <= 10
	cap1 := lp.addRow([]int{1}, []float64{1}, between(0, 3))        // x1 <= 3
	sum := lp.addRow([]int{0, 2}, []float64{1, 1}, exactly(5))      // x0 + x2 = 5
	floor2 := lp.addRow([]int{2}, []float64{1}, atLeast(1))         // x2 >= 1
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-6 }

	if v, ok := lp.maximize([]int{0}); !ok || !near(v, 4) {
		t.Fatalf("max x0 = %v (ok %v), want 4", v, ok)
	}
	if d := lp.dual(floor2); d >= 0 {
		t.Errorf("max x0: the lower bound x2 >= 1 binds, dual %v, want negative", d)
	}
	if v, ok := lp.maximize([]int{1}); !ok || !near(v, 3) {
		t.Fatalf("max x1 = %v (ok %v), want 3", v, ok)
	}
	if d := lp.dual(pair); d != 0 {
		t.Errorf("max x1: 4 <= x0 + x1 <= 10 does not bind, dual %v", d)
	}
	if d := lp.dual(cap1); d <= 0 {
		t.Errorf("max x1: the upper bound x1 <= 3 binds, dual %v, want positive", d)
	}
	if got := lp.rowValue(sum); !near(got, 5) {
		t.Errorf("row x0 + x2 in the last solution: %v, want 5", got)
	}
	if v, ok := lp.minimize([]int{1}); !ok || !near(v, 0) {
		t.Errorf("min x1 = %v (ok %v), want 0", v, ok)
	}
	lp.setBound(cap1, between(0, 2))
	if v, ok := lp.maximize([]int{1}); !ok || !near(v, 2) {
		t.Errorf("max x1 after its cap fell to 2: %v (ok %v)", v, ok)
	}
	lp.setBound(sum, unbounded())
	if v, ok := lp.maximize([]int{2}); !ok || !math.IsInf(v, 1) {
		t.Errorf("max x2 with nothing above it: %v (ok %v), want +Inf", v, ok)
	}
	lp.fixZero(2)
	if v, ok := lp.maximize([]int{2}); ok {
		t.Errorf("max x2 fixed at zero against x2 >= 1: %v, ok; want no optimum", v)
	}
	if ok, decided := lp.feasible(); ok || !decided {
		t.Errorf("x2 fixed at zero against x2 >= 1: feasible %v, decided %v; want infeasible", ok, decided)
	}
	lp.setBound(floor2, unbounded())
	if v, ok := lp.maximize([]int{2}); !ok || !near(v, 0) {
		t.Errorf("max x2 fixed at zero: %v (ok %v), want 0", v, ok)
	}
	late := lp.addRow([]int{0}, []float64{1}, atLeast(3)) // x0 >= 3, after solves
	if v, ok := lp.minimize([]int{0}); !ok || !near(v, 3) {
		t.Errorf("min x0 with a row added after solves: %v (ok %v), want 3", v, ok)
	}
	if got := lp.rowValue(late); !near(got, 3) {
		t.Errorf("added row's value %v, want 3", got)
	}
	if got := lp.rowValue(pair); got < 4-1e-6 || got > 10+1e-6 {
		t.Errorf("x0 + x1 = %v, want 4 to 10", got)
	}
}

// A solve from the last basis and one from scratch (presolve, then the dual
// simplex) agree on random programs of the engine's shape (cells as sums of
// columns, some exact, some bounded, objectives of a few columns), and
// with GLPK.
func TestWarmAndColdSolvesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	for trial := range 40 {
		cols := 8 + rng.IntN(30)
		truth := make([]float64, cols)
		for j := range truth {
			truth[j] = float64(rng.IntN(4))
		}
		warm, cold := newProgram(cols), newProgram(cols)
		cold.warm = 0
		for range cols / 2 {
			var rc []int
			for j := range cols {
				if rng.IntN(4) == 0 {
					rc = append(rc, j)
				}
			}
			if len(rc) == 0 {
				continue
			}
			v := 0.0
			for _, j := range rc {
				v += truth[j]
			}
			b := exactly(v)
			switch rng.IntN(3) {
			case 1:
				b = between(max(v-2, 0), v+2)
			case 2:
				b = atLeast(v)
			}
			warm.addRow(rc, ones(len(rc)), b)
			cold.addRow(rc, ones(len(rc)), b)
		}
		g := glpkOf(warm)
		for range 6 {
			obj := []int{rng.IntN(cols), rng.IntN(cols)}
			if obj[0] == obj[1] {
				obj = obj[:1]
			}
			a, okA := warm.maximize(obj)
			b, okB := cold.maximize(obj)
			if !okA || !okB || a != b && math.Abs(a-b) > 1e-6 {
				t.Fatalf("trial %d, max %v: from the last basis %v (ok %v), from scratch %v (ok %v)", trial, obj, a, okA, b, okB)
			}
			if c, ok := g.Maximize(obj); !ok || math.Abs(a-c) > 1e-6 {
				t.Fatalf("trial %d, max %v: CLP %v, GLPK %v (ok %v)", trial, obj, a, c, ok)
			}
			truthSum := 0.0
			for _, j := range obj {
				truthSum += truth[j]
			}
			if a < truthSum-1e-6 {
				t.Fatalf("trial %d: max %v = %v, below the true %v", trial, obj, a, truthSum)
			}
		}
		g.Free()
		warm.free()
		cold.free()
	}
}

// relax moves a held row off its bound by the least the goal needs, and
// says when no move of the rows given reaches it.
func TestRelax(t *testing.T) {
	lp := newProgram(2)
	defer lp.free()
	a := lp.addRow([]int{0}, []float64{1}, exactly(1))          // x0 = 1
	b := lp.addRow([]int{0, 1}, []float64{1, 1}, between(0, 6)) // x0 + x1 <= 6
	moved, feasible, ok := lp.relax([]int{0}, 4, []int{a, b}, []float64{1, 6}, []float64{1, 100})
	if !ok || !feasible || math.Abs(moved[0]-3) > 1e-6 || moved[1] > 1e-6 {
		t.Errorf("x0 to 4 from x0 = 1: moved %v (feasible %v, ok %v), want [3 0]", moved, feasible, ok)
	}
	moved, feasible, ok = lp.relax([]int{0}, 8, []int{a, b}, []float64{1, 6}, []float64{1, 100})
	if !ok || !feasible || math.Abs(moved[0]-7) > 1e-6 || math.Abs(moved[1]-2) > 1e-6 {
		t.Errorf("x0 to 8: moved %v (feasible %v, ok %v), want [7 2]", moved, feasible, ok)
	}
	_, feasible, ok = lp.relax([]int{0}, 4, []int{b}, []float64{6}, nil)
	if !ok || feasible {
		t.Errorf("x0 to 4 with x0 = 1 held: feasible %v (ok %v), want no way", feasible, ok)
	}
}
