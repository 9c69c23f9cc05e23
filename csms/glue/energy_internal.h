/* energy_internal.h: what the station glue's files share (energy.c: the
 * step and lifecycle, settings and measurements; energy_sites.c: the
 * other sites' stations; energy_json.c: what the API reads). Not for any
 * other file: the rest of the daemon uses energy.h. */
#ifndef CSMS_ENERGY_INTERNAL_H
#define CSMS_ENERGY_INTERNAL_H

#include "alarms.h"
#include "store.h"

#include "station.h"
#include "station_source.h"

#include <stdint.h>

struct csms;

#define META_SETTINGS "station"
#define META_PRICES "station_prices"
#define META_FORECAST "station_forecast" /* what the optimiser learned (station_forecast_io.c) */
#define META_SOURCE "station_source"     /* another site's source; "" or absent: no station */
#define SITES_SYNC_MS 5000               /* a fleet node reads the kept stations this often */
#define FORECAST_SAVE_MS (10 * 60000)    /* kept at most this often (real time), and at the end */
#define META_MAX (256 * 1024)            /* largest settings / price list text kept */
#define MAX_POWER_W 1e7                  /* plausibility bound of pushed powers */
#define FUTURE_SLACK_MS 60000            /* a pushed timestamp may be this far ahead of us */
#define ENERGY_MAX_OUTAGES 16            /* station_sim_outages entries */

/* One per site with a station: the default site's (app->energy) from
 * energy_init to energy_free, another site's (a list from app->energy's
 * next) from its first PUT /api/v1/sites/{id}/station (or, at start and
 * in a fleet, from what the store keeps) to its DELETE. */
/* A station's site alarms (energy_alarms), each one watch. */
enum energy_alarm { EA_SOURCE, EA_EMS, EA_PEAK, EA_OFFGRID, ENERGY_ALARMS };

struct energy {
	struct csms *app;
	struct energy *next;     /* the other sites' stations (on the default one's list) */
	char site[STORE_ID_MAX]; /* STORE_SITE_DEFAULT for app->energy */
	int is_default;
	station_src_opts opts; /* the modbus source's options (host, port, unit, map) */
	char map_spec[256];    /* the map as given (a name or a file) */
	char meta_settings[STORE_ID_MAX + 24], meta_prices[STORE_ID_MAX + 24];
	char meta_forecast[STORE_ID_MAX + 24], meta_source[STORE_ID_MAX + 24];
	uint64_t kept_hash; /* of the kept settings last applied or written */
	int64_t synced_ms;  /* the default one's: the last energy_sync_sites */
	int lead;           /* this node runs the site's loop (drives the source, steps) */
	char alarm_src[ENERGY_ALARMS][STORE_ID_MAX + 24]; /* the watches' sources ("stationSource@garage") */
	station_config cfg;                               /* the settings */
	station_config eff; /* cfg + chargers known only through their chargingMode setting */
	unsigned char from_charger[STATION_MAX_CHARGERS]; /* eff entry came from a charger setting */
	station_charger_cfg charger_default;
	station_config *file_cfg; /* defaults + the station_settings file: what "api" differs from */
	cJSON *file_keys;         /* the top-level keys the file gives (an object of true) */
	station_state *st;        /* ~100 KB: the planner's tables */
	cJSON *feeds; /* {"prices": {...}, "pvForecast": {...}}: integ/'s reports (energy_set_feed) */
	station_input in;
	station_output out;
	int have_out;
	const char *stale; /* why the last step ran on safe outputs, NULL when it did not */
	int64_t next_tick_ms;
	int64_t clock_ms; /* station clock of the last step (simulated time with sim) */
	uint64_t steps;
	/* source */
	station_src_kind kind;
	station_source *src;
	int map_gross; /* the map's load register includes EVs and controlled loads */
	char map_name[32];
	station_src_reading rd; /* the measurement the last step used; ts_ms on our clock */
	int have_rd;
	uint64_t seq;
	station_src_health health;
	int on_grid;      /* api may report an outage */
	int last_on_grid; /* of the last step, to log a change */
	/* the simulated house's outages (station_sim_outages): [start, end) ms, simulated time */
	int n_outages;
	int64_t outages[ENERGY_MAX_OUTAGES][2];
	/* the simulated house: the source sim's, and the DLM sensor sim's
	 * whatever the source (then with an idle battery) */
	station_house house;
	int64_t sim_real0, sim_t0;
	/* remote EMS setpoint as last given, for GET */
	int ems_set, ems_grid;
	double ems_w;
	int64_t ems_clock_ms;
	/* the learned forecast as kept in the store */
	int fc_restored;     /* it was loaded at start */
	int fc_started;      /* init finished: energy_free may save */
	int64_t fc_saved_ms; /* real time of the last save */
	uint32_t fc_saved_n; /* fc.load_mean_n then: nothing new, nothing written */
	/* price list summary, for GET */
	int64_t prices_start_ms;
	int prices_slot_s, prices_n;
	/* the site alarms of the station (energy_alarms), from energy_init on */
	int64_t started_ms;
	struct alarms_watch alarm[ENERGY_ALARMS];
};

/* A log line's prefix naming another site's station ("site garage: "),
 * nothing for the default site's: "%s%s%s" then ESITE(e). */
#define ESITE(e) (e)->is_default ? "" : "site ", (e)->is_default ? "" : (e)->site, (e)->is_default ? "" : ": "

/* energy.c */
struct energy *energy_new(struct csms *app, const char *site, station_src_kind kind,
			  const station_src_opts *opts, const char *map_spec);
/* The kept settings, prices and forecast; where this node runs the site's
 * loop (and not defer) the source started and a first step. */
int energy_start(struct energy *e, int defer, char *err, size_t errlen);
/* The Modbus driver started (run) or stopped; 0, or -1 with err. */
int energy_source_run(struct energy *e, int run, char *err, size_t errlen);
/* A meta key's text (malloc'd in *out, NULL when absent): 0, or -1 when
 * the store does not answer. */
int energy_meta_read(struct csms *app, const char *key, char **out);
int energy_price_of(const struct energy *e, int64_t ms, double *import_price, double *export_price);
void energy_free_one(struct energy *e);
void energy_apply_kept(struct energy *e, const char *kept);
uint64_t energy_text_hash(const char *text);
char *energy_meta_text(struct csms *app, const char *key); /* malloc'd, NULL when absent */
void energy_forecast_save(struct energy *e, int force);
/* One station step now, on what it measured last (the caller runs the
 * site's loop: e->lead). */
void energy_step(struct energy *e);
/* The kept settings applied again when they are not what this node last
 * applied or wrote (another node changed them). */
void energy_reread_settings(struct energy *e);
int64_t energy_station_clock(const struct energy *e);
void energy_derive_entries(struct csms *app, station_config *c);
void energy_take_reading(struct energy *e);

#endif
