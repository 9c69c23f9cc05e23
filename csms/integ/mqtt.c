/* mqtt.c: the MQTT connection, on a worker thread of its own. Why a
 * thread: libmosquitto resolves names (getaddrinfo), connects and
 * reconnects blocking, and its non-blocking connect must be driven by its
 * own thread anyway (mosquitto_connect_async needs mosquitto_loop_start);
 * so the worker owns every call that may wait (connect, the socket loop,
 * the backoff sleep) and the event loop never does. Outward, the loop
 * calls mosquitto_publish, which with mosquitto_threaded_set only appends
 * a packet under libmosquitto's own short lock and wakes the worker;
 * inward, the worker copies what arrives into a mailbox under a mutex held
 * for a copy, and calls the wake callback (lws_cancel_service), as the
 * Modbus driver does. The loop never touches the client while the worker
 * (re)connects: `connected` is cleared under the same mutex first.
 * The worker waits on the socket with poll(), not mosquitto_loop():
 * libmosquitto's loop selects and refuses a socket numbered FD_SETSIZE
 * (1024) or more, which every reconnect gets once a thousand chargers are
 * connected; a publish wakes it through an eventfd. */
#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Lives from mqtt_start to mqtt_stop. */
struct mqtt {
	struct mosquitto *mosq;
	struct mqtt_opts o; /* strings below are copies */
	char *ca, *user, *password, *client_id, *will_topic, *subs[MQTT_SUBS_MAX];
	pthread_t worker;
	int wake_fd;        /* eventfd: a packet was queued (the owner's publish) */
	pthread_mutex_t mu; /* guards what follows, up to the atomics */
	pthread_cond_t cv;  /* the worker's backoff sleep; mqtt_stop wakes it */
	int connected;
	unsigned session;
	char why[128];
	int retry_s;
	struct mqtt_msg inbox[MQTT_INBOX_MAX];
	size_t in_head, in_n;
	unsigned long dropped;
	atomic_int stop;
	atomic_int outstanding; /* publishes queued and not yet written */
	atomic_int got_connack; /* this connection was accepted: the backoff starts over */
};

int mqtt_url_parse(const char *url, struct mqtt_url *u, char *err, size_t errlen)
{
	const char *p;
	memset(u, 0, sizeof *u);
	if (!strncmp(url, "mqtt://", 7)) {
		p = url + 7;
		u->port = 1883;
	} else if (!strncmp(url, "mqtts://", 8)) {
		p = url + 8;
		u->port = 8883;
		u->tls = 1;
	} else {
		snprintf(err, errlen, "'%.80s' is not mqtt://HOST[:PORT] or mqtts://HOST[:PORT]", url);
		return -1;
	}
	size_t hl;
	const char *after;
	if (*p == '[') { /* [v6]:port */
		const char *close = strchr(p, ']');
		if (!close) {
			snprintf(err, errlen, "'%.80s': no ']' after the IPv6 address", url);
			return -1;
		}
		hl = (size_t)(close - p - 1);
		p++;
		after = close + 1;
	} else {
		hl = strcspn(p, ":/?#@");
		after = p + hl;
	}
	if (!hl || hl >= sizeof u->host) {
		snprintf(err, errlen, "'%.80s': no host name (or a longer one than 255)", url);
		return -1;
	}
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == '@' || p[i] == '/' || (unsigned char)p[i] >= 0x7f) {
			snprintf(err, errlen, "'%.80s': the host has a character a host name has not", url);
			return -1;
		}
	memcpy(u->host, p, hl);
	u->host[hl] = 0;
	if (*after == ':') {
		char *end;
		long port = strtol(after + 1, &end, 10);
		if (end == after + 1 || port < 1 || port > 65535 || (*end && strcmp(end, "/"))) {
			snprintf(err, errlen, "the port is not a number from 1 to 65535");
			return -1;
		}
		u->port = (int)port;
	} else if (*after && strcmp(after, "/")) {
		/* user:password@host would put a secret in a URL that is logged */
		snprintf(err, errlen,
			 "only mqtt[s]://HOST[:PORT], nothing after it (the user and password are mqtt_user "
			 "and mqtt_password)");
		return -1;
	}
	return 0;
}

/* ---- the worker's side (libmosquitto's callbacks run on it) ---- */

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt *m = arg;
	if (rc) {
		pthread_mutex_lock(&m->mu);
		snprintf(m->why, sizeof m->why, "the broker refused: %s", mosquitto_connack_string(rc));
		pthread_mutex_unlock(&m->mu);
		return; /* the broker closes; the worker backs off */
	}
	for (int i = 0; i < MQTT_SUBS_MAX && m->subs[i]; i++)
		mosquitto_subscribe(mosq, NULL, m->subs[i], 1);
	atomic_store(&m->outstanding, 0);
	atomic_store(&m->got_connack, 1);
	pthread_mutex_lock(&m->mu);
	m->connected = 1;
	m->session++;
	m->why[0] = 0;
	pthread_mutex_unlock(&m->mu);
	m->o.wake(m->o.wake_arg);
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	(void)mosq;
	(void)mid;
	struct mqtt *m = arg;
	if (atomic_fetch_sub(&m->outstanding, 1) <= 0)
		atomic_store(&m->outstanding, 0);
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
	(void)mosq;
	struct mqtt *m = arg;
	struct mqtt_msg in = { 0 };
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	in.len = len;
	in.too_big = len > 65536;
	in.topic = strdup(msg->topic);
	if (!in.too_big) {
		in.payload = malloc(len + 1);
		if (in.payload) {
			if (len)
				memcpy(in.payload, msg->payload, len);
			in.payload[len] = 0;
		}
	}
	if (!in.topic || (!in.too_big && !in.payload)) {
		mqtt_msg_free(&in);
		return;
	}
	pthread_mutex_lock(&m->mu);
	if (m->in_n < MQTT_INBOX_MAX) {
		m->inbox[(m->in_head + m->in_n++) % MQTT_INBOX_MAX] = in;
		in.topic = in.payload = NULL;
	} else {
		m->dropped++;
	}
	pthread_mutex_unlock(&m->mu);
	mqtt_msg_free(&in);
	m->o.wake(m->o.wake_arg);
}

static void set_down(struct mqtt *m, const char *why, int retry_s)
{
	pthread_mutex_lock(&m->mu);
	int was = m->connected;
	m->connected = 0;
	if (why && !m->why[0])
		snprintf(m->why, sizeof m->why, "%s", why);
	m->retry_s = retry_s;
	pthread_mutex_unlock(&m->mu);
	if (was)
		m->o.wake(m->o.wake_arg);
}

static void unlock_mu(void *mu)
{
	pthread_mutex_unlock(mu);
}

/* Sleeps s seconds, or less when mqtt_stop asks. */
static void backoff_sleep(struct mqtt *m, int s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s;
	pthread_mutex_lock(&m->mu);
	/* a cancel in the wait (mqtt_stop) must not leave mu held */
	pthread_cleanup_push(unlock_mu, &m->mu);
	while (!atomic_load(&m->stop))
		if (pthread_cond_timedwait(&m->cv, &m->mu, &until))
			break;
	pthread_cleanup_pop(1);
}

/* One turn of the socket: what mosquitto_loop() does, waiting in poll(). */
static int loop_once(struct mqtt *m, int timeout_ms)
{
	int fd = mosquitto_socket(m->mosq);
	if (fd < 0)
		return MOSQ_ERR_NO_CONN;
	struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = m->wake_fd, .events = POLLIN } };
	if (mosquitto_want_write(m->mosq))
		pf[0].events |= POLLOUT;
	int n = poll(pf, 2, timeout_ms);
	if (n < 0 && errno != EINTR)
		return MOSQ_ERR_ERRNO;
	if (n > 0 && pf[1].revents) {
		uint64_t v;
		while (read(m->wake_fd, &v, sizeof v) > 0)
			;
	}
	int rc = MOSQ_ERR_SUCCESS;
	if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
		rc = mosquitto_loop_read(m->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(m->mosq) >= 0 && mosquitto_want_write(m->mosq))
		rc = mosquitto_loop_write(m->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_loop_misc(m->mosq);
	return rc;
}

static void wake_worker(struct mqtt *m)
{
	uint64_t one = 1;
	if (write(m->wake_fd, &one, sizeof one) < 0) { /* full: the worker is awake anyway */
	}
}

static void *worker(void *arg)
{
	struct mqtt *m = arg;
	int delay = MQTT_BACKOFF_MIN_S, first = 1;
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	while (!atomic_load(&m->stop)) {
		atomic_store(&m->got_connack, 0);
		int rc = first ? mosquitto_connect(m->mosq, m->o.url.host, m->o.url.port, m->o.keepalive_s)
			       : mosquitto_reconnect(m->mosq);
		if (rc == MOSQ_ERR_SUCCESS) {
			first = 0;
			while (!atomic_load(&m->stop) && (rc = loop_once(m, 500)) == MOSQ_ERR_SUCCESS)
				;
		}
		if (atomic_load(&m->stop))
			break;
		if (atomic_load(&m->got_connack))
			delay = MQTT_BACKOFF_MIN_S; /* it worked: a new outage starts over */
		char why[128];
		snprintf(why, sizeof why, "%s",
			 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		set_down(m, why, delay);
		backoff_sleep(m, delay);
		delay = delay * 2 > MQTT_BACKOFF_MAX_S ? MQTT_BACKOFF_MAX_S : delay * 2;
		pthread_mutex_lock(&m->mu);
		m->why[0] = 0;
		pthread_mutex_unlock(&m->mu);
	}
	set_down(m, NULL, 0);
	return NULL;
}

/* ---- the owner's side ---- */

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void free_strings(struct mqtt *m)
{
	free(m->ca);
	free(m->user);
	free(m->password);
	free(m->client_id);
	free(m->will_topic);
	for (int i = 0; i < MQTT_SUBS_MAX; i++)
		free(m->subs[i]);
}

static void lib_init(void)
{
	mosquitto_lib_init();
}

struct mqtt *mqtt_start(const struct mqtt_opts *o, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, lib_init);
	struct mqtt *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->o = *o;
	m->ca = dup_or_null(o->ca);
	m->user = dup_or_null(o->user);
	m->password = dup_or_null(o->password);
	m->client_id = dup_or_null(o->client_id);
	m->will_topic = dup_or_null(o->will_topic);
	for (int i = 0; i < MQTT_SUBS_MAX && o->subs[i]; i++)
		m->subs[i] = strdup(o->subs[i]);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->wake_fd < 0) {
		snprintf(err, errlen, "mqtt: eventfd: %s", strerror(errno));
		goto fail;
	}
	m->mosq = mosquitto_new(m->client_id, true, m);
	if (!m->mosq) {
		snprintf(err, errlen, "mqtt: cannot create the client (out of memory?)");
		goto fail;
	}
	mosquitto_threaded_set(m->mosq, true);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	mosquitto_message_callback_set(m->mosq, on_message);
	int rc = MOSQ_ERR_SUCCESS;
	if (m->user)
		rc = mosquitto_username_pw_set(m->mosq, m->user, m->password);
	if (!rc && m->will_topic)
		rc = mosquitto_will_set(m->mosq, m->will_topic, 7, "offline", 1, true);
	if (rc) {
		snprintf(err, errlen, "mqtt: %s", mosquitto_strerror(rc));
		goto fail;
	}
	if (o->url.tls) {
		rc = m->ca ? mosquitto_tls_set(m->mosq, m->ca, NULL, NULL, NULL, NULL)
			   : mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		if (rc) {
			snprintf(err, errlen, "mqtt_ca: %s: %s", m->ca ? m->ca : "(system CAs)",
				 mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (pthread_create(&m->worker, NULL, worker, m)) {
		snprintf(err, errlen, "mqtt: cannot start its thread");
		goto fail;
	}
	return m;
fail:
	if (m->mosq)
		mosquitto_destroy(m->mosq);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	free_strings(m);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
	return NULL;
}

void mqtt_stop(struct mqtt *m, const char *offline_topic)
{
	if (!m)
		return;
	if (mqtt_connected(m, NULL)) {
		/* a clean disconnect sends no will: say it ourselves, then
		 * DISCONNECT once the worker has written it (at most 1 s) */
		if (offline_topic)
			mqtt_publish(m, offline_topic, "offline", 7, 1, 1);
		for (int i = 0; i < 50 && atomic_load(&m->outstanding) > 0; i++)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		mosquitto_disconnect(m->mosq);
		wake_worker(m);
		for (int i = 0; i < 50 && mqtt_connected(m, NULL); i++)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	atomic_store(&m->stop, 1);
	pthread_mutex_lock(&m->mu);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	if (pthread_timedjoin_np(m->worker, NULL, &until)) {
		/* stuck in a connect to a host that does not answer: libmosquitto
		 * holds none of its locks across the connect (mosquitto__reconnect),
		 * so the client can still be destroyed after the cancel */
		pthread_cancel(m->worker);
		pthread_join(m->worker, NULL);
	}
	mosquitto_destroy(m->mosq);
	close(m->wake_fd);
	for (size_t i = 0; i < m->in_n; i++)
		mqtt_msg_free(&m->inbox[(m->in_head + i) % MQTT_INBOX_MAX]);
	free_strings(m);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, size_t len, int qos, int retain)
{
	int rc = -1;
	if (!m || len > 256 * 1024 || atomic_load(&m->outstanding) >= MQTT_OUTSTANDING_MAX)
		return -1;
	/* held only to read the flag and queue: the worker takes it to flip
	 * the flag before it reconnects, never while it waits */
	pthread_mutex_lock(&m->mu);
	if (m->connected) {
		atomic_fetch_add(&m->outstanding, 1);
		if (mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, qos, retain != 0) ==
		    MOSQ_ERR_SUCCESS) {
			rc = 0;
			wake_worker(m);
		} else
			atomic_fetch_sub(&m->outstanding, 1);
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int mqtt_connected(struct mqtt *m, unsigned *session)
{
	if (!m)
		return 0;
	pthread_mutex_lock(&m->mu);
	int c = m->connected;
	if (session)
		*session = m->session;
	pthread_mutex_unlock(&m->mu);
	return c;
}

void mqtt_last_error(struct mqtt *m, char *why, size_t len, int *retry_s)
{
	if (!m) {
		snprintf(why, len, "no client");
		*retry_s = 1;
		return;
	}
	pthread_mutex_lock(&m->mu);
	snprintf(why, len, "%s", m->why);
	*retry_s = m->retry_s;
	pthread_mutex_unlock(&m->mu);
}

int mqtt_take(struct mqtt *m, struct mqtt_msg *out)
{
	int got = 0;
	if (!m)
		return 0;
	pthread_mutex_lock(&m->mu);
	if (m->in_n) {
		*out = m->inbox[m->in_head];
		m->in_head = (m->in_head + 1) % MQTT_INBOX_MAX;
		m->in_n--;
		got = 1;
	}
	pthread_mutex_unlock(&m->mu);
	return got;
}

void mqtt_msg_free(struct mqtt_msg *msg)
{
	free(msg->topic);
	free(msg->payload);
	msg->topic = msg->payload = NULL;
}

unsigned long mqtt_dropped(struct mqtt *m)
{
	pthread_mutex_lock(&m->mu);
	unsigned long n = m->dropped;
	pthread_mutex_unlock(&m->mu);
	return n;
}
