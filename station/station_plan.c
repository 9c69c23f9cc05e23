/* station_plan.c: the optimising mode. Learns load and PV forecasts from the
 * station's own history (15-min slots of the local day, weekday/weekend load,
 * clear-sky-normalised PV, exponential smoothing), keeps the price list and
 * weather factors, plans the battery for minimum cost over 24-48 h with an
 * exact dynamic program over a discretised SOC (memory preallocated in
 * station_plan), re-plans every replan_min minutes and executes each step
 * by minimising the slot's grid cost plus the plan's cost-to-go.
 *
 * Controlled loads in the model: the forecast learns the home load without
 * the Auto-SOC smart loads, and the plan switches them on itself wherever its
 * SOC is above a load's threshold inside the load's window, as the load rule
 * will. Their energy is credited at the feed-in price: a surplus load running
 * on PV that would have been exported costs the plan nothing, one running on
 * stored or bought energy costs the difference. So the plan never lifts the
 * SOC into a load's band with grid energy unless that pays, and still lets
 * PV surplus reach the load.
 *
 * The guard: each plan is compared with a rule-based mode run on the same
 * forecast (self-consumption; TOU where its periods are set and it did
 * better here, run in the shadow on what was measured); where the plan's
 * expected gain over the rule is within what the learned forecast error
 * can explain, the mode follows the rule.
 */
#include "station_internal.h"

#include <math.h>
#include <string.h>

static int64_t floordiv64(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t local_of_slot(const station_config *cfg, int64_t slot)
{
	return slot * STATION_SLOT_S + (int64_t)cfg->utc_offset_min * 60;
}

/* slot-of-day and weekend flag of an absolute slot, in local time */
static void slot_kind(const station_config *cfg, int64_t slot, int *sod, int *weekend)
{
	int64_t ls = local_of_slot(cfg, slot);
	int64_t day = floordiv64(ls, 86400);
	*sod = (int)((ls - day * 86400) / STATION_SLOT_S);
	int wd = (int)(((day + 3) % 7 + 7) % 7);
	*weekend = wd >= 5;
}

static double slot_clearsky(const station_config *cfg, int64_t slot)
{
	return station_clearsky_ghi(cfg->latitude_deg, cfg->longitude_deg,
				    slot * STATION_SLOT_S + STATION_SLOT_S / 2);
}

/* Power of the Auto-SOC smart loads switched on in st: the plan models
 * them, so the learned load leaves them out. */
static double auto_loads_on_w(const station_config *cfg, const station_state *st)
{
	double w = 0;
	for (int i = 0; i < cfg->n_smart_loads && i < STATION_MAX_SMART_LOADS; i++)
		if (cfg->smart_loads[i].mode == STATION_LOAD_AUTO_SOC && st->smart_on[i])
			w += cfg->smart_loads[i].power_w;
	return w;
}

#define ERR_RATE 0.2 /* smoothing of the forecast residuals: about the last 5 days */

static void finish_slot(const station_config *cfg, station_state *st)
{
	station_forecast *f = &st->fc;
	if (f->acc_slot < 0 || f->acc_s < STATION_SLOT_S / 2)
		return;
	int sod, we;
	slot_kind(cfg, f->acc_slot, &sod, &we);
	double a = cfg->learn_rate;
	double load = f->acc_load / f->acc_s, pv = f->acc_pv / f->acc_s, cs = f->acc_cs / f->acc_s;
	/* the residual of what the model would have said, before it learns the slot */
	if (f->load_n[we][sod] || f->load_n[!we][sod]) {
		double fl, fp;
		station_forecast_slot(cfg, st, f->acc_slot, &fl, &fp);
		double r = fabs((load - pv) - (fl - fp));
		if (f->err_n[sod] == 0)
			f->err_w[sod] = (float)r;
		else
			f->err_w[sod] += (float)(ERR_RATE * (r - f->err_w[sod]));
		if (f->err_n[sod] < UINT16_MAX)
			f->err_n[sod]++;
	}
	float *lp = &f->load[we][sod];
	if (f->load_n[we][sod] == 0)
		*lp = (float)load;
	else
		*lp += (float)(a * (load - *lp));
	if (f->load_n[we][sod] < UINT16_MAX)
		f->load_n[we][sod]++;
	if (f->pv_n[sod] == 0) {
		f->pv_num[sod] = (float)pv;
		f->pv_den[sod] = (float)cs;
	} else {
		f->pv_num[sod] += (float)(a * (pv - f->pv_num[sod]));
		f->pv_den[sod] += (float)(a * (cs - f->pv_den[sod]));
	}
	if (f->pv_n[sod] < UINT16_MAX)
		f->pv_n[sod]++;
	if (cs > 200) {
		double r = pv / cs;
		f->pv_peak_ratio *= 0.9995; /* about 5% a day at 15-min slots: forgets a removed array */
		if (r > f->pv_peak_ratio)
			f->pv_peak_ratio = r;
	}
	f->load_mean_n++;
	f->load_mean += (load - f->load_mean) / (double)f->load_mean_n;
}

static void shadow_step(station_ctx *c, double load_w, double pv_w, double dt_s);

void station_forecast_learn(station_ctx *c, double load_w, double pv_w)
{
	station_forecast *f = &c->st->fc;
	int64_t slot = floordiv64(c->now_ms, 1000LL * STATION_SLOT_S);
	if (slot != f->acc_slot) {
		finish_slot(c->cfg, c->st);
		f->acc_slot = slot;
		f->acc_load = f->acc_pv = f->acc_cs = f->acc_s = 0;
	}
	/* the Auto-SOC loads are the plan's own decisions (modelled, not learned);
	 * st->smart_on still holds the previous step's, which load_w includes */
	load_w -= auto_loads_on_w(c->cfg, c->st);
	if (load_w < 0)
		load_w = 0;
	/* each measurement stands for the time since the previous one */
	double w = c->dt_s > 0 ? c->dt_s : 0;
	shadow_step(c, load_w, pv_w, w);
	f->acc_load += load_w * w;
	f->acc_pv += pv_w * w;
	f->acc_cs += station_clearsky_ghi(c->cfg->latitude_deg, c->cfg->longitude_deg, c->now_ms / 1000) * w;
	f->acc_s += w;
}

static bool series_get(const station_series *s, int64_t slot, float *a, float *b)
{
	if (s->n <= 0 || slot < s->start_slot || slot >= s->start_slot + s->n)
		return false;
	*a = s->a[slot - s->start_slot];
	if (b)
		*b = s->b[slot - s->start_slot];
	return true;
}

/* The learned home load of a slot of kind (sod, we). */
static double learned_load(const station_forecast *f, int sod, int we)
{
	if (f->load_n[we][sod])
		return f->load[we][sod];
	if (f->load_n[!we][sod])
		return f->load[!we][sod];
	if (f->load_mean_n == 0 && f->acc_s > 0)
		return f->acc_load / f->acc_s; /* the prior: what is measured so far */
	return f->load_mean;
}

void station_forecast_slot(const station_config *cfg, const station_state *st, int64_t slot, double *load_w,
			   double *pv_w)
{
	const station_forecast *f = &st->fc;
	int sod, we;
	slot_kind(cfg, slot, &sod, &we);
	float el, ep;
	if (series_get(&st->fc_ext, slot, &el, &ep)) { /* an external forecast covers it */
		*pv_w = ep;
		/* < 0: a PV-only forecast (a forecast service), the load stays learned */
		*load_w = el >= 0 ? el : learned_load(f, sod, we);
		return;
	}
	*load_w = learned_load(f, sod, we);
	double cs = slot_clearsky(cfg, slot);
	float k;
	double weather = -1;
	if (series_get(&st->weather, slot, &k, NULL))
		weather = k;
	else if (cfg->weather_factor >= 0)
		weather = cfg->weather_factor;
	if (weather >= 0) {
		*pv_w = weather * f->pv_peak_ratio * cs;
	} else if (f->pv_n[sod] == 0) {
		*pv_w = 0;
	} else if (f->pv_den[sod] > 20) {
		*pv_w = f->pv_num[sod] / f->pv_den[sod] * cs; /* follows the season's sun */
	} else {
		*pv_w = f->pv_num[sod];
	}
}

static bool tariff_price(const station_config *cfg, int64_t slot, double *imp, double *exp)
{
	int64_t ls = local_of_slot(cfg, slot);
	for (int i = 0; i < cfg->n_tariff; i++)
		if (station_window_active(&cfg->tariff[i].w, ls)) {
			*imp = cfg->tariff[i].import_price;
			*exp = cfg->tariff[i].export_price;
			return true;
		}
	*imp = cfg->import_price;
	*exp = cfg->export_price;
	return false;
}

void station_price_slot(const station_config *cfg, const station_state *st, int64_t slot, double *imp,
			double *exp)
{
	float a, b;
	/* the price list; beyond it, the same slot on an earlier known day; else the tariff */
	for (int back = 0; back <= 4; back++)
		if (series_get(&st->prices, slot - (int64_t)back * STATION_SLOTS_PER_DAY, &a, &b)) {
			*imp = a;
			*exp = b;
			return;
		}
	tariff_price(cfg, slot, imp, exp);
}

/* Merge n values (slot_s = 900 or 3600 each) into a series, keeping older
 * slots that still fit. */
static int series_set(station_series *s, int64_t start_ms, int slot_s, int n, const double *a,
		      const double *b)
{
	if (n <= 0 || (slot_s != 900 && slot_s != 3600) || !a || start_ms % (1000LL * slot_s) != 0)
		return STATION_EINVAL;
	int per = slot_s / STATION_SLOT_S;
	int64_t n_new = (int64_t)n * per;
	if (n_new > STATION_PRICE_MAX_SLOTS)
		return STATION_EINVAL;
	for (int i = 0; i < n; i++)
		if (!isfinite(a[i]) || (b && !isfinite(b[i])))
			return STATION_EINVAL;
	int64_t ns = start_ms / 1000 / STATION_SLOT_S, ne = ns + n_new;
	station_series old = *s; /* ~3 KB on the stack, no allocation */
	int64_t start = ns;
	if (old.n > 0 && old.start_slot < ns)
		start = old.start_slot;
	if (ne - start > STATION_PRICE_MAX_SLOTS)
		start = ne - STATION_PRICE_MAX_SLOTS;
	s->start_slot = start;
	s->n = (int)(ne - start);
	for (int64_t t = start; t < ne; t++) {
		int64_t k = t - start;
		if (t >= ns) {
			int64_t j = (t - ns) / per;
			s->a[k] = (float)a[j];
			s->b[k] = b ? (float)b[j] : 0;
		} else {
			float x = 0, y = 0;
			series_get(&old, t, &x, &y);
			s->a[k] = x;
			s->b[k] = y;
		}
	}
	return 0;
}

int station_prices_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *import_price,
		       const double *export_price)
{
	if (!export_price)
		return STATION_EINVAL;
	return series_set(&st->prices, start_ms, slot_s, n, import_price, export_price);
}

void station_plan_invalidate(station_state *st)
{
	st->plan.made_slot = -1;
}

int station_weather_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *clearness)
{
	for (int i = 0; clearness && i < n; i++)
		if (!(clearness[i] >= 0 && clearness[i] <= 1.5))
			return STATION_EINVAL;
	return series_set(&st->weather, start_ms, slot_s, n, clearness, NULL);
}

int station_forecast_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *load_w,
			 const double *pv_w)
{
	if (!pv_w || n <= 0 || n > STATION_PRICE_MAX_SLOTS)
		return STATION_EINVAL;
	double learned[STATION_PRICE_MAX_SLOTS]; /* load_w NULL: -1, "keep the learned load" */
	for (int i = 0; i < n; i++) {
		if ((load_w && !(load_w[i] >= 0 && load_w[i] <= 1e7)) || !(pv_w[i] >= 0 && pv_w[i] <= 1e7))
			return STATION_EINVAL;
		learned[i] = -1;
	}
	return series_set(&st->fc_ext, start_ms, slot_s, n, load_w ? load_w : learned, pv_w);
}

/* Stage cost of one slot with battery AC power b (W): import at imp, export
 * at exp, a steep penalty above the peak cap, and a tiny tie-break towards
 * small grid flows (self-consumption when prices do not care). */
static double stage_cost(double load, double pv, double b, double imp, double exp, double cap, double dt_h)
{
	double g = load - pv + b;
	double cost;
	if (g > 0) {
		cost = g * imp;
		if (cap > 0 && g > cap)
			cost += (g - cap) * 10.0;
	} else {
		cost = g * exp;
	}
	return (cost + fabs(g) * 1e-5) * dt_h / 1000.0;
}

/* The SOC grid of one station_plan_dp() call and the battery on it. Lives
 * on that call's stack. */
typedef struct dp_grid {
	const station_config *cfg;
	int n, levels;
	double dt_h;
	double ec, ed;       /* charge and discharge efficiency (sqrt of round trip) */
	double emin, de;     /* energy at level 0 and between two levels, Wh */
	double peak;         /* import cap of the stage cost, 0 = none */
	const uint8_t *mask; /* Auto-SOC loads open per slot (NULL: none) */
	int64_t slot;        /* the first slot (absolute), for the TOU rule's periods */
} dp_grid;

/* The Auto-SOC loads a slot with open-window mask `mask` runs at stored
 * energy e (Wh): on above the threshold, as station_loads.c decides. */
static double loads_at(const dp_grid *g, uint8_t mask, double e)
{
	const station_config *cfg = g->cfg;
	double soc = cfg->battery.capacity_wh > 0 ? e / cfg->battery.capacity_wh * 100.0 : 0, w = 0;
	for (int i = 0; mask && i < cfg->n_smart_loads && i < STATION_MAX_SMART_LOADS; i++)
		if ((mask >> i) & 1 && soc > cfg->smart_loads[i].soc_threshold_pct + 1e-9)
			w += cfg->smart_loads[i].power_w;
	return w;
}

/* Stage cost with the Auto-SOC loads `extra` on, their energy credited at
 * the feed-in price (see the file comment). */
static double stage_cost_loads(double load, double pv, double b, double extra, double imp, double exp,
			       double cap, double dt_h)
{
	return stage_cost(load + extra, pv, b, imp, exp, cap, dt_h) - extra * exp * dt_h / 1000.0;
}

/* No battery to plan (no capacity, or no SOC range): the cost of the load
 * and PV as they come, the SOC standing still. */
static double plan_without_battery(const dp_grid *g, const float *load, const float *pv, const float *imp,
				   const float *exp, double soc0_pct, float *soc_out, float *bat_out)
{
	double total = 0;
	for (int t = 0; t < g->n; t++) {
		total += stage_cost(load[t], pv[t], 0, imp[t], exp[t], g->peak, g->dt_h);
		if (soc_out)
			soc_out[t] = (float)soc0_pct;
		if (bat_out)
			bat_out[t] = 0;
	}
	if (soc_out)
		soc_out[g->n] = (float)soc0_pct;
	return total;
}

/* Backward pass: the cost-to-go of every level at every slot, from the
 * terminal value back to slot 0, keeping each slot's best move in
 * p->choice and the first STATION_PLAN_KEEP cost-to-go rows in p->vnext
 * (for execute()). Returns V_0 over the levels (one of p->value). */
static const double *dp_backward(const dp_grid *g, station_plan *p, const float *load, const float *pv,
				 const float *imp, const float *exp, double terminal_per_wh)
{
	const station_battery_cfg *bc = &g->cfg->battery;
	const int levels = g->levels;
	const double de = g->de, dt_h = g->dt_h, ec = g->ec, ed = g->ed;
	int kc = (int)floor(bc->max_charge_w * ec * dt_h / de + 1e-9);
	int kd = (int)floor(bc->max_discharge_w / ed * dt_h / de + 1e-9);
	/* a move never spans more than the grid: this bounds sc[] below, and
	 * changes nothing else (the moves are clamped to the grid anyway) */
	if (kc > levels - 1)
		kc = levels - 1;
	if (kd > levels - 1)
		kd = levels - 1;
	double *vn = p->value[0], *vc = p->value[1];
	for (int i = 0; i < levels; i++)
		vn[i] = -terminal_per_wh * i * de / 1000.0;
	double sc[2 * STATION_PLAN_MAX_LEVELS + 1]; /* stage cost per level change */
	for (int t = g->n - 1; t >= 0; t--) {
		/* grid charging through the inverter is limited to pv + inverter max */
		int kct = kc;
		double inv_room = (pv[t] + g->cfg->inverter_max_w) * ec * dt_h / de;
		if (inv_room < kct)
			kct = (int)floor(inv_room + 1e-9);
		if (kct < 0)
			kct = 0;
		uint8_t mask = g->mask ? g->mask[t] : 0;
		double band = -1; /* the loads' power sc[] was computed for */
		if (t >= 1 && t <= STATION_PLAN_KEEP)
			for (int i = 0; i < levels; i++)
				p->vnext[t - 1][i] = (float)vn[i];
		for (int i = 0; i < levels; i++) {
			double extra = loads_at(g, mask, g->emin + i * de);
			if (extra != band) {
				band = extra;
				for (int k = -kd; k <= kct; k++) {
					double dE = k * de;
					double b = dE > 0 ? dE / ec / dt_h : dE * ed / dt_h;
					sc[k + kd] = stage_cost_loads(load[t], pv[t], b, extra, imp[t],
								      exp[t], g->peak, dt_h);
				}
			}
			int lo = i - kd < 0 ? 0 : i - kd, hi = i + kct >= levels ? levels - 1 : i + kct;
			double best = INFINITY;
			int bj = i;
			for (int j = lo; j <= hi; j++) {
				/* a hair of holding cost: among equal plans, charge late */
				double v = sc[j - i + kd] + vn[j] + j * 1e-9;
				if (v < best) {
					best = v;
					bj = j;
				}
			}
			vc[i] = best;
			p->choice[t][i] = (int16_t)bj;
		}
		double *tmp = vn;
		vn = vc;
		vc = tmp;
	}
	return vn;
}

/* Forward pass: follow the choices from the level nearest the exact SOC,
 * moving the exact energy (the first move absorbs the rounding). Returns
 * the plan's cost, V_0 at that level. */
static double dp_forward(const dp_grid *g, const station_plan *p, const double *v0, double soc0_pct,
			 float *soc_out, float *bat_out)
{
	const station_battery_cfg *bc = &g->cfg->battery;
	const double de = g->de, dt_h = g->dt_h, ec = g->ec, ed = g->ed, emin = g->emin;
	double cap_wh = bc->capacity_wh;
	double e0 = soc0_pct / 100.0 * cap_wh;
	int i0 = (int)floor((e0 - emin) / de + 0.5);
	if (i0 < 0)
		i0 = 0;
	if (i0 >= g->levels)
		i0 = g->levels - 1;
	double total = v0[i0];
	int i = i0;
	double e = e0;
	if (soc_out)
		soc_out[0] = (float)soc0_pct;
	for (int t = 0; t < g->n; t++) {
		int j = p->choice[t][i];
		double ej = emin + j * de;
		double dE = ej - e;
		/* from an off-grid exact SOC the move may need clamping to the power limits */
		double cmax = bc->max_charge_w * ec * dt_h, dmax = bc->max_discharge_w / ed * dt_h;
		if (dE > cmax)
			dE = cmax;
		if (dE < -dmax)
			dE = -dmax;
		double b = dE > 0 ? dE / ec / dt_h : dE * ed / dt_h;
		if (bat_out)
			bat_out[t] = (float)b;
		e += dE;
		if (soc_out)
			soc_out[t + 1] = (float)(e / cap_wh * 100.0);
		i = j;
	}
	return total;
}

/* station_plan_dp() with the Auto-SOC loads of mask (NULL: none). */
static double plan_dp(const station_config *cfg, station_plan *p, int n, double dt_s, const float *load,
		      const float *pv, const float *imp, const float *exp, const uint8_t *mask,
		      double soc0_pct, double floor_pct, double ceil_pct, int levels, double terminal_per_wh,
		      float *soc_out, float *bat_out)
{
	const station_battery_cfg *bc = &cfg->battery;
	double eta = bc->round_trip_eff > 0 ? bc->round_trip_eff : 1;
	double cap_wh = bc->capacity_wh;
	if (n > STATION_PLAN_MAX_SLOTS)
		n = STATION_PLAN_MAX_SLOTS;
	if (levels > STATION_PLAN_MAX_LEVELS)
		levels = STATION_PLAN_MAX_LEVELS;
	if (levels < 2)
		levels = 2;
	if (floor_pct > soc0_pct)
		floor_pct = soc0_pct;
	if (ceil_pct < soc0_pct)
		ceil_pct = soc0_pct;
	double emin = floor_pct / 100.0 * cap_wh, emax = ceil_pct / 100.0 * cap_wh;
	dp_grid g = { .cfg = cfg,
		      .n = n,
		      .levels = levels,
		      .dt_h = dt_s / 3600.0,
		      .ec = sqrt(eta),
		      .ed = sqrt(eta),
		      .emin = emin,
		      .de = (emax - emin) / (levels - 1),
		      .peak = cfg->max_peak_power_w,
		      .mask = mask };
	if (n <= 0)
		return 0;
	if (cap_wh <= 0 || g.de <= 1e-6)
		return plan_without_battery(&g, load, pv, imp, exp, soc0_pct, soc_out, bat_out);
	p->emin_wh = emin;
	p->level_wh = g.de;
	p->levels = levels;
	const double *v0 = dp_backward(&g, p, load, pv, imp, exp, terminal_per_wh);
	return dp_forward(&g, p, v0, soc0_pct, soc_out, bat_out);
}

double station_plan_dp(const station_config *cfg, station_plan *p, int n, double dt_s, const float *load,
		       const float *pv, const float *imp, const float *exp, double soc0_pct, double floor_pct,
		       double ceil_pct, int levels, double terminal_per_wh, float *soc_out, float *bat_out)
{
	return plan_dp(cfg, p, n, dt_s, load, pv, imp, exp, NULL, soc0_pct, floor_pct, ceil_pct, levels,
		       terminal_per_wh, soc_out, bat_out);
}

/* Terminal value of energy left at the end of the horizon: what it saves at
 * the cheapest import slot, after discharge losses. */
static double terminal_value(const float *imp, int n, double eta_d)
{
	double m = INFINITY;
	for (int t = 0; t < n; t++)
		if (imp[t] < m)
			m = imp[t];
	if (!isfinite(m) || m < 0)
		m = 0;
	return m * eta_d;
}

/* The self-consumption rule's battery power at stored energy e in slot t
 * with the Auto-SOC loads `extra` on: surplus charges, deficits discharge,
 * within the power, SOC and inverter limits. */
static double rule_power(const dp_grid *g, double load, double pv, double extra, double e, double emax)
{
	const station_battery_cfg *bc = &g->cfg->battery;
	double net = pv - load - extra;
	double hi = fmin(bc->max_charge_w, fmax(0, emax - e) / g->ec / g->dt_h);
	double lo = -fmin(bc->max_discharge_w, fmax(0, e - g->emin) * g->ed / g->dt_h);
	lo = fmax(lo, fmin(pv - g->cfg->inverter_max_w, 0));
	return net > hi ? hi : net < lo ? lo : net;
}

/* The TOU rule's battery power at local time local_s, as the TOU mode
 * decides it (station_tou_battery), within the same energy limits. */
static double tou_rule_power(const dp_grid *g, int64_t local_s, double load, double pv, double extra,
			     double e, double emax)
{
	const station_battery_cfg *bc = &g->cfg->battery;
	double hi = fmin(bc->max_charge_w, fmax(0, emax - e) / g->ec / g->dt_h);
	double lo = -fmin(bc->max_discharge_w, fmax(0, e - g->emin) * g->ed / g->dt_h);
	double sc = rule_power(g, load, pv, extra, e, emax);
	bool gc;
	double soc = bc->capacity_wh > 0 ? e / bc->capacity_wh * 100.0 : 0;
	double b = station_tou_battery(station_tou_at(g->cfg, local_s, NULL), sc, soc, hi, -lo,
				       load + extra - pv, &gc);
	return b > hi ? hi : b < lo ? lo : b;
}

#define SHADOW_HALF_LIFE_D 3.0     /* days */
#define SHADOW_MIN_S (2 * 86400.0) /* two days of shadows before TOU may be the fallback */

/* The rules in the shadow (station_state.shadow): each runs its own battery
 * on the measured load and PV over the dt_s just past and pays for its grid
 * energy at the slot's prices. Only where TOU periods are set (else the
 * fallback is self-consumption anyway). */
static void shadow_step(station_ctx *c, double load_w, double pv_w, double dt_s)
{
	const station_config *cfg = c->cfg;
	const station_battery_cfg *bc = &cfg->battery;
	station_state *st = c->st;
	if (cfg->n_tou <= 0 || bc->capacity_wh <= 0 || !(dt_s > 0))
		return;
	if (dt_s > 3600) /* a long silence: nothing measured to run on */
		dt_s = 3600;
	double eta = bc->round_trip_eff > 0 ? bc->round_trip_eff : 1;
	dp_grid g = { .cfg = cfg,
		      .dt_h = dt_s / 3600.0,
		      .ec = sqrt(eta),
		      .ed = sqrt(eta),
		      .emin = c->floor_pct / 100.0 * bc->capacity_wh };
	double emax = bc->soc_max_pct / 100.0 * bc->capacity_wh;
	if (st->shadow.seconds <= 0)
		for (int r = 0; r < 2; r++)
			st->shadow.e_wh[r] = c->soc / 100.0 * bc->capacity_wh;
	double imp, exp;
	station_price_slot(cfg, st, floordiv64(c->now_ms, 1000LL * STATION_SLOT_S), &imp, &exp);
	int64_t day = floordiv64(c->local_s, 86400);
	if (day != st->shadow.day) {
		/* a new day (a clock that went back decays nothing) */
		double k =
			day > st->shadow.day ? exp2(-(double)(day - st->shadow.day) / SHADOW_HALF_LIFE_D) : 1;
		for (int r = 0; r < 2; r++)
			st->shadow.cost[r] *= k;
		st->shadow.day = day;
	}
	for (int r = 0; r < 2; r++) {
		double e = fmin(fmax(st->shadow.e_wh[r], g.emin), fmax(emax, g.emin));
		double b = r ? tou_rule_power(&g, c->local_s, load_w, pv_w, 0, e, emax)
			     : rule_power(&g, load_w, pv_w, 0, e, emax);
		double grid = load_w - pv_w + b;
		st->shadow.cost[r] += grid * (grid > 0 ? imp : exp) * g.dt_h / 1000.0;
		st->shadow.e_wh[r] = e + (b > 0 ? b * g.ec * g.dt_h : b / g.ed * g.dt_h);
	}
	st->shadow.seconds += dt_s;
}

/* The cost on the forecast of a policy, counted as the DP counts it (stage
 * costs, the Auto-SOC loads by the SOC at each slot's start with their
 * credit, the terminal value), from stored energy e0 (Wh). p NULL: the rule
 * (STATION_MODE_SELF_CONSUMPTION or STATION_MODE_TOU, its periods at each
 * slot's middle). Else the plan's policy (its choice table from the
 * level nearest the exact energy) executed with exact energy: where the
 * rule lands within one level of the plan's target, the difference is the
 * level grid's rounding, not a decision, and the rule's move is taken (as
 * execute() does with its dead band). Writes the stored energy at each
 * slot's end into e_out (n values). */
static double eval_policy(const dp_grid *g, const station_plan *p, station_mode rule, const float *load,
			  const float *pv, const float *imp, const float *exp, double e0, double emax,
			  double terminal_per_wh, float *e_out)
{
	const station_battery_cfg *bc = &g->cfg->battery;
	double e = e0, total = 0, dt_h = g->dt_h;
	for (int t = 0; t < g->n; t++) {
		double extra = loads_at(g, g->mask ? g->mask[t] : 0, e);
		int64_t mid = local_of_slot(g->cfg, g->slot + t) + STATION_SLOT_S / 2;
		double b = !p && rule == STATION_MODE_TOU
			? tou_rule_power(g, mid, load[t], pv[t], extra, e, emax)
			: rule_power(g, load[t], pv[t], extra, e, emax);
		if (p) {
			int i = (int)floor((e - g->emin) / g->de + 0.5);
			i = i < 0 ? 0 : i >= g->levels ? g->levels - 1 : i;
			double ej = g->emin + p->choice[t][i] * g->de;
			double er = e + (b > 0 ? b * g->ec * dt_h : b / g->ed * dt_h);
			if (fabs(er - ej) > g->de) {
				double dE = fmin(fmax(ej - e, -bc->max_discharge_w / g->ed * dt_h),
						 bc->max_charge_w * g->ec * dt_h);
				b = dE > 0 ? dE / g->ec / dt_h : dE * g->ed / dt_h;
			}
		}
		total += stage_cost_loads(load[t], pv[t], b, extra, imp[t], exp[t], g->peak, dt_h);
		e += b > 0 ? b * g->ec * dt_h : b / g->ed * dt_h;
		e_out[t] = (float)e;
	}
	return total - terminal_per_wh * (e - g->emin) / 1000.0;
}

#define GUARD_MIN 0.005 /* currency: a gain below this is a tie, and the rule wins ties */
#define GUARD_BIAS 0.3  /* the perturbed forecasts: 0.3 x the learned error, in every slot */

/* The guard (see the file comment). The plan's policy and the rule are
 * costed on the forecast and on two forecasts that are off by 0.3 x the
 * learned error (per slot of the day, |actual - forecast| of the net load,
 * smoothed) in every slot, once each way: more load / less PV, and less load / more
 * PV (the same error in every slot overstates it: 0.3, not a half, measured
 * with station-bench). The rule: self-consumption, or the TOU mode where
 * TOU periods are set and it did better here over the last days (the
 * shadows, shadow_step: the forecast that would favour one rule is the
 * very thing that cannot be trusted). The plan is followed only when it
 * beats that rule by GUARD_MIN in all three; margin = how much of the nominal gain the
 * worse of the two perturbed cases takes away. Without a learned error
 * yet, a prior of a quarter of the forecast net load plus 100 W. */
static void guard(station_ctx *c, int64_t slot, double term)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	station_plan *p = &st->plan;
	const station_battery_cfg *bc = &cfg->battery;
	p->follow_rule = false;
	p->rule = STATION_MODE_SELF_CONSUMPTION;
	p->gain = p->margin = 0;
	p->rule_cost = p->cost;
	if (bc->capacity_wh <= 0 || p->levels < 2)
		return;
	double eta = bc->round_trip_eff > 0 ? bc->round_trip_eff : 1;
	dp_grid g = { .cfg = cfg,
		      .n = p->n,
		      .levels = p->levels,
		      .dt_h = STATION_SLOT_S / 3600.0,
		      .ec = sqrt(eta),
		      .ed = sqrt(eta),
		      .emin = p->emin_wh,
		      .de = p->level_wh,
		      .peak = cfg->max_peak_power_w,
		      .mask = p->load_mask,
		      .slot = slot };
	double e0 = c->soc / 100.0 * bc->capacity_wh, emax = p->emin_wh + (p->levels - 1) * p->level_wh;
	/* the rule: TOU where it did better in the shadows, at equal stored
	 * energy (what a rule holds is worth the next day's mean import
	 * price, delivered); else self-consumption */
	station_mode rule = STATION_MODE_SELF_CONSUMPTION;
	if (cfg->n_tou > 0 && st->shadow.seconds >= SHADOW_MIN_S) {
		double mean = 0;
		for (int t = 0; t < 96; t++) {
			double a, b;
			station_price_slot(cfg, st, slot + t, &a, &b);
			mean += a / 96;
		}
		double v = mean * g.ed / 1000.0;
		if (st->shadow.cost[1] - st->shadow.e_wh[1] * v <
		    st->shadow.cost[0] - st->shadow.e_wh[0] * v - GUARD_MIN)
			rule = STATION_MODE_TOU;
	}
	/* scratch on the stack (~5 KB): trajectories and a perturbed forecast */
	float ep[STATION_PLAN_MAX_SLOTS], er[STATION_PLAN_MAX_SLOTS], scratch[STATION_PLAN_MAX_SLOTS];
	float ld[STATION_PLAN_MAX_SLOTS], pvd[STATION_PLAN_MAX_SLOTS], err[STATION_PLAN_MAX_SLOTS];
	for (int t = 0; t < p->n; t++) {
		int sod, we;
		slot_kind(cfg, slot + t, &sod, &we);
		err[t] = st->fc.err_n[sod] ? st->fc.err_w[sod]
					   : (float)(0.25 * fabs(p->load_w[t] - p->pv_w[t]) + 100.0);
	}
	double worst = INFINITY;
	for (int sc = -1; sc <= 1; sc++) { /* -1: less net load, 0: the forecast, +1: more */
		for (int t = 0; t < p->n; t++) {
			double l = p->load_w[t] + (double)sc * GUARD_BIAS * err[t], v = p->pv_w[t];
			if (l < 0) { /* less net load than the whole load: the rest is more PV */
				v -= l;
				l = 0;
			}
			ld[t] = (float)l;
			pvd[t] = (float)v;
		}
		double plan_cost = eval_policy(&g, p, STATION_MODE_OPTIMISE, ld, pvd, p->imp, p->exp, e0,
					       emax, term, ep);
		double rule_cost = eval_policy(&g, NULL, rule, ld, pvd, p->imp, p->exp, e0, emax, term,
					       sc == 0 ? er : scratch);
		double gain = rule_cost - plan_cost;
		if (sc == 0) {
			p->gain = gain;
			p->rule_cost = rule_cost;
		}
		if (gain < worst)
			worst = gain;
	}
	p->rule = rule;
	p->margin = p->gain - worst;
	if (worst > GUARD_MIN)
		return;
	p->follow_rule = true;
	for (int t = 0; t < p->n; t++) /* the rule's SOC, shown as it is followed */
		p->soc_pct[t + 1] = (float)(er[t] / bc->capacity_wh * 100.0);
}

static void make_plan(station_ctx *c, int64_t slot)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	station_plan *p = &st->plan;
	int n = cfg->plan_horizon_h * 3600 / STATION_SLOT_S;
	if (n > STATION_PLAN_MAX_SLOTS)
		n = STATION_PLAN_MAX_SLOTS;
	double auto_now = auto_loads_on_w(cfg, st);
	for (int t = 0; t < n; t++) {
		double l, v, a, b;
		station_forecast_slot(cfg, st, slot + t, &l, &v);
		if (t == 0 && st->fc.load_mean_n > 0) {
			/* the slot in progress: blend in what is measured now (the
			 * Auto-SOC loads are the plan's, not the forecast's) */
			l = 0.5 * l + 0.5 * fmax(c->load + c->loads - auto_now, 0);
			v = 0.5 * v + 0.5 * c->pv;
		}
		station_price_slot(cfg, st, slot + t, &a, &b);
		p->load_w[t] = (float)l;
		p->pv_w[t] = (float)v;
		p->imp[t] = (float)a;
		p->exp[t] = (float)b;
		uint8_t mask = 0;
		int64_t ls = local_of_slot(cfg, slot + t);
		for (int i = 0; i < cfg->n_smart_loads && i < STATION_MAX_SMART_LOADS; i++) {
			const station_smart_load_cfg *sl = &cfg->smart_loads[i];
			if (sl->mode == STATION_LOAD_AUTO_SOC && station_window_active(&sl->window, ls))
				mask |= (uint8_t)(1u << i);
		}
		p->load_mask[t] = mask;
	}
	double floor_pct = c->on_grid ? fmax(cfg->battery.backup_reserve_pct, cfg->battery.soc_min_pct)
				      : cfg->battery.soc_min_pct;
	double term = terminal_value(p->imp, n, c->eta_d);
	p->n = n;
	p->made_slot = slot;
	p->made_ms = c->now_ms;
	p->cost = plan_dp(cfg, p, n, STATION_SLOT_S, p->load_w, p->pv_w, p->imp, p->exp, p->load_mask, c->soc,
			  floor_pct, cfg->battery.soc_max_pct, cfg->plan_levels, term, p->soc_pct, p->bat_w);
	guard(c, slot, term);
}

/* Cost-to-go at the end of plan slot k for stored energy e (Wh), linear
 * between the DP's levels; outside the grid it continues with the end
 * slopes (only reached by a measured SOC off the grid). */
static double value_at(const station_plan *p, int k, double e)
{
	const float *v = p->vnext[k];
	double x = (e - p->emin_wh) / p->level_wh;
	int i = (int)floor(x);
	if (i < 0)
		i = 0;
	if (i > p->levels - 2)
		i = p->levels - 2;
	return v[i] + (x - i) * (v[i + 1] - v[i]);
}

/* One step of the plan's execution: the battery power b (held for the rest
 * of the slot, with the load and PV measured now) that minimises this slot's
 * grid cost plus the plan's cost-to-go at the slot's end. The objective is
 * piecewise linear in b, so its minimum lies at a breakpoint: zero grid,
 * the peak cap, a DP level, or a limit. This is the plan's own decision
 * with exact power instead of the DP's level steps, and it answers load
 * spikes and forecast errors at once by the value of stored energy. */
static double execute(const station_ctx *c, const station_plan *p, int k, double slot_left_s, double imp,
		      double exp, bool *grid_charge)
{
	const station_config *cfg = c->cfg;
	double th = slot_left_s / 3600.0;
	double e = c->soc / 100.0 * cfg->battery.capacity_wh;
	double emax = p->emin_wh + (p->levels - 1) * p->level_wh;
	double g0 = c->ev - c->s0; /* grid without the battery */
	double lo = -c->maxd, hi = c->maxc;
	/* the plan's SOC range over the rest of the slot */
	if (e > p->emin_wh)
		lo = fmax(lo, -(e - p->emin_wh) * c->eta_d / th);
	else
		lo = fmax(lo, 0);
	if (e < emax)
		hi = fmin(hi, (emax - e) / c->eta_c / th);
	else
		hi = fmin(hi, 0);
	/* the inverter: grid charging within its input, PV + discharge within its output */
	hi = fmin(hi, c->pv_own + cfg->inverter_max_w);
	lo = fmax(lo, fmin(c->pv_own - cfg->inverter_max_w, hi));
	/* EVs that may not use the battery: it covers at most the house */
	if (c->ev - c->ev_bat_ok > 1)
		lo = fmax(lo, fmin(station_ctx_self_consumption(c), 0));
	if (hi < lo)
		hi = lo;
	double cap = cfg->max_peak_power_w;
	double cand[STATION_PLAN_MAX_LEVELS + 8];
	int nc = 0;
	cand[nc++] = lo;
	cand[nc++] = hi;
	cand[nc++] = -g0; /* zero grid: self-consumption */
	cand[nc++] = 0;
	if (cap > 0)
		cand[nc++] = cap - g0;
	int i0 = (int)floor((e + lo * th / c->eta_d - p->emin_wh) / p->level_wh);
	int i1 = (int)ceil((e + hi * th * c->eta_c - p->emin_wh) / p->level_wh);
	if (i0 < 0)
		i0 = 0;
	if (i1 > p->levels - 1)
		i1 = p->levels - 1;
	for (int i = i0; i <= i1 && nc < (int)(sizeof(cand) / sizeof(cand[0])) - 1; i++) {
		double dE = p->emin_wh + i * p->level_wh - e;
		cand[nc++] = dE > 0 ? dE / c->eta_c / th : dE * c->eta_d / th;
	}
	double sc = station_ctx_self_consumption(c);
	sc = sc < lo ? lo : sc > hi ? hi : sc;
	double tol = 0.001 + 0.01 * fabs(imp);
	cand[nc++] = sc;
	double best = INFINITY, bb = 0;
	for (int j = 0; j < nc; j++) {
		double b = cand[j];
		if (b < lo)
			b = lo;
		if (b > hi)
			b = hi;
		double g = g0 + b;
		double cost = g > 0 ? g * imp : g * exp;
		if (cap > 0 && g > cap)
			cost += (g - cap) * 10.0;
		cost = (cost + fabs(g) * 1e-5) * th / 1000.0;
		double dE = b > 0 ? b * c->eta_c * th : b / c->eta_d * th;
		/* a dead band around self-consumption: the plan's values are
		 * floats on a level grid, so a near-tie must not move energy */
		double v = cost + value_at(p, k, e + dE) + tol * fabs(b - sc) * th / 1000.0;
		if (v < best - 1e-12) {
			best = v;
			bb = b;
		}
	}
	*grid_charge = bb > 0 && g0 + bb > 1;
	return bb;
}

void station_mode_optimise(station_ctx *c)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	station_plan *p = &st->plan;
	int64_t slot = floordiv64(c->now_ms, 1000LL * STATION_SLOT_S);
	if (p->made_slot < 0 || slot < p->made_slot || slot - p->made_slot >= p->n ||
	    slot - p->made_slot >= STATION_PLAN_KEEP ||
	    c->now_ms - p->made_ms >= (int64_t)cfg->replan_min * 60000)
		make_plan(c, slot);
	int k = (int)(slot - p->made_slot);
	double sc = station_ctx_self_consumption(c);
	c->plan_soc = p->soc_pct[k + 1];
	c->bat = sc;
	if (p->follow_rule) {
		if (p->rule == STATION_MODE_TOU)
			station_ctx_tou(c);
		return;
	}
	if (p->levels < 2 || p->level_wh <= 0 || k >= STATION_PLAN_KEEP || cfg->battery.capacity_wh <= 0)
		return;
	double imp, exp;
	station_price_slot(cfg, st, slot, &imp, &exp);
	double left_s = (double)((slot + 1) * 1000LL * STATION_SLOT_S - c->now_ms) / 1000.0;
	if (left_s < 1)
		left_s = 1;
	bool gc = false;
	c->bat = execute(c, p, k, left_s, imp, exp, &gc);
	c->grid_charge = gc;
}
