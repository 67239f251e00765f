/* Tests of firmware/wxctl/oracle_import.c: rows exported from the original
 * Oracle Weather Station table WEATHER_MEASUREMENT, with and without a
 * header, quoted, with NULLs and the kit's sentinels, across the summer
 * time changes of Europe/London, and bad lines. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/wxctl/oracle_import.h"

#define MAX_ROWS 16

struct sink {
	struct wx_record rows[MAX_ROWS];
	int n;
	char errors[8][256];
	int nerr;
	int stop_after;		/* 0: never */
};

static int on_row(const struct wx_record *r, void *arg)
{
	struct sink *s = arg;

	if (s->stop_after && s->n == s->stop_after)
		return -ECANCELED;
	assert_true(s->n < MAX_ROWS);
	s->rows[s->n++] = *r;
	return 0;
}

static void on_error(const char *msg, void *arg)
{
	struct sink *s = arg;

	if (s->nerr < 8)
		snprintf(s->errors[s->nerr], sizeof(s->errors[0]), "%s", msg);
	s->nerr++;
}

static int run(const char *text, struct sink *s, struct wx_oracle_import_stats *st)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(f);
	rc = wx_oracle_import_stream(f, "old.csv", on_row, on_error, s, st);
	fclose(f);
	return rc;
}

static int london(void **state)
{
	(void)state;
	setenv("TZ", "Europe/London", 1);
	tzset();
	return 0;
}

/* 2016-06-01 12:00:00 BST = 11:00 UTC */
#define JUNE_1_1100_UTC 1464778800LL

static void import_reads_rows_with_a_header_in_any_column_order(void **state)
{
	struct sink s = { 0 };
	struct wx_oracle_import_stats st;
	const char *text =
		"CREATED,ID,REMOTE_ID,AMBIENT_TEMPERATURE,GROUND_TEMPERATURE,AIR_QUALITY,"
		"AIR_PRESSURE,HUMIDITY,WIND_DIRECTION,WIND_SPEED,WIND_GUST_SPEED,RAINFALL\n"
		"2016-06-01 12:00:00,1,77,18.25,14.5,62.3,1012.4,55.1,225,10.8,21.6,0.28\n"
		"2016-06-01 12:05:00,2,NULL,18.5,14.5,62.0,1012.3,54.0,247.5,3.6,7.2,0\n";

	(void)state;
	assert_int_equal(run(text, &s, &st), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(st.imported, 2);
	assert_int_equal(st.rejected, 0);
	assert_int_equal(st.lines, 3);
	assert_int_equal(s.rows[0].ts, JUNE_1_1100_UTC);
	assert_int_equal(s.rows[0].interval_s, 300);	/* no previous row */
	assert_true(s.rows[0].v[WX_TEMPERATURE_C] == 18.25);
	assert_true(s.rows[0].v[WX_GROUND_TEMPERATURE_C] == 14.5);
	assert_true(s.rows[0].v[WX_AIR_QUALITY_PCT] == 62.3);
	assert_true(s.rows[0].v[WX_PRESSURE_HPA] == 1012.4);
	assert_true(s.rows[0].v[WX_HUMIDITY_PCT] == 55.1);
	assert_true(s.rows[0].v[WX_WIND_DIRECTION_DEG] == 225);
	assert_true(s.rows[0].v[WX_WIND_SPEED_KMH] == 10.8);
	assert_true(s.rows[0].v[WX_WIND_GUST_KMH] == 21.6);
	assert_true(s.rows[0].v[WX_RAIN_MM] == 0.28);
	assert_false(wx_record_has(&s.rows[0], WX_WIND_PULSES));
	assert_false(wx_record_has(&s.rows[0], WX_RAIN_TIPS));
	assert_int_equal(s.rows[1].ts, JUNE_1_1100_UTC + 300);
	assert_int_equal(s.rows[1].interval_s, 300);
	assert_true(wx_record_has(&s.rows[1], WX_RAIN_MM) && s.rows[1].v[WX_RAIN_MM] == 0);
}

static void import_reads_the_create_sql_order_without_a_header(void **state)
{
	struct sink s = { 0 };
	const char *text =
		"5,NULL,18.25,14.5,62.3,1012.4,55.1,225,10.8,21.6,0.28,2016-06-01 12:00:00\r\n"
		"6,NULL,18.0,14.5,62.3,1012.4,55.1,225,10.8,21.6,0.28,2016-06-01 12:10\r\n";

	(void)state;
	assert_int_equal(run(text, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rows[0].ts, JUNE_1_1100_UTC);
	assert_true(s.rows[0].v[WX_RAIN_MM] == 0.28);
	/* The interval is the gap to the previous row. */
	assert_int_equal(s.rows[1].interval_s, 600);
}

static void import_reads_quoted_fields_and_mysql_tab_exports(void **state)
{
	struct sink s = { 0 };
	const char *csv =
		"\"ID\",\"REMOTE_ID\",\"AMBIENT_TEMPERATURE\",\"GROUND_TEMPERATURE\",\"AIR_QUALITY\","
		"\"AIR_PRESSURE\",\"HUMIDITY\",\"WIND_DIRECTION\",\"WIND_SPEED\",\"WIND_GUST_SPEED\","
		"\"RAINFALL\",\"CREATED\"\n"
		"\"7\",\"\",\"18.25\", \"14.5\" ,\"62.3\",\"1012.4\",\"55.1\",\"NULL\",\"10.8\","
		"\"21.6\",\"0.28\",\"2016-06-01T12:00:00\"\n";
	const char *tsv = "8\t\\N\t-1.5\t\\N\t62.3\t1012.4\t55.1\t0\t0\t0\t0\t2016-06-01 12:00:00\n";

	(void)state;
	assert_int_equal(run(csv, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rows[0].ts, JUNE_1_1100_UTC);
	assert_true(s.rows[0].v[WX_GROUND_TEMPERATURE_C] == 14.5);
	assert_false(wx_record_has(&s.rows[0], WX_WIND_DIRECTION_DEG));
	assert_int_equal(run(tsv, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.rows[1].v[WX_TEMPERATURE_C] == -1.5);
	assert_false(wx_record_has(&s.rows[1], WX_GROUND_TEMPERATURE_C));
	/* North, calm and dry are values, not unknowns. */
	assert_true(wx_record_has(&s.rows[1], WX_WIND_DIRECTION_DEG));
	assert_true(wx_record_has(&s.rows[1], WX_WIND_SPEED_KMH));
	assert_true(wx_record_has(&s.rows[1], WX_RAIN_MM));
}

static void import_turns_the_kits_sentinels_into_null(void **state)
{
	struct sink s = { 0 };
	const char *text =
		"1,NULL,-255,-255.00,62.3,0,-255,90,5,9,0,2016-06-01 12:00:00\n"
		"2,NULL,0,85.00,62.3,101.24,0,90,5,9,0,2016-06-01 12:05:00\n";

	(void)state;
	assert_int_equal(run(text, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_false(wx_record_has(&s.rows[0], WX_TEMPERATURE_C));
	assert_false(wx_record_has(&s.rows[0], WX_GROUND_TEMPERATURE_C));
	assert_false(wx_record_has(&s.rows[0], WX_PRESSURE_HPA));
	assert_false(wx_record_has(&s.rows[0], WX_HUMIDITY_PCT));
	assert_true(wx_record_has(&s.rows[0], WX_AIR_QUALITY_PCT));
	/* 0 °C and 0 % humidity are real; 85.00 in the ground is the DS18B20's
	 * power-on value; 101.24 is the early software's kPa. */
	assert_true(wx_record_has(&s.rows[1], WX_TEMPERATURE_C) &&
		    s.rows[1].v[WX_TEMPERATURE_C] == 0);
	assert_true(wx_record_has(&s.rows[1], WX_HUMIDITY_PCT));
	assert_false(wx_record_has(&s.rows[1], WX_GROUND_TEMPERATURE_C));
	assert_true(fabs(s.rows[1].v[WX_PRESSURE_HPA] - 1012.4) < 1e-9);
}

/* 2016-10-30: BST ends at 02:00 BST = 01:00 UTC; local 01:00..01:59 twice. */
#define OCT_30_0000_UTC 1477785600LL

static void import_orders_the_repeated_hour_at_the_end_of_summer_time(void **state)
{
	struct sink s = { 0 };
	const char *text =
		"1,NULL,9,9,50,1000,80,0,0,0,0,2016-10-30 01:50:00\n"	/* BST */
		"2,NULL,9,9,50,1000,80,0,0,0,0,2016-10-30 01:55:00\n"	/* BST */
		"3,NULL,9,9,50,1000,80,0,0,0,0,2016-10-30 01:00:00\n"	/* GMT */
		"4,NULL,9,9,50,1000,80,0,0,0,0,2016-10-30 01:05:00\n";	/* GMT */
	int64_t ts;

	(void)state;
	assert_int_equal(run(text, &s, NULL), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.rows[0].ts, OCT_30_0000_UTC + 50 * 60);
	assert_int_equal(s.rows[1].ts, OCT_30_0000_UTC + 55 * 60);
	assert_int_equal(s.rows[2].ts, OCT_30_0000_UTC + 3600);
	assert_int_equal(s.rows[2].interval_s, 300);
	assert_int_equal(s.rows[3].ts, OCT_30_0000_UTC + 3600 + 300);
	/* Alone, the repeated hour is taken as the first (summer time) one. */
	assert_int_equal(wx_oracle_parse_created("2016-10-30 01:30:00", INT64_MIN, &ts), 0);
	assert_int_equal(ts, OCT_30_0000_UTC + 30 * 60);
	assert_int_equal(wx_oracle_parse_created("2016-10-30 01:30:00", OCT_30_0000_UTC + 3500,
						 &ts), 0);
	assert_int_equal(ts, OCT_30_0000_UTC + 3600 + 30 * 60);
}

static void import_rejects_the_skipped_hour_and_bad_lines_and_goes_on(void **state)
{
	struct sink s = { 0 };
	struct wx_oracle_import_stats st;
	const char *text =
		"1,NULL,9,9,50,1000,80,0,0,0,0,2016-03-27 00:55:00\n"
		"2,NULL,9,9,50,1000,80,0,0,0,0,2016-03-27 01:30:00\n"	/* does not exist */
		"3,NULL,9,9,abc,1000,80,0,0,0,0,2016-03-27 02:05:00\n"
		"4,NULL,9,9,50,1000,80,0,0,0\n"
		"5,NULL,9,9,50,1000,80,0,0,0,0,27/03/2016 02:10\n"
		"6,NULL,9,9,\"50,1000,80,0,0,0,0,2016-03-27 02:15:00\n"
		"\n"
		"7,NULL,9,9,50,1000,80,0,0,0,0,\n"
		"8,NULL,9,9,50,1000,80,0,0,0,0,2016-03-27 02:20:00\n";

	(void)state;
	assert_int_equal(run(text, &s, &st), 0);
	assert_int_equal(st.imported, 2);
	assert_int_equal(st.rejected, 6);
	assert_int_equal(st.lines, 9);
	assert_int_equal(s.nerr, 6);
	assert_string_equal(s.errors[0], "old.csv:2: CREATED \"2016-03-27 01:30:00\" does not "
		"exist in local time (the hour skipped when summer time starts): is TZ the "
		"station's zone?");
	assert_string_equal(s.errors[1], "old.csv:3: AIR_QUALITY: \"abc\" is not a number");
	assert_string_equal(s.errors[2], "old.csv:4: expected 12 fields, found 10");
	assert_string_equal(s.errors[3], "old.csv:5: CREATED \"27/03/2016 02:10\" is not a date "
		"and time like 2016-05-01 13:05:00");
	assert_string_equal(s.errors[4], "old.csv:6: unterminated quote or more than 32 fields");
	assert_string_equal(s.errors[5], "old.csv:8: CREATED is empty: the row cannot be placed "
		"in time");
	/* 00:55 GMT to 02:20 BST is 25 minutes. */
	assert_int_equal(s.rows[1].ts - s.rows[0].ts, 25 * 60);
	assert_int_equal(s.rows[1].interval_s, 25 * 60);
}

static void import_stops_on_an_unknown_header_column(void **state)
{
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(run("ID,TEMP,CREATED\n1,2,2016-06-01 12:00:00\n", &s, NULL), -EINVAL);
	assert_int_equal(s.n, 0);
	assert_string_equal(s.errors[0], "old.csv:1: unknown column \"TEMP\" (is this an export "
				 "of WEATHER_MEASUREMENT?)");
}

static void import_gives_up_when_no_line_of_the_start_is_good(void **state)
{
	struct sink s = { 0 };
	struct wx_oracle_import_stats st;
	char text[2048] = "";

	(void)state;
	for (int i = 0; i < 25; i++)
		strcat(text, "1,2,3\n");
	assert_int_equal(run(text, &s, &st), -EINVAL);
	assert_int_equal(st.rejected, 20);
	assert_non_null(strstr(s.errors[s.nerr < 8 ? s.nerr - 1 : 7], "old.csv"));
}

static void import_stops_when_the_caller_says_so(void **state)
{
	struct sink s = { .stop_after = 1 };
	struct wx_oracle_import_stats st;
	const char *text =
		"1,NULL,9,9,50,1000,80,0,0,0,0,2016-06-01 12:00:00\n"
		"2,NULL,9,9,50,1000,80,0,0,0,0,2016-06-01 12:05:00\n";

	(void)state;
	assert_int_equal(run(text, &s, &st), -ECANCELED);
	assert_int_equal(st.imported, 1);
}

static void import_file_names_a_missing_file(void **state)
{
	struct sink s = { 0 };
	char path[] = "/tmp/wxoracleXXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("\xEF\xBB\xBFID,REMOTE_ID,AMBIENT_TEMPERATURE,GROUND_TEMPERATURE,AIR_QUALITY,"
	      "AIR_PRESSURE,HUMIDITY,WIND_DIRECTION,WIND_SPEED,WIND_GUST_SPEED,RAINFALL,CREATED\n"
	      "1,NULL,9,9,50,1000,80,0,0,0,0,2016-06-01 12:00:00\n", f);
	fclose(f);
	assert_int_equal(wx_oracle_import_file(path, on_row, on_error, &s, NULL), 0);
	assert_int_equal(s.n, 1);
	unlink(path);
	assert_int_equal(wx_oracle_import_file(path, on_row, on_error, &s, NULL), -ENOENT);
	assert_non_null(strstr(s.errors[0], path));
	assert_non_null(strstr(s.errors[0], "cannot open"));
}

static void import_rejects_values_no_sensor_of_the_kit_can_give(void **state)
{
	struct sink s = { 0 };
	struct wx_oracle_import_stats st;
	const char *text =
		"1,NULL,1e308,9,50,1000,80,0,0,0,0,2016-06-01 12:00:00\n"
		"2,NULL,9,9,50,1000,1e308,0,0,0,0,2016-06-01 12:05:00\n"
		"3,NULL,9,9,50,1000,0x10,0,0,0,0,2016-06-01 12:10:00\n"
		"4,NULL,9,9,50,1000,80,0,0,0,-5,2016-06-01 12:15:00\n"
		"5,NULL,9,9,50,1000,80,0,0,0,0,9999-06-01 12:20:00\n"
		"6,NULL,9,9,50,1000,80,0,0,0,nan,2016-06-01 12:25:00\n"
		"7,NULL,9,9,50,1000,80,0,300,0,0,2016-06-01 12:30:00\n"
		"8,NULL,-40,-55,0,1100,100,360,250,250,0.2794,2016-06-01 12:35:00\n";

	(void)state;
	assert_int_equal(run(text, &s, &st), 0);
	assert_int_equal(st.rejected, 7);
	assert_int_equal(s.n, 1);	/* the last: every value at the edge of its range */
	assert_string_equal(s.errors[0], "old.csv:1: AMBIENT_TEMPERATURE: \"1e308\" is outside "
				 "-40 to 125 (the HTU21D's range)");
	assert_string_equal(s.errors[1], "old.csv:2: HUMIDITY: \"1e308\" is outside 0 to 100 "
				 "(a relative humidity)");
	assert_string_equal(s.errors[2], "old.csv:3: HUMIDITY: \"0x10\" is not a decimal number");
	assert_string_equal(s.errors[3], "old.csv:4: RAINFALL: \"-5\" is outside 0 to 1800 "
				 "(an hour at the gauge's highest rate)");
	assert_string_equal(s.errors[4], "old.csv:5: CREATED \"9999-06-01 12:20:00\" is in the "
				 "future");
	assert_string_equal(s.errors[5], "old.csv:6: RAINFALL: \"nan\" is not a number");
	assert_string_equal(s.errors[6], "old.csv:7: WIND_SPEED: \"300\" is outside 0 to 250 "
				 "(what the anemometer can count)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(import_reads_rows_with_a_header_in_any_column_order),
		cmocka_unit_test(import_reads_the_create_sql_order_without_a_header),
		cmocka_unit_test(import_reads_quoted_fields_and_mysql_tab_exports),
		cmocka_unit_test(import_turns_the_kits_sentinels_into_null),
		cmocka_unit_test(import_orders_the_repeated_hour_at_the_end_of_summer_time),
		cmocka_unit_test(import_rejects_the_skipped_hour_and_bad_lines_and_goes_on),
		cmocka_unit_test(import_stops_on_an_unknown_header_column),
		cmocka_unit_test(import_rejects_values_no_sensor_of_the_kit_can_give),
		cmocka_unit_test(import_gives_up_when_no_line_of_the_start_is_good),
		cmocka_unit_test(import_stops_when_the_caller_says_so),
		cmocka_unit_test(import_file_names_a_missing_file),
	};
	return cmocka_run_group_tests(tests, london, NULL);
}
