/* reqline.c: keeps each accepted connection's first request line as sent
 * (see reqline.h), and checks its target. The capture sits on the two
 * calls lws 4.1 reads a socket with: csmsd defines recv() and SSL_read(),
 * which the dynamic linker resolves libwebsockets' calls to, and passes
 * them on to libc (recvfrom) and libssl (the next SSL_read). It fails
 * closed: a request whose line was not seen is refused, never routed.
 * recv() is also called by the Modbus poller's thread, hence the mutex. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "reqline.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

enum { RL_CAPTURING = 1, RL_DONE, RL_TOO_LONG };

struct rl_slot {
	int state;
	size_t len, cap;
	char *buf; /* grows up to REQLINE_MAX: an idle connection costs little */
};

static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl_slot **rl_slots;
static size_t rl_nslots;
static size_t rl_live; /* slots allocated: recv() skips the lock when 0 */

static void slot_free_locked(int fd)
{
	if (fd >= 0 && (size_t)fd < rl_nslots && rl_slots[fd]) {
		free(rl_slots[fd]->buf);
		free(rl_slots[fd]);
		rl_slots[fd] = NULL;
		rl_live--;
	}
}

void reqline_expect(int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&rl_lock);
	slot_free_locked(fd);
	if ((size_t)fd >= rl_nslots) {
		size_t n = rl_nslots ? rl_nslots : 256;
		while (n <= (size_t)fd)
			n *= 2;
		struct rl_slot **v = realloc(rl_slots, n * sizeof *v);
		if (!v)
			goto out;
		memset(v + rl_nslots, 0, (n - rl_nslots) * sizeof *v);
		rl_slots = v;
		rl_nslots = n;
	}
	struct rl_slot *s = calloc(1, sizeof *s);
	if (s) {
		s->state = RL_CAPTURING;
		rl_slots[fd] = s;
		rl_live++;
	}
out:
	pthread_mutex_unlock(&rl_lock);
}

void reqline_forget(int fd)
{
	pthread_mutex_lock(&rl_lock);
	slot_free_locked(fd);
	pthread_mutex_unlock(&rl_lock);
}

int reqline_take(int fd, char *buf, size_t cap)
{
	int n = -1;
	pthread_mutex_lock(&rl_lock);
	if (fd >= 0 && (size_t)fd < rl_nslots && rl_slots[fd]) {
		struct rl_slot *s = rl_slots[fd];
		if (s->state == RL_DONE && s->len < cap) {
			if (s->len)
				memcpy(buf, s->buf, s->len);
			buf[s->len] = 0;
			n = (int)s->len;
		}
		slot_free_locked(fd);
	}
	pthread_mutex_unlock(&rl_lock);
	return n;
}

static int grow(struct rl_slot *s, size_t need)
{
	size_t cap = s->cap ? s->cap : 128;
	while (cap < need)
		cap *= 2;
	char *b = realloc(s->buf, cap);
	if (!b)
		return -1;
	s->buf = b;
	s->cap = cap;
	return 0;
}

/* What lws just read from fd: the part up to the first LF is the line. */
static void seen(int fd, const void *data, ssize_t got)
{
	if (got <= 0 || fd < 0)
		return;
	pthread_mutex_lock(&rl_lock);
	struct rl_slot *s = (size_t)fd < rl_nslots ? rl_slots[fd] : NULL;
	if (s && s->state == RL_CAPTURING) {
		const char *p = data;
		const char *lf = memchr(p, '\n', (size_t)got);
		size_t n = lf ? (size_t)(lf - p) : (size_t)got;
		if (s->len + n > REQLINE_MAX) {
			s->state = RL_TOO_LONG;
		} else if (s->len + n > s->cap && grow(s, s->len + n)) {
			s->state = RL_TOO_LONG; /* out of memory: refused, never routed */
		} else {
			memcpy(s->buf + s->len, p, n);
			s->len += n;
			if (lf) {
				if (s->len && s->buf[s->len - 1] == '\r')
					s->len--;
				s->state = RL_DONE;
			}
		}
	}
	pthread_mutex_unlock(&rl_lock);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t got = recvfrom(fd, buf, len, flags, NULL, NULL);
	if (got > 0 && !(flags & MSG_PEEK) && __atomic_load_n(&rl_live, __ATOMIC_RELAXED))
		seen(fd, buf, got);
	return got;
}

typedef int (*ssl_read_fn)(SSL *, void *, int);

int SSL_read(SSL *ssl, void *buf, int num)
{
	static ssl_read_fn next;
	ssl_read_fn f = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
	if (!f) {
		*(void **)&f = dlsym(RTLD_NEXT, "SSL_read");
		if (!f)
			return -1;
		__atomic_store_n(&next, f, __ATOMIC_RELEASE);
	}
	int got = f(ssl, buf, num);
	if (got > 0 && __atomic_load_n(&rl_live, __ATOMIC_RELAXED))
		seen(SSL_get_fd(ssl), buf, got);
	return got;
}

const char *reqline_check(const char *line, size_t len, const char *lws_path)
{
	/* METHOD SP target SP HTTP/x.y */
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return "malformed request line";
	const char *t = sp + 1, *end = line + len;
	const char *tend = memchr(t, ' ', (size_t)(end - t));
	if (!tend)
		return "malformed request line";
	if (t == tend || *t != '/')
		return "the request target must be a path starting with '/'";
	const char *q = memchr(t, '?', (size_t)(tend - t));
	const char *pend = q ? q : tend;

	char dec[REQLINE_MAX + 1];
	size_t dn = 0;
	const char *p = t + 1;
	for (;;) {
		const char *seg = p;
		const char *slash = memchr(p, '/', (size_t)(pend - p));
		const char *segend = slash ? slash : pend;
		size_t start = dn;
		dec[dn++] = '/';
		for (const char *c = seg; c < segend; c++) {
			unsigned char b = (unsigned char)*c;
			if (b == '%') {
				int h = c + 2 < segend ? OPENSSL_hexchar2int((unsigned char)c[1]) : -1;
				int l = h >= 0 ? OPENSSL_hexchar2int((unsigned char)c[2]) : -1;
				if (l < 0)
					return "a '%' in the path is not followed by two hex digits";
				b = (unsigned char)(h * 16 + l);
				c += 2;
				if (b == '/')
					return "an encoded '/' (%2F) in a path segment";
			}
			if (b < 0x20 || b == 0x7f)
				return "a NUL or control character in the path";
			if (b == '#' && *c == '#')
				return "a '#' in the request target";
			dec[dn++] = (char)b;
		}
		size_t sl = dn - start - 1;
		if ((sl == 1 && dec[start + 1] == '.') ||
		    (sl == 2 && dec[start + 1] == '.' && dec[start + 2] == '.'))
			return "a '.' or '..' path segment";
		if (!slash)
			break;
		if (!sl)
			return "an empty path segment ('//')";
		p = slash + 1;
	}
	dec[dn] = 0;
	if (strcmp(dec, lws_path))
		return "the path does not decode as one path";
	return NULL;
}
