/*
 * station_source: where the station's measurements come from and where its
 * setpoints go, for the daemon (csms/energy.c). Two drivers:
 *
 * - modbus: a hybrid inverter / battery / grid meter over Modbus TCP
 *   (libmodbus), polled by a thread of its own. It reads PV power, battery
 *   SOC and power, grid power and house load through a register map given
 *   as data (a preset or a generic map string, syntax in README.md), and
 *   writes the battery (or grid) setpoint, the PV limit and the controlled
 *   loads' coils or relay registers that the owner last commanded.
 * - house: a simulated house (PV on a clear-sky curve with deterministic
 *   clouds, a household load profile with appliances, a battery model that
 *   applies the setpoints, the grid current per phase with the chargers'
 *   draws). Pure functions, no thread, no clock: the owner passes the
 *   (possibly accelerated) simulated time. The daemon's DLM grid sensor
 *   "sim" reads the same house.
 *
 * Threading (modbus): the driver thread only polls, writes and posts each
 * reading into a mutex-protected mailbox ("latest reading" + health), then
 * calls the owner's wake callback (the daemon's calls lws_cancel_service()).
 * Everything else is called from the owner's thread.
 *
 * Ownership: the owner owns the station_source handle; station_source_stop()
 * joins the thread and frees it. Maps and readings are plain data copied by
 * value.
 */
#ifndef STATION_SOURCE_H
#define STATION_SOURCE_H

#include "modbus_reg.h"
#include "station.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- maps */

/* Register types and word order are the shared Modbus ones (modbus_reg.h);
 * these names stay for the station's callers. */
typedef modbus_reg_type station_src_type;
#define SSRC_INT16 MODBUS_REG_INT16
#define SSRC_UINT16 MODBUS_REG_UINT16
#define SSRC_INT32 MODBUS_REG_INT32
#define SSRC_UINT32 MODBUS_REG_UINT32
#define SSRC_FLOAT32 MODBUS_REG_FLOAT32

/* 32-bit values: BIG = high word first ("abcd"), LITTLE = low word first
 * ("cdab"). Bytes within a register are big-endian (Modbus). */
typedef modbus_word_order station_src_order;
#define SSRC_WORD_BIG MODBUS_WORD_BIG
#define SSRC_WORD_LITTLE MODBUS_WORD_LITTLE

/* What a read register measures. Several registers of one quantity are
 * summed (e.g. three phase powers). Signs after scaling: the station's
 * (battery > 0 charging, grid > 0 import); a negative scale flips a
 * device's own convention. */
typedef enum station_src_quantity {
	SSRC_Q_PV,         /* own PV power, W */
	SSRC_Q_PV3,        /* third-party PV inverter power, W (optional) */
	SSRC_Q_BAT_SOC,    /* battery state of charge, % */
	SSRC_Q_BAT_POWER,  /* battery power, W, > 0 charging */
	SSRC_Q_GRID,       /* grid power, W, > 0 import */
	SSRC_Q_LOAD,       /* house load, W */
	SSRC_Q_GRID_STATE, /* grid present or not: a state register compared with the map's grid_value */
	SSRC_Q_COUNT
} station_src_quantity;

/* What a written register or coil carries. */
typedef enum station_src_output {
	SSRC_O_BAT_SETPOINT,  /* battery power setpoint, W, > 0 charge */
	SSRC_O_GRID_SETPOINT, /* grid power setpoint, W, > 0 import (ESS-style inverters) */
	SSRC_O_PV_LIMIT,      /* PV power limit, W */
	SSRC_O_LOAD,          /* smart load k (index), on/off */
	SSRC_O_HEAT_PUMP,     /* SG-ready heat pump, on/off */
	SSRC_O_GENERATOR,     /* generator start, on/off */
	SSRC_O_ENABLE,        /* a constant written before the setpoints ("remote control enable") */
	SSRC_O_COUNT
} station_src_output;

typedef struct station_src_reg {
	uint8_t what;  /* station_src_quantity (reads) or station_src_output (writes) */
	uint8_t index; /* SSRC_O_LOAD: smart load 0..STATION_MAX_SMART_LOADS-1 */
	uint8_t fc;    /* reads: 3 holding, 4 input; writes: 5 coil, 6 single register, 16 multiple */
	uint16_t addr; /* protocol address (datasheet register 40001 is 0) */
	station_src_type type;
	station_src_order order;
	double scale;   /* physical value = raw x scale; never 0 */
	uint16_t value; /* SSRC_O_ENABLE: the constant */
} station_src_reg;

#define STATION_SRC_MAX_READS 24
#define STATION_SRC_MAX_WRITES 16

/* A device's register map. Plain data, copied by value. */
typedef struct station_src_map {
	char name[32];
	/* The load register is the whole AC consumption, EVs and controlled
	 * loads included (the owner subtracts those it knows of). */
	bool load_gross;
	/* SSRC_Q_GRID_STATE: the value (after scaling) that means off grid
	 * (grid_off) or, with grid_value_on, on grid (grid_on); any other
	 * value means the opposite. */
	double grid_value;
	bool grid_value_on;
	size_t n_reads, n_writes;
	station_src_reg reads[STATION_SRC_MAX_READS];
	station_src_reg writes[STATION_SRC_MAX_WRITES];
} station_src_map;

/* A preset by name ("victron-gx", case-insensitive); NULL if unknown.
 * The returned map is static and read-only. */
const station_src_map *station_source_preset(const char *name);
/* Names of the presets, NULL-terminated (for help texts). */
extern const char *const station_source_preset_names[];

/* Parses a generic map, e.g. "pv_power=4:0x10:uint32, bat_soc=3:843:uint16,
 * grid_power=3:820:int16, bat_setpoint=16:2700:int16". Returns 0, or
 * -EINVAL with a message naming the item in err. */
int station_source_map_parse(const char *spec, station_src_map *map, char *err, size_t errlen);
/* A preset name or, when spec contains '=', a generic map. */
int station_source_map_resolve(const char *spec, station_src_map *map, char *err, size_t errlen);

/* Number of 16-bit registers a type occupies (1 or 2; 0 if unknown). */
int station_source_words(station_src_type t);
/* Decodes one value from its registers and applies the scale; -ERANGE
 * when the result is not finite. */
int station_source_decode(const station_src_reg *reg, const uint16_t *words, double *value);
/* The inverse (value / scale, rounded for integer types); -ERANGE if the
 * raw value does not fit the type. */
int station_source_encode(const station_src_reg *reg, double value, uint16_t *words);

/* ------------------------------------------------------------ readings */

/* One set of measurements. NAN marks what the map does not provide. */
typedef struct station_src_reading {
	double pv_w, pv3_w, soc_pct, bat_w, grid_w, load_w;
	int on_grid;   /* 1 grid present, 0 off grid (outage), -1 not measured */
	int64_t ts_ms; /* when it was read (owner's clock) */
} station_src_reading;

void station_source_reading_clear(station_src_reading *r);

/* What the owner wants written. Lifetime: copied by station_source_command(). */
typedef struct station_src_command {
	double bat_w;    /* battery setpoint */
	double grid_w;   /* expected grid power at the setpoints (grid_setpoint maps) */
	bool grid_valid; /* false: do not write a grid setpoint (the station runs blind:
			    the device's own fallback is safer than a guess) */
	double pv_limit_w;
	bool load_on[STATION_MAX_SMART_LOADS];
	bool heat_pump_on, generator_on;
} station_src_command;

typedef struct station_src_health {
	bool ok;              /* the last poll succeeded */
	char last_error[128]; /* "" when none yet */
	uint32_t consecutive_failures;
	int64_t last_success_ms; /* -1 before the first */
	uint64_t readings, failures, connects;
	uint64_t writes, write_failures;
} station_src_health;

/* ---------------------------------------------------------------- driver */

/* Where the owner's measurements come from: the simulated house (below),
 * this Modbus driver, or readings pushed to the owner (no driver). ONE
 * table of names, which the daemon's station_source setting and API read
 * (the setting holds the row). */
typedef enum station_src_kind { STATION_SRC_SIM, STATION_SRC_MODBUS, STATION_SRC_API } station_src_kind;
typedef struct station_src_kind_name {
	station_src_kind kind;
	const char *name; /* "sim", "modbus", "api" */
} station_src_kind_name;
#define STATION_SRC_NKINDS 3
extern const station_src_kind_name station_src_kinds[STATION_SRC_NKINDS];
/* The kind's name; "?" for a value not in the table. */
const char *station_src_kind_str(station_src_kind k);

/* Lifetime: read by station_source_start(), which copies it. */
typedef struct station_src_opts {
	station_src_map map;
	char host[128];                     /* "127.0.0.1" */
	int port;                           /* 502 */
	int unit;                           /* Modbus unit id, 1 */
	int poll_ms;                        /* 1000 */
	int timeout_ms;                     /* response and connect timeout, 1000 */
	int backoff_min_ms, backoff_max_ms; /* reconnect delay, doubling: 500 .. 30000 */
	/* Switch outputs are written when they change, after a reconnect and
	 * at least this often (some devices forget); setpoints on every poll
	 * (inverters with a watchdog fall back when not refreshed). 60000. */
	int refresh_ms;
	int64_t (*clock_ms)(void *ctx); /* NULL = CLOCK_REALTIME in ms; driver thread */
	void (*wake)(void *ctx);        /* driver thread, after a reading or a health change */
	void *ctx;
} station_src_opts;

void station_source_opts_defaults(station_src_opts *o);

typedef struct station_source station_source; /* opaque, owned by the caller */

/* Validates o and starts the polling thread. Does not wait for the device:
 * connection problems show in the health. 0, -EINVAL (message in err) or
 * -ENOMEM / -errno. */
int station_source_start(station_source **out, const station_src_opts *o, char *err, size_t errlen);
/* The checks of station_source_start() (options, the map's read plan and
 * outputs) without starting anything, for an owner that validates its
 * settings before it opens anything. 0 or -EINVAL with a message in err. */
int station_source_check(const station_src_opts *o, char *err, size_t errlen);
/* Stops the thread (waits at most about one response timeout) and frees. NULL is fine. */
void station_source_stop(station_source *s);
/* Copies the latest reading and the health (either may be NULL); *seq
 * counts readings. 0, or -EAGAIN when there has been no reading yet. */
int station_source_latest(station_source *s, station_src_reading *r, station_src_health *h, uint64_t *seq);
/* The outputs to write from the next poll on. cmd NULL = nothing to write
 * (setpoints are not written until a first command). */
void station_source_command(station_source *s, const station_src_command *cmd);

/* -------------------------------------------------------- simulated house */

/* Lifetime: owned by the caller; station_house_init() fills it. */
typedef struct station_house {
	uint32_t seed;
	double pv_peak_w;        /* PV array at clear sky noon-ish, 8000 */
	double lat_deg, lon_deg; /* from the station settings */
	int utc_offset_min;
	double annual_kwh;       /* household consumption, 4500 */
	station_battery_cfg bat; /* capacity, power limits, efficiency, SOC bounds */
	double soc_pct;          /* state */
	double bat_w;            /* battery power as applied in the last interval */
	bool off_grid;           /* a simulated outage: the battery forms the grid, grid power 0 */
	int64_t t_ms;            /* time of the state, -1 before the first advance */
} station_house;

void station_house_init(station_house *h, const station_config *cfg, double pv_peak_w, uint32_t seed,
			int64_t t_ms);
/* New battery settings (capacity, limits) after a settings change; keeps the SOC. */
void station_house_set_battery(station_house *h, const station_battery_cfg *b);
/* PV available and house load at time t (deterministic for seed and t). */
void station_house_sample(const station_house *h, int64_t t_ms, double *pv_w, double *load_w);
/* Runs the battery from h->t_ms to t_ms at setpoint bat_w (clamped to the
 * battery's power limits and SOC bounds; sqrt(efficiency) each way). */
void station_house_advance(station_house *h, int64_t t_ms, double bat_w);
/* Measurements at h->t_ms: PV (limited by pv_limit_w), load, SOC, the
 * applied battery power and the grid power that balances them with the
 * extra consumption extra_w (EVs, controlled loads). During an outage
 * (off_grid) the grid power and currents are 0 and on_grid is 0: the battery
 * follows the station's setpoint, which off grid is the balance. */
void station_house_measure(const station_house *h, double pv_limit_w, double extra_w, station_src_reading *r);

/* Line-to-neutral voltage of the simulated house. */
#define STATION_HOUSE_V 230.0

/* The household load of station_house_sample() per phase, W (adds up to
 * its load_w): the base load in fixed shares, each appliance on the
 * phase or phases it is wired to. */
void station_house_load_phases(const station_house *h, int64_t t_ms, double load_w[3]);

/* station_house_measure() with the chargers' draws per phase ev_a (A,
 * measured; NULL = none; counted in r->grid_w at volt_v), and the grid
 * current per phase into grid_a (may be NULL), import positive:
 * (load + EV + controlled loads + battery charge - PV - battery discharge)
 * / volt_v, with the household load per phase as
 * station_house_load_phases() and PV, battery and extra_w (controlled
 * loads) in equal thirds (three-phase inverter and loads). volt_v <= 0 =
 * STATION_HOUSE_V. */
void station_house_measure_phases(const station_house *h, double pv_limit_w, const double ev_a[3],
				  double extra_w, double volt_v, station_src_reading *r, double grid_a[3]);

#endif
