/* metrics.h: GET /metrics in the Prometheus text format (version 0.0.4),
 * from the counters (rpc_stats, commands_stats, csms_stats), the registry, the sessions' call
 * queues and a few store counts. */
#ifndef CSMS_METRICS_H
#define CSMS_METRICS_H

struct csms;
struct route_ctx;

void metrics_api(struct route_ctx *c); /* GET /metrics */

#endif
