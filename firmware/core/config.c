/* The configuration loader.
 *
 * inih splits the file into (section, key, value); our line reader counts
 * lines and notices section headers, so that every message can say
 * "file:line:", and an empty section ("[bme280]" alone enables the sensor)
 * still counts as present.  Entries are collected first and applied second,
 * because [station] profile changes the defaults of the other sections
 * wherever it appears in the file.  Every section is a table of keys
 * (struct wx_config_section) saying each key's type, range and where it is
 * stored: [station], the uploaders' and [sim] here, each sensor's in its
 * driver's file, reached through wx_config_sensor_section() (the driver
 * table), so that nothing here names a sensor. */
#include "firmware/core/config.h"

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

#include "firmware/core/log.h"

/* The sections config.c itself keeps: offsets into struct wx_config.
 * WX_CFG_SECRET: a *_file key naming a file whose first line is a secret;
 * with WX_CONFIG_CHECK_SECRETS the file must be there (and readable). */
#define OFF(f) offsetof(struct wx_config, f)
#define STR(k, f)          WX_CONFIG_STR(struct wx_config, k, WX_CFG_STR, f)
#define TYPED(k, t, f)     WX_CONFIG_STR(struct wx_config, k, t, f)
#define NUM(k, t, f, lo, hi) WX_CONFIG_NUM(struct wx_config, k, t, f, lo, hi)
#define OPT(k, f, has, lo, hi) WX_CONFIG_OPT(struct wx_config, k, f, has, lo, hi)

static const struct wx_config_key station_keys[] = {
	TYPED("id", WX_CFG_STATION_ID, station.id),
	NUM("altitude_m", WX_CFG_DOUBLE, station.altitude_m, -500, 9000),
	NUM("interval_s", WX_CFG_INT, station.interval_s, 10, 3600),
	STR("database", station.database),
	STR("socket", station.socket),
	TYPED("units", WX_CFG_UNITS, station.units),
	TYPED("profile", WX_CFG_PROFILE, station.profile),
	TYPED("air_temperature", WX_CFG_AIR_TEMP, station.air_temperature),
};

static const struct wx_config_key mqtt_keys[] = {
	NUM("enabled", WX_CFG_BOOL, mqtt.enabled, 0, 0),
	STR("host", mqtt.host),
	NUM("port", WX_CFG_INT, mqtt.port, 1, 65535),
	NUM("tls", WX_CFG_BOOL, mqtt.tls, 0, 0),
	STR("ca_file", mqtt.ca_file),
	STR("username", mqtt.username),
	TYPED("password_file", WX_CFG_SECRET, mqtt.password_file),
	TYPED("topic", WX_CFG_TOPIC, mqtt.topic),
	NUM("qos", WX_CFG_INT, mqtt.qos, 0, 2),
	NUM("ha_discovery", WX_CFG_BOOL, mqtt.ha_discovery, 0, 0),
	TYPED("ha_prefix", WX_CFG_TOPIC, mqtt.ha_prefix),
};

static const struct wx_config_key initialstate_keys[] = {
	NUM("enabled", WX_CFG_BOOL, initialstate.enabled, 0, 0),
	TYPED("url", WX_CFG_URL, initialstate.url),
	TYPED("access_key_file", WX_CFG_SECRET, initialstate.access_key_file),
	STR("bucket_key", initialstate.bucket_key),
	NUM("events_per_request", WX_CFG_INT, initialstate.events_per_request, 1, 100),
	NUM("requests_per_min", WX_CFG_INT, initialstate.requests_per_min, 1, 6000),
};

static const struct wx_config_key web_keys[] = {
	NUM("enabled", WX_CFG_BOOL, web.enabled, 0, 0),
	TYPED("listen", WX_CFG_LISTEN, web.listen),
};

static const struct wx_config_key wunderground_keys[] = {
	NUM("enabled", WX_CFG_BOOL, wunderground.enabled, 0, 0),
	TYPED("url", WX_CFG_URL, wunderground.url),
	STR("station_id", wunderground.station_id),
	TYPED("password_file", WX_CFG_SECRET, wunderground.key_file),
	NUM("backfill_days", WX_CFG_INT, wunderground.backfill_days, 0, 365),
};

static const struct wx_config_key pwsweather_keys[] = {
	NUM("enabled", WX_CFG_BOOL, pwsweather.enabled, 0, 0),
	TYPED("url", WX_CFG_URL, pwsweather.url),
	STR("station_id", pwsweather.station_id),
	TYPED("key_file", WX_CFG_SECRET, pwsweather.key_file),
	NUM("backfill_days", WX_CFG_INT, pwsweather.backfill_days, 0, 365),
};

static const struct wx_config_key wow_keys[] = {
	NUM("enabled", WX_CFG_BOOL, wow.enabled, 0, 0),
	TYPED("url", WX_CFG_URL, wow.url),
	STR("site_id", wow.site_id),
	TYPED("key_file", WX_CFG_SECRET, wow.key_file),
	NUM("backfill_days", WX_CFG_INT, wow.backfill_days, 0, 365),
};

static const struct wx_config_key windy_keys[] = {
	NUM("enabled", WX_CFG_BOOL, windy.enabled, 0, 0),
	TYPED("url", WX_CFG_URL, windy.url),
	STR("station_id", windy.station_id),
	TYPED("password_file", WX_CFG_SECRET, windy.password_file),
};

static const struct wx_config_key cwop_keys[] = {
	NUM("enabled", WX_CFG_BOOL, cwop.enabled, 0, 0),
	STR("server", cwop.server),
	TYPED("callsign", WX_CFG_CALLSIGN, cwop.callsign),
	NUM("latitude", WX_CFG_DOUBLE, cwop.latitude, -90, 90),
	NUM("longitude", WX_CFG_DOUBLE, cwop.longitude, -180, 180),
};

static const struct wx_config_key sim_keys[] = {
	NUM("seed", WX_CFG_INT, sim.seed, 0, 2147483647),
	OPT("wind_kmh", sim.wind_kmh, sim.has_wind_kmh, 0, 250),
	OPT("rain_mm_h", sim.rain_mm_h, sim.has_rain_mm_h, 0, 300),
	NUM("bounce", WX_CFG_BOOL, sim.bounce, 0, 0),
};

#define NO_ENABLED SIZE_MAX
#define CORE(n, enabled) \
	{ #n, { 0, enabled, n##_keys, sizeof(n##_keys) / sizeof(n##_keys[0]), NULL, NULL } }

/* [station] first, then the sensors (the driver table's), then these. */
static const struct core_section {
	const char *name;
	struct wx_config_section sec;
} core[] = {
	CORE(station, NO_ENABLED),
	CORE(mqtt, OFF(mqtt.enabled)),
	CORE(initialstate, OFF(initialstate.enabled)),
	CORE(web, OFF(web.enabled)),
	CORE(wunderground, OFF(wunderground.enabled)),
	CORE(pwsweather, OFF(pwsweather.enabled)),
	CORE(wow, OFF(wow.enabled)),
	CORE(windy, OFF(windy.enabled)),
	CORE(cwop, OFF(cwop.enabled)),
	CORE(sim, NO_ENABLED),
};
#define N_CORE (sizeof(core) / sizeof(core[0]))
#define MAX_SECTIONS (N_CORE + WX_CONFIG_SENSORS)

/* A section as the parser sees it. */
struct sect {
	const char *name;
	const struct wx_config_section *sec;
	int slot;		/* a sensor's storage, or -1: struct wx_config */
	unsigned kits;		/* sensors: WX_KIT_* */
};

/* How many sensor sections the driver table has. */
static size_t n_sensors(void)
{
	const char *name;
	unsigned kits;
	size_t n = 0;

	while (n < WX_CONFIG_SENSORS && wx_config_sensor_section(n, &name, &kits))
		n++;
	return n;
}

/* The i-th section: [station], the sensors, the rest of core[]. */
static bool sect_at(size_t i, struct sect *s)
{
	const struct wx_config_section *sec;

	if (i == 0) {
		*s = (struct sect){ core[0].name, &core[0].sec, -1, 0 };
		return true;
	}
	if (i - 1 < WX_CONFIG_SENSORS &&
	    (sec = wx_config_sensor_section(i - 1, &s->name, &s->kits)) != NULL) {
		s->sec = sec;
		s->slot = (int)(i - 1);
		return true;
	}
	i -= n_sensors();
	if (i >= N_CORE)
		return false;
	*s = (struct sect){ core[i].name, &core[i].sec, -1, 0 };
	return true;
}

static int section_index(const char *name, struct sect *s);

/* Where section s's struct is in cfg. */
static char *base_of(const struct wx_config *cfg, const struct sect *s)
{
	return s->slot >= 0 ? (char *)cfg->sensor[s->slot].data : (char *)cfg;
}

static void defaults_byo(struct wx_config *c)
{
	snprintf(c->station.id, sizeof(c->station.id), "station");
	c->station.interval_s = 60;
	snprintf(c->station.database, sizeof(c->station.database), "/var/lib/wxd/wx.db");
	snprintf(c->station.socket, sizeof(c->station.socket), "/run/wxd/wxd.sock");

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

/* The sensors' defaults of profile (BYO over zeroes, or the HAT's changes):
 * each driver's. */
static void sensor_defaults(struct wx_config *c, enum wx_profile profile)
{
	struct sect s;

	for (size_t i = 1; sect_at(i, &s) && s.slot >= 0; i++)
		if (s.sec->defaults)
			s.sec->defaults(c->sensor[s.slot].data, profile);
}

/* The Oracle Weather Station HAT (hardware/oracle-hat.md): the HTU21D
 * gives the air temperature, and each sensor's driver has its changes. */
static void defaults_oracle_hat(struct wx_config *c)
{
	c->station.air_temperature = WX_AIR_TEMP_HTU21D;
	sensor_defaults(c, WX_PROFILE_ORACLE_HAT);
}

void wx_config_defaults(struct wx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	defaults_byo(cfg);
	sensor_defaults(cfg, WX_PROFILE_BYO);
}

void *wx_config_section_data(const struct wx_config *cfg, const struct wx_config_section *sec)
{
	const char *name;
	unsigned kits;
	const struct wx_config_section *t;

	for (size_t i = 0; i < WX_CONFIG_SENSORS && (t = wx_config_sensor_section(i, &name, &kits));
	     i++)
		if (t == sec)
			return (void *)cfg->sensor[i].data;
	return NULL;
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
	int section_line[MAX_SECTIONS];	/* line of the header, 0 = absent */
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

	struct sect s;

	for (size_t i = 0; sect_at(i, &s); i++) {
		size_t d = distance(name, s.name);

		if (near(name, s.name) && d < bd) {
			best = s.name;
			bd = d;
		}
	}
	return best;
}

static const char *nearest_key(const char *section, const char *name)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX;

	struct sect s;

	if (section_index(section, &s) < 0)
		return NULL;
	for (size_t i = 0; i < s.sec->nkeys; i++) {
		const struct wx_config_key *k = &s.sec->keys[i];
		size_t d = distance(name, k->name);

		if (near(name, k->name) && d < bd) {
			best = k->name;
			bd = d;
		}
	}
	return best;
}

/* ---- pass 1: collect ---------------------------------------------------- */

/* The index of section name, its description in *s; or -1. */
static int section_index(const char *name, struct sect *s)
{
	for (size_t i = 0; sect_at(i, s); i++)
		if (strcmp(s->name, name) == 0)
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
	struct sect sec;
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
	i = section_index(name, &sec);
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
	struct sect s;

	if (!*section) {
		fail(p, p->line, "\"%s\" is outside any [section]", key);
		return 1;
	}
	if (section_index(section, &s) < 0)
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

/* Section's key name, its section in *s; or NULL. */
static const struct wx_config_key *find_key(const char *section, const char *name,
					   struct sect *s)
{
	if (section_index(section, s) < 0)
		return NULL;
	for (size_t i = 0; i < s->sec->nkeys; i++)
		if (strcmp(s->sec->keys[i].name, name) == 0)
			return &s->sec->keys[i];
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

static void apply_range(struct parse *p, const struct entry *e, const struct wx_config_key *k,
			double v, bool *ok)
{
	if (v < k->min || v > k->max) {
		if (k->type == WX_CFG_ADDR)
			fail(p, e->line, "[%s] %s: \"%s\" is out of range (0x%02x to 0x%02x)",
			     e->section, e->key, e->value, (unsigned)k->min, (unsigned)k->max);
		else
			fail(p, e->line, "[%s] %s: \"%s\" is out of range (%g to %g)",
			     e->section, e->key, e->value, k->min, k->max);
		*ok = false;
	}
}

/* WX_CFG_CHOICE: the index of the word in k->choices, into an int (an
 * enum); refused with "is not a, b or c". */
static void apply_choice(struct parse *p, const struct entry *e, const struct wx_config_key *k,
			 void *dst)
{
	char words[200];
	size_t n = 0, used = 0;

	for (n = 0; k->choices[n]; n++)
		if (!strcmp(e->value, k->choices[n])) {
			int v = (int)n;		/* an enum: an int's size here */

			memcpy(dst, &v, k->size < sizeof(v) ? k->size : sizeof(v));
			return;
		}
	words[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(words); i++)
		used += (size_t)snprintf(words + used, sizeof(words) - used, "%s%s",
					 i == 0 ? "" : i + 1 == n ? " or " : ", ", k->choices[i]);
	fail(p, e->line, "[%s] %s: \"%s\" is not %s", e->section, e->key, e->value, words);
}

static void apply(struct parse *p, struct wx_config *cfg, const struct entry *e)
{
	struct sect s;
	const struct wx_config_key *k = find_key(e->section, e->key, &s);
	char *base;
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
	base = base_of(cfg, &s);
	dst = base + k->off;
	switch (k->type) {
	case WX_CFG_STR:
	case WX_CFG_SECRET:
	case WX_CFG_STATION_ID:
	case WX_CFG_TOPIC:
	case WX_CFG_URL:
	case WX_CFG_CALLSIGN:
		if (strlen(e->value) >= k->size) {
			fail(p, e->line, "[%s] %s: value longer than %zu characters", e->section,
			     e->key, k->size - 1);
			return;
		}
		if (k->type == WX_CFG_STATION_ID && !valid_id(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" must be letters, digits, '-' or '_' "
			     "(it is used in topics and ids)", e->section, e->key, e->value);
			return;
		}
		if (k->type == WX_CFG_TOPIC && *e->value && !valid_topic(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not a topic prefix (no '+', '#', "
			     "leading or trailing '/')", e->section, e->key, e->value);
			return;
		}
		if (k->type == WX_CFG_CALLSIGN && !valid_callsign(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not a callsign (a CWOP id like EW1234, "
			     "or a ham callsign with an optional -SSID like K1ABC-13)",
			     e->section, e->key, e->value);
			return;
		}
		if (k->type == WX_CFG_URL && !valid_url(e->value)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not an http:// or https:// URL",
			     e->section, e->key, e->value);
			return;
		}
		memcpy(dst, e->value, strlen(e->value) + 1);
		return;
	case WX_CFG_INT:
	case WX_CFG_ADDR:
		if (!parse_long(e->value, k->type == WX_CFG_ADDR ? 0 : 10, &l)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not %s", e->section, e->key, e->value,
			     k->type == WX_CFG_ADDR ? "an address (like 0x76)" : "a whole number");
			return;
		}
		apply_range(p, e, k, (double)l, &ok);
		if (!ok)
			return;
		/* An int, or a long ([sim] seed); by size, so that a 32-bit
		 * build, where the two are alike, stores either right. */
		if (k->size == sizeof(int)) {
			int v = (int)l;

			memcpy(dst, &v, sizeof(v));
		} else if (k->size == sizeof(long)) {
			memcpy(dst, &l, sizeof(l));
		}
		return;
	case WX_CFG_DOUBLE:
	case WX_CFG_OPT_DOUBLE:
		if (k->type == WX_CFG_OPT_DOUBLE && !*e->value) {
			*(bool *)(void *)(base + k->has_off) = false;
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
		if (k->type == WX_CFG_OPT_DOUBLE)
			*(bool *)(void *)(base + k->has_off) = true;
		return;
	case WX_CFG_BOOL:
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
	case WX_CFG_UNITS:
		if (!strcmp(e->value, "metric"))
			cfg->station.units = WX_UNITS_METRIC;
		else if (!strcmp(e->value, "us"))
			cfg->station.units = WX_UNITS_US;
		else
			fail(p, e->line, "[%s] %s: \"%s\" is not metric or us", e->section, e->key,
			     e->value);
		return;
	case WX_CFG_AIR_TEMP:
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
	case WX_CFG_CHOICE:
		apply_choice(p, e, k, dst);
		return;
	case WX_CFG_LISTEN:
		if (strlen(e->value) >= k->size || !parse_listen(e->value, &cfg->web)) {
			fail(p, e->line, "[%s] %s: \"%s\" is not ADDRESS:PORT (like 0.0.0.0:8080, "
			     "[::]:8080 or 127.0.0.1:8080)", e->section, e->key, e->value);
			return;
		}
		memcpy(dst, e->value, strlen(e->value) + 1);
		return;
	case WX_CFG_PROFILE:
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

/* Each section's check across its keys (a driver's: the vane's channel
 * range depends on its adc), reported at every line setting the key. */
static void check_sections(struct parse *p, const struct wx_config *cfg)
{
	struct sect s;
	const char *key, *what;

	for (size_t i = 0; sect_at(i, &s); i++) {
		if (!s.sec->check || !(what = s.sec->check(base_of(cfg, &s), &key)))
			continue;
		for (size_t j = 0; j < p->n; j++)
			if (!strcmp(p->entries[j].section, s.name) && !strcmp(p->entries[j].key, key))
				fail(p, p->entries[j].line, "[%s] %s: \"%s\" %s", s.name, key,
				     p->entries[j].value, what);
	}
}

/* The line that set section's key, or else its section header's, or 0. */
static int line_of(const struct parse *p, const char *section, const char *key)
{
	struct sect s;
	int i = section_index(section, &s);

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

/* What names the station to each weather network: an enabled section
 * without it could never upload, so it stops wxd at start (78) rather than
 * showing up only in `wxctl status`. */
static const struct {
	const char *section, *key, *what;
	size_t enabled_off, value_off;
} needed[] = {
#define NEED(sec, k, what) { #sec, #k, what, offsetof(struct wx_config, sec.enabled), \
			     offsetof(struct wx_config, sec.k) }
	NEED(wunderground, station_id, "the station ID Weather Underground gave it (like KNJFAIRH12)"),
	NEED(pwsweather, station_id, "the station ID PWSweather gave it"),
	NEED(wow, site_id, "the site ID of the station on Met Office WOW"),
	NEED(windy, station_id, "the station ID Windy gave it"),
	NEED(cwop, callsign, "a CWOP id like EW1234, or a ham callsign"),
#undef NEED
};

static void check_needed(struct parse *p, const struct wx_config *cfg)
{
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		const char *base = (const char *)cfg;

		if (*(const bool *)(const void *)(base + needed[i].enabled_off) &&
		    !*(base + needed[i].value_off))
			fail(p, line_of(p, needed[i].section, needed[i].key),
			     "[%s] %s is not set: %s", needed[i].section, needed[i].key,
			     needed[i].what);
	}
}

/* Each secret file of an enabled section: there (and with
 * WX_CONFIG_CHECK_SECRETS_READ, readable by us and not empty), so that wxd
 * stops at start with 78 rather than failing in an uploader later. */
static void check_secrets(struct parse *p, const struct wx_config *cfg)
{
	struct sect s;

	for (size_t si = 0; sect_at(si, &s); si++) {
		const char *base = base_of(cfg, &s);

		if (s.sec->enabled_off == NO_ENABLED || !*(const bool *)(base + s.sec->enabled_off))
			continue;
		for (size_t i = 0; i < s.sec->nkeys; i++) {
			const struct wx_config_key *k = &s.sec->keys[i];
			const char *path = base + k->off;
			char secret[256], err[WX_PATH_LEN + 64];
			struct stat st;

			if (k->type != WX_CFG_SECRET || !*path)
				continue;
			if (p->checks & WX_CONFIG_CHECK_SECRETS_READ) {
				int rc = wx_config_read_secret(path, secret, sizeof(secret), err,
							       sizeof(err));

				if (rc < 0)
					fail(p, line_of(p, s.name, k->name), "[%s] %s: %s%s", s.name,
					     k->name, err,
					     rc == -EACCES ? " (make it group wxd, mode 640)" : "");
				explicit_bzero(secret, sizeof(secret));
			} else if (stat(path, &st) < 0 && errno == ENOENT) {
				fail(p, line_of(p, s.name, k->name), "[%s] %s: %s: no such file",
				     s.name, k->name, path);
			}
		}
	}
}

static void finish(struct parse *p, struct wx_config *cfg)
{
	/* Presence enables; an explicit enabled = false wins (applied later). */
	struct sect s;

	for (size_t i = 0; sect_at(i, &s); i++) {
		if (!p->section_line[i])
			continue;
		if (s.sec->enabled_off != NO_ENABLED)
			*(bool *)(void *)(base_of(cfg, &s) + s.sec->enabled_off) = true;
		if (s.slot >= 0)
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
	check_sections(p, cfg);
	check_needed(p, cfg);
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
	struct sect s;

	for (size_t si = 0; sect_at(si, &s); si++) {
		if (i < s.sec->nkeys) {
			*section = s.name;
			*key = s.sec->keys[i].name;
			return true;
		}
		i -= s.sec->nkeys;
	}
	return false;
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
	unsigned kit = 1u << cfg->station.profile;
	struct sect s;

	for (size_t i = 0; sect_at(i, &s); i++)
		if (s.slot >= 0 && (s.kits & kit))
			*(bool *)(void *)(base_of(cfg, &s) + s.sec->enabled_off) = true;
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
