/* The configuration file (INI), shared by wxd, wxd-net and wxctl.
 *
 * Every section is a table of keys with their type and range (struct
 * wx_config_section).  The station's, the uploaders' and [sim] are in
 * config.c and stored in struct wx_config itself; a sensor's section is
 * its driver's (drivers/<chip>.c defines its struct, keys and defaults and
 * names them in its driver row), stored in one of struct wx_config's sensor
 * slots, and reached through the driver table (wx_config_sensor_section,
 * defined by drivers/registry.c), so that config never lists sensors.  The
 * defaults are per profile (BYO, then the Oracle HAT's changes).  A sensor
 * is enabled when its section is present, unless it says enabled = false.
 * Errors are "file:line: message". */
#ifndef WX_CONFIG_H
#define WX_CONFIG_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>

#define WX_CONFIG_DEFAULT_PATH "/etc/wxd/wxd.conf"
#define WX_PATH_LEN 256
#define WX_NAME_LEN 64

enum wx_units { WX_UNITS_METRIC, WX_UNITS_US };
enum wx_profile { WX_PROFILE_BYO, WX_PROFILE_ORACLE_HAT };
/* [station] air_temperature: which sensor fills temperature_c. */
enum wx_air_temp { WX_AIR_TEMP_BME280, WX_AIR_TEMP_HTU21D, WX_AIR_TEMP_BMP180 };

struct wx_config_station {
	char id[WX_NAME_LEN];
	double altitude_m;
	int interval_s;
	char database[WX_PATH_LEN];
	char socket[WX_PATH_LEN];
	enum wx_units units;
	enum wx_profile profile;
	enum wx_air_temp air_temperature;	/* default bme280; htu21d on oracle-hat */
};

/* ---- sections: the schema --------------------------------------------- */

/* How a key's value is read and checked.  STR and the string types are
 * char arrays of the key's size; INT and ADDR an int (or a long, by size);
 * DOUBLE a double; OPT_DOUBLE a double whose bool at has_off says it is set
 * (an empty value unsets it); BOOL a bool; CHOICE an int (an enum) whose
 * value is the index of the word in choices.  UNITS, PROFILE, AIR_TEMP and
 * LISTEN belong to [station] and [web]. */
enum wx_config_type {
	WX_CFG_STR, WX_CFG_INT, WX_CFG_ADDR, WX_CFG_DOUBLE, WX_CFG_OPT_DOUBLE, WX_CFG_BOOL,
	WX_CFG_UNITS, WX_CFG_PROFILE, WX_CFG_STATION_ID, WX_CFG_TOPIC, WX_CFG_URL,
	WX_CFG_AIR_TEMP, WX_CFG_CHOICE, WX_CFG_SECRET, WX_CFG_LISTEN, WX_CFG_CALLSIGN,
};

struct wx_config_key {
	const char *name;
	enum wx_config_type type;
	size_t off;			/* into the section's struct */
	size_t size;			/* the member's size */
	double min, max;		/* numbers: inclusive range */
	size_t has_off;			/* OPT_DOUBLE: its bool */
	const char *const *choices;	/* CHOICE: the words, NULL-terminated */
};

/* A row of a section whose struct is type. */
#define WX_CONFIG_MEMBER_SIZE(type, f) sizeof(((type *)0)->f)
#define WX_CONFIG_STR(type, k, t, f) \
	{ k, t, offsetof(type, f), WX_CONFIG_MEMBER_SIZE(type, f), 0, 0, 0, NULL }
#define WX_CONFIG_NUM(type, k, t, f, lo, hi) \
	{ k, t, offsetof(type, f), WX_CONFIG_MEMBER_SIZE(type, f), lo, hi, 0, NULL }
#define WX_CONFIG_OPT(type, k, f, has, lo, hi) \
	{ k, WX_CFG_OPT_DOUBLE, offsetof(type, f), WX_CONFIG_MEMBER_SIZE(type, f), lo, hi, \
	  offsetof(type, has), NULL }
#define WX_CONFIG_CHOICE(type, k, f, words) \
	{ k, WX_CFG_CHOICE, offsetof(type, f), WX_CONFIG_MEMBER_SIZE(type, f), 0, 0, 0, words }

/* What a sensor section's storage holds at most, and how many sensors. */
#define WX_CONFIG_SENSOR_BYTES 1024
#define WX_CONFIG_SENSORS 16

/* One section's keys, and for a sensor its struct: its size, where its
 * bool enabled is (SIZE_MAX: none), its defaults and a check across keys. */
struct wx_config_section {
	size_t size;
	size_t enabled_off;
	const struct wx_config_key *keys;
	size_t nkeys;
	/* Set the defaults of profile: BYO over zeroed storage, then, on
	 * oracle-hat, the HAT's changes over BYO's.  May be NULL. */
	void (*defaults)(void *data, enum wx_profile profile);
	/* After every key is applied: NULL, or what is wrong with the value
	 * of the key *key ("is out of range for ..."); each line setting that
	 * key gets "[section] key: \"value\" <what>".  May be NULL. */
	const char *(*check)(const void *data, const char **key);
};

/* A sensor section whose struct is type (which has a bool enabled and fits
 * WX_CONFIG_SENSOR_BYTES, checked at compile time), with its keys_[] array,
 * defaults_ and check_ (either may be NULL). */
#define WX_CONFIG_SENSOR_SECTION(type, keys_, defaults_, check_) { \
	.size = sizeof(type) + 0 * sizeof(struct { \
		int fits; \
		_Static_assert(sizeof(type) <= WX_CONFIG_SENSOR_BYTES, \
			       #type " is larger than WX_CONFIG_SENSOR_BYTES"); }), \
	.enabled_off = offsetof(type, enabled), \
	.keys = (keys_), .nkeys = sizeof(keys_) / sizeof((keys_)[0]), \
	.defaults = (defaults_), .check = (check_) }

/* The i-th sensor section, in the order sensors are listed to people, with
 * its name and kits (1u << enum wx_profile), or NULL past the last.
 * Defined by the driver table (drivers/registry.c), which every program
 * that loads a configuration links. */
const struct wx_config_section *wx_config_sensor_section(size_t i, const char **name,
							 unsigned *kits);

/* A sensor section's storage. */
struct wx_config_sensor_slot {
	alignas(max_align_t) unsigned char data[WX_CONFIG_SENSOR_BYTES];
};

struct wx_config_mqtt {
	bool enabled;
	char host[WX_PATH_LEN];
	int port;
	bool tls;
	char ca_file[WX_PATH_LEN];
	char username[WX_NAME_LEN];
	char password_file[WX_PATH_LEN];
	char topic[WX_PATH_LEN];	/* default wx/<station id> */
	int qos;
	bool ha_discovery;
	char ha_prefix[WX_PATH_LEN];	/* Home Assistant's discovery prefix */
};

struct wx_config_initialstate {
	bool enabled;
	char url[WX_PATH_LEN];
	char access_key_file[WX_PATH_LEN];
	char bucket_key[WX_PATH_LEN];
	int events_per_request;
	int requests_per_min;
};

/* [web]: the station's own page and JSON API (web/web.c). */
struct wx_config_web {
	bool enabled;
	char listen[WX_NAME_LEN];	/* as written: "0.0.0.0:8080", "[::]:8080" */
	char listen_host[WX_NAME_LEN];	/* numeric address, no brackets: "::" */
	int listen_port;
};

/* Weather networks (docs/contract.md "Weather networks").  [wunderground] and
 * [pwsweather] speak the same protocol: one struct, key_file holds
 * wunderground's password_file and pwsweather's key_file. */
struct wx_config_pws {
	bool enabled;
	char url[WX_PATH_LEN];
	char station_id[64];
	char key_file[WX_PATH_LEN];
	int backfill_days;
};

struct wx_config_wow {
	bool enabled;
	char url[WX_PATH_LEN];
	char site_id[64];
	char key_file[WX_PATH_LEN];
	int backfill_days;
};

struct wx_config_windy {
	bool enabled;
	char url[WX_PATH_LEN];
	char station_id[64];
	char password_file[WX_PATH_LEN];
};

struct wx_config_cwop {
	bool enabled;
	char server[WX_PATH_LEN];	/* host:port */
	char callsign[16];
	double latitude, longitude;	/* decimal degrees, north and east positive */
};

struct wx_config_sim {
	long seed;
	bool has_wind_kmh;
	double wind_kmh;
	bool has_rain_mm_h;
	double rain_mm_h;
	bool bounce;
};

struct wx_config {
	char path[WX_PATH_LEN];		/* the file it came from, for messages */
	bool any_sensor_section;	/* a sensor section was present */
	struct wx_config_station station;
	/* Slot i holds wx_config_sensor_section(i)'s struct. */
	struct wx_config_sensor_slot sensor[WX_CONFIG_SENSORS];
	struct wx_config_mqtt mqtt;
	struct wx_config_initialstate initialstate;
	struct wx_config_web web;
	struct wx_config_pws wunderground, pwsweather;
	struct wx_config_wow wow;
	struct wx_config_windy windy;
	struct wx_config_cwop cwop;
	struct wx_config_sim sim;
};

/* Fill cfg with the contract's defaults (no sensor enabled). */
void wx_config_defaults(struct wx_config *cfg);

/* Load path over the defaults.  Returns 0, or -1 after writing one
 * "file:line: message" per error to err (at most errlen bytes, lines
 * separated by '\n', in line order): every problem of the file, not just
 * the first.  A missing file is an error naming it. */
int wx_config_load(struct wx_config *cfg, const char *path, char *err, size_t errlen);

/* What wx_config_load_checked() checks beyond the file's own text. */
enum {
	/* Each *_file secret of an enabled section names a file that exists
	 * (wxctl: the user running it may not be allowed to read it). */
	WX_CONFIG_CHECK_SECRETS = 1u << 0,
	/* ... and that this process can read and is not empty (wxd and
	 * wxd --check-config, which run as the user that needs it). */
	WX_CONFIG_CHECK_SECRETS_READ = 1u << 1,
};

/* wx_config_load() plus the checks asked for (WX_CONFIG_CHECK_*). */
int wx_config_load_checked(struct wx_config *cfg, const char *path, unsigned checks,
			   char *err, size_t errlen);

/* Load from memory (tests, fuzzing); name is used in messages.  The text
 * may hold NUL bytes, which are refused as they are in a file. */
int wx_config_load_mem(struct wx_config *cfg, const char *name, const char *data, size_t len,
		       char *err, size_t errlen);

/* Load from a string (tests); name is used in messages. */
int wx_config_load_string(struct wx_config *cfg, const char *name, const char *text,
			  char *err, size_t errlen);

/* The storage of sensor section sec in cfg (NULL if sec is not one of the
 * driver table's): its driver's struct.  Like strchr, a const cfg gives a
 * pointer that must only be read. */
void *wx_config_section_data(const struct wx_config *cfg, const struct wx_config_section *sec);

/* The schema, for documentation checks: the i-th key and its section, or
 * false past the last. */
bool wx_config_schema_key(size_t i, const char **section, const char **key);

/* With --sim and no sensor section at all, every sensor of the profile's
 * kit (its driver row's kits) is enabled with its defaults: the BYO five
 * (bme280, ds18b20, anemometer, rain, windvane), or on oracle-hat the HAT's
 * (htu21d, bmp180, windvane on the MCP3427, air_quality, anemometer, rain,
 * ds18b20). */
void wx_config_enable_all_sensors(struct wx_config *cfg);

/* Does cfg give the network side (wxd-net) any work: an upload section
 * turned on (later [web] too)?  A new destination in uploader/uploaders.c
 * adds its enabled flag here as well. */
bool wx_config_network_wanted(const struct wx_config *cfg);

/* Read a secret file (password_file, access_key_file): the first line,
 * without its newline.  Warns (once per call) when the file is readable by
 * others.  Returns 0 or -errno with a message in err naming the file. */
int wx_config_read_secret(const char *path, char *out, size_t outlen, char *err, size_t errlen);

#endif
