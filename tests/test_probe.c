/* wxctl probe: the exact lines for missing and wrong device nodes, a real
 * 1-wire tree in a temporary directory (good, CRC NO, 85 °C, wrong device
 * name), the RTC in a temporary sysfs root, the clock line, and what counts
 * as a failed check.  This machine has no /dev/i2c-*, /dev/spidev* or
 * /dev/gpiochip*: a chip answering on a real bus is not reached here. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/sim/sim_ds18b20.h"
#include "firmware/core/config.h"
#include "firmware/wxctl/probe.h"

#define DEV WX_SIM_DS18B20_DEVICE	/* 28-0316a27949ff */
#define BOOT "/boot/firmware/config.txt (/boot/config.txt on older Pi OS)"

struct fixture {
	char dir[64];		/* a fresh temporary directory */
	char conf[4096];	/* the INI text of the test */
	char *out;		/* what wx_probe_run wrote */
	size_t len;
	int failed;		/* its return value */
};

static int clock_synced_yes(void) { return 1; }
static int clock_synced_no(void) { return 0; }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/wx-probe.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->out);
	free(f);
	return 0;
}

/* Append one line to the fixture's INI text. */
static void conf(struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conf(struct fixture *f, const char *fmt, ...)
{
	size_t used = strlen(f->conf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->conf + used, sizeof(f->conf) - used, fmt, ap);
	va_end(ap);
	strncat(f->conf, "\n", sizeof(f->conf) - strlen(f->conf) - 1);
}

/* dir/name as a path in buf. */
static const char *in_dir(const struct fixture *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
	return buf;
}

static void run_env(struct fixture *f, const struct wx_probe_env *env)
{
	struct wx_config cfg;
	char err[1024];
	FILE *out;

	assert_int_equal(wx_config_load_string(&cfg, "test.conf", f->conf, err, sizeof(err)), 0);
	out = open_memstream(&f->out, &f->len);
	assert_non_null(out);
	f->failed = wx_probe_run(&cfg, env, out);
	fclose(out);
}

/* Run with an empty sysfs root (no RTC) and a synchronised clock. */
static void run(struct fixture *f)
{
	char sys[128];
	struct wx_probe_env env = {
		.sysfs_root = in_dir(f, "sys", sys, sizeof(sys)),
		.watch_ms = 0,
		.clock_synced = clock_synced_yes,
	};

	run_env(f, &env);
}

/* Is line (without its newline) one whole line of the output? */
static void assert_line(const struct fixture *f, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = f->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, line, n) == 0 && p[n] == '\n')
			return;
	}
	fail_msg("line not found:\n  %s\nin output:\n%s", line, f->out);
}

static void assert_no_text(const struct fixture *f, const char *text)
{
	if (strstr(f->out, text))
		fail_msg("unexpected \"%s\" in output:\n%s", text, f->out);
}

static int count_lines(const struct fixture *f)
{
	int n = 0;

	for (const char *p = f->out; *p; p++)
		n += *p == '\n';
	return n;
}

/* ---- I2C ------------------------------------------------------------------ */

static void probe_says_how_to_enable_a_missing_i2c_bus(void **state)
{
	struct fixture *f = *state;
	char bus[128], line[512];

	conf(f, "[bme280]\nbus = %s", in_dir(f, "i2c-1", bus, sizeof(bus)));
	run(f);
	snprintf(line, sizeof(line), "bme280     %s: FAIL: no such device: enable I2C: "
		 "dtparam=i2c_arm=on in " BOOT ", then reboot (ls /dev/i2c-* lists the buses)", bus);
	assert_line(f, line);
	assert_no_text(f, "address 0x76");	/* the chip is not tried on a missing bus */
	assert_line(f, "probe      1 of 1 checks failed");
	assert_int_equal(f->failed, 1);
}

static void probe_rejects_a_regular_file_as_i2c_bus(void **state)
{
	struct fixture *f = *state;
	char bus[128], line[512];
	FILE *fp = fopen(in_dir(f, "i2c-1", bus, sizeof(bus)), "w");

	assert_non_null(fp);
	fclose(fp);
	conf(f, "[bme280]\nbus = %s", bus);
	run(f);
	snprintf(line, sizeof(line), "bme280     %s: FAIL: not a device file: check bus = in [bme280]",
		 bus);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_rejects_a_character_device_that_is_not_i2c(void **state)
{
	struct fixture *f = *state;

	conf(f, "[bme280]\nbus = /dev/null");
	run(f);
	assert_line(f, "bme280     /dev/null: FAIL: not an I2C bus: check bus = in [bme280]");
	assert_int_equal(f->failed, 1);
}

static void probe_checks_the_bus_of_every_oracle_hat_chip(void **state)
{
	struct fixture *f = *state;
	char bus[128], line[512];
	static const char *const sections[] = { "htu21d", "bmp180", "windvane", "air_quality" };

	in_dir(f, "i2c-1", bus, sizeof(bus));
	conf(f, "[station]\nprofile = oracle-hat");
	conf(f, "[htu21d]\nbus = %s\n[bmp180]\nbus = %s", bus, bus);
	conf(f, "[windvane]\nadc = mcp3427\nbus = %s\n[air_quality]\nbus = %s", bus, bus);
	run(f);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		snprintf(line, sizeof(line), "%-10s %s: FAIL: no such device: enable I2C: "
			 "dtparam=i2c_arm=on in " BOOT ", then reboot (ls /dev/i2c-* lists the buses)",
			 sections[i], bus);
		assert_line(f, line);
	}
	/* And the HAT's RTC, which this sysfs root lacks. */
	assert_int_equal(f->failed, 5);
}

/* ---- SPI and GPIO ---------------------------------------------------------- */

static void probe_says_how_to_enable_a_missing_spi_device(void **state)
{
	struct fixture *f = *state;
	char spi[128], line[512];

	conf(f, "[windvane]\nspi = %s", in_dir(f, "spidev0.0", spi, sizeof(spi)));
	run(f);
	snprintf(line, sizeof(line), "windvane   %s: FAIL: no such device: enable SPI: "
		 "dtparam=spi=on in " BOOT ", then reboot (ls /dev/spidev* lists the devices)", spi);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_rejects_a_character_device_that_is_not_spi(void **state)
{
	struct fixture *f = *state;

	conf(f, "[windvane]\nspi = /dev/null");
	run(f);
	assert_line(f, "windvane   /dev/null: FAIL: not an SPI device: check spi = in [windvane]");
	assert_int_equal(f->failed, 1);
}

static void probe_names_the_key_of_a_missing_gpio_chip(void **state)
{
	struct fixture *f = *state;
	char chip[128], line[512];

	in_dir(f, "gpiochip0", chip, sizeof(chip));
	conf(f, "[anemometer]\nchip = %s\n[rain]\nchip = %s", chip, chip);
	run(f);
	snprintf(line, sizeof(line), "anemometer %s: FAIL: no such GPIO chip: ls /dev/gpiochip* "
		 "lists them; set chip = in [anemometer]", chip);
	assert_line(f, line);
	snprintf(line, sizeof(line), "rain       %s: FAIL: no such GPIO chip: ls /dev/gpiochip* "
		 "lists them; set chip = in [rain]", chip);
	assert_line(f, line);
	assert_no_text(f, "line 5");
	assert_int_equal(f->failed, 2);
}

static void probe_rejects_a_character_device_that_is_not_a_gpio_chip(void **state)
{
	struct fixture *f = *state;

	conf(f, "[rain]\nchip = /dev/null");
	run(f);
	assert_line(f, "rain       /dev/null: FAIL: not a GPIO chip: check chip = in [rain]");
	assert_int_equal(f->failed, 1);
}

/* ---- 1-wire ------------------------------------------------------------------ */

static void probe_says_how_to_enable_a_missing_w1_directory(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	conf(f, "[ds18b20]\nw1_dir = %s", in_dir(f, "w1", w1, sizeof(w1)));
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: FAIL: no such directory: enable 1-wire: "
		 "dtoverlay=w1-gpio in " BOOT ", then reboot; data to GPIO4 (pin 7) with a "
		 "4.7 kΩ pull-up to 3V3", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_without_bus_master_points_at_the_overlay(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: FAIL: no 28-* device and no w1_bus_master1: "
		 "enable 1-wire: dtoverlay=w1-gpio in " BOOT ", then reboot; data to GPIO4 (pin 7) "
		 "with a 4.7 kΩ pull-up to 3V3", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_with_bus_master_but_no_probe_points_at_the_wiring(void **state)
{
	struct fixture *f = *state;
	char w1[128], master[160], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	snprintf(master, sizeof(master), "%s/w1_bus_master1", w1);
	assert_int_equal(mkdir(master, 0755), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: FAIL: no 28-* device: check the data wire on "
		 "GPIO4 (pin 7), the 4.7 kΩ pull-up from data to 3V3, and the probe's power (red to "
		 "3V3, black to GND)", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_rejects_a_file_as_w1_directory(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];
	FILE *fp = fopen(in_dir(f, "w1", w1, sizeof(w1)), "w");

	assert_non_null(fp);
	fclose(fp);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: FAIL: not a directory: check w1_dir = in "
		 "[ds18b20]", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_reads_a_good_ds18b20_and_passes(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 22.5, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s\ndevice = " DEV, w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: ok (1-wire bus present, found " DEV ")", w1);
	assert_line(f, line);
	assert_line(f, "ds18b20    " DEV ": ok (present)");
	snprintf(line, sizeof(line), "ds18b20    %s/" DEV ": ok (22.50 °C)", w1);
	assert_line(f, line);
	assert_line(f, "probe      all 3 checks ok");
	assert_no_text(f, "FAIL");
	assert_int_equal(f->failed, 0);
}

static void probe_lists_every_probe_and_says_which_one_wxd_reads(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, "28-000000000002", 10.0, true), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, "28-000000000001", 12.0, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s: ok (1-wire bus present, found "
		 "28-000000000001, 28-000000000002)", w1);
	assert_line(f, line);
	assert_line(f, "ds18b20    device: ok (not set: wxd reads the first, 28-000000000001; "
		    "with several probes set device = in [ds18b20] to the one in the ground)");
	snprintf(line, sizeof(line), "ds18b20    %s/28-000000000001: ok (12.00 °C)", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 0);
}

static void probe_suggests_the_probe_that_is_there(void **state)
{
	struct fixture *f = *state;
	char w1[128];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 22.5, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s\ndevice = 28-00000000beef", w1);
	run(f);
	assert_line(f, "ds18b20    28-00000000beef: FAIL: not found, but " DEV " is there: "
		    "set device = " DEV " in [ds18b20]");
	assert_no_text(f, "°C");	/* no reading of a probe that is not configured */
	assert_int_equal(f->failed, 1);
}

static void probe_reports_crc_failures_with_the_pull_up_hint(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 22.5, false), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s/" DEV ": FAIL: CRC check failed 3 times "
		 "(long cable? add a 4.7k pull-up)", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_reports_the_85_degree_power_on_value(void **state)
{
	struct fixture *f = *state;
	char w1[128], line[512];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 85.0, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	run(f);
	snprintf(line, sizeof(line), "ds18b20    %s/" DEV ": FAIL: not converted (power-on value "
		 "85 °C: check the probe's power / pull-up)", w1);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

/* ---- RTC, clock, summary ------------------------------------------------------ */

static void make_rtc(const struct fixture *f, const char *name)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/sys", f->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	strcat(p, "/class");
	assert_int_equal(mkdir(p, 0755), 0);
	strcat(p, "/rtc");
	assert_int_equal(mkdir(p, 0755), 0);
	strcat(p, "/rtc0");
	assert_int_equal(mkdir(p, 0755), 0);
	strcat(p, "/name");
	fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", name);
	fclose(fp);
}

/* A passing sensor, so that the RTC and clock lines are the only question. */
static void conf_good_ds18b20(struct fixture *f)
{
	char w1[128];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 5.0, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
}

static void probe_missing_rtc_is_information_on_byo(void **state)
{
	struct fixture *f = *state;
	char line[512];

	conf_good_ds18b20(f);
	run(f);
	snprintf(line, sizeof(line), "rtc        %s/sys/class/rtc/rtc0: info: none (optional: "
		 "without one and without network, records wait for NTP; see hardware/README.md, "
		 "\"Clock at boot\")", f->dir);
	assert_line(f, line);
	assert_int_equal(f->failed, 0);
}

static void probe_missing_rtc_fails_on_oracle_hat(void **state)
{
	struct fixture *f = *state;
	char line[512];

	conf(f, "[station]\nprofile = oracle-hat");
	conf_good_ds18b20(f);
	run(f);
	snprintf(line, sizeof(line), "rtc        %s/sys/class/rtc/rtc0: FAIL: no RTC: the HAT's "
		 "PCF8523 needs dtoverlay=i2c-rtc,pcf8523 in " BOOT ", then reboot "
		 "(hardware/oracle-hat.md)", f->dir);
	assert_line(f, line);
	assert_int_equal(f->failed, 1);
}

static void probe_names_the_rtc_it_finds(void **state)
{
	struct fixture *f = *state;
	char line[512];

	make_rtc(f, "rtc-pcf8523 1-0068");
	conf(f, "[station]\nprofile = oracle-hat");
	conf_good_ds18b20(f);
	run(f);
	snprintf(line, sizeof(line), "rtc        %s/sys/class/rtc/rtc0: ok (present: rtc-pcf8523 "
		 "1-0068)", f->dir);
	assert_line(f, line);
	assert_line(f, "probe      all 3 checks ok");	/* w1 bus, reading, RTC */
	assert_int_equal(f->failed, 0);
}

static void probe_reports_an_rtc_on_byo_as_information(void **state)
{
	struct fixture *f = *state;
	char line[512];

	make_rtc(f, "rtc-ds3231 1-0068");
	conf_good_ds18b20(f);
	run(f);
	snprintf(line, sizeof(line), "rtc        %s/sys/class/rtc/rtc0: info: present: rtc-ds3231 "
		 "1-0068", f->dir);
	assert_line(f, line);
	assert_line(f, "probe      all 2 checks ok");	/* the RTC line is not a check */
}

static void probe_unsynchronised_clock_is_information_not_failure(void **state)
{
	struct fixture *f = *state;
	char sys[128];
	struct wx_probe_env env = {
		.sysfs_root = in_dir(f, "sys", sys, sizeof(sys)),
		.clock_synced = clock_synced_no,
	};

	conf_good_ds18b20(f);
	run_env(f, &env);
	assert_line(f, "clock      system clock: info: not synchronised: wxd holds archive records "
		    "until it is (hardware/README.md, \"Clock at boot\"; timedatectl shows the state)");
	assert_int_equal(f->failed, 0);
}

static void probe_synchronised_clock_says_so(void **state)
{
	struct fixture *f = *state;

	conf_good_ds18b20(f);
	run(f);
	assert_line(f, "clock      system clock: info: synchronised");
}

static void probe_without_sensors_fails(void **state)
{
	struct fixture *f = *state;

	conf(f, "[station]\nid = empty");
	run(f);
	assert_line(f, "probe      test.conf: FAIL: no sensor is configured: add [bme280], "
		    "[ds18b20], [anemometer], [rain] or [windvane] (wxd.conf(5))");
	assert_int_equal(f->failed, 1);
}

static void probe_skips_disabled_sensors(void **state)
{
	struct fixture *f = *state;

	conf_good_ds18b20(f);
	conf(f, "[bme280]\nenabled = false\nbus = /nonexistent/i2c-9");
	run(f);
	assert_no_text(f, "bme280");
	assert_int_equal(f->failed, 0);
}

static void probe_counts_one_failure_per_failed_check(void **state)
{
	struct fixture *f = *state;
	char w1[128], spi[128];

	assert_int_equal(mkdir(in_dir(f, "w1", w1, sizeof(w1)), 0755), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(w1, DEV, 85.0, true), 0);
	conf(f, "[ds18b20]\nw1_dir = %s", w1);
	conf(f, "[windvane]\nspi = %s", in_dir(f, "spidev0.0", spi, sizeof(spi)));
	conf(f, "[bme280]\nbus = /dev/null");
	run(f);
	/* ds18b20: bus ok, reading FAIL; windvane: node FAIL; bme280: node FAIL. */
	assert_line(f, "probe      3 of 4 checks failed");
	assert_int_equal(f->failed, 3);
	/* 4 check lines, rtc, clock and the summary. */
	assert_int_equal(count_lines(f), 7);
}

static void probe_clock_from_adjtimex_answers(void **state)
{
	int s = wx_probe_clock_synced();

	(void)state;
	assert_true(s == 0 || s == 1);	/* adjtimex() reading needs no privilege */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(probe_says_how_to_enable_a_missing_i2c_bus),
		T(probe_rejects_a_regular_file_as_i2c_bus),
		T(probe_rejects_a_character_device_that_is_not_i2c),
		T(probe_checks_the_bus_of_every_oracle_hat_chip),
		T(probe_says_how_to_enable_a_missing_spi_device),
		T(probe_rejects_a_character_device_that_is_not_spi),
		T(probe_names_the_key_of_a_missing_gpio_chip),
		T(probe_rejects_a_character_device_that_is_not_a_gpio_chip),
		T(probe_says_how_to_enable_a_missing_w1_directory),
		T(probe_without_bus_master_points_at_the_overlay),
		T(probe_with_bus_master_but_no_probe_points_at_the_wiring),
		T(probe_rejects_a_file_as_w1_directory),
		T(probe_reads_a_good_ds18b20_and_passes),
		T(probe_lists_every_probe_and_says_which_one_wxd_reads),
		T(probe_suggests_the_probe_that_is_there),
		T(probe_reports_crc_failures_with_the_pull_up_hint),
		T(probe_reports_the_85_degree_power_on_value),
		T(probe_missing_rtc_is_information_on_byo),
		T(probe_missing_rtc_fails_on_oracle_hat),
		T(probe_names_the_rtc_it_finds),
		T(probe_reports_an_rtc_on_byo_as_information),
		T(probe_unsynchronised_clock_is_information_not_failure),
		T(probe_synchronised_clock_says_so),
		T(probe_without_sensors_fails),
		T(probe_skips_disabled_sensors),
		T(probe_counts_one_failure_per_failed_check),
		T(probe_clock_from_adjtimex_answers),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
