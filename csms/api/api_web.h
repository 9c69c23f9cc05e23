/* api_web.h: the web dashboard's files (web/dist), embedded in csmsd at
 * build time (web/embed.cmake writes web_assets.c) and served at / on the
 * admin listener without the token. */
#ifndef CSMS_API_WEB_H
#define CSMS_API_WEB_H

#include <stddef.h>

struct http_txn;

/* One embedded file: its bytes as built and gzip-compressed once. */
struct web_asset {
	const char *path;  /* "/app.js"; "/" is index.html */
	const char *ctype; /* Content-Type */
	const char *etag;  /* "\"<hash>\"" of the raw bytes */
	const unsigned char *raw, *gz;
	size_t raw_len, gz_len;
};
extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/* The file the path names, or NULL. */
const struct web_asset *api_web_find(const char *path);
/* Answers t with a: gzip when the client takes it, 304 when its
 * If-None-Match is a's ETag; the browser revalidates every time (the names
 * carry no hash), so a new csmsd's files are used at once. */
void api_web_serve(struct http_txn *t, const struct web_asset *a);

#endif
