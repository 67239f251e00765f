/* The sampler's view of the network side (firmware/netside.c): what it
 * keeps of an untrusted "net-status" report, and how status shows the
 * network side.  WXD_NET_UNIT=1: no child is started here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "firmware/netside.h"
#include "firmware/wxctl/status_print.h"

static struct wx_netside *open_with_mqtt(void)
{
	static struct wx_config cfg;

	wx_config_defaults(&cfg);
	cfg.mqtt.enabled = true;
	setenv("WXD_NET_UNIT", "1", 1);
	return wx_netside_open(&cfg, "/nonexistent.conf", false, false);
}

static char *status_of(struct wx_netside *n)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	wx_netside_status(n, o);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void netside_keeps_only_the_expected_keys_of_a_report(void **state)
{
	struct wx_netside *n = open_with_mqtt();
	char *s;

	(void)state;
	assert_non_null(n);
	assert_int_equal(wx_netside_report(n,
		"{\"uploads\":{\"mqtt\":{\"connected\":true,\"backlog\":3,\"cursor_ts\":1700000060,"
		"\"sent\":7,\"last_success\":1700000061,\"evil\":\"x\",\"last_error\":\"broker down\\nsecond line\","
		"\"last_error_at\":1700000000},\"Bad Name\":{\"backlog\":1},\"x\":[1],"
		"\"initialstate\":{\"backlog\":\"many\",\"sent\":-5}},\"more\":1}"), 0);
	s = status_of(n);
	assert_string_equal(s,
		"{\"uploads\":{\"mqtt\":{\"connected\":true,\"backlog\":3,\"cursor_ts\":1700000060,\"sent\":7,"
		"\"last_success\":1700000061,\"last_error\":\"broker down\",\"last_error_at\":1700000000},"
		"\"initialstate\":{}},"
		"\"network\":{\"configured\":true,\"running\":true,\"status\":\"running\",\"process\":\"unit\","
		"\"restarts\":0,\"report_age_s\":0}}");
	free(s);
	wx_netside_close(n);
}

static void netside_refuses_what_is_not_a_report(void **state)
{
	struct wx_netside *n = open_with_mqtt();
	char big[WX_NETSIDE_MAX_REPORT + 64];
	char *s;

	(void)state;
	assert_int_equal(wx_netside_report(n, "not json"), -EINVAL);
	assert_int_equal(wx_netside_report(n, "{\"uploads\":[1,2]}"), -EINVAL);
	assert_int_equal(wx_netside_report(n, "[]"), -EINVAL);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"uploads\":{}}", 14);
	assert_int_equal(wx_netside_report(n, big), -EINVAL);
	/* Nothing reported yet: starting, not an error. */
	s = status_of(n);
	assert_non_null(strstr(s, "\"status\":\"starting\""));
	assert_non_null(strstr(s, "\"uploads\":{}"));
	free(s);
	wx_netside_close(n);
}

static void netside_not_running_makes_status_an_upload_error(void **state)
{
	const char *down = "{\"uploads\":{},\"network\":{\"configured\":true,\"running\":false,"
			   "\"status\":\"not running\"}}";
	const char *up = "{\"uploads\":{},\"network\":{\"configured\":true,\"running\":true,"
			 "\"status\":\"running\"}}";
	const char *none = "{\"uploads\":{},\"network\":{\"configured\":false,\"running\":false,"
			   "\"status\":\"not configured\"}}";
	struct wx_status st;
	char why[128];

	(void)state;
	wx_status_from_json(down, &st, NULL, 0);
	assert_true(wx_status_in_error(&st, why, sizeof(why)));
	assert_string_equal(why, "upload network side not running");
	wx_status_from_json(up, &st, NULL, 0);
	assert_false(wx_status_in_error(&st, why, sizeof(why)));
	wx_status_from_json(none, &st, NULL, 0);
	assert_false(wx_status_in_error(&st, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netside_keeps_only_the_expected_keys_of_a_report),
		cmocka_unit_test(netside_refuses_what_is_not_a_report),
		cmocka_unit_test(netside_not_running_makes_status_an_upload_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
