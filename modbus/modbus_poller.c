/*
 * The polling thread the Modbus drivers share: connect, poll at a fixed
 * rate, reconnect with exponential backoff, post into the mailbox, wake
 * the owner; and the block read plan. What a reading is and what gets
 * written belong to the driver's callbacks.
 */
#include "modbus_poller.h"

#include "modbus_fd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/select.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------- read plan */

int modbus_blocks_plan(modbus_blocks *bl, const modbus_span *regs, size_t n, size_t *bad_pos)
{
	int order[MODBUS_MAX_BLOCKS];
	if (n > MODBUS_MAX_BLOCKS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	for (size_t i = 1; i < n; i++) { /* insertion sort by (fc, addr) */
		int v = order[i];
		size_t j = i;
		while (j > 0 &&
		       (regs[order[j - 1]].fc > regs[v].fc ||
			(regs[order[j - 1]].fc == regs[v].fc && regs[order[j - 1]].addr > regs[v].addr))) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	bl->n = 0;
	for (size_t i = 0; i < n; i++) {
		const modbus_span *r = &regs[order[i]];
		int words = modbus_reg_words(r->type);
		if (r->bad || !words || (r->fc != 3 && r->fc != 4)) {
			if (bad_pos)
				*bad_pos = i;
			return -EINVAL;
		}
		uint32_t end = (uint32_t)r->addr + (uint32_t)words;
		modbus_block *b = bl->n ? &bl->b[bl->n - 1] : NULL;
		if (b && b->fc == r->fc && r->addr <= (uint32_t)b->addr + b->count &&
		    end - b->addr <= MODBUS_BLOCK_WORDS) {
			if (end > (uint32_t)b->addr + b->count)
				b->count = (uint16_t)(end - b->addr);
		} else {
			b = &bl->b[bl->n++];
			*b = (modbus_block){ r->fc, r->addr, (uint16_t)words };
		}
		bl->reg_block[order[i]] = (int)bl->n - 1;
	}
	return 0;
}

int modbus_blocks_read(modbus_blocks *bl, modbus_t *mb, char *why, size_t len)
{
	for (size_t i = 0; i < bl->n; i++) {
		uint8_t fc = bl->b[i].fc;
		uint16_t addr = bl->b[i].addr, count = bl->b[i].count;
		int rc = fc == 3 ? modbus_read_registers(mb, addr, count, bl->words[i])
				 : modbus_read_input_registers(mb, addr, count, bl->words[i]);
		if (rc != count) {
			snprintf(why, len, "read fc%d at %u: %s", fc, addr,
				 rc < 0 ? modbus_strerror(errno) : "short reply");
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ helpers */

int64_t modbus_poller_now(const modbus_poller *p)
{
	if (p->cfg.clock_ms)
		return p->cfg.clock_ms(p->cfg.ctx);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(const modbus_poller *p)
{
	if (p->cfg.wake)
		p->cfg.wake(p->cfg.ctx);
}

void modbus_poller_lock(modbus_poller *p)
{
	pthread_mutex_lock(&p->mu);
}

void modbus_poller_unlock(modbus_poller *p)
{
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------- mailbox */

void modbus_poller_post(modbus_poller *p, const void *r, int64_t ts_ms)
{
	pthread_mutex_lock(&p->mu);
	memcpy(p->cfg.latest, r, p->cfg.size);
	p->has_reading = true;
	p->seq++;
	p->health.ok = true;
	p->health.consecutive_failures = 0;
	p->health.last_success_ms = ts_ms;
	p->health.readings++;
	pthread_mutex_unlock(&p->mu);
}

/* Returns true when the health turned bad with this failure. */
static bool post_failure(modbus_poller *p, const char *what, const char *why)
{
	pthread_mutex_lock(&p->mu);
	bool was_ok = p->health.ok || p->health.failures == 0;
	p->health.ok = false;
	p->health.consecutive_failures++;
	p->health.failures++;
	snprintf(p->health.last_error, sizeof p->health.last_error, "%s: %s", what, why);
	pthread_mutex_unlock(&p->mu);
	return was_ok;
}

bool modbus_poller_latest(modbus_poller *p, void *r, modbus_health *h, uint64_t *seq)
{
	pthread_mutex_lock(&p->mu);
	bool has = p->has_reading;
	if (r && has)
		memcpy(r, p->cfg.latest, p->cfg.size);
	if (h)
		*h = p->health;
	if (seq)
		*seq = p->seq;
	pthread_mutex_unlock(&p->mu);
	return has;
}

/* ---------------------------------------------------------------- link */

/* The link's descriptor goes back to /dev/null in its slot (never
 * modbus_close(), which would give the low number up). */
static void link_close(modbus_poller *p)
{
	if (p->mb) {
		modbus_set_socket(p->mb, -1);
		modbus_free(p->mb);
		p->mb = NULL;
		if (p->slot >= 0 && modbus_fd_clear(p->slot) < 0)
			p->slot = -1; /* closed: the next connect takes another */
	}
}

/* A connected TCP socket (non-blocking, as libmodbus keeps its own), or -1
 * with why: each address of the host in turn, each within the timeout. */
static int tcp_connect(const modbus_poller_cfg *c, char *why, size_t len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char port[12];
	snprintf(port, sizeof port, "%d", c->port);
	int rc = getaddrinfo(c->host, port, &hints, &ai);
	if (rc) {
		snprintf(why, len, "%s: %s", c->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = ECONNREFUSED;
	for (const struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			int n;
			do
				n = poll(&pf, 1, c->timeout_ms > 0 ? c->timeout_ms : 1000);
			while (n < 0 && errno == EINTR);
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			err = n == 0 ? ETIMEDOUT : soerr ? soerr : errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(why, len, "%s", strerror(err));
	return fd;
}

static int link_connect(modbus_poller *p, char *why, size_t len)
{
	const modbus_poller_cfg *c = &p->cfg;
	link_close(p);
	if (p->slot < 0 && (p->slot = modbus_fd_take()) < 0) {
		p->slot = -1;
		snprintf(why, len, "no file descriptor below %d free (libmodbus selects)", FD_SETSIZE);
		return -1;
	}
	char port[12];
	snprintf(port, sizeof port, "%d", c->port);
	p->mb = c->link == MODBUS_LINK_TCP
		? modbus_new_tcp_pi(c->host, port)
		: modbus_new_rtu(c->device, c->baud, c->parity, c->data_bits, c->stop_bits);
	if (!p->mb) {
		snprintf(why, len, "%s", modbus_strerror(errno));
		return -1;
	}
	uint32_t sec = (uint32_t)(c->timeout_ms / 1000), usec = (uint32_t)(c->timeout_ms % 1000) * 1000;
	modbus_set_response_timeout(p->mb, sec, usec);
	modbus_set_slave(p->mb, c->unit);
	int fd;
	if (c->link == MODBUS_LINK_TCP) {
		fd = tcp_connect(c, why, len);
	} else if (modbus_connect(p->mb) < 0) { /* opens and sets up the device; no select */
		snprintf(why, len, "%s", modbus_strerror(errno));
		fd = -1;
	} else {
		fd = modbus_get_socket(p->mb);
	}
	modbus_set_socket(p->mb, -1);
	int rc = fd < 0 ? -1 : modbus_fd_place(fd, p->slot);
	if (fd >= 0 && rc < 0)
		snprintf(why, len, "dup3: %s", strerror(-rc));
	if (rc < 0) {
		link_close(p);
		return -1;
	}
	modbus_set_socket(p->mb, p->slot);
	if (c->on_connect)
		c->on_connect(c->drv);
	pthread_mutex_lock(&p->mu);
	p->health.connects++;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* ------------------------------------------------------------- thread */

static void add_ms(struct timespec *ts, int ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Sleeps until the deadline or a stop request; true when asked to stop. */
static bool sleep_until(modbus_poller *p, const struct timespec *deadline)
{
	pthread_mutex_lock(&p->mu);
	while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, deadline) != ETIMEDOUT)
		;
	bool stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	return stop;
}

static void *run(void *arg)
{
	modbus_poller *p = arg;
	const modbus_poller_cfg *c = &p->cfg;
	int backoff = c->backoff_min_ms;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		char why[100];
		int64_t ts;
		bool ok;
		if (c->link != MODBUS_LINK_NONE && !p->mb && link_connect(p, why, sizeof why) < 0) {
			if (post_failure(p, "connect", why))
				wake(p);
			ok = false;
		} else if (c->poll(c->drv, p->mb, why, sizeof why, &ts) == 0) {
			modbus_poller_post(p, c->scratch, ts);
			wake(p);
			if (c->after_post && c->after_post(c->drv, p->mb) < 0)
				link_close(p); /* the next poll reconnects */
			ok = true;
		} else {
			/* drop the link: a half-read reply would desynchronise it */
			link_close(p);
			if (post_failure(p, "poll", why))
				wake(p);
			ok = false;
		}
		if (ok) {
			backoff = c->backoff_min_ms;
			/* fixed rate: the next poll is one interval after the last start */
			add_ms(&next, c->poll_ms);
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec ||
			    (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
				next = now; /* late: do not try to catch up */
			if (sleep_until(p, &next))
				break;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &next);
		add_ms(&next, backoff);
		backoff = backoff * 2 > c->backoff_max_ms ? c->backoff_max_ms : backoff * 2;
		if (sleep_until(p, &next))
			break;
		clock_gettime(CLOCK_MONOTONIC, &next);
	}
	link_close(p);
	return NULL;
}

/* ---------------------------------------------------------- lifecycle */

int modbus_poller_init(modbus_poller *p, const modbus_poller_cfg *cfg)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
	p->health.last_success_ms = -1;
	p->slot = -1;
	pthread_condattr_t ca;
	int rc = -pthread_condattr_init(&ca);
	if (rc < 0)
		return rc;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = -pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc < 0)
		return rc;
	if ((rc = -pthread_mutex_init(&p->mu, NULL)) < 0)
		goto out_cond;
	return 0;

out_cond:
	pthread_cond_destroy(&p->cv);
	return rc;
}

int modbus_poller_start(modbus_poller *p)
{
	if (!p->cfg.poll)
		return 0;
	int rc = -pthread_create(&p->thread, NULL, run, p);
	if (rc < 0)
		return rc;
	p->has_thread = true;
	return 0;
}

void modbus_poller_fini(modbus_poller *p)
{
	if (p->has_thread) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		p->has_thread = false;
	}
	link_close(p);
	modbus_fd_give(p->slot);
	p->slot = -1;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}
