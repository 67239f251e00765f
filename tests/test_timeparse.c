/* Spans and moments from the command line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "firmware/core/timeparse.h"

static void span_accepts_the_contract_units(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(wx_parse_span("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(wx_parse_span("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(wx_parse_span("24h", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(wx_parse_span("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
}

static void span_rejects_anything_else(void **state)
{
	static const char *bad[] = { "", "h", "24", "24x", "-1h", "1.5h", "24h ", " 24h",
				     "99999999999999999999d", "4000d", "1hh" };
	int64_t s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wx_parse_span(bad[i], &s) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void when_reads_unix_relative_and_iso_utc(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(wx_parse_when("1700000000", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(wx_parse_when("-24h", 1700000000, &t), 0);
	assert_int_equal(t, 1700000000 - 86400);
	assert_int_equal(wx_parse_when("now", 42, &t), 0);
	assert_int_equal(t, 42);
	assert_int_equal(wx_parse_when("2023-11-14T22:13:20Z", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(wx_parse_when("2023-11-14T23:13:20+01:00", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(wx_parse_when("2023-11-14T17:13:20-0500", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(wx_parse_when("2024-02-29Z", 0, &t), 0);
	assert_int_equal(t, 1709164800);
}

static void when_without_offset_is_local_time(void **state)
{
	int64_t t;

	(void)state;
	setenv("TZ", "Europe/London", 1);
	assert_int_equal(wx_parse_when("2023-07-01T12:00", 0, &t), 0);
	assert_int_equal(t, 1688209200);	/* 11:00 UTC in summer time */
	assert_int_equal(wx_parse_when("2023-01-01 12:00:00", 0, &t), 0);
	assert_int_equal(t, 1672574400);
	unsetenv("TZ");
}

static void when_rejects_impossible_dates(void **state)
{
	static const char *bad[] = { "2023-02-29", "2023-13-01", "2023-00-10", "2023-1-1",
				     "2023-01-01T24:00", "2023-01-01T12", "2023-01-01T12:00+5",
				     "yesterday", "-", "-x", "1700000000000000", "2023-01-01Tx",
				     "2023-01-01T12:00Zjunk", "" };
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wx_parse_when(bad[i], 0, &t) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(span_accepts_the_contract_units),
		cmocka_unit_test(span_rejects_anything_else),
		cmocka_unit_test(when_reads_unix_relative_and_iso_utc),
		cmocka_unit_test(when_without_offset_is_local_time),
		cmocka_unit_test(when_rejects_impossible_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
