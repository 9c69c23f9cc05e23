/* integ.c: the integrations' one HTTP client, their start, tick and end
 * (integ.h): webhooks, price and PV feeds, the outage schedule file. */
#include "integ.h"
#include "csms.h"
#include "evhook.h"
#include "feeds.h"
#include "httpc.h"
#include "log.h"
#include "outages.h"
#include "webhook.h"

#include <stdlib.h>

struct integ {
	struct httpc *http;
	struct webhook *webhook;
	struct feeds *feeds;
	struct outages *outages;
};

int integ_check_config(const struct csms_config *cfg, char *err, size_t errlen)
{
	if (webhook_check_config(cfg, err, errlen) || feeds_check_config(cfg, err, errlen))
		return -1;
	return 0;
}

int integ_init(struct csms *app, char *err, size_t errlen)
{
	const struct csms_config *cfg = &app->cfg;
	if (!cfg->webhook_url[0] && !feeds_wanted(cfg) && !cfg->station_outages_file[0])
		return 0;
	struct integ *in = calloc(1, sizeof *in);
	if (!in || !(in->http = httpc_new())) {
		free(in);
		snprintf(err, errlen, "integrations: the HTTP client (libcurl) does not start");
		return -1;
	}
	app->integ = in;
	err[0] = 0;
	if (cfg->webhook_url[0]) {
		in->webhook = webhook_new(app, in->http, err, errlen);
		if (!in->webhook || evhook_listen(app, webhook_on_event, in->webhook)) {
			if (!err[0])
				snprintf(err, errlen, "webhook_url: the webhooks do not start");
			integ_free(app);
			return -1;
		}
	}
	if (feeds_wanted(cfg) && !(in->feeds = feeds_new(app, in->http, err, errlen))) {
		integ_free(app);
		return -1;
	}
	if (cfg->station_outages_file[0] && !(in->outages = outages_new(app))) {
		snprintf(err, errlen, "station_outages_file: out of memory");
		integ_free(app);
		return -1;
	}
	return 0;
}

void integ_tick(struct csms *app)
{
	struct integ *in = app->integ;
	if (!in)
		return;
	httpc_poll(in->http);
	if (in->webhook)
		webhook_tick(in->webhook, app->now_ms);
	if (in->feeds)
		feeds_tick(in->feeds, app->now_ms);
	if (in->outages)
		outages_tick(in->outages, app->now_ms);
	httpc_poll(in->http); /* what was just started gets its first move now */
}

void integ_free(struct csms *app)
{
	struct integ *in = app->integ;
	if (!in)
		return;
	httpc_free(in->http); /* no callbacks: the queues go with their owners below */
	if (in->webhook)
		evhook_unlisten(app, webhook_on_event, in->webhook);
	webhook_free(in->webhook);
	feeds_free(in->feeds);
	outages_free(in->outages);
	free(in);
	app->integ = NULL;
}
