/* test_server_tls.c: what server_tls_tune sets on the wss:// listener's
 * SSL_CTX (issue 14): buffers released when idle, session tickets on (one
 * per handshake), no server-side session cache, a session id context (a
 * profile 3 session could not resume without one). The resumption itself
 * is checked end to end by tests/integration/test_tls_resume.py. */
#include "check.h"
#include "server.h"

#include <openssl/ssl.h>

int main(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	CHECK(ctx != NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET); /* as if something had turned tickets off */
	server_tls_tune(ctx);
	CHECK(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS);
	CHECK(!(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET));
	CHECK(SSL_CTX_get_num_tickets(ctx) == 1);
	CHECK(SSL_CTX_get_session_cache_mode(ctx) == SSL_SESS_CACHE_OFF);
	/* the context applies to every connection made from it */
	SSL *ssl = SSL_new(ctx);
	CHECK(ssl != NULL);
	CHECK(SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS);
	CHECK(SSL_get_num_tickets(ssl) == 1);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	server_tls_tune(NULL); /* no context: nothing */
	return CHECK_DONE();
}
