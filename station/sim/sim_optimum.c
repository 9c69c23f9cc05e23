/* sim_optimum.c: the perfect-foresight minimum cost of a simulated day, as a
 * linear program solved by GLPK (charge, discharge, import, export,
 * curtailment, unserved load and SOC per step; the battery, inverter and
 * reserve limits; an optional peak-power charge), and the same problem by a
 * dynamic program on a fine SOC grid to cross-check it.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef STATION_HAVE_GLPK
#include <glpk.h>
#endif

#define UNSERVED_PENALTY 10.0 /* per kWh: unserved load is a last resort */

static double lo_bound(const station_config *cfg, const sim_day *d, const sim_result *res, int r, double soc0)
{
	const station_battery_cfg *b = &cfg->battery;
	double lo = d->outage[r] ? b->soc_min_pct : fmax(b->backup_reserve_pct, b->soc_min_pct);
	/* never tighter than what the simulation itself did (after an outage, or
	 * a start below the reserve), so the program is always feasible */
	if (res->soc && res->soc[r] < lo)
		lo = res->soc[r];
	if (soc0 < lo)
		lo = soc0;
	return lo;
}

#ifdef STATION_HAVE_GLPK
static int optimum_lp(const station_config *cfg, const sim_day *d, const sim_result *res, int from, int to,
		      double soc0, double soc_end, double *cost, double *soc_out)
{
	const station_battery_cfg *b = &cfg->battery;
	int T = to - from;
	double h = d->step_s / 3600.0, eta = sqrt(b->round_trip_eff), cap = b->capacity_wh;
	bool peak = cfg->peak_charge_per_kw > 0;
	enum { C, D, IMP, EXP, CUR, UNS, E, NV };
	int ncol = T * NV + (peak ? 1 : 0);
	int nrow_per = 4 + (peak ? 1 : 0);
	int nnz_max = T * 16 + 1;
	int *ia = malloc(sizeof(int) * (size_t)nnz_max), *ja = malloc(sizeof(int) * (size_t)nnz_max);
	double *ar = malloc(sizeof(double) * (size_t)nnz_max);
	glp_prob *lp = glp_create_prob();
	int rc = -1, nz = 0;
	if (!ia || !ja || !ar || !lp)
		goto out;
	glp_set_obj_dir(lp, GLP_MIN);
	glp_add_cols(lp, ncol);
	glp_add_rows(lp, T * nrow_per);
	int pcol = T * NV + 1;
	if (peak) {
		glp_set_col_bnds(lp, pcol, GLP_LO, 0, 0);
		glp_set_obj_coef(lp, pcol, cfg->peak_charge_per_kw / 1000.0);
	}
#define COL(i, v) ((i)*NV + (v) + 1)
#define ADD(row, col, val) (ia[++nz] = (row), ja[nz] = (col), ar[nz] = (val))
	for (int i = 0; i < T; i++) {
		int r = from + i;
		double pv = res->pv_avail[r], L = res->fixed_load[r], g = res->gen[r];
		bool off = d->outage[r];
		glp_set_col_bnds(lp, COL(i, C), GLP_DB, 0, b->max_charge_w);
		glp_set_col_bnds(lp, COL(i, D), GLP_DB, 0, b->max_discharge_w);
		if (off) {
			glp_set_col_bnds(lp, COL(i, IMP), GLP_FX, 0, 0);
			glp_set_col_bnds(lp, COL(i, EXP), GLP_FX, 0, 0);
		} else {
			glp_set_col_bnds(lp, COL(i, IMP), GLP_LO, 0, 0);
			glp_set_col_bnds(lp, COL(i, EXP), GLP_LO, 0, 0);
		}
		if (pv > 0)
			glp_set_col_bnds(lp, COL(i, CUR), GLP_DB, 0, pv);
		else
			glp_set_col_bnds(lp, COL(i, CUR), GLP_FX, 0, 0);
		if (L > 0)
			glp_set_col_bnds(lp, COL(i, UNS), GLP_DB, 0, L);
		else
			glp_set_col_bnds(lp, COL(i, UNS), GLP_FX, 0, 0);
		double lo = lo_bound(cfg, d, res, r, soc0) / 100.0 * cap, hi = b->soc_max_pct / 100.0 * cap;
		if (i == T - 1)
			lo = fmax(lo, fmin(soc_end, b->soc_max_pct) / 100.0 * cap - 1e-6);
		if (hi < lo)
			hi = lo;
		glp_set_col_bnds(lp, COL(i, E), hi > lo ? GLP_DB : GLP_FX, lo, hi);
		glp_set_obj_coef(lp, COL(i, IMP), d->imp[r] * h / 1000.0);
		glp_set_obj_coef(lp, COL(i, EXP), -d->exp[r] * h / 1000.0);
		glp_set_obj_coef(lp, COL(i, UNS), UNSERVED_PENALTY * h / 1000.0);
		glp_set_obj_coef(lp, COL(i, C), 1e-7);
		glp_set_obj_coef(lp, COL(i, D), 1e-7);
		int row = i * nrow_per + 1;
		/* balance: imp - exp - cur + uns - c + d = L - pv - gen */
		glp_set_row_bnds(lp, row, GLP_FX, L - pv - g, L - pv - g);
		ADD(row, COL(i, IMP), 1);
		ADD(row, COL(i, EXP), -1);
		ADD(row, COL(i, CUR), -1);
		ADD(row, COL(i, UNS), 1);
		ADD(row, COL(i, C), -1);
		ADD(row, COL(i, D), 1);
		/* energy: e_i - e_{i-1} - eta h c + h/eta d = 0 (e_{-1} = soc0) */
		double e0 = i == 0 ? soc0 / 100.0 * cap : 0;
		glp_set_row_bnds(lp, row + 1, GLP_FX, e0, e0);
		ADD(row + 1, COL(i, E), 1);
		if (i > 0)
			ADD(row + 1, COL(i - 1, E), -1);
		ADD(row + 1, COL(i, C), -eta * h);
		ADD(row + 1, COL(i, D), h / eta);
		/* inverter AC output: pv - cur - c + d <= inverter max */
		glp_set_row_bnds(lp, row + 2, GLP_UP, 0, cfg->inverter_max_w - pv);
		ADD(row + 2, COL(i, CUR), -1);
		ADD(row + 2, COL(i, C), -1);
		ADD(row + 2, COL(i, D), 1);
		/* inverter AC input (grid charging): c - (pv - cur) <= inverter max */
		glp_set_row_bnds(lp, row + 3, GLP_UP, 0, cfg->inverter_max_w + pv);
		ADD(row + 3, COL(i, C), 1);
		ADD(row + 3, COL(i, CUR), 1);
		if (peak) {
			glp_set_row_bnds(lp, row + 4, GLP_UP, 0, 0);
			ADD(row + 4, COL(i, IMP), 1);
			ADD(row + 4, pcol, -1);
		}
	}
	glp_load_matrix(lp, nz, ia, ja, ar);
	glp_smcp parm;
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_ON;
	glp_term_out(GLP_OFF);
	glp_scale_prob(lp, GLP_SF_AUTO);
	if (glp_simplex(lp, &parm) != 0 || glp_get_status(lp) != GLP_OPT)
		goto out;
	double obj = glp_get_obj_val(lp);
	for (int i = 0; i < T; i++) /* report the money, not the penalties */
		obj -= UNSERVED_PENALTY * d->step_s / 3600.0 / 1000.0 * glp_get_col_prim(lp, COL(i, UNS)) +
			1e-7 * (glp_get_col_prim(lp, COL(i, C)) + glp_get_col_prim(lp, COL(i, D)));
	*cost = obj;
	for (int i = 0; soc_out && i < T; i++)
		soc_out[i] = glp_get_col_prim(lp, COL(i, E)) / cap * 100.0;
	rc = 0;
#undef COL
#undef ADD
out:
	if (lp)
		glp_delete_prob(lp);
	free(ia);
	free(ja);
	free(ar);
	return rc;
}
#endif

/* Fine-grid dynamic program over the same problem (no peak charge). */
int sim_optimum_dp(const station_config *cfg, const sim_day *d, const sim_result *res, int from, int to,
		   double soc0, double soc_end, int levels, double *cost)
{
	const station_battery_cfg *b = &cfg->battery;
	int T = to - from;
	double h = d->step_s / 3600.0, eta = sqrt(b->round_trip_eff), cap = b->capacity_wh;
	if (T <= 0 || levels < 3 || cap <= 0)
		return -1;
	double emin = 0, emax = b->soc_max_pct / 100.0 * cap;
	/* the grid spans the lowest bound of the whole window */
	double lo_all = 100;
	for (int r = from; r < to; r++)
		lo_all = fmin(lo_all, lo_bound(cfg, d, res, r, soc0));
	emin = lo_all / 100.0 * cap;
	double de = (emax - emin) / (levels - 1);
	double *v = malloc(sizeof(double) * (size_t)levels * 2);
	if (!v)
		return -1;
	double *vn = v, *vc = v + levels;
	double e_end = fmin(soc_end, b->soc_max_pct) / 100.0 * cap;
	for (int i = 0; i < levels; i++)
		vn[i] = emin + i * de >= e_end - de * 0.5 - 1e-6 ? 0 : INFINITY;
	int kc = (int)floor(b->max_charge_w * eta * h / de + 1e-9);
	int kd = (int)floor(b->max_discharge_w / eta * h / de + 1e-9);
	for (int t = T - 1; t >= 0; t--) {
		int r = from + t;
		double pv = res->pv_avail[r], L = res->fixed_load[r], g = res->gen[r];
		double lo = lo_bound(cfg, d, res, r, soc0) / 100.0 * cap;
		bool off = d->outage[r];
		for (int i = 0; i < levels; i++) {
			double best = INFINITY;
			int jlo = i - kd < 0 ? 0 : i - kd, jhi = i + kc >= levels ? levels - 1 : i + kc;
			for (int j = jlo; j <= jhi; j++) {
				if (!isfinite(vn[j]) || emin + j * de < lo - 1e-6)
					continue;
				double dE = (j - i) * de;
				double bat = dE > 0 ? dE / eta / h : dE * eta / h;
				if (bat > pv + cfg->inverter_max_w)
					continue;
				double net = L - pv - g + bat; /* grid before curtailment */
				double c;
				if (off) {
					if (net < -pv - 1e-9) /* cannot curtail more than the PV */
						continue;
					c = 0; /* deficits are unserved: not money */
					if (net > 0)
						c = net * UNSERVED_PENALTY * 1e-3 * h;
				} else if (net > 0) {
					c = net * d->imp[r] * h / 1000.0;
				} else {
					/* curtail rather than export at a negative price */
					c = d->exp[r] > 0 ? net * d->exp[r] * h / 1000.0 : 0;
				}
				if (c + vn[j] < best)
					best = c + vn[j];
			}
			vc[i] = best;
		}
		double *tmp = vn;
		vn = vc;
		vc = tmp;
	}
	int i0 = (int)floor((soc0 / 100.0 * cap - emin) / de + 0.5);
	if (i0 < 0)
		i0 = 0;
	if (i0 >= levels)
		i0 = levels - 1;
	*cost = vn[i0];
	free(v);
	return isfinite(*cost) ? 0 : -1;
}

int sim_optimum(const station_config *cfg, const sim_day *d, const sim_result *res, int from, int to,
		double soc_start_pct, double soc_end_min_pct, double *cost, const char **method,
		double *soc_out)
{
#ifdef STATION_HAVE_GLPK
	if (method)
		*method = "glpk-lp";
	return optimum_lp(cfg, d, res, from, to, soc_start_pct, soc_end_min_pct, cost, soc_out);
#else
	if (method)
		*method = "dp";
	(void)soc_out;
	return sim_optimum_dp(cfg, d, res, from, to, soc_start_pct, soc_end_min_pct, 1001, cost);
#endif
}
