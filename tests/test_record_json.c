/* A record as JSON and back: what wxd answers on its live socket and what
 * wxctl reads from it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "firmware/core/record_json.h"
#include "firmware/wxctl/status_print.h"

static void record_survives_json_and_back(void **state)
{
	struct wx_record r, back;
	char *s;
	cJSON *o;

	(void)state;
	wx_record_init(&r, 1700000000);
	wx_record_set(&r, WX_TEMPERATURE_C, 12.5);
	wx_record_set(&r, WX_PRESSURE_HPA, 1002.25);
	s = wx_record_to_json(&r, "fairhaven-ms", WX_IN_LIVE);
	assert_non_null(s);
	o = cJSON_Parse(s);
	assert_non_null(o);
	wx_record_from_json(o, &back);
	assert_int_equal(back.ts, 1700000000);
	assert_true(wx_record_has(&back, WX_TEMPERATURE_C));
	assert_float_equal(back.v[WX_TEMPERATURE_C], 12.5, 1e-9);
	assert_float_equal(back.v[WX_PRESSURE_HPA], 1002.25, 1e-9);
	assert_false(wx_record_has(&back, WX_HUMIDITY_PCT));
	cJSON_Delete(o);
	free(s);
}

/* Found by fuzz/fuzz_reply.c: {"ts":1e999} made wxctl cast inf to int64_t. */
static void record_from_json_reads_unrepresentable_ts_as_zero(void **state)
{
	static const char *const texts[] = {
		"{\"ts\":1e999,\"temperature_c\":-1e999}",
		"{\"ts\":-1e999}",
		"{\"ts\":1e19}",
		"{\"ts\":-9.3e18}",
	};
	struct wx_record r;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cJSON *o = cJSON_Parse(texts[i]);

		assert_non_null(o);
		wx_record_from_json(o, &r);
		assert_int_equal(r.ts, 0);
		assert_false(wx_record_has(&r, WX_TEMPERATURE_C));
		cJSON_Delete(o);
	}
}

static void record_from_json_takes_anything_cjson_parsed(void **state)
{
	static const char *const texts[] = { "null", "[1,2]", "\"ts\"", "{\"ts\":\"1\"}" };
	struct wx_record r;

	(void)state;
	wx_record_from_json(NULL, &r);
	assert_int_equal(r.ts, 0);
	assert_int_equal(r.valid, 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cJSON *o = cJSON_Parse(texts[i]);

		assert_non_null(o);
		wx_record_from_json(o, &r);
		assert_int_equal(r.ts, 0);
		assert_int_equal(r.valid, 0);
		cJSON_Delete(o);
	}
}

/* A malformed status answer (sensors and uploads as arrays) prints no
 * "(null)" names: found by reading the fuzz target's code path. */
static void status_print_ignores_sensors_given_as_an_array(void **state)
{
	cJSON *o = cJSON_Parse("{\"version\":\"1\",\"station\":\"s\",\"sensors\":[1,{\"status\":\"ok\"}],"
			       "\"uploads\":[\"mqtt\"],\"storage\":{}}");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(o);
	assert_non_null(f);
	{
		static struct wx_status st;

		assert_int_equal(wx_status_from_cjson(o, &st, NULL, 0), -EINVAL);
		wx_status_print(f, &st);
	}
	fclose(f);
	assert_null(strstr(buf, "(null)"));
	assert_non_null(strstr(buf, "sensors:"));
	free(buf);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_survives_json_and_back),
		cmocka_unit_test(record_from_json_reads_unrepresentable_ts_as_zero),
		cmocka_unit_test(record_from_json_takes_anything_cjson_parsed),
		cmocka_unit_test(status_print_ignores_sensors_given_as_an_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
