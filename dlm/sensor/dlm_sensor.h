/*
 * dlm_sensor: the grid meter. Produces readings (current per phase at the
 * grid connection point, import positive, optional voltage and power) for
 * the owner (the daemon's control loop) to feed into dlm_compute().
 *
 * Kinds: modbus-tcp and modbus-rtu (libmodbus, polled by a thread of their
 * own); api and sim have no thread: the owner pushes the readings, for api
 * those it received (e.g. PUT /api/v1/dlm/readings), for sim those of the
 * simulated house the station also measures (the daemon's glue computes
 * them with the chargers' draws, so both see one house).
 *
 * Threading: the driver thread only polls and posts each reading into a
 * mutex-protected mailbox ("latest reading" + health counters), then calls
 * the owner's wake callback (the daemon passes one calling
 * lws_cancel_service()). Everything else here is called from the owner's
 * thread. The owner owns the dlm_sensor handle: dlm_sensor_stop() joins the
 * thread and frees it.
 *
 * Meter register maps are data (dlm_meter_map): presets for the Eastron
 * SDM630 and the Chint DTSU666, or a generic map parsed from a config
 * string (syntax in README.md next to this file).
 */
#ifndef DLM_SENSOR_H
#define DLM_SENSOR_H

#include "dlm.h"
#include "modbus_reg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- maps */

/* Register types and word order are the shared Modbus ones (modbus_reg.h);
 * these names stay for dlm's callers. */
typedef modbus_reg_type dlm_reg_type;
#define DLM_REG_INT16 MODBUS_REG_INT16
#define DLM_REG_UINT16 MODBUS_REG_UINT16
#define DLM_REG_INT32 MODBUS_REG_INT32
#define DLM_REG_UINT32 MODBUS_REG_UINT32
#define DLM_REG_FLOAT32 MODBUS_REG_FLOAT32

/* For 32-bit values: BIG = high word first ("abcd"), LITTLE = low word
 * first ("cdab"). Bytes within a register are always big-endian (Modbus). */
typedef modbus_word_order dlm_word_order;
#define DLM_WORD_BIG MODBUS_WORD_BIG
#define DLM_WORD_LITTLE MODBUS_WORD_LITTLE

typedef enum dlm_quantity {
	DLM_Q_CURRENT,    /* A, per phase */
	DLM_Q_VOLTAGE,    /* V, per phase (line to neutral) */
	DLM_Q_POWER,      /* W, per phase, import positive */
	DLM_Q_POWER_TOTAL /* W, all phases, import positive */
} dlm_quantity;

typedef struct dlm_meter_reg {
	dlm_quantity q;
	uint8_t phase; /* 0..2 = L1..L3; 0 for DLM_Q_POWER_TOTAL */
	uint8_t fc;    /* 3 = holding registers, 4 = input registers */
	uint16_t addr; /* protocol address (register 30007 is 6) */
	dlm_reg_type type;
	dlm_word_order order;
	double scale; /* value in A, V or W = raw x scale */
} dlm_meter_reg;

#define DLM_METER_MAX_REGS 16

/* A meter's register map. Plain data, copied by value. */
typedef struct dlm_meter_map {
	char name[32];
	/* The meter's currents are unsigned: take each phase current's sign from
     * that phase's active power (import positive) when the map has it. */
	bool sign_from_power;
	size_t n;
	dlm_meter_reg regs[DLM_METER_MAX_REGS];
} dlm_meter_map;

/* "sdm630" or "dtsu666" (case-insensitive); NULL if unknown. The returned
 * map is static and read-only. */
const dlm_meter_map *dlm_meter_preset(const char *name);

/* The meters an owner can name: ONE table of kind, name and register map,
 * which the daemon's dlm_meter setting and API read (the setting holds the
 * row). preset NULL: a generic map, given as text (dlm_meter_parse()). */
typedef enum dlm_meter_kind { DLM_METER_SDM630, DLM_METER_DTSU666, DLM_METER_GENERIC } dlm_meter_kind;
typedef struct dlm_meter_def {
	dlm_meter_kind kind;
	const char *name;            /* "sdm630", "dtsu666", "generic" */
	const dlm_meter_map *preset; /* static; NULL for generic */
} dlm_meter_def;
#define DLM_METER_NKINDS 3
extern const dlm_meter_def dlm_meters[DLM_METER_NKINDS];

/* Parses a generic map (see README.md), e.g.
 * "l1_current=4:0x0006:float32:abcd:1,l2_current=...,sign=power".
 * Returns 0, or -EINVAL with a message naming the item in err. */
int dlm_meter_parse(const char *spec, dlm_meter_map *map, char *err, size_t errlen);

/* Number of 16-bit registers a type occupies (1 or 2). */
int dlm_reg_words(dlm_reg_type t);

/* Decodes one value from its registers (words[0] is at reg->addr) and
 * applies the scale. -ERANGE when the result is not a finite number. */
int dlm_meter_decode(const dlm_meter_reg *reg, const uint16_t *words, double *value);
/* The inverse, for test servers and simulators: raw register words for
 * value (rounded for integer types). -ERANGE if it does not fit. */
int dlm_meter_encode(const dlm_meter_reg *reg, double value, uint16_t *words);

/* ------------------------------------------------------------ readings */

/* One grid reading. NAN marks what the meter does not provide. */
typedef struct dlm_reading {
	double current_a[DLM_PHASES]; /* import positive */
	double voltage_v[DLM_PHASES];
	double power_w[DLM_PHASES];
	double power_total_w;
	int64_t ts_ms; /* when it was read (owner's clock) */
} dlm_reading;

/* Sets every value to NAN and ts_ms to DLM_NO_TIME. */
void dlm_reading_clear(dlm_reading *r);

typedef struct dlm_sensor_health {
	bool ok;              /* the last poll succeeded */
	char last_error[128]; /* "" when none yet */
	uint32_t consecutive_failures;
	int64_t last_success_ms; /* DLM_NO_TIME before the first */
	uint64_t readings;       /* successful polls / pushes */
	uint64_t failures;       /* failed polls and connects */
	uint64_t connects;       /* successful (re)connections */
} dlm_sensor_health;

/* ---------------------------------------------------------------- driver */

typedef enum dlm_sensor_kind {
	DLM_SENSOR_SIM,
	DLM_SENSOR_API,
	DLM_SENSOR_MODBUS_TCP,
	DLM_SENSOR_MODBUS_RTU
} dlm_sensor_kind;

/* The kinds by name: ONE table ("sim", "api", "modbus-tcp", "modbus-rtu"),
 * which the daemon's dlm_sensor setting and API read (the setting holds the
 * row); the two functions below look it up. */
typedef struct dlm_sensor_kind_name {
	dlm_sensor_kind kind;
	const char *name;
} dlm_sensor_kind_name;
#define DLM_SENSOR_NKINDS 4
extern const dlm_sensor_kind_name dlm_sensor_kinds[DLM_SENSOR_NKINDS];

/* The kind's name; "?" for a value not in the table. */
const char *dlm_sensor_kind_str(dlm_sensor_kind k);
/* 0, or -EINVAL for a name not in the table. */
int dlm_sensor_kind_parse(const char *s, dlm_sensor_kind *k);

/* Lifetime: read by dlm_sensor_start(), which copies what it needs. */
typedef struct dlm_sensor_opts {
	dlm_sensor_kind kind;     /* default sim */
	dlm_meter_map map;        /* modbus: register map (default sdm630) */
	char host[128];           /* modbus-tcp: host or address, "127.0.0.1" */
	int port;                 /* modbus-tcp: 502 */
	char device[128];         /* modbus-rtu: "/dev/ttyUSB0" */
	int baud;                 /* modbus-rtu: 9600 */
	char parity;              /* modbus-rtu: 'N', 'E' or 'O' */
	int data_bits, stop_bits; /* modbus-rtu: 8, 1 */
	int unit;                 /* Modbus unit (slave) id, 1 */
	int poll_ms;              /* poll interval, 1000 */
	int timeout_ms;           /* response (and TCP connect) timeout, 1000 */
	int backoff_min_ms;       /* first reconnect delay, 500; doubles */
	int backoff_max_ms;       /* up to this, 30000 */
	/* Owner's clock for timestamps, called in the driver thread; NULL =
     * CLOCK_REALTIME in ms. */
	int64_t (*clock_ms)(void *ctx);
	/* Called in the driver thread after each reading or health change;
     * must be thread-safe and quick (e.g. lws_cancel_service). NULL = none. */
	void (*wake)(void *ctx);
	void *ctx;
} dlm_sensor_opts;

void dlm_sensor_opts_defaults(dlm_sensor_opts *o);

typedef struct dlm_sensor dlm_sensor; /* opaque, owned by the caller */

/* Validates o and starts the driver (a thread except for api). Does not
 * wait for the meter: connection problems show in the health. Returns 0,
 * -EINVAL (bad options, message in err) or -ENOMEM / -errno. */
int dlm_sensor_start(dlm_sensor **out, const dlm_sensor_opts *o, char *err, size_t errlen);

/* The checks of dlm_sensor_start() (options, the map's read plan) without
 * starting anything, for an owner that validates its settings before it
 * opens anything. 0 or -EINVAL with a message in err. */
int dlm_sensor_check(const dlm_sensor_opts *o, char *err, size_t errlen);

/* Stops the thread (waits at most about one response timeout) and frees
 * everything. NULL is fine. */
void dlm_sensor_stop(dlm_sensor *s);

/* Copies the latest reading and the health (either pointer may be NULL);
 * *seq (may be NULL) counts readings so the owner can tell a new one.
 * Returns 0, or -EAGAIN when there has been no reading yet. */
int dlm_sensor_latest(dlm_sensor *s, dlm_reading *r, dlm_sensor_health *h, uint64_t *seq);

/* Owner thread: posts a reading received from outside (kind api) or
 * simulated (kind sim). Checks it: currents finite and within +-1000 A,
 * voltages and powers NAN or finite; ts_ms must be set. -EINVAL with a
 * message in err otherwise, -EPERM when the sensor is of a polled kind
 * (modbus). Does not call wake. */
int dlm_sensor_push(dlm_sensor *s, const dlm_reading *r, char *err, size_t errlen);

dlm_sensor_kind dlm_sensor_kind_of(const dlm_sensor *s);

#endif
