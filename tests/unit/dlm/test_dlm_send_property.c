/*
 * Property test of dlm_send over random sequences (seeded, thousands of
 * steps each): chargers connect and go away, answer their profile calls
 * (accepted, refused, closed, late), cars follow their limits after a lag,
 * the house load jumps and the grid sensor goes stale. Every step decides
 * as the daemon does (dlm_send_draw -> dlm_compute -> dlm_send_plan) and
 * checks the plan against the test's own record of what each charger has
 * installed, when it changed and when it refused:
 *  - hold: no raise while any car is in its reaction window (a reinstall
 *    or a first limit excepted), also in a fleet (three sequences in ten),
 *    where two nodes each plan the chargers they hold;
 *  - cut: an urgent cut (stale sensor, or a phase's installed limits over
 *    budget + 0.05 A; by 0.1 A or more; the site's limits, in a fleet too)
 *    goes out at once when the charger is online and has no call in
 *    flight;
 *  - retry: nothing goes to a charger within 60 s of its refusal, except
 *    an urgent cut;
 *  - range: a limit sent is 0 or within [min, max];
 *  - no send to an offline charger, nor while a call is in flight.
 * Usage: test_dlm_send_property [sequences] [seed]
 */
/* (chance_f: a fractional percent, chance_f(0.5) is one in 200) */
#include "prop_rng.h"
#include "dlm_send.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCH 8
#ifndef HELD_ELSEWHERE /* -DHELD_ELSEWHERE(x)=false: each node blind to the other's windows */
#define HELD_ELSEWHERE(x) (x)
#endif
#ifndef INSTALLED_ELSEWHERE /* -DINSTALLED_ELSEWHERE(x)=0: blind to the other's limits */
#define INSTALLED_ELSEWHERE(x) (x)
#endif
#define STEPS 3000
#define TOL 1e-9

static long failures;

#define FAIL(...)                                                             \
	do {                                                                  \
		if (failures++ < 20) {                                        \
			fprintf(stderr, "sequence %ld step %d: ", seq, step); \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

/* The charger, its car, and the test's record of what the library must
 * know of it. One per charger, for one sequence. */
typedef struct sim_ch {
	uint8_t base_phases; /* 3-phase chargers switch to 1 phase now and then */
	bool reports;        /* sends MeterValues */
	/* the call in flight, as the charger sees it */
	bool call;
	double call_limit;
	int call_phases;
	int64_t answer_at;
	dlm_send_outcome answer;
	/* the car */
	double wants;            /* what it would take */
	double limit_on_charger; /* the profile in force on the charger; survives a disconnect */
	double draw;             /* per phase it uses */
	double next_draw;
	int64_t follow_at; /* it draws next_draw from then */
	dlm_meter_sample m;
	int64_t m_ts;
	/* the record */
	double installed;   /* -1 = nothing known */
	int64_t changed_at; /* DLM_NO_TIME = never */
	int64_t refused_at; /* since the last (re)connect or acceptance; DLM_NO_TIME = none */
	bool need;
} sim_ch;

static dlm_config cfg;
static dlm_state dst;
static dlm_output out;
static dlm_charger_in in[NCH];
static dlm_send_charger sc[NCH];
static dlm_send_decision dec[NCH];
static sim_ch sim[NCH];
static long count[DLM_SEND_WHY_COUNT], small_cuts, stale_steps;

static bool on_phase(const dlm_charger_in *c, int p)
{
	return c->phases == 3 || p == c->grid_phase;
}

static void random_config(void)
{
	dlm_config_defaults(&cfg);
	cfg.enabled = !chance_f(20);
	cfg.breaker_a = 16 + pick(48);
	cfg.margin_a = uni(0, 2);
	cfg.fallback_a = chance_f(30) ? 0 : fmin(uni(6, 16), cfg.breaker_a - cfg.margin_a);
	cfg.stale_ms = 3000 + pick(12000);
	cfg.settle_ms = chance_f(30) ? 0 : pick(10000);
	cfg.ramp_a_per_s = uni(0.5, 20);
	cfg.min_pause_ms = chance_f(30) ? 0 : pick(120000);
	char err[160];
	if (dlm_config_validate(&cfg, err, sizeof err))
		dlm_config_defaults(&cfg);
}

static void random_charger(size_t i)
{
	dlm_charger_in *c = &in[i];
	sim_ch *s = &sim[i];
	memset(c, 0, sizeof *c);
	memset(s, 0, sizeof *s);
	c->id = (uint32_t)(i + 1);
	c->phases = s->base_phases = chance_f(40) ? 1 : 3;
	c->grid_phase = (uint8_t)pick(3);
	c->state = (dlm_ev_state)pick(3);
	c->priority = chance_f(70) ? 0 : pick(3);
	c->min_a = 6;
	c->max_a = 10 + pick(23);
	c->target_a = chance_f(60) ? DLM_TARGET_MAX : uni(0, 32);
	dlm_send_init(&sc[i].st);
	sc[i].online = chance_f(70);
	sc[i].fast = chance_f(30);
	sc[i].no_profiles = chance_f(3);
	if (sc[i].online)
		dlm_send_online(&sc[i].st);
	s->reports = chance_f(70);
	s->wants = uni(6, 40);
	s->limit_on_charger = c->max_a; /* no profile yet */
	s->draw = s->next_draw = c->state == DLM_EV_CHARGING ? fmin(s->wants, c->max_a) : 0;
	s->follow_at = DLM_NO_TIME;
	dlm_meter_sample_clear(&s->m);
	s->m_ts = DLM_NO_TIME;
	s->installed = -1;
	s->changed_at = DLM_NO_TIME;
	s->refused_at = DLM_NO_TIME;
	s->need = sc[i].online;
}

/* What the car draws once it has followed the charger's limit. */
static double car_target(size_t i)
{
	const sim_ch *s = &sim[i];
	if (in[i].state != DLM_EV_CHARGING || s->limit_on_charger < in[i].min_a)
		return 0;
	return fmin(s->wants, s->limit_on_charger);
}

/* Connects, disconnects, answers, car and meter: everything between two decisions. */
static void charger_events(size_t i, int64_t now, int64_t react_ms)
{
	sim_ch *s = &sim[i];
	dlm_send_state *st = &sc[i].st;
	if (sc[i].online && chance_f(0.5)) {
		sc[i].online = false;
		dlm_send_offline(st);
		s->call = false; /* its answer is lost with the connection */
		s->installed = -1;
	} else if (!sc[i].online && chance_f(5)) {
		sc[i].online = true;
		dlm_send_online(st);
		s->need = true;
		s->refused_at = DLM_NO_TIME;
	}
	if (s->call && now >= s->answer_at) {
		s->call = false;
		dlm_send_done(st, s->answer, s->call_limit, s->call_phases, now);
		if (s->answer == DLM_SEND_ACCEPTED) {
			if (s->installed != s->call_limit)
				s->changed_at = now;
			s->installed = s->call_limit;
			s->refused_at = DLM_NO_TIME;
			s->limit_on_charger = s->call_limit;
			s->next_draw = car_target(i);
			s->follow_at = now + (react_ms > 0 ? pick((int)react_ms) : 0);
		} else if (s->answer == DLM_SEND_REFUSED) {
			s->refused_at = now;
		}
	}
	if (chance_f(2)) {
		in[i].state = (dlm_ev_state)pick(3);
		s->wants = uni(6, 40);
		s->next_draw = car_target(i);
		s->follow_at = now + pick(3000);
	}
	if (chance_f(1))
		in[i].target_a = chance_f(60) ? DLM_TARGET_MAX : uni(0, 32);
	if (s->base_phases == 3 && chance_f(1))
		in[i].phases = in[i].phases == 3 ? 1 : 3;
	if (s->follow_at != DLM_NO_TIME && now >= s->follow_at) {
		s->draw = s->next_draw;
		s->follow_at = DLM_NO_TIME;
	}
	if (s->reports && chance_f(40)) {
		dlm_meter_sample_clear(&s->m);
		for (int p = 0; p < 3; p++)
			s->m.current_a[p] = in[i].phases == 3 || p == 0 ? s->draw : 0;
		s->m_ts = now - pick(500);
	}
}

/* A fleet: the chargers are held by two nodes (even and odd indices), and
 * each node plans its own from the one decision, told whether a charger of
 * the other node is in its reaction window and what the other node's
 * chargers have installed (the deciding node's word in the fleet). The
 * plan lands in dec. 0, or -1. */
static int plan_per_node(size_t n, int64_t react_ms, int64_t now)
{
	for (size_t node = 0; node < 2; node++) {
		static dlm_output sub;
		dlm_charger_in sin[NCH];
		dlm_send_charger ssc[NCH];
		dlm_send_decision sdec[NCH];
		size_t idx[NCH], k = 0;
		dlm_send_elsewhere elsewhere = { 0 };
		sub = out;
		for (size_t i = 0; i < n; i++) {
			if (i % 2 != node) {
				elsewhere.held |= dlm_send_in_window(&sc[i].st, react_ms, now);
				dlm_send_add_installed(INSTALLED_ELSEWHERE(sc[i].st.sent_limit_a), &in[i],
						       elsewhere.installed_a);
				continue;
			}
			idx[k] = i;
			sub.chargers[k] = out.chargers[i];
			sin[k] = in[i];
			ssc[k++] = sc[i];
		}
		sub.n = k;
		elsewhere.held = HELD_ELSEWHERE(elsewhere.held);
		if (dlm_send_plan(&sub, sin, ssc, k, cfg.enabled, &elsewhere, react_ms, now, sdec))
			return -1;
		for (size_t j = 0; j < k; j++)
			dec[idx[j]] = sdec[j];
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n_seq = argc > 1 ? atol(argv[1]) : 400;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x2545F4914F6CDD1DULL;
	if (!rng_state)
		rng_state = 1;
	long decisions = 0, sends = 0;

	for (long seq = 0; seq < n_seq; seq++) {
		int step = 0;
		random_config();
		int64_t react_ms = chance_f(10) ? 0 : chance_f(50) ? 5000 : 1000 + pick(10000);
		size_t n = 1 + (size_t)pick(NCH);
		bool fleet = chance_f(30);
		for (size_t i = 0; i < n; i++)
			random_charger(i);
		dlm_state_init(&dst);
		int64_t now = 1700000000000LL + (int64_t)pick(1000000000);
		double house[3];
		for (int p = 0; p < 3; p++)
			house[p] = uni(0, cfg.breaker_a);
		bool sensor_ok = true;
		int64_t grid_ts = now;
		double grid[3] = { 0, 0, 0 };

		for (step = 0; step < STEPS; step++) {
			now += chance_f(5)     ? 20000 + pick(50000)
				: chance_f(25) ? 1000 + pick(5000)
					       : 200 + pick(1300);
			for (size_t i = 0; i < n; i++)
				charger_events(i, now, react_ms);
			for (int p = 0; p < 3; p++)
				house[p] = chance_f(3) ? uni(0, cfg.breaker_a)
						       : fmax(0, house[p] + uni(-0.5, 0.5));
			if (sensor_ok ? chance_f(1) : chance_f(5))
				sensor_ok = !sensor_ok;
			if (sensor_ok) {
				grid_ts = now - pick(300);
				for (int p = 0; p < 3; p++) {
					grid[p] = house[p];
					for (size_t i = 0; i < n; i++)
						if (on_phase(&in[i], p))
							grid[p] += sim[i].draw;
				}
			}

			/* the decision, as the daemon makes it */
			for (size_t i = 0; i < n; i++)
				dlm_send_draw(&sc[i].st, &in[i], react_ms, now,
					      sim[i].reports ? &sim[i].m : NULL, sim[i].m_ts, in[i].draw_a);
			dlm_input din = { .n = n, .chargers = in, .grid_ts_ms = grid_ts };
			memcpy(din.grid_a, grid, sizeof grid);
			if (dlm_compute(&cfg, &din, &dst, now, &out)) {
				FAIL("dlm_compute: %s", out.error);
				continue;
			}
			if (fleet ? plan_per_node(n, react_ms, now)
				  : dlm_send_plan(&out, in, sc, n, cfg.enabled, NULL, react_ms, now, dec)) {
				FAIL("dlm_send_plan failed");
				continue;
			}
			decisions++;
			stale_steps += out.stale;

			/* the properties, from the record */
			bool any_window = false;
			double installed[3] = { 0, 0, 0 };
			for (size_t j = 0; j < n; j++) {
				if (sim[j].changed_at != DLM_NO_TIME && now < sim[j].changed_at + react_ms)
					any_window = true;
				for (int p = 0; p < 3; p++)
					if (sim[j].installed > 0 && on_phase(&in[j], p))
						installed[p] += sim[j].installed;
			}
			for (size_t i = 0; i < n; i++) {
				const sim_ch *s = &sim[i];
				double lim = out.chargers[i].limit_a;
				bool urgent = out.stale;
				for (int p = 0; p < 3; p++)
					if (on_phase(&in[i], p) && installed[p] > out.budget_a[p] + 0.05)
						urgent = true;
				bool cut = urgent &&
					s->installed - lim >= 0.1 - 1e-6; /* 0.1 A steps: 16 - 15.9 counts */
				if ((unsigned)dec[i].why >= DLM_SEND_WHY_COUNT) {
					FAIL("charger %zu: why %d", i, dec[i].why);
					continue;
				}
				count[dec[i].why]++;
				if (sc[i].no_profiles && dec[i].send)
					FAIL("charger %zu takes no profiles: sent %g", i, lim);
				if (!dec[i].send) {
					if (cut && sc[i].online && !s->call && !sc[i].no_profiles)
						FAIL("charger %zu: urgent cut %g -> %g not sent (%s)", i,
						     s->installed, lim, dlm_send_why_str(dec[i].why));
					continue;
				}
				if (!sc[i].online)
					FAIL("charger %zu: sent %g while offline", i, lim);
				if (s->call)
					FAIL("charger %zu: sent %g while a call is in flight", i, lim);
				if (!(lim == 0 || (lim >= in[i].min_a - TOL && lim <= in[i].max_a + TOL)))
					FAIL("charger %zu: sent %g outside 0 or [%g, %g]", i, lim,
					     in[i].min_a, in[i].max_a);
				if (any_window && s->installed >= 0 && !s->need && lim > s->installed)
					FAIL("charger %zu: raised %g -> %g while a car reacts (%s)", i,
					     s->installed, lim, dlm_send_why_str(dec[i].why));
				if (s->refused_at != DLM_NO_TIME && now - s->refused_at < DLM_SEND_RETRY_MS &&
				    !cut)
					FAIL("charger %zu: sent %g %lld ms after its refusal (%s)", i, lim,
					     (long long)(now - s->refused_at), dlm_send_why_str(dec[i].why));
				small_cuts +=
					dec[i].why == DLM_SEND_CUT && s->installed - lim < DLM_SEND_STEP_A;
			}

			/* the calls go out; the charger answers later */
			for (size_t i = 0; i < n; i++) {
				if (!dec[i].send)
					continue;
				sim_ch *s = &sim[i];
				sends++;
				dlm_send_started(&sc[i].st);
				s->need = false;
				s->call = true;
				s->call_limit = out.chargers[i].limit_a;
				s->call_phases = out.chargers[i].phases;
				int r = pick(100);
				s->answer = r < 75 ? DLM_SEND_ACCEPTED
					: r < 95   ? DLM_SEND_REFUSED
						   : DLM_SEND_CLOSED;
				/* now and then no answer: the call times out as refused */
				if (chance_f(3)) {
					s->answer = DLM_SEND_REFUSED;
					s->answer_at = now + 30000;
				} else {
					s->answer_at = now + pick(3000);
				}
			}
		}
	}
	printf("%ld sequences, %ld decisions (%ld stale), %ld profiles sent, %ld urgent cuts under 1 A\n",
	       n_seq, decisions, stale_steps, sends, small_cuts);
	for (int w = 0; w < DLM_SEND_WHY_COUNT; w++)
		printf("  %-32s %ld\n", dlm_send_why_str((dlm_send_why)w), count[w]);
	if (failures) {
		fprintf(stderr, "%ld violation(s)\n", failures);
		return 1;
	}
	/* every rule must have been exercised, not only the quiet cases */
	for (int w = 0; w < DLM_SEND_WHY_COUNT; w++)
		if (n_seq >= 100 && count[w] < 10) {
			fprintf(stderr, "too few '%s' cases\n", dlm_send_why_str((dlm_send_why)w));
			return 1;
		}
	if (n_seq >= 100 && small_cuts < 10) {
		fprintf(stderr, "too few urgent cuts under 1 A\n");
		return 1;
	}
	return 0;
}
