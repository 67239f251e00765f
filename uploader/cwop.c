/* CWOP, the Citizen Weather Observer Program, over APRS-IS: for each
 * observation a short TCP connection to the server (cwop.aprs.net:14580 by
 * default), the login line "user CALL pass -1 vers wxd VERSION" (CWOP
 * stations need no passcode: -1 is the receive-only/unverified login that
 * the CWOP servers accept weather from), the server's "# logresp" if it
 * says anything, one packet in the APRS complete-weather-report format
 * (APRS Protocol Reference 1.01, ch. 12; CWOP's guidelines at wxqa.com),
 * and close.  APRS-IS acknowledges nothing: a packet written whole is sent.
 * Current data only, never faster than one packet every 5 minutes (the
 * CWOP FAQ's limit).  The connect and the reads are non-blocking with
 * timeouts and look for a stop every POLL_MS, as the HTTP uploads do. */
#include "uploader/wxnet.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 10000
#define READ_TIMEOUT_MS 3000	/* for the banner and the logresp */
#define POLL_MS 50

struct cwop {
	char host[WX_PATH_LEN];
	char port[8];
	char callsign[16];
	double lat, lon;
};

void wx_aprs_position(double lat, double lon, char out[19])
{
	/* ddmm.hh with hundredths of minutes: round once, in hundredths of a
	 * minute, so 59.999' carries into the degrees. */
	int la = (int)lround(fmin(fabs(lat), 90) * 6000.0);
	int lo = (int)lround(fmin(fabs(lon), 180) * 6000.0);
	char b[64];
	size_t n;

	snprintf(b, sizeof(b), "%02d%02d.%02d%c/%03d%02d.%02d%c", la / 6000, la % 6000 / 100,
		 la % 100, lat < 0 ? 'S' : 'N', lo / 6000, lo % 6000 / 100, lo % 100,
		 lon < 0 ? 'W' : 'E');
	n = strlen(b) < 18 ? strlen(b) : 18;
	memcpy(out, b, n);
	out[n] = '\0';
}

static long clampl(double v, long lo, long hi)
{
	long l = lround(v);

	return l < lo ? lo : l > hi ? hi : l;
}

int wx_aprs_packet(const struct wx_record *r, const struct wx_net_rain *rain,
		   const char *callsign, double lat, double lon, char *out, size_t len)
{
	char pos[19], dir[4] = "...", spd[4] = "...", gust[4] = "...", temp[5] = "...";
	char rh[4] = "...", rd[4] = "...", rm[4] = "...", hum[3] = "..", bar[6] = ".....";
	time_t t = (time_t)r->ts;
	struct tm tm;
	int n;

	wx_aprs_position(lat, lon, pos);
	gmtime_r(&t, &tm);
	if (wx_record_has(r, WX_WIND_DIRECTION_DEG)) {
		long d = clampl(r->v[WX_WIND_DIRECTION_DEG], 0, 360);

		snprintf(dir, sizeof(dir), "%03ld", d == 0 ? 360 : d);	/* 000 would read as calm/unknown */
	}
	if (wx_record_has(r, WX_WIND_SPEED_KMH))
		snprintf(spd, sizeof(spd), "%03ld", clampl(wx_net_mph(r->v[WX_WIND_SPEED_KMH]), 0, 999));
	if (wx_record_has(r, WX_WIND_GUST_KMH))
		snprintf(gust, sizeof(gust), "%03ld", clampl(wx_net_mph(r->v[WX_WIND_GUST_KMH]), 0, 999));
	if (wx_record_has(r, WX_TEMPERATURE_C)) {
		long f = clampl(wx_net_f(r->v[WX_TEMPERATURE_C]), -99, 999);

		/* Three characters: t-05 below zero, t077 above. */
		snprintf(temp, sizeof(temp), f < 0 ? "-%02ld" : "%03ld", f < 0 ? -f : f);
	}
	if (rain && rain->valid) {
		snprintf(rh, sizeof(rh), "%03ld", clampl(wx_net_in(rain->hour_mm) * 100, 0, 999));
		snprintf(rd, sizeof(rd), "%03ld", clampl(wx_net_in(rain->day_mm) * 100, 0, 999));
		snprintf(rm, sizeof(rm), "%03ld", clampl(wx_net_in(rain->today_mm) * 100, 0, 999));
	}
	if (wx_record_has(r, WX_HUMIDITY_PCT)) {
		long h = clampl(r->v[WX_HUMIDITY_PCT], 1, 100);

		snprintf(hum, sizeof(hum), "%02ld", h == 100 ? 0 : h);	/* h00 = 100 % */
	}
	if (wx_record_has(r, WX_SEA_LEVEL_PRESSURE_HPA))
		snprintf(bar, sizeof(bar), "%05ld",
			 clampl(r->v[WX_SEA_LEVEL_PRESSURE_HPA] * 10, 0, 99999));
	n = snprintf(out, len, "%s>APRS,TCPIP*:/%02d%02d%02dz%s_%s/%sg%st%sr%sp%sP%sh%sb%s\r\n",
		     callsign, tm.tm_mday, tm.tm_hour, tm.tm_min, pos, dir, spd, gust, temp, rh, rd,
		     rm, hum, bar);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int wx_aprs_login(const char *callsign, char *out, size_t len)
{
	int n = snprintf(out, len, "user %s pass -1 vers wxd %s\r\n", callsign, WX_VERSION);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* Wait for fd to be ready for events, up to timeout_ms, looking for a stop
 * every POLL_MS.  1 ready, 0 timeout, -ECANCELED stopped. */
static int wait_fd(struct wx_uploader *u, int fd, short events, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += POLL_MS) {
		struct pollfd p = { .fd = fd, .events = events };
		int rc;

		if (wx_uploader_stopping(u) && wx_uploader_grace_left_ms(u) == 0)
			return -ECANCELED;
		rc = poll(&p, 1, POLL_MS);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Read what the server says within timeout_ms (the banner, the logresp):
 * up to the first newline, into line.  1 a line (or part of one), 0
 * nothing said in time, -1 the server closed the connection. */
static int read_line(struct wx_uploader *u, int fd, char *line, size_t len, int timeout_ms)
{
	size_t n = 0;
	int rc = 0;

	line[0] = '\0';
	while (n + 1 < len && wait_fd(u, fd, POLLIN, timeout_ms) == 1) {
		ssize_t r = read(fd, line + n, 1);

		if (r <= 0) {
			rc = -1;
			break;
		}
		rc = 1;
		if (line[n] == '\n')
			break;
		if (line[n] != '\r')
			n++;
	}
	line[n] = '\0';
	return rc;
}

static int write_all(struct wx_uploader *u, int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			int rc = wait_fd(u, fd, POLLOUT, READ_TIMEOUT_MS);

			if (rc <= 0)
				return rc < 0 ? rc : -ETIMEDOUT;
			continue;
		}
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static int connect_to(struct wx_uploader *u, const char *host, const char *port, char *why,
		      size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1;

	if (rc) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return -1;
	}
	snprintf(why, whylen, "cannot connect");
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		int err = 0;
		socklen_t elen = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			rc = wait_fd(u, fd, POLLOUT, CONNECT_TIMEOUT_MS);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && !err)
				break;
			snprintf(why, whylen, "%s", rc == 0 ? "connection timed out" :
				 rc < 0 ? "stopped" : strerror(err));
		} else {
			snprintf(why, whylen, "%s", strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static enum wx_net_answer send_packet(struct wx_net *n, const struct wx_record *r,
				      const struct wx_net_rain *rain, void *arg, char *why,
				      size_t whylen)
{
	struct cwop *c = arg;
	struct wx_uploader *u = wx_net_uploader(n);
	char login[128], packet[256], line[256];
	int fd, rc;

	if (wx_aprs_login(c->callsign, login, sizeof(login)) < 0 ||
	    wx_aprs_packet(r, rain, c->callsign, c->lat, c->lon, packet, sizeof(packet)) < 0) {
		snprintf(why, whylen, "the packet does not fit");
		return WX_NET_RETRY;
	}
	fd = connect_to(u, c->host, c->port, why, whylen);
	if (fd < 0)
		return WX_NET_RETRY;
	/* "# aprsc 2.1 ..."; a server that hangs up at once (full, or
	 * refusing us) must not pass for one that took the packet. */
	rc = read_line(u, fd, line, sizeof(line), READ_TIMEOUT_MS) < 0 ? -ECONNRESET : 0;
	if (!rc)
		rc = write_all(u, fd, login, strlen(login));
	if (!rc) {
		/* "# logresp CALL unverified, server ...": unverified is what
		 * pass -1 gets, and CWOP takes weather from it. */
		if (read_line(u, fd, line, sizeof(line), READ_TIMEOUT_MS) < 0)
			rc = -ECONNRESET;
	}
	if (!rc)
		rc = write_all(u, fd, packet, strlen(packet));
	shutdown(fd, SHUT_WR);
	close(fd);
	if (rc) {
		snprintf(why, whylen, "cannot send: %s", strerror(-rc));
		return WX_NET_RETRY;
	}
	return WX_NET_OK;
}

static void free_arg(void *arg)
{
	free(arg);
}

static const struct wx_net_proto cwop_proto = {
	{ "cwop", wx_net_run, wx_net_free }, "cwop", WX_BACKFILL_NONE, 300,
	NULL, NULL, send_packet, free_arg,
};

struct wx_uploader *wx_cwop_start(const struct wx_config *cfg, uint32_t quantities,
				  char *err, size_t errlen)
{
	const struct wx_config_cwop *cc = &cfg->cwop;
	struct cwop *c = calloc(1, sizeof(*c));
	const char *colon = strrchr(cc->server, ':');
	size_t hl = colon ? (size_t)(colon - cc->server) : strlen(cc->server);

	(void)quantities;
	if (!c) {
		snprintf(err, errlen, "cwop: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (!cc->callsign[0]) {
		snprintf(err, errlen, "cwop: callsign is not set (your CW number or ham callsign)");
		free(c);
		errno = EINVAL;
		return NULL;
	}
	if (hl == 0 || hl >= sizeof(c->host)) {
		snprintf(err, errlen, "cwop: server \"%s\" is not host:port", cc->server);
		free(c);
		errno = EINVAL;
		return NULL;
	}
	memcpy(c->host, cc->server, hl);
	snprintf(c->port, sizeof(c->port), "%s", colon ? colon + 1 : "14580");
	snprintf(c->callsign, sizeof(c->callsign), "%s", cc->callsign);
	c->lat = cc->latitude;
	c->lon = cc->longitude;
	return wx_net_start(&cwop_proto, NULL, cc->server, 0, c, cfg, err, errlen);
}
