/* mqtt_link.h: csmsd on MQTT (settings mqtt_*): the station, DLM and every
 * accepted charger published under mqtt_prefix, Home Assistant discovery
 * under mqtt_discovery_prefix, and commands on <prefix>/.../set applied
 * through the same code the admin API uses. Runs on the loop thread; the
 * connection itself is mqtt.c's, which never blocks the loop.
 * Ownership: mqtt_link_init allocates app->mqtt (NULL when MQTT is off);
 * mqtt_link_free releases it. */
#ifndef CSMS_MQTT_LINK_H
#define CSMS_MQTT_LINK_H

#include <stddef.h>

struct csms;
struct csms_config;

/* The mqtt_* settings as mqtt_link_init will use them (the URL, the
 * prefixes, the CA file, the client id), without connecting: before the
 * store is opened. 0, or -1 with err naming the key. */
int mqtt_link_check_config(const struct csms_config *cfg, char *err, size_t errlen);
/* Starts the connection when mqtt_url is set (it connects in the
 * background; a broker that is down is no error). -1 with err naming the
 * key libmosquitto refused. */
int mqtt_link_init(struct csms *app, char *err, size_t errlen);
/* "offline" (retained) and a clean disconnect, then frees. */
void mqtt_link_free(struct csms *app);
/* From the loop's tick: publishes what changed (at once for states, every
 * mqtt_period_s for measurements), discovery after each new connection.
 * The tick's period is the limit on passes: call it from nowhere else. */
void mqtt_link_tick(struct csms *app);
/* The loop was woken: applies the commands that arrived. */
void mqtt_link_wake(struct csms *app);

#endif
