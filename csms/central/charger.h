/* charger.h: what the daemon keeps in memory about each known charger,
 * connected or not: registration, settings, per-connector state and the
 * latest measurements. In memory are the accepted chargers and the ones
 * connected; a charger that is not accepted is let go when its last
 * connection closes (and by charger_sweep when a lookup loaded it), so
 * ids that only pass by cost nothing for good. The registry owns every
 * entry; the durable copy of what matters lives in the store. */
#ifndef CSMS_CHARGER_H
#define CSMS_CHARGER_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "authkey.h"
#include "store.h"

#define CHARGER_MAX_CONN 16 /* connectors 0..15 tracked live; higher ids are still stored */

/* Latest measurements of one connector (NAN = not reported). */
struct charger_live {
	double power_w, energy_wh, soc_pct, temperature_c, frequency_hz;
	double current_a[3], voltage_v[3], power_phase_w[3];
	double current_offered_a;
	double voltage_any_v; /* Voltage without a phase (a DC charger's, or a single-phase one's) */
	int64_t ts_ms;        /* 0 = nothing yet */
};

struct charger_conn {
	char status[24]; /* ChargePointStatus, "" unknown */
	char error_code[32];
	int64_t tx_id;                 /* active transaction, 0 none */
	char tx_id_tag[STORE_TAG_MAX]; /* its idTag and start, while tx_id */
	int64_t tx_start_ms;
	struct charger_live live;
	/* A transaction's running figures as last read or written (history's
	 * per meter value; charger_tx_meter), for the connection `txm_link`
	 * only: a charger that comes back may have been held by another node
	 * meanwhile. NULL until the first. */
	struct store_tx_meter *txm;
	unsigned txm_link;
};

/* A charger's own cap, maxCurrentA: 0 (none: dlm_default_max_a applies) or
 * CHARGER_MAX_CURRENT_MIN_A to CHARGER_MAX_CURRENT_MAX_A, A (charger_settings_parse
 * refuses the rest; MQTT's number entity offers the same range). */
#define CHARGER_MAX_CURRENT_MIN_A 6
#define CHARGER_MAX_CURRENT_MAX_A 500

/* Per-charger settings (PUT /api/v1/chargers/{id}). */
struct charger_settings {
	int phases;                 /* 1 or 3 */
	int grid_phase;             /* 1..3 for a single-phase charger */
	double max_current_a;       /* manual cap (CHARGER_MAX_CURRENT_*); 0 = the default */
	char charging_mode[16];     /* a station_ev_modes[].charger: fast, solarBoost, pv */
	int authorization_required; /* 0: any car charges without a card */
	char free_id_tag[STORE_TAG_MAX];
	int has_auth_key;
	char phase_switching[12]; /* how it switches 1/3 phases: "none" (it cannot, or we do
				     not know), "profile" (it follows numberPhases) */
	char kind[8];             /* "auto" (from its meter values), "ac", "dc" */
	char site[STORE_ID_MAX];  /* the site it belongs to (store_charger_set_site; the store's is
				     the truth, loaded with the charger) */
};

/* What a charger says of itself (GetConfiguration after its boot, OCPP 1.6
 * 9.1/9.4) and what it showed: kept in the store (meta "caps.<id>") so that
 * a restart knows it before the charger is asked again. */
#define CHARGER_UNIT_A 1u /* ChargingScheduleAllowedChargingRateUnit "Current" */
#define CHARGER_UNIT_W 2u /* "Power" */
struct charger_caps {
	unsigned units; /* CHARGER_UNIT_*, 0 = not known (amps are sent) */
	int smart;      /* SmartCharging: 1 listed, 0 not listed or answered NotSupported, -1 not known */
	int switch3to1; /* ConnectorSwitch3to1PhaseSupported: 1, 0, -1 not known */
	int wired_phases; /* ConnectorPhaseRotation: 1 NotApplicable (single phase or DC), 3 a rotation, 0 not known */
	int dc_seen;     /* its MeterValues show a DC charger (Voltage without phase above 260 V) */
	int phase_fault; /* it did not follow a phase switch: none until an admin changes phaseSwitching */
};

/* What DLM decided for a charger and what it holds (control.c). */
struct charger_dlm {
	uint32_t id;    /* stable key for the dlm state, 0 = none yet */
	double limit_a; /* last decision */
	int phases;
	const char *reason;
	double draw_a[3];
	double sent_limit_a; /* installed on the charger; < 0 = nothing yet */
	double prev_limit_a; /* installed before the last change */
	int64_t changed_ms;  /* when the installed limit last changed */
	int sent_phases;
	int need_send; /* (re)install at the next decision */
	int in_flight;
	unsigned call_gen; /* which profile call in_flight refers to */
	int rejected;      /* the charger refused our last profile */
	int64_t rejected_ms;
	char profile_status[32]; /* its answer to our last SetChargingProfile */
	char sent_unit;          /* 'A' or 'W' of the last profile sent, 0 none */
	double sent_rate;        /* its limit in that unit */
	int64_t phase_cmd_ms;    /* when a change of numberPhases was accepted, 0 never */
	int lang_asked;          /* GetConfiguration sent on this connection (before its first limit) */
	int lang_pending;        /* and not answered yet: the limit waits for it */
	unsigned lang_gen;       /* which connection's query lang_pending waits for (its own
				    counter: a profile call between them must not void the answer) */
	double last_sent_a;      /* the limit (A) of the last profile sent, < 0 none yet */
	int64_t over_since_ms;   /* drawing over its installed limit since (dlm_send_follow_check), 0 not */
	int follow_shown; /* its LimitNotFollowed alarm as last written: 0 unknown, 1 clear, 2 raised */
};

/* Nothing known of a connector: what charger_conn_get gives for one not
 * seen. */
extern const struct charger_conn charger_conn_blank;

struct session;
struct charger {
	char id[STORE_ID_MAX];
	enum store_registration reg;
	struct session *session; /* NULL when not connected */
	unsigned links;          /* connections attached so far (charger_tx_meter) */
	int64_t last_seen_ms;    /* its last message (or connection) */
	int64_t seen_stored_ms;  /* last_seen_ms as last written to the store */
	struct charger_settings settings;
	struct charger_caps caps;
	/* Connectors 0..nconn-1, grown as they are seen (most chargers have
	 * one to three: a fixed array of CHARGER_MAX_CONN was 3.7 KiB of the
	 * ~7 an idle charger cost). Read with charger_conn_get, write with
	 * charger_conn_at. */
	struct charger_conn *conns;
	int nconn;
	struct charger_dlm dlm;
	int reinstall_profiles;          /* send the stored charging profiles again (after a boot) */
	int64_t booted_ms;               /* the boot they were lost in: later ones are not resent */
	int offline_state;               /* offline alarm as last written: 0 unknown, 1 online, 2 raised */
	struct authkey_cache auth_cache; /* the password that last verified; memory only */
	int nsessions;         /* connections pointing here (the current one and replaced ones closing) */
	int removed;           /* out of the registry; freed when nsessions drops to 0 */
	struct charger *hnext; /* hash chain */
	struct charger *next;  /* list of all, for iteration */
	struct charger *prev;
};

/* Connector k's state, for reading: charger_conn_blank when it was never
 * seen or k is out of range. */
static inline const struct charger_conn *charger_conn_get(const struct charger *c, int k)
{
	return k >= 0 && k < c->nconn ? &c->conns[k] : &charger_conn_blank;
}
/* A transaction's running figures kept since this connection began, or
 * NULL (read them from the store, then charger_tx_meter_keep). */
struct store_tx_meter *charger_tx_meter(struct charger *c, int64_t tx_id);
/* Keeps a copy of m (its connector's); memory only. */
void charger_tx_meter_keep(struct charger *c, const struct store_tx_meter *m);
/* Connector k's state, for writing: the array grown to hold it (blank
 * entries); NULL when k is outside 0..CHARGER_MAX_CONN-1 or out of memory.
 * A pointer from it lasts until the next charger_conn_at. */
struct charger_conn *charger_conn_at(struct charger *c, int k);

struct charger_registry;

/* What the layers above hear about chargers, set once by the app
 * (app/wiring.c); either may be NULL. */
struct charger_events {
	void *ctx;
	void (*booted)(void *ctx, struct charger *c);  /* accepted at a BootNotification */
	void (*changed)(void *ctx, struct charger *c); /* status, transaction or profiles changed */
	/* a new energy register reading (Wh) of a transaction (tx_id 0: none
	 * named) on a connector, at ts_ms: a meter value or the meterStop */
	void (*metered)(void *ctx, struct charger *c, int connector, int64_t tx_id, double wh, int64_t ts_ms);
};

struct charger_registry *charger_registry_new(void);
void charger_registry_set_events(struct charger_registry *r, const struct charger_events *ev);
/* Tell the listeners (DLM re-decides). */
void charger_booted(struct charger_registry *r, struct charger *c);
void charger_changed(struct charger_registry *r, struct charger *c);
void charger_metered(struct charger_registry *r, struct charger *c, int connector, int64_t tx_id, double wh,
		     int64_t ts_ms);
void charger_registry_free(struct charger_registry *r);
/* Looks up a charger in memory, loading it from the store when it is known
 * there; creates nothing. NULL when unknown. */
struct charger *charger_find(struct charger_registry *r, struct store *st, const char *id);
/* Like charger_find but creates the in-memory entry (registration REG_UNKNOWN). */
struct charger *charger_get(struct charger_registry *r, struct store *st, const char *id);
struct charger *charger_first(struct charger_registry *r);
/* A hash of what a state feed shows of every charger and changes without a
 * measurement (registration, connected, mode, maximum, connectors' status
 * and transaction): equal hashes, nothing of that changed. No store read. */
uint64_t charger_registry_signature(struct charger_registry *r);
size_t charger_count(const struct charger_registry *r);

/* Every change of c->reg goes through here (the registry counts the
 * unknown entries). */
void charger_set_reg(struct charger_registry *r, struct charger *c, enum store_registration reg);
/* A connection to c: charger_hold when it is established, charger_release
 * when it has closed. The last release frees a charger that is not
 * accepted, or was removed. */
void charger_hold(struct charger *c);
void charger_release(struct charger_registry *r, struct charger *c);
/* Takes c out of the registry (the charger was deleted); it is freed now,
 * or by the release of its last connection. */
void charger_remove(struct charger_registry *r, struct charger *c);
/* Frees every entry that is not accepted and has no connection (loaded by
 * a lookup); the number freed. */
size_t charger_sweep(struct charger_registry *r);
/* May a new connection with this id come in? 0 yes: it is known (in memory
 * or in the store), or pending chargers in the store plus unknown ones in
 * memory are fewer than max_pending. 1 no, <0 store error. */
int charger_admit(struct charger_registry *r, struct store *st, const char *id, int max_pending);

void charger_settings_default(struct charger_settings *s);
/* Parses settings JSON (the API's names) over *s. 0, or -1 with err naming the field. */
int charger_settings_parse(struct charger_settings *s, const cJSON *json, char *err, size_t errlen);
/* A site id as a charger's: 1 to 48 characters, none of them a control
 * character or one of / ? # % (it is a path segment of the API). 1 ok. */
int charger_site_id_ok(const char *id);
cJSON *charger_settings_json(const struct charger_settings *s);

void charger_caps_default(struct charger_caps *c);
/* The capabilities as JSON (the API's names) and back; parse ignores what it
 * does not know (a newer version's fields). */
cJSON *charger_caps_json(const struct charger_caps *c);
void charger_caps_parse(struct charger_caps *c, const cJSON *j);
/* Reads a GetConfiguration answer's configurationKey array into c; 1 when
 * something changed, else 0. */
int charger_caps_from_config(struct charger_caps *c, const cJSON *keys);
/* Keeps c->caps in the store. 0 or <0. */
int charger_caps_save(struct store *st, const struct charger *c);
/* A DC charger: kind "dc", or "auto" and its meter values showed one. */
int charger_is_dc(const struct charger *c);
/* The phases it draws on: its setting, or 1 when it says it is wired on one (AC). */
int charger_phases(const struct charger *c);
/* May its phases be switched (1 <-> 3)? Only when phaseSwitching says how,
 * it is a three-phase AC charger, and it has not been seen to ignore a switch. */
int charger_can_switch_phases(const struct charger *c);
cJSON *charger_live_json(const struct charger *c);

/* Reads c's settings and registration again from the store (another node
 * changed them). 0, or <0 (store error, or the charger is gone: c keeps
 * what it had). */
int charger_reload(struct charger_registry *r, struct charger *c, struct store *st);

/* Rebuilds what the connectors were doing from the store (last status, the
 * open transaction on each with its idTag and start), so that a restart
 * forgets no running session. Called when a known charger is loaded. 0 or <0. */
int charger_restore(struct charger *c, struct store *st);

/* The energy register (Energy.Active.Import.Register of the whole charger,
 * in Wh) in a sampledValue array: 0, or -1 when it holds none. */
int charger_energy_register(const cJSON *sampled, double *wh);
/* Updates the live values of a connector from one meterValue element. */
void charger_live_update(struct charger *c, int connector, const cJSON *sampled, int64_t ts_ms);

#endif
