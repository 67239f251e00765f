/* Weather Underground and PWSweather: the PWS upload protocol (an HTTP GET
 * with the observation as parameters; answer body "success").  One file,
 * two rows in uploaders.c: PWSweather takes the same query at its own
 * endpoint with its station id and API key.  Fields, units and the answer:
 * wxnet.h wx_wu_query(). */
#include "uploader/wxnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct pws {
	char id[64];
	char secret[256];
};

enum wx_net_answer wx_wu_answer(long code, const char *body)
{
	const char *b = body ? body : "";

	while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
		b++;
	if (code == 429)
		return WX_NET_RATE;
	if (code >= 500)
		return WX_NET_RETRY;
	if (code == 401 || code == 403)
		return WX_NET_CREDENTIALS;
	/* "success"; a bad id or password answers with an error text such as
	 * "ERROR: ..." or "INVALIDPASSWORDID|Password or key and/or id are
	 * incorrect": sending it again as is cannot help. */
	if (code == 200 && strncmp(b, "success", 7) == 0)
		return WX_NET_OK;
	if (strstr(b, "ERROR") || strcasestr(b, "invalid"))
		return WX_NET_CREDENTIALS;
	return WX_NET_RETRY;	/* garbage (a proxy's page, an empty body) */
}

static int query(const struct wx_record *r, const struct wx_net_rain *rain, void *arg,
		 char *out, size_t len)
{
	struct pws *p = arg;

	return wx_wu_query(r, rain, p->id, p->secret, out, len);
}

static void free_arg(void *arg)
{
	if (arg)
		explicit_bzero(arg, sizeof(struct pws));
	free(arg);
}

static const struct wx_net_proto wu_proto = {
	{ "wunderground", wx_net_run, wx_net_free }, "wunderground", WX_BACKFILL_DAYS, 0,
	query, wx_wu_answer, NULL, free_arg,
};

static const struct wx_net_proto pws_proto = {
	{ "pwsweather", wx_net_run, wx_net_free }, "pwsweather", WX_BACKFILL_DAYS, 0,
	query, wx_wu_answer, NULL, free_arg,
};

static struct wx_uploader *start(const struct wx_net_proto *proto, const struct wx_config *cfg,
				 const struct wx_config_pws *c, const char *key_name,
				 char *err, size_t errlen)
{
	struct pws *p = calloc(1, sizeof(*p));
	char host[WX_PATH_LEN];

	if (!p) {
		snprintf(err, errlen, "%s: out of memory", proto->name);
		errno = ENOMEM;
		return NULL;
	}
	wx_net_host_of(c->url, host, sizeof(host));
	snprintf(p->id, sizeof(p->id), "%s", c->station_id);
	if (!p->id[0]) {
		snprintf(err, errlen, "%s: station_id is not set", proto->name);
		free_arg(p);
		errno = EINVAL;
		return NULL;
	}
	if (wx_net_secret(proto->name, key_name, c->key_file, p->secret, sizeof(p->secret), err,
			  errlen) < 0) {
		free_arg(p);
		return NULL;
	}
	return wx_net_start(proto, c->url, host, c->backfill_days, p, cfg, err, errlen);
}

struct wx_uploader *wx_wunderground_start(const struct wx_config *cfg, uint32_t quantities,
					  char *err, size_t errlen)
{
	(void)quantities;
	return start(&wu_proto, cfg, &cfg->wunderground, "password_file", err, errlen);
}

struct wx_uploader *wx_pwsweather_start(const struct wx_config *cfg, uint32_t quantities,
					char *err, size_t errlen)
{
	(void)quantities;
	return start(&pws_proto, cfg, &cfg->pwsweather, "key_file", err, errlen);
}
