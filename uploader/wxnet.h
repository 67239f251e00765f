/* Weather networks (docs/contract.md "Weather networks"): what Weather
 * Underground, PWSweather, Met Office WOW, Windy and CWOP share.
 *
 * wxnet.c is the loop: which archive record goes next (the backlog policy
 * of the destination's row in uploaders.c, the 5-minute spacing), the rain
 * totals each protocol wants (read-only queries on the uploader's own
 * archive connection), one HTTP GET through libcurl's multi interface
 * (stop-aware, as Initial State), the answer sorted into enum wx_net_answer,
 * and what follows: the cursor moves only on success; credential errors
 * keep the data and retry every 5 minutes; 429, 5xx, timeouts and garbage
 * back off with jitter.
 *
 * The destination files hold only their protocol: a pure encoder from a
 * record to the query (or APRS packet), a pure reader of the answer, and
 * the start function.  The encoders are tested against the protocols'
 * units and rounding in tests/test_wxnet.c. */
#ifndef WX_WXNET_H
#define WX_WXNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "firmware/core/record.h"
#include "uploader/uploader_internal.h"
#include "uploader/uploaders.h"

/* The rain totals a record is sent with, from the archive (mm).  valid is
 * false when the record has no rain_mm (no gauge): then every rain field is
 * left out (or dots in APRS). */
struct wx_net_rain {
	bool valid;
	double hour_mm;		/* the 60 minutes ending at the record */
	double day_mm;		/* the 24 hours ending at the record */
	double today_mm;	/* since local midnight */
	double since_last_mm;	/* since the previous observation sent (WOW) */
};

/* How the service answered. */
enum wx_net_answer {
	WX_NET_OK,		/* stored: move the cursor */
	WX_NET_OK_NOTICE,	/* accepted, not stored (Windy NOTICE): move the cursor, log once */
	WX_NET_CREDENTIALS,	/* bad id or key: keep the data, retry every 5 minutes */
	WX_NET_RATE,		/* too many requests (429): back off */
	WX_NET_RETRY,		/* 5xx, a timeout, garbage: back off */
};

/* Unit conversions from the archive's metric values. */
double wx_net_f(double c);		/* °C -> °F */
double wx_net_mph(double kmh);		/* km/h -> mph */
double wx_net_ms(double kmh);		/* km/h -> m/s */
double wx_net_inhg(double hpa);		/* hPa -> inHg */
double wx_net_in(double mm);		/* mm -> inches */

/* "2026-11-29 19:15:02" for ts (UTC) into out[20]. */
void wx_net_dateutc(int64_t ts, char out[20]);
/* Append "&key=value" (the '&' only when *out is not empty), value
 * percent-encoded (space as '+', as the PWS protocol's example).  0 or
 * -ENOSPC. */
int wx_net_param(char *out, size_t len, const char *key, const char *value);

/* Weather Underground / PWSweather: the query after '?' for record r:
 * ID, PASSWORD, action=updateraw, dateutc, tempf (1 decimal), humidity
 * (integer), dewptf, baromin (sea-level, 3 decimals), windspeedmph,
 * windgustmph (1 decimal), winddir (integer 0-360), rainin (past 60
 * minutes), dailyrainin (since local midnight, 2 decimals), soiltempf,
 * softwaretype.  A null value is left out (never a null winddir).  The
 * length, or -ENOSPC. */
int wx_wu_query(const struct wx_record *r, const struct wx_net_rain *rain, const char *id,
		const char *password, char *out, size_t len);
/* The answer: HTTP status code and body (NUL-terminated, may be NULL). */
enum wx_net_answer wx_wu_answer(long code, const char *body);

/* Met Office WOW: siteid, siteAuthenticationKey, dateutc, softwaretype and
 * the same US-unit fields as WU; rainin = rain since the previous
 * observation sent (rain->since_last_mm), dailyrainin = today. */
int wx_wow_query(const struct wx_record *r, const struct wx_net_rain *rain, const char *site_id,
		 const char *key, char *out, size_t len);
/* 200 ok, 401/403 credentials, 429 rate, other: retry. */
enum wx_net_answer wx_wow_answer(long code, const char *body);

/* Windy stations API v2: id, PASSWORD, time (ISO 8601 UTC), temp °C,
 * wind and gust m/s, winddir, humidity, dewpoint °C, mbar (sea-level
 * hPa), precip (mm in the last hour), each with one decimal (winddir and
 * humidity whole). */
int wx_windy_query(const struct wx_record *r, const struct wx_net_rain *rain,
		   const char *station_id, const char *password, char *out, size_t len);
/* Body SUCCESS: ok; NOTICE: accepted, not stored; 401/403 or
 * "Unauthorized"/"invalid": credentials; 429: rate; else retry. */
enum wx_net_answer wx_windy_answer(long code, const char *body);

/* APRS position "DDMM.hhN/DDDMM.hhW" (hundredths of minutes, leading
 * zeros, '/' the primary symbol table) into out[19]. */
void wx_aprs_position(double lat, double lon, char out[19]);
/* The CWOP weather packet for r, one line with CRLF:
 * CALL>APRS,TCPIP*:/DDHHMMz<position>_ddd/sssgGGGtTTTrRRRpRRRPRRRhHHbBBBBB
 * wind direction in degrees, sustained speed and gust in mph, temperature
 * in °F (t-05 below zero), rain in hundredths of an inch for the last hour,
 * 24 hours and since local midnight, humidity (h00 = 100 %), sea-level
 * pressure in tenths of hPa; a missing value as dots.  Length or -ENOSPC. */
int wx_aprs_packet(const struct wx_record *r, const struct wx_net_rain *rain,
		   const char *callsign, double lat, double lon, char *out, size_t len);
/* "user CALL pass -1 vers wxd VERSION\r\n" (CWOP: no passcode needed). */
int wx_aprs_login(const char *callsign, char *out, size_t len);

/* ---- the loop (wxnet.c), for the destination files --------------------- */

struct wx_net;

/* One destination's protocol. */
struct wx_net_proto {
	/* { "wunderground", wx_net_run, wx_net_free }: the name is the
	 * status's and the cursor's. */
	struct wx_uploader_ops ops;
	const char *name;		/* the same name, for messages */
	enum wx_backfill backfill;	/* as its row in wx_destinations[] */
	int64_t spacing_s;		/* at least this between observations (0: none) */
	/* HTTP: build the query for r into out; NULL for CWOP. */
	int (*query)(const struct wx_record *r, const struct wx_net_rain *rain, void *arg,
		     char *out, size_t len);
	enum wx_net_answer (*answer)(long code, const char *body);
	/* Other transports (CWOP): send r, return the answer, with a reason
	 * in why for anything but WX_NET_OK.  NULL for HTTP. */
	enum wx_net_answer (*send)(struct wx_net *n, const struct wx_record *r,
				   const struct wx_net_rain *rain, void *arg, char *why,
				   size_t whylen);
	void (*free_arg)(void *arg);	/* frees arg (wipes its secrets) */
};

/* Start the uploader for proto on cfg's archive; url for HTTP (the query is
 * appended after '?'), host for messages, backfill_days for
 * WX_BACKFILL_DAYS.  arg is the destination's (its
 * id and secret), freed with proto->free_arg on every path.  NULL with a
 * message in err. */
struct wx_uploader *wx_net_start(const struct wx_net_proto *proto, const char *url,
				 const char *host, int backfill_days, void *arg,
				 const struct wx_config *cfg, char *err, size_t errlen);
/* The thread body and free_impl of every weather network's ops. */
void wx_net_run(struct wx_uploader *u, void *impl);
void wx_net_free(void *impl);
/* For send(): the uploader (stop checks, grace) of n. */
struct wx_uploader *wx_net_uploader(struct wx_net *n);
/* One HTTP request on c through libcurl's multi interface, for u's thread:
 * a stop past u's grace is noticed within 50 ms whatever the server does
 * (CURLE_ABORTED_BY_CALLBACK).  Used by every HTTP destination. */
CURLcode wx_net_perform(struct wx_uploader *u, CURL *c);

/* "host:port" or host of a URL, for messages. */
void wx_net_host_of(const char *url, char *out, size_t outlen);
/* Read a secret file for a destination: 0, or -1 with err filled. */
int wx_net_secret(const char *name, const char *key, const char *path, char *out, size_t outlen,
		  char *err, size_t errlen);

#endif
