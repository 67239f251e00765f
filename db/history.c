#include "db/history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/core/record_json.h"
#include "firmware/core/units.h"

/* The original kit's MariaDB table, as its export writes it. */
const char wx_history_oracle_header[] =
	"ID,REMOTE_ID,AMBIENT_TEMPERATURE,GROUND_TEMPERATURE,AIR_QUALITY,AIR_PRESSURE,"
	"HUMIDITY,WIND_DIRECTION,WIND_SPEED,WIND_GUST_SPEED,RAINFALL,CREATED";

static const enum wx_quantity oracle_columns[] = {
	WX_TEMPERATURE_C, WX_GROUND_TEMPERATURE_C, WX_AIR_QUALITY_PCT, WX_PRESSURE_HPA,
	WX_HUMIDITY_PCT, WX_WIND_DIRECTION_DEG, WX_WIND_SPEED_KMH, WX_WIND_GUST_KMH, WX_RAIN_MM,
};

/* Table columns: quantity, heading, width. */
static const struct column {
	enum wx_quantity q;
	const char *heading;
	int width;
} table[] = {
	{ WX_TEMPERATURE_C, "Temp", 6 },
	{ WX_HUMIDITY_PCT, "Hum", 4 },
	{ WX_SEA_LEVEL_PRESSURE_HPA, "Press", 7 },
	{ WX_WIND_SPEED_KMH, "Wind", 6 },
	{ WX_WIND_GUST_KMH, "Gust", 6 },
	{ WX_WIND_DIRECTION_DEG, "Dir", 8 },
	{ WX_RAIN_MM, "Rain", 6 },
	{ WX_GROUND_TEMPERATURE_C, "Ground", 7 },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

struct printer {
	FILE *out;
	const struct wx_config *cfg;
	enum wx_history_format format;
	bool oracle;
	uint64_t n;
	int64_t first, last;
	struct wx_record min, max;	/* per quantity */
	double sum[WX_QUANTITY_COUNT];
	unsigned count[WX_QUANTITY_COUNT];
};

static void local_time(char *buf, size_t len, int64_t ts, bool seconds)
{
	time_t t = (time_t)ts;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
}

/* ISO 8601 local time with its UTC offset ("2026-11-29T18:22:00+01:00"),
 * which spreadsheets read as a time as it is, beside ts. */
static void iso_local(char *buf, size_t len, int64_t ts)
{
	time_t t = (time_t)ts;
	struct tm tm;
	char off[8];
	size_t n;

	if (!localtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) ||
	    !strftime(off, sizeof(off), "%z", &tm) || strlen(off) != 5) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf + n, len - n, "%.3s:%.2s", off, off + 3);	/* +0100 -> +01:00 */
}

/* printf pads by bytes; "°C" is three bytes but two columns. */
static int columns_pad(const char *s, int width)
{
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) == 0x80)
			width++;
	return width;
}

static void print_csv_value(FILE *out, const struct wx_record *r, enum wx_quantity q)
{
	if (!wx_record_has(r, q))
		return;		/* empty field: NULL, never a sentinel */
	if (wx_quantities[q].is_count)
		fprintf(out, "%.0f", r->v[q]);
	else
		fprintf(out, "%.2f", wx_round2(r->v[q]));
}

static void header(struct printer *p)
{
	const char *unit;

	switch (p->format) {
	case WX_HISTORY_CSV:
		if (p->oracle) {
			fprintf(p->out, "%s\n", wx_history_oracle_header);
			break;
		}
		fprintf(p->out, "ts,time_local,interval_s");
		for (int q = 0; q < WX_QUANTITY_COUNT; q++)
			if (wx_quantities[q].where & WX_IN_ARCHIVE)
				fprintf(p->out, ",%s", wx_quantities[q].key);
		fputc('\n', p->out);
		break;
	case WX_HISTORY_JSON:
		fputc('[', p->out);
		break;
	case WX_HISTORY_TABLE:
		fprintf(p->out, "%-16s", "Time");
		for (size_t i = 0; i < N_TABLE; i++)
			fprintf(p->out, " %*s", table[i].width, table[i].heading);
		fprintf(p->out, "\n%-16s", "(local)");
		for (size_t i = 0; i < N_TABLE; i++) {
			wx_units_convert(table[i].q, 0, p->cfg->station.units, &unit);
			fprintf(p->out, " %*s", columns_pad(unit, table[i].width), unit);
		}
		fputc('\n', p->out);
		break;
	}
}

static int row(const struct wx_record *r, void *arg)
{
	struct printer *p = arg;
	char buf[64];

	if (!p->n)
		p->first = r->ts;
	p->last = r->ts;
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		if (!wx_record_has(r, (enum wx_quantity)q))
			continue;
		if (!p->count[q] || r->v[q] < p->min.v[q])
			p->min.v[q] = r->v[q];
		if (!p->count[q] || r->v[q] > p->max.v[q])
			p->max.v[q] = r->v[q];
		p->sum[q] += r->v[q];
		p->count[q]++;
	}
	switch (p->format) {
	case WX_HISTORY_CSV:
		if (p->oracle) {
			local_time(buf, sizeof(buf), r->ts, true);
			fprintf(p->out, "%lld,", (long long)r->ts);
			for (size_t i = 0; i < sizeof(oracle_columns) / sizeof(oracle_columns[0]); i++) {
				fputc(',', p->out);
				print_csv_value(p->out, r, oracle_columns[i]);
			}
			fprintf(p->out, ",%s\n", buf);
			break;
		}
		iso_local(buf, sizeof(buf), r->ts);
		fprintf(p->out, "%lld,%s,%d", (long long)r->ts, buf, r->interval_s);
		for (int q = 0; q < WX_QUANTITY_COUNT; q++)
			if (wx_quantities[q].where & WX_IN_ARCHIVE) {
				fputc(',', p->out);
				print_csv_value(p->out, r, (enum wx_quantity)q);
			}
		fputc('\n', p->out);
		break;
	case WX_HISTORY_JSON: {
		char *s = wx_record_to_json(r, p->cfg->station.id, WX_IN_ARCHIVE);

		if (!s)
			return -1;
		fprintf(p->out, "%s\n%s", p->n ? "," : "", s);
		free(s);
		break;
	}
	case WX_HISTORY_TABLE:
		local_time(buf, sizeof(buf), r->ts, false);
		fprintf(p->out, "%-16s", buf);
		for (size_t i = 0; i < N_TABLE; i++) {
			wx_units_format(buf, sizeof(buf), r, table[i].q, p->cfg->station.units, false);
			fprintf(p->out, " %*s", columns_pad(buf, table[i].width), buf);
		}
		fputc('\n', p->out);
		break;
	}
	p->n++;
	return 0;
}

static void summary_line(struct printer *p, const char *label, enum wx_quantity q)
{
	char lo[32], hi[32], mean[32];
	struct wx_record r;

	if (!p->count[q])
		return;
	wx_record_init(&r, 0);
	wx_record_set(&r, q, p->min.v[q]);
	wx_units_format(lo, sizeof(lo), &r, q, p->cfg->station.units, true);
	wx_record_set(&r, q, p->max.v[q]);
	wx_units_format(hi, sizeof(hi), &r, q, p->cfg->station.units, true);
	wx_record_set(&r, q, p->sum[q] / p->count[q]);
	wx_units_format(mean, sizeof(mean), &r, q, p->cfg->station.units, true);
	fprintf(p->out, "  %-20s min %-*s max %-*s mean %s\n", label, columns_pad(lo, 12), lo,
		columns_pad(hi, 12), hi, mean);
}

static void footer(struct printer *p)
{
	char a[32], b[32];
	struct wx_record r;

	switch (p->format) {
	case WX_HISTORY_JSON:
		fputs(p->n ? "\n]\n" : "]\n", p->out);
		return;
	case WX_HISTORY_CSV:
		return;
	case WX_HISTORY_TABLE:
		break;
	}
	if (!p->n) {
		fprintf(p->out, "no records in that time\n");
		return;
	}
	local_time(a, sizeof(a), p->first, false);
	local_time(b, sizeof(b), p->last, false);
	fprintf(p->out, "\n%llu records, %s to %s\n", (unsigned long long)p->n, a, b);
	summary_line(p, "Air temperature", WX_TEMPERATURE_C);
	summary_line(p, "Humidity", WX_HUMIDITY_PCT);
	summary_line(p, "Sea-level pressure", WX_SEA_LEVEL_PRESSURE_HPA);
	summary_line(p, "Ground temperature", WX_GROUND_TEMPERATURE_C);
	summary_line(p, "Wind speed", WX_WIND_SPEED_KMH);
	if (p->count[WX_WIND_GUST_KMH]) {
		wx_record_init(&r, 0);
		wx_record_set(&r, WX_WIND_GUST_KMH, p->max.v[WX_WIND_GUST_KMH]);
		wx_units_format(a, sizeof(a), &r, WX_WIND_GUST_KMH, p->cfg->station.units, true);
		fprintf(p->out, "  %-20s %s\n", "Highest gust", a);
	}
	if (p->count[WX_RAIN_MM]) {
		wx_record_init(&r, 0);
		wx_record_set(&r, WX_RAIN_MM, p->sum[WX_RAIN_MM]);
		wx_units_format(a, sizeof(a), &r, WX_RAIN_MM, p->cfg->station.units, true);
		fprintf(p->out, "  %-20s %s\n", "Rain total", a);
	}
}

int wx_history_print(FILE *out, struct wx_archive *a, const struct wx_config *cfg,
		     int64_t since, int64_t until, enum wx_history_format format,
		     bool oracle_layout)
{
	struct printer p = { .out = out, .cfg = cfg, .format = format, .oracle = oracle_layout };
	int rc;

	wx_record_init(&p.min, 0);
	wx_record_init(&p.max, 0);
	header(&p);
	rc = wx_archive_each(a, since, until, row, &p);
	footer(&p);
	return rc < 0 ? rc : 0;
}
