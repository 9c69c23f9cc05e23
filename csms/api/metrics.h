/* metrics.h: GET /metrics in the Prometheus text format (version 0.0.4),
 * from the counters in struct rpc_stats and csms_stats, the registry, the sessions' call
 * queues and a few store counts. */
#ifndef CSMS_METRICS_H
#define CSMS_METRICS_H

#include <stdint.h>

struct csms;
struct route_ctx;

/* Upper bounds (s) of the CS call latency histogram buckets (+Inf follows). */
extern const double metrics_lat_bounds_s[];

/* Counts a CALL we sent that ended (outcome column of csms_stats.out_msgs);
 * latency_ms < 0: not answered (not observed in the histogram). */
void metrics_out(struct csms *app, int row, int outcome, int64_t latency_ms);

void metrics_api(struct route_ctx *c);   /* GET /metrics */

#endif
