/* The configuration loader: defaults, the contract's example, and one golden
 * pair per error (tests/config/NAME.conf gives exactly NAME.expected). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/bme280.h"
#include "drivers/ds18b20.h"
#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "drivers/vane.h"
#include "firmware/core/config.h"
#include "firmware/core/log.h"

/* Is sensor name enabled in configuration c? */
#define ON(c, name) wx_sensor_enabled(&(c), &wx_##name##_driver)

static const char design_example[] =
	"[station]\n"
	"id = fairhaven-ms            ; used in topics and uploads\n"
	"altitude_m = 12              ; for sea-level pressure\n"
	"interval_s = 60              ; archive interval\n"
	"database = /var/lib/wxd/wx.db\n"
	"socket = /run/wxd/wxd.sock\n"
	"units = metric               ; or us: how wxctl shows values (storage is always metric)\n"
	"profile = byo                ; or oracle-hat: the defaults of the original Oracle Weather\n"
	"                             ; Station HAT (HTU21D, BMP180, MCP3427 vane and air quality)\n"
	"\n"
	"[bme280]                     ; BME280, or BMP280 (no humidity), found by chip id\n"
	"bus = /dev/i2c-1\n"
	"address = 0x77               ; or 0x77\n"
	"\n"
	"[ds18b20]                    ; ground probe\n"
	"w1_dir = /sys/bus/w1/devices\n"
	"device = 28-0316a27949ff     ; optional: default is the first 28-* device\n"
	"\n"
	"[anemometer]\n"
	"chip = gpiochip0\n"
	"line = 5                     ; BCM numbering\n"
	"kmh_per_hz = 2.4\n"
	"debounce_ms = 2\n"
	"\n"
	"[rain]                       ; tipping bucket\n"
	"chip = gpiochip0\n"
	"line = 6\n"
	"mm_per_tip = 0.2794\n"
	"debounce_ms = 150            ; a bucket cannot tip twice in 150 ms\n"
	"catch_factor = 1.0           ; siting correction multiplier\n"
	"\n"
	"[windvane]\n"
	"spi = /dev/spidev0.0\n"
	"channel = 0\n"
	"vin = 3.3\n"
	"divider_ohm = 4700\n"
	"north_offset_deg = 0\n"
	"\n"
	"[mqtt]\n"
	"host = localhost\n"
	"port = 1883\n"
	"tls = false\n"
	"ca_file =\n"
	"username =\n"
	"password_file =\n"
	"topic = wx/fairhaven-ms\n"
	"qos = 1\n"
	"ha_discovery = true\n"
	"ha_prefix = homeassistant\n"
	"\n"
	"[initialstate]\n"
	"url = https://groker.init.st/api/events\n"
	"access_key_file = /etc/wxd/initialstate.key\n"
	"bucket_key = fairhaven-ms\n"
	"events_per_request = 10\n"
	"requests_per_min = 60\n"
	"\n"
	"[sim]\n"
	"seed = 1\n"
	"wind_kmh =\n"
	"rain_mm_h =\n"
	"bounce = true\n";

static void config_reads_the_contract_example(void **state)
{
	struct wx_config c;
	char err[1024];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "example", design_example, err, sizeof(err)), 0);
	assert_string_equal(c.station.id, "fairhaven-ms");
	assert_true(c.station.altitude_m == 12);
	assert_int_equal(c.station.interval_s, 60);
	assert_int_equal(WX_BME280_CONFIG(&c)->address, 0x77);
	assert_true(ON(c, bme280) && ON(c, ds18b20) && ON(c, anemometer) &&
		    ON(c, rain) && ON(c, windvane) && c.mqtt.enabled && c.initialstate.enabled);
	assert_string_equal(WX_DS18B20_CONFIG(&c)->device, "28-0316a27949ff");
	assert_true(WX_RAIN_CONFIG(&c)->mm_per_tip == 0.2794);
	assert_true(WX_WINDVANE_CONFIG(&c)->divider_ohm == 4700);
	assert_string_equal(c.mqtt.topic, "wx/fairhaven-ms");
	assert_string_equal(c.mqtt.ha_prefix, "homeassistant");
	assert_false(c.sim.has_wind_kmh);
	assert_true(c.sim.bounce);
	assert_int_equal(c.station.profile, WX_PROFILE_BYO);
}

static void config_defaults_follow_the_contract(void **state)
{
	struct wx_config c;
	char err[256];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "", err, sizeof(err)), 0);
	assert_int_equal(c.station.interval_s, 60);
	assert_string_equal(c.station.database, "/var/lib/wxd/wx.db");
	assert_string_equal(c.station.socket, "/run/wxd/wxd.sock");
	assert_string_equal(WX_BME280_CONFIG(&c)->bus, "/dev/i2c-1");
	assert_int_equal(WX_BME280_CONFIG(&c)->address, 0x76);
	assert_true(WX_ANEMOMETER_CONFIG(&c)->kmh_per_hz == 2.4 && WX_ANEMOMETER_CONFIG(&c)->line == 5);
	assert_true(WX_RAIN_CONFIG(&c)->debounce_ms == 150 && WX_RAIN_CONFIG(&c)->line == 6);
	assert_int_equal(c.mqtt.qos, 1);
	assert_string_equal(c.mqtt.ha_prefix, "homeassistant");
	assert_int_equal(c.initialstate.events_per_request, 10);
	assert_false(ON(c, bme280) || ON(c, ds18b20) || ON(c, anemometer) ||
		     ON(c, rain) || ON(c, windvane) || c.mqtt.enabled);
	assert_false(c.any_sensor_section);
	wx_config_enable_all_sensors(&c);
	assert_true(ON(c, bme280) && ON(c, ds18b20) && ON(c, anemometer) &&
		    ON(c, rain) && ON(c, windvane));
	assert_false(c.mqtt.enabled);
}

static void config_empty_section_enables_and_enabled_false_disables(void **state)
{
	struct wx_config c;
	char err[256];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "[bme280]\n[rain]\nenabled = false\n",
					       err, sizeof(err)), 0);
	assert_true(ON(c, bme280));
	assert_false(ON(c, rain));
	assert_true(c.any_sensor_section);
}

static void config_optional_sim_values_are_set_when_given(void **state)
{
	struct wx_config c;
	char err[256];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "[sim]\nwind_kmh = 20\nrain_mm_h = 6\n",
					       err, sizeof(err)), 0);
	assert_true(c.sim.has_wind_kmh && c.sim.wind_kmh == 20);
	assert_true(c.sim.has_rain_mm_h && c.sim.rain_mm_h == 6);
}

static void config_reports_every_error_with_its_line(void **state)
{
	struct wx_config c;
	char err[1024];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "f.conf",
		"[rain]\nline = x\n[windvane]\nvin = 9\n", err, sizeof(err)), -1);
	assert_string_equal(err, "f.conf:2: [rain] line: \"x\" is not a whole number\n"
				 "f.conf:4: [windvane] vin: \"9\" is out of range (1 to 5.5)");
}

static void config_rejects_an_overlong_line_without_reading_its_tail(void **state)
{
	struct wx_config c;
	char err[512];
	char text[600];

	(void)state;
	snprintf(text, sizeof(text), "[station]\nid = %0400d\nbogus\n", 1);
	assert_int_equal(wx_config_load_string(&c, "f", text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "f:2: line longer than"));
	/* Line 3 is still counted as line 3. */
	assert_non_null(strstr(err, "f:3: not a \"key = value\""));
}

static void config_missing_file_names_it(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load(&c, "/nonexistent/wxd.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/wxd.conf: cannot open: No such file or directory"
				 " (copy the example config there, or give -c FILE)");
}

static void config_golden_pairs_give_their_exact_message(void **state)
{
	DIR *d = opendir("tests/config");
	struct dirent *de;
	int checked = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char conf[512], exp_path[512], want[2048] = "", err[2048];
		size_t len = strlen(de->d_name);
		struct wx_config c;
		FILE *f;

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(conf, sizeof(conf), "tests/config/%s", de->d_name);
		snprintf(exp_path, sizeof(exp_path), "tests/config/%.*s.expected", (int)len - 5,
			 de->d_name);
		f = fopen(exp_path, "r");
		assert_non_null(f);
		/* Every line of the file: one per problem, in line order. */
		want[fread(want, 1, sizeof(want) - 1, f)] = '\0';
		fclose(f);
		while (*want && want[strlen(want) - 1] == '\n')
			want[strlen(want) - 1] = '\0';
		/* As wxd checks it: secret files must be readable too. */
		assert_int_equal(wx_config_load_checked(&c, conf, WX_CONFIG_CHECK_SECRETS |
							WX_CONFIG_CHECK_SECRETS_READ, err,
							sizeof(err)), -1);
		if (strcmp(err, want) != 0)
			fail_msg("%s:\n got: %s\nwant: %s", conf, err, want);
		checked++;
	}
	closedir(d);
	assert_true(checked >= 15);
}

static char warned[512];
static void capture(const char *line, void *arg)
{
	(void)arg;
	snprintf(warned, sizeof(warned), "%s", line);
}

static void config_secret_is_first_line_and_world_readable_warns(void **state)
{
	char dir[] = "/tmp/wxcfgXXXXXX", path[64], out[64], err[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret\nignored\n", f);
	fclose(f);
	chmod(path, 0600);
	warned[0] = '\0';
	wx_log_set_sink(capture, NULL);
	assert_int_equal(wx_config_read_secret(path, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "s3cret");
	assert_string_equal(warned, "");
	chmod(path, 0644);
	assert_int_equal(wx_config_read_secret(path, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(warned, "readable by everyone"));
	assert_null(strstr(warned, "s3cret"));
	wx_log_set_sink(NULL, NULL);
	unlink(path);
	assert_true(wx_config_read_secret(path, out, sizeof(out), err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	rmdir(dir);
}

static void config_refuses_a_nul_byte_inside_a_value(void **state)
{
	static const char text[] = "[station]\nid = cf\0x\nunits = us\n";
	struct wx_config c;
	char err[512];

	(void)state;
	/* Before: "id = cf" was taken and the rest of the line lost. */
	assert_int_equal(wx_config_load_mem(&c, "f", text, sizeof(text) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "f:2: a NUL byte in the line"));
	assert_null(strchr(err, '\n'));		/* line 3 is fine */
}

static void config_reports_errors_after_an_unknown_section_in_line_order(void **state)
{
	struct wx_config c;
	char err[1024];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "f", "[rain]\nline = x\n[windvan]\nvin = 9\n"
					       "[Station]\n[anemometer]\nkmh_per_hx = 2\nbogus\n",
					       err, sizeof(err)), -1);
	assert_string_equal(err, "f:2: [rain] line: \"x\" is not a whole number\n"
				 "f:3: unknown section [windvan] (did you mean [windvane]?)\n"
				 "f:5: unknown section [Station] (did you mean [station]?)\n"
				 "f:7: [anemometer] unknown key \"kmh_per_hx\" (did you mean kmh_per_hz?)\n"
				 "f:8: not a \"key = value\" line or a [section] header");
}

static void config_secret_files_must_exist_and_wxd_must_read_them(void **state)
{
	char dir[] = "/tmp/wxcfgXXXXXX", conf[64], key[64], text[256], err[1024];
	struct wx_config c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/wxd.conf", dir);
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(text, sizeof(text), "[mqtt]\npassword_file = %s\n[initialstate]\n"
		 "access_key_file = %s\n", key, dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	/* Without checks (tests, fuzzing) the files are not looked at. */
	assert_int_equal(wx_config_load(&c, conf, err, sizeof(err)), 0);
	/* wxctl: the key is missing; the directory exists. */
	assert_int_equal(wx_config_load_checked(&c, conf, WX_CONFIG_CHECK_SECRETS, err,
						sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s:2: [mqtt] password_file: %s: no such file", conf, key);
	assert_string_equal(err, text);
	/* wxd: a directory cannot be read as a secret. */
	f = fopen(key, "w");
	assert_non_null(f);
	fputs("pw\n", f);
	fclose(f);
	chmod(key, 0600);
	assert_int_equal(wx_config_load_checked(&c, conf, WX_CONFIG_CHECK_SECRETS, err,
						sizeof(err)), 0);
	assert_int_equal(wx_config_load_checked(&c, conf, WX_CONFIG_CHECK_SECRETS |
						WX_CONFIG_CHECK_SECRETS_READ, err, sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s:4: [initialstate] access_key_file: %s: cannot read "
		 "secret: Is a directory", conf, dir);
	assert_string_equal(err, text);
	unlink(key);
	unlink(conf);
	rmdir(dir);
}

/* Issue 16: the sensors' sections are the driver table's.  Each row names
 * its section, which has its own storage slot, its keys in the schema, and
 * a section header alone enables that sensor and no other. */
static void config_sensor_sections_come_from_the_driver_rows(void **state)
{
	struct wx_config c;
	const char *name, *sec, *key;
	unsigned kits;
	char text[64], err[512];
	size_t i;

	(void)state;
	for (i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];
		bool has_enabled = false;

		assert_non_null(d->config);
		assert_null(d->enabled);
		assert_ptr_equal(wx_config_sensor_section(i, &name, &kits), d->config);
		assert_string_equal(name, d->name);
		assert_int_equal(kits, d->kits);
		assert_true(d->config->size <= WX_CONFIG_SENSOR_BYTES);
		for (size_t k = 0; wx_config_schema_key(k, &sec, &key); k++)
			if (!strcmp(sec, d->name) && !strcmp(key, "enabled"))
				has_enabled = true;
		assert_true(has_enabled);
		snprintf(text, sizeof(text), "[%s]\n", d->name);
		assert_int_equal(wx_config_load_string(&c, "t", text, err, sizeof(err)), 0);
		assert_true(c.any_sensor_section);
		assert_ptr_equal(wx_sensor_config(&c, d), c.sensor[i].data);
		for (size_t j = 0; wx_sensor_drivers[j]; j++)
			assert_int_equal(wx_sensor_enabled(&c, wx_sensor_drivers[j]), j == i);
	}
	assert_true(i <= WX_CONFIG_SENSORS);
	assert_null(wx_config_sensor_section(i, &name, &kits));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_reads_the_contract_example),
		cmocka_unit_test(config_defaults_follow_the_contract),
		cmocka_unit_test(config_empty_section_enables_and_enabled_false_disables),
		cmocka_unit_test(config_optional_sim_values_are_set_when_given),
		cmocka_unit_test(config_reports_every_error_with_its_line),
		cmocka_unit_test(config_rejects_an_overlong_line_without_reading_its_tail),
		cmocka_unit_test(config_missing_file_names_it),
		cmocka_unit_test(config_golden_pairs_give_their_exact_message),
		cmocka_unit_test(config_secret_is_first_line_and_world_readable_warns),
		cmocka_unit_test(config_refuses_a_nul_byte_inside_a_value),
		cmocka_unit_test(config_reports_errors_after_an_unknown_section_in_line_order),
		cmocka_unit_test(config_secret_files_must_exist_and_wxd_must_read_them),
		cmocka_unit_test(config_sensor_sections_come_from_the_driver_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
