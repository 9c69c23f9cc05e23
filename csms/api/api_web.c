/* api_web.c: serves the dashboard's embedded files. The files are small
 * and few: a linear look-up by path. The page is the same for every user,
 * so it needs no token; everything it shows comes from the API, which
 * does. */
#include "api_web.h"
#include "http.h"

#include <stdlib.h>
#include <string.h>

const struct web_asset *api_web_find(const char *path)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (!strcmp(web_assets[i].path, path))
			return &web_assets[i];
	return NULL;
}

void api_web_serve(struct http_txn *t, const struct web_asset *a)
{
	t->cache_control = "no-cache";
	http_add_header(t, "ETag:", a->etag);
	http_add_header(t, "Vary:", "Accept-Encoding");
	if (t->if_none_match[0] && !strcmp(t->if_none_match, a->etag)) {
		http_respond(t, 304, a->ctype, NULL, 0);
		return;
	}
	const unsigned char *src = t->accept_gzip ? a->gz : a->raw;
	size_t len = t->accept_gzip ? a->gz_len : a->raw_len;
	char *body = malloc(len ? len : 1);
	if (!body) {
		http_error(t, 500, "InternalError", "out of memory");
		return;
	}
	memcpy(body, src, len);
	if (t->accept_gzip)
		http_add_header(t, "Content-Encoding:", "gzip");
	http_respond(t, 200, a->ctype, body, len);
}
