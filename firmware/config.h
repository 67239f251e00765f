/* The configuration file (INI), shared by wxd and wxctl.
 *
 * One schema table lists every section and key with its type and range
 * (config.c); the defaults are set in code there, per profile (BYO, then
 * the Oracle HAT's changes).  A sensor is enabled when its section is present,
 * unless it says enabled = false.  Errors are "file:line: message". */
#ifndef WX_CONFIG_H
#define WX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define WX_CONFIG_DEFAULT_PATH "/etc/wxd/wxd.conf"
#define WX_PATH_LEN 256
#define WX_NAME_LEN 64

enum wx_units { WX_UNITS_METRIC, WX_UNITS_US };
enum wx_profile { WX_PROFILE_BYO, WX_PROFILE_ORACLE_HAT };
/* [station] air_temperature: which sensor fills temperature_c. */
enum wx_air_temp { WX_AIR_TEMP_BME280, WX_AIR_TEMP_HTU21D, WX_AIR_TEMP_BMP180 };
/* [windvane] adc: the BYO MCP3008 on SPI or the Oracle HAT's MCP3427 on I2C. */
enum wx_vane_adc { WX_VANE_ADC_MCP3008, WX_VANE_ADC_MCP3427 };

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

struct wx_config_bme280 {
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
};

struct wx_config_htu21d {		/* Oracle HAT humidity (and temperature) */
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
};

struct wx_config_bmp180 {		/* Oracle HAT pressure (and temperature) */
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
	int oversampling;		/* oss 0..3 */
};

struct wx_config_air_quality {		/* Oracle HAT TGS2600 behind an MCP3427 */
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
	int channel;
};

struct wx_config_ds18b20 {
	bool enabled;
	char w1_dir[WX_PATH_LEN];
	char device[WX_NAME_LEN];	/* "" = first 28-* device */
};

struct wx_config_pulse {		/* [anemometer] and [rain] */
	bool enabled;
	char chip[WX_PATH_LEN];
	int line;
	double debounce_ms;
	double kmh_per_hz;		/* anemometer */
	double mm_per_tip;		/* rain */
	double catch_factor;		/* rain */
};

struct wx_config_windvane {
	bool enabled;
	enum wx_vane_adc adc;
	char spi[WX_PATH_LEN];		/* adc = mcp3008 */
	char bus[WX_PATH_LEN];		/* adc = mcp3427: I2C bus */
	int address;			/* adc = mcp3427: 0x68..0x6F */
	int channel;
	double vin;
	double divider_ohm;
	double north_offset_deg;
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
	struct wx_config_bme280 bme280;
	struct wx_config_htu21d htu21d;
	struct wx_config_bmp180 bmp180;
	struct wx_config_air_quality air_quality;
	struct wx_config_ds18b20 ds18b20;
	struct wx_config_pulse anemometer;
	struct wx_config_pulse rain;
	struct wx_config_windvane windvane;
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

/* The schema, for documentation checks: the i-th key and its section, or
 * false past the last. */
bool wx_config_schema_key(size_t i, const char **section, const char **key);

/* With --sim and no sensor section at all, every sensor of the profile's
 * build is enabled with its defaults: the BYO five (bme280, ds18b20,
 * anemometer, rain, windvane), or on oracle-hat the HAT's (htu21d, bmp180,
 * windvane on the MCP3427, air_quality, anemometer, rain, ds18b20). */
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
