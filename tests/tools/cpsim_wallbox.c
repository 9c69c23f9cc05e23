/* cpsim_wallbox.c: a simulated wallbox with a car plugged in, for tests of
 * load management against what chargers really do: the car draws
 * min(limit in force, car maximum, charger rating) on the phases in force,
 * after a reaction time, and the MeterValues report what it draws. The
 * quirks of real chargers are options (struct cpsim_wallbox): wired on one
 * phase, ignoring numberPhases, refusing a unit, DC (an A limit is DC
 * current), no SmartCharging at all.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cpsim_int.h"

#define AC_MIN_A 6.0 /* IEC 61851: below this an AC car does not charge */

/* One connector's profile as A per phase (AC) or DC A; phases it names. */
static double as_amps(const struct cpsim_wallbox *wb, const struct cpsim_connector *k, int phases)
{
	if (k->limit_unit == 'A')
		return k->limit;
	if (wb->dc)
		return k->limit / CPSIM_DC_V;
	return k->limit / (CPSIM_AC_V * phases);
}

double cpsim_wallbox_limit(const struct cpsim_cp *cp, int c, int *phases)
{
	const struct cpsim_wallbox *wb = &cp->model.wb;
	const struct cpsim_connector *ks[2] = { &cp->model.conn[0], &cp->model.conn[c] };
	int ph = wb->phases;
	double lim = wb->max_a;

	/* the phases first: a W limit is spread over them */
	for (int i = 0; i < 2; i++)
		if (ks[i]->has_limit && ks[i]->limit_phases && !wb->ignore_phases && ks[i]->limit_phases < ph)
			ph = ks[i]->limit_phases;
	for (int i = 0; i < 2; i++)
		if (ks[i]->has_limit)
			lim = fmin(lim, as_amps(wb, ks[i], ph));
	if (phases)
		*phases = wb->dc ? 0 : ph;
	return lim;
}

void cpsim_wallbox_update(struct cpsim_cp *cp, int c, int64_t now_us)
{
	struct cpsim_wallbox *wb = &cp->model.wb;
	struct cpsim_connector *k = &cp->model.conn[c];
	int ph = 0;
	double a = 0;

	if (!wb->on || c < 1 || c > cp->model.connectors)
		return;
	/* energy up to now at the old draw */
	if (k->sampled_us && now_us > k->sampled_us) {
		double w = wb->dc ? k->draw_a * CPSIM_DC_V : k->draw_a * CPSIM_AC_V * k->draw_phases;

		k->energy_wh += w * (double)(now_us - k->sampled_us) / 3.6e9;
	}
	k->sampled_us = now_us;
	if (k->has_tx && !k->unavailable) {
		a = fmin(cpsim_wallbox_limit(cp, c, &ph), wb->car_max_a);
		if (!wb->dc && a < AC_MIN_A)
			a = 0;
		a = floor(a * 10 + 1e-9) / 10;
	}
	if (a != k->next_a || ph != k->next_phases) {
		k->next_a = a;
		k->next_phases = ph;
		/* stopping is at once; anything else takes the car's time */
		k->next_at_us = a == 0 ? now_us : now_us + (int64_t)wb->react_ms * 1000;
	}
	if (k->next_at_us && now_us >= k->next_at_us) {
		k->draw_a = k->next_a;
		k->draw_phases = k->next_phases;
		k->next_at_us = 0;
	}
}

/* Appends to a fixed buffer; remembers overflow. */
struct wbuf {
	char *p;
	size_t len, used;
	int over, first;
};

static void add_sv(struct wbuf *b, double v, const char *ctx, const char *meas, const char *phase,
		   const char *unit, int decimals)
{
	int n;

	if (b->over)
		return;
	n = snprintf(b->p + b->used, b->len - b->used,
		     "%s{\"value\":\"%.*f\",\"context\":\"%s\",\"format\":\"Raw\",\"measurand\":\"%s\"%s%s%s,"
		     "\"location\":\"Outlet\",\"unit\":\"%s\"}",
		     b->first ? "" : ",", decimals, v, ctx, meas, phase ? ",\"phase\":\"" : "",
		     phase ? phase : "", phase ? "\"" : "", unit);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->over = 1;
	else
		b->used += (size_t)n;
	b->first = 0;
}

int cpsim_wallbox_meter_values(const struct cpsim_cp *cp, int c, char *buf, size_t len, int64_t ts_us,
			       const char *context)
{
	static const char *const ph[3] = { "L1", "L2", "L3" };
	static const char *const phn[3] = { "L1-N", "L2-N", "L3-N" };
	const struct cpsim_wallbox *wb = &cp->model.wb;
	const struct cpsim_connector *k = &cp->model.conn[c];
	struct wbuf b = { buf, len, 0, 0, 1 };
	char ts[32];
	int n;

	cpsim_iso_time(ts_us, ts, sizeof(ts));
	n = snprintf(buf, len, "{\"connectorId\":%d,", c);
	if (n > 0 && k->has_tx)
		n += snprintf(buf + n, len - (size_t)n, "\"transactionId\":%d,", k->tx_id);
	if (n > 0)
		n += snprintf(buf + n, len - (size_t)n,
			      "\"meterValue\":[{\"timestamp\":\"%s\",\"sampledValue\":[", ts);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	b.used = (size_t)n;
	add_sv(&b, k->energy_wh, context, "Energy.Active.Import.Register", NULL, "Wh", 0);
	if (wb->dc) {
		/* a DC meter: no phases, the DC voltage */
		add_sv(&b, k->draw_a * CPSIM_DC_V, context, "Power.Active.Import", NULL, "W", 0);
		add_sv(&b, k->draw_a, context, "Current.Import", NULL, "A", 1);
		add_sv(&b, CPSIM_DC_V, context, "Voltage", NULL, "V", 1);
	} else {
		add_sv(&b, k->draw_a * CPSIM_AC_V * k->draw_phases, context, "Power.Active.Import", NULL, "W",
		       0);
		for (int i = 0; i < 3; i++) {
			double a = i < k->draw_phases ? k->draw_a : 0;

			add_sv(&b, a, context, "Current.Import", ph[i], "A", 1);
			add_sv(&b, a * CPSIM_AC_V, context, "Power.Active.Import", ph[i], "W", 0);
			add_sv(&b, CPSIM_AC_V, context, "Voltage", phn[i], "V", 1);
		}
	}
	if (!b.over) {
		n = snprintf(b.p + b.used, b.len - b.used, "]}]}");
		if (n < 0 || (size_t)n >= b.len - b.used)
			b.over = 1;
		else
			b.used += (size_t)n;
	}
	return b.over ? -ENOSPC : (int)b.used;
}

cJSON *cpsim_wallbox_summary(const struct cpsim_cp *cp)
{
	const struct cpsim_wallbox *wb = &cp->model.wb;
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "wiredPhases", wb->phases);
	cJSON_AddBoolToObject(o, "dc", wb->dc);
	cJSON_AddNumberToObject(o, "profiles", wb->profiles);
	cJSON_AddNumberToObject(o, "rejected", wb->rejected);
	cJSON_AddNumberToObject(o, "notSupported", wb->not_supported);
	a = cJSON_AddArrayToObject(o, "phasesSeen"); /* numberPhases accepted; 0: none given */
	for (int n = 0; a && n <= 3; n++)
		if (wb->phases_seen & (1u << n))
			cJSON_AddItemToArray(a, cJSON_CreateNumber(n));
	a = cJSON_AddArrayToObject(o, "unitsSeen");
	if (a && (wb->units_seen & CPSIM_UNIT_A))
		cJSON_AddItemToArray(a, cJSON_CreateString("A"));
	if (a && (wb->units_seen & CPSIM_UNIT_W))
		cJSON_AddItemToArray(a, cJSON_CreateString("W"));
	a = cJSON_AddArrayToObject(o, "connectors");
	for (int c = 1; a && c <= cp->model.connectors; c++) {
		const struct cpsim_connector *k = &cp->model.conn[c];
		cJSON *e = cJSON_CreateObject();
		int ph = 0;

		if (!e)
			break;
		cJSON_AddNumberToObject(e, "connectorId", c);
		cJSON_AddNumberToObject(e, "drawA", k->draw_a);
		cJSON_AddNumberToObject(e, "phases", k->draw_phases);
		cJSON_AddNumberToObject(e, "limitA", round(cpsim_wallbox_limit(cp, c, &ph) * 10) / 10);
		cJSON_AddNumberToObject(e, "limitPhases", ph);
		cJSON_AddNumberToObject(e, "energyWh", round(k->energy_wh));
		cJSON_AddItemToArray(a, e);
	}
	return o;
}
