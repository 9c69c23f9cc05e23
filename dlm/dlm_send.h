/*
 * dlm_send: when a charger's limit from dlm_compute() goes out to the
 * charger, and what the charger is taken to draw meanwhile. A pure part of
 * the dlm library: no clock, no I/O, no globals; the caller passes the time
 * and owns every struct. The caller (the daemon's glue) sends the profiles
 * and reports each answer back through dlm_send_done().
 *
 * The rules, in one place:
 *  - reaction window: for react_ms after a limit the charger accepted
 *    changed, its car may still follow the old limit or be ramping to the
 *    new one; it is taken to draw max(sent, previous), capped at its max,
 *    on its phases. After the window its MeterValues count only when they
 *    are newer than the window's end; without them a charging car is taken
 *    to draw its limit (dlm_draw_from_meter).
 *  - hold raises: while any charger of the site is inside its window, no
 *    limit is raised (except on a charger that must be (re)installed).
 *  - urgent cut: when the sensor is stale, or the installed limits (the
 *    site's: in a fleet, those installed elsewhere too) add up to more
 *    than the budget + DLM_SEND_OVER_A on one of a charger's phases, a cut
 *    of DLM_SEND_CUT_A or more goes out at once, under the 1 A threshold
 *    and even while a refused profile waits for its retry.
 *  - threshold: otherwise a limit goes out when it changed by
 *    DLM_SEND_STEP_A or more, crossed 0, changed its phases, must be
 *    (re)installed, or nothing was installed yet; never while a call is in
 *    flight or the charger is offline.
 *  - retry: a charger that refused its profile is tried again only
 *    DLM_SEND_RETRY_MS after the refusal (an urgent cut excepted).
 */
#ifndef DLM_SEND_H
#define DLM_SEND_H

#include "dlm.h"

#define DLM_SEND_STEP_A 1.0  /* a change this large goes out */
#define DLM_SEND_CUT_A 0.1   /* smallest urgent cut */
#define DLM_SEND_OVER_A 0.05 /* installed above budget by more: urgent */
#define DLM_SEND_EPS_A \
	1e-6                    /* limits differ in 0.1 A steps: a difference within this of a
                                      threshold (16 - 15.9 is 0.0999... in binary) counts as reaching it */
#define DLM_SEND_RETRY_MS 60000 /* a refused profile is tried again after this */

/* What is installed on one charger and what is under way. Lifetime: owned
 * by the caller from the charger's first decision on; initialise with
 * dlm_send_init(). */
typedef struct dlm_send_state {
	double sent_limit_a; /* accepted by the charger; < 0 = nothing installed */
	double prev_limit_a; /* installed before the last change (0 if none) */
	int64_t changed_ms;  /* when the installed limit last changed; DLM_NO_TIME = never */
	int sent_phases;     /* phases of the installed limit */
	bool need_send;      /* (re)install at the next decision (reconnect, profile cleared) */
	bool in_flight;      /* a profile call awaits its answer */
	bool rejected;       /* the charger refused the last profile */
	int64_t rejected_ms; /* when it refused */
} dlm_send_state;

/* Why a charger's limit goes out, or not, in one decision. */
typedef enum dlm_send_why {
	/* not sent */
	DLM_SEND_NO_CHANGE = 0, /* changed by less than DLM_SEND_STEP_A */
	DLM_SEND_HOLD,          /* a raise, held while a car is in its reaction window */
	DLM_SEND_FAST_OFF,      /* DLM off, Fast mode, nothing installed: no profile */
	DLM_SEND_IN_FLIGHT,     /* the last call has no answer yet */
	DLM_SEND_OFFLINE,       /* not connected */
	DLM_SEND_RETRY_WAIT,    /* refused less than DLM_SEND_RETRY_MS ago */
	DLM_SEND_UNSUPPORTED,   /* the charger takes no charging profiles */
	/* sent */
	DLM_SEND_CUT,       /* urgent cut: stale sensor or a phase over budget */
	DLM_SEND_REINSTALL, /* need_send: reconnect, or our profile was cleared */
	DLM_SEND_FIRST,     /* nothing installed yet */
	DLM_SEND_RETRY,     /* refused DLM_SEND_RETRY_MS ago or more: again */
	DLM_SEND_ZERO,      /* to or from 0 A */
	DLM_SEND_PHASES,    /* the number of phases changed */
	DLM_SEND_STEP,      /* changed by DLM_SEND_STEP_A or more */
	DLM_SEND_WHY_COUNT
} dlm_send_why;

/* "no change", "hold raise", ...; "?" for an out-of-range value. */
const char *dlm_send_why_str(dlm_send_why w);

/* What the caller knows of one charger besides its dlm_charger_in.
 * Lifetime: the caller's, read-only during dlm_send_plan(). */
typedef struct dlm_send_charger {
	dlm_send_state st;
	bool online;      /* connected: a call can go out */
	bool fast;        /* charging mode Fast: with DLM off it runs on its
                              own maximum and gets no profile unless one was
                              installed before (which must then be lifted) */
	bool no_profiles; /* it takes no charging profile (no SmartCharging, or it
                              answered NotSupported): never sent one, so no
                              resend loop; dlm_compute counts it as fixed */
} dlm_send_charger;

/* The plan for one charger, same index as the decision's chargers. */
typedef struct dlm_send_decision {
	bool send; /* send out->chargers[i].limit_a / .phases now */
	dlm_send_why why;
	bool urgent; /* the urgent-cut condition holds for it (stale,
                              or a phase of it over budget) */
} dlm_send_decision;

/* Sets a state for a charger DLM has installed nothing on. */
void dlm_send_init(dlm_send_state *s);

/* True while the car may still be reacting to the last change: a change
 * was made and now_ms < changed_ms + react_ms. */
bool dlm_send_in_window(const dlm_send_state *s, int64_t react_ms, int64_t now_ms);

/* What the charger draws now, per grid phase, into draw_a (in->draw_a may
 * be passed): inside the window and not idle, max(sent, prev) capped at
 * in->max_a on its phases (in->phases, in->grid_phase); otherwise from m
 * (may be NULL) when its newest value, m_ts_ms, is at or after the
 * window's end, else as if nothing was measured (dlm_draw_from_meter with
 * the installed limit). m_ts_ms DLM_NO_TIME = no sample. Returns 0, or
 * -EINVAL for a NULL argument or bad phases (draw_a is then all 0). */
int dlm_send_draw(const dlm_send_state *s, const dlm_charger_in *in, int64_t react_ms, int64_t now_ms,
		  const dlm_meter_sample *m, int64_t m_ts_ms, double draw_a[DLM_PHASES]);

/* The chargers of the same breaker that are not in a plan (in a fleet,
 * the ones other nodes hold), as the node that decides knows them: the
 * hold and urgent-cut rules are the site's, so they count too. */
typedef struct dlm_send_elsewhere {
	bool held;                      /* one of them is in its reaction window */
	double installed_a[DLM_PHASES]; /* their installed limits, summed per grid phase */
} dlm_send_elsewhere;

/* Adds limit_a, when above 0 (a limit installed), to acc on each grid
 * phase the charger in draws from: the sums the urgent cut compares with
 * the budget. A caller that plans part of a site sums the rest with it
 * (dlm_send_elsewhere.installed_a). */
void dlm_send_add_installed(double limit_a, const dlm_charger_in *in, double acc[DLM_PHASES]);

/* Plans one decision: for each of the n chargers of in / out (out from
 * dlm_compute() over in), whether its limit goes out now and why. ch and
 * dec have n entries. While any of them is in its reaction window, raises
 * are held (its draw is counted as the larger of its old and new limit,
 * so a cut it follows looks like less house load). elsewhere (NULL: none,
 * as on one node, where every charger of the site is in the plan) adds
 * the rest of the site: its windows hold raises here too, and its
 * installed limits count towards a phase's installed sum in the urgent
 * cut. Changes nothing. Returns 0, or -EINVAL for a NULL argument,
 * n != out->n, n > DLM_MAX_CHARGERS or an installed_a elsewhere that is
 * not a finite number. */
int dlm_send_plan(const dlm_output *out, const dlm_charger_in *in, const dlm_send_charger *ch, size_t n,
		  bool dlm_enabled, const dlm_send_elsewhere *elsewhere, int64_t react_ms, int64_t now_ms,
		  dlm_send_decision *dec);

/* A profile call went out (the caller queued it): in flight, need_send done. */
void dlm_send_started(dlm_send_state *s);

typedef enum dlm_send_outcome {
	DLM_SEND_ACCEPTED, /* the charger installed limit_a / phases */
	DLM_SEND_REFUSED,  /* Rejected, NotSupported, an error answer, a timeout */
	DLM_SEND_CLOSED    /* the connection went away: says nothing of the profile */
} dlm_send_outcome;

/* The answer to the call in flight. Accepted: installed = limit_a and
 * phases; when the limit changed, prev = the old one (0 if none) and
 * changed_ms = now_ms; rejected cleared. Refused: rejected at now_ms.
 * Closed: only no longer in flight. */
void dlm_send_done(dlm_send_state *s, dlm_send_outcome o, double limit_a, int phases, int64_t now_ms);

/* ---- the charger's language: unit and phases of a limit ----
 *
 * A limit leaves DLM in A per phase; a charger may take only W
 * (ChargingScheduleAllowedChargingRateUnit "Power"), and a DC charger reads
 * A as DC current (at some 400 V: a 16 A AC share would hold a 50 kW DC
 * charger to 6.4 kW). So:
 *  - AC that takes A (or has not said): A, numberPhases = phases;
 *  - AC that takes only W: W = A x phases x volts, numberPhases = phases;
 *  - DC: W = A x phases x volts (the AC power the share allows),
 *    numberPhases not given (0).
 * W is rounded down to whole watts, so the power never exceeds the share. */
#define DLM_UNIT_A 1u /* "Current" */
#define DLM_UNIT_W 2u /* "Power" */
#define DLM_VOLTS_DEFAULT 230.0
typedef struct dlm_send_rate {
	char unit;    /* 'A' or 'W' */
	double limit; /* in unit */
	int phases;   /* numberPhases to send, 0 = leave it out */
} dlm_send_rate;
/* units: DLM_UNIT_* the charger takes, 0 = unknown (taken as A). volts: the
 * charger's phase voltage; not finite or outside 150..300 V: 230 V.
 * Returns 0, or -EINVAL for phases not 1/3 or a negative limit. */
int dlm_send_rate_for(double limit_a, int phases, double volts, unsigned units, bool dc, dlm_send_rate *out);

/* ---- does a charger follow a phase switch? ----
 * After a profile with cmd_phases was accepted at cmd_ms, a sample taken
 * react_ms or more later that shows current on more phases than commanded
 * (each with at least DLM_PHASE_ON_A) says the charger ignored the
 * switch: it draws up to three times the power planned. Fewer phases than
 * commanded is no danger (a car or a wiring that uses less). No current
 * at all, or a sample from inside the reaction time, says nothing. */
#define DLM_PHASE_ON_A 2.0
typedef enum dlm_phase_check {
	DLM_PHASES_UNKNOWN = 0, /* nothing to judge by yet */
	DLM_PHASES_FOLLOWED,
	DLM_PHASES_IGNORED
} dlm_phase_check;
dlm_phase_check dlm_send_phase_check(int cmd_phases, int64_t cmd_ms, int64_t react_ms,
				     const dlm_meter_sample *m, int64_t m_ts_ms);

/* ---- does a charger follow its limit? ----
 * A charger whose limit limit_a (A per phase, as it accepted it at
 * changed_ms) stands draws, on its most loaded phase, more than limit_a +
 * DLM_FOLLOW_TOL_A: the draw is "over". Over for react_ms +
 * DLM_FOLLOW_MARGIN_MS or longer (counted from the first over sample, and
 * never from before the limit it is judged against) says it does not
 * follow; a sample within the limit says it does. A cut (limit_a below
 * prev_limit_a, the one before changed_ms) starts the run again: the car
 * has its reaction time to come down; a raise does not. *over_since_ms is
 * the caller's (DLM_NO_TIME at first): the first over sample of the
 * current run. No limit installed (limit_a < 0), no sample, or a sample
 * older than the limit says nothing (a cut also forgets the run). */
#define DLM_FOLLOW_TOL_A 1.0
#define DLM_FOLLOW_MARGIN_MS 5000
typedef enum dlm_follow_check {
	DLM_FOLLOW_UNKNOWN = 0, /* nothing to judge by */
	DLM_FOLLOW_OK,          /* within its limit */
	DLM_FOLLOW_OVER,        /* over, not for long enough yet */
	DLM_FOLLOW_IGNORED      /* over for longer than its reaction time + margin */
} dlm_follow_check;
dlm_follow_check dlm_send_follow_check(double limit_a, double prev_limit_a, int64_t changed_ms,
				       int64_t react_ms, const dlm_meter_sample *m, int64_t m_ts_ms,
				       int64_t now_ms, int64_t *over_since_ms);

/* The charger (re)connected: its profile is installed again at the next
 * decision, a refusal is forgotten, nothing is in flight. */
void dlm_send_online(dlm_send_state *s);
/* The charger went away: nothing in flight, nothing known to be installed. */
void dlm_send_offline(dlm_send_state *s);

#endif
