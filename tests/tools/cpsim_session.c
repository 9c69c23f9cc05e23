/* cpsim_session.c: the scripted life of a charger: boot (with retries),
 * status of every connector, heartbeats, and on each connector K
 * transactions (Authorize, Preparing, StartTransaction, Charging, M
 * MeterValues, StopTransaction with transactionData, Available), plus the
 * transactions a central system starts or stops remotely, resets and
 * unlocks. Connectors run side by side; the core serialises their CALLs.
 * Transaction messages lost with a connection are resent unchanged after
 * the next boot, so a central system can recognise the retry.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpsim_int.h"

#define WH_PER_METER_VALUE 37.0 /* odd on purpose: a lost value shows */
#define AMPS 16.0

enum step { ST_IDLE, ST_AUTH, ST_PREP, ST_START, ST_CHARGING, ST_METER, ST_STOP, ST_AVAIL, ST_DONE };
static const char *const step_names[] = { "idle",     "Authorize",   "Preparing",       "StartTransaction",
					  "Charging", "MeterValues", "StopTransaction", "Available",
					  "done" };

/* One transaction (or attempt) for the summary. Lifetime: session. */
struct job_rec {
	int connector;
	int remote;
	char id_tag[21];
	char auth_status[16], start_status[16], stop_status[16];
	int has_tx, tx_id;
	double meter_start, meter_stop;
	int meter_values;
	const char *stop_reason;
	int completed;
};

/* What one connector is doing. Lifetime: session. */
struct conn_run {
	enum step step;
	int jobs_left;   /* scripted transactions still to run */
	int job;         /* index in recs, -1 when none */
	int mv_left;     /* -1: until stopped (remote) */
	int64_t next_us; /* the current step waits until then */
	int waiting;     /* its CALL is in flight or queued */
	int stop_req;
	const char *stop_reason;
	int64_t start_wall, stop_wall;
	int64_t remote_end_us;
};

enum phase { PH_CONNECTING, PH_BOOTING, PH_BOOT_WAIT, PH_RUNNING, PH_FINISHING, PH_DONE };

struct cpsim_session {
	struct cpsim_session_opts o;
	enum phase phase;
	int boot_tries;
	char boot_status[16];
	int accepted;  /* a boot was Accepted at least once */
	int booted;    /* booted on the current connection */
	int rebooting; /* Reset accepted: re-boot once idle */
	const char *reset_reason;
	int heartbeats;
	int64_t next_hb_us, boot_retry_us, stay_until_us;
	int failed;
	struct conn_run run[CPSIM_MAX_CONNECTORS + 1];
	struct job_rec *recs;
	int nrecs, caprecs;
};

static void schedule(struct cpsim_cp *cp);
static void advance(struct cpsim_cp *cp, int c);

static struct job_rec *new_rec(struct cpsim_session *s, int c, int remote, const char *tag)
{
	struct job_rec *r;

	if (s->nrecs == s->caprecs) {
		int n = s->caprecs ? 2 * s->caprecs : 8;
		struct job_rec *nr = realloc(s->recs, (size_t)n * sizeof(*nr));

		if (!nr)
			return NULL;
		s->recs = nr;
		s->caprecs = n;
	}
	r = &s->recs[s->nrecs++];
	memset(r, 0, sizeof(*r));
	r->connector = c;
	r->remote = remote;
	snprintf(r->id_tag, sizeof(r->id_tag), "%s", tag);
	return r;
}

static struct job_rec *rec_of(struct cpsim_session *s, int c)
{
	return s->run[c].job >= 0 ? &s->recs[s->run[c].job] : NULL;
}

static int64_t clamp_hb(const struct cpsim_session *s, int interval_s)
{
	int v = interval_s > 0 ? interval_s : 300;

	if (v > s->o.heartbeat_max_s)
		v = s->o.heartbeat_max_s;
	return (int64_t)v * 1000000;
}

/* ---------------------------------------------------------------- replies */

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *tag_status(const cJSON *payload)
{
	return str_of(cJSON_GetObjectItemCaseSensitive(payload, "idTagInfo"), "status");
}

static void fail(struct cpsim_cp *cp)
{
	cp->session->failed = 1;
}

/* Replies to a connector's step: arg is the connector number. */
static void step_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	struct cpsim_session *s = cp->session;
	int c = (int)(intptr_t)arg;
	struct conn_run *run = &s->run[c];
	struct cpsim_connector *k = &cp->model.conn[c];
	struct job_rec *rec = rec_of(s, c);
	int64_t now = cpsim_now_us();

	run->waiting = 0;
	if (r->kind == CPSIM_REPLY_CLOSED) {
		if (!s->o.reconnect && s->phase != PH_DONE) {
			cpsim_cp_error(cp, "connector %d: connection lost during %s", c,
				       step_names[run->step]);
			fail(cp);
		}
		return; /* the step is resent after the next boot */
	}
	if (r->kind != CPSIM_REPLY_RESULT) {
		/* counted by the core; the transaction cannot go on sensibly */
		fail(cp);
		run->step = ST_DONE;
		run->jobs_left = 0;
		k->busy = 0;
		schedule(cp);
		return;
	}
	switch (run->step) {
	case ST_AUTH:
		snprintf(rec->auth_status, sizeof(rec->auth_status), "%s", tag_status(r->payload));
		if (strcmp(rec->auth_status, "Accepted")) {
			if (!s->o.allow_refused) {
				cpsim_cp_error(cp, "connector %d: Authorize answered %s", c,
					       rec->auth_status);
				fail(cp);
			}
			rec->completed = 1;
			run->step = ST_AVAIL;
			break;
		}
		run->step = ST_PREP;
		break;
	case ST_PREP:
		run->step = ST_START;
		run->start_wall = cpsim_wall_us();
		rec->meter_start = k->energy_wh;
		break;
	case ST_START: {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->payload, "transactionId");

		rec->has_tx = 1;
		rec->tx_id = id->valueint;
		snprintf(rec->start_status, sizeof(rec->start_status), "%s", tag_status(r->payload));
		k->has_tx = 1;
		k->tx_id = rec->tx_id;
		cpsim_wallbox_update(cp, c, now); /* the car starts to draw */
		if (strcmp(rec->start_status, "Accepted")) {
			/* OCPP 1.6 4.8: a refused tag ends the transaction at once */
			if (!s->o.allow_refused) {
				cpsim_cp_error(cp, "connector %d: StartTransaction answered %s", c,
					       rec->start_status);
				fail(cp);
			}
			run->stop_req = 1;
			run->stop_reason = "DeAuthorized";
		}
		run->step = ST_CHARGING;
		break;
	}
	case ST_CHARGING:
		run->step = ST_METER;
		run->next_us = now + (int64_t)(rec->remote ? s->o.remote_mv_ms : s->o.interval_ms) * 1000;
		if (!cp->model.wb.on) /* a wallbox integrates what its car draws */
			k->energy_wh += WH_PER_METER_VALUE;
		break;
	case ST_METER:
		rec->meter_values++;
		if (run->mv_left > 0)
			run->mv_left--;
		if (run->stop_req || run->mv_left == 0 || (run->remote_end_us && now >= run->remote_end_us)) {
			run->step = ST_STOP;
			run->stop_wall = cpsim_wall_us();
			if (!run->stop_reason)
				run->stop_reason = "Local";
			cpsim_wallbox_update(cp, c, now);
			rec->meter_stop = k->energy_wh;
		} else {
			run->next_us =
				now + (int64_t)(rec->remote ? s->o.remote_mv_ms : s->o.interval_ms) * 1000;
			if (!cp->model.wb.on)
				k->energy_wh += WH_PER_METER_VALUE;
		}
		break;
	case ST_STOP:
		snprintf(rec->stop_status, sizeof(rec->stop_status), "%s",
			 cJSON_GetObjectItemCaseSensitive(r->payload, "idTagInfo") ? tag_status(r->payload)
										   : "");
		rec->completed = 1;
		cpsim_wallbox_update(cp, c, now);
		k->has_tx = 0;
		cpsim_wallbox_update(cp, c, now); /* and stops */
		run->step = ST_AVAIL;
		break;
	case ST_AVAIL:
		run->stop_req = 0;
		run->stop_reason = NULL;
		run->job = -1;
		run->remote_end_us = 0;
		run->step = ST_IDLE;
		k->busy = 0;
		break;
	default: break;
	}
	advance(cp, c);
	schedule(cp);
}

/* ---------------------------------------------------------------- steps */

static int send_stop(struct cpsim_cp *cp, int c)
{
	struct cpsim_session *s = cp->session;
	struct conn_run *run = &s->run[c];
	struct job_rec *rec = rec_of(s, c);
	cJSON *p = cJSON_CreateObject(), *td, *mv, *svs, *sv;
	char ts[32], tb[32], val[32];

	if (!p)
		return -ENOMEM;
	cpsim_iso_time(run->stop_wall, ts, sizeof(ts));
	cpsim_iso_time(run->start_wall, tb, sizeof(tb));
	cJSON_AddStringToObject(p, "idTag", rec->id_tag);
	cJSON_AddNumberToObject(p, "meterStop", (int)rec->meter_stop);
	cJSON_AddStringToObject(p, "timestamp", ts);
	cJSON_AddNumberToObject(p, "transactionId", rec->tx_id);
	cJSON_AddStringToObject(p, "reason", run->stop_reason);
	rec->stop_reason = run->stop_reason;
	td = cJSON_AddArrayToObject(p, "transactionData");
	for (int i = 0; i < 2 && td; i++) {
		mv = cJSON_CreateObject();
		if (!mv)
			break;
		cJSON_AddItemToArray(td, mv);
		cJSON_AddStringToObject(mv, "timestamp", i ? ts : tb);
		svs = cJSON_AddArrayToObject(mv, "sampledValue");
		sv = cJSON_CreateObject();
		if (!svs || !sv) {
			cJSON_Delete(sv);
			break;
		}
		snprintf(val, sizeof(val), "%d", (int)(i ? rec->meter_stop : rec->meter_start));
		cJSON_AddStringToObject(sv, "value", val);
		cJSON_AddStringToObject(sv, "context", i ? "Transaction.End" : "Transaction.Begin");
		cJSON_AddStringToObject(sv, "format", "Raw");
		cJSON_AddStringToObject(sv, "measurand", "Energy.Active.Import.Register");
		cJSON_AddStringToObject(sv, "location", "Outlet");
		cJSON_AddStringToObject(sv, "unit", "Wh");
		cJSON_AddItemToArray(svs, sv);
	}
	return cpsim_call_json(cp, "StopTransaction", p, step_reply, (void *)(intptr_t)c);
}

static int send_step(struct cpsim_cp *cp, int c)
{
	struct cpsim_session *s = cp->session;
	struct conn_run *run = &s->run[c];
	struct job_rec *rec = rec_of(s, c);
	void *arg = (void *)(intptr_t)c;
	char p[512], ts[32];
	int n;

	switch (run->step) {
	case ST_AUTH:
		n = snprintf(p, sizeof(p), "{\"idTag\":\"%s\"}", rec->id_tag);
		return cpsim_call(cp, "Authorize", p, (size_t)n, step_reply, arg);
	case ST_PREP: return cpsim_send_status(cp, c, CPSIM_ST_PREPARING, step_reply, arg);
	case ST_START:
		cpsim_iso_time(run->start_wall, ts, sizeof(ts));
		n = snprintf(p, sizeof(p),
			     "{\"connectorId\":%d,\"idTag\":\"%s\",\"meterStart\":%d,"
			     "\"timestamp\":\"%s\"",
			     c, rec->id_tag, (int)rec->meter_start, ts);
		if (cp->model.conn[c].has_reservation) {
			n += snprintf(p + n, sizeof(p) - (size_t)n, ",\"reservationId\":%d",
				      cp->model.conn[c].reservation_id);
			cp->model.conn[c].has_reservation = 0;
		}
		n += snprintf(p + n, sizeof(p) - (size_t)n, "}");
		return cpsim_call(cp, "StartTransaction", p, (size_t)n, step_reply, arg);
	case ST_CHARGING: return cpsim_send_status(cp, c, CPSIM_ST_CHARGING, step_reply, arg);
	case ST_METER: return cpsim_send_meter_values(cp, c, "Sample.Periodic", step_reply, arg);
	case ST_STOP: return send_stop(cp, c);
	case ST_AVAIL:
		return cpsim_send_status(
			cp, c, cp->model.conn[c].unavailable ? CPSIM_ST_UNAVAILABLE : CPSIM_ST_AVAILABLE,
			step_reply, arg);
	default: return 0;
	}
}

static int start_job(struct cpsim_cp *cp, int c, int remote, const char *tag)
{
	struct cpsim_session *s = cp->session;
	struct conn_run *run = &s->run[c];

	if (!new_rec(s, c, remote, tag))
		return -ENOMEM;
	run->job = s->nrecs - 1;
	run->mv_left = remote ? -1 : s->o.meter_values;
	run->step = remote ? ST_PREP : ST_AUTH;
	run->next_us = 0;
	run->stop_req = 0;
	run->stop_reason = NULL;
	if (remote) {
		snprintf(s->recs[run->job].auth_status, sizeof(s->recs[run->job].auth_status), "Remote");
		run->remote_end_us =
			s->o.remote_max_s > 0 ? cpsim_now_us() + (int64_t)s->o.remote_max_s * 1000000 : 0;
	}
	cp->model.conn[c].busy = 1;
	return 0;
}

/* Send the connector's next CALL when it may. */
static void advance(struct cpsim_cp *cp, int c)
{
	struct cpsim_session *s = cp->session;
	struct conn_run *run = &s->run[c];
	int64_t now = cpsim_now_us();

	if (!s->booted || run->waiting || s->phase == PH_DONE)
		return;
	if (run->step == ST_IDLE) {
		if (s->rebooting || !run->jobs_left || s->failed) {
			run->step = ST_IDLE;
			return;
		}
		run->jobs_left--;
		if (start_job(cp, c, 0, s->o.id_tag)) {
			cpsim_cp_error(cp, "out of memory");
			fail(cp);
			return;
		}
	}
	if (run->step == ST_METER && run->stop_req) {
		/* stop asked while waiting for the next sample: stop now */
		run->step = ST_STOP;
		run->stop_wall = cpsim_wall_us();
		cpsim_wallbox_update(cp, c, now);
		rec_of(s, c)->meter_stop = cp->model.conn[c].energy_wh;
		run->next_us = 0;
	}
	if (run->next_us > now)
		return;
	run->next_us = 0;
	if (send_step(cp, c)) {
		/* not connected: resent after the next boot */
		return;
	}
	run->waiting = 1;
}

/* ---------------------------------------------------------------- boot */

static void boot_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r);

static void send_boot(struct cpsim_cp *cp)
{
	struct cpsim_session *s = cp->session;

	s->phase = PH_BOOTING;
	s->booted = 0;
	if (cpsim_send_boot(cp, boot_reply, NULL))
		s->phase = PH_CONNECTING;
}

static void boot_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	struct cpsim_session *s = cp->session;
	const cJSON *iv;
	int interval;

	(void)arg;
	if (r->kind == CPSIM_REPLY_CLOSED)
		return;
	if (r->kind != CPSIM_REPLY_RESULT) {
		fail(cp);
		s->phase = PH_FINISHING;
		schedule(cp);
		return;
	}
	snprintf(s->boot_status, sizeof(s->boot_status), "%s", str_of(r->payload, "status"));
	iv = cJSON_GetObjectItemCaseSensitive(r->payload, "interval");
	interval = iv->valueint;
	s->boot_tries++;
	if (strcmp(s->boot_status, "Accepted")) {
		int64_t wait = interval > 0 ? (int64_t)interval * 1000 : s->o.interval_ms;

		if (wait > s->o.boot_retry_ms)
			wait = s->o.boot_retry_ms;
		if (s->boot_tries > s->o.boot_retries) {
			cpsim_cp_error(cp, "BootNotification answered %s %d times", s->boot_status,
				       s->boot_tries);
			fail(cp);
			s->phase = PH_FINISHING;
		} else {
			s->phase = PH_BOOT_WAIT;
			s->boot_retry_us = cpsim_now_us() + wait * 1000;
		}
		schedule(cp);
		return;
	}
	s->accepted = 1;
	s->booted = 1;
	s->rebooting = 0;
	s->boot_tries = 0;
	if (interval > 0)
		cp->model.heartbeat_interval = interval;
	s->next_hb_us = cpsim_now_us() + clamp_hb(s, cp->model.heartbeat_interval);
	if (s->phase != PH_FINISHING)
		s->phase = PH_RUNNING;
	/* status of every connector as it is now (Charging after a reconnect) */
	for (int c = 0; c <= cp->model.connectors; c++) {
		int st = cp->model.conn[c].status;

		if (cp->model.conn[c].unavailable)
			st = CPSIM_ST_UNAVAILABLE;
		cpsim_send_status(cp, c, st, cpsim_reply_expect_ok, NULL);
	}
	cpsim_send_heartbeat(cp, cpsim_reply_expect_ok, NULL);
	s->heartbeats++;
	for (int c = 1; c <= cp->model.connectors; c++)
		advance(cp, c);
	schedule(cp);
}

/* ---------------------------------------------------------------- timing */

static int all_idle(struct cpsim_cp *cp)
{
	struct cpsim_session *s = cp->session;

	for (int c = 1; c <= cp->model.connectors; c++)
		if (s->run[c].step != ST_IDLE || (s->run[c].jobs_left && !s->failed))
			return 0;
	return 1;
}

static void finish(struct cpsim_cp *cp)
{
	struct cpsim_session *s = cp->session;

	s->phase = PH_DONE;
	cpsim_cp_wake_at(cp, 0);
	if (cpsim_is_open(cp))
		cpsim_close(cp, 1000);
}

/* Decide what is due now, then set the one wake time of the charger. */
static void schedule(struct cpsim_cp *cp)
{
	struct cpsim_session *s = cp->session;
	int64_t now = cpsim_now_us(), wake = 0;

#define WAKE(t)                                   \
	do {                                      \
		if ((t) && (!wake || (t) < wake)) \
			wake = (t);               \
	} while (0)
	if (s->phase == PH_DONE)
		return;
	if (s->phase == PH_BOOT_WAIT) {
		if (now >= s->boot_retry_us)
			send_boot(cp);
		else
			WAKE(s->boot_retry_us);
	}
	if (s->booted && cpsim_is_open(cp)) {
		if (now >= s->next_hb_us) {
			cpsim_send_heartbeat(cp, cpsim_reply_expect_ok, NULL);
			s->heartbeats++;
			s->next_hb_us = now + clamp_hb(s, cp->model.heartbeat_interval);
		}
		WAKE(s->next_hb_us);
		for (int c = 1; c <= cp->model.connectors; c++) {
			struct conn_run *run = &s->run[c];

			if (run->remote_end_us && now >= run->remote_end_us && !run->stop_req) {
				run->stop_req = 1;
				run->stop_reason = "Local";
			}
			if (!run->waiting && run->next_us && run->next_us <= now)
				advance(cp, c);
			if (!run->waiting)
				WAKE(run->next_us);
			if (run->remote_end_us && !run->stop_req)
				WAKE(run->remote_end_us);
		}
		if (s->rebooting && all_idle(cp) && !cpsim_calls_pending(cp)) {
			send_boot(cp);
			return;
		}
	}
	if (s->failed && s->phase != PH_FINISHING && !s->o.reconnect)
		s->phase = PH_FINISHING;
	if (s->phase == PH_RUNNING && all_idle(cp) && !s->stay_until_us)
		s->stay_until_us = now + (int64_t)s->o.stay_s * 1000000;
	if (s->phase == PH_RUNNING && s->stay_until_us) {
		if (now >= s->stay_until_us) {
			s->phase = PH_FINISHING;
		} else {
			WAKE(s->stay_until_us);
		}
	}
	if (s->phase == PH_FINISHING) {
		int busy = 0;

		/* remote transactions still running are stopped first */
		for (int c = 1; c <= cp->model.connectors; c++) {
			struct conn_run *run = &s->run[c];

			run->jobs_left = 0;
			if (run->step != ST_IDLE && run->step != ST_DONE && !s->failed) {
				busy = 1;
				if (!run->stop_req) {
					run->stop_req = 1;
					run->stop_reason = "Local";
					advance(cp, c);
				}
			}
		}
		if (!busy && !cpsim_calls_pending(cp)) {
			finish(cp);
			return;
		}
		WAKE(now + 100000);
	}
	cpsim_cp_wake_at(cp, wake);
#undef WAKE
}

/* ---------------------------------------------------------------- hooks */

static void on_conn(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason)
{
	struct cpsim_session *s = cp->session;

	if (!s)
		return;
	if (ev == CPSIM_EV_CONNECTED) {
		if (s->phase != PH_DONE)
			send_boot(cp);
		return;
	}
	s->booted = 0;
	for (int c = 1; c <= cp->model.connectors; c++)
		s->run[c].waiting = 0;
	if (s->phase == PH_DONE)
		return;
	if (s->o.reconnect) {
		s->phase = PH_CONNECTING;
		return;
	}
	if (ev == CPSIM_EV_REFUSED)
		cpsim_cp_error(cp, "connection refused: %s", reason ? reason : "?");
	else
		cpsim_cp_error(cp, "connection closed (%d)", code);
	fail(cp);
	s->phase = PH_DONE;
}

static void on_server_call(struct cpsim_cp *cp, const char *action, const cJSON *req, const char *status)
{
	struct cpsim_session *s = cp->session;
	int accepted = status && (!strcmp(status, "Accepted") || !strcmp(status, "Unlocked"));

	if (s && (!strcmp(action, "SetChargingProfile") || !strcmp(action, "ClearChargingProfile")))
		for (int c = 1; c <= cp->model.connectors; c++)
			cpsim_wallbox_update(cp, c, cpsim_now_us()); /* the car reacts from now */
	if (!s || !accepted)
		return;
	if (!strcmp(action, "RemoteStartTransaction")) {
		int c = cp->model.remote_start_connector;
		const char *tag = str_of(req, "idTag");

		if (start_job(cp, c, 1, tag)) {
			cpsim_cp_error(cp, "out of memory");
			fail(cp);
		}
		advance(cp, c);
	} else if (!strcmp(action, "RemoteStopTransaction") || !strcmp(action, "UnlockConnector") ||
		   !strcmp(action, "Reset")) {
		const cJSON *tx = cJSON_GetObjectItemCaseSensitive(req, "transactionId");
		const cJSON *cn = cJSON_GetObjectItemCaseSensitive(req, "connectorId");
		int reset = action[0] == 'R' && action[1] == 'e' && action[2] == 's';
		const char *reason = action[0] == 'U' ? "UnlockCommand" : "Remote";

		if (reset) {
			reason = !strcmp(str_of(req, "type"), "Hard") ? "HardReset" : "SoftReset";
			s->rebooting = 1;
		}
		for (int c = 1; c <= cp->model.connectors; c++) {
			struct cpsim_connector *k = &cp->model.conn[c];

			if (!k->has_tx && !k->busy)
				continue;
			if ((tx && k->tx_id != tx->valueint) || (cn && cn->valueint != c))
				continue;
			/* a stop already asked for or under way keeps its reason */
			if (s->run[c].stop_req || s->run[c].step >= ST_STOP)
				continue;
			s->run[c].stop_req = 1;
			s->run[c].stop_reason = reason;
			advance(cp, c);
		}
	}
	schedule(cp);
}

static void on_timer(struct cpsim_cp *cp, int64_t now)
{
	(void)now;
	if (cp->session)
		schedule(cp);
}

const struct cpsim_hooks cpsim_session_hooks = {
	.conn = on_conn,
	.server_call = on_server_call,
	.timer = on_timer,
};

/* ---------------------------------------------------------------- API */

int cpsim_session_attach(struct cpsim_cp *cp, const struct cpsim_session_opts *o)
{
	struct cpsim_session *s;

	if (o->connectors < 1 || o->connectors > CPSIM_MAX_CONNECTORS || o->transactions < 0 ||
	    o->meter_values < 0 || o->interval_ms < 0 || !o->id_tag || strlen(o->id_tag) > 20)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	if (s->o.heartbeat_max_s <= 0)
		s->o.heartbeat_max_s = 60;
	if (s->o.boot_retry_ms <= 0)
		s->o.boot_retry_ms = 2000;
	if (s->o.remote_mv_ms <= 0)
		s->o.remote_mv_ms = 1000;
	cp->model.connectors = o->connectors;
	cp->model.remote_tx = 1;
	for (int c = 1; c <= o->connectors; c++) {
		s->run[c].jobs_left = o->transactions;
		s->run[c].job = -1;
	}
	cp->session = s;
	return 0;
}

int cpsim_session_done(const struct cpsim_cp *cp)
{
	return !cp->session || cp->session->phase == PH_DONE;
}

int cpsim_session_ok(const struct cpsim_cp *cp)
{
	const struct cpsim_session *s = cp->session;

	if (!s || s->phase != PH_DONE || s->failed || !s->accepted || cp->stats.errors)
		return 0;
	for (int i = 0; i < s->nrecs; i++)
		if (!s->recs[i].completed)
			return 0;
	for (int c = 1; c <= cp->model.connectors; c++)
		if (s->run[c].jobs_left)
			return 0;
	return 1;
}

cJSON *cpsim_session_summary(const struct cpsim_cp *cp)
{
	const struct cpsim_session *s = cp->session;
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o || !s)
		return o;
	cJSON_AddStringToObject(o, "id", cp->id);
	cJSON_AddBoolToObject(o, "ok", cpsim_session_ok(cp));
	cJSON_AddBoolToObject(o, "accepted", s->accepted);
	cJSON_AddStringToObject(o, "bootStatus", s->boot_status);
	cJSON_AddNumberToObject(o, "heartbeatInterval", cp->model.heartbeat_interval);
	cJSON_AddNumberToObject(o, "heartbeats", s->heartbeats);
	cJSON_AddNumberToObject(o, "reconnects", cp->stats.reconnects);
	cJSON_AddNumberToObject(o, "calls", (double)cp->stats.calls);
	cJSON_AddNumberToObject(o, "results", (double)cp->stats.results);
	cJSON_AddNumberToObject(o, "serverCalls", (double)cp->stats.server_calls);
	cJSON_AddNumberToObject(o, "errors", (double)cp->stats.errors);
	a = cJSON_AddArrayToObject(o, "errorList");
	for (int i = 0; a && i < cp->nerrlog; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(cp->errlog[i]));
	a = cJSON_AddArrayToObject(o, "transactions");
	for (int i = 0; a && i < s->nrecs; i++) {
		const struct job_rec *r = &s->recs[i];
		cJSON *t = cJSON_CreateObject();

		if (!t)
			break;
		cJSON_AddNumberToObject(t, "connectorId", r->connector);
		if (r->has_tx)
			cJSON_AddNumberToObject(t, "transactionId", r->tx_id);
		else
			cJSON_AddNullToObject(t, "transactionId");
		cJSON_AddStringToObject(t, "idTag", r->id_tag);
		cJSON_AddBoolToObject(t, "remote", r->remote);
		cJSON_AddStringToObject(t, "authStatus", r->auth_status);
		cJSON_AddStringToObject(t, "startStatus", r->start_status);
		cJSON_AddStringToObject(t, "stopStatus", r->stop_status);
		cJSON_AddNumberToObject(t, "meterStart", r->meter_start);
		cJSON_AddNumberToObject(t, "meterStop", r->meter_stop);
		cJSON_AddNumberToObject(t, "meterValues", r->meter_values);
		if (r->stop_reason)
			cJSON_AddStringToObject(t, "stopReason", r->stop_reason);
		else
			cJSON_AddNullToObject(t, "stopReason");
		cJSON_AddBoolToObject(t, "completed", r->completed);
		cJSON_AddItemToArray(a, t);
	}
	a = cJSON_AddArrayToObject(o, "limits");
	for (int c = 0; a && c <= cp->model.connectors; c++) {
		const struct cpsim_connector *k = &cp->model.conn[c];
		cJSON *l;
		char unit[2] = { k->limit_unit, 0 };

		if (!k->has_limit || !(l = cJSON_CreateObject()))
			continue;
		cJSON_AddNumberToObject(l, "connectorId", c);
		cJSON_AddNumberToObject(l, "limit", k->limit);
		cJSON_AddStringToObject(l, "unit", unit);
		if (k->limit_phases)
			cJSON_AddNumberToObject(l, "numberPhases", k->limit_phases);
		else
			cJSON_AddNullToObject(l, "numberPhases");
		cJSON_AddNumberToObject(l, "stackLevel", k->limit_stack);
		cJSON_AddNumberToObject(l, "chargingProfileId", k->limit_profile_id);
		cJSON_AddItemToArray(a, l);
	}
	cJSON_AddNumberToObject(o, "localListVersion", cp->model.local_list_version);
	if (cp->model.wb.on)
		cJSON_AddItemToObject(o, "wallbox", cpsim_wallbox_summary(cp));
	return o;
}

void cpsim_session_free(struct cpsim_cp *cp)
{
	if (!cp->session)
		return;
	free(cp->session->recs);
	FREE(cp->session);
}
