/* What wxctl probe's shared checks (drivers/probekit.c) ask the driver rows:
 * which chip a Bosch id is and which section a configured I2C address
 * belongs to.  The checks themselves need real I2C: test_probe.c and the VM
 * tests cover what can run here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/air_quality.h"
#include "drivers/bme280.h"
#include "drivers/bmp180.h"
#include "drivers/sensor.h"
#include "drivers/vane.h"

/* The row whose bosch_chip takes id, or NULL; fails when two rows do. */
static const struct wx_sensor_driver *bosch_row(uint8_t id)
{
	const struct wx_sensor_driver *found = NULL;

	for (size_t i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];

		if (d->bosch_chip && d->bosch_chip(id)) {
			assert_null(found);
			found = d;
		}
	}
	return found;
}

static void every_bosch_id_is_named_by_exactly_the_row_that_takes_it(void **state)
{
	int named = 0;

	(void)state;
	for (int id = 0; id < 256; id++) {
		const struct wx_sensor_driver *d = bosch_row((uint8_t)id);
		const struct wx_bmx280_variant *v = wx_bme280_variant_by_id((uint8_t)id);

		if (v) {
			assert_ptr_equal(d, &wx_bme280_driver);
			assert_string_equal(d->bosch_chip((uint8_t)id), v->name);
		} else if (id == WX_BMP180_CHIP_ID) {
			assert_ptr_equal(d, &wx_bmp180_driver);
			assert_string_equal(d->bosch_chip((uint8_t)id), "BMP180");
		} else {
			assert_null(d);
		}
		named += d != NULL;
	}
	assert_int_equal(named, 5);	/* BMP280 x3, BME280, BMP180 */
}

static void mcp3427_rows_say_where_they_are_configured(void **state)
{
	static struct wx_config cfg;
	const char *bus = NULL;

	(void)state;
	snprintf(WX_WINDVANE_CONFIG(&cfg)->bus, sizeof(WX_WINDVANE_CONFIG(&cfg)->bus), "/dev/i2c-1");
	WX_WINDVANE_CONFIG(&cfg)->address = 0x69;
	WX_WINDVANE_CONFIG(&cfg)->adc = WX_VANE_ADC_MCP3008;
	assert_int_equal(wx_windvane_driver.i2c_address(&cfg, &bus), -1);	/* on SPI */
	WX_WINDVANE_CONFIG(&cfg)->adc = WX_VANE_ADC_MCP3427;
	assert_int_equal(wx_windvane_driver.i2c_address(&cfg, &bus), 0x69);
	assert_string_equal(bus, "/dev/i2c-1");

	snprintf(WX_AIR_QUALITY_CONFIG(&cfg)->bus, sizeof(WX_AIR_QUALITY_CONFIG(&cfg)->bus), "/dev/i2c-3");
	WX_AIR_QUALITY_CONFIG(&cfg)->address = 0x6a;
	bus = NULL;
	assert_int_equal(wx_air_quality_driver.i2c_address(&cfg, &bus), 0x6a);
	assert_string_equal(bus, "/dev/i2c-3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_bosch_id_is_named_by_exactly_the_row_that_takes_it),
		cmocka_unit_test(mcp3427_rows_say_where_they_are_configured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
