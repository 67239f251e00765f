/* Windy stations API v2: GET .../api/v2/observation/update with the
 * station's id and its password (PASSWORD, as the API reference allows
 * beside a Bearer header), the time (ISO 8601 UTC) and metric fields: temp
 * and dewpoint °C, wind and gust m/s, winddir, humidity, mbar (sea-level
 * hPa), precip (mm in the last hour).  Current data only, at most one
 * observation every 5 minutes.  Answers: a body with SUCCESS stored;
 * NOTICE accepted but not stored (taken as done, logged once);
 * Unauthorized or an invalid password: credentials; 429: too many. */
#include "uploader/wxnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct windy {
	char id[64];
	char password[256];
};

enum wx_net_answer wx_windy_answer(long code, const char *body)
{
	const char *b = body ? body : "";

	if (code == 429)
		return WX_NET_RATE;
	if (code >= 500)
		return WX_NET_RETRY;
	if (code == 401 || code == 403 || strcasestr(b, "unauthorized") || strcasestr(b, "invalid"))
		return WX_NET_CREDENTIALS;
	if (code >= 200 && code < 300 && strstr(b, "SUCCESS"))
		return WX_NET_OK;
	if (code >= 200 && code < 300 && strstr(b, "NOTICE"))
		return WX_NET_OK_NOTICE;
	if (code >= 400)
		return WX_NET_CREDENTIALS;	/* refused as sent: slow retry, reported */
	return WX_NET_RETRY;			/* garbage */
}

static int query(const struct wx_record *r, const struct wx_net_rain *rain, void *arg,
		 char *out, size_t len)
{
	struct windy *w = arg;

	return wx_windy_query(r, rain, w->id, w->password, out, len);
}

static void free_arg(void *arg)
{
	if (arg)
		explicit_bzero(arg, sizeof(struct windy));
	free(arg);
}

static const struct wx_net_proto windy_proto = {
	{ "windy", wx_net_run, wx_net_free }, "windy", WX_BACKFILL_NONE, 300,
	query, wx_windy_answer, NULL, free_arg,
};

struct wx_uploader *wx_windy_start(const struct wx_config *cfg, uint32_t quantities,
				   char *err, size_t errlen)
{
	const struct wx_config_windy *c = &cfg->windy;
	struct windy *w = calloc(1, sizeof(*w));
	char host[WX_PATH_LEN];

	(void)quantities;
	if (!w) {
		snprintf(err, errlen, "windy: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	wx_net_host_of(c->url, host, sizeof(host));
	snprintf(w->id, sizeof(w->id), "%s", c->station_id);
	if (!w->id[0]) {
		snprintf(err, errlen, "windy: station_id is not set");
		free_arg(w);
		errno = EINVAL;
		return NULL;
	}
	if (wx_net_secret("windy", "password_file", c->password_file, w->password,
			  sizeof(w->password), err, errlen) < 0) {
		free_arg(w);
		return NULL;
	}
	return wx_net_start(&windy_proto, c->url, host, 0, w, cfg, err, errlen);
}
