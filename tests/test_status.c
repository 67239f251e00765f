/* struct wx_status and its JSON (firmware/core/status.c): struct -> JSON ->
 * struct gives the same struct; the answers a real wxd gave (tests/status/
 * *.json, taken from `tool_wxsock SOCKET status` before the struct existed)
 * come back byte for byte, and print as the wxctl of then printed them
 * (tests/status/ *.txt); missing, unknown and mistyped keys give one clear
 * error and never a crash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "firmware/core/status.h"
#include "firmware/wxctl/status_print.h"

static struct wx_status a, b;	/* ~20 kB each: not on the stack */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		fail_msg("%s: cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* Every key of every part set, with values JSON keeps exactly. */
static void fill_everything(struct wx_status *st)
{
	struct wx_status_sensor *s;
	struct wx_status_upload *u;

	memset(st, 0, sizeof(*st));
	st->has = WX_ST_REQUIRED | WX_ST_SPEED;
	strcpy(st->station, "fairhaven-ms");
	strcpy(st->version, "0.1.0");
	st->simulated = true;
	st->speed = 0.25;
	st->ts = 1700000000;
	st->uptime_s = 86400;
	st->clock_synchronized = true;
	st->interval_s = 60;
	st->records_written = 1440;
	st->last_record_ts = 1699999980;
	st->storage.has = WX_STG_DATABASE | WX_STG_STATUS | WX_STG_ERROR | WX_STG_SINCE |
			  WX_STG_PENDING | WX_STG_LOST;
	strcpy(st->storage.database, "/var/lib/wxd/wx.db");
	st->storage.status = WX_STATUS_ERROR;
	strcpy(st->storage.error, "/var/lib/wxd/wx.db: disk I/O error");
	st->storage.since = 1699999000;
	st->storage.pending_records = 17;
	st->storage.lost_records = 2;
	s = wx_status_add_sensor(st, "bme280");
	assert_non_null(s);
	s->has = WX_SEN_STATUS | WX_SEN_ERROR | WX_SEN_SINCE | WX_SEN_LAST_OK | WX_SEN_FAILURES;
	s->status = WX_STATUS_ERROR;
	strcpy(s->error, "bme280 /dev/i2c-1 address 0x76: no reply");
	s->since = 1699999900;
	s->last_ok = 1699999890;
	s->failures = 9;
	s = wx_status_add_sensor(st, "anemometer");
	assert_non_null(s);
	s->has = WX_SEN_STATUS | WX_SEN_SINCE | WX_SEN_LAST_OK | WX_SEN_FAILURES | WX_SEN_LOST |
		 WX_SEN_REJECTED;
	s->status = WX_STATUS_OK;
	s->since = 1699990000;
	s->last_ok = 1700000000;
	s->edges_lost = 3;
	s->edges_rejected = 12;
	s = wx_status_add_sensor(st, "ds18b20");
	assert_non_null(s);
	s->has = WX_SEN_STATUS | WX_SEN_SINCE | WX_SEN_FAILURES;
	s->status = WX_STATUS_STARTING;
	u = wx_status_add_upload(st, "mqtt");
	assert_non_null(u);
	u->has = WX_UP_CONNECTED | WX_UP_BACKLOG | WX_UP_CURSOR | WX_UP_SENT | WX_UP_SKIPPED |
		 WX_UP_LAST_SUCCESS | WX_UP_LAST_ERROR | WX_UP_LAST_ERROR_AT;
	u->connected = true;
	u->backlog = 4;
	u->cursor_ts = 1699999740;
	u->sent = 1436;
	u->skipped = 1;
	u->last_success = 1699999741;
	strcpy(u->last_error, "mqtt 127.0.0.1:1883: connection lost");
	u->last_error_at = 1699999000;
	u = wx_status_add_upload(st, "windy");
	assert_non_null(u);
	u->has = WX_UP_BACKLOG;
	st->network.has = WX_NET_CONFIGURED | WX_NET_RUNNING | WX_NET_STATUS | WX_NET_PROCESS |
			  WX_NET_PID | WX_NET_RESTARTS | WX_NET_REPORT_AGE;
	st->network.configured = true;
	st->network.running = true;
	strcpy(st->network.status, "running");
	strcpy(st->network.process, "child");
	st->network.pid = 4242;
	st->network.restarts = 1;
	st->network.report_age_s = 2;
}

static void struct_to_json_and_back_is_the_same_struct(void **state)
{
	char err[256], *j1, *j2;

	(void)state;
	fill_everything(&a);
	j1 = wx_status_to_json(&a);
	assert_non_null(j1);
	assert_int_equal(wx_status_from_json(j1, &b, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(wx_status_equal(&a, &b));
	j2 = wx_status_to_json(&b);
	assert_string_equal(j1, j2);
	/* The keys in the daemon's order, the optional ones only when set. */
	assert_non_null(strstr(j1, "{\"station\":\"fairhaven-ms\",\"version\":\"0.1.0\","
				   "\"simulated\":true,\"speed\":0.25,\"ts\":1700000000,"));
	assert_non_null(strstr(j1, "\"ds18b20\":{\"status\":\"starting\",\"since\":0,\"failures\":0}"));
	assert_non_null(strstr(j1, "\"windy\":{\"backlog\":0}},\"network\":"));
	/* And a change anywhere is seen. */
	b.sensors[1].edges_rejected++;
	assert_false(wx_status_equal(&a, &b));
	b.sensors[1].edges_rejected--;
	b.uploads[0].has &= ~(unsigned)WX_UP_SKIPPED;
	assert_false(wx_status_equal(&a, &b));
	free(j1);
	free(j2);
}

/* A number that needs 16 or 17 digits comes back exactly, bit for bit (cJSON
 * alone prints 15 when they are within a relative DBL_EPSILON: fuzz_status
 * found a speed of 777777777777.77783 read back one bit off). */
static void numbers_come_back_bit_for_bit(void **state)
{
	static const double speeds[] = { 777777777777.77783, 0.1, 1.0 / 3, 60, 5e-324 };
	char err[256], *j;

	(void)state;
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
		fill_everything(&a);
		a.speed = speeds[i];
		j = wx_status_to_json(&a);
		assert_non_null(j);
		assert_int_equal(wx_status_from_json(j, &b, err, sizeof(err)), 0);
		assert_memory_equal(&a.speed, &b.speed, sizeof(double));
		assert_true(wx_status_equal(&a, &b));
		free(j);
	}
}

static const char *const goldens[] = { "starting", "mqtt_refused", "faults", "no_uploads",
				       "handmade_storage_error" };

static void real_answers_come_back_byte_for_byte(void **state)
{
	char path[128], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		char *json, *again;

		snprintf(path, sizeof(path), "tests/status/%s.json", goldens[i]);
		json = slurp(path);
		json[strcspn(json, "\n")] = '\0';
		if (wx_status_from_json(json, &a, err, sizeof(err)) != 0)
			fail_msg("%s: %s", path, err);
		again = wx_status_to_json(&a);
		assert_non_null(again);
		if (strcmp(json, again))
			fail_msg("%s changed:\n%s\n%s", path, json, again);
		free(again);
		free(json);
	}
}

static void real_answers_print_as_wxctl_printed_them(void **state)
{
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		char *json, *want, *got = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&got, &len);

		assert_non_null(f);
		snprintf(path, sizeof(path), "tests/status/%s.json", goldens[i]);
		json = slurp(path);
		snprintf(path, sizeof(path), "tests/status/%s.txt", goldens[i]);
		want = slurp(path);
		assert_int_equal(wx_status_from_json(json, &a, NULL, 0), 0);
		wx_status_print(f, &a);
		fclose(f);
		if (strcmp(want, got))
			fail_msg("%s differs:\n%s---\n%s", path, want, got);
		free(got);
		free(want);
		free(json);
	}
}

/* One parse: its return value, with the error it gave in err. */
static int parse(const char *json, char *err, size_t len)
{
	return wx_status_from_json(json, &b, err, len);
}

static void missing_keys_are_an_error_naming_them(void **state)
{
	char err[256], *j, *cut;

	(void)state;
	fill_everything(&a);
	j = wx_status_to_json(&a);
	assert_non_null(j);
	/* Take "ts" out: the rest is still read. */
	cut = strstr(j, "\"ts\":1700000000,");
	assert_non_null(cut);
	memmove(cut, cut + strlen("\"ts\":1700000000,"), strlen(cut + strlen("\"ts\":1700000000,")) + 1);
	assert_int_equal(parse(j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"ts\": missing");
	assert_false(b.has & WX_ST_TS);
	assert_string_equal(b.station, "fairhaven-ms");
	assert_int_equal(b.n_sensors, 3);
	assert_int_equal(b.uploads[0].backlog, 4);
	free(j);
	/* Speed is only needed of a simulated station. */
	assert_int_equal(parse("{\"station\":\"s\",\"version\":\"1\",\"simulated\":true,\"ts\":1,"
			       "\"uptime_s\":1,\"clock_synchronized\":true,\"interval_s\":60,"
			       "\"records_written\":0,\"last_record_ts\":0,\"storage\":{\"database\":"
			       "\"d\",\"status\":\"ok\",\"pending_records\":0,\"lost_records\":0},"
			       "\"sensors\":{},\"uploads\":{},\"network\":{\"configured\":false,"
			       "\"running\":false,\"status\":\"not configured\",\"process\":\"none\","
			       "\"restarts\":0}}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"speed\": missing");
	/* A sensor in error says what the error is; the storage too. */
	assert_int_equal(parse("{\"sensors\":{\"rain\":{\"status\":\"error\",\"since\":1,\"failures\":1}}}",
			       err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"sensors\".\"rain\".\"error\": missing");
	assert_int_equal(parse("{\"storage\":{\"database\":\"d\",\"status\":\"error\",\"error\":\"x\","
			       "\"pending_records\":0,\"lost_records\":0}}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"storage\".\"since\": missing");
	assert_int_equal(parse("{}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"station\": missing");
	assert_int_equal(b.has, 0);
}

static void unknown_keys_are_left_out_and_named(void **state)
{
	char err[256], *j, *with, *again;

	(void)state;
	fill_everything(&a);
	j = wx_status_to_json(&a);
	assert_non_null(j);
	/* A newer sampler's key, at the top and inside a sensor. */
	with = malloc(strlen(j) + 64);
	assert_non_null(with);
	sprintf(with, "{\"new_thing\":[1,2],%s", j + 1);
	assert_int_equal(parse(with, err, sizeof(err)), 1);
	assert_string_equal(err, "status: \"new_thing\": unknown key, left out");
	assert_true(wx_status_equal(&a, &b));
	again = wx_status_to_json(&b);
	assert_string_equal(again, j);
	free(again);
	assert_int_equal(parse("{\"sensors\":{\"rain\":{\"status\":\"ok\",\"since\":1,\"failures\":0,"
			       "\"colour\":\"blue\"}}}", err, sizeof(err)), -EINVAL);
	/* Missing keys are worse than unknown ones: that is the error kept. */
	assert_string_equal(err, "status: \"station\": missing");
	free(with);
	free(j);
}

static void wrong_types_are_an_error_and_left_out(void **state)
{
	static const struct {
		const char *json, *err;
	} cases[] = {
		{ "{\"ts\":\"yesterday\"}", "status: \"ts\": not a number from 0 to 1e15" },
		{ "{\"ts\":-1}", "status: \"ts\": not a number from 0 to 1e15" },
		{ "{\"ts\":1e300}", "status: \"ts\": not a number from 0 to 1e15" },
		{ "{\"simulated\":1}", "status: \"simulated\": not true or false" },
		{ "{\"station\":7}", "status: \"station\": not a text" },
		{ "{\"storage\":5}", "status: \"storage\": not an object" },
		{ "{\"sensors\":[1,{\"status\":\"ok\"}]}", "status: \"sensors\": not an object" },
		{ "{\"uploads\":[\"mqtt\"]}", "status: \"uploads\": not an object" },
		{ "{\"network\":null}", "status: \"network\": not an object" },
		{ "{\"sensors\":{\"rain\":{\"status\":\"fine\"}}}",
		  "status: \"sensors\".\"rain\".\"status\": not \"starting\", \"ok\" or \"error\"" },
		{ "{\"sensors\":{\"rain\":3}}", "status: \"sensors\".\"rain\": not an object, left out" },
		{ "{\"sensors\":{\"Rain Gauge\":{}}}",
		  "status: \"sensors\".\"Rain Gauge\": not a name of a-z 0-9 _ -, left out" },
		{ "{\"uploads\":{\"mqtt\":{\"connected\":\"yes\"}}}",
		  "status: \"uploads\".\"mqtt\".\"connected\": not true or false" },
		{ "{\"uploads\":{\"mqtt\":{\"last_error\":\"x\"}}}",
		  "status: \"uploads\".\"mqtt\".\"last_error\": without \"last_error_at\", left out" },
		{ "{\"uploads\":{\"mqtt\":{},\"mqtt\":{}}}", "status: \"uploads\".\"mqtt\": given twice, left out" },
		{ "[1,2]", "status: not a JSON object" },
		{ "\"status\"", "status: not a JSON object" },
		{ "{\"station\":", "status: not JSON" },
		{ "", "status: not JSON" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].json, err, sizeof(err)) != -EINVAL || strcmp(err, cases[i].err))
			fail_msg("%s: got '%s', want '%s'", cases[i].json, err, cases[i].err);
		/* What was wrong was left out. */
		assert_false(b.has & (WX_ST_TS | WX_ST_SIMULATED | WX_ST_STATION | WX_ST_STORAGE |
				      WX_ST_NETWORK));
	}
	assert_int_equal(wx_status_from_json(NULL, &b, err, sizeof(err)), -EINVAL);
	/* A key given twice: the first counts. */
	assert_int_equal(parse("{\"ts\":1,\"ts\":2}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"ts\": given twice");
	assert_int_equal(b.ts, 1);
	/* A good part next to a bad one is kept, and err may be NULL. */
	assert_int_equal(wx_status_from_json("{\"uploads\":{\"mqtt\":{\"connected\":\"yes\",\"backlog\":3},"
					     "\"x\":[]}}", &b, NULL, 0), -EINVAL);
	assert_int_equal(b.n_uploads, 1);
	assert_int_equal(b.uploads[0].has, WX_UP_BACKLOG);
	assert_int_equal(b.uploads[0].backlog, 3);
	/* Fractions of whole numbers are cut, as the network side's report
	 * always was. */
	assert_int_equal(parse("{\"ts\":12.9}", err, sizeof(err)), -EINVAL);
	assert_int_equal(b.ts, 12);
}

static void texts_are_cut_to_one_line_and_to_size(void **state)
{
	char err[256], json[1024];
	char long_error[600];

	(void)state;
	memset(long_error, 'e', sizeof(long_error) - 1);
	long_error[sizeof(long_error) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"uploads\":{\"mqtt\":{\"last_error\":\"%s\",\"last_error_at\":5}}}",
		 long_error);
	assert_int_equal(parse(json, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"uploads\".\"mqtt\".\"last_error\": longer than 255 characters "
				 "or more than one line (cut)");
	assert_int_equal(strlen(b.uploads[0].last_error), WX_STATUS_TEXT_LEN - 1);
	assert_int_equal(parse("{\"uploads\":{\"mqtt\":{\"last_error\":\"one\\ntwo\",\"last_error_at\":5}}}",
			       err, sizeof(err)), -EINVAL);
	assert_string_equal(b.uploads[0].last_error, "one");
	/* A key with control characters is shown without them. */
	{
		cJSON *o = cJSON_Parse("{\"mqtt\":{\"a\\u0001\\\"b\":1}}");

		memset(&b, 0, sizeof(b));
		assert_int_equal(wx_status_uploads_from_cjson(o, &b, err, sizeof(err)), 1);
		assert_string_equal(err, "status: \"uploads\".\"mqtt\".\"a??b\": unknown key, left out");
		cJSON_Delete(o);
	}
}

static void tables_hold_so_many_and_say_so(void **state)
{
	char err[256], json[4096];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"uploads\":{");
	for (int i = 0; i < WX_STATUS_MAX_UPLOADS + 3; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"u%d\":{\"sent\":%d}", i ? "," : "",
				      i, i);
	snprintf(json + n, sizeof(json) - n, "}}");
	assert_int_equal(parse(json, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"uploads\".\"u16\": too many uploads, left out");
	assert_int_equal(b.n_uploads, WX_STATUS_MAX_UPLOADS);
	assert_int_equal(b.uploads[15].sent, 15);
	memset(&a, 0, sizeof(a));
	assert_null(wx_status_add_upload(&a, ""));
	assert_null(wx_status_add_upload(&a, "abcdefghijklmnopqrstuvwxyz0123456"));	/* 33 */
	assert_non_null(wx_status_add_upload(&a, "abcdefghijklmnopqrstuvwxyz012345"));	/* 32 */
	for (int i = 0; i < WX_STATUS_MAX_SENSORS; i++)
		assert_non_null(wx_status_add_sensor(&a, "s"));
	assert_null(wx_status_add_sensor(&a, "s"));
}

/* The "net-status" report: only the uploads, through the same parser. */
static void uploads_alone_are_read_as_the_network_side_sends_them(void **state)
{
	char err[256];
	cJSON *o = cJSON_Parse("{\"mqtt\":{\"connected\":false,\"backlog\":2,\"cursor_ts\":0,\"sent\":0,"
			       "\"last_success\":0,\"last_error\":\"refused\",\"last_error_at\":9}}");
	cJSON *back;
	char *s;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(wx_status_uploads_from_cjson(o, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n_uploads, 1);
	back = wx_status_uploads_to_cjson(&b);
	s = cJSON_PrintUnformatted(back);
	assert_string_equal(s, "{\"mqtt\":{\"connected\":false,\"backlog\":2,\"cursor_ts\":0,\"sent\":0,"
			       "\"last_success\":0,\"last_error\":\"refused\",\"last_error_at\":9}}");
	free(s);
	cJSON_Delete(back);
	cJSON_Delete(o);
	assert_int_equal(wx_status_uploads_from_cjson(NULL, &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "status: \"uploads\": not an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(struct_to_json_and_back_is_the_same_struct),
		cmocka_unit_test(numbers_come_back_bit_for_bit),
		cmocka_unit_test(real_answers_come_back_byte_for_byte),
		cmocka_unit_test(real_answers_print_as_wxctl_printed_them),
		cmocka_unit_test(missing_keys_are_an_error_naming_them),
		cmocka_unit_test(unknown_keys_are_left_out_and_named),
		cmocka_unit_test(wrong_types_are_an_error_and_left_out),
		cmocka_unit_test(texts_are_cut_to_one_line_and_to_size),
		cmocka_unit_test(tables_hold_so_many_and_say_so),
		cmocka_unit_test(uploads_alone_are_read_as_the_network_side_sends_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
