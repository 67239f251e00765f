/* The oracle-hat profile and the HAT's config sections (firmware/core/config.c):
 * defaults, keys, which sensors --sim enables, and the air temperature
 * choice.  The golden error pairs live in tests/config/ (test_config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/air_quality.h"
#include "drivers/bme280.h"
#include "drivers/bmp180.h"
#include "drivers/ds18b20.h"
#include "drivers/htu21d.h"
#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "drivers/vane.h"
#include "firmware/core/config.h"

/* Is sensor name enabled in configuration c? */
#define ON(c, name) wx_sensor_enabled(&(c), &wx_##name##_driver)

static void oracle_hat_profile_sets_the_hats_defaults(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "[station]\nprofile = oracle-hat\n",
					       err, sizeof(err)), 0);
	assert_int_equal(c.station.profile, WX_PROFILE_ORACLE_HAT);
	assert_int_equal(c.station.air_temperature, WX_AIR_TEMP_HTU21D);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->adc, WX_VANE_ADC_MCP3427);
	assert_string_equal(WX_WINDVANE_CONFIG(&c)->bus, "/dev/i2c-1");
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->address, 0x69);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->channel, 0);
	/* The kit's shipped wind_direction.json (stretch, jessie): 75k from
	 * 3.268 V; 100k from 3.3 V was only the prototype's (issue 12 item 6). */
	assert_true(WX_WINDVANE_CONFIG(&c)->divider_ohm == 75000 && WX_WINDVANE_CONFIG(&c)->vin == 3.268);
	assert_int_equal(WX_HTU21D_CONFIG(&c)->address, 0x40);
	assert_int_equal(WX_BMP180_CONFIG(&c)->address, 0x77);
	assert_int_equal(WX_BMP180_CONFIG(&c)->oversampling, 3);
	assert_int_equal(WX_AIR_QUALITY_CONFIG(&c)->address, 0x6A);
	assert_int_equal(WX_AIR_QUALITY_CONFIG(&c)->channel, 0);
	/* interrupt_daemon.py: "was 17 on prototype", "was 27 on prototype". */
	assert_int_equal(WX_ANEMOMETER_CONFIG(&c)->line, 5);
	assert_int_equal(WX_RAIN_CONFIG(&c)->line, 6);
	assert_false(c.any_sensor_section);
}

static void byo_profile_keeps_the_byo_defaults(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "", err, sizeof(err)), 0);
	assert_int_equal(c.station.air_temperature, WX_AIR_TEMP_BME280);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->adc, WX_VANE_ADC_MCP3008);
	assert_true(WX_WINDVANE_CONFIG(&c)->divider_ohm == 4700);
	assert_int_equal(WX_ANEMOMETER_CONFIG(&c)->line, 5);
	assert_int_equal(WX_RAIN_CONFIG(&c)->line, 6);
}

/* The profile may come after the keys it provides defaults for; explicit
 * keys win wherever they are. */
static void oracle_hat_keys_override_the_profile_wherever_it_appears(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t",
		"[windvane]\ndivider_ohm = 68000\naddress = 0x6b\nchannel = 1\n"
		"[bmp180]\noversampling = 0\n"
		"[air_quality]\nchannel = 1\naddress = 0x6c\nbus = /dev/i2c-3\n"
		"[station]\nprofile = oracle-hat\nair_temperature = bmp180\n",
		err, sizeof(err)), 0);
	assert_true(WX_WINDVANE_CONFIG(&c)->divider_ohm == 68000);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->address, 0x6B);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->channel, 1);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->adc, WX_VANE_ADC_MCP3427);
	assert_int_equal(WX_BMP180_CONFIG(&c)->oversampling, 0);
	assert_int_equal(WX_AIR_QUALITY_CONFIG(&c)->channel, 1);
	assert_int_equal(WX_AIR_QUALITY_CONFIG(&c)->address, 0x6C);
	assert_string_equal(WX_AIR_QUALITY_CONFIG(&c)->bus, "/dev/i2c-3");
	assert_int_equal(c.station.air_temperature, WX_AIR_TEMP_BMP180);
	assert_true(ON(c, windvane) && ON(c, bmp180) && ON(c, air_quality));
	assert_false(ON(c, htu21d) || ON(c, bme280));
}

static void byo_station_may_use_the_mcp3427_for_its_vane(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "[windvane]\nadc = mcp3427\n"
					       "bus = /dev/i2c-0\n", err, sizeof(err)), 0);
	assert_int_equal(WX_WINDVANE_CONFIG(&c)->adc, WX_VANE_ADC_MCP3427);
	assert_string_equal(WX_WINDVANE_CONFIG(&c)->bus, "/dev/i2c-0");
	assert_true(WX_WINDVANE_CONFIG(&c)->divider_ohm == 4700);	/* byo profile: not the HAT's */
}

static void sim_without_sensor_sections_enables_the_hats_sensors_on_oracle_hat(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "[station]\nprofile = oracle-hat\n",
					       err, sizeof(err)), 0);
	wx_config_enable_all_sensors(&c);
	assert_true(ON(c, htu21d) && ON(c, bmp180) && ON(c, windvane) &&
		    ON(c, air_quality) && ON(c, anemometer) && ON(c, rain) &&
		    ON(c, ds18b20));
	assert_false(ON(c, bme280));
}

static void sim_without_sensor_sections_enables_the_byo_five_on_byo(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "t", "", err, sizeof(err)), 0);
	wx_config_enable_all_sensors(&c);
	assert_true(ON(c, bme280) && ON(c, ds18b20) && ON(c, anemometer) &&
		    ON(c, rain) && ON(c, windvane));
	assert_false(ON(c, htu21d) || ON(c, bmp180) || ON(c, air_quality));
}

static void air_temperature_accepts_each_sensor_name(void **state)
{
	static const struct { const char *v; enum wx_air_temp want; } rows[] = {
		{ "htu21d", WX_AIR_TEMP_HTU21D },
		{ "bmp180", WX_AIR_TEMP_BMP180 },
		{ "bme280", WX_AIR_TEMP_BME280 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wx_config c;
		char text[96], err[256];

		snprintf(text, sizeof(text), "[station]\nprofile = oracle-hat\nair_temperature = %s\n",
			 rows[i].v);
		assert_int_equal(wx_config_load_string(&c, "t", text, err, sizeof(err)), 0);
		assert_int_equal(c.station.air_temperature, rows[i].want);
	}
}

static void mcp3427_vane_channel_error_names_its_line(void **state)
{
	struct wx_config c;
	char err[512];

	(void)state;
	assert_int_equal(wx_config_load_string(&c, "f.conf",
		"[station]\nprofile = oracle-hat\n[windvane]\nchannel = 5\n", err, sizeof(err)), -1);
	assert_string_equal(err, "f.conf:4: [windvane] channel: \"5\" is out of range for "
				 "adc = mcp3427 (0 to 1)");
	/* The same channel is fine on the MCP3008. */
	assert_int_equal(wx_config_load_string(&c, "f.conf", "[windvane]\nchannel = 5\n",
					       err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oracle_hat_profile_sets_the_hats_defaults),
		cmocka_unit_test(byo_profile_keeps_the_byo_defaults),
		cmocka_unit_test(oracle_hat_keys_override_the_profile_wherever_it_appears),
		cmocka_unit_test(byo_station_may_use_the_mcp3427_for_its_vane),
		cmocka_unit_test(sim_without_sensor_sections_enables_the_hats_sensors_on_oracle_hat),
		cmocka_unit_test(sim_without_sensor_sections_enables_the_byo_five_on_byo),
		cmocka_unit_test(air_temperature_accepts_each_sensor_name),
		cmocka_unit_test(mcp3427_vane_channel_error_names_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
