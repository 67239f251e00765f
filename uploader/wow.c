/* Met Office WOW (Weather Observations Website): automatic upload, an HTTP
 * GET to .../automaticreading with siteid, siteAuthenticationKey (the
 * site's AWS PIN), dateutc, softwaretype and the WU-style US-unit fields.
 * WOW takes past observations (a backlog up to backfill_days, oldest
 * first) but at most one every 5 minutes: with one-minute records every
 * 5th is sent, and rainin is the rain since the previous observation sent,
 * so no rain is lost between them.  Answers: HTTP 200 stored, 401/403 the
 * site id or key refused, 429 too many requests. */
#include "uploader/wxnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wow {
	char site_id[64];
	char key[256];
};

enum wx_net_answer wx_wow_answer(long code, const char *body)
{
	(void)body;
	if (code >= 200 && code < 300)
		return WX_NET_OK;
	if (code == 429)
		return WX_NET_RATE;
	if (code >= 500)
		return WX_NET_RETRY;
	if (code >= 400)
		return WX_NET_CREDENTIALS;	/* 401/403: id or key; other 4xx refused as sent */
	return WX_NET_RETRY;
}

static int query(const struct wx_record *r, const struct wx_net_rain *rain, void *arg,
		 char *out, size_t len)
{
	struct wow *w = arg;

	return wx_wow_query(r, rain, w->site_id, w->key, out, len);
}

static void free_arg(void *arg)
{
	if (arg)
		explicit_bzero(arg, sizeof(struct wow));
	free(arg);
}

static const struct wx_net_proto wow_proto = {
	{ "wow", wx_net_run, wx_net_free }, "wow", WX_BACKFILL_DAYS, 300,
	query, wx_wow_answer, NULL, free_arg,
};

struct wx_uploader *wx_wow_start(const struct wx_config *cfg, uint32_t quantities,
				 char *err, size_t errlen)
{
	const struct wx_config_wow *c = &cfg->wow;
	struct wow *w = calloc(1, sizeof(*w));
	char host[WX_PATH_LEN];

	(void)quantities;
	if (!w) {
		snprintf(err, errlen, "wow: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	wx_net_host_of(c->url, host, sizeof(host));
	snprintf(w->site_id, sizeof(w->site_id), "%s", c->site_id);
	if (!w->site_id[0]) {
		snprintf(err, errlen, "wow: site_id is not set");
		free_arg(w);
		errno = EINVAL;
		return NULL;
	}
	if (wx_net_secret("wow", "key_file", c->key_file, w->key, sizeof(w->key), err, errlen) < 0) {
		free_arg(w);
		return NULL;
	}
	return wx_net_start(&wow_proto, c->url, host, c->backfill_days, w, cfg, err, errlen);
}
