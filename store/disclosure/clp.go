package disclosure

// #cgo LDFLAGS: -lClp -lCoinUtils
// #include <coin/Clp_C_Interface.h>
// #include <stdlib.h>
//
// /* warm solves the model from its last basis by the primal simplex, for
//    at most limit pivots; cold from scratch: presolve, then the dual
//    simplex. Both return Clp_status: 0 optimal, 1 infeasible, 2
//    unbounded, 3 a limit, 4 errors. */
// static int warm(Clp_Simplex *m, int limit) {
//     Clp_setMaximumIterations(m, limit);
//     Clp_primal(m, 0);
//     return Clp_status(m);
// }
// static int cold(Clp_Simplex *m, int limit) {
//     Clp_setMaximumIterations(m, limit);
//     Clp_initialSolve(m);
//     return Clp_status(m);
// }
//
// /* unbounded confirms a presolved "unbounded": the primal simplex,
//    without presolve, from the basis left. */
// static int unbounded(Clp_Simplex *m, int cold) {
//     Clp_setMaximumIterations(m, cold);
//     Clp_primal(m, 0);
//     return Clp_status(m) == 2;
// }
import "C"

import (
	"math"
	"unsafe"
)

// program is a linear program over non-negative variables, solved by the
// simplex method of COIN-OR CLP (Debian's coinor-libclp-dev). The engine
// keeps one per measure and changes its objective and bounds between
// solves. The rows, bounds and objective live here, in Go; CLP's model is
// brought up to date before each solve.
//
// Each solve starts from the last basis by the primal simplex and, when
// that takes more than warmIterations pivots, solves again from scratch
// with CLP's presolve and the dual simplex. On the program of a year's
// move (2,067 rows, 22,850 columns, 515,753 non-zeros) a solve from the
// last basis took ~1,000 degenerate pivots, about 1 s by GLPK; from
// scratch after presolve it takes 0.1-0.7 s, while most solves of a
// month's release need a few dozen pivots from the last basis.
type program struct {
	m    unsafe.Pointer // CLP's model (Clp_Simplex)
	cols int
	// The rows, row-major: row i is idx[start[i]:start[i+1]] with
	// coefficients val, its sum between lo[i] and hi[i]. loaded rows are
	// in CLP's model already.
	start  []int
	idx    []C.int
	val    []C.double
	lo, hi []C.double
	loaded int
	colHi  []C.double // the columns' upper bounds (0: fixed at zero)
	objc   []C.double // the objective's coefficients
	minim  bool       // minimise rather than maximise
	// What changed since CLP's model was brought up to date.
	dirtyRows, dirtyCols, dirtyObj bool
	basis                          bool // CLP holds a basis of an earlier solve
	warm                           int  // pivots from the last basis before solving from scratch
	edits                          int  // bounds set so far (rows added, changed, columns fixed)
	obj                            []int
	// fixed marks columns fixed at zero that addRow leaves out (nil: none).
	fixed []bool
	// chain is the last block of today's records (buildProgram): the
	// columns after it hold people today's records do not have.
	chain int
}

const (
	warmIterations = 300     // from the last basis, before solving from scratch
	coldIterations = 200_000 // from scratch: beyond, the solve counts as failed
	infinity       = math.MaxFloat64
)

func newProgram(cols int) *program {
	m := C.Clp_newModel()
	C.Clp_setLogLevel(m, 0)
	lp := &program{m: m, cols: cols, warm: warmIterations, start: []int{0}, colHi: make([]C.double, cols), objc: make([]C.double, cols)}
	for j := range lp.colHi {
		lp.colHi[j] = infinity
	}
	// The columns, with no rows yet.
	starts := make([]C.CoinBigIndex, cols+1)
	lower := make([]C.double, cols+1)
	var dummyIdx [1]C.int
	var dummyVal [1]C.double
	C.Clp_loadProblem(m, C.int(cols), 0, &starts[0], &dummyIdx[0], &dummyVal[0], &lower[0], ptr(lp.colHi), ptr(lp.objc), nil, nil)
	return lp
}

func ptr(s []C.double) *C.double {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func (lp *program) free() { C.Clp_deleteModel(lp.m) }

// fixZero fixes column j (0-based) at zero.
func (lp *program) fixZero(j int) { lp.colHi[j], lp.dirtyCols, lp.edits = 0, true, lp.edits+1 }

// rowBound is how a row's sum is bounded.
type rowBound struct {
	lo, hi float64 // math.Inf for none
}

func exactly(v float64) rowBound      { return rowBound{v, v} }
func atLeast(v float64) rowBound      { return rowBound{v, math.Inf(1)} }
func between(lo, hi float64) rowBound { return rowBound{lo, hi} }
func unbounded() rowBound             { return rowBound{math.Inf(-1), math.Inf(1)} }

// addRow adds the row sum(coef[i] * x[cols[i]]) within b and returns its
// index. cols are 0-based, distinct and below the number of columns.
func (lp *program) addRow(cols []int, coef []float64, b rowBound) int {
	if lp.fixed != nil {
		var kc []int
		var kv []float64
		for k, c := range cols {
			if !lp.fixed[c] {
				kc, kv = append(kc, c), append(kv, coef[k])
			}
		}
		cols, coef = kc, kv
	}
	return lp.addLiveRow(cols, coef, b)
}

// live returns the columns of cols not fixed at zero.
func (lp *program) live(cols []int) []int {
	if lp.fixed == nil {
		return cols
	}
	out := make([]int, 0, len(cols))
	for _, c := range cols {
		if !lp.fixed[c] {
			out = append(out, c)
		}
	}
	return out
}

func (lp *program) addLiveRow(cols []int, coef []float64, b rowBound) int {
	for k, c := range cols {
		lp.idx = append(lp.idx, C.int(c))
		lp.val = append(lp.val, C.double(coef[k]))
	}
	lp.start = append(lp.start, len(lp.idx))
	lp.lo, lp.hi = append(lp.lo, 0), append(lp.hi, 0)
	i := len(lp.lo) - 1
	lp.setBound(i, b)
	return i
}

// rows is the number of rows.
func (lp *program) rows() int { return len(lp.lo) }

// setBound changes the bounds of row i (0-based).
func (lp *program) setBound(i int, b rowBound) {
	lo, hi := C.double(b.lo), C.double(b.hi)
	if math.IsInf(b.lo, -1) {
		lo = -infinity
	}
	if math.IsInf(b.hi, 1) {
		hi = infinity
	}
	lp.lo[i], lp.hi[i] = lo, hi
	lp.edits++
	if i < lp.loaded {
		lp.dirtyRows = true
	}
}

// sync brings CLP's model up to date: the rows added, the bounds and the
// objective changed since the last solve.
func (lp *program) sync() {
	if n := lp.rows() - lp.loaded; n > 0 {
		first := lp.start[lp.loaded]
		starts := make([]C.CoinBigIndex, n+1)
		for i := range starts {
			starts[i] = C.CoinBigIndex(lp.start[lp.loaded+i] - first)
		}
		var dummyIdx [1]C.int
		var dummyVal [1]C.double
		idx, val := &dummyIdx[0], &dummyVal[0]
		if first < len(lp.idx) {
			idx, val = &lp.idx[first], &lp.val[first]
		}
		C.Clp_addRows(lp.m, C.int(n), &lp.lo[lp.loaded], &lp.hi[lp.loaded], &starts[0], idx, val)
		lp.loaded = lp.rows()
	}
	if lp.dirtyRows {
		C.Clp_chgRowLower(lp.m, ptr(lp.lo))
		C.Clp_chgRowUpper(lp.m, ptr(lp.hi))
		lp.dirtyRows = false
	}
	if lp.dirtyCols {
		C.Clp_chgColumnUpper(lp.m, ptr(lp.colHi))
		lp.dirtyCols = false
	}
	if lp.dirtyObj {
		C.Clp_chgObjCoefficients(lp.m, ptr(lp.objc))
		lp.dirtyObj = false
	}
	dir := -1.0 // CLP minimises; -1 maximises
	if lp.minim {
		dir = 1
	}
	C.Clp_setOptimizationDirection(lp.m, C.double(dir))
}

// run solves the program as it stands and returns CLP's status (0
// optimal, 1 infeasible, 2 unbounded, 3 a limit, 4 a numerical failure):
// from the last basis by the primal simplex, for at most lp.warm pivots,
// and when that does not finish (or there is no basis yet), from scratch
// (presolved says so).
func (lp *program) run() (status int, presolved bool) {
	lp.sync()
	if lp.basis && lp.warm > 0 {
		if st := int(C.warm(lp.m, C.int(lp.warm))); st == 0 || st == 1 || st == 2 {
			return st, false
		}
	}
	st := int(C.cold(lp.m, coldIterations))
	lp.basis = st == 0 || st == 1 || st == 2
	return st, true
}

// setObjective makes the objective the sum of cols.
func (lp *program) setObjective(cols []int) {
	for _, j := range lp.obj {
		lp.objc[j] = 0
	}
	for _, j := range cols {
		lp.objc[j] = 1
	}
	lp.obj = append(lp.obj[:0], cols...)
	lp.dirtyObj = true
}

// maximize sets the objective to the sum of cols and maximises it. ok is
// false when CLP did not prove an optimum (a limit, a numerical failure);
// the caller then treats the cell as unsafe. An unbounded sum is +Inf, ok:
// found by the primal simplex, or confirmed by it without presolve, since
// presolve may not tell an unbounded program from an infeasible one.
func (lp *program) maximize(cols []int) (float64, bool) {
	lp.setObjective(cols)
	st, presolved := lp.run()
	switch st {
	case 0:
		return float64(C.Clp_objectiveValue(lp.m)), true
	case 2:
		if !presolved || C.unbounded(lp.m, coldIterations) != 0 {
			if lp.minim {
				return math.Inf(-1), true
			}
			return math.Inf(1), true
		}
		lp.basis = false
	}
	return 0, false
}

// relax finds the cheapest way to let the sum of cols reach goal by moving
// rows off their bounds: row rows[i] may rise by any amount or fall by at
// most down[i], each unit costing cost[i] (a linear program on a copy of
// the program: nearest). It returns how far each row moved; feasible is
// false when no moves of these rows let the sum reach goal, ok false when
// CLP did not tell.
//
// Hiding the cells of the rows it moved lets the sum reach goal at once,
// whatever the basis: the dual values of one optimum name one limiting
// row at a time, and where many limit a count together (a degenerate
// optimum), hiding one of them frees nothing.
func (lp *program) relax(cols []int, goal float64, rows []int, down, cost []float64) (moved []float64, feasible, ok bool) {
	n := lp.nearest(rows, nil, down, cost, [][]int{cols})
	defer n.free()
	moved, _, feasible, ok = n.reach(0, goal)
	return moved, feasible, ok
}

// minimize is maximize's twin: the least sum of cols.
func (lp *program) minimize(cols []int) (float64, bool) {
	lp.minim = true
	defer func() { lp.minim = false }()
	return lp.maximize(cols)
}

// feasible reports whether the program has a solution; decided is false
// when CLP could not tell (a limit, a numerical failure).
func (lp *program) feasible() (ok, decided bool) {
	lp.setObjective(nil)
	switch st, _ := lp.run(); st {
	case 0:
		return true, true
	case 1:
		return false, true
	}
	return false, false
}

// solution is the columns' values in the last solution.
func (lp *program) solution() []C.double {
	return unsafe.Slice(C.Clp_getColSolution(lp.m), lp.cols)
}

// sum is the sum of the columns cols in the last solution.
func (lp *program) sum(cols []int) float64 {
	x := lp.solution()
	v := 0.0
	for _, j := range cols {
		v += float64(x[j])
	}
	return v
}

// rowValue is the sum of row i's columns in the last solution.
func (lp *program) rowValue(i int) float64 {
	x := lp.solution()
	v := 0.0
	for k := lp.start[i]; k < lp.start[i+1]; k++ {
		v += float64(lp.val[k] * x[lp.idx[k]])
	}
	return v
}

// dual is the dual value of row i in the last optimum: non-zero where the
// row's bound limits the objective (positive for an upper bound when
// maximising, negative for a lower one).
func (lp *program) dual(i int) float64 {
	if i >= lp.loaded {
		return 0
	}
	return float64(unsafe.Slice(C.Clp_getRowPrice(lp.m), lp.loaded)[i])
}

// nearest is a copy of a program in which some rows (rows[i]) are held at
// their bounds (bounds[i], or the program's own when bounds is nil), each
// free to leave them at cost[i] per unit (nil: 1), down by at most
// down[i]: its solutions that let a sum (one of sums) reach a goal are
// those of the program nearest those bounds. Each sum has a row of its
// own, free but for the goal asked: from one goal to the next only row
// and column bounds change, and the simplex starts from the last basis.
type nearest struct {
	p     *program
	first int // column of rows[0]'s rise; its fall is the next
	goals int // row of sums[0]
	rows  []int
	down  []float64
}

func (lp *program) nearest(rows []int, bounds []rowBound, down, cost []float64, sums [][]int) *nearest {
	first := lp.cols
	cp := newProgram(lp.cols + 2*len(rows))
	copy(cp.colHi, lp.colHi)
	cp.fixed, cp.minim = lp.fixed, true
	held := make(map[int]int, len(rows))
	for i, r := range rows {
		held[r] = i
	}
	for r := 0; r < lp.rows(); r++ {
		cols := make([]int, 0, lp.start[r+1]-lp.start[r]+2)
		coef := make([]float64, 0, cap(cols))
		for k := lp.start[r]; k < lp.start[r+1]; k++ {
			cols, coef = append(cols, int(lp.idx[k])), append(coef, float64(lp.val[k]))
		}
		if i, ok := held[r]; ok {
			// The row's sum may exceed its bound by the rise, or fall
			// below it by the fall.
			cols, coef = append(cols, first+2*i, first+2*i+1), append(coef, -1, 1)
		}
		cp.addLiveRow(cols, coef, rowBound{})
		cp.lo[r], cp.hi[r] = lp.lo[r], lp.hi[r]
	}
	for i, r := range rows {
		if bounds != nil {
			cp.setBound(r, bounds[i])
		}
		c := 1.0
		if cost != nil {
			c = cost[i]
		}
		cp.objc[first+2*i], cp.objc[first+2*i+1] = C.double(c), C.double(c)
	}
	cp.dirtyObj = true
	n := &nearest{p: cp, first: first, rows: rows, down: down}
	for i := range rows {
		n.hold(i, false)
	}
	n.goals = cp.rows()
	for _, cols := range sums {
		cp.addRow(cols, ones(len(cols)), unbounded())
	}
	return n
}

// hold keeps rows[i] at its bounds (held) or lets it leave them again.
func (n *nearest) hold(i int, held bool) {
	up, dn := n.first+2*i, n.first+2*i+1
	n.p.colHi[up], n.p.colHi[dn] = infinity, C.double(max(n.down[i], 0))
	if held {
		n.p.colHi[up], n.p.colHi[dn] = 0, 0
	}
	n.p.dirtyCols = true
}

// reach finds the solution nearest the held bounds in which sums[i] is at
// least goal; per row, how far it moved and the sum of its columns there
// (at). feasible is false when there is none; ok false when CLP did not
// tell.
func (n *nearest) reach(i int, goal float64) (moved, at []float64, feasible, ok bool) {
	row := n.goals + i
	n.p.setBound(row, atLeast(goal))
	defer n.p.setBound(row, unbounded())
	switch st, _ := n.p.run(); st {
	case 0:
	case 1:
		return nil, nil, false, true
	default:
		return nil, nil, false, false
	}
	x := unsafe.Slice(C.Clp_getColSolution(n.p.m), n.p.cols)
	moved, at = make([]float64, len(n.rows)), make([]float64, len(n.rows))
	for i, r := range n.rows {
		up, dn := float64(x[n.first+2*i]), float64(x[n.first+2*i+1])
		moved[i], at[i] = up+dn, n.p.rowValue(r)+up-dn
	}
	return moved, at, true, true
}

func (n *nearest) free() { n.p.free() }
