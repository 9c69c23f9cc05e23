/* history.c: the station's measured history and each charging session's
 * cost and PV share (history.h). The arithmetic is the pure
 * station/station_history.c; here are the inputs (the station's step, the
 * chargers' meter values, DLM's phase currents), the rows (store.h) and
 * the JSON of /api/v1/history and /api/v1/energy. */
#include "history.h"
#include "charger.h"
#include "control.h"
#include "csms.h"
#include "energy.h"
#include "errkind.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include "station.h"
#include "station_history.h"
#include "station_source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTIERS 3
#define MAX_POINTS 5000    /* history points in one answer (more: 400) */
#define AUTO_POINTS 1440   /* a chosen step gives at most this many */
#define MAX_PERIODS 1000   /* energy periods in one answer */
#define MAX_CONNS 1024     /* connectors whose flows are integrated */
#define HOLD_STEPS 3       /* a measurement is held at most this many station ticks */
#define PRUNE_EVERY_S 3600 /* old rows are pruned this often (station clock) */

/* One connector's integrated flows: its EV energy and the part grid import
 * covered, and the transaction's baseline of both at its last meter value. */
struct hconn {
	char id[STORE_ID_MAX];
	int connector;
	double w;              /* power held since the last step */
	double ev_ws, grid_ws; /* integrals since the daemon started */
	int64_t tx_id;         /* baseline's transaction, 0 none */
	double base_ev, base_grid;
};

/* One per daemon, from the first station step to history_free. */
struct history {
	int32_t tier_s[NTIERS]; /* fine, 900, 3600; a repeat is skipped */
	int ntiers;
	station_hist_acc acc;
	station_hist_sample prev; /* held since prev_ms */
	int64_t prev_ms;
	int have_prev, prev_usable;
	double prev_grid_frac; /* share of EV power grid import covered, held with prev */
	int utc_offset_min;    /* the station's, from its last step */
	int64_t now_ms;        /* the station's clock at its last step */
	int64_t next_prune_s;
	struct hconn *conns;
	int nconns, capconns;
};

/* ---- settings ---- */

int history_check_config(const struct csms_config *c, char *err, size_t errlen)
{
	if (900 % c->history_step_s) {
		snprintf(err, errlen,
			 "history_step_s: %d does not divide 900 (use 1, 5, 10, 15, 30, 60, 300, 900, ...)",
			 c->history_step_s);
		return -1;
	}
	return 0;
}

static int keep_days(const struct csms *app, int32_t res)
{
	const struct csms_config *c = &app->cfg;
	return res == app->cfg.history_step_s ? c->history_fine_days
		: res == 900                  ? c->history_15min_days
					      : c->history_hourly_days;
}

/* The oldest bucket start a tier still keeps (INT64_MIN: all). */
static int64_t kept_from(const struct csms *app, int32_t res, int64_t now_s)
{
	int days = keep_days(app, res);
	return days > 0 ? now_s - (int64_t)days * 86400 : INT64_MIN;
}

static struct history *history_get(struct csms *app)
{
	struct history *h = app->history;
	if (h)
		return h;
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	const int32_t want[NTIERS] = { app->cfg.history_step_s, 900, 3600 };
	for (int i = 0; i < NTIERS; i++)
		if (!h->ntiers || want[i] > h->tier_s[h->ntiers - 1])
			h->tier_s[h->ntiers++] = want[i];
	station_hist_acc_init(&h->acc, h->tier_s[0]);
	h->prev_grid_frac = -1;
	app->history = h;
	return h;
}

/* ---- buckets <-> rows ---- */

static void bucket_from_row(station_hist_bucket *b, const struct store_history_row *r)
{
	station_hist_bucket_init(b, r->t_s, r->res);
	b->cover_s = r->cover_s;
	b->pv_ws = r->pv_ws;
	b->load_ws = r->load_ws;
	b->bat_in_ws = r->bat_in_ws;
	b->bat_out_ws = r->bat_out_ws;
	b->import_ws = r->import_ws;
	b->export_ws = r->export_ws;
	b->ev_ws = r->ev_ws;
	b->soc_s = r->soc_s;
	for (int p = 0; p < 3; p++)
		b->grid_as[p] = r->grid_as[p];
	b->grid_cover_s = r->grid_cover_s;
	b->peak_import_w = r->peak_import_w;
	b->cost = r->cost;
	cJSON *j = r->chargers_json ? cJSON_Parse(r->chargers_json) : NULL, *c;
	cJSON_ArrayForEach(c, j)
	{
		if (b->n_chargers >= STATION_HIST_MAX_CHARGERS || !cJSON_IsNumber(c) || !c->string)
			continue;
		snprintf(b->chargers[b->n_chargers].id, sizeof b->chargers[0].id, "%s", c->string);
		b->chargers[b->n_chargers++].ws = c->valuedouble;
	}
	cJSON_Delete(j);
}

static char *chargers_text(const station_hist_bucket *b)
{
	if (!b->n_chargers)
		return NULL;
	cJSON *j = cJSON_CreateObject();
	for (int i = 0; j && i < b->n_chargers; i++)
		cJSON_AddNumberToObject(j, b->chargers[i].id, round(b->chargers[i].ws));
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return s;
}

static int row_write(struct csms *app, const station_hist_bucket *b)
{
	char *ch = chargers_text(b);
	struct store_history_row r = {
		.res = b->len_s,
		.t_s = b->start_s,
		.cover_s = b->cover_s,
		.pv_ws = b->pv_ws,
		.load_ws = b->load_ws,
		.bat_in_ws = b->bat_in_ws,
		.bat_out_ws = b->bat_out_ws,
		.import_ws = b->import_ws,
		.export_ws = b->export_ws,
		.ev_ws = b->ev_ws,
		.soc_s = b->soc_s,
		.grid_as = { b->grid_as[0], b->grid_as[1], b->grid_as[2] },
		.grid_cover_s = b->grid_cover_s,
		.peak_import_w = b->peak_import_w,
		.cost = b->cost,
		.chargers_json = ch,
	};
	int rc = store_history_put(app->store, &r);
	cJSON_free(ch);
	return rc;
}

static int row_found(void *arg, const struct store_history_row *r)
{
	bucket_from_row(arg, r);
	return 1;
}

/* A fine bucket ended: its cost, then into each tier's row (the row of its
 * own start in the fine tier; a restart that comes back into a bucket it
 * wrote adds the rest). */
static void emit(void *arg, const station_hist_bucket *fine)
{
	struct csms *app = arg;
	struct history *h = app->history;
	station_hist_bucket b = *fine, row;
	double imp, exp;
	if (energy_price_at(app, b.start_s * 1000, &imp, &exp) == 0)
		b.cost = (b.import_ws * imp - b.export_ws * exp) / 3.6e6;
	for (int i = 0; i < h->ntiers; i++) {
		int32_t res = h->tier_s[i];
		int64_t t = station_hist_floor(b.start_s, res);
		station_hist_bucket_init(&row, t, res);
		if (store_history_each(app->store, res, t, t + 1, row_found, &row) < 0 ||
		    (station_hist_merge(&row, &b), row_write(app, &row))) {
			LOGW("history", "bucket %lld (%d s) not stored", (long long)t, res);
			return;
		}
	}
	if (b.start_s >= h->next_prune_s) {
		h->next_prune_s = b.start_s + PRUNE_EVERY_S;
		for (int i = 0; i < h->ntiers; i++) {
			int64_t before = kept_from(app, h->tier_s[i], b.start_s);
			if (before != INT64_MIN)
				store_history_prune(app->store, h->tier_s[i], before);
		}
	}
}

/* ---- the station's step ---- */

static struct hconn *conn_find(struct history *h, const char *id, int connector, int create)
{
	for (int i = 0; i < h->nconns; i++)
		if (h->conns[i].connector == connector && !strcmp(h->conns[i].id, id))
			return &h->conns[i];
	if (!create || h->nconns >= MAX_CONNS)
		return NULL;
	if (h->nconns == h->capconns) {
		int cap = h->capconns ? h->capconns * 2 : 16;
		struct hconn *n = realloc(h->conns, (size_t)cap * sizeof *n);
		if (!n)
			return NULL;
		h->conns = n;
		h->capconns = cap;
	}
	struct hconn *c = &h->conns[h->nconns++];
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", id);
	c->connector = connector;
	return c;
}

/* What a connector draws now as the station sees it (energy.c's ev_inputs). */
static double conn_power(const struct charger *c, int k)
{
	const struct charger_live *l = &charger_conn_get(c, k)->live;
	return c->session && l->ts_ms && isfinite(l->power_w) && l->power_w > 0 ? l->power_w : 0;
}

static void measure(struct csms *app, struct history *h, const struct station_input *in,
		    const struct station_src_reading *rd, const struct station_output *out,
		    station_hist_sample *s)
{
	memset(s, 0, sizeof *s);
	s->pv_w = in->pv_w + in->pv3_w;
	s->load_w = in->load_w + out->loads_w; /* the home: its own load and the controlled ones */
	s->bat_w = in->bat_w;
	s->soc_pct = in->soc_pct;
	s->ev_w = in->ev_w;
	s->grid_w = isfinite(rd->grid_w) ? rd->grid_w : s->load_w + s->ev_w + s->bat_w - s->pv_w - out->gen_w;
	double a[3], head[3];
	if (control_grid(app, a, head) == 0 && isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2])) {
		s->has_grid_a = true;
		memcpy(s->grid_a, a, sizeof a);
	}
	for (int i = 0; i < h->nconns; i++) /* (conns may be NULL: no NULL + 0) */
		h->conns[i].w = 0;
	for (const struct charger *c = charger_first(app->chargers); c; c = c->next) {
		double sum = 0;
		for (int k = 1; k < CHARGER_MAX_CONN; k++) {
			double w = conn_power(c, k);
			struct hconn *hc = w > 0 ? conn_find(h, c->id, k, 1) : NULL;
			if (hc)
				hc->w = w;
			sum += w;
		}
		if (sum > 0 && s->n_chargers < STATION_HIST_MAX_CHARGERS) {
			snprintf(s->chargers[s->n_chargers].id, sizeof s->chargers[0].id, "%s", c->id);
			s->chargers[s->n_chargers++].w = sum;
		}
	}
}

void history_station_step(struct csms *app, int64_t t_ms, const struct station_config *cfg,
			  const struct station_state *st, const struct station_input *in,
			  const struct station_src_reading *rd, const struct station_output *out,
			  const char *stale)
{
	(void)st;
	struct history *h = history_get(app);
	if (!h || !app->store)
		return;
	h->utc_offset_min = cfg->utc_offset_min;
	h->now_ms = t_ms;
	if (h->have_prev && h->prev_usable && t_ms > h->prev_ms) {
		/* held at most a few ticks: a longer silence is a gap, not a flat line */
		int sim = station_src_kinds[app->cfg.station_source].kind == STATION_SRC_SIM;
		double hold = HOLD_STEPS * app->cfg.station_tick_ms * (sim ? app->cfg.station_speed : 1);
		int64_t dt = t_ms - h->prev_ms;
		if ((double)dt > hold)
			dt = (int64_t)hold;
		station_hist_advance(&h->acc, &h->prev, h->prev_ms, h->prev_ms + dt, emit, app);
		for (int i = 0; i < h->nconns; i++) {
			struct hconn *c = &h->conns[i];
			c->ev_ws += c->w * (double)dt / 1000;
			c->grid_ws += c->w * h->prev_grid_frac * (double)dt / 1000;
		}
	}
	if (t_ms < h->prev_ms) { /* the clock went back: what was open is written as it is */
		station_hist_bucket b;
		if (station_hist_acc_take(&h->acc, &b))
			emit(app, &b);
	}
	station_hist_advance(&h->acc, &h->prev, t_ms, t_ms, emit, app); /* a bucket that ended in a gap */
	measure(app, h, in, rd, out, &h->prev);
	h->prev_ms = t_ms;
	h->have_prev = 1;
	h->prev_usable = stale == NULL;
	h->prev_grid_frac = h->prev_usable ? station_hist_grid_fraction(h->prev.grid_w, h->prev.ev_w) : -1;
}

void history_free(struct csms *app)
{
	struct history *h = app->history;
	if (!h)
		return;
	station_hist_bucket b;
	if (app->store && station_hist_acc_take(&h->acc, &b))
		emit(app, &b);
	free(h->conns);
	free(h);
	app->history = NULL;
}

int history_live(struct csms *app, struct history_live *out)
{
	struct history *h = app->history;
	if (!h || !h->have_prev || !h->prev_usable)
		return -1;
	const station_hist_sample *s = &h->prev;
	*out = (struct history_live){ s->pv_w, s->load_w, s->bat_w, s->soc_pct, s->grid_w, s->ev_w };
	return 0;
}

/* ---- a charging session ---- */

static double import_price(void *arg, int64_t slot_ms)
{
	double imp, exp;
	return energy_price_at(arg, slot_ms, &imp, &exp) ? NAN : imp;
}

void history_tx_meter(struct csms *app, struct charger *ch, int connector, int64_t tx_id, double wh,
		      int64_t ts_ms)
{
	struct history *h = app->history;
	struct store_tx_meter m;
	if (tx_id <= 0 && connector > 0 && connector < CHARGER_MAX_CONN)
		tx_id = charger_conn_get(ch, connector)->tx_id;
	if (tx_id <= 0 || !isfinite(wh))
		return;
	/* The figures kept since this connection began, or the store's: no
	 * read per meter value (on PostgreSQL a read waits for the turn's
	 * pipelined writes). Only this connection changes them meanwhile. */
	const struct store_tx_meter *kept = charger_tx_meter(ch, tx_id);
	if (kept)
		m = *kept;
	else if (store_tx_meter_get(app->store, tx_id, &m) || strcmp(m.charger, ch->id))
		return;
	else
		charger_tx_meter_keep(ch, &m);
	double base_wh = m.has_last ? m.meter_last_wh : (double)m.meter_start;
	int64_t base_ms = m.has_last ? m.last_ms : m.start_ms;
	if ((m.has_last && ts_ms <= m.last_ms) || wh < base_wh)
		return; /* sent again, out of order, or a meter that went back */
	double dwh = wh - base_wh;
	double frac = h ? h->prev_grid_frac : -1; /* now, if nothing was integrated */
	struct hconn *c = h ? conn_find(h, ch->id, m.connector, 1) : NULL;
	if (c) {
		double dev = c->ev_ws - c->base_ev;
		if (c->tx_id == tx_id && dev > 1e-6)
			frac = (c->grid_ws - c->base_grid) / dev;
		c->tx_id = tx_id;
		c->base_ev = c->ev_ws;
		c->base_grid = c->grid_ws;
	}
	station_hist_tx t = { m.cost, m.pv_wh, m.shared_wh };
	station_hist_tx_add(&t, dwh, station_hist_interval_cost(dwh, base_ms, ts_ms, import_price, app),
			    frac);
	m.cost = t.cost;
	m.pv_wh = t.pv_wh;
	m.shared_wh = t.shared_wh;
	m.has_last = 1;
	m.meter_last_wh = wh;
	m.last_ms = ts_ms;
	/* kept either way: the figures are absolute, the next write mends a
	 * failed one (and a failed commit ends the connection, and so what
	 * was kept) */
	if (store_tx_meter_set(app->store, &m) < 0)
		LOGW("history", "transaction %lld: running figures not stored", (long long)tx_id);
	charger_tx_meter_keep(ch, &m);
}

/* ---- the API's answers ---- */

static double r1(double v)
{
	return round(v * 10) / 10;
}

static double r4(double v)
{
	return round(v * 10000) / 10000;
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static int64_t now_ms(const struct csms *app)
{
	return app->history && app->history->have_prev ? app->history->now_ms : app->now_ms;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return a / b + (a % b > 0);
}

/* Output buckets of step_s: rows merged into the bucket they fall in. */
struct series_walk {
	cJSON *arr;
	int64_t step_s;
	int open;
	station_hist_bucket cur;
};

static void series_put(struct series_walk *w)
{
	char ts[40];
	station_hist_avg v;
	if (!w->open)
		return;
	w->open = 0;
	station_hist_average(&w->cur, &v);
	if (!(v.cover_s > 0))
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", time_format_iso(w->cur.start_s * 1000, ts, sizeof ts));
	cJSON_AddNumberToObject(o, "pvW", r1(v.pv_w));
	cJSON_AddNumberToObject(o, "loadW", r1(v.load_w));
	cJSON_AddNumberToObject(o, "batteryW", r1(v.bat_w));
	cJSON_AddNumberToObject(o, "socPct", r1(v.soc_pct));
	cJSON_AddNumberToObject(o, "gridW", r1(v.grid_w));
	cJSON_AddNumberToObject(o, "evW", r1(v.ev_w));
	cJSON *ch = cJSON_AddObjectToObject(o, "chargers");
	for (int i = 0; i < w->cur.n_chargers; i++)
		cJSON_AddNumberToObject(ch, w->cur.chargers[i].id,
					r1(w->cur.chargers[i].ws / w->cur.cover_s));
	cJSON_AddNumberToObject(o, "importW", r1(v.import_w));
	cJSON_AddNumberToObject(o, "exportW", r1(v.export_w));
	if (v.has_grid_a) {
		cJSON *a = cJSON_AddArrayToObject(o, "gridA");
		for (int p = 0; p < 3; p++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(round(v.grid_a[p] * 100) / 100));
	} else
		cJSON_AddNullToObject(o, "gridA");
	cJSON_AddNumberToObject(o, "coverS", round(v.cover_s * 1000) / 1000);
	cJSON_AddItemToArray(w->arr, o);
}

static int series_row(void *arg, const struct store_history_row *r)
{
	struct series_walk *w = arg;
	station_hist_bucket b;
	bucket_from_row(&b, r);
	int64_t t = station_hist_floor(r->t_s, (int32_t)w->step_s);
	if (w->open && w->cur.start_s != t)
		series_put(w);
	if (!w->open) {
		station_hist_bucket_init(&w->cur, t, (int32_t)w->step_s);
		w->open = 1;
	}
	station_hist_merge(&w->cur, &b);
	return 0;
}

/* from/to in unix s from the query (to: now, from: a day before). */
static int query_range(struct csms *app, const struct history_query *q, int64_t *from_s, int64_t *to_s,
		       int64_t dflt_from_s, struct err_info *e)
{
	*to_s = q->has_to ? ceil_div(q->to_ms, 1000) : ceil_div(now_ms(app), 1000);
	*from_s = q->has_from ? q->from_ms / 1000 - (q->from_ms % 1000 < 0) : dflt_from_s;
	if (!q->has_from && *from_s >= *to_s)
		*from_s = *to_s - 86400;
	if (*from_s >= *to_s)
		return err_set(e, ERR_BAD_REQUEST, "from: must be before to");
	return 0;
}

cJSON *history_series_json(struct csms *app, const struct history_query *q, struct err_info *e)
{
	int32_t tiers[NTIERS];
	int ntiers = 0;
	struct history tmp = { 0 };
	const struct history *h = app->history;
	if (!h) { /* before the station's first step: the tiers the settings give */
		const int32_t want[NTIERS] = { app->cfg.history_step_s, 900, 3600 };
		for (int i = 0; i < NTIERS; i++)
			if (!tmp.ntiers || want[i] > tmp.tier_s[tmp.ntiers - 1])
				tmp.tier_s[tmp.ntiers++] = want[i];
		h = &tmp;
	}
	ntiers = h->ntiers;
	memcpy(tiers, h->tier_s, sizeof tiers);
	int64_t from_s, to_s;
	int64_t nowt = ceil_div(now_ms(app), 1000);
	if (query_range(app, q, &from_s, &to_s, nowt - 86400, e))
		return NULL;
	int64_t step = q->step_s;
	int chosen = step == 0;
	if (chosen)
		step = tiers[0];
	if (step < tiers[0] || step % tiers[0]) {
		err_set(e, ERR_BAD_REQUEST,
			"step: a whole number of seconds, a multiple of history_step_s (%d)", tiers[0]);
		return NULL;
	}
	/* the coarsest tier the step is a multiple of; a coarser one (and a
	 * step raised to it) where from is older than that tier keeps */
	int k = 0;
	for (int i = 0; i < ntiers; i++)
		if (step % tiers[i] == 0)
			k = i;
	while (k + 1 < ntiers && from_s < kept_from(app, tiers[k], nowt)) {
		k++;
		step = ceil_div(step, tiers[k]) * tiers[k];
	}
	if (chosen && ceil_div(to_s - from_s, step) > AUTO_POINTS) {
		step = ceil_div(ceil_div(to_s - from_s, AUTO_POINTS), tiers[k]) * tiers[k];
		for (int i = k; i < ntiers; i++)
			if (step % tiers[i] == 0)
				k = i;
	}
	int64_t points = ceil_div(to_s - station_hist_floor(from_s, (int32_t)step), step);
	if (points > MAX_POINTS) {
		err_set(e, ERR_BAD_REQUEST, "step: %lld points from from to to; at most %d (a larger step)",
			(long long)points, MAX_POINTS);
		return NULL;
	}
	cJSON *o = cJSON_CreateObject();
	struct series_walk w = { .arr = cJSON_AddArrayToObject(o, "series"), .step_s = step };
	cJSON_AddNumberToObject(o, "step", (double)step);
	if (store_history_each(app->store, tiers[k], station_hist_floor(from_s, (int32_t)step), to_s,
			       series_row, &w) < 0) {
		cJSON_Delete(o);
		err_set(e, ERR_INTERNAL, "cannot read the history");
		return NULL;
	}
	series_put(&w);
	return o;
}

/* Energy periods: rows summed into the period they start in. */
struct energy_walk {
	int n, at;
	int64_t *start;
	station_hist_avg *sum;
};

static int energy_row(void *arg, const struct store_history_row *r)
{
	struct energy_walk *w = arg;
	while (w->at + 1 < w->n && r->t_s >= w->start[w->at + 1])
		w->at++;
	if (r->t_s < w->start[w->at])
		return 0;
	station_hist_bucket b;
	station_hist_avg v;
	bucket_from_row(&b, r);
	station_hist_average(&b, &v);
	station_hist_avg *s = &w->sum[w->at];
	s->pv_wh += v.pv_wh;
	s->load_wh += v.load_wh;
	s->import_wh += v.import_wh;
	s->export_wh += v.export_wh;
	s->bat_in_wh += v.bat_in_wh;
	s->bat_out_wh += v.bat_out_wh;
	s->ev_wh += v.ev_wh;
	s->cost += v.cost;
	return 0;
}

cJSON *history_energy_json(struct csms *app, const struct history_query *q, int by_month, struct err_info *e)
{
	station_hist_period p = by_month ? STATION_HIST_MONTH : STATION_HIST_DAY;
	int off = app->history ? app->history->utc_offset_min : 0;
	int64_t nowt = ceil_div(now_ms(app), 1000), from_s, to_s;
	if (query_range(app, q, &from_s, &to_s, station_hist_period_start(nowt, off, p), e))
		return NULL;
	struct energy_walk w = { 0 };
	int64_t first = station_hist_period_start(from_s, off, p);
	for (int64_t t = first; t < to_s; t = station_hist_period_next(t, off, p))
		if (++w.n > MAX_PERIODS) {
			err_set(e, ERR_BAD_REQUEST, "from: more than %d %ss to to", MAX_PERIODS,
				by_month ? "month" : "day");
			return NULL;
		}
	w.start = calloc((size_t)w.n + 1, sizeof *w.start);
	w.sum = calloc((size_t)w.n + 1, sizeof *w.sum);
	cJSON *arr = w.start && w.sum ? cJSON_CreateArray() : NULL;
	if (!arr) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	int64_t t = first;
	for (int i = 0; i < w.n; i++, t = station_hist_period_next(t, off, p))
		w.start[i] = t;
	/* 15-minute rows while they are kept (they end on every local day's
	 * boundary for any offset in quarter hours), else hourly */
	int32_t res = first >= kept_from(app, 900, nowt) ? 900 : 3600;
	if (store_history_each(app->store, res, first, t, energy_row, &w) < 0) {
		cJSON_Delete(arr);
		arr = NULL;
		err_set(e, ERR_INTERNAL, "cannot read the history");
		goto out;
	}
	for (int i = 0; i < w.n; i++) {
		char ts[40];
		const station_hist_avg *s = &w.sum[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "start", time_format_iso(w.start[i] * 1000, ts, sizeof ts));
		cJSON_AddNumberToObject(o, "pvWh", r1(s->pv_wh));
		cJSON_AddNumberToObject(o, "loadWh", r1(s->load_wh));
		cJSON_AddNumberToObject(o, "importWh", r1(s->import_wh));
		cJSON_AddNumberToObject(o, "exportWh", r1(s->export_wh));
		cJSON_AddNumberToObject(o, "batteryChargeWh", r1(s->bat_in_wh));
		cJSON_AddNumberToObject(o, "batteryDischargeWh", r1(s->bat_out_wh));
		cJSON_AddNumberToObject(o, "evWh", r1(s->ev_wh));
		add_num_or_null(o, "selfConsumption",
				r4(station_hist_self_consumption(s->pv_wh, s->export_wh)));
		add_num_or_null(o, "selfSufficiency",
				r4(station_hist_self_sufficiency(s->load_wh + s->ev_wh, s->import_wh)));
		cJSON_AddNumberToObject(o, "cost", r4(s->cost));
		cJSON_AddItemToArray(arr, o);
	}
out:
	free(w.start);
	free(w.sum);
	return arr;
}
