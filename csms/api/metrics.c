/* metrics.c: GET /metrics (Prometheus text format 0.0.4). Counters are
 * plain arrays (struct rpc_stats, commands_stats, csms_stats), bumped on the hot path without
 * allocation; the text is built only when scraped. */
#include "metrics.h"
#include "server.h"
#include "actions.h"
#include "admin.h"
#include "charger.h"
#include "commands.h"
#include "control.h"
#include "csms.h"
#include "csms_version.h"
#include "energy.h"
#include "history.h"
#include "http.h"
#include "session.h"
#include "store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the text ---- */

struct text {
	char *p;
	size_t len, cap;
	int oom;
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
	if (t->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t nc = (t->cap + (size_t)n + 1) * 2;
		char *np = realloc(t->p, nc);
		if (!np) {
			t->oom = 1;
			return;
		}
		t->p = np;
		t->cap = nc;
	}
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct text *t, const char *name, const char *help, double v)
{
	head(t, name, "gauge", help);
	put(t, "%s %.17g\n", name, v);
}

static void counter(struct text *t, const char *name, const char *help, double v)
{
	head(t, name, "counter", help);
	put(t, "%s %.17g\n", name, v);
}

/* A charger's id as a label value: backslash, quote and newline escaped (text format 0.0.4). */
static const char *label(const char *id, char *buf, size_t len)
{
	size_t n = 0;
	for (; *id && n + 3 < len; id++) {
		if (*id == '\\' || *id == '"' || *id == '\n')
			buf[n++] = '\\';
		buf[n++] = *id == '\n' ? 'n' : *id;
	}
	buf[n] = 0;
	return buf;
}

/* One gauge per phase (NAN: the series is left out). */
static void phases(struct text *t, const char *name, const char *help, const double v[3])
{
	head(t, name, "gauge", help);
	for (int p = 0; p < 3; p++)
		if (isfinite(v[p]))
			put(t, "%s{phase=\"L%d\"} %.17g\n", name, p + 1, v[p]);
}

/* Every site's grid, headroom and sensor (issue 15), one family at a time
 * (a family's samples stay together, as the text format wants). */
struct site_pass {
	struct text *t;
	int which; /* 0 grid current, 1 headroom, 2 sensor healthy */
};

static int site_row(void *arg, const char *site, const struct control_sensor_info *si, const double cur[3],
		    const double head[3])
{
	struct site_pass *sp = arg;
	char id[2 * STORE_ID_MAX];
	label(site, id, sizeof id);
	if (sp->which == 2) {
		put(sp->t, "csms_site_sensor_healthy{site=\"%s\",type=\"%s\"} %d\n", id, si->type,
		    si->healthy);
		return 0;
	}
	const double *v = sp->which ? head : cur;
	for (int p = 0; p < 3; p++)
		if (isfinite(v[p]))
			put(sp->t, "%s{site=\"%s\",phase=\"L%d\"} %.17g\n",
			    sp->which ? "csms_site_dlm_headroom_amperes" : "csms_site_grid_current_amperes",
			    id, p + 1, v[p]);
	return 0;
}

static void sites(struct text *t, struct csms *app)
{
	static const char *const fam[3][2] = {
		{ "csms_site_grid_current_amperes", "a site's grid current per phase, import > 0" },
		{ "csms_site_dlm_headroom_amperes", "current a site's DLM may still give per phase" },
		{ "csms_site_sensor_healthy", "1 when a site's grid sensor reading is fresh" },
	};
	for (int w = 0; w < 3; w++) {
		struct site_pass sp = { t, w };
		head(t, fam[w][0], "gauge", fam[w][1]);
		control_site_each(app, site_row, &sp);
	}
}

/* The live flows: the grid per phase and DLM's headroom, the station's
 * measured flows (glue/history.c), and per charger (only with the token:
 * ids) its DLM limit and power. */
static void flows(struct text *t, struct csms *app, int with_ids)
{
	double a[3], head_a[3];
	char id[2 * STORE_ID_MAX];
	if (control_grid(app, a, head_a) >= 0) {
		phases(t, "csms_grid_current_amperes",
		       "grid current per phase at the connection point, import > 0", a);
		phases(t, "csms_dlm_headroom_amperes", "current DLM may still give per phase", head_a);
	}
	struct history_live l;
	if (history_live(app, &l) == 0) {
		gauge(t, "csms_pv_power_watts", "PV power", l.pv_w);
		gauge(t, "csms_battery_power_watts", "battery power, charging > 0", l.bat_w);
		gauge(t, "csms_battery_soc_percent", "battery state of charge", l.soc_pct);
		gauge(t, "csms_home_load_watts", "home consumption without the chargers", l.load_w);
		gauge(t, "csms_grid_power_watts", "grid power, import > 0", l.grid_w);
		gauge(t, "csms_ev_power_watts", "power of all chargers", l.ev_w);
	}
	int on_grid;
	double unserved;
	if (energy_grid_state(app, &on_grid, &unserved) == 0) {
		gauge(t, "csms_station_on_grid", "1 while the grid is there, 0 off grid (outage)", on_grid);
		gauge(t, "csms_station_unserved_watts", "off grid: load the station cannot serve", unserved);
	}
	if (!with_ids)
		return;
	head(t, "csms_charger_limit_amperes", "gauge",
	     "the limit DLM decided for a connected charger, per phase");
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
		if (ch->session && ch->reg == REG_ACCEPTED && ch->dlm.id)
			put(t, "csms_charger_limit_amperes{charger=\"%s\"} %.17g\n",
			    label(ch->id, id, sizeof id), ch->dlm.limit_a);
	head(t, "csms_charger_power_watts", "gauge", "what a connected charger draws (its meter values)");
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next) {
		if (!ch->session)
			continue;
		double w = 0;
		for (int k = 1; k < CHARGER_MAX_CONN; k++)
			if (charger_conn_get(ch, k)->live.ts_ms &&
			    isfinite(charger_conn_get(ch, k)->live.power_w))
				w += charger_conn_get(ch, k)->live.power_w;
		put(t, "csms_charger_power_watts{charger=\"%s\"} %.17g\n", label(ch->id, id, sizeof id), w);
	}
}

static const char *outcome_name(int col)
{
	if (col == OCPP_OK)
		return "result";
	if (col == COMMANDS_OUT_TIMEOUT)
		return "timeout";
	if (col == COMMANDS_OUT_CLOSED)
		return "closed";
	return ocpp_error_code((enum ocpp_status)col);
}

void metrics_api(struct route_ctx *c)
{
	struct csms *app = c->app;
	const struct commands_stats *st = &app->calls;
	const struct rpc_stats *rs = &app->rpc.stats;
	struct text t = { malloc(16384), 0, 16384, 0 };
	int nrows;
	const struct action_row *rows = actions_table(&nrows);
	if (!t.p) {
		admin_error(c->t, 500, "InternalError", "out of memory");
		return;
	}
	if (nrows > OCPP_ACT_COUNT)
		nrows = OCPP_ACT_COUNT;

	/* chargers and their call queues */
	size_t connected = 0, queued = 0, inflight = 0, qmax = 0, held = 0;
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next) {
		struct session *s = ch->session;
		if (!s)
			continue;
		connected++;
		size_t q = 0;
		for (struct pending_call *p = s->queue_head; p; p = p->next)
			q++;
		for (struct outmsg *m = s->held_head; m; m = m->next)
			held++;
		queued += q;
		inflight += s->inflight != NULL;
		if (q > qmax)
			qmax = q;
	}
	struct store_counts sc;
	int have_counts = store_counts(app->store, &sc) == 0;
	if (have_counts)
		gauge(&t, "csms_chargers_known", "chargers registered in the store", (double)sc.chargers);
	head(&t, "csms_build_info", "gauge", "the version of the running csmsd (the value is always 1)");
	put(&t, "csms_build_info{version=\"%s\"} 1\n", CSMS_VERSION);
	gauge(&t, "csms_chargers_connected", "chargers with an open OCPP connection", (double)connected);
	gauge(&t, "csms_uptime_seconds", "seconds since csmsd started",
	      app->started_ms ? (double)(app->now_ms - app->started_ms) / 1000.0 : 0);

	head(&t, "csms_ocpp_messages_total", "counter",
	     "OCPP CALLs by direction, action and outcome (result, a CALLERROR code, timeout, closed)");
	for (int r = 0; r <= nrows; r++) {
		int row = r < nrows ? r : OCPP_ACT_COUNT;
		const char *name = r < nrows ? rows[r].name : "unknown";
		for (int o = 0; o < OCPP_STATUS_COUNT; o++)
			if (rs->in_msgs[row][o])
				put(&t,
				    "csms_ocpp_messages_total{direction=\"in\",action=\"%s\",outcome=\"%s\"} "
				    "%llu\n",
				    name, o == OCPP_OK ? "result" : ocpp_error_code((enum ocpp_status)o),
				    (unsigned long long)rs->in_msgs[row][o]);
	}
	for (int r = 0; r < nrows; r++)
		for (int o = 0; o <= COMMANDS_OUT_CLOSED; o++)
			if (st->out_msgs[r][o])
				put(&t,
				    "csms_ocpp_messages_total{direction=\"out\",action=\"%s\",outcome=\"%s\"}"
				    " %llu\n",
				    rows[r].name, outcome_name(o), (unsigned long long)st->out_msgs[r][o]);

	head(&t, "csms_cs_call_latency_seconds", "histogram",
	     "time from sending a CALL to a charger to its answer, by action");
	for (int r = 0; r < nrows; r++) {
		uint64_t cum = 0;
		for (int b = 0; b <= COMMANDS_LAT_BUCKETS; b++)
			cum += st->out_lat[r][b];
		if (!cum)
			continue;
		cum = 0;
		for (int b = 0; b < COMMANDS_LAT_BUCKETS; b++) {
			cum += st->out_lat[r][b];
			put(&t, "csms_cs_call_latency_seconds_bucket{action=\"%s\",le=\"%g\"} %llu\n",
			    rows[r].name, commands_lat_bounds_s[b], (unsigned long long)cum);
		}
		cum += st->out_lat[r][COMMANDS_LAT_BUCKETS];
		put(&t, "csms_cs_call_latency_seconds_bucket{action=\"%s\",le=\"+Inf\"} %llu\n", rows[r].name,
		    (unsigned long long)cum);
		put(&t, "csms_cs_call_latency_seconds_sum{action=\"%s\"} %.6f\n", rows[r].name,
		    st->out_lat_sum_s[r]);
		put(&t, "csms_cs_call_latency_seconds_count{action=\"%s\"} %llu\n", rows[r].name,
		    (unsigned long long)cum);
	}

	gauge(&t, "csms_cs_calls_queued", "CALLs to chargers waiting behind the one in flight",
	      (double)queued);
	gauge(&t, "csms_cs_calls_in_flight", "CALLs to chargers awaiting their answer", (double)inflight);
	gauge(&t, "csms_cs_call_queue_max", "longest CALL queue of one charger", (double)qmax);
	gauge(&t, "csms_replies_held",
	      "answers to chargers (and CALLs behind them) waiting for the group commit", (double)held);
	if (have_counts) {
		gauge(&t, "csms_transactions_active", "transactions started and not stopped",
		      (double)sc.tx_active);
		counter(&t, "csms_energy_delivered_wh_total", "energy of stopped transactions, Wh",
			sc.energy_wh);
		gauge(&t, "csms_alarms_active", "alarms raised and not cleared", (double)sc.alarms_active);
	}
	counter(&t, "csms_frames_received_total", "OCPP frames received", (double)rs->frames_in);
	counter(&t, "csms_frames_sent_total", "OCPP frames sent (CALLs of ours)", (double)rs->frames_out);
	counter(&t, "csms_callerrors_sent_total", "CALLERRORs sent to chargers", (double)rs->callerrors_out);
	counter(&t, "csms_cs_calls_sent_total", "CALLs sent to chargers", (double)rs->calls_out);
	counter(&t, "csms_cs_call_timeouts_total", "CALLs to chargers that timed out",
		(double)rs->call_timeouts);
	counter(&t, "csms_handshakes_busy_total",
		"websocket handshakes answered 503: AuthorizationKey checks had used the loop's share",
		(double)server_busy_refused(app->server));
	counter(&t, "csms_commits_total", "group commits of the store", (double)app->stats.commits);
	counter(&t, "csms_commit_failures_total", "failed group commits", (double)app->stats.commit_failures);
	flows(&t, app, !c->anonymous);
	struct control_sensor_info si;
	if (control_sensor_info(app, &si) == 0) {
		head(&t, "csms_dlm_sensor_healthy", "gauge", "1 when the grid sensor's reading is fresh");
		put(&t, "csms_dlm_sensor_healthy{type=\"%s\"} %d\n", si.type, si.healthy);
		counter(&t, "csms_dlm_sensor_readings_total", "grid sensor readings", (double)si.readings);
		counter(&t, "csms_dlm_sensor_failures_total", "grid sensor failures", (double)si.failures);
	}
	sites(&t, app);
	if (t.oom) {
		free(t.p);
		admin_error(c->t, 500, "InternalError", "out of memory");
		return;
	}
	http_respond(c->t, 200, "text/plain; version=0.0.4", t.p, t.len);
}
