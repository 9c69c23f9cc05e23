/*
 * Tests of dlm_send, one per rule with exact numbers: the reaction window
 * and the draw assumed in and after it, the outcome of a profile call, the
 * 1 A send threshold, holding raises, the urgent cut (stale sensor, a phase
 * over budget), the retry after a refusal, Fast mode with DLM off.
 */
#include "dlm_send.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			failures++;                                                \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
		}                                                                  \
	} while (0)

#define T0 1700000000000LL
#define REACT 5000

/* ---- the window and the assumed draw ---- */

static dlm_charger_in charger(uint8_t phases, uint8_t grid_phase, double max_a)
{
	dlm_charger_in in;
	memset(&in, 0, sizeof in);
	in.id = 1;
	in.phases = phases;
	in.grid_phase = grid_phase;
	in.state = DLM_EV_CHARGING;
	in.min_a = 6;
	in.max_a = max_a;
	in.target_a = DLM_TARGET_MAX;
	return in;
}

/* A state with 16 A installed, then 10 A accepted at T0. */
static dlm_send_state cut_16_to_10(void)
{
	dlm_send_state s;
	dlm_send_init(&s);
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 16, 3, T0 - 60000);
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 10, 3, T0);
	return s;
}

static void test_window(void)
{
	dlm_send_state s;
	dlm_send_init(&s);
	CHECK(s.sent_limit_a == -1 && s.changed_ms == DLM_NO_TIME && !s.need_send && !s.in_flight &&
		      !s.rejected,
	      "init");
	CHECK(!dlm_send_in_window(&s, REACT, T0), "no change yet: no window");

	s = cut_16_to_10();
	CHECK(s.sent_limit_a == 10 && s.prev_limit_a == 16 && s.changed_ms == T0, "%g %g", s.sent_limit_a,
	      s.prev_limit_a);
	CHECK(dlm_send_in_window(&s, REACT, T0), "from the change");
	CHECK(dlm_send_in_window(&s, REACT, T0 + 4999), "until 4.999 s");
	CHECK(!dlm_send_in_window(&s, REACT, T0 + 5000), "over at 5 s");
	CHECK(!dlm_send_in_window(&s, 0, T0), "react 0: no window");

	double d[3];
	dlm_charger_in in = charger(3, 0, 32);
	/* a cut 16 -> 10: the car may still draw 16 */
	CHECK(dlm_send_draw(&s, &in, REACT, T0 + 1000, NULL, DLM_NO_TIME, d) == 0, "rc");
	CHECK(d[0] == 16 && d[1] == 16 && d[2] == 16, "3ph in window: %g %g %g", d[0], d[1], d[2]);
	/* a meter value inside the window does not count */
	dlm_meter_sample m;
	dlm_meter_sample_clear(&m);
	m.current_a[0] = m.current_a[1] = m.current_a[2] = 7;
	dlm_send_draw(&s, &in, REACT, T0 + 1000, &m, T0 + 900, d);
	CHECK(d[0] == 16, "meter in window ignored: %g", d[0]);
	/* capped at its maximum (it was lowered meanwhile) */
	in.max_a = 12;
	dlm_send_draw(&s, &in, REACT, T0 + 1000, NULL, DLM_NO_TIME, d);
	CHECK(d[0] == 12 && d[2] == 12, "capped at max: %g", d[0]);
	/* single-phase on L2: its phase only */
	in = charger(1, 1, 32);
	dlm_send_draw(&s, &in, REACT, T0 + 4999, NULL, DLM_NO_TIME, d);
	CHECK(d[0] == 0 && d[1] == 16 && d[2] == 0, "1ph on L2: %g %g %g", d[0], d[1], d[2]);
	/* suspended counts too, idle does not (nothing measured: 0) */
	in.state = DLM_EV_SUSPENDED;
	dlm_send_draw(&s, &in, REACT, T0 + 1000, NULL, DLM_NO_TIME, d);
	CHECK(d[1] == 16, "suspended in window: %g", d[1]);
	in.state = DLM_EV_IDLE;
	dlm_send_draw(&s, &in, REACT, T0 + 1000, NULL, DLM_NO_TIME, d);
	CHECK(d[1] == 0, "idle: %g", d[1]);

	/* a raise 10 -> 16: the car may already draw 16 */
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 16, 3, T0 + 10000);
	in = charger(3, 0, 32);
	dlm_send_draw(&s, &in, REACT, T0 + 10001, NULL, DLM_NO_TIME, d);
	CHECK(s.prev_limit_a == 10 && d[0] == 16, "raise: %g", d[0]);
	/* the first limit ever: max(limit, 0) */
	dlm_send_init(&s);
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 8, 3, T0);
	dlm_send_draw(&s, &in, REACT, T0 + 1, NULL, DLM_NO_TIME, d);
	CHECK(s.prev_limit_a == 0 && d[0] == 8, "first: prev %g draw %g", s.prev_limit_a, d[0]);

	in.phases = 2;
	CHECK(dlm_send_draw(&s, &in, REACT, T0, NULL, DLM_NO_TIME, d) == -EINVAL && d[0] == 0, "bad phases");
	in = charger(1, 3, 32);
	CHECK(dlm_send_draw(&s, &in, REACT, T0, NULL, DLM_NO_TIME, d) == -EINVAL, "bad grid phase");
	CHECK(dlm_send_draw(NULL, &in, REACT, T0, NULL, DLM_NO_TIME, d) == -EINVAL, "null");
}

static void test_draw_after_window(void)
{
	dlm_send_state s = cut_16_to_10();
	dlm_charger_in in = charger(3, 0, 32);
	dlm_meter_sample m;
	double d[3];
	dlm_meter_sample_clear(&m);
	m.current_a[0] = 9.5;
	m.current_a[1] = 9.6;
	m.current_a[2] = 9.7;
	/* a meter value from the window's end on tells */
	dlm_send_draw(&s, &in, REACT, T0 + 6000, &m, T0 + 5000, d);
	CHECK(d[0] == 9.5 && d[1] == 9.6 && d[2] == 9.7, "fresh meter: %g %g %g", d[0], d[1], d[2]);
	/* an older one does not: a charging car draws its limit */
	dlm_send_draw(&s, &in, REACT, T0 + 6000, &m, T0 + 4999, d);
	CHECK(d[0] == 10 && d[2] == 10, "stale meter: %g", d[0]);
	dlm_send_draw(&s, &in, REACT, T0 + 6000, NULL, DLM_NO_TIME, d);
	CHECK(d[0] == 10, "no meter: %g", d[0]);
	dlm_send_draw(&s, &in, REACT, T0 + 6000, &m, DLM_NO_TIME, d);
	CHECK(d[0] == 10, "sample without time: %g", d[0]);
	/* suspended with nothing measured: 0 */
	in.state = DLM_EV_SUSPENDED;
	dlm_send_draw(&s, &in, REACT, T0 + 6000, NULL, DLM_NO_TIME, d);
	CHECK(d[0] == 0, "suspended: %g", d[0]);
	/* nothing ever installed: any meter value counts, else 0 for the limit */
	dlm_send_init(&s);
	in.state = DLM_EV_CHARGING;
	dlm_send_draw(&s, &in, REACT, T0, &m, T0 - 3600000, d);
	CHECK(d[1] == 9.6, "no change yet, meter: %g", d[1]);
	dlm_send_draw(&s, &in, REACT, T0, NULL, DLM_NO_TIME, d);
	CHECK(d[1] == 0, "no change yet, no meter: %g", d[1]);
}

/* ---- the answer to a profile call ---- */

static void test_outcome(void)
{
	dlm_send_state s;
	dlm_send_init(&s);
	dlm_send_online(&s);
	CHECK(s.need_send && !s.rejected && !s.in_flight, "online");
	dlm_send_started(&s);
	CHECK(s.in_flight && !s.need_send, "started");
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 16, 3, T0);
	CHECK(!s.in_flight && s.sent_limit_a == 16 && s.sent_phases == 3 && s.prev_limit_a == 0 &&
		      s.changed_ms == T0,
	      "accepted: %g x%d prev %g", s.sent_limit_a, s.sent_phases, s.prev_limit_a);
	/* the same limit again (a reinstall): no new window */
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 16, 1, T0 + 20000);
	CHECK(s.changed_ms == T0 && s.prev_limit_a == 0 && s.sent_phases == 1, "same limit: %lld",
	      (long long)(s.changed_ms - T0));
	/* refused: nothing installed changes */
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_REFUSED, 6, 1, T0 + 30000);
	CHECK(!s.in_flight && s.rejected && s.rejected_ms == T0 + 30000 && s.sent_limit_a == 16 &&
		      s.changed_ms == T0,
	      "refused");
	/* closed: only no longer in flight, the refusal stands */
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_CLOSED, 6, 1, T0 + 40000);
	CHECK(!s.in_flight && s.rejected && s.rejected_ms == T0 + 30000 && s.sent_limit_a == 16, "closed");
	/* accepted clears the refusal */
	dlm_send_started(&s);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 6, 1, T0 + 90000);
	CHECK(!s.rejected && s.sent_limit_a == 6 && s.prev_limit_a == 16 && s.changed_ms == T0 + 90000,
	      "accepted after refusal");
	/* a cut to 0 and back: prev is the last positive limit, or 0 */
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 0, 1, T0 + 100000);
	dlm_send_done(&s, DLM_SEND_ACCEPTED, 7, 1, T0 + 200000);
	CHECK(s.prev_limit_a == 0 && s.sent_limit_a == 7, "from 0: prev %g", s.prev_limit_a);
	/* offline forgets what is installed, keeps the window */
	dlm_send_started(&s);
	dlm_send_offline(&s);
	CHECK(!s.in_flight && s.sent_limit_a == -1 && s.changed_ms == T0 + 200000, "offline");
	s.rejected = true;
	dlm_send_online(&s);
	CHECK(s.need_send && !s.rejected && !s.in_flight, "online again");
}

/* ---- planning ---- */

/* A decision over up to 4 chargers: each 3-phase, 6-32 A, 16 A installed
 * long ago and 16 A decided; budget 100 A per phase; DLM on. */
static struct plan_case {
	dlm_output out;
	dlm_charger_in in[4];
	dlm_send_charger ch[4];
	dlm_send_decision dec[4];
	bool enabled;
	dlm_send_elsewhere elsewhere; /* what the deciding node says of other nodes' chargers */
	bool fleet;                   /* pass elsewhere (else NULL: one node) */
	int64_t now;
} pc;

static void pc_init(size_t n)
{
	memset(&pc, 0, sizeof pc);
	pc.out.n = n;
	for (int p = 0; p < 3; p++)
		pc.out.budget_a[p] = 100;
	for (size_t i = 0; i < n; i++) {
		pc.in[i] = charger(3, 0, 32);
		pc.in[i].id = (uint32_t)(i + 1);
		pc.out.chargers[i].id = pc.in[i].id;
		pc.out.chargers[i].limit_a = 16;
		pc.out.chargers[i].phases = 3;
		dlm_send_state *s = &pc.ch[i].st;
		dlm_send_init(s);
		s->sent_limit_a = 16;
		s->prev_limit_a = 16;
		s->sent_phases = 3;
		s->changed_ms = T0 - 3600000;
		pc.ch[i].online = true;
	}
	pc.enabled = true;
	pc.now = T0;
}

static void set_limit(size_t i, double a)
{
	pc.out.chargers[i].limit_a = a;
}

static dlm_send_why plan(size_t i)
{
	int rc = dlm_send_plan(&pc.out, pc.in, pc.ch, pc.out.n, pc.enabled, pc.fleet ? &pc.elsewhere : NULL,
			       REACT, pc.now, pc.dec);
	CHECK(rc == 0, "plan rc %d", rc);
	CHECK(pc.dec[i].send == (pc.dec[i].why >= DLM_SEND_CUT), "send %d for %s", pc.dec[i].send,
	      dlm_send_why_str(pc.dec[i].why));
	return pc.dec[i].why;
}

#define EXPECT(i, w)                                                                                \
	do {                                                                                        \
		dlm_send_why got_ = plan(i);                                                        \
		CHECK(got_ == (w), "charger %d: %s, expected %s", (int)(i), dlm_send_why_str(got_), \
		      dlm_send_why_str(w));                                                         \
	} while (0)

static void test_threshold(void)
{
	pc_init(1);
	EXPECT(0, DLM_SEND_NO_CHANGE);
	set_limit(0, 15.1);
	EXPECT(0, DLM_SEND_NO_CHANGE); /* 0.9 A less */
	set_limit(0, 15);
	EXPECT(0, DLM_SEND_STEP); /* 1 A less */
	set_limit(0, 16.9);
	EXPECT(0, DLM_SEND_NO_CHANGE);
	set_limit(0, 17);
	EXPECT(0, DLM_SEND_STEP);
	pc.ch[0].st.sent_limit_a = 6.1;
	set_limit(0, 7.1);
	EXPECT(0, DLM_SEND_STEP); /* 1 A up, though 7.1 - 6.1 is 0.9999... in binary */
	pc.ch[0].st.sent_limit_a = 16;
	set_limit(0, 0);
	EXPECT(0, DLM_SEND_ZERO);
	pc.ch[0].st.sent_limit_a = 0;
	EXPECT(0, DLM_SEND_NO_CHANGE);
	set_limit(0, 6);
	EXPECT(0, DLM_SEND_ZERO);
	pc.ch[0].st.sent_limit_a = 16;
	set_limit(0, 16);
	pc.out.chargers[0].phases = 1; /* 3 -> 1 phase at the same current */
	EXPECT(0, DLM_SEND_PHASES);
	pc.out.chargers[0].phases = 3;
	pc.ch[0].st.need_send = true; /* reconnect, or our profile was cleared */
	EXPECT(0, DLM_SEND_REINSTALL);
	pc.ch[0].st.need_send = false;
	pc.ch[0].st.sent_limit_a = -1;
	EXPECT(0, DLM_SEND_FIRST);
	pc.ch[0].st.in_flight = true;
	EXPECT(0, DLM_SEND_IN_FLIGHT);
	pc.ch[0].st.in_flight = false;
	pc.ch[0].online = false;
	EXPECT(0, DLM_SEND_OFFLINE);
}

static void test_hold_raises(void)
{
	pc_init(3);
	/* charger 0's last change was 1 s ago: a car is reacting */
	pc.ch[0].st.changed_ms = T0 - 1000;
	set_limit(1, 20);
	EXPECT(1, DLM_SEND_HOLD);
	set_limit(0, 20);
	EXPECT(0, DLM_SEND_HOLD); /* its own raise too */
	set_limit(1, 16.5);
	EXPECT(1, DLM_SEND_HOLD); /* any raise, however small */
	set_limit(1, 10);
	EXPECT(1, DLM_SEND_STEP); /* a cut is not held */
	set_limit(1, 20);
	pc.ch[1].st.need_send = true;
	EXPECT(1, DLM_SEND_REINSTALL); /* a reinstall is not held */
	pc.ch[1].st.need_send = false;
	pc.ch[1].st.sent_limit_a = -1;
	EXPECT(1, DLM_SEND_FIRST); /* nor a first limit */
	pc.ch[1].st.sent_limit_a = 16;
	pc.ch[0].online = false;
	EXPECT(1, DLM_SEND_HOLD); /* the window holds whoever is in it */
	pc.now = T0 + 3999;
	EXPECT(1, DLM_SEND_HOLD);
	pc.now = T0 + 4000; /* 5 s after the change */
	EXPECT(1, DLM_SEND_STEP);
	EXPECT(2, DLM_SEND_NO_CHANGE);

	/* a fleet: a charger another node holds is in its window (none of
	 * these is): raises are held as for one of these, nothing else */
	pc_init(2);
	pc.fleet = true;
	pc.elsewhere.held = true;
	set_limit(0, 20);
	EXPECT(0, DLM_SEND_HOLD);
	set_limit(0, 10);
	EXPECT(0, DLM_SEND_STEP); /* a cut is not held */
	set_limit(0, 20);
	pc.ch[0].st.sent_limit_a = -1;
	EXPECT(0, DLM_SEND_FIRST); /* nor a first limit */
	pc.ch[0].st.sent_limit_a = 16;
	pc.ch[0].st.need_send = true;
	EXPECT(0, DLM_SEND_REINSTALL); /* nor a reinstall */
	pc.ch[0].st.need_send = false;
	pc.elsewhere.held = false;
	EXPECT(0, DLM_SEND_STEP); /* its window over: the raise goes */
}

static void test_urgent_stale(void)
{
	pc_init(1);
	pc.out.stale = true;
	set_limit(0, 15.5);
	EXPECT(0, DLM_SEND_CUT); /* 0.5 A: under the threshold, but now */
	CHECK(pc.dec[0].urgent, "urgent");
	set_limit(0, 15.8);
	EXPECT(0, DLM_SEND_CUT); /* 0.2 A */
	set_limit(0, 15.9);
	EXPECT(0, DLM_SEND_CUT); /* exactly 0.1 A (16 - 15.9 is 0.0999... in binary) */
	set_limit(0, 15.91);
	EXPECT(0, DLM_SEND_NO_CHANGE); /* 0.09 A */
	set_limit(0, 15.95);
	EXPECT(0, DLM_SEND_NO_CHANGE); /* 0.05 A is not worth a call */
	set_limit(0, 16.5);
	EXPECT(0, DLM_SEND_NO_CHANGE); /* a raise is no cut */
	set_limit(0, 15.5);
	pc.ch[0].st.in_flight = true;
	EXPECT(0, DLM_SEND_IN_FLIGHT);
	pc.ch[0].st.in_flight = false;
	pc.ch[0].online = false;
	EXPECT(0, DLM_SEND_OFFLINE);
	pc.ch[0].online = true;
	pc.out.stale = false;
	EXPECT(0, DLM_SEND_NO_CHANGE); /* fresh and within budget: not urgent */
	CHECK(!pc.dec[0].urgent, "not urgent");
}

static void test_urgent_over_budget(void)
{
	pc_init(3);
	/* 0: 3-phase 16 A; 1: single-phase on L2, 16 A; 2: nothing installed */
	pc.in[1] = charger(1, 1, 32);
	pc.in[1].id = 2;
	pc.ch[2].st.sent_limit_a = -1;
	for (int i = 0; i < 3; i++)
		set_limit((size_t)i, 15.5);
	/* installed: L1 16, L2 32, L3 16 */
	pc.out.budget_a[1] = 31.9; /* 32 > 31.9 + 0.05 */
	EXPECT(0, DLM_SEND_CUT);
	EXPECT(1, DLM_SEND_CUT);
	CHECK(pc.dec[2].urgent && pc.dec[2].why == DLM_SEND_FIRST, "2: %s", dlm_send_why_str(pc.dec[2].why));
	pc.out.budget_a[1] = 31.96; /* 32 <= 31.96 + 0.05 */
	EXPECT(0, DLM_SEND_NO_CHANGE);
	EXPECT(1, DLM_SEND_NO_CHANGE);
	/* L1 over: only the chargers on L1 */
	pc.out.budget_a[0] = 15.9;
	EXPECT(0, DLM_SEND_CUT);
	EXPECT(1, DLM_SEND_NO_CHANGE);
	CHECK(pc.dec[0].urgent && !pc.dec[1].urgent, "urgent %d %d", pc.dec[0].urgent, pc.dec[1].urgent);
	/* the phases are the decision's: charger 0 switched to one phase, on L1 */
	pc.out.budget_a[0] = 100;
	pc.out.budget_a[2] = 15.9;
	EXPECT(0, DLM_SEND_CUT);
	pc.in[0].phases = 1;
	EXPECT(0, DLM_SEND_NO_CHANGE);
	/* nothing installed (-1, charger 2) takes nothing off L2's 32 A */
	pc.in[0].phases = 3;
	pc.out.budget_a[2] = 100;
	pc.out.budget_a[1] = 31;
	EXPECT(0, DLM_SEND_CUT);

	/* a fleet: the limits installed on other nodes' chargers count on
	 * their phases, as one node counts all of the site's */
	pc_init(1);
	pc.fleet = true;
	set_limit(0, 15.5);
	pc.out.budget_a[0] = 20;
	EXPECT(0, DLM_SEND_NO_CHANGE);     /* 16 of its own: within 20 */
	pc.elsewhere.installed_a[0] = 4.1; /* 20.1 > 20 + 0.05 */
	EXPECT(0, DLM_SEND_CUT);
	CHECK(pc.dec[0].urgent, "urgent with 4.1 A elsewhere");
	pc.elsewhere.installed_a[0] = 4; /* 20: within */
	EXPECT(0, DLM_SEND_NO_CHANGE);
	pc.elsewhere.installed_a[0] = 0;
	pc.elsewhere.installed_a[1] = 10; /* L2: 16 + 10 of 100 */
	EXPECT(0, DLM_SEND_NO_CHANGE);
	pc.elsewhere.installed_a[1] = 90; /* 16 + 90 > 100 on L2, a phase of charger 0 */
	EXPECT(0, DLM_SEND_CUT);
	pc.elsewhere.installed_a[1] = 0;
	pc.elsewhere.installed_a[2] = NAN; /* a broken word is refused, not taken as 0 */
	CHECK(dlm_send_plan(&pc.out, pc.in, pc.ch, 1, true, &pc.elsewhere, REACT, pc.now, pc.dec) == -EINVAL,
	      "NaN installed elsewhere");
}

static void test_retry(void)
{
	pc_init(1);
	pc.ch[0].st.rejected = true;
	pc.ch[0].st.rejected_ms = T0 - 10000;
	set_limit(0, 10);
	EXPECT(0, DLM_SEND_RETRY_WAIT); /* even a 6 A cut waits when not urgent */
	pc.ch[0].st.need_send = true;
	EXPECT(0, DLM_SEND_RETRY_WAIT);
	pc.ch[0].st.need_send = false;
	pc.out.stale = true;
	set_limit(0, 15.5);
	EXPECT(0, DLM_SEND_CUT); /* an urgent cut does not wait */
	pc.out.stale = false;
	set_limit(0, 16);
	pc.now = T0 - 10000 + 59999;
	EXPECT(0, DLM_SEND_RETRY_WAIT);
	pc.now = T0 - 10000 + 60000;
	EXPECT(0, DLM_SEND_RETRY); /* the same limit again, after a minute */
	pc.ch[0].st.in_flight = true;
	EXPECT(0, DLM_SEND_IN_FLIGHT);
}

static void test_fast_dlm_off(void)
{
	pc_init(2);
	pc.enabled = false;
	pc.ch[0].fast = true;
	pc.ch[0].st.sent_limit_a = -1;
	set_limit(0, 32);
	EXPECT(0, DLM_SEND_FAST_OFF); /* runs on its own maximum */
	pc.ch[0].st.need_send = true;
	EXPECT(0, DLM_SEND_FAST_OFF);
	pc.ch[0].st.sent_limit_a = 16; /* a limit from before: lifted */
	pc.ch[0].st.need_send = false;
	EXPECT(0, DLM_SEND_STEP);
	pc.ch[1].st.sent_limit_a = -1; /* Solar Boost / 100% PV: its target goes out */
	EXPECT(1, DLM_SEND_FIRST);
	pc.enabled = true;
	pc.ch[0].st.sent_limit_a = -1;
	EXPECT(0, DLM_SEND_FIRST); /* DLM on: every charger gets its limit */
}

/* A charger that takes no profiles is never sent one: no refusal loop. */
static void test_no_profiles(void)
{
	pc_init(2);
	pc.ch[0].no_profiles = true;
	pc.ch[0].st.sent_limit_a = -1;
	set_limit(0, 16);
	EXPECT(0, DLM_SEND_UNSUPPORTED);
	pc.ch[0].st.need_send = true; /* not even after a reconnect */
	EXPECT(0, DLM_SEND_UNSUPPORTED);
	pc.out.stale = true; /* nor as an urgent cut */
	pc.ch[0].st.sent_limit_a = 32;
	EXPECT(0, DLM_SEND_UNSUPPORTED);
}

/* The unit and phases a limit goes out in. */
static void test_rate(void)
{
	dlm_send_rate r;
	/* AC that takes A, or did not say: amps and numberPhases as decided */
	CHECK(dlm_send_rate_for(16, 3, 230, DLM_UNIT_A | DLM_UNIT_W, false, &r) == 0 && r.unit == 'A' &&
		      r.limit == 16 && r.phases == 3,
	      "%c %g %d", r.unit, r.limit, r.phases);
	CHECK(dlm_send_rate_for(10, 1, NAN, 0, false, &r) == 0 && r.unit == 'A' && r.phases == 1, "%c",
	      r.unit);
	/* W only: A x phases x volts, measured or 230 V, rounded down */
	CHECK(dlm_send_rate_for(16, 3, 230, DLM_UNIT_W, false, &r) == 0 && r.unit == 'W' &&
		      r.limit == 11040 && r.phases == 3,
	      "%c %g %d", r.unit, r.limit, r.phases);
	CHECK(dlm_send_rate_for(6.1, 1, 231.5, DLM_UNIT_W, false, &r) == 0 && r.limit == 1412, "%g", r.limit);
	CHECK(dlm_send_rate_for(10, 3, 5, DLM_UNIT_W, false, &r) == 0 && r.limit == 6900, "%g", r.limit);
	/* DC: always W, no phases */
	CHECK(dlm_send_rate_for(16, 3, 230, DLM_UNIT_A | DLM_UNIT_W, true, &r) == 0 && r.unit == 'W' &&
		      r.limit == 11040 && r.phases == 0,
	      "%c %g %d", r.unit, r.limit, r.phases);
	CHECK(dlm_send_rate_for(0, 3, 230, DLM_UNIT_A, true, &r) == 0 && r.limit == 0, "%g", r.limit);
	CHECK(dlm_send_rate_for(16, 2, 230, 0, false, &r) == -EINVAL, "phases 2");
	CHECK(dlm_send_rate_for(-1, 3, 230, 0, false, &r) == -EINVAL, "negative");
	CHECK(dlm_send_rate_for(NAN, 3, 230, 0, false, &r) == -EINVAL, "NaN");
}

/* Does the charger follow a switch to one phase? */
static void test_phase_check(void)
{
	dlm_meter_sample m;
	dlm_meter_sample_clear(&m);
	m.current_a[0] = m.current_a[1] = m.current_a[2] = 10;
	CHECK(dlm_send_phase_check(1, T0, REACT, &m, T0 + REACT) == DLM_PHASES_IGNORED, "three drawn");
	CHECK(dlm_send_phase_check(1, T0, REACT, &m, T0 + REACT - 1) == DLM_PHASES_UNKNOWN, "too early");
	CHECK(dlm_send_phase_check(3, T0, REACT, &m, T0 + REACT) == DLM_PHASES_FOLLOWED, "three asked");
	m.current_a[1] = m.current_a[2] = 0.5; /* stray current is not a phase */
	CHECK(dlm_send_phase_check(1, T0, REACT, &m, T0 + REACT) == DLM_PHASES_FOLLOWED, "one drawn");
	CHECK(dlm_send_phase_check(3, T0, REACT, &m, T0 + REACT) == DLM_PHASES_FOLLOWED, "fewer is safe");
	m.current_a[0] = 0;
	CHECK(dlm_send_phase_check(1, T0, REACT, &m, T0 + REACT) == DLM_PHASES_UNKNOWN, "nothing drawn");
	CHECK(dlm_send_phase_check(1, T0, REACT, NULL, T0 + REACT) == DLM_PHASES_UNKNOWN, "no sample");
	CHECK(dlm_send_phase_check(1, DLM_NO_TIME, REACT, &m, T0) == DLM_PHASES_UNKNOWN, "no command");
}

/* Does the charger follow its limit? Over limit + tolerance for its
 * reaction time + the margin: it does not; within it again: it does. */
static void test_follow_check(void)
{
	dlm_meter_sample m;
	dlm_meter_sample_clear(&m);
	int64_t since = DLM_NO_TIME;
	const int64_t long_ms = REACT + DLM_FOLLOW_MARGIN_MS;
	m.current_a[0] = m.current_a[1] = m.current_a[2] = 10;
	CHECK(dlm_send_follow_check(10, 10, T0, REACT, &m, T0 + 100, T0 + 100, &since) == DLM_FOLLOW_OK,
	      "at limit");
	m.current_a[1] = 10 + DLM_FOLLOW_TOL_A; /* within the tolerance */
	CHECK(dlm_send_follow_check(10, 10, T0, REACT, &m, T0 + 100, T0 + 100, &since) == DLM_FOLLOW_OK,
	      "tolerance");
	m.current_a[1] = 16; /* one phase over is enough */
	CHECK(dlm_send_follow_check(10, 10, T0, REACT, &m, T0 + 1000, T0 + 1000, &since) == DLM_FOLLOW_OVER,
	      "over");
	CHECK(since == T0 + 1000, "run starts at the first over sample: %lld", (long long)since);
	CHECK(dlm_send_follow_check(10, 10, T0, REACT, &m, T0 + 1000, T0 + 1000 + long_ms - 1, &since) ==
		      DLM_FOLLOW_OVER,
	      "not long enough yet");
	CHECK(dlm_send_follow_check(10, 10, T0, REACT, &m, T0 + 2000, T0 + 1000 + long_ms, &since) ==
		      DLM_FOLLOW_IGNORED,
	      "over for reaction time + margin");
	/* a new limit: the run starts again, and a sample from before it says nothing */
	CHECK(dlm_send_follow_check(6, 10, T0 + 9000, REACT, &m, T0 + 2000, T0 + 20000, &since) ==
		      DLM_FOLLOW_UNKNOWN,
	      "sample older than the limit");
	CHECK(since == DLM_NO_TIME, "run forgotten");
	since = T0 + 1000; /* a run under the old limit */
	CHECK(dlm_send_follow_check(6, 10, T0 + 9000, REACT, &m, T0 + 9500, T0 + 9500, &since) ==
		      DLM_FOLLOW_OVER,
	      "over the new limit: a new run");
	CHECK(since == T0 + 9500, "run restarted at the new limit: %lld", (long long)since);
	/* a raise (6 -> 8 A) does not restart a run of drawing over both */
	since = T0 + 9500;
	CHECK(dlm_send_follow_check(8, 6, T0 + 12000, REACT, &m, T0 + 11000, T0 + 12000, &since) ==
		      DLM_FOLLOW_UNKNOWN,
	      "sample before the raise");
	CHECK(since == T0 + 9500, "run kept over a raise");
	CHECK(dlm_send_follow_check(8, 6, T0 + 12000, REACT, &m, T0 + 12500, T0 + 9500 + long_ms, &since) ==
		      DLM_FOLLOW_IGNORED,
	      "over the old and the raised limit: still judged from the run's start");
	/* back within the limit */
	m.current_a[0] = m.current_a[1] = m.current_a[2] = 5.5;
	CHECK(dlm_send_follow_check(6, 10, T0 + 9000, REACT, &m, T0 + 30000, T0 + 30000, &since) ==
		      DLM_FOLLOW_OK,
	      "follows again");
	CHECK(since == DLM_NO_TIME, "run ended");
	/* a 0 A limit: any real draw is over */
	m.current_a[0] = 3;
	CHECK(dlm_send_follow_check(0, 10, T0, REACT, &m, T0, T0 + long_ms, &since) == DLM_FOLLOW_IGNORED,
	      "0 A limit");
	/* nothing to judge by */
	CHECK(dlm_send_follow_check(-1, 10, T0, REACT, &m, T0, T0 + long_ms, &since) == DLM_FOLLOW_UNKNOWN,
	      "no limit");
	CHECK(dlm_send_follow_check(6, 10, T0, REACT, NULL, T0, T0 + long_ms, &since) == DLM_FOLLOW_UNKNOWN,
	      "no sample");
	CHECK(dlm_send_follow_check(6, 10, T0, REACT, &m, DLM_NO_TIME, T0, &since) == DLM_FOLLOW_UNKNOWN,
	      "no time");
	CHECK(dlm_send_follow_check(6, 10, T0, REACT, &m, T0, T0, NULL) == DLM_FOLLOW_UNKNOWN, "no state");
	dlm_meter_sample_clear(&m);
	CHECK(dlm_send_follow_check(6, 10, T0, REACT, &m, T0, T0, &since) == DLM_FOLLOW_UNKNOWN,
	      "no current");
}

static void test_plan_errors(void)
{
	pc_init(2);
	CHECK(dlm_send_plan(&pc.out, pc.in, pc.ch, 1, true, NULL, REACT, T0, pc.dec) == -EINVAL,
	      "n mismatch");
	CHECK(dlm_send_plan(NULL, pc.in, pc.ch, 2, true, NULL, REACT, T0, pc.dec) == -EINVAL, "null out");
	CHECK(dlm_send_plan(&pc.out, NULL, pc.ch, 2, true, NULL, REACT, T0, pc.dec) == -EINVAL, "null in");
	CHECK(dlm_send_plan(&pc.out, pc.in, pc.ch, 2, true, NULL, REACT, T0, NULL) == -EINVAL, "null dec");
	pc.out.n = 0;
	CHECK(dlm_send_plan(&pc.out, NULL, NULL, 0, true, NULL, REACT, T0, pc.dec) == 0, "empty");
}

static void test_why_str(void)
{
	for (int i = 0; i < DLM_SEND_WHY_COUNT; i++) {
		const char *s = dlm_send_why_str((dlm_send_why)i);
		CHECK(s && strcmp(s, "?"), "why %d has no name", i);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(s, dlm_send_why_str((dlm_send_why)j)), "why %d and %d: '%s'", i, j, s);
	}
	CHECK(!strcmp(dlm_send_why_str(DLM_SEND_WHY_COUNT), "?"), "out of range");
	CHECK(!strcmp(dlm_send_why_str(DLM_SEND_CUT), "urgent cut"), "%s", dlm_send_why_str(DLM_SEND_CUT));
}

int main(void)
{
	test_window();
	test_draw_after_window();
	test_outcome();
	test_threshold();
	test_hold_raises();
	test_urgent_stale();
	test_urgent_over_budget();
	test_retry();
	test_fast_dlm_off();
	test_no_profiles();
	test_rate();
	test_phase_check();
	test_follow_check();
	test_plan_errors();
	test_why_str();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("dlm send: all checks passed\n");
	return 0;
}
