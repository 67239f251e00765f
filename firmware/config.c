/* The configuration loader.
 *
 * inih splits the file into (section, key, value); our line reader counts
 * lines and notices section headers, so that every message can say
 * "file:line:", and an empty section ("[bme280]" alone enables the sensor)
 * still counts as present.  Entries are collected first and applied second,
 * because [station] profile changes the defaults of the other sections
 * wherever it appears in the file.  One table, schema[], says for every key
 * its type, range and where it is stored. */
#include "firmware/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <strings.h>
#include <stdint.h>

#include "firmware/log.h"

/* T_SECRET: a *_file key naming a file whose first line is a secret; with
 * WX_CONFIG_CHECK_SECRETS the file must be there (and readable). */
enum type { T_STR, T_INT, T_ADDR, T_DOUBLE, T_OPT_DOUBLE, T_BOOL, T_UNITS, T_PROFILE,
	    T_STATION_ID, T_TOPIC, T_URL, T_AIR_TEMP, T_VANE_ADC, T_SECRET, T_LISTEN, T_CALLSIGN };

struct key {
	const char *section;
	const char *name;
	enum type type;
	size_t off;		/* into struct wx_config */
	size_t size;		/* T_STR: buffer size */
	double min, max;	/* numbers: inclusive range */
	size_t has_off;		/* T_OPT_DOUBLE: its bool */
};

#define OFF(f) offsetof(struct wx_config, f)
#define STR(sec, k, f)          { sec, k, T_STR, OFF(f), sizeof(((struct wx_config *)0)->f), 0, 0, 0 }
#define TYPED(sec, k, t, f)     { sec, k, t, OFF(f), sizeof(((struct wx_config *)0)->f), 0, 0, 0 }
#define NUM(sec, k, t, f, lo, hi) { sec, k, t, OFF(f), 0, lo, hi, 0 }
#define OPT(sec, k, f, has, lo, hi) { sec, k, T_OPT_DOUBLE, OFF(f), 0, lo, hi, OFF(has) }

static const struct key schema[] = {
	TYPED("station", "id", T_STATION_ID, station.id),
	NUM("station", "altitude_m", T_DOUBLE, station.altitude_m, -500, 9000),
	NUM("station", "interval_s", T_INT, station.interval_s, 10, 3600),
	STR("station", "database", station.database),
	STR("station", "socket", station.socket),
	TYPED("station", "units", T_UNITS, station.units),
	TYPED("station", "profile", T_PROFILE, station.profile),
	TYPED("station", "air_temperature", T_AIR_TEMP, station.air_temperature),

	NUM("bme280", "enabled", T_BOOL, bme280.enabled, 0, 0),
	STR("bme280", "bus", bme280.bus),
	NUM("bme280", "address", T_ADDR, bme280.address, 0x76, 0x77),

	/* The HTU21D and BMP180 each have one fixed address. */
	NUM("htu21d", "enabled", T_BOOL, htu21d.enabled, 0, 0),
	STR("htu21d", "bus", htu21d.bus),
	NUM("htu21d", "address", T_ADDR, htu21d.address, 0x40, 0x40),

	NUM("bmp180", "enabled", T_BOOL, bmp180.enabled, 0, 0),
	STR("bmp180", "bus", bmp180.bus),
	NUM("bmp180", "address", T_ADDR, bmp180.address, 0x77, 0x77),
	NUM("bmp180", "oversampling", T_INT, bmp180.oversampling, 0, 3),

	/* MCP3427: 0x68..0x6F by its two address pins; two channels. */
	NUM("air_quality", "enabled", T_BOOL, air_quality.enabled, 0, 0),
	STR("air_quality", "bus", air_quality.bus),
	NUM("air_quality", "address", T_ADDR, air_quality.address, 0x68, 0x6F),
	NUM("air_quality", "channel", T_INT, air_quality.channel, 0, 1),

	NUM("ds18b20", "enabled", T_BOOL, ds18b20.enabled, 0, 0),
	STR("ds18b20", "w1_dir", ds18b20.w1_dir),
	STR("ds18b20", "device", ds18b20.device),

	NUM("anemometer", "enabled", T_BOOL, anemometer.enabled, 0, 0),
	STR("anemometer", "chip", anemometer.chip),
	NUM("anemometer", "line", T_INT, anemometer.line, 0, 1023),
	NUM("anemometer", "kmh_per_hz", T_DOUBLE, anemometer.kmh_per_hz, 0.01, 100),
	NUM("anemometer", "debounce_ms", T_DOUBLE, anemometer.debounce_ms, 0, 100),

	NUM("rain", "enabled", T_BOOL, rain.enabled, 0, 0),
	STR("rain", "chip", rain.chip),
	NUM("rain", "line", T_INT, rain.line, 0, 1023),
	NUM("rain", "mm_per_tip", T_DOUBLE, rain.mm_per_tip, 0.01, 10),
	NUM("rain", "debounce_ms", T_DOUBLE, rain.debounce_ms, 0, 2000),
	NUM("rain", "catch_factor", T_DOUBLE, rain.catch_factor, 0.1, 10),

	NUM("windvane", "enabled", T_BOOL, windvane.enabled, 0, 0),
	TYPED("windvane", "adc", T_VANE_ADC, windvane.adc),
	STR("windvane", "spi", windvane.spi),
	STR("windvane", "bus", windvane.bus),
	NUM("windvane", "address", T_ADDR, windvane.address, 0x68, 0x6F),
	NUM("windvane", "channel", T_INT, windvane.channel, 0, 7),
	NUM("windvane", "vin", T_DOUBLE, windvane.vin, 1.0, 5.5),
	NUM("windvane", "divider_ohm", T_DOUBLE, windvane.divider_ohm, 100, 1e6),
	NUM("windvane", "north_offset_deg", T_DOUBLE, windvane.north_offset_deg, -360, 360),

	NUM("mqtt", "enabled", T_BOOL, mqtt.enabled, 0, 0),
	STR("mqtt", "host", mqtt.host),
	NUM("mqtt", "port", T_INT, mqtt.port, 1, 65535),
	NUM("mqtt", "tls", T_BOOL, mqtt.tls, 0, 0),
	STR("mqtt", "ca_file", mqtt.ca_file),
	STR("mqtt", "username", mqtt.username),
	TYPED("mqtt", "password_file", T_SECRET, mqtt.password_file),
	TYPED("mqtt", "topic", T_TOPIC, mqtt.topic),
	NUM("mqtt", "qos", T_INT, mqtt.qos, 0, 2),
	NUM("mqtt", "ha_discovery", T_BOOL, mqtt.ha_discovery, 0, 0),
	TYPED("mqtt", "ha_prefix", T_TOPIC, mqtt.ha_prefix),

	NUM("initialstate", "enabled", T_BOOL, initialstate.enabled, 0, 0),
	TYPED("initialstate", "url", T_URL, initialstate.url),
	TYPED("initialstate", "access_key_file", T_SECRET, initialstate.access_key_file),
	STR("initialstate", "bucket_key", initialstate.bucket_key),
	NUM("initialstate", "events_per_request", T_INT, initialstate.events_per_request, 1, 100),
	NUM("initialstate", "requests_per_min", T_INT, initialstate.requests_per_min, 1, 6000),

	NUM("web", "enabled", T_BOOL, web.enabled, 0, 0),
	TYPED("web", "listen", T_LISTEN, web.listen),
	/* Weather networks */
	NUM("wunderground", "enabled", T_BOOL, wunderground.enabled, 0, 0),
	TYPED("wunderground", "url", T_URL, wunderground.url),
	STR("wunderground", "station_id", wunderground.station_id),
	TYPED("wunderground", "password_file", T_SECRET, wunderground.key_file),
	NUM("wunderground", "backfill_days", T_INT, wunderground.backfill_days, 0, 365),
	NUM("pwsweather", "enabled", T_BOOL, pwsweather.enabled, 0, 0),
	TYPED("pwsweather", "url", T_URL, pwsweather.url),
	STR("pwsweather", "station_id", pwsweather.station_id),
	TYPED("pwsweather", "key_file", T_SECRET, pwsweather.key_file),
	NUM("pwsweather", "backfill_days", T_INT, pwsweather.backfill_days, 0, 365),
	NUM("wow", "enabled", T_BOOL, wow.enabled, 0, 0),
	TYPED("wow", "url", T_URL, wow.url),
	STR("wow", "site_id", wow.site_id),
	TYPED("wow", "key_file", T_SECRET, wow.key_file),
	NUM("wow", "backfill_days", T_INT, wow.backfill_days, 0, 365),
	NUM("windy", "enabled", T_BOOL, windy.enabled, 0, 0),
	TYPED("windy", "url", T_URL, windy.url),
	STR("windy", "station_id", windy.station_id),
	TYPED("windy", "password_file", T_SECRET, windy.password_file),
	NUM("cwop", "enabled", T_BOOL, cwop.enabled, 0, 0),
	STR("cwop", "server", cwop.server),
	TYPED("cwop", "callsign", T_CALLSIGN, cwop.callsign),
	NUM("cwop", "latitude", T_DOUBLE, cwop.latitude, -90, 90),
	NUM("cwop", "longitude", T_DOUBLE, cwop.longitude, -180, 180),

	NUM("sim", "seed", T_INT, sim.seed, 0, 2147483647),
	OPT("sim", "wind_kmh", sim.wind_kmh, sim.has_wind_kmh, 0, 250),
	OPT("sim", "rain_mm_h", sim.rain_mm_h, sim.has_rain_mm_h, 0, 300),
	NUM("sim", "bounce", T_BOOL, sim.bounce, 0, 0),
};

/* The builds a sensor belongs to, for --sim with no sensor section. */
#define BYO (1u << WX_PROFILE_BYO)
#define HAT (1u << WX_PROFILE_ORACLE_HAT)

/* Sections, and where a sensor's or destination's enabled flag lives. */
static const struct section {
	const char *name;
	size_t enabled_off;	/* 0: not an enable-by-presence section */
	bool sensor;
	unsigned builds;	/* sensors: BYO and/or HAT */
} sections[] = {
	{ "station", 0, false, 0 },
	{ "bme280", OFF(bme280.enabled), true, BYO },
	{ "htu21d", OFF(htu21d.enabled), true, HAT },
	{ "bmp180", OFF(bmp180.enabled), true, HAT },
	{ "ds18b20", OFF(ds18b20.enabled), true, BYO | HAT },
	{ "anemometer", OFF(anemometer.enabled), true, BYO | HAT },
	{ "rain", OFF(rain.enabled), true, BYO | HAT },
	{ "windvane", OFF(windvane.enabled), true, BYO | HAT },
	{ "air_quality", OFF(air_quality.enabled), true, HAT },
	{ "mqtt", OFF(mqtt.enabled), false, 0 },
	{ "initialstate", OFF(initialstate.enabled), false, 0 },
	{ "web", OFF(web.enabled), false, 0 },
	{ "wunderground", OFF(wunderground.enabled), false, 0 },
	{ "pwsweather", OFF(pwsweather.enabled), false, 0 },
	{ "wow", OFF(wow.enabled), false, 0 },
	{ "windy", OFF(windy.enabled), false, 0 },
	{ "cwop", OFF(cwop.enabled), false, 0 },
	{ "sim", 0, false, 0 },
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static void *field(struct wx_config *cfg, size_t off)
{
	return (char *)cfg + off;
}

static void defaults_byo(struct wx_config *c)
{
	snprintf(c->station.id, sizeof(c->station.id), "station");
	c->station.interval_s = 60;
	snprintf(c->station.database, sizeof(c->station.database), "/var/lib/wxd/wx.db");
	snprintf(c->station.socket, sizeof(c->station.socket), "/run/wxd/wxd.sock");

	snprintf(c->bme280.bus, sizeof(c->bme280.bus), "/dev/i2c-1");
	c->bme280.address = 0x76;
	snprintf(c->ds18b20.w1_dir, sizeof(c->ds18b20.w1_dir), "/sys/bus/w1/devices");

	snprintf(c->anemometer.chip, sizeof(c->anemometer.chip), "gpiochip0");
	c->anemometer.line = 5;
	c->anemometer.kmh_per_hz = 2.4;
	c->anemometer.debounce_ms = 2;
	snprintf(c->rain.chip, sizeof(c->rain.chip), "gpiochip0");
	c->rain.line = 6;
	c->rain.mm_per_tip = 0.2794;
	c->rain.debounce_ms = 150;
	c->rain.catch_factor = 1.0;

	snprintf(c->htu21d.bus, sizeof(c->htu21d.bus), "/dev/i2c-1");
	c->htu21d.address = 0x40;
	snprintf(c->bmp180.bus, sizeof(c->bmp180.bus), "/dev/i2c-1");
	c->bmp180.address = 0x77;
	c->bmp180.oversampling = 3;	/* ultra high resolution: 25.5 ms, lowest noise */
	snprintf(c->air_quality.bus, sizeof(c->air_quality.bus), "/dev/i2c-1");
	c->air_quality.address = 0x6A;

	snprintf(c->windvane.spi, sizeof(c->windvane.spi), "/dev/spidev0.0");
	snprintf(c->windvane.bus, sizeof(c->windvane.bus), "/dev/i2c-1");
	c->windvane.address = 0x69;
	c->windvane.vin = 3.3;
	c->windvane.divider_ohm = 4700;

	snprintf(c->mqtt.host, sizeof(c->mqtt.host), "localhost");
	c->mqtt.port = 1883;
	c->mqtt.qos = 1;
	c->mqtt.ha_discovery = true;
	snprintf(c->mqtt.ha_prefix, sizeof(c->mqtt.ha_prefix), "homeassistant");

	snprintf(c->initialstate.url, sizeof(c->initialstate.url), "https://groker.init.st/api/events");
	snprintf(c->initialstate.access_key_file, sizeof(c->initialstate.access_key_file),
		 "/etc/wxd/initialstate.key");
	c->initialstate.events_per_request = 10;
	c->initialstate.requests_per_min = 60;

	snprintf(c->web.listen, sizeof(c->web.listen), "0.0.0.0:8080");
	snprintf(c->web.listen_host, sizeof(c->web.listen_host), "0.0.0.0");
	c->web.listen_port = 8080;
	snprintf(c->wunderground.url, sizeof(c->wunderground.url),
		 "https://weatherstation.wunderground.com/weatherstation/updateweatherstation.php");
	snprintf(c->wunderground.key_file, sizeof(c->wunderground.key_file), "/etc/wxd/wunderground.key");
	c->wunderground.backfill_days = 7;
	snprintf(c->pwsweather.url, sizeof(c->pwsweather.url),
		 "https://pwsupdate.pwsweather.com/api/v1/submitwx");
	snprintf(c->pwsweather.key_file, sizeof(c->pwsweather.key_file), "/etc/wxd/pwsweather.key");
	c->pwsweather.backfill_days = 7;
	snprintf(c->wow.url, sizeof(c->wow.url), "https://wow.metoffice.gov.uk/automaticreading");
	snprintf(c->wow.key_file, sizeof(c->wow.key_file), "/etc/wxd/wow.key");
	c->wow.backfill_days = 7;
	snprintf(c->windy.url, sizeof(c->windy.url),
		 "https://stations.windy.com/api/v2/observation/update");
	snprintf(c->windy.password_file, sizeof(c->windy.password_file), "/etc/wxd/windy.key");
	snprintf(c->cwop.server, sizeof(c->cwop.server), "cwop.aprs.net:14580");

	c->sim.seed = 1;
	c->sim.bounce = true;
}

/* The original Oracle Weather Station HAT (hardware/oracle-hat.md): the
 * vane on channel 0 of the MCP3427 at 0x69 as the lower leg of a 75k
 * divider from 3.268 V, the anemometer on BCM 5 and the rain gauge on BCM
 * 6, as the kit's shipped software (branches stretch and jessie:
 * wind_direction.json, interrupt_daemon.py) has them.  17/27 and 3.3 V/100k
 * were the prototype board's. */
static void defaults_oracle_hat(struct wx_config *c)
{
	c->station.air_temperature = WX_AIR_TEMP_HTU21D;
	c->windvane.adc = WX_VANE_ADC_MCP3427;
	c->windvane.channel = 0;
	c->windvane.vin = 3.268;
	c->windvane.divider_ohm = 75000;
	c->anemometer.line = 5;
	c->rain.line = 6;
}

void wx_config_defaults(struct wx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	defaults_byo(cfg);
}

struct entry {
	char section[32];
	char key[48];
	char *value;
	int line;
};

/* ---- messages ------------------------------------------------------------ */

/* Every problem is kept with its line and written out in line order at the
 * end, so that one mistake (an unknown section) never hides the others. */
#define MAX_MESSAGES 100

struct message {
	int line;
	char text[400];
};

struct parse {
	const char *name;	/* file name for messages */
	FILE *f;		/* file, or NULL when parsing text */
	const char *text, *end;	/* text, advanced as it is read */
	unsigned checks;	/* WX_CONFIG_CHECK_* */
	int line;
	char section[32];
	int section_line[N_SECTIONS];	/* line of the header, 0 = absent */
	struct entry *entries;
	size_t n, cap;
	struct message *msgs;
	size_t nmsgs;
	int nerr;
};

static void WX_PRINTF(3, 4) fail(struct parse *p, int line, const char *fmt, ...)
{
	struct message *m;
	va_list ap;

	p->nerr++;
	if (!p->msgs)
		p->msgs = calloc(MAX_MESSAGES, sizeof(*p->msgs));
	if (!p->msgs || p->nmsgs == MAX_MESSAGES)
		return;
	m = &p->msgs[p->nmsgs++];
	m->line = line;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

static bool reported_at(const struct parse *p, int line)
{
	for (size_t i = 0; i < p->nmsgs; i++)
		if (p->msgs[i].line == line)
			return true;
	return false;
}

/* Write the messages in line order (stable), one "file:line: message" per
 * line, cut to errlen. */
static void write_messages(struct parse *p, char *err, size_t errlen)
{
	size_t used = 0;
	int n;

	for (size_t i = 1; i < p->nmsgs; i++)
		for (size_t j = i; j > 0 && p->msgs[j - 1].line > p->msgs[j].line; j--) {
			struct message t = p->msgs[j];

			p->msgs[j] = p->msgs[j - 1];
			p->msgs[j - 1] = t;
		}
	if (!err || !errlen)
		return;
	err[0] = '\0';
	for (size_t i = 0; i <= p->nmsgs && used < errlen - 1; i++) {
		if (i < p->nmsgs)
			n = snprintf(err + used, errlen - used, "%s%s:%d: %s", used ? "\n" : "",
				     p->name, p->msgs[i].line, p->msgs[i].text);
		else if (p->nerr > (int)p->nmsgs)
			n = snprintf(err + used, errlen - used, "\n%s: %d more errors not shown",
				     p->name, p->nerr - (int)p->nmsgs);
		else
			break;
		if (n < 0)
			break;
		used += (size_t)n < errlen - used ? (size_t)n : errlen - used - 1;
	}
	if (p->nerr && !p->msgs)
		snprintf(err, errlen, "%s: out of memory", p->name);
}

/* ---- nearest names ------------------------------------------------------ */

/* Edit distance, ignoring case, for "did you mean" (names are short). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], diag, up;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best;

			up = row[j];
			best = diag + (tolower((unsigned char)a[i - 1]) !=
				       tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Close enough to be a typo: a letter or two wrong, or a known name cut short
 * or run on ("debounce" for "debounce_ms"). */
static bool near(const char *typed, const char *known)
{
	size_t lt = strlen(typed), lk = strlen(known);
	size_t d = distance(typed, known);

	if (d <= (lk < 6 ? 1 : 2))
		return true;
	return lt >= 4 && lk >= 4 &&
	       strncasecmp(typed, known, lt < lk ? lt : lk) == 0;
}

static const char *nearest_section(const char *name)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX;

	for (size_t i = 0; i < N_SECTIONS; i++) {
		size_t d = distance(name, sections[i].name);

		if (near(name, sections[i].name) && d < bd) {
			best = sections[i].name;
			bd = d;
		}
	}
	return best;
}

static const char *nearest_key(const char *section, const char *name)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX;

	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		size_t d;

		if (strcmp(schema[i].section, section) != 0)
			continue;
		d = distance(name, schema[i].name);
		if (near(name, schema[i].name) && d < bd) {
			best = schema[i].name;
			bd = d;
		}
	}
	return best;
}

/* ---- pass 1: collect ---------------------------------------------------- */

static int section_index(const char *name)
{
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Notice "[name]" header lines as they are read: inih reports keys only.
 * Also say which lines inih will refuse, so that every such line is
 * reported (inih itself returns the first only). */
static void note_line(struct parse *p, const char *line)
{
	const char *s = line, *e;
	char name[64];
	int i;

	if (p->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;		/* a UTF-8 BOM, which inih skips too */
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s != '[') {
		if (!strpbrk(s, "=:"))
			fail(p, p->line, "not a \"key = value\" line or a [section] header");
		return;
	}
	e = strchr(s, ']');
	if (!e) {
		fail(p, p->line, "not a \"key = value\" line or a [section] header");
		return;
	}
	if ((size_t)(e - s - 1) >= sizeof(name)) {
		fail(p, p->line, "unknown section [%.40s...]", s + 1);
		return;
	}
	memcpy(name, s + 1, (size_t)(e - s - 1));
	name[e - s - 1] = '\0';
	i = section_index(name);
	if (i < 0) {
		const char *near_name = nearest_section(name);

		if (near_name)
			fail(p, p->line, "unknown section [%s] (did you mean [%s]?)", name, near_name);
		else
			fail(p, p->line, "unknown section [%s]", name);
	} else if (p->section_line[i]) {
		fail(p, p->line, "section [%s] appears twice (first on line %d)", name,
		     p->section_line[i]);
	} else {
		p->section_line[i] = p->line;
	}
}

/* Skip the rest of an overlong line so it is not read as another. */
static void skip_rest(struct parse *p)
{
	int c;

	if (p->f) {
		while ((c = getc(p->f)) != EOF && c != '\n')
			;
	} else {
		const char *nl = memchr(p->text, '\n', (size_t)(p->end - p->text));

		p->text = nl ? nl + 1 : p->end;
	}
}

/* inih's reader.  Lines are read by length, not as C strings, so that a NUL
 * byte is seen (and refused) rather than silently ending the line there. */
static char *next_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	size_t len = 0;

	if (p->f) {
		int c = 0;

		while (len < (size_t)size - 1 && (c = getc(p->f)) != EOF) {
			buf[len++] = (char)c;
			if (c == '\n')
				break;
		}
		if (len == 0)
			return NULL;
	} else {
		const char *nl;

		if (p->text >= p->end)
			return NULL;
		nl = memchr(p->text, '\n', (size_t)(p->end - p->text));
		len = nl ? (size_t)(nl - p->text + 1) : (size_t)(p->end - p->text);
		if (len > (size_t)size - 1)
			len = (size_t)size - 1;
		memcpy(buf, p->text, len);
		p->text += len;
	}
	buf[len] = '\0';
	p->line++;
	if (len == (size_t)size - 1 && buf[len - 1] != '\n') {
		fail(p, p->line, "line longer than %d characters", size - 3);
		skip_rest(p);
		buf[0] = '\0';
		return buf;
	}
	if (memchr(buf, '\0', len)) {
		fail(p, p->line, "a NUL byte in the line (a configuration file is text: "
		     "was it saved by a word processor?)");
		buf[0] = '\0';
		return buf;
	}
	note_line(p, buf);
	return buf;
}

static int collect(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct entry *e;

	if (!*section) {
		fail(p, p->line, "\"%s\" is outside any [section]", key);
		return 1;
	}
	if (section_index(section) < 0)
		return 1;	/* reported at its header */
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct entry *ne = realloc(p->entries, cap * sizeof(*ne));

		if (!ne)
			return 0;
		p->entries = ne;
		p->cap = cap;
	}
	e = &p->entries[p->n];
	if (strlen(section) >= sizeof(e->section) || strlen(key) >= sizeof(e->key)) {
		fail(p, p->line, "[%s] unknown key \"%.40s\"", section, key);
		return 1;
	}
	snprintf(e->section, sizeof(e->section), "%s", section);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->value = strdup(value ? value : "");
	if (!e->value)
		return 0;
	e->line = p->line;
	p->n++;
	return 1;
}

/* ---- pass 2: apply ------------------------------------------------------ */

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (strcmp(schema[i].section, section) == 0 && strcmp(schema[i].name, name) == 0)
			return &schema[i];
	return NULL;
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 && isfinite(*out);
}

static bool parse_long(const char *s, int base, long *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtol(s, &end, base);
	return *end == '\0' && errno == 0;
}

static bool valid_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static bool valid_topic(const char *s)
{
	if (!*s || *s == '/' || s[strlen(s) - 1] == '/')
		return false;
	for (; *s; s++)
		if (*s == '+' || *s == '#' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* APRS-IS login names: 3 to 6 capital letters and digits with at least
 * one digit (CWOP ids EW1234, CW0003, ham calls K1ABC), then an optional
 * -SSID of 1 to 2 characters. */
static bool valid_callsign(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	const char *ssid = s + n;

	if (n < 3 || n > 6 || strcspn(s, "0123456789") >= n)
		return false;
	if (!*ssid)
		return true;
	if (*ssid != '-')
		return false;
	n = strspn(ssid + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	return n >= 1 && n <= 2 && !ssid[1 + n];
}

static bool valid_url(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* [web] listen: "ADDRESS:PORT" with a numeric IPv4 address, or
 * "[ADDRESS]:PORT" for IPv6; port 1..65535.  Host names are refused: the
 * page must not wait for DNS at boot. */
static bool parse_listen(const char *s, struct wx_config_web *w)
{
	const char *colon, *h = s;
	size_t hl;
	unsigned char buf[16];
	char host[WX_NAME_LEN], *end;
	long port;
	bool v6 = *s == '[';

	if (v6) {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return false;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 1 || port > 65535)
		return false;
	memcpy(w->listen_host, host, hl + 1);
	w->listen_port = (int)port;
	return true;
}

static void apply_range(struct parse *p, const struct entry *e, const struct key *k,
			double v, bool *ok)
{
	if (v < k->min || v > k->max) {
		if (k->type == T_ADDR)
			fail(p, e->line, "[%s] %s: \"%s\" is out of range (0x%02x to 0x%02x)",
			     e->section, e->key, e->value, (unsigned)k->min, (unsigned)k->max);
		else
			fail(p, e->line, "[%s] %s: \"%s\" is out of range (%g to %g)",
			     e->section, e->key, e->value, k->min, k->max);
		*ok = false;
	}
}

static void apply(struct parse *p, struct wx_config *cfg, const struct entry *e)
{
	const struct key *k = find_key(e->section, e->key);
	void *dst;
	bool ok = true;
	double d;
	long l;

	if (!k) {
		const char *near_key = nearest_key(e->section, e->key);

		if (near_key)
			fail(p, e->line, "[%s] unknown key \"%s\" (did you mean %s?)", e->section,
			     e->key, near_key);
		else
			fail(p, e->line, "[%s] unknown key \"%s\"", e->section, e->key);
		return;
	}
	dst = field(cfg, k->off);
	switch (k->type) {
	case T_STR:
	case T_SECRET:
	case T_STATION_ID:
	case T_TOPIC:
	case T_URL:
	case T_CALLSIGN:
		if (strlen(e->value) >= k->size) {
			fail(p, e->line, "[%s] %s: value longer than %zu characters", e->section,
			     e->key, k->size - 1);
			return;
		}
		if (k->type == T_STATION_ID && !valid_id(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" must be letters, digits, '-' or '_' "
			     "(it is used in topics and ids)", e->section, e->key, e->value);
			return;
		}
		if (k->type == T_TOPIC && *e->value && !valid_topic(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not a topic prefix (no '+', '#', "
			     "leading or trailing '/')", e->section, e->key, e->value);
			return;
		}
		if (k->type == T_CALLSIGN && !valid_callsign(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not a callsign (a CWOP id like EW1234, "
			     "or a ham callsign with an optional -SSID like K1ABC-13)",
			     e->section, e->key, e->value);
			return;
		}
		if (k->type == T_URL && !valid_url(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not an http:// or https:// URL",
			     e->section, e->key, e->value);
			return;
		}
		memcpy(dst, e->value, strlen(e->value) + 1);
		return;
	case T_INT:
	case T_ADDR:
		if (!parse_long(e->value, k->type == T_ADDR ? 0 : 10, &l)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not %s", e->section, e->key, e->value,
			     k->type == T_ADDR ? "an address (like 0x76)" : "a whole number");
			return;
		}
		apply_range(p, e, k, (double)l, &ok);
		if (!ok)
			return;
		if (k->off == OFF(sim.seed))
			*(long *)dst = l;
		else
			*(int *)dst = (int)l;
		return;
	case T_DOUBLE:
	case T_OPT_DOUBLE:
		if (k->type == T_OPT_DOUBLE && !*e->value) {
			*(bool *)field(cfg, k->has_off) = false;
			return;
		}
		if (!parse_double(e->value, &d)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not a number", e->section, e->key,
			     e->value);
			return;
		}
		apply_range(p, e, k, d, &ok);
		if (!ok)
			return;
		*(double *)dst = d;
		if (k->type == T_OPT_DOUBLE)
			*(bool *)field(cfg, k->has_off) = true;
		return;
	case T_BOOL:
		if (!strcmp(e->value, "true") || !strcmp(e->value, "yes") || !strcmp(e->value, "on") ||
		    !strcmp(e->value, "1"))
			*(bool *)dst = true;
		else if (!strcmp(e->value, "false") || !strcmp(e->value, "no") ||
			 !strcmp(e->value, "off") || !strcmp(e->value, "0"))
			*(bool *)dst = false;
		else
			fail(p, e->line, "[%s] %s: \"%s\" is not true or false", e->section, e->key,
			     e->value);
		return;
	case T_UNITS:
		if (!strcmp(e->value, "metric"))
			cfg->station.units = WX_UNITS_METRIC;
		else if (!strcmp(e->value, "us"))
			cfg->station.units = WX_UNITS_US;
		else
			fail(p, e->line, "[%s] %s: \"%s\" is not metric or us", e->section, e->key,
			     e->value);
		return;
	case T_AIR_TEMP:
		if (!strcmp(e->value, "htu21d"))
			cfg->station.air_temperature = WX_AIR_TEMP_HTU21D;
		else if (!strcmp(e->value, "bmp180"))
			cfg->station.air_temperature = WX_AIR_TEMP_BMP180;
		else if (!strcmp(e->value, "bme280"))
			cfg->station.air_temperature = WX_AIR_TEMP_BME280;
		else
			fail(p, e->line, "[%s] %s: \"%s\" is not htu21d, bmp180 or bme280",
			     e->section, e->key, e->value);
		return;
	case T_VANE_ADC:
		if (!strcmp(e->value, "mcp3008"))
			cfg->windvane.adc = WX_VANE_ADC_MCP3008;
		else if (!strcmp(e->value, "mcp3427"))
			cfg->windvane.adc = WX_VANE_ADC_MCP3427;
		else
			fail(p, e->line, "[%s] %s: \"%s\" is not mcp3008 or mcp3427", e->section,
			     e->key, e->value);
		return;
	case T_LISTEN:
		if (strlen(e->value) >= k->size || !parse_listen(e->value, &cfg->web)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not ADDRESS:PORT (like 0.0.0.0:8080, "
			     "[::]:8080 or 127.0.0.1:8080)", e->section, e->key, e->value);
			return;
		}
		memcpy(dst, e->value, strlen(e->value) + 1);
		return;
	case T_PROFILE:
		/* Read before the other keys (see wx_config_parse); checked here. */
		if (strcmp(e->value, "byo") != 0 && strcmp(e->value, "oracle-hat") != 0)
			fail(p, e->line, "[%s] %s: \"%s\" is not byo or oracle-hat", e->section,
			     e->key, e->value);
		return;
	}
}

static void check_duplicates(struct parse *p)
{
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->entries[i].section, p->entries[j].section) &&
			    !strcmp(p->entries[i].key, p->entries[j].key)) {
				fail(p, p->entries[i].line, "[%s] %s is set twice (first on line %d)",
				     p->entries[i].section, p->entries[i].key, p->entries[j].line);
				break;
			}
}

/* The MCP3427 has two inputs, the MCP3008 eight: [windvane] channel's
 * range depends on adc, wherever the two keys appear. */
static void check_vane_channel(struct parse *p, const struct wx_config *cfg)
{
	if (cfg->windvane.adc != WX_VANE_ADC_MCP3427 || cfg->windvane.channel <= 1)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->entries[i].section, "windvane") &&
		    !strcmp(p->entries[i].key, "channel"))
			fail(p, p->entries[i].line, "[windvane] channel: \"%s\" is out of range "
			     "for adc = mcp3427 (0 to 1)", p->entries[i].value);
}

/* The line that set section's key, or else its section header's, or 0. */
static int line_of(const struct parse *p, const char *section, const char *key)
{
	int i = section_index(section);

	for (size_t j = p->n; j-- > 0;)
		if (!strcmp(p->entries[j].section, section) && !strcmp(p->entries[j].key, key))
			return p->entries[j].line;
	return i >= 0 ? p->section_line[i] : 0;
}

/* wxd replaces whatever is at the socket path with its socket: the database
 * there would be lost (live.c refuses too, but only once running).  And a
 * Unix socket's path must fit sockaddr_un's sun_path. */
static void check_socket(struct parse *p, const struct wx_config *cfg)
{
	const char *sock = cfg->station.socket, *db = cfg->station.database;
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	int ls = line_of(p, "station", "socket"), ld = line_of(p, "station", "database");
	struct stat a, b;

	if (strlen(sock) > max)
		fail(p, ls, "[station] socket: \"%s\" is longer than %zu characters, the most "
		     "a Unix socket path can have", sock, max);
	if (!strcmp(sock, db) ||
	    (stat(sock, &a) == 0 && stat(db, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
		fail(p, ls > ld ? ls : ld, "[station] socket and database are the same file "
		     "(%s): wxd would replace the archive with its socket; give them different paths",
		     sock);
}

/* Each secret file of an enabled section: there (and with
 * WX_CONFIG_CHECK_SECRETS_READ, readable by us and not empty), so that wxd
 * stops at start with 78 rather than failing in an uploader later. */
static void check_secrets(struct parse *p, const struct wx_config *cfg)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		const struct key *k = &schema[i];
		const char *path = (const char *)field((struct wx_config *)cfg, k->off);
		int si = section_index(k->section);
		char secret[256], err[WX_PATH_LEN + 64];
		struct stat st;

		if (k->type != T_SECRET || !*path || si < 0 || !sections[si].enabled_off ||
		    !*(const bool *)field((struct wx_config *)cfg, sections[si].enabled_off))
			continue;
		if (p->checks & WX_CONFIG_CHECK_SECRETS_READ) {
			int rc = wx_config_read_secret(path, secret, sizeof(secret), err, sizeof(err));

			if (rc < 0)
				fail(p, line_of(p, k->section, k->name), "[%s] %s: %s%s", k->section,
				     k->name, err, rc == -EACCES ? " (make it group wxd, mode 640)" : "");
			explicit_bzero(secret, sizeof(secret));
		} else if (stat(path, &st) < 0 && errno == ENOENT) {
			fail(p, line_of(p, k->section, k->name), "[%s] %s: %s: no such file",
			     k->section, k->name, path);
		}
	}
}

static void finish(struct parse *p, struct wx_config *cfg)
{
	/* Presence enables; an explicit enabled = false wins (applied later). */
	for (size_t i = 0; i < N_SECTIONS; i++) {
		if (!p->section_line[i])
			continue;
		if (sections[i].enabled_off)
			*(bool *)field(cfg, sections[i].enabled_off) = true;
		if (sections[i].sensor)
			cfg->any_sensor_section = true;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->entries[i].key, "profile") == 0 &&
		    strcmp(p->entries[i].section, "station") == 0 &&
		    strcmp(p->entries[i].value, "oracle-hat") == 0) {
			cfg->station.profile = WX_PROFILE_ORACLE_HAT;
			defaults_oracle_hat(cfg);
		}
	check_duplicates(p);
	for (size_t i = 0; i < p->n; i++)
		apply(p, cfg, &p->entries[i]);
	check_vane_channel(p, cfg);
	check_socket(p, cfg);
	if (p->checks & WX_CONFIG_CHECK_SECRETS)
		check_secrets(p, cfg);
	if (cfg->mqtt.enabled && cfg->mqtt.tls && cfg->mqtt.port == 1883)
		wx_log_debug("%s: [mqtt] tls = true on port 1883 (TLS brokers usually listen on 8883)",
			     p->name);
}

static int run(struct wx_config *cfg, struct parse *p, char *err, size_t errlen)
{
	int rc;

	wx_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", p->name);
	ini_allow_multiline = false;
	rc = ini_parse_stream(next_line, p, collect, p);
	if (rc > 0 && !reported_at(p, rc))
		fail(p, rc, "not a \"key = value\" line or a [section] header");
	else if (rc < 0)
		fail(p, p->line, "out of memory");
	/* Go on after errors: every problem of the file is reported at once. */
	finish(p, cfg);
	write_messages(p, err, errlen);
	for (size_t i = 0; i < p->n; i++)
		free(p->entries[i].value);
	free(p->entries);
	free(p->msgs);
	return p->nerr ? -1 : 0;
}

int wx_config_load_checked(struct wx_config *cfg, const char *path, unsigned checks,
			   char *err, size_t errlen)
{
	struct parse p = { .name = path, .checks = checks };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	p.f = fopen(path, "r");
	if (!p.f) {
		int e = errno;

		wx_config_defaults(cfg);
		if (err)
			snprintf(err, errlen, "%s: cannot open: %s%s", path, strerror(e),
				 e == ENOENT ? " (copy the example config there, or give -c FILE)" : "");
		return -1;
	}
	rc = run(cfg, &p, err, errlen);
	fclose(p.f);
	return rc;
}

int wx_config_load(struct wx_config *cfg, const char *path, char *err, size_t errlen)
{
	return wx_config_load_checked(cfg, path, 0, err, errlen);
}

int wx_config_load_mem(struct wx_config *cfg, const char *name, const char *data, size_t len,
		       char *err, size_t errlen)
{
	struct parse p = { .name = name, .text = data, .end = data + len };

	if (err && errlen)
		err[0] = '\0';
	return run(cfg, &p, err, errlen);
}

int wx_config_load_string(struct wx_config *cfg, const char *name, const char *text,
			  char *err, size_t errlen)
{
	return wx_config_load_mem(cfg, name, text, strlen(text), err, errlen);
}

bool wx_config_schema_key(size_t i, const char **section, const char **key)
{
	if (i >= sizeof(schema) / sizeof(schema[0]))
		return false;
	*section = schema[i].section;
	*key = schema[i].name;
	return true;
}

bool wx_config_network_wanted(const struct wx_config *cfg)
{
	/* Every row of uploader/uploaders.c's table, and the web page. */
	return cfg->mqtt.enabled || cfg->initialstate.enabled || cfg->wunderground.enabled ||
	       cfg->pwsweather.enabled || cfg->wow.enabled || cfg->windy.enabled ||
	       cfg->cwop.enabled || cfg->web.enabled;
}

void wx_config_enable_all_sensors(struct wx_config *cfg)
{
	unsigned build = 1u << cfg->station.profile;

	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i].sensor && (sections[i].builds & build))
			*(bool *)field(cfg, sections[i].enabled_off) = true;
}

int wx_config_read_secret(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot read secret: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		wx_log_warnx("%s: secret file is readable by everyone (chmod 640 %s)", path, path);
	if (!fgets(out, (int)outlen, f)) {
		int e = ferror(f) ? errno : 0;

		fclose(f);
		if (e) {	/* a directory, an I/O error */
			snprintf(err, errlen, "%s: cannot read secret: %s", path, strerror(e));
			return -e;
		}
		snprintf(err, errlen, "%s: secret file is empty", path);
		return -ENODATA;
	}
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: secret file is empty", path);
		return -ENODATA;
	}
	return 0;
}
