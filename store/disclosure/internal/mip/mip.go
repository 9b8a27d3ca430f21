// Package mip maximises a sum of columns over whole numbers, by GLPK's
// branch and bound (Debian's libglpk-dev): the exact attacker of the
// disclosure engine's tests, where the engine's linear programs let counts
// be fractions. Only tests link it.
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

// MaximizeWhole maximises the sum of the columns obj over whole numbers
// x[j] in [0, hi[j]] (hi[j] = +Inf for none) under rows. ok is false when
// branch and bound did not finish within ms milliseconds.
func MaximizeWhole(hi []float64, rows []Row, obj []int, ms int) (float64, bool) {
	runtime.LockOSThread() // GLPK keeps its memory per OS thread
	defer runtime.UnlockOSThread()
	C.glp_term_out(C.GLP_OFF)
	p := C.glp_create_prob()
	defer C.glp_delete_prob(p)
	C.glp_set_obj_dir(p, C.GLP_MAX)
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
		C.glp_set_col_kind(p, C.int(j+1), C.GLP_IV)
	}
	for _, j := range obj {
		C.glp_set_obj_coef(p, C.int(j+1), 1)
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
	if rc := C.solve_int(p, C.int(ms)); rc != 0 {
		return 0, false
	}
	if C.glp_mip_status(p) != C.GLP_OPT {
		return 0, false
	}
	return float64(C.glp_mip_obj_val(p)), true
}
