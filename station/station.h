/* station.h: the home energy station, a pure library (libc + libm only).
 *
 * Offers: the six storage working modes (self-consumption with peak shaving,
 * TOU periods, full feed-in, remote EMS, load shedding, optimising), backup
 * reserve, on/off-grid with the third-party inverter rule, the EV charging
 * modes (Fast, Solar Boost, 100% PV with delays and 3/1-phase switching,
 * priority SOC, battery-to-EV), smart loads, the SG-ready heat pump and the
 * generator. Measurements, settings and the time go in; setpoints come out.
 * Nothing here reads a clock, does I/O, allocates or keeps globals.
 *
 * Ownership: the caller owns every struct. station_state is large (the
 * planner's tables are preallocated inside it, ~100 KB): allocate it once
 * (heap), station_state_init() it, and pass it to every station_step().
 * Signs (../shared/STATION.md): powers in W, currents in A, energy in Wh,
 * SOC in %; bat > 0 charging; grid > 0 import;
 * pv + grid + generator = load + ev + smart_loads + heat_pump + bat.
 */
#ifndef STATION_H
#define STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes: 0 or one of these. */
enum {
	STATION_OK = 0,
	STATION_EINVAL = -1,   /* a setting or an argument out of range */
	STATION_ECONFIRM = -2, /* entering/leaving remote EMS without confirmation */
	STATION_EVERSION = -3, /* a kept forecast blob of another format version */
};

#define STATION_MAX_CHARGERS 8
#define STATION_MAX_SMART_LOADS 8
#define STATION_MAX_PERIODS 16                 /* TOU periods, tariff periods, windows */
#define STATION_MAX_OUTAGES 64                 /* dated load-shedding outages */
#define STATION_OUTAGE_MAX_MS (24 * 3600000LL) /* one outage at most a day long */
#define STATION_UNLIMITED (-1.0)               /* a "maximum" limit that does not apply */
#define STATION_MIN_CURRENT_A 6.0              /* IEC 61851: below this a limit is 0 */

/* Planner bounds (memory is preallocated in station_state). */
#define STATION_SLOT_S 900                             /* plan and forecast slot, 15 min */
#define STATION_SLOTS_PER_DAY (86400 / STATION_SLOT_S) /* 96 */
#define STATION_PLAN_MAX_SLOTS 192                     /* 48 h */
#define STATION_PLAN_MAX_LEVELS 201                    /* SOC grid points */
#define STATION_PRICE_MAX_SLOTS 384                    /* 4 days of 15 min */
#define STATION_PLAN_KEEP 4                            /* slots of cost-to-go kept: re-plan at least hourly */

typedef enum {
	STATION_MODE_SELF_CONSUMPTION = 0,
	STATION_MODE_TOU,
	STATION_MODE_FEED_IN,
	STATION_MODE_REMOTE_EMS,
	STATION_MODE_LOAD_SHEDDING,
	STATION_MODE_OPTIMISE,
	STATION_MODE_COUNT
} station_mode;

typedef enum {
	STATION_EV_FAST = 0,
	STATION_EV_SOLAR_BOOST,
	STATION_EV_PV100,
	STATION_EV_MODE_COUNT
} station_ev_mode;

/* The EV charging modes by name: ONE table for every place that names them.
 * `name` is the station's (its settings, GET /api/v1/station); `charger` is
 * the spelling of a charger's own chargingMode setting (PUT/GET
 * /api/v1/chargers/{id}), older and kept because answers do not change.
 * Either spelling is accepted as input everywhere (station_ev_mode_parse). */
typedef struct station_ev_mode_def {
	station_ev_mode mode;
	const char *name;    /* "fast", "solarBoost", "pv100" */
	const char *charger; /* "fast", "solarBoost", "pv" */
} station_ev_mode_def;
extern const station_ev_mode_def station_ev_modes[STATION_EV_MODE_COUNT];

/* A daily time window in local time: [start_min, end_min) minutes of the
 * day; end < start wraps past midnight (the part after midnight belongs to
 * the day it started on); end == start is the whole day. weekdays: bit 0 =
 * Monday .. bit 6 = Sunday; STATION_EVERY_DAY for all. */
#define STATION_EVERY_DAY 0x7f
typedef struct station_window {
	int start_min, end_min;
	uint8_t weekdays;
} station_window;

/* One dated outage of a load-shedding schedule: [start_ms, end_ms). */
typedef struct station_outage {
	int64_t start_ms, end_ms;
} station_outage;

/* One TOU period ("Time-based Control"); the limits not of its kind are
 * ignored. STATION_UNLIMITED = the limit does not apply. */
typedef struct station_tou_period {
	station_window w;
	bool charge; /* true: charging period; false: discharging/self-consumption */
	/* charging period */
	double max_charge_w;               /* "Maximum charging power for BAT" */
	double grid_charge_cutoff_soc_pct; /* "Grid Charging Cut-off SOC" */
	double max_import_w;               /* "Maximum power for importing from grid" */
	double max_grid_charge_w;          /* "Maximum Charging Power from Grid to BAT" */
	/* discharging period */
	double max_discharge_w;   /* "Maximum discharging power for BAT" */
	double max_export_w;      /* "Maximum power for exporting to grid" */
	double max_bat_to_grid_w; /* "Maximum Discharging Power from BAT to Grid" (0 = none) */
} station_tou_period;

/* A TOU tariff band (price per kWh) used by the optimiser when no price
 * list is set. */
typedef struct station_tariff_period {
	station_window w;
	double import_price, export_price;
} station_tariff_period;

typedef struct station_battery_cfg {
	double capacity_wh, max_charge_w, max_discharge_w;
	double round_trip_eff;     /* 0..1, split evenly between charge and discharge */
	double soc_start_pct;      /* used by the simulator only */
	double backup_reserve_pct; /* "Backup Reserve": on grid, no discharge below */
	double soc_min_pct, soc_max_pct;
} station_battery_cfg;

typedef struct station_charger_cfg {
	char id[49];
	station_ev_mode mode;
	int phases;               /* "Output Mode": 1 or 3 */
	bool auto_phase_switch;   /* "Output mode auto switch" (3-phase, 100% PV) */
	double max_current_a;     /* "Charging Current Adjustment", 6..80 */
	int enable_delay_s;       /* 100% PV: surplus above minimum this long -> start */
	int disable_delay_s;      /* 100% PV: surplus below minimum this long -> pause */
	int phase_switch_delay_s; /* 3->1 and 1->3 switching delay */
	bool battery_to_ev;       /* battery may discharge into this EV */
} station_charger_cfg;

typedef enum { STATION_LOAD_MANUAL = 0, STATION_LOAD_AUTO_SOC } station_load_mode;

typedef struct station_smart_load_cfg {
	char name[32];
	double power_w;
	station_load_mode mode;
	bool manual_on;
	double soc_threshold_pct; /* "SOC Threshold for Load Activation" */
	station_window window;    /* "Time of Use" for Auto SOC */
} station_smart_load_cfg;

typedef struct station_heat_pump_cfg {
	bool enabled;
	bool auto_mode; /* false: "Manual" */
	bool manual_on;
	bool pv_residual_control; /* "PV Residual Power Control" */
	double power_w;           /* "SG Ready Heat Pump Power" */
	double min_start_power_w; /* "SG Ready Heat Pump Min Starting Power" */
	int min_run_s;            /* "Min Running Time" */
	int max_daily_run_s;      /* "Max Daily Running Time" (0 = no limit) */
	bool window_enabled;      /* "Time of Use": window + SOC threshold */
	station_window window;
	double soc_threshold_pct;
} station_heat_pump_cfg;

typedef struct station_gen_window {
	station_window w;
	double start_soc_pct, stop_soc_pct; /* auto: start at or below, stop at or above */
} station_gen_window;

typedef struct station_generator_cfg {
	bool enabled;
	bool auto_mode; /* false: "Manual" ("Generator Start") */
	bool manual_on;
	double rated_power_w;         /* "Rated Power" */
	bool best_power_duty;         /* "Best Power Duty": output <= 80% of rated */
	double charge_cutoff_soc_pct; /* "Battery Charging Cut-off SOC for Generator" */
	int n_windows;
	station_gen_window windows[STATION_MAX_PERIODS];
} station_generator_cfg;

/* Every setting of the station. Lifetime: owned by the caller, read-only
 * during station_step(); station_config_defaults() fills sane values. */
typedef struct station_config {
	station_mode mode;
	int utc_offset_min;                 /* local time = UTC + this (windows are local) */
	double latitude_deg, longitude_deg; /* for the clear-sky PV forecast */
	station_battery_cfg battery;
	double inverter_max_w; /* hybrid inverter AC limit, both directions */
	double voltage_v;      /* per phase, 230 */
	int grid_phases;       /* 1 or 3 */
	double breaker_a;      /* "Rated Household Circuit Breaker Current"; 0 = none */
	/* peak shaving (self-consumption and TOU) */
	double max_peak_power_w;     /* "Maximum Peak Power"; 0 = none */
	double peak_shaving_soc_pct; /* "Peak shaving SOC": grid-charge to it off-peak */
	int n_off_peak;
	station_window off_peak[STATION_MAX_PERIODS];
	/* TOU */
	int n_tou;
	station_tou_period tou[STATION_MAX_PERIODS];
	/* remote EMS */
	int remote_ems_timeout_s;
	/* load shedding */
	char shed_region[32];
	int n_shed;
	station_window shed[STATION_MAX_PERIODS];
	/* dated outages (an operator's schedule), [start, end) ms on the
	 * station's clock (UTC), beside the weekly windows */
	int n_outages;
	station_outage outages[STATION_MAX_OUTAGES];
	double shed_target_soc_pct; /* charged to this before each window (100) */
	int shed_margin_min;        /* finish charging this long before the window */
	/* tariff (optimiser without a price list; sim uses CSV prices for cost) */
	double import_price, export_price; /* outside the tariff periods */
	double peak_charge_per_kw;         /* per kW of the period's peak import */
	int n_tariff;
	station_tariff_period tariff[STATION_MAX_PERIODS];
	/* optimising mode */
	int plan_horizon_h;    /* 24..48 */
	int replan_min;        /* 15 */
	int plan_levels;       /* SOC grid points, 21..STATION_PLAN_MAX_LEVELS */
	double learn_rate;     /* exponential smoothing of the forecasts, 0..1 */
	double weather_factor; /* expected clearness 0..1 for the PV forecast; < 0 = learned */
	/* EV */
	double ev_priority_soc_pct; /* below: battery takes PV first; above: EVs */
	int n_chargers;
	station_charger_cfg chargers[STATION_MAX_CHARGERS];
	/* controlled loads */
	int n_smart_loads;
	station_smart_load_cfg smart_loads[STATION_MAX_SMART_LOADS];
	station_heat_pump_cfg heat_pump;
	station_generator_cfg generator;
} station_config;

/* Measurements at one instant. */
typedef struct station_ev_input {
	bool connected;  /* a car is plugged in and wants energy */
	double demand_w; /* what the car would take if offered (0 = unknown: charger max) */
} station_ev_input;

typedef struct station_input {
	double pv_w;    /* own PV power available (DC or AC, before curtailment) */
	double pv3_w;   /* third-party (AC-coupled) PV inverter power, 0 if none */
	double load_w;  /* home AC load without EVs and controlled loads; < 0 = unknown,
			   then derived from grid_w and bat_w */
	double grid_w;  /* measured grid power (only used when load_w < 0) */
	double bat_w;   /* measured battery power (only used when load_w < 0) */
	double ev_w;    /* measured total EV power (only used when load_w < 0) */
	double soc_pct; /* battery state of charge */
	bool on_grid;   /* false: outage or "Go-Off-Grid" */
	station_ev_input ev[STATION_MAX_CHARGERS];
} station_input;

typedef enum {
	STATION_EV_NOT_CONNECTED = 0,
	STATION_EV_CHARGING,
	STATION_EV_WAIT_ENABLE,   /* 100% PV: surplus enough, enable delay running */
	STATION_EV_PAUSED,        /* 100% PV: not enough surplus */
	STATION_EV_DISABLE_GRACE, /* 100% PV: surplus low, disable delay running */
	STATION_EV_LIMITED,       /* cut to 0 by the peak cap, breaker or off-grid */
} station_ev_reason;

typedef struct station_ev_output {
	double target_a; /* per phase, 0 or >= 6; DLM has the last word */
	int phases;      /* 1 or 3 */
	double power_w;  /* expected draw at target (min with demand) */
	station_ev_reason reason;
} station_ev_output;

/* Setpoints for one step. Lifetime: filled by station_step(). */
typedef struct station_output {
	double bat_w;      /* battery setpoint, > 0 charge */
	double pv_limit_w; /* own PV may produce at most this (curtailment) */
	bool pv3_on;       /* third-party inverter allowed to run */
	double gen_w;      /* generator setpoint (0 = off) */
	bool gen_on;
	bool smart_load_on[STATION_MAX_SMART_LOADS];
	bool heat_pump_on;
	double loads_w; /* smart loads + heat pump power at these decisions */
	station_ev_output ev[STATION_MAX_CHARGERS];
	double ev_w;         /* total expected EV power */
	double grid_w;       /* expected grid power at these setpoints */
	double unserved_w;   /* off-grid: load that cannot be supplied */
	station_mode active; /* the mode actually run (remote EMS may fall back) */
	bool ems_fallback;   /* remote EMS timed out: running self-consumption */
	bool grid_charging;  /* battery charged from the grid this step */
	int tou_period;      /* index of the active TOU period or -1 */
	double plan_soc_pct; /* optimiser: planned SOC at the end of this slot, else -1 */
	bool grid_valid;     /* grid_w may be written as an inverter's grid setpoint; false on
				 safe outputs (the station runs blind: the device's own
				 fallback is safer than a guess) */
} station_output;

/* Forecast memory learned from the station's own history (per 15-min slot
 * of the local day, weekday/weekend load, clear-sky-normalised PV). */
typedef struct station_forecast {
	float load[2][STATION_SLOTS_PER_DAY]; /* [0] weekday, [1] weekend */
	uint16_t load_n[2][STATION_SLOTS_PER_DAY];
	float pv_num[STATION_SLOTS_PER_DAY], pv_den[STATION_SLOTS_PER_DAY];
	uint16_t pv_n[STATION_SLOTS_PER_DAY];
	double pv_peak_ratio; /* slowly decaying upper envelope of pv / clear-sky (site size) */
	double load_mean;     /* running mean, the fallback before a slot has history */
	uint32_t load_mean_n;
	/* how wrong it has been: smoothed |actual - forecast| of the net load
	 * (load - PV) per slot of the day, W, taken when a slot closes (the
	 * optimiser's guard); err_n 0 = not known yet */
	float err_w[STATION_SLOTS_PER_DAY];
	uint16_t err_n[STATION_SLOTS_PER_DAY];
	/* accumulator of the slot in progress */
	int64_t acc_slot; /* absolute slot number, -1 none */
	double acc_load, acc_pv, acc_cs, acc_s;
} station_forecast;

/* Prices per 15-min slot from a price list (dynamic tariff) or the weather
 * factor per slot; slots outside [start, start+n) fall back. */
typedef struct station_series {
	int64_t start_slot; /* absolute slot number (unix_s / 900) */
	int n;
	float a[STATION_PRICE_MAX_SLOTS], b[STATION_PRICE_MAX_SLOTS];
} station_series;

typedef struct station_plan {
	int64_t made_slot; /* absolute slot the plan starts at, -1 none */
	int64_t made_ms;   /* when it was made (re-plan every replan_min) */
	int n;             /* slots planned */
	float soc_pct[STATION_PLAN_MAX_SLOTS + 1];
	float bat_w[STATION_PLAN_MAX_SLOTS];
	float load_w[STATION_PLAN_MAX_SLOTS], pv_w[STATION_PLAN_MAX_SLOTS];
	float imp[STATION_PLAN_MAX_SLOTS], exp[STATION_PLAN_MAX_SLOTS];
	double cost; /* planned cost over the horizon */
	/* the guard: the better rule-based mode on the same forecast (rule:
	 * self-consumption, or TOU where its periods are set); the plan is
	 * followed only when it saves more than the forecast error can explain */
	double rule_cost, gain, margin;
	bool follow_rule;
	station_mode rule;
	/* Auto-SOC smart loads whose window is open in each slot (bit i =
	 * smart_loads[i]); the plan knows that SOC above their threshold switches
	 * them on */
	uint8_t load_mask[STATION_PLAN_MAX_SLOTS];
	/* cost-to-go at the end of the first slots (what the step follows):
	 * vnext[j][i] = value at the end of slot j at SOC level i */
	double emin_wh, level_wh;
	int levels;
	float vnext[STATION_PLAN_KEEP][STATION_PLAN_MAX_LEVELS];
	/* dynamic program workspace */
	double value[2][STATION_PLAN_MAX_LEVELS];
	int16_t choice[STATION_PLAN_MAX_SLOTS][STATION_PLAN_MAX_LEVELS];
} station_plan;

typedef struct station_charger_state {
	bool on;
	int phases;
	int64_t above_since_ms, below_since_ms, switch_since_ms; /* -1 = not running */
} station_charger_state;

/* Everything station_step() remembers between calls. Lifetime: one per
 * station, owned by the caller, initialised by station_state_init(). */
typedef struct station_state {
	int64_t last_ms; /* -1 before the first step */
	double last_bat_w, last_loads_w, last_gen_w;
	/* remote EMS */
	bool ems_grid_target; /* setpoint is the grid power, else the battery power */
	double ems_setpoint_w;
	int64_t ems_update_ms; /* -1 never */
	/* EV */
	station_charger_state ev[STATION_MAX_CHARGERS];
	/* controlled loads */
	bool smart_on[STATION_MAX_SMART_LOADS];
	bool hp_on;
	int64_t hp_on_since_ms;
	double hp_run_today_s;
	int64_t hp_day;
	bool gen_on;
	/* optimiser */
	station_forecast fc;
	station_series prices;  /* a = import, b = export */
	station_series weather; /* a = clearness factor 0..1 */
	station_series fc_ext;  /* an external forecast: a = home load W, b = own PV W */
	station_plan plan;
	/* the rule-based modes the optimiser may fall back to, run in the
	 * shadow on what was measured: each rule's battery energy (Wh) and its
	 * cost (halved every 3 days, at local midnights: a day's night charge
	 * and evening use weigh the same), so that the fallback is the rule
	 * that did better here, not the one a forecast favours. Not kept over
	 * a restart. [0] self-consumption, [1] TOU (only with TOU periods). */
	struct {
		double e_wh[2], cost[2];
		double seconds; /* measured time the shadows ran */
		int64_t day;    /* the local day of the last step */
	} shadow;
} station_state;

/* Defaults for every setting (a 10 kWh battery, 3-phase 32 A, self-consumption). */
void station_config_defaults(station_config *cfg);
/* Range checks of every setting; on error returns STATION_EINVAL and, if
 * err != NULL, writes the offending setting's JSON name into err. */
int station_config_validate(const station_config *cfg, char *err, int errlen);
/* Mode changes into or out of remote EMS need confirmed == true. */
int station_config_check_change(const station_config *old_cfg, const station_config *new_cfg, bool confirmed);

void station_state_init(station_state *st, const station_config *cfg);

/* One control step. Fills out; returns 0 or STATION_EINVAL (NULL or NaN input). */
int station_step(const station_config *cfg, station_state *st, const station_input *in, int64_t now_ms,
		 station_output *out);

/* ---- when the measurements cannot be trusted (station_safe.c) ---- */

/* What the owner knows of the measurement a station_input was built from.
 * Lifetime: filled by the caller for one call. */
typedef struct station_meas {
	bool present;   /* a measurement has arrived at all */
	bool timed;     /* its age counts (false: a simulated source, measured at every step) */
	int64_t age_ms; /* now - when it was taken, on the owner's clock */
	double stale_s; /* older than this (strictly) it is stale */
	double soc_pct; /* the battery SOC as measured; not finite = the source gave none */
} station_meas;

/* NULL when the measurements may be used, else why not, the first that
 * applies of: "no measurement yet", "measurements stale", "no battery SOC".
 * The string is static. */
const char *station_measurements_usable(const station_meas *m);

/* The outputs while the measurements cannot be trusted: battery idle
 * (bat_w 0), no curtailment (pv_limit_w = 10 x inverterMaxW, 1e6 without
 * one; the third-party inverter runs), controlled loads only where switched
 * on by hand (smart loads in manual and on; heat pump and generator enabled,
 * manual and on; generator setpoint 0), Solar Boost at its 6 A minimum
 * while a car is connected, 100% PV at 0, Fast at maxCurrentA (the owner
 * leaves Fast to DLM), grid_valid false. Reads the chargers' phases from
 * st and the cars from in; changes neither. */
void station_safe_output(const station_config *cfg, const station_state *st, const station_input *in,
			 station_output *out);

/* station_step() when m says the measurements are usable, else the safe
 * outputs with st untouched; the safe outputs too, with "measurements not
 * usable", when station_step() refuses in. Returns NULL after a real step,
 * else the static reason (the API's safeReason). Every pointer non-NULL. */
const char *station_step_checked(const station_config *cfg, station_state *st, const station_input *in,
				 const station_meas *m, int64_t now_ms, station_output *out);

/* Remote EMS setpoint (grid_target: grid power, else battery power). */
void station_remote_ems_set(station_state *st, bool grid_target, double setpoint_w, int64_t now_ms);

/* Price list: n slots of slot_s (900 or 3600) seconds from start_ms; prices
 * per kWh. Replaces the stored list (older known slots are kept for the
 * "same slot yesterday" forecast when they fit). Returns STATION_EINVAL on
 * bad arguments. */
int station_prices_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *import_price,
		       const double *export_price);
/* New information (a price list, a PV forecast): the optimiser plans again
 * at the next step instead of at its next replan_min. */
void station_plan_invalidate(station_state *st);
/* Weather (expected clearness 0..1 per slot) for the PV forecast. */
int station_weather_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *clearness);
/* An external forecast (a forecast service, or the simulator's perfect
 * foresight): home load without the Auto-SOC smart loads and own PV, W, per
 * slot; where it covers a slot it replaces the learned forecast. load_w
 * NULL: a PV-only forecast, the load stays learned. n slots of slot_s (900
 * or 3600) seconds from start_ms; values W, finite, 0..1e7. Returns STATION_EINVAL on bad arguments; nothing changes then. */
int station_forecast_set(station_state *st, int64_t start_ms, int slot_s, int n, const double *load_w,
			 const double *pv_w);

/* Forecast of the home load and own PV for the 15-min slot starting at slot
 * (absolute, unix_s / 900), as learned so far. Before any slot is complete
 * the load is the mean measured in the slot in progress (not 0). */
void station_forecast_slot(const station_config *cfg, const station_state *st, int64_t slot, double *load_w,
			   double *pv_w);
/* ---- what the optimiser learned, kept over a restart (station_forecast_io.c) ---- */

#define STATION_FORECAST_VERSION 1
#define STATION_FORECAST_BLOB_SIZE 2718 /* bytes of a version-1 blob */
#define STATION_FORECAST_TEXT_MAX 3628  /* its base64 text with the NUL */

/* The learned forecast as a versioned little-endian blob (the slot in
 * progress is not kept). Returns its size, or 0 when len is too small. */
size_t station_forecast_encode(const station_forecast *f, unsigned char *buf, size_t len);
/* The inverse: STATION_OK with *f replaced; STATION_EVERSION for a blob of
 * another version; STATION_EINVAL for anything else that is not an intact
 * blob (size, checksum, a number not finite or negative). *f untouched on
 * error. */
int station_forecast_decode(station_forecast *f, const unsigned char *buf, size_t n);
/* The same as base64 text (out: at least STATION_FORECAST_TEXT_MAX). */
int station_forecast_to_text(const station_forecast *f, char *out, size_t len);
int station_forecast_from_text(station_forecast *f, const char *text);
/* Slots of the day with a learned load (weekday and weekend counted
 * apart, 0..192) and with learned PV (0..96). */
void station_forecast_counts(const station_forecast *f, int *load_slots, int *pv_slots);

/* Price of an absolute slot as the planner sees it. */
void station_price_slot(const station_config *cfg, const station_state *st, int64_t slot, double *imp,
			double *exp);

/* Clear-sky global horizontal irradiance (W/m2, Haurwitz) at a place and time. */
double station_clearsky_ghi(double lat_deg, double lon_deg, int64_t unix_s);

/* Helpers shared with the simulator and tests. */
bool station_window_active(const station_window *w, int64_t local_s);
const char *station_mode_name(station_mode m);
int station_mode_parse(const char *s, station_mode *m);
const char *station_ev_mode_name(station_ev_mode m);    /* the station's spelling; "?" if unknown */
const char *station_ev_mode_charger(station_ev_mode m); /* a charger setting's spelling; "?" if unknown */
int station_ev_mode_parse(const char *s, station_ev_mode *m); /* either spelling */

/* Minimal cost DP for one battery over n slots of dt_s (used by the
 * optimiser, exposed for tests and the simulator's fine-grid check).
 * load/pv/imp/exp per slot; fixed consumption already in load. soc0 in %,
 * floor/ceiling in %; terminal value per Wh left above the floor.
 * Writes the SOC trajectory (n + 1 values) into soc_out when non-NULL and
 * returns the cost in currency units; plan is the workspace. */
double station_plan_dp(const station_config *cfg, station_plan *plan, int n, double dt_s, const float *load,
		       const float *pv, const float *imp, const float *exp, double soc0_pct, double floor_pct,
		       double ceil_pct, int levels, double terminal_per_wh, float *soc_out, float *bat_out);

#endif
