/* reqline.h: the request line as the client sent it, before libwebsockets
 * percent-decodes the path and folds its "/../" (lws 4.1 offers no raw
 * path). Bytes are seen where lws reads them (recv, SSL_read); the line of
 * the first request on each accepted connection is kept until taken.
 * Routing on the raw line is what keeps "x%2F..%2FVICTIM" one segment. */
#ifndef CSMS_REQLINE_H
#define CSMS_REQLINE_H

#include <stddef.h>

#define REQLINE_MAX 4096

/* A connection was accepted on fd: keep its first request line. */
void reqline_expect(int fd);
/* The first request line on fd, without CR LF, into buf (once). Its
 * length, or -1 when none was seen (or it was longer than REQLINE_MAX). */
int reqline_take(int fd, char *buf, size_t cap);
/* Forgets fd (closed before its request came). */
void reqline_forget(int fd);

/* Checks the request line's target against the path lws decoded from it.
 * Every path segment is percent-decoded once by us and must not hold a
 * '/', NUL or control character, be "." or "..", or be empty (except the
 * last); the result must be the path lws reports, so lws's path can be
 * routed on as it is. NULL when fine, else the reason (static text). */
const char *reqline_check(const char *line, size_t len, const char *lws_path);

#endif
