/* main.c: csmsd start-up and shutdown: config, store, schemas, server,
 * control; then the event loop until SIGTERM/SIGINT (SIGHUP is logged and
 * otherwise ignored). */
#include "charger.h"
#include "config.h"
#include "control.h"
#include "energy.h"
#include "evhook.h"
#include "integ.h"
#include "api_fleet.h"
#include "fleet.h"
#include "history.h"
#include "app.h"
#include "csms.h"
#include "csms_version.h"
#include "log.h"
#include "modbus_fd.h"
#include "mqtt_link.h"
#include "notify.h"
#include "ocppj.h"
#include "schema.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct csms *the_app; /* for the signal handler only */

/* SIGHUP: only noted here (a handler may not log); csms_tick logs it. */
static void on_hup(int sig)
{
	(void)sig;
	if (the_app) {
		the_app->hup = 1;
		server_wake(the_app->server);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (the_app) {
		the_app->stopping = 1;
		server_wake(the_app->server);
	}
}

static int is_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") || !strcmp(addr, "localhost");
}

/* The listeners' rules across keys. */
static int check_listeners(const struct csms_config *c, char *err, size_t errlen)
{
	if (!c->admin_token[0] && !is_loopback(c->admin_bind))
		snprintf(err, errlen,
			 "admin_token: must be set when admin_bind (%s) is not a loopback address",
			 c->admin_bind);
	else if (c->security_profile >= 2 && !c->tls_port)
		snprintf(err, errlen, "security_profile %d needs tls_port", c->security_profile);
	else if (c->security_profile >= 2 && c->ws_port)
		snprintf(err, errlen,
			 "security_profile %d: set ws_port to 0 (now %d): chargers must not "
			 "connect over plain ws:// with this profile",
			 c->security_profile, c->ws_port);
	else if (c->security_profile == 3 && !c->tls_ca[0])
		snprintf(err, errlen,
			 "security_profile 3 needs tls_ca (the CA of the chargers' certificates)");
	else
		return 0;
	return -1;
}

/* What the config table's bounds (config_load) cannot tell: rules across
 * keys and the dlm/ and station/ libraries' own checks. All run before
 * anything is opened or written; each names the key it refuses. */
static int (*const settings_checks[])(const struct csms_config *, char *, size_t) = {
	check_listeners,      control_check_config,   energy_check_config,
	history_check_config, mqtt_link_check_config, integ_check_config,
};

int main(int argc, char **argv)
{
	static struct csms app;
	char err[512];
	int rc = config_load(&app.cfg, argc, argv);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return 2;
	log_set_level((enum log_level)app.cfg.log_level);
	log_set_format((enum log_format)app.cfg.log_format);
	config_warn_unknown_env();
	config_log_origins(&app.cfg);
	for (size_t i = 0; i < sizeof settings_checks / sizeof settings_checks[0]; i++)
		if (settings_checks[i](&app.cfg, err, sizeof err)) {
			fprintf(stderr, "csmsd: %s\n", err);
			config_free(&app.cfg);
			return 2;
		}
	app.now_ms = time_now_ms();
	if (schema_init()) {
		fprintf(stderr, "csmsd: the embedded OCPP schemas do not load\n");
		return 2;
	}
	app.chargers = charger_registry_new();
	if (!app.chargers) {
		fprintf(stderr, "csmsd: out of memory\n");
		return 2;
	}
	csms_wire(&app);
	/* Modbus links (the grid sensors of the sites, the station source, a
	 * sensor swapped in by the API) on descriptors below FD_SETSIZE, taken
	 * while few are open: libmodbus selects, and chargers may hold
	 * thousands later. More links than the reserve take a free low one, or
	 * report that none is left. */
	modbus_fd_reserve(MODBUS_FD_SLOTS);
	/* Listen first: a port in use must not leave a database behind. */
	if (csms_server_start(&app, err, sizeof err)) {
		fprintf(stderr, "csmsd: %s\n", err);
		return 2;
	}
	if (store_open(app.cfg.db, &app.store, err, sizeof err)) {
		fprintf(stderr, "csmsd: db %s: %s\n", app.cfg.db, err);
		server_destroy(app.server);
		return 2;
	}
	if (fleet_open(&app, &api_fleet_hooks, err, sizeof err)) {
		fprintf(stderr, "csmsd: %s\n", err);
		server_destroy(app.server);
		store_close(app.store);
		return 2;
	}
	if (control_init(&app, err, sizeof err)) {
		fprintf(stderr, "csmsd: %s\n", err);
		server_destroy(app.server);
		control_free(&app);
		store_close(app.store);
		return 2;
	}
	if (energy_init(&app, err, sizeof err)) {
		fprintf(stderr, "csmsd: %s\n", err);
		server_destroy(app.server);
		control_free(&app);
		energy_free(&app);
		store_close(app.store);
		return 2;
	}
	if (mqtt_link_init(&app, err, sizeof err)) { /* connects in the background */
		fprintf(stderr, "csmsd: %s\n", err);
		server_destroy(app.server);
		control_free(&app);
		energy_free(&app);
		store_close(app.store);
		return 2;
	}
	if (integ_init(&app, err, sizeof err)) {
		fprintf(stderr, "csmsd: %s\n", err);
		mqtt_link_free(&app);
		server_destroy(app.server);
		control_free(&app);
		energy_free(&app);
		store_close(app.store);
		return 2;
	}
	the_app = &app;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Name only the listeners that exist (ws_port 0 with profiles 2 and 3). */
	char ws[96] = "", wss[96] = "";
	if (app.cfg.ws_port)
		snprintf(ws, sizeof ws, "ws://%s:%d/ocpp/<id> ", app.cfg.ws_bind, app.cfg.ws_port);
	if (app.cfg.tls_port)
		snprintf(wss, sizeof wss, "wss://%s:%d/ocpp/<id> ", app.cfg.ws_bind, app.cfg.tls_port);
	LOGI("main", "csmsd %s listening: OCPP %s%s(security profile %d), admin http://%s:%d/api/v1",
	     CSMS_VERSION, ws, wss, app.cfg.security_profile, app.cfg.admin_bind, app.cfg.admin_port);
	char status[320]; /* both listeners (96 each), the admin address */
	snprintf(status, sizeof status, "OCPP %s%sadmin http://%s:%d", ws, wss, app.cfg.admin_bind,
		 app.cfg.admin_port);
	notify_ready(status);
	server_run(app.server, &app.stopping);
	LOGI("main", "shutting down");
	notify_stopping();
	/* Chargers see a clean close (1001), not a dropped connection; a
	 * charger that does not answer costs at most a second. */
	server_close_all(app.server, 1000);
	mqtt_link_free(&app);       /* "offline"; its thread wakes the server: before it goes */
	server_destroy(app.server); /* closes what is left */
	app.server = NULL;
	integ_free(&app);   /* requests in flight dropped; before the station goes */
	fleet_close(&app);  /* after the sessions: the node's leases and row go */
	history_free(&app); /* the bucket being filled, before the station goes */
	energy_free(&app);
	control_free(&app);
	csms_end_of_turn(&app);
	store_close(app.store);
	charger_registry_free(app.chargers);
	evhook_free(&app);
	schema_free();
	config_free(&app.cfg);
	return 0;
}
