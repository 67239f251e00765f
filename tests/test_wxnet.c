/* The weather networks' encoders and answer readers, checked against what
 * each protocol documents: field names, units, rounding, the time format,
 * APRS's fixed-width fields, and the answers that mean success, bad
 * credentials, too many requests or garbage.  The uploads themselves are in
 * test_wxnet_upload.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/core/record.h"
#include "uploader/uploaders.h"
#include "uploader/wxnet.h"

/* 2023-11-14 22:13:20 UTC */
#define T0 1700000000LL

static struct wx_net_rain rain_of(double hour, double day, double today, double since)
{
	struct wx_net_rain r = { true, hour, day, today, since };

	return r;
}

static void full_record(struct wx_record *r)
{
	wx_record_init(r, T0);
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, 21.37);		/* 70.466 °F */
	wx_record_set(r, WX_HUMIDITY_PCT, 55.4);
	wx_record_set(r, WX_PRESSURE_HPA, 1011.0);		/* station: never sent */
	wx_record_set(r, WX_SEA_LEVEL_PRESSURE_HPA, 1013.25);	/* 29.9213 inHg */
	wx_record_set(r, WX_DEW_POINT_C, 10.0);		/* 50.0 °F */
	wx_record_set(r, WX_GROUND_TEMPERATURE_C, 5.0);	/* 41.0 °F */
	wx_record_set(r, WX_WIND_SPEED_KMH, 16.09344);		/* 10 mph, 4.47 m/s */
	wx_record_set(r, WX_WIND_GUST_KMH, 32.18688);		/* 20 mph, 8.94 m/s */
	wx_record_set(r, WX_WIND_DIRECTION_DEG, 271.6);
	wx_record_set(r, WX_RAIN_MM, 0.2794);
}

static void wu_query_converts_to_us_units_with_the_protocols_decimals(void **state)
{
	struct wx_record r;
	struct wx_net_rain rain = rain_of(2.54, 30.0, 12.7, 1.0);
	char q[2048];

	(void)state;
	full_record(&r);
	assert_true(wx_wu_query(&r, &rain, "KNJFAIRH12", "s3cret&key", q, sizeof(q)) > 0);
	assert_string_equal(q,
		"ID=KNJFAIRH12&PASSWORD=s3cret%26key&action=updateraw"
		"&dateutc=2023-11-14+22%3A13%3A20"
		"&tempf=70.5&humidity=55&dewptf=50.0&baromin=29.921"
		"&windspeedmph=10.0&windgustmph=20.0&winddir=272"
		"&rainin=0.10&dailyrainin=0.50&soiltempf=41.0"
		"&softwaretype=wxd-" WX_VERSION);
}

static void wu_query_leaves_out_null_values_and_never_sends_a_null_winddir(void **state)
{
	struct wx_record r;
	char q[2048];

	(void)state;
	wx_record_init(&r, T0);
	wx_record_set(&r, WX_TEMPERATURE_C, -17.8);	/* -0.04 °F: "0.0", never "-0.0" */
	assert_true(wx_wu_query(&r, NULL, "ID1", "pw", q, sizeof(q)) > 0);
	assert_string_equal(q, "ID=ID1&PASSWORD=pw&action=updateraw&dateutc=2023-11-14+22%3A13%3A20"
			    "&tempf=0.0&softwaretype=wxd-" WX_VERSION);
	assert_null(strstr(q, "winddir"));
	assert_null(strstr(q, "rainin"));
	wx_record_set(&r, WX_TEMPERATURE_C, -20.0);
	assert_true(wx_wu_query(&r, NULL, "ID1", "pw", q, sizeof(q)) > 0);
	assert_non_null(strstr(q, "&tempf=-4.0&"));
}

static void wu_query_says_when_it_does_not_fit(void **state)
{
	struct wx_record r;
	char q[40];

	(void)state;
	full_record(&r);
	assert_int_equal(wx_wu_query(&r, NULL, "KNJFAIRH12", "pw", q, sizeof(q)), -ENOSPC);
}

static void wow_query_sends_site_key_and_rain_since_the_last_observation(void **state)
{
	struct wx_record r;
	struct wx_net_rain rain = rain_of(2.54, 30.0, 12.7, 1.27);
	char q[2048];

	(void)state;
	full_record(&r);
	assert_true(wx_wow_query(&r, &rain, "987654", "123456", q, sizeof(q)) > 0);
	assert_string_equal(q,
		"siteid=987654&siteAuthenticationKey=123456&dateutc=2023-11-14+22%3A13%3A20"
		"&tempf=70.5&humidity=55&dewptf=50.0&baromin=29.921"
		"&windspeedmph=10.0&windgustmph=20.0&winddir=272"
		"&rainin=0.05&dailyrainin=0.50&soiltempf=41.0"
		"&softwaretype=wxd-" WX_VERSION);
}

static void windy_query_sends_metric_fields_and_iso_time(void **state)
{
	struct wx_record r;
	struct wx_net_rain rain = rain_of(2.54, 30.0, 12.7, 1.0);
	char q[2048];

	(void)state;
	full_record(&r);
	assert_true(wx_windy_query(&r, &rain, "f0a1b2", "pass word", q, sizeof(q)) > 0);
	assert_string_equal(q,
		"id=f0a1b2&PASSWORD=pass+word&time=2023-11-14T22%3A13%3A20Z"
		"&temp=21.4&wind=4.5&gust=8.9&winddir=272&humidity=55&dewpoint=10.0"
		"&mbar=1013.3&precip=2.5");
}

static void aprs_position_is_ddmm_hh_with_leading_zeros(void **state)
{
	char p[19];

	(void)state;
	wx_aprs_position(40.3587, -74.0646, p);		/* docs/contract.md's example station */
	assert_string_equal(p, "4021.52N/07403.88W");
	wx_aprs_position(42.340833, -71.4765, p);	/* CW0003's 4220.45N/07128.59W */
	assert_string_equal(p, "4220.45N/07128.59W");
	wx_aprs_position(-33.8688, 151.2093, p);
	assert_string_equal(p, "3352.13S/15112.56E");
	wx_aprs_position(10.99999, -0.5, p);		/* 59.9994' carries into the degree */
	assert_string_equal(p, "1100.00N/00030.00W");
	wx_aprs_position(5.0, 9.0, p);
	assert_string_equal(p, "0500.00N/00900.00E");
}

static void aprs_packet_is_the_complete_weather_report(void **state)
{
	struct wx_record r;
	struct wx_net_rain rain = rain_of(0.254, 19.812, 12.19, 0);
	char pk[256];

	(void)state;
	wx_record_init(&r, T0);
	wx_record_set(&r, WX_WIND_DIRECTION_DEG, 32.0);
	wx_record_set(&r, WX_WIND_SPEED_KMH, 8.04672);		/* 5 mph */
	wx_record_set(&r, WX_WIND_GUST_KMH, 12.874752);	/* 8 mph */
	wx_record_set(&r, WX_TEMPERATURE_C, 12.2);		/* 53.96 °F */
	wx_record_set(&r, WX_HUMIDITY_PCT, 50.0);
	wx_record_set(&r, WX_SEA_LEVEL_PRESSURE_HPA, 1024.5);
	wx_record_set(&r, WX_RAIN_MM, 0.254);
	assert_true(wx_aprs_packet(&r, &rain, "EW1234", 42.340833, -71.4765, pk, sizeof(pk)) > 0);
	assert_string_equal(pk, "EW1234>APRS,TCPIP*:/142213z4220.45N/07128.59W"
			    "_032/005g008t054r001p078P048h50b10245\r\n");
}

static void aprs_packet_writes_dots_negatives_and_h00(void **state)
{
	struct wx_record r;
	char pk[256];

	(void)state;
	wx_record_init(&r, T0);
	assert_true(wx_aprs_packet(&r, NULL, "EW1234", 40.3587, -74.0646, pk, sizeof(pk)) > 0);
	assert_string_equal(pk, "EW1234>APRS,TCPIP*:/142213z4021.52N/07403.88W"
			    "_.../...g...t...r...p...P...h..b.....\r\n");
	wx_record_set(&r, WX_TEMPERATURE_C, -20.6);	/* -5.08 °F */
	wx_record_set(&r, WX_HUMIDITY_PCT, 99.6);	/* rounds to 100: h00 */
	wx_record_set(&r, WX_WIND_DIRECTION_DEG, 0.2);	/* north is 360 */
	wx_record_set(&r, WX_SEA_LEVEL_PRESSURE_HPA, 987.04);
	assert_true(wx_aprs_packet(&r, NULL, "EW1234", 40.3587, -74.0646, pk, sizeof(pk)) > 0);
	assert_non_null(strstr(pk, "_360/...g...t-05r...p...P...h00b09870\r\n"));
	wx_record_set(&r, WX_TEMPERATURE_C, -17.5);	/* 0.5 °F -> t001 (rounded half away) */
	wx_record_set(&r, WX_HUMIDITY_PCT, 3.0);
	assert_true(wx_aprs_packet(&r, NULL, "EW1234", 40.3587, -74.0646, pk, sizeof(pk)) > 0);
	assert_non_null(strstr(pk, "t001r...p...P...h03b"));
}

static void aprs_login_uses_pass_minus_one_and_names_the_software(void **state)
{
	char l[128];

	(void)state;
	assert_true(wx_aprs_login("EW1234", l, sizeof(l)) > 0);
	assert_string_equal(l, "user EW1234 pass -1 vers wxd " WX_VERSION "\r\n");
}

static void wu_answers_are_read_as_the_service_means_them(void **state)
{
	(void)state;
	assert_int_equal(wx_wu_answer(200, "success\n"), WX_NET_OK);
	assert_int_equal(wx_wu_answer(200, "INVALIDPASSWORDID|Password or key and/or id are incorrect\n"),
			 WX_NET_CREDENTIALS);
	assert_int_equal(wx_wu_answer(200, "ERROR: Station not found"), WX_NET_CREDENTIALS);
	assert_int_equal(wx_wu_answer(401, "unauthorized"), WX_NET_CREDENTIALS);
	assert_int_equal(wx_wu_answer(429, ""), WX_NET_RATE);
	assert_int_equal(wx_wu_answer(503, "<html>busy</html>"), WX_NET_RETRY);
	assert_int_equal(wx_wu_answer(200, "<html>captive portal</html>"), WX_NET_RETRY);
	assert_int_equal(wx_wu_answer(200, ""), WX_NET_RETRY);
	assert_int_equal(wx_wu_answer(200, NULL), WX_NET_RETRY);
}

static void wow_and_windy_answers_are_read_as_the_services_mean_them(void **state)
{
	(void)state;
	assert_int_equal(wx_wow_answer(200, ""), WX_NET_OK);
	assert_int_equal(wx_wow_answer(403, "Forbidden"), WX_NET_CREDENTIALS);
	assert_int_equal(wx_wow_answer(401, ""), WX_NET_CREDENTIALS);
	assert_int_equal(wx_wow_answer(429, ""), WX_NET_RATE);
	assert_int_equal(wx_wow_answer(500, ""), WX_NET_RETRY);
	assert_int_equal(wx_windy_answer(200, "SUCCESS"), WX_NET_OK);
	assert_int_equal(wx_windy_answer(200, "NOTICE: Measurement too close to the previous one"),
			 WX_NET_OK_NOTICE);
	assert_int_equal(wx_windy_answer(401, "Unauthorized"), WX_NET_CREDENTIALS);
	assert_int_equal(wx_windy_answer(400, "Invalid station password"), WX_NET_CREDENTIALS);
	assert_int_equal(wx_windy_answer(429, "Too many requests"), WX_NET_RATE);
	assert_int_equal(wx_windy_answer(502, ""), WX_NET_RETRY);
	assert_int_equal(wx_windy_answer(200, "<html>"), WX_NET_RETRY);
}

static void param_percent_encodes_and_uses_plus_for_space(void **state)
{
	char q[64] = "";

	(void)state;
	assert_int_equal(wx_net_param(q, sizeof(q), "a", "x y/z:1~_.-"), 0);
	assert_string_equal(q, "a=x+y%2Fz%3A1~_.-");
	assert_int_equal(wx_net_param(q, sizeof(q), "b", "é"), 0);
	assert_string_equal(q, "a=x+y%2Fz%3A1~_.-&b=%C3%A9");
	assert_int_equal(wx_net_param(q, 20, "c", "toolong"), -ENOSPC);
}

static void every_network_has_its_row_and_backfill(void **state)
{
	static const struct { const char *name; enum wx_backfill b; } want[] = {
		{ "wunderground", WX_BACKFILL_DAYS }, { "pwsweather", WX_BACKFILL_DAYS },
		{ "wow", WX_BACKFILL_DAYS }, { "windy", WX_BACKFILL_NONE },
		{ "cwop", WX_BACKFILL_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < wx_destination_count; j++) {
			if (strcmp(wx_destinations[j].name, want[i].name))
				continue;
			found = true;
			assert_string_equal(wx_destinations[j].section, want[i].name);
			assert_int_equal(wx_destinations[j].backfill, want[i].b);
		}
		if (!found)
			fail_msg("no row for %s", want[i].name);
	}
}

static void conversions_match_the_definitions(void **state)
{
	(void)state;
	assert_float_equal(wx_net_f(100), 212, 1e-9);
	assert_float_equal(wx_net_mph(1.609344), 1, 1e-9);
	assert_float_equal(wx_net_ms(36), 10, 1e-9);
	assert_float_equal(wx_net_inhg(1013.25), 29.9213, 1e-4);
	assert_float_equal(wx_net_in(25.4), 1, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wu_query_converts_to_us_units_with_the_protocols_decimals),
		cmocka_unit_test(wu_query_leaves_out_null_values_and_never_sends_a_null_winddir),
		cmocka_unit_test(wu_query_says_when_it_does_not_fit),
		cmocka_unit_test(wow_query_sends_site_key_and_rain_since_the_last_observation),
		cmocka_unit_test(windy_query_sends_metric_fields_and_iso_time),
		cmocka_unit_test(aprs_position_is_ddmm_hh_with_leading_zeros),
		cmocka_unit_test(aprs_packet_is_the_complete_weather_report),
		cmocka_unit_test(aprs_packet_writes_dots_negatives_and_h00),
		cmocka_unit_test(aprs_login_uses_pass_minus_one_and_names_the_software),
		cmocka_unit_test(wu_answers_are_read_as_the_service_means_them),
		cmocka_unit_test(wow_and_windy_answers_are_read_as_the_services_mean_them),
		cmocka_unit_test(param_percent_encodes_and_uses_plus_for_space),
		cmocka_unit_test(every_network_has_its_row_and_backfill),
		cmocka_unit_test(conversions_match_the_definitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
