/*
 * Property test of dlm_compute() over random situations: random settings,
 * grid currents, chargers (phases, grid phase, min/max, draws, states,
 * priorities, targets), random previous state and random time steps. After
 * every call: no phase above its headroom, no limit strictly between 0 and
 * the minimum or above the maximum, single-phase chargers only on their
 * phase, reductions at once; a negative house current trusted only as far
 * as the local generation in the input explains it. Then the same rule
 * against a true world whose grid meter or chargers are wrong by any
 * amount, and the disagreement flag against a model of its hold times.
 * Also: an idle charger gets 0 or its minimum (a standing limit, within
 * the same phase budget); a fixed charger (DLM cannot limit it) its
 * maximum, and the others share what it leaves.
 * Usage: test_dlm_property [situations] [seed]
 */
#include "prop_rng.h"
#include "dlm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-6

static long failures;

#define FAIL(...)                                                           \
	do {                                                                \
		if (failures++ < 20) {                                      \
			fprintf(stderr, "situation %ld tick %d: ", sit, t); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

static dlm_charger_in ch[DLM_MAX_CHARGERS];
static bool valid[DLM_MAX_CHARGERS];
static dlm_state st;
static dlm_output out;

static void random_config(dlm_config *c)
{
	dlm_config_defaults(c);
	c->breaker_a = chance(50) ? (double)(10 + pick(71)) : uni(6, 100);
	c->margin_a = chance(20) ? 0 : uni(0, fmin(5, c->breaker_a - 0.5));
	c->fallback_a = chance(20) ? 0 : uni(0, c->breaker_a - c->margin_a);
	c->stale_ms = 1000 + pick(20000);
	c->settle_ms = chance(30) ? 0 : pick(20000);
	c->ramp_a_per_s = uni(0.1, 50);
	c->min_pause_ms = chance(30) ? 0 : pick(120000);
	c->unused_slack_a = uni(0.5, 5);
	c->unused_ms = chance(30) ? 0 : pick(60000);
	c->resolution_a = chance(50) ? 0.1 : uni(0.001, 1);
}

static void random_charger(dlm_charger_in *c, uint32_t id, bool *ok)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	c->phases = chance(40) ? 1 : 3;
	c->grid_phase = (uint8_t)pick(3);
	c->state = (dlm_ev_state)pick(3);
	c->priority = chance(60) ? 0 : pick(4) - 1;
	c->min_a = chance(80) ? 6 : uni(1, 16);
	c->max_a = c->min_a + (chance(20) ? 0 : uni(0, 40));
	c->target_a = chance(50) ? DLM_TARGET_MAX : uni(0, 40);
	for (int p = 0; p < 3; p++)
		c->draw_a[p] = chance(20) ? 0 : uni(0, c->max_a + 2);
	c->fixed = chance(3);
	*ok = true;
	if (chance(2)) { /* a few invalid inputs: they must get 0 */
		switch (pick(4)) {
		case 0: c->phases = 2; break;
		case 1:
			c->phases = 1;
			c->grid_phase = 3 + (uint8_t)pick(5);
			break;
		case 2: c->max_a = c->min_a - 1; break;
		default: c->draw_a[pick(3)] = NAN; break;
		}
		*ok = false;
	}
}

/* Random previous state for the chargers about to be computed. */
static void random_state(size_t n, int64_t now)
{
	dlm_state_init(&st);
	st.last_now_ms = chance(20) ? DLM_NO_TIME : now - pick(30000);
	st.last_reduce_ms = chance(30) ? DLM_NO_TIME : now - pick(60000);
	for (size_t i = 0; i < n; i++) {
		if (chance(20))
			continue;
		dlm_charger_state *s = &st.ch[chance(80) ? i : (size_t)pick(DLM_MAX_CHARGERS)];
		if (s->id)
			continue;
		s->id = ch[i].id;
		switch (pick(5)) {
		case 0: s->limit_a = 0; break;
		case 1: s->limit_a = uni(0, 6); break; /* illegal leftovers */
		case 2: s->limit_a = chance(5) ? NAN : uni(0, 60); break;
		default: s->limit_a = uni(ch[i].min_a, ch[i].max_a); break;
		}
		s->want_up_since = chance(50) ? DLM_NO_TIME : now - pick(40000) + 1000;
		s->paused_since = chance(50) ? DLM_NO_TIME : now - pick(200000) + 1000;
		s->under_since = chance(50) ? DLM_NO_TIME : now - pick(100000);
		s->capped = chance(20);
	}
}

/* Local generation: none, per phase, a total in W, or both; now and
 * then a value DLM must read as none (negative, NAN). */
static void random_generation(dlm_input *in)
{
	for (int p = 0; p < 3; p++)
		in->gen_a[p] = 0;
	in->gen_w = 0;
	if (chance(30))
		return;
	if (chance(60))
		for (int p = 0; p < 3; p++)
			in->gen_a[p] = chance(20) ? 0 : uni(0, 40);
	if (chance(40))
		in->gen_w = uni(0, 30000);
	if (chance(3))
		in->gen_a[pick(3)] = chance(50) ? NAN : -uni(0, 10);
	if (chance(3))
		in->gen_w = chance(50) ? NAN : -uni(0, 1000);
}

/* Generation on phase p as dlm.h defines it, computed here on its own. */
static double gen_on(const dlm_input *in, int p)
{
	double g = 0;
	if (isfinite(in->gen_a[p]) && in->gen_a[p] > 0)
		g += in->gen_a[p];
	if (isfinite(in->gen_w) && in->gen_w > 0)
		g += in->gen_w / (3 * DLM_NOMINAL_V);
	return g;
}

static double prev_limit(uint32_t id)
{
	for (int k = 0; k < DLM_MAX_CHARGERS; k++)
		if (st.ch[k].id == id)
			return isfinite(st.ch[k].limit_a) ? st.ch[k].limit_a : 0;
	return 0;
}

/* A true world behind the input: each phase's house current H (load minus
 * generation, any amounts) and each charger's true draw. Either the
 * chargers report less than they draw (by any amount) with a true grid
 * meter, or the meter reads less than house + draws (by any amount: it
 * misses the chargers, or they over-report). In the first case no limit
 * may take a phase over breaker - margin; in the second no error, however
 * large, may buy the chargers more than generation explains. And
 * generation in the input raises a budget by at most itself. */
static void prop_wrong_world(long n_sit)
{
	static dlm_state st0;
	static dlm_output out0;
	long sit, under = 0, over = 0, clamped = 0;
	int t = 0;
	dlm_config cfg;
	for (sit = 0; sit < n_sit; sit++) {
		random_config(&cfg);
		size_t n = (size_t)pick(chance(70) ? 6 : 40);
		double truth[DLM_MAX_CHARGERS][3];
		for (size_t i = 0; i < n; i++) {
			do
				random_charger(&ch[i], (uint32_t)(i + 1), &valid[i]);
			while (!valid[i]);
			for (int p = 0; p < 3; p++)
				truth[i][p] = ch[i].phases == 3 || ch[i].grid_phase == p
					? uni(0, ch[i].max_a + 2)
					: 0;
		}
		int64_t now = 1700000000000LL + (int64_t)pick(1000000000);
		random_state(n, now);
		dlm_input in = { .n = n, .chargers = ch, .grid_ts_ms = now - pick(1000) };
		random_generation(&in);
		bool meter_low = chance(50);
		double house[3];
		for (int p = 0; p < 3; p++) {
			double ev = 0;
			for (size_t i = 0; i < n; i++)
				ev += truth[i][p];
			house[p] = uni(0, 30) - (chance(50) ? uni(0, 40) : 0);
			double err = chance(10) ? uni(0, 1000) : uni(0, 40);
			in.grid_a[p] = house[p] + ev - (meter_low ? err : 0);
		}
		for (size_t i = 0; i < n; i++)
			for (int p = 0; p < 3; p++) {
				double err = chance(10) ? uni(0, 1000) : uni(0, 40);
				ch[i].draw_a[p] = meter_low ? truth[i][p] : fmax(0, truth[i][p] - err);
			}
		st0 = st;
		if (dlm_compute(&cfg, &in, &st, now, &out)) {
			FAIL("rc: %s", out.error);
			continue;
		}
		under += !meter_low;
		over += meter_low;
		/* a fixed charger (DLM cannot limit it) is counted at its
		 * maximum whatever the budget: the property holds for the
		 * others, within what it leaves */
		double sum[3] = { 0, 0, 0 }, fix[3] = { 0, 0, 0 };
		for (size_t i = 0; i < n; i++)
			for (int p = 0; p < 3; p++)
				if (ch[i].phases == 3 || ch[i].grid_phase == p) {
					if (ch[i].fixed)
						fix[p] += ch[i].max_a;
					else
						sum[p] += out.chargers[i].limit_a;
				}
		const double room = cfg.breaker_a - cfg.margin_a;
		for (int p = 0; p < 3; p++) {
			double gen = gen_on(&in, p);
			if (!meter_low && sum[p] > fmax(0, room - house[p] - fix[p]) + TOL)
				FAIL("L%d: draws under-reported, limits %g + true house %g + fixed %g over "
				     "%g",
				     p + 1, sum[p], house[p], fix[p], room);
			if (meter_low && sum[p] > fmax(0, room + gen - fix[p]) + TOL)
				FAIL("L%d: meter low, limits %g + fixed %g beyond breaker - margin %g + "
				     "generation %g",
				     p + 1, sum[p], fix[p], room, gen);
			clamped += out.unexplained_a[p] > 0;
		}
		/* the same without generation: never more budget, and the
		 * difference is at most the generation itself */
		dlm_input in0 = in;
		for (int p = 0; p < 3; p++)
			in0.gen_a[p] = 0;
		in0.gen_w = 0;
		if (dlm_compute(&cfg, &in0, &st0, now, &out0)) {
			FAIL("rc: %s", out0.error);
			continue;
		}
		for (int p = 0; p < 3; p++) {
			double d = out.budget_a[p] - out0.budget_a[p];
			if (d < -TOL || d > gen_on(&in, p) + TOL)
				FAIL("L%d: generation %g moved the budget by %g", p + 1, gen_on(&in, p), d);
		}
	}
	printf("wrong world: %ld with draws under-reported, %ld with the meter low, %ld phases clamped\n",
	       under, over, clamped);
	if (clamped < n_sit / 4) {
		fprintf(stderr, "too few clamped phases\n");
		failures++;
	}
}

/* The disagreement flag over random sequences of readings: it turns on
 * only after every reading for disagree_ms was over the tolerance on some
 * phase, off only after every reading for as long was not, and once such
 * a run is long enough it shows it. Stale readings break a run. */
static void prop_disagree_flag(long n_seq)
{
	long sit = 0, ons = 0, offs = 0;
	int t = 0;
	dlm_config cfg;
	enum { MAXT = 200 };
	int64_t when[MAXT];
	int kind[MAXT]; /* 0 stale, 1 agree, 2 over */
	for (sit = 0; sit < n_seq; sit++) {
		dlm_config_defaults(&cfg);
		cfg.disagree_a = uni(0.1, 5);
		cfg.disagree_ms = chance(10) ? 0 : pick(30000);
		dlm_state_init(&st);
		dlm_input in = { .n = 0 };
		random_generation(&in);
		int64_t now = 1700000000000LL;
		bool flag = false;
		int nt = 1 + pick(MAXT);
		int mode = pick(3); /* how often phases go over: seldom, half, mostly */
		for (t = 0; t < nt; t++) {
			now += chance(5) ? 0 : pick(chance(20) ? 20000 : 3000);
			bool stale = chance(5);
			in.grid_ts_ms = stale ? DLM_NO_TIME : now;
			bool over = false;
			for (int p = 0; p < 3; p++) {
				double gen = gen_on(&in, p);
				bool go = chance(mode == 0 ? 5 : mode == 1 ? 25 : 60);
				in.grid_a[p] = go ? -gen - cfg.disagree_a - uni(0.01, 20)
						  : -gen + uni(-cfg.disagree_a + 0.01, 30);
				over |= go;
			}
			if (dlm_compute(&cfg, &in, &st, now, &out)) {
				FAIL("rc: %s", out.error);
				break;
			}
			when[t] = now;
			kind[t] = stale ? 0 : over ? 2 : 1;
			/* the run of readings of this kind ending here */
			int k = t;
			while (k > 0 && kind[k - 1] == kind[t])
				k--;
			bool long_run = kind[t] != 0 && now - when[k] >= cfg.disagree_ms;
			if (out.disagree != flag) {
				if (!long_run || out.disagree != (kind[t] == 2))
					FAIL("flag %d after a run of %lld ms of kind %d (hold %lld)",
					     out.disagree, (long long)(now - when[k]), kind[t],
					     (long long)cfg.disagree_ms);
				ons += out.disagree;
				offs += !out.disagree;
			} else if (long_run && out.disagree != (kind[t] == 2)) {
				FAIL("flag %d stays after a run of %lld ms of kind %d (hold %lld)",
				     out.disagree, (long long)(now - when[k]), kind[t],
				     (long long)cfg.disagree_ms);
			}
			flag = out.disagree;
		}
	}
	printf("disagreement flag: %ld sequences, %ld raised, %ld cleared\n", n_seq, ons, offs);
	if (ons < n_seq / 10 || offs < n_seq / 20) {
		fprintf(stderr, "too few flag changes\n");
		failures++;
	}
}

int main(int argc, char **argv)
{
	long n_sit = argc > 1 ? atol(argv[1]) : 100000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9E3779B97F4A7C15ULL;
	if (!rng_state)
		rng_state = 1;
	long calls = 0, nonzero = 0, saturated = 0, stale_calls = 0;
	dlm_config cfg;
	double prev[DLM_MAX_CHARGERS];

	for (long sit = 0; sit < n_sit; sit++) {
		int t = 0;
		random_config(&cfg);
		size_t n = chance(2) ? (size_t)pick(DLM_MAX_CHARGERS + 1) : (size_t)pick(chance(70) ? 6 : 40);
		for (size_t i = 0; i < n; i++)
			random_charger(&ch[i], (uint32_t)(1 + i * 7 + (size_t)pick(3)), &valid[i]);
		/* ids must stay unique for the "valid" bookkeeping */
		for (size_t i = 0; i < n; i++)
			ch[i].id = (uint32_t)(i + 1);
		int64_t now = 1700000000000LL + (int64_t)pick(1000000000);
		random_state(n, now);

		int nticks = 1 + pick(6);
		for (t = 0; t < nticks; t++) {
			now += chance(10) ? 0 : pick(chance(20) ? 120000 : 3000);
			dlm_input in = { .n = n, .chargers = ch };
			for (int p = 0; p < 3; p++)
				in.grid_a[p] = uni(-40, 100);
			random_generation(&in);
			bool stale = chance(15);
			in.grid_ts_ms = stale
				? (chance(20) ? DLM_NO_TIME : now - cfg.stale_ms - 1 - pick(5000))
				: now - pick((int)cfg.stale_ms + 1);
			for (size_t i = 0; i < n; i++) {
				prev[i] = prev_limit(ch[i].id);
				if (valid[i] && chance(30)) /* things change between ticks */
					for (int p = 0; p < 3; p++)
						ch[i].draw_a[p] = uni(0, ch[i].max_a + 2);
				if (chance(5))
					ch[i].state = (dlm_ev_state)pick(3);
			}
			int64_t reduced_at = st.last_reduce_ms;
			int rc = dlm_compute(&cfg, &in, &st, now, &out);
			calls++;
			stale_calls += stale;
			if (rc != 0) {
				FAIL("rc %d: %s", rc, out.error);
				continue;
			}
			if (out.stale != stale)
				FAIL("stale %d expected %d", out.stale, stale);
			if (out.n != n)
				FAIL("n %zu", out.n);

			/* headroom per phase, computed here independently: a negative
			 * house current counts down to -generation, no further */
			double budget[3], sum[3] = { 0, 0, 0 }, fixed[3] = { 0, 0, 0 };
			for (int p = 0; p < 3; p++) {
				double ev = 0;
				for (size_t i = 0; i < n; i++)
					if (valid[i] && (ch[i].phases == 3 || ch[i].grid_phase == p))
						ev += fmax(0, ch[i].draw_a[p]);
				double gen = gen_on(&in, p), raw = in.grid_a[p] - ev;
				budget[p] = cfg.breaker_a - cfg.margin_a - (stale ? 0 : fmax(raw, -gen));
				if (fabs(out.gen_a[p] - gen) > TOL)
					FAIL("phase L%d generation %g expected %g", p + 1, out.gen_a[p], gen);
				if (budget[p] > cfg.breaker_a - cfg.margin_a + gen + TOL)
					FAIL("phase L%d budget %g beyond what generation %g explains", p + 1,
					     budget[p], gen);
				if (!stale &&
				    (fabs(out.house_raw_a[p] - raw) > TOL ||
				     fabs(out.house_a[p] - fmax(raw, -gen)) > TOL ||
				     fabs(out.unexplained_a[p] - fmax(0, -gen - raw)) > TOL))
					FAIL("phase L%d house %g raw %g unexplained %g (raw %g, gen %g)",
					     p + 1, out.house_a[p], out.house_raw_a[p], out.unexplained_a[p],
					     raw, gen);
				if (stale && !(isnan(out.house_a[p]) && isnan(out.unexplained_a[p])))
					FAIL("phase L%d stale but house %g", p + 1, out.house_a[p]);
			}
			bool any_down = false, any_up = false;
			for (size_t i = 0; i < n; i++) {
				double l = out.chargers[i].limit_a,
				       pl = prev[i] < ch[i].min_a - TOL ? 0 : prev[i];
				/* standing limits of idle chargers draw nothing: they
				 * come and go with the room (dlm.h) */
				bool car = valid[i] && ch[i].state != DLM_EV_IDLE && !ch[i].fixed;
				any_down |= car && l < pl - TOL;
				any_up |= car && l > pl + TOL;
			}
			/* no increase in the tick of a reduction, nor within settle_ms of one */
			if (any_up && cfg.settle_ms > 0 &&
			    (any_down || (reduced_at != DLM_NO_TIME && now - reduced_at < cfg.settle_ms)))
				FAIL("increase %s",
				     any_down ? "together with a reduction" : "before settle_ms");
			for (size_t i = 0; i < n; i++) {
				const dlm_charger_out *o = &out.chargers[i];
				double l = o->limit_a;
				if (o->id != ch[i].id)
					FAIL("charger %zu id %u", i, o->id);
				if (!isfinite(l) || l < 0)
					FAIL("charger %zu limit %g", i, l);
				if (!valid[i]) {
					if (l != 0 || o->reason != DLM_R_INVALID)
						FAIL("invalid charger %zu got %g (%s)", i, l,
						     dlm_reason_str(o->reason));
					continue;
				}
				if (l > 0 && l < ch[i].min_a - TOL)
					FAIL("charger %zu limit %g below min %g", i, l, ch[i].min_a);
				if (l > ch[i].max_a + TOL)
					FAIL("charger %zu limit %g above max %g", i, l, ch[i].max_a);
				if (ch[i].fixed) {
					if (cfg.enabled &&
					    (fabs(l - ch[i].max_a) > TOL || o->reason != DLM_R_FIXED))
						FAIL("fixed charger %zu got %g (%s)", i, l,
						     dlm_reason_str(o->reason));
					for (int p = 0; p < 3; p++)
						if (ch[i].phases == 3 || ch[i].grid_phase == p)
							fixed[p] += l;
					continue;
				}
				if (ch[i].state == DLM_EV_IDLE && l != 0 &&
				    (stale || fabs(l - ch[i].min_a) > TOL ||
				     (ch[i].target_a >= 0 && ch[i].target_a < ch[i].min_a - TOL)))
					FAIL("idle charger %zu got %g", i, l);
				if (o->phases != ch[i].phases)
					FAIL("charger %zu phases %d", i, o->phases);
				if (l > o->target_a + TOL)
					FAIL("charger %zu limit %g above its allocation %g", i, l,
					     o->target_a);
				/* reductions at once, increases never beyond the allocation */
				if (o->target_a < prev[i] - TOL && fabs(l - o->target_a) > TOL)
					FAIL("charger %zu reduction %g -> %g not applied (got %g)", i,
					     prev[i], o->target_a, l);
				if (o->reason >= DLM_R_COUNT)
					FAIL("charger %zu reason %d", i, o->reason);
				nonzero += l > 0;
				for (int p = 0; p < 3; p++)
					if (ch[i].phases == 3 || ch[i].grid_phase == p)
						sum[p] += l;
			}
			for (int p = 0; p < 3; p++) {
				if (sum[p] > fmax(0, budget[p] - fixed[p]) + TOL)
					FAIL("phase L%d allocated %g over headroom %g (fixed %g)", p + 1,
					     sum[p], budget[p], fixed[p]);
				if (fabs(sum[p] + fixed[p] - out.allocated_a[p]) > TOL)
					FAIL("phase L%d reported %g, limits add up to %g", p + 1,
					     out.allocated_a[p], sum[p]);
				if (fabs(out.budget_a[p] - budget[p]) > TOL)
					FAIL("phase L%d budget %g expected %g", p + 1, out.budget_a[p],
					     budget[p]);
				saturated += budget[p] > 0 && sum[p] > budget[p] - 1;
			}
		}
	}
	printf("%ld situations, %ld calls (%ld stale), %ld nonzero limits, %ld phases within 1 A of "
	       "full\n",
	       n_sit, calls, stale_calls, nonzero, saturated);
	prop_wrong_world(n_sit);
	prop_disagree_flag(n_sit / 20 + 1);
	if (failures) {
		fprintf(stderr, "%ld violation(s)\n", failures);
		return 1;
	}
	/* the test must exercise the interesting cases, not only zeros */
	if (nonzero < n_sit || saturated < n_sit / 10) {
		fprintf(stderr, "too few interesting cases\n");
		return 1;
	}
	return 0;
}
