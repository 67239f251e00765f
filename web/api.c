/* What /api/ answers (docs/contract.md "Web page and API"):
 *
 *   /api/current      the sampler's answer to "read" on the live socket,
 *                     as it is: the same object as wxctl read --json
 *   /api/station      the station's id, units, interval and altitude: what
 *                     the page needs of the configuration, nothing more
 *   /api/status       its answer to "status" (wxctl status --json), read
 *                     into struct wx_status and written again: only the
 *                     keys of status.h, none that could name a secret
 *   /api/history      archive records as a JSON array, since <= ts <= until,
 *                     streamed a block at a time; with step=SECONDS one
 *                     aggregate per step, computed in SQL
 *   /api/history.csv  the same records as wxctl history --format csv
 *                     (ts, time_local, then the columns), streamed */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "db/history.h"
#include "firmware/core/live.h"
#include "firmware/core/record_json.h"
#include "firmware/core/status.h"
#include "firmware/core/timeparse.h"
#include "web/web_int.h"

#define LIVE_TIMEOUT_MS 2000
#define MAX_STEPS 100000		/* aggregates in one answer */
#define MAX_STEP_S (366 * 86400)
#define BLOCK_RECORDS 512

/* ---- live values -------------------------------------------------------------- */

/* Keys that could hold a secret or say where one is: never in an answer,
 * whatever the sampler (or a later version of it) puts in status. */
static bool secret_key(const char *k)
{
	static const char *const words[] = { "password", "secret", "token", "key", "auth",
					     "credential" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(k, words[i]))
			return true;
	return false;
}

static void scrub(cJSON *o)
{
	cJSON *c = o ? o->child : NULL;

	while (c) {
		cJSON *next = c->next;

		if (cJSON_IsObject(o) && c->string && secret_key(c->string))
			cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
		else
			scrub(c);
		c = next;
	}
}

static void ask_sampler(struct wx_web_ctx *x, const char *command, bool clean,
			struct wx_web_answer *ans)
{
	char err[512], *reply = NULL, *out;
	cJSON *o, *e;
	size_t n;

	if (wx_live_query(x->cfg->station.socket, command, LIVE_TIMEOUT_MS, &reply, err,
			  sizeof(err))) {
		wx_web_text(ans, 503, "the station is not answering: %s (is wxd running?)", err);
		return;
	}
	o = cJSON_Parse(reply);
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (!cJSON_IsObject(o) || e) {
		wx_web_text(ans, 503, "the station answered %s: %.200s", command,
			    cJSON_IsString(e) ? e->valuestring : "something that is not JSON");
		cJSON_Delete(o);
		free(reply);
		return;
	}
	if (clean) {
		/* Through struct wx_status: only the keys it knows go out (every
		 * one of today's answer, in its order), then, should a name of an
		 * upload or a sensor look like a secret, not that either. */
		struct wx_status *st = malloc(sizeof(*st));
		cJSON *known = NULL;

		if (st) {
			wx_status_from_cjson(o, st, NULL, 0);
			known = wx_status_to_cjson(st);
			free(st);
		}
		cJSON_Delete(o);
		o = known;
		scrub(o);
		free(reply);
		reply = o ? cJSON_PrintUnformatted(o) : NULL;
	}
	cJSON_Delete(o);
	if (!reply) {
		wx_web_text(ans, 500, "out of memory");
		return;
	}
	n = strlen(reply);
	out = realloc(reply, n + 2);
	if (!out) {
		free(reply);
		wx_web_text(ans, 500, "out of memory");
		return;
	}
	out[n] = '\n';
	ans->status = 200;
	ans->content_type = "application/json";
	ans->body = out;
	ans->len = n + 1;
}

void wx_web_api_current(struct wx_web_ctx *x, struct wx_web_answer *ans)
{
	ask_sampler(x, "read", false, ans);
}

void wx_web_api_status(struct wx_web_ctx *x, struct wx_web_answer *ans)
{
	ask_sampler(x, "status", true, ans);
}

/* What the page needs to know of the configuration: nothing else. */
void wx_web_api_station(struct wx_web_ctx *x, struct wx_web_answer *ans)
{
	cJSON *o = cJSON_CreateObject();
	char *p;

	if (o) {
		cJSON_AddStringToObject(o, "station", x->cfg->station.id);
		cJSON_AddStringToObject(o, "units", x->cfg->station.units == WX_UNITS_US ? "us" : "metric");
		cJSON_AddNumberToObject(o, "interval_s", x->cfg->station.interval_s);
		cJSON_AddNumberToObject(o, "altitude_m", x->cfg->station.altitude_m);
		cJSON_AddStringToObject(o, "version", WX_VERSION);
	}
	p = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!p) {
		wx_web_text(ans, 500, "out of memory");
		return;
	}
	ans->status = 200;
	ans->content_type = "application/json";
	ans->body = p;
	ans->len = strlen(p);
}

/* ---- a growing text ------------------------------------------------------------ */

struct text {
	char *s;
	size_t len, cap, off;	/* off: what the stream has sent of s */
	bool failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *ns;

		while (cap < t->len + n + 1)
			cap *= 2;
		ns = realloc(t->s, cap);
		if (!ns) {
			t->failed = true;
			return;
		}
		t->s = ns;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* ---- parameters ------------------------------------------------------------------- */

struct range {
	int64_t since, until, step;
};

/* 0, or -1 after a 400 answer naming the parameter. */
static int parse_range(wx_web_param param, void *conn, struct range *r,
		       struct wx_web_answer *ans)
{
	const char *since = param(conn, "since"), *until = param(conn, "until");
	const char *step = param(conn, "step");
	int64_t now = (int64_t)time(NULL);
	char *end;

	r->step = 0;
	if (wx_parse_when(since ? since : "-24h", now, &r->since)) {
		wx_web_text(ans, 400, "since: \"%.60s\" is not a time (ISO 8601 like 2026-11-22T14:00, "
			    "Unix seconds, or relative like -24h)", since);
		return -1;
	}
	if (wx_parse_when(until ? until : "now", now, &r->until)) {
		wx_web_text(ans, 400, "until: \"%.60s\" is not a time (ISO 8601 like 2026-11-22T14:00, "
			    "Unix seconds, or relative like -24h)", until);
		return -1;
	}
	if (r->since > r->until) {
		wx_web_text(ans, 400, "since (%lld) is after until (%lld)", (long long)r->since,
			    (long long)r->until);
		return -1;
	}
	if (step) {
		errno = 0;
		r->step = strtoll(step, &end, 10);
		if (!*step || *end || errno || r->step < 1 || r->step > MAX_STEP_S) {
			wx_web_text(ans, 400, "step: \"%.30s\" is not a whole number of seconds from 1 "
				    "to %d", step, MAX_STEP_S);
			return -1;
		}
		if ((r->until - r->since) / r->step >= MAX_STEPS) {
			wx_web_text(ans, 400, "step: %lld s makes more than %d steps from since to "
				    "until: give a longer step (at least %lld)", (long long)r->step,
				    MAX_STEPS, (long long)((r->until - r->since) / MAX_STEPS + 1));
			return -1;
		}
	}
	return 0;
}

/* ---- aggregates ---------------------------------------------------------------- */

struct agg {
	const char *station;
	struct text t;
	bool any;
};

static int add_step(const struct wx_archive_step *g, void *arg)
{
	struct agg *s = arg;
	cJSON *o = wx_record_to_cjson(&g->mean, s->station, WX_IN_ARCHIVE);
	char name[64], *p;
	bool ok = o && cJSON_AddNumberToObject(o, "records", (double)g->n);

	/* Lowest and highest of each measured quantity, for the daily table. */
	for (int q = 0; ok && q < WX_QUANTITY_COUNT; q++) {
		const struct wx_quantity_info *qi = &wx_quantities[q];

		if (!(qi->where & WX_IN_ARCHIVE) || qi->is_count || q == WX_WIND_DIRECTION_DEG)
			continue;
		snprintf(name, sizeof(name), "%s_min", qi->key);
		ok = wx_record_has(&g->lo, (enum wx_quantity)q) ?
		     cJSON_AddNumberToObject(o, name, wx_round2(g->lo.v[q])) != NULL :
		     cJSON_AddNullToObject(o, name) != NULL;
		snprintf(name, sizeof(name), "%s_max", qi->key);
		ok = ok && (wx_record_has(&g->hi, (enum wx_quantity)q) ?
		     cJSON_AddNumberToObject(o, name, wx_round2(g->hi.v[q])) != NULL :
		     cJSON_AddNullToObject(o, name) != NULL);
	}
	p = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!p)
		return -ENOMEM;
	text_str(&s->t, s->any ? ",\n" : "\n");
	text_str(&s->t, p);
	free(p);
	s->any = true;
	return s->t.failed ? -ENOMEM : 0;
}

static void aggregates(struct wx_web_ctx *x, struct wx_archive *a, const struct range *r,
		       struct wx_web_answer *ans)
{
	struct agg s = { .station = x->cfg->station.id };
	int rc;

	text_str(&s.t, "[");
	rc = wx_archive_aggregate(a, r->since, r->until, r->step, add_step, &s);
	text_str(&s.t, s.any ? "\n]\n" : "]\n");
	if (rc || s.t.failed) {
		free(s.t.s);
		wx_web_text(ans, 503, "%s", rc == -ENOMEM || s.t.failed ? "out of memory" :
			    wx_archive_errmsg(a));
		return;
	}
	ans->status = 200;
	ans->content_type = "application/json";
	ans->body = s.t.s;
	ans->len = s.t.len;
}

/* ---- records, streamed ------------------------------------------------------------ */

struct stream {
	struct wx_web_ctx *x;
	struct wx_archive *a;
	bool csv;
	int64_t after, until;	/* next block: ts > after */
	uint64_t n;
	bool finished;
	struct text t;
	struct wx_record rec[BLOCK_RECORDS];
};

static void stream_done(void *arg)
{
	struct stream *s = arg;

	s->x->archive_put(s->x, s->a);
	free(s->t.s);
	free(s);
}

/* The CSV of one block, exactly as wxctl history writes it (the header
 * only before the first block). */
static int csv_block(struct stream *s, int64_t from, int64_t to)
{
	char *buf = NULL, *body;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -ENOMEM;
	rc = wx_history_print(f, s->a, s->x->cfg, from, to, WX_HISTORY_CSV, false);
	if (fclose(f) || !buf) {
		free(buf);
		return -ENOMEM;
	}
	body = buf;
	if (s->n) {
		char *nl = memchr(buf, '\n', len);

		body = nl ? nl + 1 : buf + len;
	}
	text_add(&s->t, body, len - (size_t)(body - buf));
	free(buf);
	return rc;
}

static int json_block(struct stream *s, int n)
{
	for (int i = 0; i < n && s->rec[i].ts <= s->until; i++) {
		char *p = wx_record_to_json(&s->rec[i], s->x->cfg->station.id, WX_IN_ARCHIVE);

		if (!p)
			return -ENOMEM;
		text_str(&s->t, s->n || i ? ",\n" : "\n");
		text_str(&s->t, p);
		free(p);
	}
	return 0;
}

/* Fill s->t with the next block of records (and the closing bracket). */
static int fill(struct stream *s)
{
	int n = wx_archive_after(s->a, s->after, s->rec, BLOCK_RECORDS), rc, used = 0;

	if (n < 0)
		return n;
	while (used < n && s->rec[used].ts <= s->until)
		used++;
	if (used) {
		rc = s->csv ? csv_block(s, s->after + 1, s->rec[used - 1].ts) : json_block(s, used);
		if (rc)
			return rc;
		s->after = s->rec[used - 1].ts;
		s->n += (uint64_t)used;
	}
	if (used < BLOCK_RECORDS) {
		s->finished = true;
		if (s->csv && !s->n)
			rc = csv_block(s, 1, 0);	/* the header alone */
		if (!s->csv)
			text_str(&s->t, s->n ? "\n]\n" : "]\n");
	}
	return s->t.failed ? -ENOMEM : 0;
}

static long stream_next(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = arg;
	size_t n;

	(void)pos;
	while (s->t.off == s->t.len && !s->finished) {
		s->t.len = s->t.off = 0;
		if (fill(s))
			return -1;	/* the connection is closed mid-answer */
	}
	n = s->t.len - s->t.off;
	if (n > max)
		n = max;
	memcpy(buf, s->t.s + s->t.off, n);
	s->t.off += n;
	return (long)n;
}

void wx_web_api_history(struct wx_web_ctx *x, wx_web_param param, void *conn, bool csv,
			struct wx_web_answer *ans)
{
	struct range r;
	struct wx_archive *a;
	struct stream *s;
	char err[512];

	if (parse_range(param, conn, &r, ans))
		return;
	if (csv && r.step) {
		wx_web_text(ans, 400, "step: the CSV holds the records themselves; leave step out");
		return;
	}
	a = x->archive_get(x, err, sizeof(err));
	if (!a) {
		wx_web_text(ans, 503, "%s", err);
		return;
	}
	if (r.step) {
		aggregates(x, a, &r, ans);
		x->archive_put(x, a);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		x->archive_put(x, a);
		wx_web_text(ans, 500, "out of memory");
		return;
	}
	s->x = x;
	s->a = a;
	s->csv = csv;
	s->after = r.since - 1;
	s->until = r.until;
	if (!csv)
		text_str(&s->t, "[");
	ans->status = 200;
	ans->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
	ans->disposition = csv ? "attachment; filename=\"wx-history.csv\"" : NULL;
	ans->next = stream_next;
	ans->done = stream_done;
	ans->arg = s;
}
