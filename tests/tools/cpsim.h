/* cpsim.h: the charge point simulator core (library cpsim_core), shared by
 * the `cpsim` CLI and by `loadgen`.
 *
 * What it offers:
 *  - one lws client context (struct cpsim_ctx) holding many simulated chargers
 *    (struct cpsim_cp), driven by one thread: cpsim_run();
 *  - OCPP-J framing: CALLs we send (one in flight per charger, the rest
 *    queued in order), replies matched by message id, reply shapes checked
 *    against what OCPP 1.6 promises (cpsim_check_result), timeouts;
 *  - answers to every Central-System-initiated CALL (cpsim_answers.c), with
 *    the state those answers need (struct cpsim_model);
 *  - a raw mode (hooks.text set): frames go to the application untouched;
 *  - builders for the CP-initiated messages (cpsim_send_*);
 *  - the scripted session engine (cpsim_session_*), see the end of the file.
 *
 * Ownership: the ctx owns its chargers (freed by cpsim_ctx_destroy); every
 * cJSON a callback receives is borrowed and valid only during the callback;
 * payload text passed to cpsim_call is copied; cJSON passed to
 * cpsim_call_json is consumed (freed) in every case.
 * Functions return 0 or a negative errno value.
 */
#ifndef CPSIM_H
#define CPSIM_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define CPSIM_MAX_CONNECTORS 8
#define CPSIM_ID_MAX 48
#define CPSIM_ERRLOG_MAX 8 /* error messages kept per charger for the summary */

struct cpsim_ctx;
struct cpsim_cp;
struct cpsim_session;

/* ---- replies to our CALLs ---- */

enum cpsim_reply_kind {
	CPSIM_REPLY_RESULT,  /* CALLRESULT of the expected shape */
	CPSIM_REPLY_INVALID, /* CALLRESULT of a wrong shape: error_desc says why */
	CPSIM_REPLY_ERROR,   /* CALLERROR */
	CPSIM_REPLY_TIMEOUT, /* no answer within call_timeout_ms */
	CPSIM_REPLY_CLOSED,  /* connection lost (or never there) before an answer */
};

/* Handed to a reply callback; borrowed, valid during the callback only. */
struct cpsim_reply {
	enum cpsim_reply_kind kind;
	const cJSON *payload;   /* RESULT/INVALID: the payload; ERROR: errorDetails */
	const char *error_code; /* ERROR: the CALLERROR code */
	const char *error_desc; /* ERROR: its description; INVALID: what is wrong */
	int64_t rtt_us;         /* from the write of the CALL to the reply */
};

typedef void (*cpsim_reply_fn)(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r);

/* ---- connection events and application hooks ---- */

enum cpsim_conn_event {
	CPSIM_EV_CONNECTED, /* handshake done */
	CPSIM_EV_REFUSED,   /* connect or handshake failed: reason set */
	CPSIM_EV_CLOSED,    /* an open connection closed: code set (1006 if none) */
};

/* Everything optional. Lifetime: copied into the ctx at creation. */
struct cpsim_hooks {
	void (*conn)(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason);
	/* Raw mode: when set, every received text frame goes here and nothing
	 * is parsed or answered. */
	void (*text)(struct cpsim_cp *cp, const char *buf, size_t len);
	/* After our answer to a server CALL is queued; status is the answer's
	 * "status" field (or NULL), so the application can act on it. */
	void (*server_call)(struct cpsim_cp *cp, const char *action, const cJSON *req, const char *status);
	/* The charger's wake time (cpsim_cp_wake_at) is reached. */
	void (*timer)(struct cpsim_cp *cp, int64_t now_us);
	/* Every tick (tick_ms), once for the whole ctx. */
	void (*tick)(struct cpsim_ctx *ctx, int64_t now_us);
	/* A server CALL was received and is about to be answered (raw stats). */
	void (*server_call_rx)(struct cpsim_cp *cp, const char *action);
};

struct cpsim_ctx_opts {
	int max_chargers;     /* sizes the fd table; also raises RLIMIT_NOFILE */
	int call_timeout_ms;  /* 0: 30000 */
	size_t max_frame;     /* biggest frame we accept; 0: 1 MiB */
	int omit_subprotocol; /* do not offer "ocpp1.6" (refusal tests) */
	int tick_ms;          /* 0: 10 */
	int lws_log_level;    /* 0: errors only */
	struct cpsim_hooks hooks;
	void *user;
};

/* Parsed ws:// URL; path without a trailing slash. */
struct cpsim_url {
	char host[256];
	int port;
	char path[512];
};

int cpsim_url_parse(const char *url, struct cpsim_url *out);

struct cpsim_ctx *cpsim_ctx_create(const struct cpsim_ctx_opts *o);
void cpsim_ctx_destroy(struct cpsim_ctx *ctx);
void *cpsim_ctx_user(struct cpsim_ctx *ctx);
/* Runs the loop until cpsim_ctx_stop() (from a hook) or an lws failure. */
int cpsim_run(struct cpsim_ctx *ctx);
void cpsim_ctx_stop(struct cpsim_ctx *ctx);
/* Thread-safe: wake the loop (e.g. from a stdin reader thread);
 * hooks.tick runs right after. */
void cpsim_ctx_wake(struct cpsim_ctx *ctx);
int64_t cpsim_now_us(void);

/* A new charger (not connected). path: the full request path
 * ("/ocpp/CP1"); NULL builds url->path + "/" + percent-encoded id. */
struct cpsim_cp *cpsim_cp_new(struct cpsim_ctx *ctx, const struct cpsim_url *url, const char *id,
			      const char *path);
/* HTTP Basic credentials "user:password" sent with the handshake. */
int cpsim_cp_set_basic(struct cpsim_cp *cp, const char *user_colon_pass);
/* Source address to bind (e.g. "127.0.0.2"), NULL for any. */
int cpsim_cp_set_source(struct cpsim_cp *cp, const char *addr);
int cpsim_connect(struct cpsim_cp *cp);
/* Reconnect automatically after a close or refusal, backoff 0.5 s doubling to
 * max_backoff_ms, at most max_tries times in a row (0: forever). */
void cpsim_cp_set_reconnect(struct cpsim_cp *cp, int max_backoff_ms, int max_tries);
void cpsim_close(struct cpsim_cp *cp, int code);
int cpsim_is_open(const struct cpsim_cp *cp);
const char *cpsim_cp_id(const struct cpsim_cp *cp);
int cpsim_cp_index(const struct cpsim_cp *cp); /* creation order, from 0 */
int cpsim_ctx_count(const struct cpsim_ctx *ctx);
struct cpsim_cp *cpsim_ctx_cp(struct cpsim_ctx *ctx, int index);
struct cpsim_ctx *cpsim_cp_ctx(struct cpsim_cp *cp);
void *cpsim_cp_user(struct cpsim_cp *cp);
void cpsim_cp_set_user(struct cpsim_cp *cp, void *user);
/* hooks.timer fires at or after at_us (0: cancel). One wake time per charger. */
void cpsim_cp_wake_at(struct cpsim_cp *cp, int64_t at_us);

/* ---- sending ---- */

/* Queue a CALL. payload: JSON object text (copied). cb may be NULL.
 * -ENOTCONN when the connection is not open (cb is not called). */
int cpsim_call(struct cpsim_cp *cp, const char *action, const char *payload, size_t len, cpsim_reply_fn cb,
	       void *arg);
int cpsim_call_json(struct cpsim_cp *cp, const char *action, cJSON *payload, cpsim_reply_fn cb, void *arg);
/* Raw frames, queued in order (raw mode); pings; nothing is checked. */
int cpsim_send_text(struct cpsim_cp *cp, const char *buf, size_t len);
int cpsim_send_ping(struct cpsim_cp *cp);
int cpsim_calls_pending(const struct cpsim_cp *cp); /* in flight + queued */
int cpsim_tx_idle(const struct cpsim_cp *cp);       /* nothing left to write */

/* ---- statistics and errors of one charger ---- */

struct cpsim_stats {
	uint64_t calls;        /* CALLs written */
	uint64_t results;      /* CALLRESULTs of the right shape */
	uint64_t errors;       /* CALLERROR, INVALID, TIMEOUT, protocol errors */
	uint64_t server_calls; /* CALLs the server sent us */
	uint64_t frames_rx;
	int reconnects;
	int close_code; /* last close code, 0 if never closed */
};
const struct cpsim_stats *cpsim_cp_stats(const struct cpsim_cp *cp);
/* Count an error and keep its message (the first CPSIM_ERRLOG_MAX). */
void cpsim_cp_error(struct cpsim_cp *cp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The kept error messages, NULL-terminated, owned by cp. */
const char *const *cpsim_cp_errlog(const struct cpsim_cp *cp);

/* ---- shapes of CALLRESULTs (cpsim_check.c) ---- */

/* 0 if payload is a valid answer to action (a CP-initiated action we know;
 * unknown actions only need an object); else -EINVAL with why in err. */
int cpsim_check_result(const char *action, const cJSON *payload, char *err, size_t errlen);

/* ---- the charger model the answers need (one per charger) ---- */

struct cpsim_connector {
	int status; /* enum cpsim_status */
	int has_tx;
	int tx_id;
	int busy;         /* the session engine runs a transaction job here */
	int unavailable;  /* ChangeAvailability Inoperative */
	double energy_wh; /* energy register */
	int has_limit;    /* last SetChargingProfile */
	double limit;
	char limit_unit;  /* 'A' or 'W' */
	int limit_phases; /* 0: not given */
	int limit_stack;
	int limit_profile_id;
	int has_reservation;
	int reservation_id;
	/* the wallbox's car (cpsim_wallbox.c): what it draws now and what it
	 * will draw once its reaction time is over */
	double draw_a;   /* per phase (AC) or DC current */
	int draw_phases; /* phases it draws on now (AC) */
	double next_a;   /* where it goes */
	int next_phases;
	int64_t next_at_us; /* when it gets there; 0 = nothing pending */
	int64_t sampled_us; /* last energy integration */
};

enum cpsim_status {
	CPSIM_ST_AVAILABLE,
	CPSIM_ST_PREPARING,
	CPSIM_ST_CHARGING,
	CPSIM_ST_SUSPENDED_EV,
	CPSIM_ST_SUSPENDED_EVSE,
	CPSIM_ST_FINISHING,
	CPSIM_ST_RESERVED,
	CPSIM_ST_UNAVAILABLE,
	CPSIM_ST_FAULTED,
};
const char *cpsim_status_name(int status);

/* How a wallbox with a car behaves (cpsim_wallbox.c). Lifetime: inside
 * struct cpsim_model; all 0 (on = 0) is the plain simulator. */
#define CPSIM_UNIT_A 1u /* ChargingScheduleAllowedChargingRateUnit "Current" */
#define CPSIM_UNIT_W 2u /* "Power" */
#define CPSIM_AC_V 230.0
#define CPSIM_DC_V 400.0
struct cpsim_wallbox {
	int on;
	int phases;        /* wired: 1 or 3 */
	int ignore_phases; /* draws on its wired phases whatever numberPhases says */
	unsigned units;    /* CPSIM_UNIT_A | CPSIM_UNIT_W it accepts in a profile */
	int dc;            /* DC: an A limit is DC current at CPSIM_DC_V, a W limit power */
	int no_smart;      /* no SmartCharging: profile calls answered NotSupported */
	double car_max_a;  /* the car's maximum (AC per phase, or DC current) */
	double max_a;      /* the charger's own rating, same unit */
	int react_ms;      /* the car follows a new limit after this */
	unsigned profiles, rejected, not_supported; /* SetChargingProfile calls seen */
	unsigned phases_seen; /* bit n: a profile accepted with numberPhases n (bit 0: none given) */
	unsigned units_seen;  /* CPSIM_UNIT_* of the profiles accepted */
};

/* Lifetime: inside struct cpsim_cp; conn[0] is the charger as a whole. */
struct cpsim_model {
	int connectors; /* 1..CPSIM_MAX_CONNECTORS */
	struct cpsim_connector conn[CPSIM_MAX_CONNECTORS + 1];
	int remote_tx;              /* the application starts/stops transactions on request */
	int remote_start_connector; /* set by an accepted RemoteStartTransaction */
	int local_list_version;
	int heartbeat_interval; /* s, from BootNotification.conf or ChangeConfiguration */
	char vendor[21], model[21];
	struct cpsim_cfg *cfg; /* configuration keys, created on first use */
	struct cpsim_wallbox wb;
};
struct cpsim_model *cpsim_cp_model(struct cpsim_cp *cp);

/* Answer one server CALL (called by the core; exposed for tests). Builds
 * *resp (caller frees) or returns a CALLERROR code string (static). */
const char *cpsim_answer(struct cpsim_cp *cp, const char *action, const cJSON *req, cJSON **resp);
void cpsim_model_free(struct cpsim_model *m);

/* ---- CP-initiated messages (cpsim_msgs.c) ---- */

/* Wall clock in microseconds since the epoch (timestamps of messages). */
int64_t cpsim_wall_us(void);
/* ISO 8601 UTC with milliseconds ("2024-01-01T12:00:00.000Z"); len >= 32. */
void cpsim_iso_time(int64_t wall_us, char *buf, size_t len);

enum cpsim_measurands { /* bit set for cpsim_format_meter_values */
			CPSIM_MV_ENERGY = 1,
			CPSIM_MV_POWER = 2,
			CPSIM_MV_CURRENT = 4,
			CPSIM_MV_VOLTAGE = 8,
			CPSIM_MV_SOC = 16,
			CPSIM_MV_TEMPERATURE = 32,
			CPSIM_MV_POWER_FACTOR = 64,
			CPSIM_MV_FREQUENCY = 128,
};
#define CPSIM_MV_SESSION                                                                         \
	(CPSIM_MV_ENERGY | CPSIM_MV_POWER | CPSIM_MV_CURRENT | CPSIM_MV_VOLTAGE | CPSIM_MV_SOC | \
	 CPSIM_MV_TEMPERATURE)
#define CPSIM_MV_LOAD                                                                                     \
	(CPSIM_MV_ENERGY | CPSIM_MV_POWER | CPSIM_MV_CURRENT | CPSIM_MV_VOLTAGE | CPSIM_MV_POWER_FACTOR | \
	 CPSIM_MV_FREQUENCY)

/* MeterValues payload text into buf (no allocation). tx_id < 0: none.
 * amps: per-phase current drawn; context: "Sample.Periodic" etc. Returns the
 * length, or -ENOSPC. 4 KiB is always enough. */
int cpsim_format_meter_values(char *buf, size_t len, int connector, int tx_id, int64_t ts_us,
			      double energy_wh, double amps, unsigned measurands, const char *context);

int cpsim_send_boot(struct cpsim_cp *cp, cpsim_reply_fn cb, void *arg);
int cpsim_send_heartbeat(struct cpsim_cp *cp, cpsim_reply_fn cb, void *arg);
int cpsim_send_status(struct cpsim_cp *cp, int connector, int status, cpsim_reply_fn cb, void *arg);
int cpsim_send_meter_values(struct cpsim_cp *cp, int connector, const char *context, cpsim_reply_fn cb,
			    void *arg);
/* A reply callback that only counts non-RESULT replies as errors. */
void cpsim_reply_expect_ok(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r);

/* ---- the wallbox with a car (cpsim_wallbox.c) ---- */

/* The limit in force on connector c (min of its own profile and the
 * ChargePointMaxProfile on 0), in A per phase (AC) or DC A, with the
 * phases the car would draw on; no profile: the charger's rating. */
double cpsim_wallbox_limit(const struct cpsim_cp *cp, int c, int *phases);
/* Brings connector c's car up to now_us: what it is to draw (the limit in
 * force, the car's maximum, 0 without a transaction or below 6 A on AC)
 * reached after react_ms; integrates the energy register. */
void cpsim_wallbox_update(struct cpsim_cp *cp, int c, int64_t now_us);
/* MeterValues of connector c as the wallbox measures it: AC Current.Import
 * and Power.Active.Import per phase L1..L3, Voltage, the total power and
 * the energy register; DC the same without phases. Length or -ENOSPC. */
int cpsim_wallbox_meter_values(const struct cpsim_cp *cp, int c, char *buf, size_t len, int64_t ts_us,
			       const char *context);
/* The wallbox summary (drawA, phases, powerW, profiles...); caller frees. */
cJSON *cpsim_wallbox_summary(const struct cpsim_cp *cp);

/* ---- the scripted session engine (cpsim_session.c) ---- */

struct cpsim_session_opts {
	int connectors;   /* 1..CPSIM_MAX_CONNECTORS */
	int transactions; /* per connector */
	int meter_values; /* per transaction */
	int interval_ms;  /* between meter values; boot retry fallback */
	const char *id_tag;
	int boot_retries;    /* Pending/Rejected answers tolerated */
	int boot_retry_ms;   /* longest wait before retrying a boot; 0: 2000 */
	int heartbeat_max_s; /* heartbeat interval bound */
	int stay_s;          /* stay connected after the script, answering */
	int remote_mv_ms;    /* meter value period of remote transactions; 0: 1000 */
	int remote_max_s;    /* remote transactions stop (Local) after; 0: never */
	int allow_refused;   /* a refused idTag ends the job without failing */
	int reconnect;       /* survive connection losses (re-boot, resend) */
};

/* Attach the engine to cp and start it when the connection opens. The
 * session must be driven by the engine's hooks: see cpsim_session_hooks. */
int cpsim_session_attach(struct cpsim_cp *cp, const struct cpsim_session_opts *o);
/* Hooks to put in cpsim_ctx_opts for chargers run by the engine. */
extern const struct cpsim_hooks cpsim_session_hooks;
int cpsim_session_done(const struct cpsim_cp *cp); /* finished, ok or not */
int cpsim_session_ok(const struct cpsim_cp *cp);   /* finished without error */
/* The charger's summary object (caller frees). */
cJSON *cpsim_session_summary(const struct cpsim_cp *cp);
void cpsim_session_free(struct cpsim_cp *cp);

#endif
