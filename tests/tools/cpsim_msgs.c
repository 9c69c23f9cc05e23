/* cpsim_msgs.c: payloads of the Charge-Point-initiated messages the
 * simulator sends. MeterValues is formatted straight into a caller buffer
 * because the load generator sends it in a closed loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpsim_int.h"

int64_t cpsim_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cpsim_iso_time(int64_t wall_us, char *buf, size_t len)
{
	time_t s = (time_t)(wall_us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_us / 1000 % 1000));
}

static const char *const status_names[] = {
	[CPSIM_ST_AVAILABLE] = "Available",
	[CPSIM_ST_PREPARING] = "Preparing",
	[CPSIM_ST_CHARGING] = "Charging",
	[CPSIM_ST_SUSPENDED_EV] = "SuspendedEV",
	[CPSIM_ST_SUSPENDED_EVSE] = "SuspendedEVSE",
	[CPSIM_ST_FINISHING] = "Finishing",
	[CPSIM_ST_RESERVED] = "Reserved",
	[CPSIM_ST_UNAVAILABLE] = "Unavailable",
	[CPSIM_ST_FAULTED] = "Faulted",
};

const char *cpsim_status_name(int status)
{
	if (status < 0 || status >= (int)(sizeof(status_names) / sizeof(status_names[0])))
		return "Available";
	return status_names[status];
}

/* Appends to a fixed buffer; remembers overflow instead of failing each call. */
struct sbuf {
	char *p;
	size_t len, used;
	int over;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->over = 1;
	else
		b->used += (size_t)n;
}

static void sv(struct sbuf *b, int *first, double value, const char *context, const char *measurand,
	       const char *phase, const char *location, const char *unit, int decimals)
{
	sb_add(b,
	       "%s{\"value\":\"%.*f\",\"context\":\"%s\",\"format\":\"Raw\","
	       "\"measurand\":\"%s\"",
	       *first ? "" : ",", decimals, value, context, measurand);
	if (phase)
		sb_add(b, ",\"phase\":\"%s\"", phase);
	sb_add(b, ",\"location\":\"%s\"", location);
	if (unit)
		sb_add(b, ",\"unit\":\"%s\"", unit);
	sb_add(b, "}");
	*first = 0;
}

int cpsim_format_meter_values(char *buf, size_t len, int connector, int tx_id, int64_t ts_us,
			      double energy_wh, double amps, unsigned m, const char *context)
{
	static const char *const ph[3] = { "L1", "L2", "L3" };
	static const char *const phn[3] = { "L1-N", "L2-N", "L3-N" };
	struct sbuf b = { buf, len, 0, 0 };
	char ts[32];
	int first = 1;

	cpsim_iso_time(ts_us, ts, sizeof(ts));
	sb_add(&b, "{\"connectorId\":%d,", connector);
	if (tx_id >= 0)
		sb_add(&b, "\"transactionId\":%d,", tx_id);
	sb_add(&b, "\"meterValue\":[{\"timestamp\":\"%s\",\"sampledValue\":[", ts);
	if (m & CPSIM_MV_ENERGY)
		sv(&b, &first, energy_wh, context, "Energy.Active.Import.Register", NULL, "Outlet", "Wh", 0);
	if (m & CPSIM_MV_POWER) {
		sv(&b, &first, 3 * 230.0 * amps, context, "Power.Active.Import", NULL, "Outlet", "W", 0);
		for (int i = 0; i < 3; i++)
			sv(&b, &first, (229.0 + i) * amps, context, "Power.Active.Import", ph[i], "Outlet",
			   "W", 0);
	}
	if (m & CPSIM_MV_CURRENT)
		for (int i = 0; i < 3; i++)
			sv(&b, &first, amps - 0.1 * i, context, "Current.Import", ph[i], "Outlet", "A", 1);
	if (m & CPSIM_MV_VOLTAGE)
		for (int i = 0; i < 3; i++)
			sv(&b, &first, 229.0 + i, context, "Voltage", phn[i], "Outlet", "V", 1);
	if (m & CPSIM_MV_POWER_FACTOR)
		for (int i = 0; i < 3; i++)
			sv(&b, &first, 0.98, context, "Power.Factor", ph[i], "Outlet", NULL, 2);
	if (m & CPSIM_MV_FREQUENCY)
		sv(&b, &first, 50.0, context, "Frequency", NULL, "Inlet", NULL, 2);
	if (m & CPSIM_MV_SOC)
		sv(&b, &first, 20.0 + (energy_wh / 1000.0 > 79 ? 79 : energy_wh / 1000.0), context, "SoC",
		   NULL, "EV", "Percent", 0);
	if (m & CPSIM_MV_TEMPERATURE)
		sv(&b, &first, 31.5, context, "Temperature", NULL, "Body", "Celsius", 1);
	sb_add(&b, "]}]}");
	return b.over ? -ENOSPC : (int)b.used;
}

void cpsim_reply_expect_ok(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	(void)arg;
	/* INVALID, ERROR and TIMEOUT are already counted by the core */
	if (r->kind == CPSIM_REPLY_CLOSED && !cp->reconnect)
		cpsim_cp_error(cp, "connection closed before an answer");
}

int cpsim_send_boot(struct cpsim_cp *cp, cpsim_reply_fn cb, void *arg)
{
	char p[512];
	int n = snprintf(p, sizeof(p),
			 "{\"chargePointVendor\":\"%s\",\"chargePointModel\":\"%s\","
			 "\"chargePointSerialNumber\":\"SN-%.20s\",\"chargeBoxSerialNumber\":\"BX-%.20s\","
			 "\"firmwareVersion\":\"cpsim-1.0\",\"iccid\":\"\",\"imsi\":\"\","
			 "\"meterType\":\"sim-meter\",\"meterSerialNumber\":\"M-%.20s\"}",
			 cp->model.vendor, cp->model.model, cp->id, cp->id, cp->id);

	return cpsim_call(cp, "BootNotification", p, (size_t)n, cb, arg);
}

int cpsim_send_heartbeat(struct cpsim_cp *cp, cpsim_reply_fn cb, void *arg)
{
	return cpsim_call(cp, "Heartbeat", "{}", 2, cb, arg);
}

int cpsim_send_status(struct cpsim_cp *cp, int connector, int status, cpsim_reply_fn cb, void *arg)
{
	char p[256], ts[32];
	int n;

	if (connector >= 0 && connector <= CPSIM_MAX_CONNECTORS)
		cp->model.conn[connector].status = status;
	cpsim_iso_time(cpsim_wall_us(), ts, sizeof(ts));
	n = snprintf(p, sizeof(p),
		     "{\"connectorId\":%d,\"errorCode\":\"NoError\",\"status\":\"%s\","
		     "\"timestamp\":\"%s\",\"info\":\"cpsim\",\"vendorId\":\"cpsim\"}",
		     connector, cpsim_status_name(status), ts);
	return cpsim_call(cp, "StatusNotification", p, (size_t)n, cb, arg);
}

int cpsim_send_meter_values(struct cpsim_cp *cp, int connector, const char *context, cpsim_reply_fn cb,
			    void *arg)
{
	struct cpsim_connector *c;
	char p[4096];
	int n;

	if (connector < 0 || connector > cp->model.connectors)
		return -EINVAL;
	c = &cp->model.conn[connector];
	if (cp->model.wb.on) {
		int64_t now = cpsim_now_us();

		cpsim_wallbox_update(cp, connector, now);
		n = cpsim_wallbox_meter_values(cp, connector, p, sizeof(p), cpsim_wall_us(), context);
		if (n < 0)
			return n;
		return cpsim_call(cp, "MeterValues", p, (size_t)n, cb, arg);
	}
	n = cpsim_format_meter_values(p, sizeof(p), connector, c->has_tx ? c->tx_id : -1, cpsim_wall_us(),
				      c->energy_wh, c->has_tx ? 16.0 : 0.0, CPSIM_MV_SESSION, context);
	if (n < 0)
		return n;
	return cpsim_call(cp, "MeterValues", p, (size_t)n, cb, arg);
}
