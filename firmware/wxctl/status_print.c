/* wxctl status: the daemon's status answer (docs/contract.md "Live socket") as text. */
#include "firmware/wxctl/status_print.h"

#include <string.h>

/* The text of a health the answer gave, "" when it gave none. */
static const char *health(unsigned has, unsigned bit, enum wx_status_health h)
{
	if (!(has & bit))
		return "";
	return h == WX_STATUS_ERROR ? "error" : h == WX_STATUS_OK ? "ok" : "starting";
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

void wx_status_print(FILE *out, const struct wx_status *o)
{
	const struct wx_status_storage *st = &o->storage;
	const struct wx_status_network *net = &o->network;
	double now = (double)o->ts;
	char b1[32], b2[32];

	fprintf(out, "wxd %s, station %s%s, up %.0f s\n", o->version, o->station,
	             o->simulated ? " (simulated)" : "", (double)o->uptime_s);
	fprintf(out, "clock: %s\n", o->clock_synchronized
		? "synchronised" : "NOT synchronised (records are held until it is)");
	fprintf(out, "archive: %s, %.0f records written, last %s\n", st->database,
	             (double)o->records_written, ago(b1, sizeof(b1), (double)o->last_record_ts, now));
	if ((st->has & WX_STG_STATUS) && st->status == WX_STATUS_ERROR)
		fprintf(out, "  ERROR since %s: %s\n", ago(b1, sizeof(b1), (double)st->since, now),
		             st->error);
	if (st->pending_records || st->lost_records)
		fprintf(out, "  %.0f records waiting in memory, %.0f lost\n", (double)st->pending_records,
		             (double)st->lost_records);
	fprintf(out, "sensors:\n");
	for (int i = 0; i < o->n_sensors; i++) {
		const struct wx_status_sensor *it = &o->sensors[i];

		if ((it->has & WX_SEN_STATUS) && it->status == WX_STATUS_ERROR)
			fprintf(out, "  %-12s ERROR since %s: %s\n", it->name,
			       ago(b1, sizeof(b1), (double)it->since, now), it->error);
		else
			fprintf(out, "  %-12s %s, last reading %s\n", it->name,
			       health(it->has, WX_SEN_STATUS, it->status),
			       ago(b1, sizeof(b1), (double)it->last_ok, now));
	}
	if (!o->n_uploads)
		fprintf(out, "uploads: none configured\n");
	else
		fprintf(out, "uploads:\n");
	if ((o->has & WX_ST_NETWORK) && net->configured) {
		const char *s = net->status;

		if (!strcmp(s, "running") || !strcmp(s, "starting"))
			fprintf(out, "network side: %s (wxd-net%s)\n", s,
			        !strcmp(net->process, "unit") ? ", its own unit" : "");
		else
			fprintf(out, "network side: NOT running (%s; last report %s): uploads below are as it last said\n",
			        s, net->report_age_s > 0 ?
			        ago(b1, sizeof(b1), now - (double)net->report_age_s, now) : "never");
	}
	for (int i = 0; i < o->n_uploads; i++) {
		const struct wx_status_upload *it = &o->uploads[i];

		fprintf(out, "  %-12s %s%.0f records waiting, last success %s\n", it->name,
		             (it->has & WX_UP_CONNECTED) ? (it->connected ? "connected, " : "disconnected, ") : "",
		             (double)it->backlog, ago(b1, sizeof(b1), (double)it->last_success, now));
		if (it->skipped > 0)
			fprintf(out, "  %-12s %.0f records skipped (older than it takes, or within its 5 minutes)\n",
			        "", (double)it->skipped);
		if ((it->has & WX_UP_LAST_ERROR) && it->last_error[0])
			fprintf(out, "  %-12s last error %s: %s\n", "",
			       ago(b2, sizeof(b2), (double)it->last_error_at, now), it->last_error);
	}
}

static bool say(char *why, size_t whylen, const char *what, const char *name)
{
	if (why && whylen)
		snprintf(why, whylen, "%s%s%s", what, name ? " " : "", name ? name : "");
	return true;
}

bool wx_status_in_error(const struct wx_status *o, char *why, size_t whylen)
{
	const struct wx_status_network *net = &o->network;

	if (why && whylen)
		why[0] = '\0';
	for (int i = 0; i < o->n_sensors; i++)
		if ((o->sensors[i].has & WX_SEN_STATUS) && o->sensors[i].status == WX_STATUS_ERROR)
			return say(why, whylen, "sensor", o->sensors[i].name);
	if ((o->storage.has & WX_STG_STATUS) && o->storage.status == WX_STATUS_ERROR)
		return say(why, whylen, "storage", NULL);
	if ((o->has & WX_ST_CLOCK) && !o->clock_synchronized)
		return say(why, whylen, "clock not synchronised", NULL);
	for (int i = 0; i < o->n_uploads; i++)
		if ((o->uploads[i].has & WX_UP_LAST_ERROR_AT) &&
		    o->uploads[i].last_error_at > o->uploads[i].last_success)
			return say(why, whylen, "upload", o->uploads[i].name);
	/* Uploads configured but nobody uploading is an upload in error. */
	if ((o->has & WX_ST_NETWORK) && net->configured &&
	    strcmp(net->status, "running") && strcmp(net->status, "starting"))
		return say(why, whylen, "upload network side not running", NULL);
	return false;
}
