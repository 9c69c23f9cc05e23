/* station_history.c: the history's arithmetic (station_history.h):
 * integration of held measurements into buckets, merging, averages, local
 * calendar boundaries, and a charging session's cost and PV share. */
#include "station_history.h"
#include "station_time.h"

#include <math.h>
#include <string.h>

#define SLOT_MS (900 * 1000LL)            /* price slot: station.h's STATION_SLOT_S */
#define MAX_SPLIT_MS (7 * 86400 * 1000LL) /* longer intervals are not split by slot */

int64_t station_hist_floor(int64_t t_s, int32_t len_s)
{
	int64_t q = t_s / len_s;
	if (t_s % len_s < 0)
		q--;
	return q * len_s;
}

void station_hist_bucket_init(station_hist_bucket *b, int64_t start_s, int32_t len_s)
{
	memset(b, 0, sizeof *b);
	b->start_s = start_s;
	b->len_s = len_s;
}

static double pos(double v)
{
	return v > 0 ? v : 0;
}

static int charger_slot(station_hist_bucket *b, const char *id)
{
	for (int i = 0; i < b->n_chargers; i++)
		if (!strcmp(b->chargers[i].id, id))
			return i;
	if (b->n_chargers >= STATION_HIST_MAX_CHARGERS)
		return -1;
	int i = b->n_chargers++;
	size_t n = strlen(id);
	if (n >= sizeof b->chargers[i].id)
		n = sizeof b->chargers[i].id - 1;
	memcpy(b->chargers[i].id, id, n);
	b->chargers[i].id[n] = 0;
	b->chargers[i].ws = 0;
	return i;
}

void station_hist_add(station_hist_bucket *b, const station_hist_sample *s, double dt_s)
{
	if (!(dt_s > 0))
		return;
	b->cover_s += dt_s;
	b->pv_ws += s->pv_w * dt_s;
	b->load_ws += s->load_w * dt_s;
	b->bat_in_ws += pos(s->bat_w) * dt_s;
	b->bat_out_ws += pos(-s->bat_w) * dt_s;
	b->import_ws += pos(s->grid_w) * dt_s;
	b->export_ws += pos(-s->grid_w) * dt_s;
	b->ev_ws += s->ev_w * dt_s;
	b->soc_s += s->soc_pct * dt_s;
	if (s->has_grid_a) {
		for (int p = 0; p < 3; p++)
			b->grid_as[p] += s->grid_a[p] * dt_s;
		b->grid_cover_s += dt_s;
	}
	if (s->grid_w > b->peak_import_w)
		b->peak_import_w = s->grid_w;
	for (int i = 0; i < s->n_chargers; i++) {
		int k = charger_slot(b, s->chargers[i].id);
		if (k >= 0)
			b->chargers[k].ws += s->chargers[i].w * dt_s;
	}
}

void station_hist_acc_init(station_hist_acc *a, int32_t len_s)
{
	memset(a, 0, sizeof *a);
	a->len_s = len_s > 0 ? len_s : 60;
}

/* Emits the open bucket if it has ended by t_ms. */
static void emit_ended(station_hist_acc *a, int64_t t_ms, void (*emit)(void *, const station_hist_bucket *),
		       void *arg)
{
	if (a->open && t_ms >= (a->cur.start_s + a->cur.len_s) * 1000) {
		if (a->cur.cover_s > 0)
			emit(arg, &a->cur);
		a->open = false;
	}
}

void station_hist_advance(station_hist_acc *a, const station_hist_sample *s, int64_t t0_ms, int64_t t1_ms,
			  void (*emit)(void *arg, const station_hist_bucket *b), void *arg)
{
	int64_t t = t0_ms;
	while (t < t1_ms) {
		emit_ended(a, t, emit, arg);
		if (!a->open) {
			int64_t start_s = t >= 0 ? t / 1000 : -((-t + 999) / 1000);
			station_hist_bucket_init(&a->cur, station_hist_floor(start_s, a->len_s), a->len_s);
			a->open = true;
		}
		int64_t end_ms = (a->cur.start_s + a->cur.len_s) * 1000;
		if (t < a->cur.start_s * 1000) /* a clock that went back: not ours to mend */
			break;
		int64_t seg = (t1_ms < end_ms ? t1_ms : end_ms) - t;
		station_hist_add(&a->cur, s, (double)seg / 1000.0);
		t += seg;
	}
	emit_ended(a, t1_ms, emit, arg);
}

int station_hist_acc_take(station_hist_acc *a, station_hist_bucket *out)
{
	int have = a->open && a->cur.cover_s > 0;
	if (have)
		*out = a->cur;
	a->open = false;
	return have;
}

void station_hist_merge(station_hist_bucket *into, const station_hist_bucket *b)
{
	into->cover_s += b->cover_s;
	into->pv_ws += b->pv_ws;
	into->load_ws += b->load_ws;
	into->bat_in_ws += b->bat_in_ws;
	into->bat_out_ws += b->bat_out_ws;
	into->import_ws += b->import_ws;
	into->export_ws += b->export_ws;
	into->ev_ws += b->ev_ws;
	into->soc_s += b->soc_s;
	for (int p = 0; p < 3; p++)
		into->grid_as[p] += b->grid_as[p];
	into->grid_cover_s += b->grid_cover_s;
	if (b->peak_import_w > into->peak_import_w)
		into->peak_import_w = b->peak_import_w;
	into->cost += b->cost;
	for (int i = 0; i < b->n_chargers; i++) {
		int k = charger_slot(into, b->chargers[i].id);
		if (k >= 0)
			into->chargers[k].ws += b->chargers[i].ws;
	}
}

void station_hist_average(const station_hist_bucket *b, station_hist_avg *o)
{
	memset(o, 0, sizeof *o);
	if (!(b->cover_s > 0))
		return;
	double c = b->cover_s;
	/* energies for at most the bucket's length (a clock that ran twice) */
	double k = b->len_s > 0 && c > b->len_s ? b->len_s / c : 1;
	o->cover_s = c * k;
	o->pv_w = b->pv_ws / c;
	o->load_w = b->load_ws / c;
	o->bat_w = (b->bat_in_ws - b->bat_out_ws) / c;
	o->soc_pct = b->soc_s / c;
	o->import_w = b->import_ws / c;
	o->export_w = b->export_ws / c;
	o->grid_w = o->import_w - o->export_w;
	o->ev_w = b->ev_ws / c;
	o->has_grid_a = b->grid_cover_s > 0;
	for (int p = 0; o->has_grid_a && p < 3; p++)
		o->grid_a[p] = b->grid_as[p] / b->grid_cover_s;
	o->pv_wh = b->pv_ws * k / 3600;
	o->load_wh = b->load_ws * k / 3600;
	o->bat_in_wh = b->bat_in_ws * k / 3600;
	o->bat_out_wh = b->bat_out_ws * k / 3600;
	o->import_wh = b->import_ws * k / 3600;
	o->export_wh = b->export_ws * k / 3600;
	o->ev_wh = b->ev_ws * k / 3600;
	o->cost = b->cost * k;
}

/* ---- local calendar (proleptic Gregorian, after H. Hinnant's algorithms) ---- */

static void civil_from_days(int64_t z, int64_t *y, int *m)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t station_hist_period_start(int64_t t_s, int utc_offset_min, station_hist_period p)
{
	int64_t off = (int64_t)utc_offset_min * 60;
	int64_t day = station_hist_floor(t_s + off, 86400) / 86400;
	if (p == STATION_HIST_MONTH) {
		int64_t y;
		int m;
		civil_from_days(day, &y, &m);
		day = station_days_from_civil(y, m, 1);
	}
	return day * 86400 - off;
}

int64_t station_hist_period_next(int64_t start_s, int utc_offset_min, station_hist_period p)
{
	int64_t off = (int64_t)utc_offset_min * 60;
	int64_t day = station_hist_floor(start_s + off, 86400) / 86400;
	if (p == STATION_HIST_DAY)
		return (day + 1) * 86400 - off;
	int64_t y;
	int m;
	civil_from_days(day, &y, &m);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return station_days_from_civil(y, m, 1) * 86400 - off;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

double station_hist_self_consumption(double pv_wh, double export_wh)
{
	return pv_wh > 0 ? clamp01((pv_wh - export_wh) / pv_wh) : NAN;
}

double station_hist_self_sufficiency(double consumption_wh, double import_wh)
{
	return consumption_wh > 0 ? clamp01((consumption_wh - import_wh) / consumption_wh) : NAN;
}

/* ---- a charging session ---- */

static int64_t slot_floor(int64_t ms)
{
	int64_t q = ms / SLOT_MS;
	if (ms % SLOT_MS < 0)
		q--;
	return q * SLOT_MS;
}

double station_hist_interval_cost(double wh, int64_t t0_ms, int64_t t1_ms, station_hist_price_fn price,
				  void *arg)
{
	if (!(wh != 0))
		return 0;
	/* a clock that jumped (a charger's bad time): all of it at the end's price */
	if (t1_ms <= t0_ms || t1_ms - t0_ms > MAX_SPLIT_MS)
		return wh / 1000 * price(arg, slot_floor(t1_ms));
	double span = (double)(t1_ms - t0_ms), cost = 0;
	for (int64_t t = t0_ms; t < t1_ms;) {
		int64_t slot = slot_floor(t), end = slot + SLOT_MS;
		if (end > t1_ms)
			end = t1_ms;
		cost += wh * ((double)(end - t) / span) / 1000 * price(arg, slot);
		t = end;
	}
	return cost;
}

double station_hist_grid_fraction(double grid_w, double ev_w)
{
	if (!(ev_w > 0) || !(grid_w > 0))
		return 0;
	return grid_w >= ev_w ? 1 : grid_w / ev_w;
}

void station_hist_tx_add(station_hist_tx *t, double wh, double cost, double grid_fraction)
{
	if (isfinite(cost))
		t->cost += cost;
	if (!(wh > 0) || !(grid_fraction >= 0))
		return;
	t->shared_wh += wh;
	t->pv_wh += wh * (1 - clamp01(grid_fraction));
}

double station_hist_tx_pv_share(const station_hist_tx *t)
{
	return t->shared_wh > 0 ? clamp01(t->pv_wh / t->shared_wh) : NAN;
}
