/* test_reqline.c: the request line as sent (csms/reqline.c). The target
 * check (an encoded '/', dot and empty segments, controls, the path lws
 * reports) and the capture on recv(): first line only, across reads, once,
 * refused when too long, untouched fds left alone. */
#include "check.h"
#include "reqline.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define OK(line, path) CHECK_STR(reqline_check(line, strlen(line), path) ? "bad" : "ok", "ok")
#define BAD(line, path, why) CHECK_CONTAINS(reqline_check(line, strlen(line), path), why)

static void check_targets(void)
{
	OK("GET / HTTP/1.1", "/");
	OK("GET /api/v1/chargers HTTP/1.1", "/api/v1/chargers");
	OK("GET /api/v1/chargers/ HTTP/1.1", "/api/v1/chargers/");
	OK("GET /api/v1/transactions?idTag=a%2Fb&x=.. HTTP/1.1", "/api/v1/transactions");
	OK("DELETE /api/v1/id-tags/A%20B HTTP/1.1", "/api/v1/id-tags/A B");
	OK("PUT /api/v1/id-tags/A%252FB HTTP/1.1", "/api/v1/id-tags/A%2FB"); /* decoded once */
	OK("GET /ocpp/K%C3%B6ln HTTP/1.1", "/ocpp/K\xc3\xb6ln");
	OK("GET /ocpp/.hidden HTTP/1.1", "/ocpp/.hidden");
	OK("GET /ocpp/a..b HTTP/1.0", "/ocpp/a..b");

	BAD("DELETE /api/v1/id-tags/x%2F..%2FVICTIM HTTP/1.1", "/api/v1/id-tags/VICTIM", "%2F");
	BAD("DELETE /api/v1/id-tags/x%2f..%2fVICTIM HTTP/1.1", "/api/v1/id-tags/VICTIM", "%2F");
	BAD("GET /ocpp/A%2FB HTTP/1.1", "/ocpp/A/B", "%2F");
	BAD("DELETE /api/v1/id-tags/x/../VICTIM HTTP/1.1", "/api/v1/id-tags/VICTIM", "'..'");
	BAD("DELETE /api/v1/id-tags/x/%2e%2e/VICTIM HTTP/1.1", "/api/v1/id-tags/VICTIM", "'..'");
	BAD("GET /ocpp/./B HTTP/1.1", "/ocpp/B", "'.'");
	BAD("GET /ocpp/%2E/B HTTP/1.1", "/ocpp/B", "'.'");
	BAD("GET /ocpp/.. HTTP/1.1", "/", "'..'");
	BAD("GET /ocpp//B HTTP/1.1", "/ocpp/B", "empty");
	BAD("GET //ocpp/B HTTP/1.1", "/ocpp/B", "empty");
	BAD("GET /ocpp/A%00 HTTP/1.1", "/ocpp/A", "control");
	BAD("GET /ocpp/A%0D%0AX HTTP/1.1", "/ocpp/A", "control");
	BAD("GET /ocpp/A%7f HTTP/1.1", "/ocpp/A\x7f", "control");
	BAD("GET /ocpp/A\x01 HTTP/1.1", "/ocpp/A\x01", "control");
	BAD("GET /ocpp/A% HTTP/1.1", "/ocpp/A", "hex");
	BAD("GET /ocpp/A%4 HTTP/1.1", "/ocpp/A", "hex");
	BAD("GET /ocpp/A%zz HTTP/1.1", "/ocpp/A", "hex");
	BAD("GET /ocpp/A#x HTTP/1.1", "/ocpp/A#x", "'#'");
	BAD("GET http://host/ocpp/A HTTP/1.1", "/ocpp/A", "starting with '/'");
	BAD("GET  HTTP/1.1", "/", "starting with '/'");
	BAD("GET /ocpp/A", "/ocpp/A", "malformed");
	BAD("", "/", "malformed");
	/* Whatever else lws makes of it, the path it reports must be ours. */
	BAD("GET /ocpp/A HTTP/1.1", "/ocpp/B", "does not decode");
	BAD("GET /ocpp/A%2520 HTTP/1.1", "/ocpp/A ", "does not decode");
}

static void check_capture(void)
{
	int sv[2];
	char buf[REQLINE_MAX + 1], rx[8192];
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	/* Across reads, only the first line, once. */
	reqline_expect(sv[1]);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1); /* nothing seen yet */
	reqline_expect(sv[1]);
	CHECK(write(sv[0], "GET /ocpp/A%2F", 14) == 14);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 14);
	CHECK(write(sv[0], "B HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\n", 45) == 45);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 45);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == 24);
	CHECK_STR(buf, "GET /ocpp/A%2FB HTTP/1.1");
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1); /* taken once */

	/* MSG_PEEK does not count; a later read does. */
	reqline_expect(sv[1]);
	CHECK(write(sv[0], "GET /a HTTP/1.1\n", 16) == 16);
	CHECK(recv(sv[1], rx, sizeof rx, MSG_PEEK) == 16);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1);
	reqline_expect(sv[1]);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 16);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == 15); /* bare LF ends it too */
	CHECK_STR(buf, "GET /a HTTP/1.1");

	/* Too long: refused rather than cut. */
	reqline_expect(sv[1]);
	memset(rx, 'a', sizeof rx);
	memcpy(rx, "GET /", 5);
	size_t sent = 0;
	while (sent < REQLINE_MAX + 100) {
		ssize_t w = write(sv[0], rx, 1000);
		CHECK(w == 1000);
		ssize_t r = recv(sv[1], buf, 1000, 0);
		CHECK(r == 1000);
		sent += 1000;
	}
	CHECK(write(sv[0], "\r\n", 2) == 2);
	CHECK(recv(sv[1], buf, sizeof buf, 0) == 2);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1);

	/* A buffer too small to hold the line: -1, not a cut line. */
	reqline_expect(sv[1]);
	CHECK(write(sv[0], "GET /abc HTTP/1.1\r\n", 19) == 19);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 19);
	CHECK(reqline_take(sv[1], buf, 8) == -1);

	/* An fd nobody expects: passed through, nothing kept. */
	CHECK(write(sv[0], "GET /x HTTP/1.1\r\n", 17) == 17);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 17);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1);

	/* Forgotten: a later read is not kept. */
	reqline_expect(sv[1]);
	reqline_forget(sv[1]);
	CHECK(write(sv[0], "GET /y HTTP/1.1\r\n", 17) == 17);
	CHECK(recv(sv[1], rx, sizeof rx, 0) == 17);
	CHECK(reqline_take(sv[1], buf, sizeof buf) == -1);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	check_targets();
	check_capture();
	return CHECK_DONE();
}
