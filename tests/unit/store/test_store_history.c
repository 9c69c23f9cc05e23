/* test_store_history.c: the history rows and a transaction's running
 * figures through store.h: a bucket written again replaces its row (one
 * row per res and start, also over a reopen), walks by tier and time
 * range, pruning per tier, W.s kept whole, phase currents absent or
 * present; store_tx_meter_get/set and what store_tx_each then shows. */
#include "check.h"
#include "store.h"
#include "test_db.h"

#include <stdlib.h>
#include <string.h>

struct seen {
	int n;
	int64_t t[8];
	double pv[8], cover[8], ia1[8], icover[8];
	char chargers[8][64];
};

static int on_row(void *arg, const struct store_history_row *r)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->t[s->n] = r->t_s;
		s->pv[s->n] = r->pv_ws;
		s->cover[s->n] = r->cover_s;
		s->ia1[s->n] = r->grid_as[0];
		s->icover[s->n] = r->grid_cover_s;
		snprintf(s->chargers[s->n], sizeof s->chargers[0], "%s",
			 r->chargers_json ? r->chargers_json : "");
		s->n++;
	}
	return 0;
}

static int on_tx(void *arg, const struct store_tx_row *t)
{
	*(struct store_tx_row *)arg = *t;
	((struct store_tx_row *)arg)->charger = NULL; /* strings do not outlive the walk */
	return 0;
}

int main(void)
{
	char path[] = "/tmp/csms-test-history-XXXXXX";
	struct store *st = test_db_open(path);
	if (!st)
		return 1;
	struct store_history_row r = {
		.res = 60, .t_s = 1800, .cover_s = 30, .pv_ws = 1234.4, .soc_s = 1500
	};
	CHECK(store_history_put(st, &r) == 0);
	r.cover_s = 60;
	r.pv_ws = 2468.6;
	r.grid_as[0] = 300;
	r.grid_cover_s = 60;
	r.chargers_json = "{\"cp1\":7200}";
	CHECK(store_history_put(st, &r) == 0); /* the same bucket: replaced */
	r.t_s = 1860;
	CHECK(store_history_put(st, &r) == 0);
	r.res = 900;
	r.t_s = 1800;
	CHECK(store_history_put(st, &r) == 0);
	CHECK(store_commit(st) == 0);
	store_close(st);
	char err[256];
	CHECK(store_open(test_db_name(path), &st, err, sizeof err) == 0);
	struct seen s = { 0 };
	CHECK(store_history_each(st, 60, 0, 4000, on_row, &s) == 0);
	CHECK(s.n == 2 && s.t[0] == 1800 && s.t[1] == 1860);
	CHECK(s.pv[0] == 2469 && s.cover[0] == 60); /* whole W.s */
	CHECK(s.ia1[0] == 300 && s.icover[0] == 60);
	CHECK_STR(s.chargers[0], "{\"cp1\":7200}");
	memset(&s, 0, sizeof s);
	CHECK(store_history_each(st, 60, 1801, 1861, on_row, &s) == 0 && s.n == 1 && s.t[0] == 1860);
	memset(&s, 0, sizeof s);
	CHECK(store_history_each(st, 900, 0, 4000, on_row, &s) == 0 && s.n == 1);
	/* no phase currents: none come back */
	struct store_history_row q = { .res = 60, .t_s = 1920, .cover_s = 10 };
	CHECK(store_history_put(st, &q) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_history_each(st, 60, 1920, 1921, on_row, &s) == 0 && s.n == 1 && s.icover[0] == 0 &&
	      s.chargers[0][0] == 0);
	/* pruning is per tier */
	CHECK(store_history_prune(st, 60, 1860) == 1);
	memset(&s, 0, sizeof s);
	CHECK(store_history_each(st, 60, 0, 4000, on_row, &s) == 0 && s.n == 2 && s.t[0] == 1860);
	memset(&s, 0, sizeof s);
	CHECK(store_history_each(st, 900, 0, 4000, on_row, &s) == 0 && s.n == 1);

	/* a transaction's running figures */
	struct store_tx_start ts = { .charger = "CP1",
				     .connector = 1,
				     .id_tag = "T",
				     .meter_start = 500,
				     .timestamp = "2026-01-01T00:00:00Z",
				     .start_ms = 1000,
				     .reservation_id = -1,
				     .auth_status = "Accepted" };
	int64_t id;
	int retry;
	CHECK(store_tx_start(st, &ts, &id, &retry) == 0);
	struct store_tx_meter m;
	CHECK(store_tx_meter_get(st, id, &m) == 0);
	CHECK(!m.has_last && m.meter_start == 500 && m.start_ms == 1000 && m.active && m.connector == 1);
	CHECK_STR(m.charger, "CP1");
	struct store_tx_row row;
	memset(&row, 0, sizeof row);
	CHECK(store_tx_each(st, NULL, on_tx, &row) == 0 && !row.has_last && !row.has_cost);
	m.meter_last_wh = 1500.5;
	m.last_ms = 2000;
	m.cost = 0.3;
	m.pv_wh = 750;
	m.shared_wh = 1000;
	CHECK(store_tx_meter_set(st, &m) == 0);
	CHECK(store_tx_meter_get(st, id, &m) == 0 && m.has_last && m.meter_last_wh == 1500.5 &&
	      m.last_ms == 2000);
	memset(&row, 0, sizeof row);
	CHECK(store_tx_each(st, NULL, on_tx, &row) == 0 && row.has_last && row.meter_last_wh == 1500.5 &&
	      row.has_cost && row.cost == 0.3 && row.pv_wh == 750 && row.shared_wh == 1000);
	CHECK(store_tx_meter_get(st, id + 1, &m) == 1);
	m.tx_id = id + 1;
	/* unknown: 1, or 0 where the write is pipelined (PostgreSQL); nothing is written */
	CHECK(store_tx_meter_set(st, &m) == (test_db_pg() ? 0 : 1));
	CHECK(store_commit(st) == 0 && store_tx_meter_get(st, id + 1, &m) == 1);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
