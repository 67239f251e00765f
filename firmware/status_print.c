/* wxctl status: the daemon's status answer (docs/contract.md "Live socket") as text. */
#include "firmware/status_print.h"

#include <string.h>

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *ago(char *buf, size_t len, double then, double now)
{
	double s = now - then;

	if (then <= 0)
		snprintf(buf, len, "never");
	else if (s < 120)
		snprintf(buf, len, "%.0f s ago", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min ago", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%.1f h ago", s / 3600);
	else
		snprintf(buf, len, "%.1f days ago", s / 86400);
	return buf;
}

void wx_status_print(FILE *out, const cJSON *o)
{
	const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(o, "sensors");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(o, "uploads");
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(o, "network");

	/* Only objects have named members: an array here is a malformed answer. */
	if (!cJSON_IsObject(sensors))
		sensors = NULL;
	if (!cJSON_IsObject(ups))
		ups = NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "storage");
	const cJSON *it;
	double now = num(o, "ts");
	char b1[32], b2[32];

	fprintf(out, "wxd %s, station %s%s, up %.0f s\n", str(o, "version"), str(o, "station"),
	             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "simulated")) ? " (simulated)" : "",
	             num(o, "uptime_s"));
	fprintf(out, "clock: %s\n",
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "clock_synchronized"))
		? "synchronised" : "NOT synchronised (records are held until it is)");
	fprintf(out, "archive: %s, %.0f records written, last %s\n", str(st, "database"),
	             num(o, "records_written"), ago(b1, sizeof(b1), num(o, "last_record_ts"), now));
	if (!strcmp(str(st, "status"), "error"))
		fprintf(out, "  ERROR since %s: %s\n", ago(b1, sizeof(b1), num(st, "since"), now),
		             str(st, "error"));
	if (num(st, "pending_records") || num(st, "lost_records"))
		fprintf(out, "  %.0f records waiting in memory, %.0f lost\n", num(st, "pending_records"),
		             num(st, "lost_records"));
	fprintf(out, "sensors:\n");
	cJSON_ArrayForEach(it, sensors) {
		if (!strcmp(str(it, "status"), "error"))
			fprintf(out, "  %-12s ERROR since %s: %s\n", it->string,
			       ago(b1, sizeof(b1), num(it, "since"), now), str(it, "error"));
		else
			fprintf(out, "  %-12s %s, last reading %s\n", it->string, str(it, "status"),
			       ago(b1, sizeof(b1), num(it, "last_ok"), now));
	}
	if (!cJSON_GetArraySize(ups))
		fprintf(out, "uploads: none configured\n");
	else
		fprintf(out, "uploads:\n");
	if (cJSON_IsObject(net) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(net, "configured"))) {
		const char *s = str(net, "status");

		if (!strcmp(s, "running") || !strcmp(s, "starting"))
			fprintf(out, "network side: %s (wxd-net%s)\n", s,
			        !strcmp(str(net, "process"), "unit") ? ", its own unit" : "");
		else
			fprintf(out, "network side: NOT running (%s; last report %s): uploads below are as it last said\n",
			        s, num(net, "report_age_s") > 0 ?
			        ago(b1, sizeof(b1), now - num(net, "report_age_s"), now) : "never");
	}
	cJSON_ArrayForEach(it, ups) {
		const cJSON *conn = cJSON_GetObjectItemCaseSensitive(it, "connected");

		fprintf(out, "  %-12s %s%.0f records waiting, last success %s\n", it->string,
		             cJSON_IsBool(conn) ? (cJSON_IsTrue(conn) ? "connected, " : "disconnected, ") : "",
		             num(it, "backlog"), ago(b1, sizeof(b1), num(it, "last_success"), now));
		if (num(it, "skipped") > 0)
			fprintf(out, "  %-12s %.0f records skipped (older than it takes, or within its 5 minutes)\n",
			        "", num(it, "skipped"));
		if (*str(it, "last_error"))
			fprintf(out, "  %-12s last error %s: %s\n", "",
			       ago(b2, sizeof(b2), num(it, "last_error_at"), now), str(it, "last_error"));
	}
}

static bool say(char *why, size_t whylen, const char *what, const char *name)
{
	if (why && whylen)
		snprintf(why, whylen, "%s%s%s", what, name ? " " : "", name ? name : "");
	return true;
}

bool wx_status_in_error(const cJSON *o, char *why, size_t whylen)
{
	const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(o, "sensors");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(o, "uploads");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "storage");
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(o, "network");
	const cJSON *it;

	if (why && whylen)
		why[0] = '\0';
	if (cJSON_IsObject(sensors))
		cJSON_ArrayForEach(it, sensors)
			if (!strcmp(str(it, "status"), "error"))
				return say(why, whylen, "sensor", it->string);
	if (cJSON_IsObject(st) && !strcmp(str(st, "status"), "error"))
		return say(why, whylen, "storage", NULL);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "clock_synchronized")))
		return say(why, whylen, "clock not synchronised", NULL);
	if (cJSON_IsObject(ups))
		cJSON_ArrayForEach(it, ups)
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(it, "last_error_at")) &&
			    num(it, "last_error_at") > num(it, "last_success"))
				return say(why, whylen, "upload", it->string);
	/* Uploads configured but nobody uploading is an upload in error. */
	if (cJSON_IsObject(net) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(net, "configured")) &&
	    strcmp(str(net, "status"), "running") && strcmp(str(net, "status"), "starting"))
		return say(why, whylen, "upload network side not running", NULL);
	return false;
}
