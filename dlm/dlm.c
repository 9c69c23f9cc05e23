/*
 * dlm_compute(): per-phase budget from the grid reading, admission of the
 * chargers' minimum currents in priority order, max-min fair water filling
 * of what is left, then the time rules (reductions at once, settled and
 * rate-limited increases, minimum pause). Pure: no clock, no I/O, no heap.
 */
#include "dlm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define EPS 1e-9
/* Sanity bound on any current we accept as input. */
#define MAX_AMPS 1000.0

static const char *const reason_names[DLM_R_COUNT] = {
	[DLM_R_IDLE] = "idle",
	[DLM_R_FAIR_SHARE] = "fair share",
	[DLM_R_TARGET] = "target",
	[DLM_R_MAX] = "max current",
	[DLM_R_HEADROOM] = "breaker headroom",
	[DLM_R_UNUSED] = "not taking current",
	[DLM_R_PAUSED] = "paused min time",
	[DLM_R_SETTLING] = "settling",
	[DLM_R_RAMP] = "ramping up",
	[DLM_R_STALE] = "stale sensor fallback",
	[DLM_R_DISABLED] = "dlm disabled",
	[DLM_R_INVALID] = "invalid input",
	[DLM_R_FIXED] = "not controllable: counted at max",
};

const char *dlm_reason_str(dlm_reason r)
{
	return (unsigned)r < DLM_R_COUNT ? reason_names[r] : "?";
}

void dlm_state_init(dlm_state *st)
{
	memset(st, 0, sizeof *st);
	st->last_now_ms = DLM_NO_TIME;
	st->last_reduce_ms = DLM_NO_TIME;
	st->over_since = DLM_NO_TIME;
	st->agree_since = DLM_NO_TIME;
}

static void slot_reset(dlm_charger_state *s, uint32_t id)
{
	s->id = id;
	s->limit_a = 0;
	s->want_up_since = DLM_NO_TIME;
	s->paused_since = DLM_NO_TIME;
	s->under_since = DLM_NO_TIME;
	s->capped = false;
}

/* Per-charger scratch for one call; lives on the stack of dlm_compute(). */
typedef struct work {
	const dlm_charger_in *in;
	dlm_charger_state *st;
	double prev;   /* previous limit, sanitised to 0 or >= min */
	double lo, hi; /* range DLM may give: min and capped demand */
	double a;      /* allocation: where the limit should go */
	double limit;  /* what it gets this tick */
	double draw[DLM_PHASES];
	uint8_t mask; /* grid phases it loads */
	bool valid, wants, admitted, active, rising;
	dlm_reason cap_reason;
	dlm_reason reason;
} work;

typedef struct event {
	double v;
	int d; /* +1: starts rising, -1: reached its cap */
	int idx;
} event;

static bool ev_less(const event *a, const event *b)
{
	return a->v < b->v || (a->v == b->v && a->d < b->d);
}

/* Heapsort: no allocation, O(n log n) for the worst case of 512 events. */
static void ev_sort(event *e, size_t n)
{
	for (size_t k = n; k-- > 0;) {
		size_t i = k;
		for (;;) {
			size_t c = 2 * i + 1;
			if (c >= n)
				break;
			if (c + 1 < n && ev_less(&e[c], &e[c + 1]))
				c++;
			if (!ev_less(&e[i], &e[c]))
				break;
			event t = e[i];
			e[i] = e[c];
			e[c] = t;
			i = c;
		}
	}
	for (size_t end = n; end-- > 1;) {
		event t = e[0];
		e[0] = e[end];
		e[end] = t;
		size_t i = 0;
		for (;;) {
			size_t c = 2 * i + 1;
			if (c >= end)
				break;
			if (c + 1 < end && ev_less(&e[c], &e[c + 1]))
				c++;
			if (!ev_less(&e[i], &e[c]))
				break;
			t = e[i];
			e[i] = e[c];
			e[c] = t;
			i = c;
		}
	}
}

/* Admission order: priority first, then chargers already running (so that
 * equal-priority chargers do not take turns being cut), then input order. */
static bool ord_before(const work *w, int a, int b)
{
	const dlm_charger_in *x = w[a].in, *y = w[b].in;
	if (x->priority != y->priority)
		return x->priority > y->priority;
	bool ra = w[a].prev > 0, rb = w[b].prev > 0;
	if (ra != rb)
		return ra;
	return a < b;
}

static void ord_sort(const work *w, int *ord, int n)
{
	for (int i = 1; i < n; i++) {
		int v = ord[i], j = i;
		while (j > 0 && ord_before(w, v, ord[j - 1])) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = v;
	}
}

static bool finite_amps(double v)
{
	return isfinite(v) && v >= -MAX_AMPS && v <= MAX_AMPS;
}

static void set_error(dlm_output *out, size_t i, uint32_t id, const char *what)
{
	if (!out->error[0])
		snprintf(out->error, sizeof out->error, "charger %zu (id %u): %s", i, (unsigned)id, what);
}

static const char *check_charger(const dlm_charger_in *c)
{
	if (c->id == 0)
		return "id 0";
	if (c->phases != 1 && c->phases != 3)
		return "phases must be 1 or 3";
	if (c->phases == 1 && c->grid_phase > 2)
		return "grid_phase must be 0..2 (L1..L3)";
	if ((unsigned)c->state > DLM_EV_SUSPENDED)
		return "bad state";
	if (!finite_amps(c->min_a) || c->min_a <= 0)
		return "min_a must be > 0";
	if (!finite_amps(c->max_a) || c->max_a < c->min_a)
		return "max_a must be >= min_a";
	if (!finite_amps(c->target_a) && c->target_a != DLM_TARGET_MAX)
		return "target_a not a number";
	for (int p = 0; p < DLM_PHASES; p++)
		if (!finite_amps(c->draw_a[p]))
			return "draw_a not a number";
	return NULL;
}

/* Binds every input charger to its state slot by id; frees slots of
 * chargers that are gone. Duplicate ids are marked invalid. */
static void map_slots(dlm_state *st, work *w, size_t n, dlm_output *out)
{
	bool used[DLM_MAX_CHARGERS] = { false };
	for (size_t i = 0; i < n; i++) {
		w[i].st = NULL;
		if (!w[i].valid)
			continue;
		uint32_t id = w[i].in->id;
		int s = -1;
		if (st->ch[i].id == id)
			s = (int)i;
		for (int k = 0; s < 0 && k < DLM_MAX_CHARGERS; k++)
			if (st->ch[k].id == id)
				s = k;
		if (s >= 0 && used[s]) {
			w[i].valid = false;
			w[i].reason = DLM_R_INVALID;
			set_error(out, i, id, "duplicate id");
			continue;
		}
		if (s >= 0) {
			used[s] = true;
			w[i].st = &st->ch[s];
		}
	}
	for (int k = 0; k < DLM_MAX_CHARGERS; k++)
		if (!used[k])
			st->ch[k].id = 0;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!w[i].valid || w[i].st)
			continue;
		/* a second new charger with the same id as a first new one */
		for (size_t j = 0; j < i; j++)
			if (w[j].valid && w[j].in->id == w[i].in->id) {
				w[i].valid = false;
				w[i].reason = DLM_R_INVALID;
				set_error(out, i, w[i].in->id, "duplicate id");
				break;
			}
		if (!w[i].valid)
			continue;
		while (k < DLM_MAX_CHARGERS && used[k])
			k++;
		if (k == DLM_MAX_CHARGERS) { /* cannot happen: n <= slots */
			w[i].valid = false;
			w[i].reason = DLM_R_INVALID;
			continue;
		}
		used[k] = true;
		slot_reset(&st->ch[k], w[i].in->id);
		w[i].st = &st->ch[k];
	}
}

/* Smallest level t at which the rising chargers on phase p use up F;
 * INFINITY when all of them reach their caps within F. */
static double level_for_phase(const work *w, const event *ev, size_t nev, int p, double F)
{
	double G = 0, t = 0, slope = 0;
	bool started = false;
	for (size_t k = 0; k < nev; k++) {
		const work *c = &w[ev[k].idx];
		if (!c->active || !(c->mask & (1u << p)))
			continue;
		if (started && slope > 0) {
			double Gn = G + slope * (ev[k].v - t);
			if (Gn >= F)
				return t + (F - G) / slope;
			G = Gn;
		}
		started = true;
		t = ev[k].v;
		slope += ev[k].d;
	}
	return INFINITY;
}

/* Max-min fair filling of one priority level, starting from each charger's
 * minimum (already reserved in used[]) up to its cap. */
static void fill_level(work *w, const int *lvl, int nl, const double *R, double *used, event *ev)
{
	size_t nev = 0;
	for (int k = 0; k < nl; k++) {
		work *c = &w[lvl[k]];
		c->active = true;
		c->a = c->lo;
		ev[nev++] = (event){ c->lo, +1, lvl[k] };
		ev[nev++] = (event){ c->hi, -1, lvl[k] };
	}
	ev_sort(ev, nev);
	for (int round = 0; round <= DLM_PHASES; round++) {
		double tp[DLM_PHASES], tstar = INFINITY;
		for (int p = 0; p < DLM_PHASES; p++) {
			tp[p] = level_for_phase(w, ev, nev, p, R[p] - used[p]);
			if (tp[p] < tstar)
				tstar = tp[p];
		}
		if (tstar == INFINITY) {
			for (int k = 0; k < nl; k++) {
				work *c = &w[lvl[k]];
				if (!c->active)
					continue;
				c->active = false;
				c->a = c->hi;
				c->reason = c->cap_reason;
				for (int p = 0; p < DLM_PHASES; p++)
					if (c->mask & (1u << p))
						used[p] += c->hi - c->lo;
			}
			return;
		}
		for (int p = 0; p < DLM_PHASES; p++) {
			if (tp[p] > tstar)
				continue;
			for (int k = 0; k < nl; k++) {
				work *c = &w[lvl[k]];
				if (!c->active || !(c->mask & (1u << p)))
					continue;
				c->active = false;
				c->a = fmin(fmax(tstar, c->lo), c->hi);
				c->reason = c->a >= c->hi - EPS ? c->cap_reason : DLM_R_FAIR_SHARE;
				for (int q = 0; q < DLM_PHASES; q++)
					if (c->mask & (1u << q))
						used[q] += c->a - c->lo;
			}
		}
	}
	/* Every round fills a phase, so this is reached only through rounding:
     * leave anything still rising at its minimum, which is reserved. */
	for (int k = 0; k < nl; k++)
		if (w[lvl[k]].active) {
			w[lvl[k]].active = false;
			w[lvl[k]].a = w[lvl[k]].lo;
			w[lvl[k]].reason = DLM_R_FAIR_SHARE;
		}
}

static double floor_to(double v, double res)
{
	return floor(v / res + EPS) * res;
}

static int64_t since(int64_t now, int64_t t)
{
	if (t == DLM_NO_TIME)
		return INT64_MAX;
	return now - t;
}

/* Disabled: the charging modes' targets pass through, clamped. */
static void pass_through(work *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		work *c = &w[i];
		if (!c->valid)
			continue;
		c->a = c->in->state != DLM_EV_IDLE && c->hi >= c->lo ? c->hi : 0;
		c->limit = c->a;
		c->reason = c->in->state == DLM_EV_IDLE ? DLM_R_IDLE : DLM_R_DISABLED;
	}
}

/* The scratch the phases of one dlm_compute() call share. Lives on its
 * stack (most of the stack dlm.h announces); nothing in it survives the
 * call: commit() writes what must into the dlm_state and the output. */
typedef struct tick {
	const dlm_config *cfg;
	dlm_state *st;
	int64_t now;
	size_t n;                       /* chargers in the input */
	work w[DLM_MAX_CHARGERS];       /* same order as the input */
	int ord[DLM_MAX_CHARGERS];      /* indexes into w of the chargers that want */
	int nc;                         /* current, in admission order; nc of them */
	event ev[2 * DLM_MAX_CHARGERS]; /* fill_level()'s workspace */
	double R[DLM_PHASES];           /* budget per phase, never below 0 */
	double used[DLM_PHASES];        /* of R, given out so far */
	bool stale;
} tick;

/* Argument checks; every output charger starts at 0 with reason "invalid"
 * so that an early return leaves nothing charging. */
static int start_output(const dlm_config *cfg, const dlm_input *in, const dlm_state *st, dlm_output *out)
{
	memset(out, 0, offsetof(dlm_output, chargers));
	out->error[0] = 0;
	out->n = 0;
	if (!cfg || !in || !st) {
		snprintf(out->error, sizeof out->error, "missing argument");
		return -EINVAL;
	}
	if (in->n > DLM_MAX_CHARGERS) {
		snprintf(out->error, sizeof out->error, "too many chargers (max %d)", DLM_MAX_CHARGERS);
		return -EINVAL;
	}
	if (in->n && !in->chargers) {
		snprintf(out->error, sizeof out->error, "no charger array");
		return -EINVAL;
	}
	out->n = in->n;
	for (size_t i = 0; i < in->n; i++)
		out->chargers[i] =
			(dlm_charger_out){ in->chargers[i].id, 0, in->chargers[i].phases, DLM_R_INVALID, 0 };
	if (dlm_config_validate(cfg, out->error, sizeof out->error) < 0)
		return -EINVAL;
	return 0;
}

/* Checks each charger's input, notes the grid phases it loads and its draw
 * on them, and binds it to its state slot. */
static void read_chargers(tick *t, const dlm_input *in, dlm_output *out)
{
	for (size_t i = 0; i < t->n; i++) {
		work *c = &t->w[i];
		memset(c, 0, sizeof *c);
		c->in = &in->chargers[i];
		const char *bad = check_charger(c->in);
		c->valid = !bad;
		c->reason = bad ? DLM_R_INVALID : DLM_R_IDLE;
		if (bad) {
			set_error(out, i, c->in->id, bad);
			continue;
		}
		c->mask = (uint8_t)(c->in->phases == 3 ? 7u : 1u << c->in->grid_phase);
		for (int p = 0; p < DLM_PHASES; p++)
			c->draw[p] = (c->mask & (1u << p)) ? fmax(0, c->in->draw_a[p]) : 0;
	}
	map_slots(t->st, t->w, t->n, out);
}

/* A generation figure as amps DLM may count on: 0 for none, negative or
 * not a number; at most MAX_AMPS. */
static double gen_amps(double v)
{
	return isfinite(v) && v > 0 ? fmin(v, MAX_AMPS) : 0;
}

/* Local generation on phase p: its own figure plus a third of the total. */
static double generation(const dlm_input *in, int p)
{
	return fmin(MAX_AMPS, gen_amps(in->gen_a[p]) + gen_amps(in->gen_w / (DLM_PHASES * DLM_NOMINAL_V)));
}

/* Budget per phase: what the breaker leaves for all EVs together.
 * A negative house current (grid - EV draws) means current flows out of
 * the house: real only as far as local generation can push it out. Any
 * more is the grid meter reading less than the chargers say they draw (a
 * meter that misses them, chargers that over-report, a lagging sample);
 * believing it would hand the chargers current the breaker has not got,
 * so it counts as 0 and is reported as unexplained. */
static void budget_per_phase(tick *t, const dlm_input *in, dlm_output *out)
{
	const dlm_config *cfg = t->cfg;
	bool stale = in->grid_ts_ms == DLM_NO_TIME || t->now - in->grid_ts_ms > cfg->stale_ms ||
		in->grid_ts_ms - t->now > cfg->stale_ms;
	for (int p = 0; p < DLM_PHASES; p++)
		if (!finite_amps(in->grid_a[p]))
			stale = true;
	for (int p = 0; p < DLM_PHASES; p++) {
		double ev_p = 0;
		for (size_t i = 0; i < t->n; i++)
			if (t->w[i].valid)
				ev_p += t->w[i].draw[p];
		double gen = generation(in, p), raw = in->grid_a[p] - ev_p;
		out->gen_a[p] = gen;
		out->house_raw_a[p] = stale ? NAN : raw;
		out->unexplained_a[p] = stale ? NAN : fmax(0, -gen - raw);
		out->house_a[p] = stale ? NAN : fmax(raw, -gen);
		out->budget_a[p] = cfg->breaker_a - cfg->margin_a - (stale ? 0 : out->house_a[p]);
		t->R[p] = fmax(0, out->budget_a[p]);
		t->used[p] = 0;
	}
	out->stale = stale;
	t->stale = stale;
}

/* The meter and the chargers disagree once some phase's unexplained
 * current has stayed above disagree_a for disagree_ms, and agree again
 * once no phase has been above it for as long: a car still reacting or a
 * charger's late MeterValues flag nothing. A stale reading is evidence of
 * neither: the flag holds and both clocks restart. */
static void track_disagreement(const dlm_config *cfg, dlm_state *st, int64_t now, dlm_output *out)
{
	if (out->stale) {
		st->over_since = st->agree_since = DLM_NO_TIME;
	} else {
		bool over = false;
		for (int p = 0; p < DLM_PHASES; p++)
			over |= out->unexplained_a[p] > cfg->disagree_a;
		int64_t *since_p = over ? &st->over_since : &st->agree_since;
		if (over)
			st->agree_since = DLM_NO_TIME;
		else
			st->over_since = DLM_NO_TIME;
		if (*since_p == DLM_NO_TIME || *since_p > now)
			*since_p = now;
		if (now - *since_p >= cfg->disagree_ms)
			st->disagree = over;
	}
	out->disagree = st->disagree;
}

/* "Not taking current": a car drawing less than its limit - slack for
 * unused_ms is held at draw + slack (capped) until it draws more than
 * limit - slack/2; the rest of its share goes to the others. */
static void detect_unused(const dlm_config *cfg, work *c, double d, int64_t now)
{
	dlm_charger_state *s = c->st;
	double dmax = 0;
	for (int p = 0; p < DLM_PHASES; p++)
		dmax = fmax(dmax, c->draw[p]);
	if (c->in->state != DLM_EV_IDLE && c->prev > 0) {
		if (!s->capped) {
			if (dmax < c->prev - cfg->unused_slack_a) {
				if (s->under_since == DLM_NO_TIME || s->under_since > now)
					s->under_since = now;
				if (now - s->under_since >= cfg->unused_ms)
					s->capped = true;
			} else {
				s->under_since = DLM_NO_TIME;
			}
		} else if (dmax > c->prev - cfg->unused_slack_a / 2) {
			s->capped = false;
			s->under_since = DLM_NO_TIME;
		}
	} else {
		s->capped = false;
		s->under_since = DLM_NO_TIME;
	}
	if (s->capped) {
		double cap = fmax(c->lo, fmin(d, dmax + cfg->unused_slack_a));
		if (cap < d) {
			c->hi = cap;
			c->cap_reason = DLM_R_UNUSED;
		}
	}
}

/* Demand, sanitised previous limit, "not taking current" detection; then
 * who wants current at all (not idle, a target reaching the minimum, not
 * in its minimum pause). */
static void demand(tick *t)
{
	const dlm_config *cfg = t->cfg;
	for (size_t i = 0; i < t->n; i++) {
		work *c = &t->w[i];
		if (!c->valid)
			continue;
		const dlm_charger_in *ci = c->in;
		double prev = isfinite(c->st->limit_a) ? c->st->limit_a : 0;
		c->prev = prev < ci->min_a - EPS ? 0 : prev;
		c->lo = ci->min_a;
		double d = ci->target_a < 0 ? ci->max_a : fmin(ci->target_a, ci->max_a);
		c->cap_reason = ci->target_a >= 0 && ci->target_a < ci->max_a ? DLM_R_TARGET : DLM_R_MAX;
		c->hi = d;
		detect_unused(cfg, c, d, t->now);

		if (!cfg->enabled)
			continue;
		if (ci->fixed) {
			/* it draws what its car wants: reserve its maximum */
			c->lo = c->hi = ci->max_a;
			c->reason = DLM_R_FIXED;
			c->wants = true;
		} else if (ci->state == DLM_EV_IDLE) {
			c->reason = DLM_R_IDLE;
		} else if (d < ci->min_a) {
			c->reason = DLM_R_TARGET;
		} else if (c->prev == 0 && since(t->now, c->st->paused_since) < cfg->min_pause_ms) {
			c->reason = DLM_R_PAUSED;
		} else {
			c->wants = true;
		}
	}
}

/* The chargers that want current, in admission order (see ord_before). */
static void order_wanting(tick *t)
{
	t->nc = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->w[i].wants)
			t->ord[t->nc++] = (int)i;
	ord_sort(t->w, t->ord, t->nc);
}

/* Stale sensor: everyone gets the fallback; it still has to fit the
 * breaker, which admit_minimums() sees to. */
static void stale_fallback(tick *t)
{
	for (int k = 0; k < t->nc; k++) {
		work *c = &t->w[t->ord[k]];
		if (c->in->fixed)
			continue;
		double f = fmin(t->cfg->fallback_a, c->hi);
		if (f < c->lo)
			f = 0;
		c->lo = c->hi = f;
		c->reason = DLM_R_STALE;
	}
}

/* Minimums first, in priority order: dropping the lowest priority lets
 * the others reach their minimum instead of everyone getting 0. */
static void admit_minimums(tick *t)
{
	/* what DLM cannot limit is there whether it fits or not */
	for (int k = 0; k < t->nc; k++) {
		work *c = &t->w[t->ord[k]];
		if (!c->in->fixed)
			continue;
		c->admitted = true;
		c->a = c->lo;
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				t->used[p] += c->lo;
	}
	for (int k = 0; k < t->nc; k++) {
		work *c = &t->w[t->ord[k]];
		if (c->in->fixed)
			continue;
		bool fits = c->lo > 0;
		for (int p = 0; p < DLM_PHASES && fits; p++)
			if ((c->mask & (1u << p)) && t->used[p] + c->lo > t->R[p] + EPS)
				fits = false;
		if (!fits) {
			c->a = 0;
			if (!t->stale)
				c->reason = DLM_R_HEADROOM;
			continue;
		}
		c->admitted = true;
		c->a = c->lo;
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				t->used[p] += c->lo;
	}
}

/* What is left above the minimums: max-min fair within each priority
 * level, higher levels first, then rounded down to the resolution (never
 * below the minimum, which is already reserved). */
static void share_the_rest(tick *t)
{
	work *w = t->w;
	const int *ord = t->ord;
	int lvl[DLM_MAX_CHARGERS];
	for (int k = 0; k < t->nc;) {
		int nl = 0;
		int32_t prio = w[ord[k]].in->priority;
		for (; k < t->nc && w[ord[k]].in->priority == prio; k++)
			if (w[ord[k]].admitted && !w[ord[k]].in->fixed)
				lvl[nl++] = ord[k];
		if (nl)
			fill_level(w, lvl, nl, t->R, t->used, t->ev);
	}
	for (int k = 0; k < t->nc; k++) {
		work *c = &w[ord[k]];
		if (c->admitted)
			c->a = fmin(c->hi, fmax(c->lo, floor_to(c->a, t->cfg->resolution_a)));
	}
}

/* Time rules. Reductions (and holding steady) take effect at once; an
 * increase is marked rising and held at the previous limit for now. */
static void reduce_at_once(tick *t)
{
	bool reduced = false;
	for (size_t i = 0; i < t->n; i++) {
		work *c = &t->w[i];
		if (!c->valid)
			continue;
		if (c->in->fixed) {
			c->limit = c->a;
			continue;
		}
		if (c->a <= c->prev + EPS) {
			c->limit = c->a;
			/* a standing limit of an idle charger draws nothing: giving
			 * it up is no cut a car must settle after */
			if (c->a < c->prev - EPS && c->in->state != DLM_EV_IDLE)
				reduced = true;
			c->st->want_up_since = DLM_NO_TIME;
		} else {
			c->rising = true;
			if (c->st->want_up_since == DLM_NO_TIME || c->st->want_up_since > t->now)
				c->st->want_up_since = t->now;
			c->limit = c->prev;
		}
	}
	if (reduced)
		t->st->last_reduce_ms = t->now;
}

/* Increases only into room that exists now: a car still drawing more
 * than its new lower limit counts with its draw until it follows. Each
 * waits for the settling time and is rate-limited (a start from 0 may
 * jump to its minimum). */
static void raise_into_room(tick *t)
{
	const dlm_config *cfg = t->cfg;
	const dlm_state *st = t->st;
	const int64_t now = t->now;
	work *w = t->w;
	double W[DLM_PHASES] = { 0 };
	for (size_t i = 0; i < t->n; i++)
		for (int p = 0; p < DLM_PHASES; p++)
			if (w[i].valid && (w[i].mask & (1u << p)))
				W[p] += fmax(w[i].limit, w[i].draw[p]);
	double dt_s = st->last_now_ms == DLM_NO_TIME || now < st->last_now_ms
		? 0
		: (double)(now - st->last_now_ms) / 1000.0;
	for (int k = 0; k < t->nc; k++) {
		work *c = &w[t->ord[k]];
		if (!c->rising)
			continue;
		if (since(now, c->st->want_up_since) < cfg->settle_ms ||
		    since(now, st->last_reduce_ms) < cfg->settle_ms) {
			c->reason = DLM_R_SETTLING;
			continue;
		}
		double cand = fmin(c->a, c->prev + cfg->ramp_a_per_s * dt_s);
		if (c->prev == 0)
			cand = fmin(c->a, fmax(cand, c->lo));
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				cand = fmin(cand, t->R[p] - (W[p] - fmax(c->prev, c->draw[p])));
		if (cand < c->lo || cand <= c->prev) {
			c->reason = DLM_R_SETTLING;
			continue;
		}
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				W[p] += fmax(cand, c->draw[p]) - fmax(c->prev, c->draw[p]);
		c->limit = cand;
		if (cand < c->a - EPS)
			c->reason = DLM_R_RAMP;
		else
			c->st->want_up_since = DLM_NO_TIME;
	}
}

/* Standing limits of idle chargers (see dlm.h): min_a each, in admission
 * order, where it fits beside the largest of target, limit and draw of
 * every charger that is not idle. */
static void stand_idle(tick *t)
{
	work *w = t->w;
	double W[DLM_PHASES] = { 0 };
	int idle[DLM_MAX_CHARGERS], ni = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!w[i].valid)
			continue;
		if (w[i].in->state == DLM_EV_IDLE && !w[i].in->fixed) {
			idle[ni++] = (int)i;
			continue;
		}
		for (int p = 0; p < DLM_PHASES; p++)
			if (w[i].mask & (1u << p))
				W[p] += fmax(fmax(w[i].a, w[i].limit), w[i].draw[p]);
	}
	ord_sort(w, idle, ni);
	for (int k = 0; k < ni; k++) {
		work *c = &w[idle[k]];
		bool fits = c->hi >= c->in->min_a - EPS; /* its mode would not start a car (PV, no surplus) */
		for (int p = 0; p < DLM_PHASES; p++)
			if ((c->mask & (1u << p)) && W[p] + c->draw[p] + c->in->min_a > t->R[p] + EPS)
				fits = false;
		if (!fits)
			continue;
		c->limit = c->a = c->in->min_a;
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				W[p] += c->draw[p] + c->in->min_a;
	}
}

/* Writes the limits into the output and the state (pause start, last
 * limit), and the per-phase totals. */
static void commit(tick *t, dlm_output *out)
{
	for (size_t i = 0; i < t->n; i++) {
		work *c = &t->w[i];
		dlm_charger_out *o = &out->chargers[i];
		o->reason = c->reason;
		if (!c->valid)
			continue;
		dlm_charger_state *s = c->st;
		if (c->limit > 0 || c->in->state == DLM_EV_IDLE)
			s->paused_since = DLM_NO_TIME;
		else if (c->prev > 0)
			s->paused_since = t->now;
		if (c->in->state == DLM_EV_IDLE)
			s->want_up_since = DLM_NO_TIME;
		s->limit_a = c->limit;
		o->limit_a = c->limit;
		o->target_a = c->a;
		for (int p = 0; p < DLM_PHASES; p++)
			if (c->mask & (1u << p))
				out->allocated_a[p] += c->limit;
	}
	for (int p = 0; p < DLM_PHASES; p++)
		out->headroom_a[p] = out->budget_a[p] - out->allocated_a[p];
	t->st->last_now_ms = t->now;
}

int dlm_compute(const dlm_config *cfg, const dlm_input *in, dlm_state *st, int64_t now_ms, dlm_output *out)
{
	if (!out)
		return -EINVAL;
	int rc = start_output(cfg, in, st, out);
	if (rc < 0)
		return rc;
	tick t; /* not zeroed as a whole (tens of KB per call): each phase sets what it reads */
	t.cfg = cfg;
	t.st = st;
	t.now = now_ms;
	t.n = in->n;
	t.nc = 0;

	read_chargers(&t, in, out);
	budget_per_phase(&t, in, out);
	track_disagreement(cfg, st, now_ms, out);
	demand(&t);
	if (!cfg->enabled) {
		pass_through(t.w, t.n);
	} else {
		order_wanting(&t);
		if (t.stale)
			stale_fallback(&t);
		admit_minimums(&t);
		if (!t.stale)
			share_the_rest(&t);
		reduce_at_once(&t);
		raise_into_room(&t);
		if (!t.stale)
			stand_idle(&t);
	}
	commit(&t, out);
	return 0;
}
