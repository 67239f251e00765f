/* Import of the original Oracle Weather Station table WEATHER_MEASUREMENT
 * (see oracle_import.h).  The columns, as the kit's create.sql made them:
 *
 *   ID, REMOTE_ID, AMBIENT_TEMPERATURE, GROUND_TEMPERATURE, AIR_QUALITY,
 *   AIR_PRESSURE, HUMIDITY, WIND_DIRECTION, WIND_SPEED, WIND_GUST_SPEED,
 *   RAINFALL, CREATED
 *
 * ID and REMOTE_ID are the kit's own keys and are dropped.  The kit's
 * log_all_sensors.py wrote one row every 5 minutes (cron), with CREATED
 * the local time of the run (MySQL TIMESTAMP, "YYYY-MM-DD HH:MM:SS"),
 * wind and gust in km/h, rainfall in mm since the previous row.  Its
 * failure values are sentinels, which become NULL here (see SENTINELS). */
#include "firmware/wxctl/oracle_import.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "drivers/ds18b20.h"
#include "drivers/pulse.h"
#include "firmware/core/log.h"

enum col {
	C_ID, C_REMOTE_ID, C_AMBIENT, C_GROUND, C_AIR_QUALITY, C_PRESSURE, C_HUMIDITY,
	C_WIND_DIR, C_WIND_SPEED, C_WIND_GUST, C_RAINFALL, C_CREATED, N_COLS,
	C_SKIP = -1
};

/* Column name, and the quantity it fills (-1: none). */
static const struct {
	const char *name;
	int quantity;
} columns[N_COLS] = {
	[C_ID] = { "ID", -1 },
	[C_REMOTE_ID] = { "REMOTE_ID", -1 },
	[C_AMBIENT] = { "AMBIENT_TEMPERATURE", WX_TEMPERATURE_C },
	[C_GROUND] = { "GROUND_TEMPERATURE", WX_GROUND_TEMPERATURE_C },
	[C_AIR_QUALITY] = { "AIR_QUALITY", WX_AIR_QUALITY_PCT },
	[C_PRESSURE] = { "AIR_PRESSURE", WX_PRESSURE_HPA },
	[C_HUMIDITY] = { "HUMIDITY", WX_HUMIDITY_PCT },
	[C_WIND_DIR] = { "WIND_DIRECTION", WX_WIND_DIRECTION_DEG },
	[C_WIND_SPEED] = { "WIND_SPEED", WX_WIND_SPEED_KMH },
	[C_WIND_GUST] = { "WIND_GUST_SPEED", WX_WIND_GUST_KMH },
	[C_RAINFALL] = { "RAINFALL", WX_RAIN_MM },
	[C_CREATED] = { "CREATED", -1 },
};

#define MAX_FIELDS 32
#define GIVE_UP_AFTER 20	/* bad data lines in a row at the start of a file */
#define DEFAULT_INTERVAL_S 300	/* the kit's cron ran every 5 minutes */
#define MAX_INTERVAL_S 3600	/* a longer gap is an outage, not an interval */
#define MAX_FUTURE_S 86400	/* CREATED may be a day ahead: time zones, clocks */

/* SENTINELS: values the kit wrote when a reading failed.
 * - -255 in any column: HTU21D.py returns it on a CRC failure (ambient
 *   temperature, humidity), ds18b20_therm.py when the probe did not answer
 *   (ground temperature).
 * - GROUND_TEMPERATURE 85.00: the DS18B20's power-on register value, read
 *   when a conversion never happened (DS18B20 datasheet); never a real
 *   soil temperature.
 * - AIR_PRESSURE 0: no air pressure is 0; a failed or missing read.
 * Zero is kept everywhere else: it is a real temperature, calm wind, no
 * rain, north, or a clamped humidity. */
static bool is_sentinel(int col, double v)
{
	if (fabs(v + 255.0) < 0.005)
		return true;
	if (col == C_GROUND && fabs(v - 85.0) < 0.005)
		return true;
	return col == C_PRESSURE && v == 0;
}

/* RANGES: what the kit's sensors can measure (their datasheets, as the
 * drivers have them); a value outside is a corrupt row, not weather, and
 * is refused rather than stored (1e308 °C would wreck every mean).
 * Pressure is checked after the kPa conversion below. */
static const struct range {
	double min, max;
	const char *why;
} ranges[N_COLS] = {
	[C_AMBIENT] = { -40, 125, "the HTU21D's range" },
	[C_GROUND] = { WX_DS18B20_MIN_C, WX_DS18B20_MAX_C, "the DS18B20's range" },
	[C_AIR_QUALITY] = { 0, 100, "a percentage" },
	[C_PRESSURE] = { 300, 1100, "the BMP180's range" },
	[C_HUMIDITY] = { 0, 100, "a relative humidity" },
	[C_WIND_DIR] = { 0, 360, "degrees" },
	[C_WIND_SPEED] = { 0, WX_PULSE_WIND_MAX_KMH, "what the anemometer can count" },
	[C_WIND_GUST] = { 0, WX_PULSE_WIND_MAX_KMH, "what the anemometer can count" },
	/* At most an hour per row (MAX_INTERVAL_S) at the gauge's highest rate. */
	[C_RAINFALL] = { 0, WX_PULSE_RAIN_MAX_MM_H, "an hour at the gauge's highest rate" },
};

/* A plain decimal number as the kit's MySQL export writes it: sign, digits,
 * a point, an exponent.  strtod() alone would also take "0x10" (16),
 * "inf", "nan" and leading blanks. */
static bool is_decimal(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; isdigit((unsigned char)*s); s++)
		digits = true;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits = true;
	if (digits && (*s == 'e' || *s == 'E')) {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return digits && !*s;
}

struct import {
	const char *name;
	unsigned long line;
	wx_oracle_row_fn row;
	wx_oracle_error_fn error;
	void *arg;
	struct wx_oracle_import_stats st;
	char sep;
	int map[MAX_FIELDS];	/* field index -> column (C_SKIP) */
	int nmap;
	bool have_layout;
	int64_t prev_ts;
	unsigned long bad_run;	/* rejected data lines before the first good one */
};

static void WX_PRINTF(2, 3) report(struct import *im, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%lu: ", im->name, im->line);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (im->error)
		im->error(msg, im->arg);
}

/* ---- CREATED ---------------------------------------------------------- */

static bool same_local(time_t t, const struct tm *want)
{
	struct tm got;

	return localtime_r(&t, &got) && got.tm_year == want->tm_year &&
	       got.tm_mon == want->tm_mon && got.tm_mday == want->tm_mday &&
	       got.tm_hour == want->tm_hour && got.tm_min == want->tm_min &&
	       got.tm_sec == want->tm_sec;
}

/* The instant of want with the given isdst, if it names that local time. */
static bool candidate(const struct tm *want, int isdst, time_t *t)
{
	struct tm tm = *want;

	tm.tm_isdst = isdst;
	*t = mktime(&tm);
	return *t != (time_t)-1 && same_local(*t, want);
}

int wx_oracle_parse_created(const char *s, int64_t prev_ts, int64_t *ts)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec = 0, used = 0;
	time_t a, b;
	bool has_a, has_b;

	while (isspace((unsigned char)*s))
		s++;
	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5)
		return -EINVAL;
	s += used;
	if (*s == ':') {
		if (sscanf(s, ":%2d%n", &sec, &used) != 1)
			return -EINVAL;
		s += used;
		if (*s == '.')	/* fractional seconds: dropped */
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    y < 1970 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec == 60 ? 59 : sec;
	has_a = candidate(&tm, 0, &a);	/* standard time */
	has_b = candidate(&tm, 1, &b);	/* summer time */
	if (!has_a && !has_b) {
		/* Neither reading names this wall-clock time: either the hour
		 * skipped in spring, or a date like 31 April. */
		struct tm probe = tm;

		probe.tm_isdst = -1;
		if (mktime(&probe) == (time_t)-1 || probe.tm_mday != d)
			return -EINVAL;
		return -ERANGE;
	}
	if (has_a && has_b && a != b) {
		time_t early = a < b ? a : b, late = a < b ? b : a;

		*ts = (prev_ts != INT64_MIN && early <= prev_ts && late > prev_ts) ? late : early;
		return 0;
	}
	*ts = has_a ? a : b;
	return 0;
}

/* ---- fields ----------------------------------------------------------- */

/* Split line (modified in place) at im->sep, honouring "quoted" fields
 * with "" for a quote.  Returns the number of fields, or -1 for an
 * unterminated quote or too many fields. */
static int split(char *line, char sep, char **f)
{
	int n = 0;
	char *r = line, *w;

	for (;;) {
		if (n == MAX_FIELDS)
			return -1;
		while (*r == ' ')
			r++;
		f[n++] = w = r;
		if (*r == '"') {
			r++;
			for (;;) {
				if (!*r)
					return -1;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			while (*r == ' ')
				r++;
			if (*r && *r != sep)
				return -1;
		} else {
			while (*r && *r != sep)
				*w++ = *r++;
			while (w > f[n - 1] && w[-1] == ' ')
				w--;
		}
		if (!*r) {
			*w = '\0';
			return n;
		}
		*w = '\0';
		r++;
	}
}

static bool is_null(const char *s)
{
	return !*s || !strcasecmp(s, "NULL") || !strcmp(s, "\\N");
}

static int column_by_name(const char *s)
{
	for (int i = 0; i < N_COLS; i++)
		if (!strcasecmp(columns[i].name, s))
			return i;
	return C_SKIP;
}

static bool looks_like_header(char **f)
{
	char *end;

	if (is_null(f[0]))
		return false;
	errno = 0;
	strtod(f[0], &end);
	return *end != '\0';
}

/* Map a header's columns by name.  0, or -EINVAL after a report. */
static int read_header(struct import *im, char **f, int n)
{
	bool seen[N_COLS] = { false };

	for (int i = 0; i < n; i++) {
		int c = column_by_name(f[i]);

		if (c == C_SKIP) {
			report(im, "unknown column \"%s\" (is this an export of WEATHER_MEASUREMENT?)",
			       f[i]);
			return -EINVAL;
		}
		if (seen[c]) {
			report(im, "column %s appears twice", columns[c].name);
			return -EINVAL;
		}
		seen[c] = true;
		im->map[i] = c;
	}
	if (!seen[C_CREATED]) {
		report(im, "no CREATED column: the rows cannot be placed in time");
		return -EINVAL;
	}
	im->nmap = n;
	im->have_layout = true;
	return 0;
}

/* The layout of create.sql, for a file without a header. */
static void default_layout(struct import *im)
{
	for (int i = 0; i < N_COLS; i++)
		im->map[i] = i;
	im->nmap = N_COLS;
	im->have_layout = true;
}

/* Parse one data line into r.  0, or -EINVAL after a report. */
static int parse_row(struct import *im, char **f, int n, struct wx_record *r)
{
	const char *created = NULL;
	int64_t ts;
	int rc;

	if (n != im->nmap) {
		report(im, "expected %d fields, found %d", im->nmap, n);
		return -EINVAL;
	}
	wx_record_init(r, 0);
	for (int i = 0; i < n; i++) {
		int c = im->map[i], q = columns[c].quantity;
		char *end;
		double v;

		if (c == C_CREATED) {
			created = f[i];
			continue;
		}
		if (q < 0 || is_null(f[i]))
			continue;
		errno = 0;
		v = strtod(f[i], &end);
		if (!is_decimal(f[i]) || *end || errno || !isfinite(v)) {
			report(im, "%s: \"%s\" is not a%s number", columns[c].name, f[i],
			       *end || !isfinite(v) ? "" : " decimal");
			return -EINVAL;
		}
		if (is_sentinel(c, v))
			continue;
		/* The kit's first bmp085.py stored kPa (readPressure() * 0.001);
		 * later ones hPa.  No station pressure lies between 200 and
		 * 300 hPa, so below 200 it is kPa. */
		if (c == C_PRESSURE && v > 0 && v < 200)
			v *= 10;
		if (v < ranges[c].min || v > ranges[c].max) {
			report(im, "%s: \"%s\" is outside %g to %g (%s)", columns[c].name, f[i],
			       ranges[c].min, ranges[c].max, ranges[c].why);
			return -EINVAL;
		}
		wx_record_set(r, (enum wx_quantity)q, v);
	}
	if (!created || is_null(created)) {
		report(im, "CREATED is empty: the row cannot be placed in time");
		return -EINVAL;
	}
	rc = wx_oracle_parse_created(created, im->prev_ts, &ts);
	if (rc == -ERANGE) {
		report(im, "CREATED \"%s\" does not exist in local time (the hour skipped "
		       "when summer time starts): is TZ the station's zone?", created);
		return -EINVAL;
	}
	if (rc < 0) {
		report(im, "CREATED \"%s\" is not a date and time like 2016-05-01 13:05:00",
		       created);
		return -EINVAL;
	}
	/* An archive record from the future would be taken for the newest and
	 * hold back the station's own (a year 9999 typo, a wrong clock). */
	if (ts > (int64_t)time(NULL) + MAX_FUTURE_S) {
		report(im, "CREATED \"%s\" is in the future", created);
		return -EINVAL;
	}
	r->ts = ts;
	r->interval_s = (im->prev_ts != INT64_MIN && ts > im->prev_ts &&
			 ts - im->prev_ts <= MAX_INTERVAL_S) ? (int32_t)(ts - im->prev_ts)
							     : DEFAULT_INTERVAL_S;
	return 0;
}

static void strip_eol(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* One line: 0 to go on, or a negative errno to stop. */
static int one_line(struct import *im, char *line)
{
	char *f[MAX_FIELDS];
	struct wx_record r;
	int n, rc;

	if (im->line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))	/* a spreadsheet's BOM */
		memmove(line, line + 3, strlen(line + 3) + 1);
	if (blank(line))
		return 0;
	if (!im->sep)
		im->sep = strchr(line, '\t') && !strchr(line, ',') ? '\t' : ',';
	n = split(line, im->sep, f);
	if (n < 0) {
		report(im, "unterminated quote or more than %d fields", MAX_FIELDS);
		rc = -EINVAL;
	} else if (!im->have_layout && looks_like_header(f)) {
		return read_header(im, f, n);
	} else {
		if (!im->have_layout)
			default_layout(im);
		rc = parse_row(im, f, n, &r);
	}
	if (rc < 0) {
		im->st.rejected++;
		if (++im->bad_run >= GIVE_UP_AFTER && im->st.imported == 0) {
			report(im, "giving up: the first %d data lines were all bad "
			       "(is this an export of WEATHER_MEASUREMENT?)", GIVE_UP_AFTER);
			return -EINVAL;
		}
		return 0;
	}
	rc = im->row ? im->row(&r, im->arg) : 0;
	if (rc < 0)
		return rc;
	im->st.imported++;
	im->prev_ts = r.ts;
	return 0;
}

int wx_oracle_import_stream(FILE *f, const char *name, wx_oracle_row_fn row,
			    wx_oracle_error_fn error, void *arg,
			    struct wx_oracle_import_stats *st)
{
	struct import im = { .name = name, .row = row, .error = error, .arg = arg,
			     .prev_ts = INT64_MIN };
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	tzset();
	while (getline(&line, &cap, f) >= 0) {
		im.line++;
		strip_eol(line);
		rc = one_line(&im, line);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		report(&im, "read error");
		rc = -EIO;
	}
	free(line);
	im.st.lines = im.line;
	if (st)
		*st = im.st;
	return rc;
}

int wx_oracle_import_file(const char *path, wx_oracle_row_fn row, wx_oracle_error_fn error,
			  void *arg, struct wx_oracle_import_stats *st)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		int e = errno;
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: cannot open: %s", path, strerror(e));
		if (error)
			error(msg, arg);
		if (st)
			*st = (struct wx_oracle_import_stats){ 0 };
		return -e;
	}
	rc = wx_oracle_import_stream(f, path, row, error, arg, st);
	fclose(f);
	return rc;
}
