/* `wxctl status`: which status answers count as "in error" (exit 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "firmware/wxctl/status_print.h"

/* A healthy answer, shaped as firmware/daemon_answer.c writes it. */
#define HEALTHY_HEAD \
	"{\"station\":\"s\",\"clock_synchronized\":true," \
	"\"storage\":{\"database\":\"wx.db\",\"status\":\"ok\",\"pending_records\":0}," \
	"\"sensors\":{\"bme280\":{\"status\":\"ok\",\"since\":1},\"rain\":{\"status\":\"starting\"}},"

static bool in_error(const char *json, char *why, size_t len)
{
	struct wx_status st;

	/* These answers are partial on purpose: what is there still counts. */
	wx_status_from_json(json, &st, NULL, 0);
	assert_true(st.has != 0);
	return wx_status_in_error(&st, why, len);
}

static void status_healthy_or_starting_is_not_an_error(void **state)
{
	char why[64];

	(void)state;
	assert_false(in_error(HEALTHY_HEAD "\"uploads\":{}}", why, sizeof(why)));
	/* An upload that failed once and has delivered since. */
	assert_false(in_error(HEALTHY_HEAD "\"uploads\":{\"mqtt\":{\"connected\":true,"
			      "\"last_success\":200,\"last_error\":\"x\",\"last_error_at\":100}}}",
			      why, sizeof(why)));
	/* Never succeeded, never failed: nothing to send yet. */
	assert_false(in_error(HEALTHY_HEAD "\"uploads\":{\"initialstate\":{\"last_success\":0}}}",
			      why, sizeof(why)));
}

static void status_failing_sensor_storage_clock_or_upload_is_an_error(void **state)
{
	char why[64];

	(void)state;
	assert_true(in_error("{\"clock_synchronized\":true,\"sensors\":{\"bme280\":{\"status\":"
			     "\"ok\"},\"ds18b20\":{\"status\":\"error\",\"error\":\"CRC\"}}}",
			     why, sizeof(why)));
	assert_string_equal(why, "sensor ds18b20");
	assert_true(in_error("{\"clock_synchronized\":true,\"storage\":{\"status\":\"error\"}}",
			     why, sizeof(why)));
	assert_string_equal(why, "storage");
	assert_true(in_error("{\"clock_synchronized\":false}", why, sizeof(why)));
	assert_string_equal(why, "clock not synchronised");
	/* The broker refuses: the last error is newer than the last success. */
	assert_true(in_error(HEALTHY_HEAD "\"uploads\":{\"mqtt\":{\"connected\":false,"
			     "\"last_success\":100,\"last_error\":\"refused\",\"last_error_at\":160}}}",
			     why, sizeof(why)));
	assert_string_equal(why, "upload mqtt");
	assert_true(in_error(HEALTHY_HEAD "\"uploads\":{\"initialstate\":{\"last_success\":0,"
			     "\"last_error\":\"401\",\"last_error_at\":5}}}", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_healthy_or_starting_is_not_an_error),
		cmocka_unit_test(status_failing_sensor_storage_clock_or_upload_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
