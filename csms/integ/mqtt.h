/* mqtt.h: one MQTT client connection (libmosquitto) that never blocks the
 * caller. A worker thread of its own resolves, connects (TCP, TLS,
 * CONNECT), reads, writes and reconnects with exponential backoff; the
 * owner (the event loop) publishes through it without waiting and takes
 * what arrived from a small mailbox, after the wake callback told it to
 * look. Everything here but the worker runs on the owner's thread. */
#ifndef CSMS_MQTT_H
#define CSMS_MQTT_H

#include <stddef.h>

#define MQTT_BACKOFF_MIN_S 1
#define MQTT_BACKOFF_MAX_S 60
#define MQTT_INBOX_MAX 64         /* messages waiting for the loop; more are dropped */
#define MQTT_OUTSTANDING_MAX 4096 /* publishes not yet written; beyond, mqtt_publish refuses */
#define MQTT_SUBS_MAX 8

/* mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (a bracketed IPv6 address too). */
struct mqtt_url {
	char host[256];
	int port; /* 1883, mqtts 8883 when not given */
	int tls;
};
/* 0, or -1 with err saying what is wrong (no text of the password). */
int mqtt_url_parse(const char *url, struct mqtt_url *u, char *err, size_t errlen);

/* What to connect to; strings are copied by mqtt_start. */
struct mqtt_opts {
	struct mqtt_url url;
	const char *ca;                  /* TLS: CA file; NULL or "": the system's CAs */
	const char *user;                /* NULL or "": no user name */
	const char *password;            /* NULL or "": none */
	const char *client_id;           /* not empty */
	const char *will_topic;          /* the last will: "offline" there, retained */
	const char *subs[MQTT_SUBS_MAX]; /* subscribed at every connect (QoS 1) */
	int keepalive_s;
	void (*wake)(void *arg); /* from the worker: something is waiting (thread-safe) */
	void *wake_arg;
};

struct mqtt;
/* The calls below take m NULL (no client) as a client not connected:
 * nothing published, nothing taken. */

/* Starts the worker (which connects at once, and keeps trying). NULL with
 * err when libmosquitto refuses an option (a CA file it cannot read). */
struct mqtt *mqtt_start(const struct mqtt_opts *o, char *err, size_t errlen);
/* Publishes payload "online" is not: publishes offline_topic = "offline"
 * (retained) when connected, disconnects, stops the worker and frees m.
 * Waits at most about 2 s (a worker stuck in a connect is cancelled). */
void mqtt_stop(struct mqtt *m, const char *offline_topic);

/* Queues a message; never waits on the network. 0; -1 when not connected
 * or MQTT_OUTSTANDING_MAX messages wait to be written (a slow broker): the
 * caller publishes it again later. */
int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, size_t len, int qos, int retain);

/* The connection now: 1 connected (CONNACK accepted), 0 not. *session
 * (may be NULL) counts the connections made so far: a new number means a
 * new session to publish everything to again. */
int mqtt_connected(struct mqtt *m, unsigned *session);
/* Why the last attempt failed ("" none) and the seconds until the next,
 * into why; for the log when the state changes. */
void mqtt_last_error(struct mqtt *m, char *why, size_t len, int *retry_s);

/* One message that arrived. topic and payload are owned by it (mqtt_msg_free). */
struct mqtt_msg {
	char *topic;
	char *payload; /* NUL-terminated copy; NULL when too_big */
	size_t len;    /* the payload's size as sent */
	int too_big;   /* longer than max_payload: only its size is kept */
};
/* Takes the oldest waiting message: 1, or 0 when none waits. Messages over
 * max_payload bytes keep only their topic and size. */
int mqtt_take(struct mqtt *m, struct mqtt_msg *out);
void mqtt_msg_free(struct mqtt_msg *msg);
/* Messages dropped because the mailbox was full. */
unsigned long mqtt_dropped(struct mqtt *m);

#endif
