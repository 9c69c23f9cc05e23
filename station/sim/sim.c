/* sim.c: the day simulator: CSV reader (strict: one clear error naming the
 * line and column), the step loop (station library -> battery model -> local
 * DLM breaker clamp -> flows), day-ahead price feeding and the KPIs.
 */
#include "sim.h"
#include "station_time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FREE(p)             \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

void sim_day_free(sim_day *d)
{
	FREE(d->t_ms);
	FREE(d->pv);
	FREE(d->load);
	FREE(d->imp);
	FREE(d->exp);
	FREE(d->pv3);
	FREE(d->outage);
	for (int k = 0; k < STATION_MAX_CHARGERS; k++) {
		FREE(d->ev_w[k]);
		FREE(d->ev_need_wh[k]);
	}
	d->n = 0;
}

/* 2024-06-18T12:05:00Z (also without seconds, with +00:00 or no zone) */
static int parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, se = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5)
		return -1;
	const char *p = s + n;
	if (*p == ':') {
		int k = 0;
		if (sscanf(p, ":%2d%n", &se, &k) != 1)
			return -1;
		p += k;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 || y < 1970)
		return -1;
	*ms = (station_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000LL;
	return 0;
}

enum { C_TIME, C_PV, C_LOAD, C_IMP, C_EXP, C_PV3, C_OUTAGE, C_EV, C_NEED, C_NONE };

typedef struct col {
	int kind, ev;
} col;

#define MAX_COLS 32

static int classify(const char *name, col *c)
{
	static const struct {
		const char *name;
		int kind;
	} fixed[] = { { "time", C_TIME },        { "pv_w", C_PV },          { "load_w", C_LOAD },
		      { "import_price", C_IMP }, { "export_price", C_EXP }, { "pv3_w", C_PV3 },
		      { "outage", C_OUTAGE } };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(name, fixed[i].name) == 0) {
			c->kind = fixed[i].kind;
			c->ev = 0;
			return 0;
		}
	int k, n = 0;
	if (sscanf(name, "ev%d_w%n", &k, &n) == 1 && name[n] == 0 && k >= 1 && k <= STATION_MAX_CHARGERS) {
		c->kind = C_EV;
		c->ev = k - 1;
		return 0;
	}
	if (sscanf(name, "ev%d_need_wh%n", &k, &n) == 1 && name[n] == 0 && k >= 1 &&
	    k <= STATION_MAX_CHARGERS) {
		c->kind = C_NEED;
		c->ev = k - 1;
		return 0;
	}
	return -1;
}

static void strip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = 0;
}

static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	for (int i = 0; i < n; i++) {
		while (*f[i] == ' ')
			f[i]++;
		strip(f[i]);
	}
	return n;
}

static int grow(sim_day *d, int cap, bool ev_cols[], bool need_cols[])
{
#define G(p)                                                        \
	do {                                                        \
		void *q = realloc((p), (size_t)cap * sizeof(*(p))); \
		if (!q)                                             \
			return -1;                                  \
		(p) = q;                                            \
	} while (0)
	G(d->t_ms);
	G(d->pv);
	G(d->load);
	G(d->imp);
	G(d->exp);
	G(d->pv3);
	G(d->outage);
	for (int k = 0; k < STATION_MAX_CHARGERS; k++) {
		if (ev_cols[k])
			G(d->ev_w[k]);
		if (need_cols[k])
			G(d->ev_need_wh[k]);
	}
#undef G
	return 0;
}

int sim_day_load(const char *path, sim_day *d, char *err, int errlen)
{
	memset(d, 0, sizeof(*d));
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t linecap = 0;
	int rc = -1, lineno = 0, cap = 0, ncol = 0;
	col cols[MAX_COLS];
	bool ev_cols[STATION_MAX_CHARGERS] = { 0 }, need_cols[STATION_MAX_CHARGERS] = { 0 };
	bool have[C_NONE] = { 0 };
	char *fld[MAX_COLS + 1];
	if (!f) {
		snprintf(err, (size_t)errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* header */
	for (;;) {
		if (getline(&line, &linecap, f) < 0) {
			snprintf(err, (size_t)errlen, "%s: empty file, expected a header line", path);
			goto out;
		}
		lineno++;
		strip(line);
		if (line[0] && line[0] != '#')
			break;
	}
	ncol = split(line, fld, MAX_COLS);
	if (ncol < 0) {
		snprintf(err, (size_t)errlen, "%s:%d: too many columns", path, lineno);
		goto out;
	}
	for (int i = 0; i < ncol; i++) {
		if (classify(fld[i], &cols[i]) < 0) {
			snprintf(err, (size_t)errlen, "%s:%d: unknown column '%s'", path, lineno, fld[i]);
			goto out;
		}
		int k = cols[i].kind;
		bool *seen = k == C_EV ? &ev_cols[cols[i].ev]
			: k == C_NEED  ? &need_cols[cols[i].ev]
				       : &have[k];
		if (*seen) {
			snprintf(err, (size_t)errlen, "%s:%d: duplicate column '%s'", path, lineno, fld[i]);
			goto out;
		}
		*seen = true;
	}
	static const char *const required[] = { "time", "pv_w", "load_w", "import_price", "export_price" };
	for (int k = C_TIME; k <= C_EXP; k++)
		if (!have[k]) {
			snprintf(err, (size_t)errlen, "%s:%d: missing column '%s'", path, lineno,
				 required[k]);
			goto out;
		}
	for (int k = 0; k < STATION_MAX_CHARGERS; k++) {
		if (need_cols[k] && !ev_cols[k]) {
			snprintf(err, (size_t)errlen, "%s:%d: ev%d_need_wh without ev%d_w", path, lineno,
				 k + 1, k + 1);
			goto out;
		}
		if (ev_cols[k])
			d->n_ev = k + 1;
	}
	for (int k = 0; k < d->n_ev; k++)
		if (!ev_cols[k]) {
			snprintf(err, (size_t)errlen,
				 "%s:%d: ev%d_w missing (ev columns must be numbered from 1)", path, lineno,
				 k + 1);
			goto out;
		}
	while (getline(&line, &linecap, f) >= 0) {
		lineno++;
		strip(line);
		if (!line[0] || line[0] == '#')
			continue;
		int nf = split(line, fld, MAX_COLS);
		if (nf != ncol) {
			snprintf(err, (size_t)errlen, "%s:%d: %d fields, the header has %d", path, lineno,
				 nf < 0 ? 0 : nf, ncol);
			goto out;
		}
		if (d->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if (grow(d, cap, ev_cols, need_cols) < 0) {
				snprintf(err, (size_t)errlen, "%s: out of memory", path);
				goto out;
			}
		}
		int r = d->n;
		d->pv3[r] = 0;
		d->outage[r] = 0;
		for (int i = 0; i < ncol; i++) {
			if (cols[i].kind == C_TIME) {
				if (parse_time(fld[i], &d->t_ms[r]) < 0) {
					snprintf(err, (size_t)errlen,
						 "%s:%d: bad time '%s' (ISO 8601 UTC expected)", path, lineno,
						 fld[i]);
					goto out;
				}
				continue;
			}
			char *end;
			errno = 0;
			double v = strtod(fld[i], &end);
			if (!fld[i][0] || *end || errno || !isfinite(v)) {
				snprintf(err, (size_t)errlen, "%s:%d: bad number '%s' in column %d", path,
					 lineno, fld[i], i + 1);
				goto out;
			}
			bool neg_ok = cols[i].kind == C_IMP || cols[i].kind == C_EXP;
			if (v < 0 && !neg_ok) {
				snprintf(err, (size_t)errlen, "%s:%d: negative value in column %d", path,
					 lineno, i + 1);
				goto out;
			}
			switch (cols[i].kind) {
			case C_PV: d->pv[r] = v; break;
			case C_LOAD: d->load[r] = v; break;
			case C_IMP: d->imp[r] = v; break;
			case C_EXP: d->exp[r] = v; break;
			case C_PV3: d->pv3[r] = v; break;
			case C_OUTAGE:
				if (v != 0 && v != 1) {
					snprintf(err, (size_t)errlen, "%s:%d: outage must be 0 or 1", path,
						 lineno);
					goto out;
				}
				d->outage[r] = (unsigned char)v;
				break;
			case C_EV: d->ev_w[cols[i].ev][r] = v; break;
			case C_NEED: d->ev_need_wh[cols[i].ev][r] = v; break;
			}
		}
		if (r > 0) {
			int64_t step = d->t_ms[r] - d->t_ms[r - 1];
			if (r == 1) {
				if (step < 60000 || step > 900000 || step % 1000) {
					snprintf(err, (size_t)errlen, "%s:%d: step must be 1 to 15 minutes",
						 path, lineno);
					goto out;
				}
				d->step_s = (int)(step / 1000);
			} else if (step != (int64_t)d->step_s * 1000) {
				snprintf(err, (size_t)errlen,
					 "%s:%d: time step changes (fixed step required)", path, lineno);
				goto out;
			}
		}
		d->n++;
	}
	if (d->n < 2) {
		snprintf(err, (size_t)errlen, "%s: fewer than two data rows", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	if (rc < 0)
		sim_day_free(d);
	return rc;
}

void sim_result_free(sim_result *res)
{
	FREE(res->fixed_load);
	FREE(res->pv_avail);
	FREE(res->gen);
	FREE(res->soc);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Day-ahead prices: from the start of the local day until the end of the
 * next local day once it is 13:00 local (as EPEX publishes), else until
 * the end of today; 15-min slot averages of the CSV's rows. */
static void feed_prices(const station_config *cfg, station_state *st, const sim_day *d, int row)
{
	int64_t off = (int64_t)cfg->utc_offset_min * 60;
	int64_t local_s = d->t_ms[row] / 1000 + off;
	int64_t day = floordiv(local_s, 86400);
	bool after13 = local_s - day * 86400 >= 13 * 3600;
	int64_t from_s = day * 86400 - off, to_s = (day + (after13 ? 2 : 1)) * 86400 - off;
	int64_t s0 = floordiv(from_s, STATION_SLOT_S), s1 = floordiv(to_s, STATION_SLOT_S);
	double imp[STATION_PRICE_MAX_SLOTS], exp[STATION_PRICE_MAX_SLOTS];
	int cnt[STATION_PRICE_MAX_SLOTS];
	int n = (int)(s1 - s0);
	if (n > STATION_PRICE_MAX_SLOTS)
		n = STATION_PRICE_MAX_SLOTS;
	memset(imp, 0, sizeof(imp));
	memset(exp, 0, sizeof(exp));
	memset(cnt, 0, sizeof(cnt));
	/* the rows of the window (binary search would do; the rows are few) */
	int64_t t0 = d->t_ms[0] / 1000;
	int first = (int)((from_s - t0) / d->step_s);
	if (first < 0)
		first = 0;
	int last_slot = -1;
	for (int r = first; r < d->n; r++) {
		int64_t s = floordiv(d->t_ms[r] / 1000, STATION_SLOT_S) - s0;
		if (s < 0)
			continue;
		if (s >= n)
			break;
		imp[s] += d->imp[r];
		exp[s] += d->exp[r];
		cnt[s]++;
		if (s > last_slot)
			last_slot = (int)s;
	}
	int m = 0; /* known slots: up to the last slot with data, from the first with data */
	int start = 0;
	while (start < n && cnt[start] == 0)
		start++;
	for (int i = start; i <= last_slot; i++) {
		if (cnt[i]) {
			imp[i] /= cnt[i];
			exp[i] /= cnt[i];
		} else if (i > start) {
			imp[i] = imp[i - 1];
			exp[i] = exp[i - 1];
		}
		m = i - start + 1;
	}
	if (m > 0)
		station_prices_set(st, (s0 + start) * STATION_SLOT_S * 1000LL, STATION_SLOT_S, m, imp + start,
				   exp + start);
}

/* Perfect foresight (sim_day.perfect_forecast): the next 48 h of home load
 * and PV (own + third party) as 15-min slot averages of the rows, from the
 * slot of row. */
static void feed_forecast(station_state *st, const sim_day *d, int row)
{
	enum { N = STATION_PLAN_MAX_SLOTS + 4 };
	double load[N], pv[N];
	int cnt[N];
	memset(load, 0, sizeof(load));
	memset(pv, 0, sizeof(pv));
	memset(cnt, 0, sizeof(cnt));
	int64_t s0 = floordiv(d->t_ms[row] / 1000, STATION_SLOT_S);
	int m = 0;
	for (int r = row; r < d->n; r++) {
		int64_t s = floordiv(d->t_ms[r] / 1000, STATION_SLOT_S) - s0;
		if (s < 0)
			continue;
		if (s >= N)
			break;
		load[s] += d->load[r];
		pv[s] += d->pv[r] + d->pv3[r];
		cnt[s]++;
		m = (int)s + 1;
	}
	for (int i = 0; i < m; i++) {
		if (cnt[i]) {
			load[i] /= cnt[i];
			pv[i] /= cnt[i];
		} else if (i > 0) {
			load[i] = load[i - 1];
			pv[i] = pv[i - 1];
		}
	}
	if (m > 0)
		station_forecast_set(st, s0 * STATION_SLOT_S * 1000LL, STATION_SLOT_S, m, load, pv);
}

static void kpi_add(sim_kpi *k, const sim_step_rec *r, double imp_price, double exp_price)
{
	double h = r->dt_s / 3600.0;
	double imp = r->grid > 0 ? r->grid : 0, exp = r->grid < 0 ? -r->grid : 0;
	k->import_wh += imp * h;
	k->export_wh += exp * h;
	k->cost_total += (imp * imp_price - exp * exp_price) * h / 1000.0;
	if (imp > k->peak_import_w)
		k->peak_import_w = imp;
	k->battery_throughput_wh += fabs(r->bat) * h;
	k->ev_energy_wh += r->ev * h;
	double pv_left = r->pv + r->pv3 - r->load - r->loads;
	double ev_pv = pv_left > 0 ? (r->ev < pv_left ? r->ev : pv_left) : 0;
	k->ev_pv_wh += ev_pv * h;
	k->pv_wh += (r->pv + r->pv3) * h;
	k->consumption_wh += (r->load + r->loads + r->ev - r->unserved) * h;
	k->curtailed_wh += r->curtailed * h;
	k->unserved_wh += r->unserved * h;
	k->flex_wh += r->flex * h;
	k->flex_credit += r->flex * exp_price * h / 1000.0;
}

static void kpi_finish(sim_kpi *k, double peak_charge_per_kw)
{
	k->cost_total += peak_charge_per_kw * k->peak_import_w / 1000.0;
	k->self_consumption = k->pv_wh > 0 ? (k->pv_wh - k->export_wh) / k->pv_wh : 0;
	if (k->self_consumption < 0)
		k->self_consumption = 0;
	k->self_sufficiency =
		k->consumption_wh > 0 ? (k->consumption_wh - k->import_wh) / k->consumption_wh : 0;
	if (k->self_sufficiency < 0)
		k->self_sufficiency = 0;
	if (k->self_sufficiency > 1)
		k->self_sufficiency = 1;
	k->ev_pv_share = k->ev_energy_wh > 0 ? k->ev_pv_wh / k->ev_energy_wh : 0;
}

/* Local DLM stand-in: clamp each charger's current so that no phase at the
 * grid point exceeds the breaker (house balanced over the phases, one-phase
 * chargers on L1), last charger first, below 6 A -> 0. */
static void dlm_clamp(const station_config *cfg, double grid0, double *a, const int *ph, int n)
{
	if (cfg->breaker_a <= 0)
		return;
	double v = cfg->voltage_v, base = grid0 / (cfg->grid_phases * v);
	for (int i = n - 1; i >= 0; i--) {
		double l1 = base, l23 = base;
		for (int k = 0; k < n; k++) {
			l1 += a[k];
			if (ph[k] == 3 && cfg->grid_phases == 3)
				l23 += a[k];
			else if (cfg->grid_phases == 1)
				l23 = l1;
		}
		double over = (ph[i] == 3 ? fmax(l1, l23) : l1) - cfg->breaker_a;
		if (over <= 1e-9)
			return;
		double na = a[i] - over;
		na = floor(na * 10 + 1e-9) / 10;
		a[i] = na < STATION_MIN_CURRENT_A ? 0 : na;
	}
}

double sim_cost_comparable(const sim_kpi *k)
{
	return k->cost_total - k->flex_credit;
}

/* The automatic controlled loads of one step's decisions, W. */
static double flex_w(const station_config *cfg, const station_output *out)
{
	double w = 0;
	for (int i = 0; i < cfg->n_smart_loads; i++)
		if (cfg->smart_loads[i].mode == STATION_LOAD_AUTO_SOC && out->smart_load_on[i])
			w += cfg->smart_loads[i].power_w;
	if (cfg->heat_pump.enabled && cfg->heat_pump.auto_mode && out->heat_pump_on)
		w += cfg->heat_pump.power_w;
	return w;
}

int sim_run(const station_config *cfg, const sim_day *d, sim_step_cb cb, void *user, sim_result *res,
	    char *err, int errlen)
{
	return sim_run_judged(cfg, d, -1, 0, cb, user, res, err, errlen);
}

int sim_run_judged(const station_config *cfg, const sim_day *d, int judge_row, double judge_soc_pct,
		   sim_step_cb cb, void *user, sim_result *res, char *err, int errlen)
{
	memset(res, 0, sizeof(*res));
	station_state *st = calloc(1, sizeof(*st));
	res->fixed_load = calloc((size_t)d->n, sizeof(double));
	res->pv_avail = calloc((size_t)d->n, sizeof(double));
	res->gen = calloc((size_t)d->n, sizeof(double));
	res->soc = calloc((size_t)d->n, sizeof(double));
	if (!st || !res->fixed_load || !res->pv_avail || !res->gen || !res->soc) {
		snprintf(err, (size_t)errlen, "out of memory");
		free(st);
		sim_result_free(res);
		return -1;
	}
	station_state_init(st, cfg);
	const station_battery_cfg *b = &cfg->battery;
	double eta = sqrt(b->round_trip_eff);
	double soc = b->soc_start_pct;
	double remaining[STATION_MAX_CHARGERS];
	for (int k = 0; k < STATION_MAX_CHARGERS; k++)
		remaining[k] = INFINITY;
	double dt = d->step_s, h = dt / 3600.0;
	int64_t last_day_ms = d->t_ms[d->n - 1] + (int64_t)d->step_s * 1000 - 86400000LL;
	res->last_day_row = 0;
	for (int r = 0; r < d->n; r++)
		if (d->t_ms[r] >= last_day_ms) {
			res->last_day_row = r;
			break;
		}
	if (judge_row >= 0 && judge_row < d->n)
		res->last_day_row = judge_row;
	else
		judge_row = -1;
	res->soc_start_pct = soc;
	int64_t last_feed_hour = INT64_MIN;
	for (int r = 0; r < d->n; r++) {
		int64_t now = d->t_ms[r];
		/* prices: at the start and on every local hour (13:00 brings tomorrow) */
		int64_t hour = floordiv(now / 1000, 3600);
		if (hour != last_feed_hour) {
			feed_prices(cfg, st, d, r);
			if (d->perfect_forecast)
				feed_forecast(st, d, r);
			last_feed_hour = hour;
		}
		if (r == judge_row)
			soc = judge_soc_pct;
		if (r == res->last_day_row)
			res->soc_last_day_start_pct = soc;
		station_input in;
		memset(&in, 0, sizeof(in));
		in.pv_w = d->pv[r];
		in.pv3_w = d->pv3[r];
		in.load_w = d->load[r];
		in.soc_pct = soc;
		in.on_grid = !d->outage[r];
		for (int k = 0; k < cfg->n_chargers && k < d->n_ev; k++) {
			double w = d->ev_w[k][r];
			bool plug_in = w > 0 && (r == 0 || d->ev_w[k][r - 1] <= 0);
			if (d->ev_need_wh[k] && (plug_in || d->ev_need_wh[k][r] > 0))
				remaining[k] = d->ev_need_wh[k][r] > 0 ? d->ev_need_wh[k][r] : remaining[k];
			if (w <= 0 && d->ev_need_wh[k])
				remaining[k] = 0;
			in.ev[k].connected = w > 0 && remaining[k] > 0.5;
			in.ev[k].demand_w = in.ev[k].connected ? fmin(w, remaining[k] / h) : 0;
		}
		station_output out;
		if (station_step(cfg, st, &in, now, &out) < 0) {
			snprintf(err, (size_t)errlen, "station_step failed at row %d", r + 1);
			free(st);
			sim_result_free(res);
			return -1;
		}
		sim_step_rec rec;
		memset(&rec, 0, sizeof(rec));
		rec.row = r;
		rec.t_ms = now;
		rec.dt_s = dt;
		rec.in = &in;
		rec.out = &out;
		rec.on_grid = in.on_grid;
		rec.soc_before = soc;
		rec.pv_avail = d->pv[r];
		/* battery model: power limits, then the SOC bounds over this step */
		double room = (b->soc_max_pct - soc) / 100.0 * b->capacity_wh;
		double avail = (soc - b->soc_min_pct) / 100.0 * b->capacity_wh;
		double cmax = fmin(b->max_charge_w, fmax(0, room) / eta / h);
		double dmax = fmin(b->max_discharge_w, fmax(0, avail) * eta / h);
		double bat = fmin(fmax(out.bat_w, -dmax), cmax);
		double pv = fmin(d->pv[r], out.pv_limit_w);
		double pv3 = out.pv3_on ? d->pv3[r] : 0;
		double gen = out.gen_w;
		double loads = out.loads_w;
		double grid0 = d->load[r] + loads + bat - pv - pv3 - gen;
		/* EVs: the station's targets through the local DLM clamp, then what the car takes */
		double a[STATION_MAX_CHARGERS] = { 0 };
		int ph[STATION_MAX_CHARGERS] = { 0 };
		for (int k = 0; k < cfg->n_chargers; k++) {
			a[k] = out.ev[k].target_a;
			ph[k] = out.ev[k].phases ? out.ev[k].phases : 1;
		}
		if (in.on_grid)
			dlm_clamp(cfg, grid0, a, ph, cfg->n_chargers);
		double ev = 0;
		for (int k = 0; k < cfg->n_chargers; k++) {
			double p = fmin(a[k] * cfg->voltage_v * ph[k], in.ev[k].demand_w);
			if (!in.ev[k].connected)
				p = 0;
			if (k < d->n_ev && d->ev_need_wh[k] && isfinite(remaining[k]))
				remaining[k] -= p * h;
			rec.ev_a[k] = p > 0 ? a[k] : 0;
			rec.ev_phases[k] = ph[k];
			ev += p;
		}
		double unserved = 0, curtailed = d->pv[r] - pv;
		double grid;
		if (in.on_grid) {
			grid = grid0 + ev;
		} else {
			/* off grid the battery inverter forms the grid and balances */
			double need = pv + pv3 + gen - d->load[r] - loads - ev;
			bat = need;
			if (bat > cmax) {
				double cut = fmin(bat - cmax, pv);
				pv -= cut;
				curtailed += cut;
				bat = need - cut;
				if (bat > cmax) { /* the third-party inverter trips */
					pv3 = 0;
					bat = pv + gen - d->load[r] - loads - ev;
				}
			}
			if (bat < -dmax) {
				unserved = -dmax - bat;
				bat = -dmax;
			}
			grid = 0;
		}
		soc += (bat > 0 ? bat * eta : bat / eta) * h / b->capacity_wh * 100.0;
		if (soc < 0 && soc > -1e-9)
			soc = 0;
		rec.pv = pv;
		rec.pv3 = pv3;
		rec.load = d->load[r];
		rec.loads = loads;
		rec.ev = ev;
		rec.gen = gen;
		rec.bat = bat;
		rec.grid = grid;
		rec.unserved = unserved;
		rec.curtailed = curtailed;
		rec.soc = soc;
		/* highest phase current at the grid point */
		if (in.on_grid) {
			double base = (grid - ev) / (cfg->grid_phases * cfg->voltage_v), l1 = base,
			       l23 = base;
			for (int k = 0; k < cfg->n_chargers; k++) {
				double ak = rec.ev_a[k];
				l1 += ak;
				if (ph[k] == 3 && cfg->grid_phases == 3)
					l23 += ak;
			}
			if (cfg->grid_phases == 1)
				l23 = l1;
			rec.breaker_phase_a = fmax(fmax(fabs(l1), fabs(l23)), 0);
		}
		double flex = fmin(flex_w(cfg, &out), loads);
		rec.flex = flex;
		res->fixed_load[r] = d->load[r] + loads - flex + ev;
		res->pv_avail[r] = d->pv[r] + (out.pv3_on || in.on_grid ? d->pv3[r] : 0);
		res->gen[r] = gen;
		res->soc[r] = soc;
		bool over = cfg->breaker_a > 0 && rec.breaker_phase_a > cfg->breaker_a + 1e-6;
		kpi_add(&res->all, &rec, d->imp[r], d->exp[r]);
		if (over)
			res->all.seconds_over_breaker += dt;
		if (r >= res->last_day_row) {
			kpi_add(&res->last_day, &rec, d->imp[r], d->exp[r]);
			if (over)
				res->last_day.seconds_over_breaker += dt;
		}
		if (cb)
			cb(user, &rec);
	}
	kpi_finish(&res->all, cfg->peak_charge_per_kw);
	kpi_finish(&res->last_day, cfg->peak_charge_per_kw);
	res->soc_end_pct = soc;
	free(st);
	return 0;
}

double sim_cost_ratio(double cost, double optimum)
{
	double m = fabs(optimum);
	if (m < 1e-9)
		return cost <= 1e-9 ? 1.0 : INFINITY;
	return 1.0 + (cost - optimum) / m;
}

static void kpi_json(FILE *f, const sim_kpi *k)
{
	fprintf(f,
		"\"selfConsumption\":%.6f,\"selfSufficiency\":%.6f,\"costTotal\":%.6f,\"importWh\":%.3f,"
		"\"exportWh\":%.3f,\"peakImportW\":%.3f,\"batteryThroughputWh\":%.3f,\"evEnergyWh\":%.3f,"
		"\"evPvShare\":%.6f,\"secondsOverBreaker\":%.0f,\"pvWh\":%.3f,\"consumptionWh\":%.3f,"
		"\"curtailedWh\":%.3f,\"unservedWh\":%.3f,\"autoLoadsWh\":%.3f,\"comparableCost\":%.6f",
		k->self_consumption, k->self_sufficiency, k->cost_total, k->import_wh, k->export_wh,
		k->peak_import_w, k->battery_throughput_wh, k->ev_energy_wh, k->ev_pv_share,
		k->seconds_over_breaker, k->pv_wh, k->consumption_wh, k->curtailed_wh, k->unserved_wh,
		k->flex_wh, sim_cost_comparable(k));
}

void sim_print_json(FILE *f, const station_config *cfg, const sim_day *d, const sim_result *res,
		    const sim_opt *opt)
{
	fprintf(f, "{\"mode\":\"%s\",\"steps\":%d,\"stepS\":%d,", station_mode_name(cfg->mode), d->n,
		d->step_s);
	kpi_json(f, &res->all);
	fprintf(f, ",\"socEndPct\":%.4f", res->soc_end_pct);
	if (opt)
		fprintf(f, ",\"optimumCost\":%.6f,\"costRatio\":%.6f,\"optimumMethod\":\"%s\"", opt->cost_all,
			sim_cost_ratio(sim_cost_comparable(&res->all), opt->cost_all), opt->method);
	fprintf(f, ",\"lastDay\":{");
	kpi_json(f, &res->last_day);
	fprintf(f, ",\"socStartPct\":%.4f", res->soc_last_day_start_pct);
	if (opt)
		fprintf(f, ",\"optimumCost\":%.6f,\"costRatio\":%.6f", opt->cost_last,
			sim_cost_ratio(sim_cost_comparable(&res->last_day), opt->cost_last));
	fprintf(f, "}}\n");
}

int sim_row_after_days(const sim_day *d, int days)
{
	int64_t t = d->t_ms[0] + (int64_t)days * 86400000LL;
	for (int r = 0; r < d->n; r++)
		if (d->t_ms[r] >= t)
			return r;
	return d->n;
}

int sim_judge(const station_config *cfg, const sim_day *d, int judge_row, sim_judged *j, char *err,
	      int errlen)
{
	sim_result res;
	memset(j, 0, sizeof(*j));
	double soc0 = cfg->battery.soc_start_pct;
	if (judge_row < 0 || judge_row >= d->n) {
		snprintf(err, (size_t)errlen, "judged row %d outside the file", judge_row);
		return -1;
	}
	if (sim_run_judged(cfg, d, judge_row, soc0, NULL, NULL, &res, err, errlen) < 0)
		return -1;
	j->cost = res.last_day.cost_total;
	j->comparable = sim_cost_comparable(&res.last_day);
	j->flex_wh = res.last_day.flex_wh;
	j->soc_start = res.soc_last_day_start_pct;
	j->soc_end = res.soc_end_pct;
	int rc = 0;
	if (sim_optimum(cfg, d, &res, judge_row, d->n, soc0, res.soc_end_pct, &j->optimum, NULL, NULL) < 0 ||
	    sim_optimum(cfg, d, &res, judge_row, d->n, soc0, soc0, &j->optimum_eq, NULL, NULL) < 0) {
		snprintf(err, (size_t)errlen, "the optimum could not be computed");
		rc = -1;
	}
	j->regret = j->comparable - j->optimum;
	j->cost_eq = j->optimum_eq + j->regret;
	sim_result_free(&res);
	return rc;
}
