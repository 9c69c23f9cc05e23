/*
 * bench_ssl_mem: what OpenSSL itself keeps per idle TLS connection on the
 * server (issue 14's <= 16 KiB per TLS charger). N server SSL objects on
 * the wss:// listener's settings (server_tls_tune: release buffers,
 * tickets, no session cache) with a P-256 certificate each complete a
 * handshake with a client over a socketpair and exchange a few bytes; the
 * clients are freed, and the heap in use (mallinfo2, after malloc_trim) per
 * server SSL is printed, for TLS 1.3 and 1.2. No libwebsockets, no csmsd:
 * the floor under csmsd's own figure. Prints figures; not a test.
 * Usage: bench_ssl_mem [N]
 */
#include "server.h"

#include <fcntl.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t heap_in_use(void)
{
	malloc_trim(0);
	struct mallinfo2 m = mallinfo2();
	return m.uordblks;
}

/* A self-signed P-256 certificate and its key on ctx. 0 or -1. */
static int self_signed(SSL_CTX *ctx)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int ok = k && x && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		X509_gmtime_adj(X509_getm_notBefore(x), 0) && X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					   (const unsigned char *)"bench", -1, -1, 0) &&
		X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_set_pubkey(x, k) &&
		X509_sign(x, k, EVP_sha256()) && SSL_CTX_use_certificate(ctx, x) == 1 &&
		SSL_CTX_use_PrivateKey(ctx, k) == 1;
	X509_free(x);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

/* One handshake and a few bytes each way; the server SSL, or NULL. */
static SSL *connect_one(SSL_CTX *sctx, SSL_CTX *cctx)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp))
		return NULL;
	SSL *sv = SSL_new(sctx), *cl = SSL_new(cctx);
	SSL_set_fd(sv, sp[0]);
	SSL_set_fd(cl, sp[1]);
	SSL_set_accept_state(sv);
	SSL_set_connect_state(cl);
	int done = 0;
	for (int k = 0; k < 50 && done != 3; k++) {
		if (!(done & 1) && SSL_do_handshake(cl) == 1)
			done |= 1;
		if (!(done & 2) && SSL_do_handshake(sv) == 1)
			done |= 2;
	}
	char buf[64];
	int got = -1;
	SSL_write(cl, "ping", 4);
	for (int k = 0; k < 10 && got < 0; k++) {
		got = SSL_read(sv, buf, sizeof buf);
		SSL_read(cl, buf, sizeof buf); /* the client takes its ticket */
	}
	SSL_write(sv, "pong", 4);
	SSL_read(cl, buf, sizeof buf);
	SSL_free(cl);
	close(sp[1]);
	if (done != 3 || got != 4) {
		SSL_free(sv);
		close(sp[0]);
		return NULL;
	}
	return sv;
}

static int run(int n, int max_version)
{
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
	SSL **held = calloc((size_t)n + 1, sizeof *held);
	if (!sctx || !cctx || !held || self_signed(sctx))
		return -1;
	server_tls_tune(sctx);
	SSL_CTX_set_max_proto_version(sctx, max_version);
	SSL_free(connect_one(sctx, cctx)); /* the first one: lazy library state */
	size_t before = heap_in_use();
	int ok = 0;
	for (int i = 0; i < n; i++)
		if ((held[ok] = connect_one(sctx, cctx)))
			ok++;
	size_t after = heap_in_use();
	printf("%s: %d idle server connections, %.2f KiB of heap each\n",
	       max_version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2", ok,
	       ok ? (double)(after - before) / ok / 1024 : 0.0);
	for (int i = 0; i < ok; i++) {
		close(SSL_get_fd(held[i]));
		SSL_free(held[i]);
	}
	free(held);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return ok == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	struct rlimit rl;
	if (n < 1 || getrlimit(RLIMIT_NOFILE, &rl))
		return 2;
	if (rl.rlim_cur < (rlim_t)n * 2 + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n * 2 + 64 ? rl.rlim_max : (rlim_t)n * 2 + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return run(n, TLS1_3_VERSION) || run(n, TLS1_2_VERSION) ? 1 : 0;
}
