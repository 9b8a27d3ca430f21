package disclosure

// #cgo LDFLAGS: -lglpk
// #include <glpk.h>
// #include <stdlib.h>
//
// static int solve_int(glp_prob *p, int tm_lim) {
//     glp_iocp parm;
//     glp_init_iocp(&parm);
//     parm.msg_lev = GLP_MSG_OFF;
//     parm.tm_lim = tm_lim;
//     parm.presolve = GLP_ON;
//     return glp_intopt(p, &parm);
// }
//
// static int solve(glp_prob *p, int tm_lim, int it_lim, int dual) {
//     glp_smcp parm;
//     glp_init_smcp(&parm);
//     if (dual) parm.meth = GLP_DUALP; /* dual simplex, then primal if it fails */
//     parm.msg_lev = GLP_MSG_OFF;
//     parm.tm_lim = tm_lim;
//     parm.it_lim = it_lim;
//     int rc = glp_simplex(p, &parm);
//     if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND) {
//         glp_adv_basis(p, 0);
//         rc = glp_simplex(p, &parm);
//     }
//     return rc;
// }
import "C"

import (
	"math"
	"runtime"
	"unsafe"
)

// program is a linear program over non-negative variables, solved by GLPK's
// simplex method (Debian's libglpk). The engine keeps one per measure and
// changes its objective and row bounds between solves: the last basis is
// the warm start of the next solve. GLPK keeps its memory per OS thread:
// a program locks its goroutine to the thread from newProgram to free, and
// is used by that goroutine only.
type program struct {
	p    *C.glp_prob
	cols int
	obj  []int // the columns of the current objective
	// fixed marks columns fixed at zero that addRow leaves out (nil: none).
	fixed []bool
	// chain is the last block of today's records (buildProgram): the
	// columns after it hold people today's records do not have.
	chain int
}

func newProgram(cols int) *program {
	runtime.LockOSThread()
	// GLPK's terminal output is per thread: off, or a basis rebuilt after
	// a numerical failure prints to the CLI's standard output.
	C.glp_term_out(C.GLP_OFF)
	p := C.glp_create_prob()
	C.glp_set_obj_dir(p, C.GLP_MAX)
	if cols > 0 {
		C.glp_add_cols(p, C.int(cols))
	}
	for j := 1; j <= cols; j++ {
		C.glp_set_col_bnds(p, C.int(j), C.GLP_LO, 0, 0)
	}
	return &program{p: p, cols: cols}
}

func (lp *program) free() {
	C.glp_delete_prob(lp.p)
	runtime.UnlockOSThread()
}

// fixZero fixes column j (0-based) at zero.
func (lp *program) fixZero(j int) { C.glp_set_col_bnds(lp.p, C.int(j+1), C.GLP_FX, 0, 0) }

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
	i := int(C.glp_add_rows(lp.p, 1))
	n := len(cols)
	if n > 0 {
		ind := (*[1 << 28]C.int)(C.malloc(C.size_t(n+1) * C.size_t(unsafe.Sizeof(C.int(0)))))[: n+1 : n+1]
		val := (*[1 << 28]C.double)(C.malloc(C.size_t(n+1) * C.size_t(unsafe.Sizeof(C.double(0)))))[: n+1 : n+1]
		for k, c := range cols {
			ind[k+1] = C.int(c + 1)
			val[k+1] = C.double(coef[k])
		}
		C.glp_set_mat_row(lp.p, C.int(i), C.int(n), &ind[0], &val[0])
		C.free(unsafe.Pointer(&ind[0]))
		C.free(unsafe.Pointer(&val[0]))
	}
	lp.setBound(i-1, b)
	return i - 1
}

// setBound changes the bounds of row i (0-based).
func (lp *program) setBound(i int, b rowBound) {
	lo, hi := !math.IsInf(b.lo, -1), !math.IsInf(b.hi, 1)
	typ := C.int(C.GLP_FR)
	switch {
	case lo && hi && b.lo == b.hi:
		typ = C.GLP_FX
	case lo && hi:
		typ = C.GLP_DB
	case lo:
		typ = C.GLP_LO
	case hi:
		typ = C.GLP_UP
	}
	C.glp_set_row_bnds(lp.p, C.int(i+1), typ, C.double(b.lo), C.double(b.hi))
}

// maximize sets the objective to the sum of cols and maximises it. ok is
// false when GLPK did not prove an optimum (unbounded, a time or iteration
// limit, a numerical failure); the caller then treats the cell as unsafe.
func (lp *program) maximize(cols []int) (float64, bool) {
	for _, j := range lp.obj {
		C.glp_set_obj_coef(lp.p, C.int(j+1), 0)
	}
	for _, j := range cols {
		C.glp_set_obj_coef(lp.p, C.int(j+1), 1)
	}
	lp.obj = append(lp.obj[:0], cols...)
	if rc := C.solve(lp.p, 20000, 2000000, 0); rc != 0 {
		return 0, false
	}
	if C.glp_get_status(lp.p) != C.GLP_OPT {
		return math.Inf(1), C.glp_get_status(lp.p) == C.GLP_UNBND
	}
	return float64(C.glp_get_obj_val(lp.p)), true
}

// relax finds the cheapest way to let the sum of cols reach goal by moving
// rows off their bounds: row rows[i] may rise by any amount or fall by at
// most down[i], each unit costing cost[i] (a linear program on a copy of
// the program: nearest). It returns how far each row moved; feasible is
// false when no moves of these rows let the sum reach goal, ok false when
// GLPK did not tell.
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
	C.glp_set_obj_dir(lp.p, C.GLP_MIN)
	defer C.glp_set_obj_dir(lp.p, C.GLP_MAX)
	v, ok := lp.maximize(cols)
	if math.IsInf(v, 1) {
		return math.Inf(-1), ok
	}
	return v, ok
}

// feasible reports whether the program has a solution; decided is false
// when GLPK could not tell (a time or iteration limit, a numerical failure).
// It solves by the dual simplex: on a release checked with its earlier
// releases (thousands of rows, most of them degenerate) the primal simplex
// took over 20 s to find a first solution where the dual one took 1-4 s.
func (lp *program) feasible() (ok, decided bool) {
	for _, j := range lp.obj {
		C.glp_set_obj_coef(lp.p, C.int(j+1), 0)
	}
	lp.obj = lp.obj[:0]
	if rc := C.solve(lp.p, 20000, 2000000, 1); rc != 0 {
		return false, false
	}
	switch C.glp_get_status(lp.p) {
	case C.GLP_OPT:
		return true, true
	case C.GLP_NOFEAS:
		return false, true
	}
	return false, false
}

// sum is the sum of the columns cols in the last solution.
func (lp *program) sum(cols []int) float64 {
	v := 0.0
	for _, j := range cols {
		v += float64(C.glp_get_col_prim(lp.p, C.int(j+1)))
	}
	return v
}

// maximizeWhole maximises the sum of cols over whole numbers (branch and
// bound): the exact attacker, where the linear program lets counts be
// fractions. ok is false when it did not finish.
func (lp *program) maximizeWhole(cols []int, msLimit int) (float64, bool) {
	for j := 1; j <= lp.cols; j++ {
		C.glp_set_col_kind(lp.p, C.int(j), C.GLP_IV)
	}
	defer func() {
		for j := 1; j <= lp.cols; j++ {
			C.glp_set_col_kind(lp.p, C.int(j), C.GLP_CV)
		}
	}()
	for _, j := range lp.obj {
		C.glp_set_obj_coef(lp.p, C.int(j+1), 0)
	}
	for _, j := range cols {
		C.glp_set_obj_coef(lp.p, C.int(j+1), 1)
	}
	lp.obj = append(lp.obj[:0], cols...)
	if rc := C.solve_int(lp.p, C.int(msLimit)); rc != 0 {
		return 0, false
	}
	if st := C.glp_mip_status(lp.p); st != C.GLP_OPT {
		return 0, false
	}
	return float64(C.glp_mip_obj_val(lp.p)), true
}

// rowValue is the sum of row i's columns in the last solution.
func (lp *program) rowValue(i int) float64 { return float64(C.glp_get_row_prim(lp.p, C.int(i+1))) }

// dual is the dual value of row i in the last optimum: non-zero where the
// row's bound limits the objective.
func (lp *program) dual(i int) float64 { return float64(C.glp_get_row_dual(lp.p, C.int(i+1))) }

// nearest is a copy of a program in which some rows (rows[i]) are held at
// their bounds (bounds[i], or the program's own when bounds is nil), each
// free to leave them at cost[i] per unit (nil: 1), down by at most
// down[i]: its solutions that let a sum (one of sums) reach a goal are
// those of the program nearest those bounds. Each sum has a row of its
// own, free but for the goal asked: from one goal to the next only row
// and column bounds change, and the simplex starts from the last basis
// (the primal one: the dual simplex took 35 times as long on these).
type nearest struct {
	p     *C.glp_prob
	first int // 1-based column of rows[0]'s rise; its fall is the next
	goals int // 1-based row of sums[0]
	rows  []int
	down  []float64
}

func (lp *program) nearest(rows []int, bounds []rowBound, down, cost []float64, sums [][]int) *nearest {
	n := &nearest{p: C.glp_create_prob(), rows: rows, down: down}
	C.glp_copy_prob(n.p, lp.p, C.GLP_OFF)
	for j := 1; j <= lp.cols; j++ {
		C.glp_set_obj_coef(n.p, C.int(j), 0)
	}
	C.glp_set_obj_dir(n.p, C.GLP_MIN)
	cp := &program{p: n.p, fixed: lp.fixed}
	for i, r := range rows {
		if bounds != nil {
			cp.setBound(r, bounds[i])
		}
	}
	n.first = int(C.glp_add_cols(n.p, C.int(2*len(rows))))
	var ind [2]C.int
	var val [2]C.double
	for i, r := range rows {
		up, dn := C.int(n.first+2*i), C.int(n.first+2*i+1)
		ind[1] = C.int(r + 1)
		val[1] = -1 // the row's sum may exceed its bound by up
		C.glp_set_mat_col(n.p, up, 1, &ind[0], &val[0])
		val[1] = 1 // or fall below it by dn
		C.glp_set_mat_col(n.p, dn, 1, &ind[0], &val[0])
		c := 1.0
		if cost != nil {
			c = cost[i]
		}
		C.glp_set_obj_coef(n.p, up, C.double(c))
		C.glp_set_obj_coef(n.p, dn, C.double(c))
		n.hold(i, false)
	}
	n.goals = int(C.glp_get_num_rows(n.p)) + 1
	for _, cols := range sums {
		cp.addRow(cols, ones(len(cols)), unbounded())
	}
	return n
}

// hold keeps rows[i] at its bounds (held) or lets it leave them again.
func (n *nearest) hold(i int, held bool) {
	up, dn := C.int(n.first+2*i), C.int(n.first+2*i+1)
	if held {
		C.glp_set_col_bnds(n.p, up, C.GLP_FX, 0, 0)
		C.glp_set_col_bnds(n.p, dn, C.GLP_FX, 0, 0)
		return
	}
	C.glp_set_col_bnds(n.p, up, C.GLP_LO, 0, 0)
	if n.down[i] > 0 {
		C.glp_set_col_bnds(n.p, dn, C.GLP_DB, 0, C.double(n.down[i]))
	} else {
		C.glp_set_col_bnds(n.p, dn, C.GLP_FX, 0, 0)
	}
}

// reach finds the solution nearest the held bounds in which sums[i] is at
// least goal; per row, how far it moved and the sum of its columns there
// (at). feasible is false when there is none; ok false when GLPK did not
// tell.
func (n *nearest) reach(i int, goal float64) (moved, at []float64, feasible, ok bool) {
	row := C.int(n.goals + i)
	C.glp_set_row_bnds(n.p, row, C.GLP_LO, C.double(goal), 0)
	defer C.glp_set_row_bnds(n.p, row, C.GLP_FR, 0, 0)
	if rc := C.solve(n.p, 20000, 2000000, 0); rc != 0 {
		return nil, nil, false, false
	}
	switch C.glp_get_status(n.p) {
	case C.GLP_OPT:
	case C.GLP_NOFEAS:
		return nil, nil, false, true
	default:
		return nil, nil, false, false
	}
	moved, at = make([]float64, len(n.rows)), make([]float64, len(n.rows))
	for i, r := range n.rows {
		up := float64(C.glp_get_col_prim(n.p, C.int(n.first+2*i)))
		dn := float64(C.glp_get_col_prim(n.p, C.int(n.first+2*i+1)))
		moved[i], at[i] = up+dn, float64(C.glp_get_row_prim(n.p, C.int(r+1)))+up-dn
	}
	return moved, at, true, true
}

func (n *nearest) free() { C.glp_delete_prob(n.p) }
