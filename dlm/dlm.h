/*
 * dlm: dynamic load management, a pure library.
 *
 * Given the breaker rating, the grid current per phase at the connection
 * point and what each charger wants and draws, dlm_compute() decides how
 * many amps each charger may take so that no phase exceeds
 * breaker - margin. It reads no clock, opens nothing, allocates nothing and
 * keeps no globals: the caller passes the time, owns every struct below and
 * carries a dlm_state from one call to the next. Safe to use from any
 * thread as long as one dlm_state is used by one thread at a time.
 *
 * Phases are numbered 0, 1, 2 for L1, L2, L3. Currents are in A, powers in
 * W, voltages in V, times in ms (any epoch, as long as it is the same one
 * for now_ms and the grid timestamp; the daemon uses CLOCK_REALTIME).
 */
#ifndef DLM_H
#define DLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DLM_PHASES 3
/* Fixed upper bound so that the caller can own all memory statically. */
#define DLM_MAX_CHARGERS 256
/* target_a value meaning "as much as DLM allows, up to max_a". */
#define DLM_TARGET_MAX (-1.0)
/* grid_ts_ms value meaning "no reading yet" (treated as stale). */
#define DLM_NO_TIME INT64_MIN

/* ------------------------------------------------------------------------
 * Settings. Lifetime: owned by the caller, read-only during dlm_compute().
 *
 *  name            unit  default  meaning
 *  enabled         bool  true     false: every charger gets its target
 *                                 (clamped to [min,max]), reason "disabled"
 *  breaker_a       A     25       rated current of the household main breaker,
 *                                 per phase. 25 A is the most common small
 *                                 three-phase domestic connection (3x25 A);
 *                                 a default that is too low only slows
 *                                 charging, one that is too high trips the
 *                                 breaker, so the default errs low.
 *  margin_a        A     1        kept free below breaker_a for meter error
 *                                 and load steps between two readings
 *  fallback_a      A     6        per-charger limit while the sensor reading
 *                                 is stale; 0 = stop charging. Clamped to
 *                                 0-or-[min,max] and so that the fallbacks on
 *                                 a phase add up to at most breaker - margin.
 *  stale_ms        ms    10000    a reading older than this is stale
 *  settle_ms       ms    5000     an increase must have been possible for
 *                                 this long, and no limit may have been
 *                                 reduced for this long, before it is made
 *                                 (IEC 61851 gives the car 5 s to follow)
 *  ramp_a_per_s    A/s   2        maximum rate of an increase once settled
 *                                 (a start from 0 may jump to the minimum)
 *  min_pause_ms    ms    60000    a charger cut to 0 stays at 0 this long
 *  unused_slack_a  A     2        a car drawing less than limit - slack for
 *                                 unused_ms is limited to draw + slack (never
 *                                 below its minimum) and the rest is shared
 *                                 out; it gets its share back once it draws
 *                                 more than limit - slack/2
 *  unused_ms       ms    60000    see unused_slack_a
 *  resolution_a    A     0.1      limits are rounded down to this step
 *  disagree_a      A     2        a phase's house current (grid - EV draws)
 *                                 more than this below what local generation
 *                                 explains counts as the meter and the
 *                                 chargers disagreeing: above a meter's and a
 *                                 charger's measuring error together at a
 *                                 home's currents
 *  disagree_ms     ms    60000    how long that must hold (and then end) before
 *                                 dlm_output.disagree changes: a charger's
 *                                 MeterValues lag its draw by up to one sample
 *                                 interval (60 s is a common one) and a car
 *                                 takes dlm_react to follow a new limit
 * ---------------------------------------------------------------------- */
typedef struct dlm_config {
	bool enabled;
	double breaker_a;
	double margin_a;
	double fallback_a;
	int64_t stale_ms;
	int64_t settle_ms;
	double ramp_a_per_s;
	int64_t min_pause_ms;
	double unused_slack_a;
	int64_t unused_ms;
	double resolution_a;
	double disagree_a;
	int64_t disagree_ms;
} dlm_config;

typedef enum dlm_field_type { DLM_F_BOOL, DLM_F_AMPS, DLM_F_MS, DLM_F_RATE } dlm_field_type;

/* One row per setting, in the order above: drives defaults and validation.
 * The daemon's config rows (csms/config.c) name the field each sets, with
 * bounds inside these (a test checks it). */
typedef struct dlm_config_field {
	const char *name; /* "breaker_a" */
	const char *json; /* "breakerA" */
	const char *unit; /* "A", "ms", "A/s", "" */
	dlm_field_type type;
	size_t offset; /* into dlm_config */
	double def, min, max;
	const char *help;
} dlm_config_field;

extern const dlm_config_field dlm_config_fields[];
extern const size_t dlm_config_nfields;

/* Fills every field with its default. */
void dlm_config_defaults(dlm_config *cfg);
/* Sets one field from text ("25", "true", "2.5"); -EINVAL with a message
 * naming the field in err (may be NULL) on an unknown name or bad value. */
int dlm_config_set(dlm_config *cfg, const char *name, const char *value, char *err, size_t errlen);
/* The same from a number (bools: nonzero is true; ms rounded to whole ms). */
int dlm_config_set_num(dlm_config *cfg, const char *name, double value, char *err, size_t errlen);
/* Reads one field as a double (bools 0/1); -ENOENT for an unknown name. */
int dlm_config_get(const dlm_config *cfg, const char *name, double *value);
/* Checks ranges and consistency (margin < breaker, fallback <= breaker...);
 * 0 or -EINVAL with a message naming the field. */
int dlm_config_validate(const dlm_config *cfg, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * Inputs. Lifetime: owned by the caller, read-only during dlm_compute().
 * ---------------------------------------------------------------------- */
typedef enum dlm_ev_state {
	DLM_EV_IDLE = 0, /* no car, or not authorised: a standing limit (below) */
	DLM_EV_CHARGING, /* current flowing */
	DLM_EV_SUSPENDED /* car plugged in, not drawing (SuspendedEV/EVSE) */
} dlm_ev_state;

typedef struct dlm_charger_in {
	uint32_t id;        /* caller's key (e.g. charger<<8 | connector): nonzero,
                             unique within one input; keys the dlm_state */
	uint8_t phases;     /* 1 or 3 */
	uint8_t grid_phase; /* single-phase chargers: 0..2 = L1..L3 it sits on */
	dlm_ev_state state;
	int32_t priority;          /* higher is served first; equal = equal shares */
	double min_a;              /* minimum charging current, normally 6 (IEC 61851) */
	double max_a;              /* min of rating, cable and manual cap */
	double target_a;           /* from the charging mode; DLM_TARGET_MAX = as much
                             as allowed; below min_a means 0 */
	double draw_a[DLM_PHASES]; /* what it draws now, by GRID phase; must be no
                             older than the grid reading (dlm_draw_from_meter) */
	bool fixed;                /* DLM cannot limit it (it takes no charging
                             profile): counted at max_a on its phases, idle
                             or not, before any other charger; its limit is
                             max_a, reason DLM_R_FIXED */
} dlm_charger_in;

typedef struct dlm_input {
	double grid_a[DLM_PHASES];      /* grid current, import positive */
	int64_t grid_ts_ms;             /* when it was measured; DLM_NO_TIME = never */
	size_t n;                       /* 0..DLM_MAX_CHARGERS */
	const dlm_charger_in *chargers; /* n entries (may be NULL when n == 0) */
	/* Local generation behind the grid meter that the owner knows of (PV,
	 * battery discharge, a generator): the only thing that can make a
	 * phase's house current (grid - EV draws) negative. gen_a per phase in
	 * A where the owner knows the split; gen_w a total in W, spread evenly
	 * over the three phases at DLM_NOMINAL_V. Both are added; 0, negative
	 * or NAN = none, so a zeroed input knows of no generation. */
	double gen_a[DLM_PHASES];
	double gen_w;
} dlm_input;

/* The voltage that turns dlm_input.gen_w into amps. */
#define DLM_NOMINAL_V 230.0

/* ------------------------------------------------------------------------
 * Outputs. Lifetime: owned by the caller, written by dlm_compute().
 * ---------------------------------------------------------------------- */
typedef enum dlm_reason {
	DLM_R_IDLE = 0,   /* no car / not charging */
	DLM_R_FAIR_SHARE, /* a phase is full: this is its share of it */
	DLM_R_TARGET,     /* limited by the charging mode's target */
	DLM_R_MAX,        /* limited by its maximum current */
	DLM_R_HEADROOM,   /* 0: not enough room for its minimum current */
	DLM_R_UNUSED,     /* held near its draw, the car takes less */
	DLM_R_PAUSED,     /* 0: minimum pause time not over */
	DLM_R_SETTLING,   /* increase waiting for the settling time */
	DLM_R_RAMP,       /* increase under way, rate-limited */
	DLM_R_STALE,      /* sensor stale: fallback current */
	DLM_R_DISABLED,   /* DLM disabled: target passed through */
	DLM_R_INVALID,    /* 0: bad charger input (see dlm_output.error) */
	DLM_R_FIXED,      /* cannot be limited: counted at its maximum */
	DLM_R_COUNT
} dlm_reason;

/* "fair share", "target", ... ; "?" for an out-of-range value. */
const char *dlm_reason_str(dlm_reason r);

typedef struct dlm_charger_out {
	uint32_t id;    /* copied from the input */
	double limit_a; /* 0, or in [min_a, max_a] */
	uint8_t phases; /* number of phases to put in the profile */
	dlm_reason reason;
	double target_a; /* where DLM wants to go (limit_a once settled) */
} dlm_charger_out;

typedef struct dlm_output {
	bool stale;                                 /* fallback applied */
	double house_a[DLM_PHASES];                 /* the house current DLM counts with:
                                         house_raw_a, but never below
                                         -gen_a (a negative house current is
                                         trusted only as far as local
                                         generation explains it); NAN while
                                         stale */
	double house_raw_a[DLM_PHASES];             /* grid minus EV draws; NAN while stale */
	double gen_a[DLM_PHASES];                   /* local generation per phase, from the
                                         input (0 where none is known) */
	double unexplained_a[DLM_PHASES];           /* how far house_raw_a is below -gen_a:
                                         the grid meter reads less than the
                                         chargers say they draw (0 when it is
                                         not, NAN while stale) */
	bool disagree;                              /* unexplained_a above disagree_a on some
                                         phase for disagree_ms (and not yet
                                         below it on every phase as long):
                                         the meter and the chargers disagree */
	double budget_a[DLM_PHASES];                /* breaker - margin - house: what EVs may
                                         use in all; breaker - margin if stale */
	double allocated_a[DLM_PHASES];             /* sum of limits per phase */
	double headroom_a[DLM_PHASES];              /* budget - allocated: still free for
                                         EVs; negative when the house alone
                                         is over breaker - margin */
	size_t n;                                   /* = input n */
	dlm_charger_out chargers[DLM_MAX_CHARGERS]; /* same order as input */
	char error[128];                            /* first bad input, "" if none */
} dlm_output;

/* ------------------------------------------------------------------------
 * State carried between calls. Lifetime: owned by the caller; initialise
 * with dlm_state_init() once; pass the same one to every dlm_compute().
 * Entries are keyed by charger id; a charger absent from one input loses
 * its entry.
 * ---------------------------------------------------------------------- */
typedef struct dlm_charger_state {
	uint32_t id;           /* 0 = free slot */
	double limit_a;        /* last limit given */
	int64_t want_up_since; /* an increase possible since; DLM_NO_TIME */
	int64_t paused_since;  /* limit went to 0 at; DLM_NO_TIME */
	int64_t under_since;   /* drawing below limit - slack since */
	bool capped;           /* held at draw + slack (not taking current) */
} dlm_charger_state;

typedef struct dlm_state {
	int64_t last_now_ms;    /* DLM_NO_TIME before the first call */
	int64_t last_reduce_ms; /* last time any limit went down */
	int64_t over_since;     /* unexplained_a above disagree_a since; DLM_NO_TIME */
	int64_t agree_since;    /* ... not above it on any phase since; DLM_NO_TIME */
	bool disagree;          /* dlm_output.disagree */
	dlm_charger_state ch[DLM_MAX_CHARGERS];
} dlm_state;

void dlm_state_init(dlm_state *st);

/* One control step; about 40 KB of stack, no heap. Returns 0, or -EINVAL when cfg, in, st or out is NULL,
 * cfg fails dlm_config_validate() or n > DLM_MAX_CHARGERS (every output
 * limit is then 0 and out->error says why). A charger with bad fields
 * (phases, grid_phase, min/max, NaN, duplicate id) gets 0 with reason
 * DLM_R_INVALID and the call still returns 0. Guarantees (enabled, valid input):
 * per phase the limits add up to at most max(0, budget_a); each limit is 0
 * or within [min_a, max_a]; a single-phase charger loads only its phase;
 * budget_a is never above breaker - margin + the phase's generation (a
 * house current below -generation adds no budget, whatever the grid
 * meter and the chargers' draws say).
 * Chargers marked fixed are counted at max_a first, whatever the budget:
 * the limits of the others add up to at most max(0, budget_a - fixed).
 *
 * Standing limit of an idle charger whose target allows min_a (a 100% PV
 * charger without surplus stands at 0): min_a when, after every charger that
 * is not idle has its target, its limit and its draw counted (the largest
 * of the three per phase), min_a still fits on each of its phases; else 0.
 * Idle chargers are served in admission order and each one's standing
 * limit counts against the next, so the idle chargers together can never
 * take a phase over the budget: a car that plugs in may start at min_a at
 * once (without waiting for a decision and a profile) and the breaker
 * still holds. The standing limit gives way at once (it is not a
 * reduction that delays raises) when a charging car needs the room; not
 * given while the sensor is stale or DLM is disabled. */
int dlm_compute(const dlm_config *cfg, const dlm_input *in, dlm_state *st, int64_t now_ms, dlm_output *out);

/* ------------------------------------------------------------------------
 * Draw helper: what a charger draws per grid phase, from its MeterValues.
 * Each field is NAN when the charger did not report it.
 * ---------------------------------------------------------------------- */
typedef struct dlm_meter_sample {
	double current_a[DLM_PHASES]; /* Current.Import with phase L1..L3 (charger's) */
	double current_any_a;         /* Current.Import without phase (per phase) */
	double power_w[DLM_PHASES];   /* Power.Active.Import with phase */
	double power_total_w;         /* Power.Active.Import without phase */
	double voltage_v[DLM_PHASES]; /* Voltage, NAN -> 230 V */
} dlm_meter_sample;

typedef enum dlm_draw_source {
	DLM_DRAW_CURRENT, /* from Current.Import */
	DLM_DRAW_POWER,   /* from power / voltage */
	DLM_DRAW_LIMIT,   /* charging, nothing measured: its last limit */
	DLM_DRAW_NONE     /* idle or suspended: 0 */
} dlm_draw_source;

/* Sets every field of m to NAN. */
void dlm_meter_sample_clear(dlm_meter_sample *m);
/* Fills draw_a (by grid phase; phases the charger does not use get 0) from
 * m (may be NULL), in the order: per-phase current, current without phase,
 * per-phase power / voltage, total power / (phases x voltage), and when
 * charging with nothing measured its last limit. src may be NULL.
 * Returns 0, or -EINVAL for phases not 1/3 or grid_phase > 2. */
int dlm_draw_from_meter(const dlm_meter_sample *m, uint8_t phases, uint8_t grid_phase, dlm_ev_state state,
			double last_limit_a, double draw_a[DLM_PHASES], dlm_draw_source *src);

#endif
