/* history.h: the station's measured history in the daemon. Each station
 * step (energy.c calls history_station_step) holds the measurement until
 * the next one and integrates it into buckets of history_step_s on the
 * station's clock; a bucket that ends is written in the turn's group
 * commit to its own row and added into its 15-minute and hourly rows
 * (downsampling as it goes), keyed by the bucket's start, and old rows are
 * pruned per tier (history_fine_days, history_15min_days,
 * history_hourly_days). Each charging session's cost and PV share are kept
 * with its transaction at each meter value (history_tx_meter). The
 * arithmetic is station/station_history.c's.
 *
 * Threading: the lws service thread only. Ownership: app->history is made
 * at the first station step and freed by history_free(). */
#ifndef CSMS_HISTORY_H
#define CSMS_HISTORY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct csms;
struct csms_config;
struct charger;
struct err_info;
struct station_config;
struct station_state;
struct station_input;
struct station_output;
struct station_src_reading;

/* history_step_s must divide 900 (a bucket never straddles a price slot
 * or a 15-minute row). 0, or -1 with err naming the key. */
int history_check_config(const struct csms_config *cfg, char *err, size_t errlen);

/* One station step at t_ms (the station's clock) with its input, the
 * reading it came from and its outputs; stale: why the measurements were
 * not usable (NULL: they were), then the time until the next step is not
 * measured. Borrowed for the call. */
void history_station_step(struct csms *app, int64_t t_ms, const struct station_config *cfg,
			  const struct station_state *st, const struct station_input *in,
			  const struct station_src_reading *rd, const struct station_output *out,
			  const char *stale);
/* At shutdown, before the last commit and before energy_free(): writes the
 * bucket being filled (a restart adds the rest into the same rows) and
 * frees app->history. */
void history_free(struct csms *app);

/* A new energy register reading wh (Wh) of transaction tx_id (0: the
 * connector's active one) at ts_ms: the interval since the last one costs
 * its energy at the tariff of its time (energy_price_at) and takes the
 * share of EV power that grid import did not cover while it ran (the
 * station's flows integrated per connector; the share now when the
 * interval has no integrated EV power); written to the transaction in this
 * turn. A reading not newer than the last, or below it, changes nothing. */
void history_tx_meter(struct csms *app, struct charger *ch, int connector, int64_t tx_id, double wh,
		      int64_t ts_ms);

/* The measured flows of the last usable step (for /metrics). */
struct history_live {
	double pv_w, load_w, bat_w, soc_pct, grid_w, ev_w;
};
int history_live(struct csms *app, struct history_live *out); /* 0, or -1 none yet */

/* GET /api/v1/history and /api/v1/energy. from/to: unix ms, has_* 0 when
 * not given; step_s 0: chosen. New trees, or NULL with e (ERR_BAD_REQUEST
 * naming the parameter, ERR_INTERNAL). */
struct history_query {
	int has_from, has_to;
	int64_t from_ms, to_ms;
	long step_s;
};
cJSON *history_series_json(struct csms *app, const struct history_query *q, struct err_info *e);
cJSON *history_energy_json(struct csms *app, const struct history_query *q, int by_month, struct err_info *e);

#endif
