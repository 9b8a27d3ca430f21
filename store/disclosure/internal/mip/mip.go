// Package mip is GLPK (Debian's libglpk-dev) for the disclosure engine's
// tests: an attacker's linear program solved by a second, independent
// simplex, and over whole numbers by branch and bound, where the engine's
// linear programs (CLP) let counts be fractions. Only tests link it.
package mip

// #cgo LDFLAGS: -lglpk
// #include <glpk.h>
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
// static int solve(glp_prob *p) {
//     glp_smcp parm;
//     glp_init_smcp(&parm);
//     parm.msg_lev = GLP_MSG_OFF;
//     parm.tm_lim = 60000;
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
)

// Row is one constraint: the sum of Coef[i] * x[Cols[i]] between Lo and
// Hi (math.Inf for none).
type Row struct {
	Cols   []int
	Coef   []float64
	Lo, Hi float64
}

// LP is a linear program over x[j] in [0, hi[j]] under rows, in GLPK. It
// locks its goroutine to the OS thread until Free (GLPK keeps its memory
// per thread).
type LP struct {
	p   *C.glp_prob
	n   int
	obj []int
}

// New builds the program (hi[j] = +Inf: no upper bound).
func New(hi []float64, rows []Row) *LP {
	runtime.LockOSThread()
	C.glp_term_out(C.GLP_OFF)
	p := C.glp_create_prob()
	if len(hi) > 0 {
		C.glp_add_cols(p, C.int(len(hi)))
	}
	for j, h := range hi {
		typ := C.int(C.GLP_LO)
		switch {
		case h == 0:
			typ = C.GLP_FX
		case !math.IsInf(h, 1):
			typ = C.GLP_DB
		}
		C.glp_set_col_bnds(p, C.int(j+1), typ, 0, C.double(h))
	}
	for _, r := range rows {
		i := C.glp_add_rows(p, 1)
		n := len(r.Cols)
		ind, val := make([]C.int, n+1), make([]C.double, n+1)
		for k, c := range r.Cols {
			ind[k+1], val[k+1] = C.int(c+1), C.double(r.Coef[k])
		}
		if n > 0 {
			C.glp_set_mat_row(p, i, C.int(n), &ind[0], &val[0])
		}
		lo, up := !math.IsInf(r.Lo, -1), !math.IsInf(r.Hi, 1)
		typ := C.int(C.GLP_FR)
		switch {
		case lo && up && r.Lo == r.Hi:
			typ = C.GLP_FX
		case lo && up:
			typ = C.GLP_DB
		case lo:
			typ = C.GLP_LO
		case up:
			typ = C.GLP_UP
		}
		C.glp_set_row_bnds(p, i, typ, C.double(r.Lo), C.double(r.Hi))
	}
	return &LP{p: p, n: len(hi)}
}

// Free releases the program and its goroutine's thread.
func (l *LP) Free() {
	C.glp_delete_prob(l.p)
	runtime.UnlockOSThread()
}

func (l *LP) objective(cols []int, dir C.int) {
	for _, j := range l.obj {
		C.glp_set_obj_coef(l.p, C.int(j+1), 0)
	}
	for _, j := range cols {
		C.glp_set_obj_coef(l.p, C.int(j+1), 1)
	}
	l.obj = append(l.obj[:0], cols...)
	C.glp_set_obj_dir(l.p, dir)
}

// Maximize is the largest sum of cols (+Inf: unbounded); ok is false when
// GLPK found no optimum (infeasible, a limit, a numerical failure).
func (l *LP) Maximize(cols []int) (float64, bool) { return l.optimum(cols, C.GLP_MAX) }

// Minimize is the least sum of cols.
func (l *LP) Minimize(cols []int) (float64, bool) { return l.optimum(cols, C.GLP_MIN) }

func (l *LP) optimum(cols []int, dir C.int) (float64, bool) {
	l.objective(cols, dir)
	if C.solve(l.p) != 0 {
		return 0, false
	}
	switch C.glp_get_status(l.p) {
	case C.GLP_OPT:
		return float64(C.glp_get_obj_val(l.p)), true
	case C.GLP_UNBND:
		if dir == C.GLP_MAX {
			return math.Inf(1), true
		}
		return math.Inf(-1), true
	}
	return 0, false
}

// MaximizeWhole is the largest sum of cols over whole numbers; ok is false
// when branch and bound did not finish within ms milliseconds.
func (l *LP) MaximizeWhole(cols []int, ms int) (float64, bool) {
	for j := 1; j <= l.n; j++ {
		C.glp_set_col_kind(l.p, C.int(j), C.GLP_IV)
	}
	defer func() {
		for j := 1; j <= l.n; j++ {
			C.glp_set_col_kind(l.p, C.int(j), C.GLP_CV)
		}
	}()
	l.objective(cols, C.GLP_MAX)
	if rc := C.solve_int(l.p, C.int(ms)); rc != 0 {
		return 0, false
	}
	if C.glp_mip_status(l.p) != C.GLP_OPT {
		return 0, false
	}
	return float64(C.glp_mip_obj_val(l.p)), true
}
