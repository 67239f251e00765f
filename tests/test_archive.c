/* Tests for db/archive.c: each test gets its own mkdtemp() directory and
 * checks the file with the plain sqlite3 API as well as through the module,
 * so the contract (column names, NULLs, WAL) is checked from the outside. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/archive.h"
#include "tests/support/unpriv.h"
#include "firmware/core/record.h"

struct fixture {
	char dir[64];
	char path[96];
	char err[512];
	int64_t expect_count;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_archive.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/wx.db", f->dir);
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->dir, 0700);
	nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static struct wx_archive *open_ok(struct fixture *f)
{
	struct wx_archive *a = wx_archive_open(f->path, f->err, sizeof(f->err));

	if (!a)
		fail_msg("open %s: %s", f->path, f->err);
	return a;
}

static struct wx_record sample(int64_t ts, int i)
{
	struct wx_record r;

	wx_record_init(&r, ts);
	r.interval_s = 60;
	wx_record_set(&r, WX_TEMPERATURE_C, 12.25 + i * 0.01);
	wx_record_set(&r, WX_HUMIDITY_PCT, 81.5);
	wx_record_set(&r, WX_PRESSURE_HPA, 1003.87);
	wx_record_set(&r, WX_WIND_SPEED_KMH, 7.2);
	wx_record_set(&r, WX_RAIN_MM, 0.2794 * (i % 3));
	wx_record_set(&r, WX_WIND_PULSES, 123 + i);
	wx_record_set(&r, WX_RAIN_TIPS, i % 3);
	return r;
}

static void insert_ok(struct fixture *f, struct wx_archive *a, const struct wx_record *r)
{
	int rc = wx_archive_insert(a, r, f->err, sizeof(f->err));

	if (rc)
		fail_msg("insert ts %lld: %d %s", (long long)r->ts, rc, f->err);
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* The first column of the first row as text, into buf ("" for none/NULL). */
static const char *raw_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	buf[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}

static void write_garbage(const char *path, off_t at, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	unsigned char buf[4096];
	uint32_t x = 2463534242u;

	assert_true(fd >= 0);
	assert_true(lseek(fd, at, SEEK_SET) == at);
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		for (size_t i = 0; i < n; i++) {	/* xorshift: not a valid page */
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			buf[i] = (unsigned char)x;
		}
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		len -= n;
	}
	close(fd);
}

static long long proc_io(const char *key)
{
	FILE *fp = fopen("/proc/self/io", "r");
	char line[128];
	size_t n = strlen(key);
	long long v = -1;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = atoll(line + n + 1);
	fclose(fp);
	return v;
}

struct collected {
	struct wx_record r[64];
	int n;
	int stop_after;
};

static int collect(const struct wx_record *r, void *arg)
{
	struct collected *c = arg;

	assert_true(c->n < 64);
	c->r[c->n++] = *r;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

/* ---- schema ------------------------------------------------------------ */

static void archive_columns_are_exactly_the_contract_names(void **state)
{
	struct fixture *f = *state;
	/* docs/contract.md "Archive database", written out on purpose: the test is the contract. */
	static const char *const want[][2] = {
		{ "ts", "INTEGER" }, { "interval_s", "INTEGER" },
		{ "temperature_c", "REAL" }, { "humidity_pct", "REAL" },
		{ "pressure_hpa", "REAL" }, { "sea_level_pressure_hpa", "REAL" },
		{ "dew_point_c", "REAL" }, { "ground_temperature_c", "REAL" },
		{ "wind_speed_kmh", "REAL" }, { "wind_gust_kmh", "REAL" },
		{ "wind_direction_deg", "REAL" }, { "rain_mm", "REAL" },
		{ "wind_pulses", "INTEGER" }, { "rain_tips", "INTEGER" },
		{ "air_quality_pct", "REAL" },
	};
	size_t nwant = sizeof(want) / sizeof(want[0]), i = 0;
	struct wx_archive *a = open_ok(f);
	sqlite3 *db = raw_open(f->path);
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('archive') ORDER BY cid",
					    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(i < nwant);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), want[i][0]);
		assert_string_equal((const char *)sqlite3_column_text(s, 1), want[i][1]);
		assert_int_equal(sqlite3_column_int(s, 3), i == 0);	/* ts is the key */
		if (i == 1)
			assert_int_equal(sqlite3_column_int(s, 2), 1);	/* interval_s NOT NULL */
		i++;
	}
	sqlite3_finalize(s);
	assert_int_equal(i, nwant);

	char buf[64];
	assert_string_equal(raw_text(db, "SELECT group_concat(name || ' ' || type || ' ' || pk, ',') FROM pragma_table_info('upload_cursor')",
				     buf, sizeof(buf)),
			    "name TEXT 1,ts INTEGER 0,updated_at INTEGER 0");
	sqlite3_close(db);
	wx_archive_close(a);
}

static void archive_is_in_wal_mode_with_the_current_schema_version(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	sqlite3 *db = raw_open(f->path);
	char buf[32];

	assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	assert_int_equal(atoi(raw_text(db, "PRAGMA user_version", buf, sizeof(buf))),
			 wx_archive_schema_version());
	assert_int_equal(wx_archive_schema_version(), 1);
	assert_string_equal(raw_text(db, "PRAGMA page_size", buf, sizeof(buf)), "1024");
	sqlite3_close(db);
	wx_archive_close(a);
}

/* ---- records ------------------------------------------------------------ */

static void archive_round_trips_a_record_and_keeps_nulls(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	struct wx_record full = sample(1700000060, 1), empty;
	struct collected c = { .n = 0 };

	wx_record_set(&full, WX_RAIN_TODAY_MM, 5.0);	/* live only: not stored */
	wx_record_init(&empty, 1700000120);
	empty.interval_s = 60;
	insert_ok(f, a, &full);
	insert_ok(f, a, &empty);

	assert_int_equal(wx_archive_each(a, 0, INT64_MAX, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].ts, 1700000060);
	assert_int_equal(c.r[0].interval_s, 60);
	assert_int_equal(c.r[0].valid, full.valid & ~(1u << WX_RAIN_TODAY_MM));
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_record_has(&c.r[0], (enum wx_quantity)q))
			assert_true(c.r[0].v[q] == full.v[q]);
	assert_int_equal(c.r[1].ts, 1700000120);
	assert_int_equal(c.r[1].valid, 0);

	/* From the outside: NULLs, not 0 or -999, and integer counts. */
	sqlite3 *db = raw_open(f->path);
	char buf[128];
	assert_string_equal(raw_text(db, "SELECT count(*) FROM archive WHERE ts = 1700000120 AND temperature_c IS NULL AND humidity_pct IS NULL AND rain_mm IS NULL AND wind_pulses IS NULL AND air_quality_pct IS NULL",
				     buf, sizeof(buf)), "1");
	assert_string_equal(raw_text(db, "SELECT typeof(wind_pulses) || ' ' || wind_pulses || ' ' || typeof(dew_point_c) FROM archive WHERE ts = 1700000060",
				     buf, sizeof(buf)), "integer 124 null");
	sqlite3_close(db);
	wx_archive_close(a);
}

static void archive_rejects_a_duplicate_ts_and_keeps_the_first(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	struct wx_record first = sample(1700000060, 0), second = sample(1700000060, 50);
	struct collected c = { .n = 0 };

	insert_ok(f, a, &first);
	assert_int_equal(wx_archive_insert(a, &second, f->err, sizeof(f->err)), -EEXIST);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "1700000060"));
	assert_int_equal(wx_archive_each(a, 0, INT64_MAX, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.r[0].v[WX_TEMPERATURE_C] == first.v[WX_TEMPERATURE_C]);
	wx_archive_close(a);
}

static void archive_counts_newest_and_records_after_a_ts(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	int64_t n = -1, ts = -1;

	assert_int_equal(wx_archive_newest_ts(a, &ts), 0);
	assert_int_equal(ts, 0);
	assert_int_equal(wx_archive_count(a, &n), 0);
	assert_int_equal(n, 0);
	for (int i = 1; i <= 10; i++) {
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, a, &r);
	}
	assert_int_equal(wx_archive_newest_ts(a, &ts), 0);
	assert_int_equal(ts, 1700000600);
	assert_int_equal(wx_archive_count(a, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(wx_archive_count_after(a, 1700000180, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(wx_archive_count_after(a, 0, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(wx_archive_count_after(a, 1700000600, &n), 0);
	assert_int_equal(n, 0);
	wx_archive_close(a);
}

static void archive_after_gives_oldest_first_up_to_max(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	struct wx_record out[4];

	for (int i = 10; i >= 1; i--) {	/* inserted newest first */
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, a, &r);
	}
	assert_int_equal(wx_archive_after(a, 1700000120, out, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i].ts, 1700000180 + 60 * i);
	assert_true(out[0].v[WX_TEMPERATURE_C] == sample(0, 3).v[WX_TEMPERATURE_C]);
	assert_int_equal(wx_archive_after(a, 1700000480, out, 4), 2);
	assert_int_equal(out[1].ts, 1700000600);
	assert_int_equal(wx_archive_after(a, 1700000600, out, 4), 0);
	assert_int_equal(wx_archive_after(a, 0, out, 0), 0);
	wx_archive_close(a);
}

static void archive_each_keeps_to_the_span_and_stops_when_asked(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	struct collected c = { .n = 0 };

	for (int i = 1; i <= 10; i++) {
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, a, &r);
	}
	assert_int_equal(wx_archive_each(a, 1700000120, 1700000300, collect, &c), 0);
	assert_int_equal(c.n, 4);	/* both ends included */
	assert_int_equal(c.r[0].ts, 1700000120);
	assert_int_equal(c.r[3].ts, 1700000300);

	c = (struct collected){ .stop_after = 2 };
	assert_int_equal(wx_archive_each(a, 0, INT64_MAX, collect, &c), 42);
	assert_int_equal(c.n, 2);
	/* The statement was reset: the next call starts over. */
	c = (struct collected){ .n = 0 };
	assert_int_equal(wx_archive_each(a, 0, INT64_MAX, collect, &c), 0);
	assert_int_equal(c.n, 10);
	wx_archive_close(a);
}

struct nested {
	struct wx_archive *a;
	int outer, inner;
};

static int count_inner(const struct wx_record *r, void *arg)
{
	(void)r;
	((struct nested *)arg)->inner++;
	return 0;
}

static int walk_again(const struct wx_record *r, void *arg)
{
	struct nested *n = arg;

	n->outer++;
	return wx_archive_each(n->a, r->ts, INT64_MAX, count_inner, n);
}

static void archive_each_may_be_called_from_its_own_callback(void **state)
{
	struct fixture *f = *state;
	struct nested n = { .a = open_ok(f) };

	for (int i = 1; i <= 4; i++) {
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, n.a, &r);
	}
	assert_int_equal(wx_archive_each(n.a, 0, INT64_MAX, walk_again, &n), 0);
	assert_int_equal(n.outer, 4);
	assert_int_equal(n.inner, 4 + 3 + 2 + 1);
	wx_archive_close(n.a);
}

static void archive_sums_rain_over_a_span_ignoring_nulls(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	double mm = -1;

	for (int i = 1; i <= 6; i++) {	/* rain 0.2794 * (i % 3): 1,2,0,1,2,0 tips */
		struct wx_record r = sample(1700000000 + 60 * i, i);
		if (i == 4)
			wx_record_clear(&r, WX_RAIN_MM);
		insert_ok(f, a, &r);
	}
	assert_int_equal(wx_archive_rain_sum(a, 1700000060, 1700000360, &mm), 0);
	assert_float_equal(mm, 0.2794 * 5, 1e-9);
	assert_int_equal(wx_archive_rain_sum(a, 1700000120, 1700000120, &mm), 0);
	assert_float_equal(mm, 0.5588, 1e-9);
	assert_int_equal(wx_archive_rain_sum(a, 1800000000, 1800000600, &mm), 0);
	assert_float_equal(mm, 0, 0);
	wx_archive_close(a);
}

static void archive_cursors_start_at_zero_and_survive_reopening(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	int64_t ts = -1;

	assert_int_equal(wx_archive_cursor_get(a, "mqtt", &ts), 0);
	assert_int_equal(ts, 0);
	assert_int_equal(wx_archive_cursor_set(a, "mqtt", 1700000060), 0);
	assert_int_equal(wx_archive_cursor_set(a, "initialstate", 1700000000), 0);
	assert_int_equal(wx_archive_cursor_set(a, "mqtt", 1700000120), 0);
	wx_archive_close(a);

	a = open_ok(f);
	assert_int_equal(wx_archive_cursor_get(a, "mqtt", &ts), 0);
	assert_int_equal(ts, 1700000120);
	assert_int_equal(wx_archive_cursor_get(a, "initialstate", &ts), 0);
	assert_int_equal(ts, 1700000000);
	assert_int_equal(wx_archive_cursor_get(a, "elsewhere", &ts), 0);
	assert_int_equal(ts, 0);
	wx_archive_close(a);
}

/* ---- concurrency and read-only ----------------------------------------- */

static void archive_read_only_handle_sees_the_writers_records(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *w = open_ok(f), *r;
	struct wx_record rec = sample(1700000060, 1);
	char wal[128];
	int64_t n = -1;

	insert_ok(f, w, &rec);
	r = wx_archive_open_ro(f->path, f->err, sizeof(f->err));
	if (!r)
		fail_msg("open_ro: %s", f->err);
	assert_int_equal(wx_archive_count(r, &n), 0);
	assert_int_equal(n, 1);
	rec = sample(1700000120, 2);
	insert_ok(f, w, &rec);	/* the writer is not blocked by the reader */
	assert_int_equal(wx_archive_count(r, &n), 0);
	assert_int_equal(n, 2);

	/* Writing through the read-only handle: -EROFS naming the file. */
	rec = sample(1700000180, 3);
	assert_int_equal(wx_archive_insert(r, &rec, f->err, sizeof(f->err)), -EROFS);
	assert_non_null(strstr(f->err, f->path));
	assert_int_equal(wx_archive_cursor_set(r, "mqtt", 5), -EROFS);
	assert_non_null(strstr(wx_archive_errmsg(r), f->path));
	wx_archive_close(r);
	wx_archive_close(w);

	/* With the daemon gone, -wal is kept (for readers that cannot
	 * create it), checkpointed and emptied; still readable. */
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	struct stat st;
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_size, 0);
	r = wx_archive_open_ro(f->path, f->err, sizeof(f->err));
	if (!r)
		fail_msg("open_ro without -wal: %s", f->err);
	assert_int_equal(wx_archive_count(r, &n), 0);
	assert_int_equal(n, 2);
	wx_archive_close(r);
}

static void archive_read_only_open_of_a_missing_file_says_enoent(void **state)
{
	struct fixture *f = *state;

	errno = 0;
	assert_null(wx_archive_open_ro(f->path, f->err, sizeof(f->err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(f->err, f->path));
	assert_int_equal(access(f->path, F_OK), -1);	/* and did not create it */
}

static void archive_open_in_a_missing_directory_names_the_file(void **state)
{
	struct fixture *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/no/such/dir/wx.db", f->dir);
	errno = 0;
	assert_null(wx_archive_open(path, f->err, sizeof(f->err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(f->err, path));
}

/* Opens f->path read-write expecting a clean refusal: 0 when it got one
 * (errno EROFS or EACCES, the message naming the file), else 1 and a line
 * on stderr.  Plain checks, no cmocka: it may run in a forked child. */
static int expect_refusal(struct fixture *f)
{
	struct wx_archive *a;

	errno = 0;
	a = wx_archive_open(f->path, f->err, sizeof(f->err));
	if (a) {
		fprintf(stderr, "open of %s succeeded\n", f->path);
		wx_archive_close(a);
		return 1;
	}
	if ((errno != EROFS && errno != EACCES) || !strstr(f->err, f->path)) {
		fprintf(stderr, "errno %d, message \"%s\"\n", errno, f->err);
		return 1;
	}
	return 0;
}

/* Opens f->path read-only and expects f->expect_count records: 0 or 1 as
 * for expect_refusal(). */
static int expect_readable(struct fixture *f)
{
	struct wx_archive *a = wx_archive_open_ro(f->path, f->err, sizeof(f->err));
	int64_t n = -1;
	int rc;

	if (!a) {
		fprintf(stderr, "open_ro: errno %d, %s\n", errno, f->err);
		return 1;
	}
	rc = wx_archive_count(a, &n);
	if (rc || n != f->expect_count)
		fprintf(stderr, "count: %d, n %lld: %s\n", rc, (long long)n, wx_archive_errmsg(a));
	wx_archive_close(a);
	return rc || n != f->expect_count;
}

/* Root ignores permissions, so as root check runs in a child that became
 * nobody (65534); as anyone else it runs here. */
static void run_unprivileged(struct fixture *f, int (*check)(struct fixture *f))
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		assert_int_equal(check(f), 0);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (wx_test_drop_root() != 0)
			_exit(3);
		_exit(check(f));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void archive_refuses_a_read_only_file_cleanly(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);

	wx_archive_close(a);
	assert_int_equal(chmod(f->path, 0444), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);	/* nobody may look, not write */
	run_unprivileged(f, expect_refusal);
}

static void archive_refuses_a_read_only_directory_cleanly(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(chmod(f->dir, 0555), 0);
	run_unprivileged(f, expect_refusal);
	assert_int_equal(access(f->path, F_OK), -1);
}

/* wxctl run by another user than wxd: no write access to the file or its
 * directory, with the daemon running (-wal and -shm exist) and without.
 * The daemon is a child process: SQLite connections must not be carried
 * across fork(), and the unprivileged reader is forked from here. */
static void archive_read_only_open_works_without_write_access(void **state)
{
	struct fixture *f = *state;
	int ready[2], done[2], status;
	char c = 0;
	pid_t daemon;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	daemon = fork();
	assert_true(daemon >= 0);
	if (daemon == 0) {
		struct wx_archive *w = wx_archive_open(f->path, f->err, sizeof(f->err));
		struct wx_record r = sample(1700000060, 1);

		if (!w || wx_archive_insert(w, &r, f->err, sizeof(f->err)) != 0)
			_exit(2);
		if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(3);
		wx_archive_close(w);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(chmod(f->path, 0444), 0);
	assert_int_equal(chmod(f->dir, 0555), 0);
	f->expect_count = 1;
	run_unprivileged(f, expect_readable);	/* daemon running */

	assert_int_equal(write(done[1], "d", 1), 1);
	assert_int_equal(waitpid(daemon, &status, 0), daemon);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	close(done[1]);
	run_unprivileged(f, expect_readable);	/* daemon stopped */

	/* A copy without -wal and -shm (or left by a wxd that deleted them). */
	char side[128];
	assert_int_equal(chmod(f->dir, 0755), 0);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	assert_int_equal(unlink(side), 0);	/* and the daemon had kept them */
	snprintf(side, sizeof(side), "%s-shm", f->path);
	assert_int_equal(unlink(side), 0);
	assert_int_equal(chmod(f->dir, 0555), 0);
	run_unprivileged(f, expect_readable);
}

/* ---- migrations ----------------------------------------------------------- */

static void archive_migrates_a_version_1_file(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = raw_open(f->path);
	struct collected c = { .n = 0 };
	struct wx_archive *a;
	char buf[32];
	int64_t ts = -1;

	/* A version-1 file as an older wxd (or a student's script) left it:
	 * rollback journal, no WAL, a record and a cursor. */
	raw_exec(db,
		 "CREATE TABLE archive (ts INTEGER PRIMARY KEY, interval_s INTEGER NOT NULL,"
		 " temperature_c REAL, humidity_pct REAL, pressure_hpa REAL, sea_level_pressure_hpa REAL,"
		 " dew_point_c REAL, ground_temperature_c REAL, wind_speed_kmh REAL, wind_gust_kmh REAL,"
		 " wind_direction_deg REAL, rain_mm REAL, wind_pulses INTEGER, rain_tips INTEGER,"
		 " air_quality_pct REAL);"
		 "CREATE TABLE upload_cursor (name TEXT PRIMARY KEY, ts INTEGER NOT NULL DEFAULT 0, updated_at INTEGER);"
		 "INSERT INTO archive (ts, interval_s, temperature_c, rain_tips) VALUES (1600000000, 300, 21.5, 4);"
		 "INSERT INTO upload_cursor (name, ts) VALUES ('mqtt', 1600000000);"
		 "PRAGMA user_version = 1;");
	sqlite3_close(db);

	a = open_ok(f);
	assert_int_equal(wx_archive_each(a, 0, INT64_MAX, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].interval_s, 300);
	assert_true(c.r[0].v[WX_TEMPERATURE_C] == 21.5);
	assert_int_equal(c.r[0].valid, (1u << WX_TEMPERATURE_C) | (1u << WX_RAIN_TIPS));
	assert_int_equal(wx_archive_cursor_get(a, "mqtt", &ts), 0);
	assert_int_equal(ts, 1600000000);
	struct wx_record r = sample(1600000300, 0);
	insert_ok(f, a, &r);

	db = raw_open(f->path);
	assert_int_equal(atoi(raw_text(db, "PRAGMA user_version", buf, sizeof(buf))),
			 wx_archive_schema_version());
	assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	sqlite3_close(db);
	wx_archive_close(a);
}

static void archive_refuses_a_newer_schema_version(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = raw_open(f->path);
	char want[32];

	raw_exec(db, "CREATE TABLE archive (ts INTEGER PRIMARY KEY, interval_s INTEGER NOT NULL);"
		     "PRAGMA user_version = 99;");
	sqlite3_close(db);
	errno = 0;
	assert_null(wx_archive_open(f->path, f->err, sizeof(f->err)));
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(f->err, f->path));
	snprintf(want, sizeof(want), "version 99");
	assert_non_null(strstr(f->err, want));
}

static void archive_refuses_an_sqlite_file_that_is_not_an_archive(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = raw_open(f->path);
	char buf[32];

	raw_exec(db, "CREATE TABLE homework (answer INTEGER); INSERT INTO homework VALUES (42);");
	sqlite3_close(db);
	errno = 0;
	assert_null(wx_archive_open(f->path, f->err, sizeof(f->err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(f->err, f->path));
	db = raw_open(f->path);	/* and left it alone */
	assert_string_equal(raw_text(db, "SELECT count(*) FROM sqlite_schema", buf, sizeof(buf)), "1");
	sqlite3_close(db);
}

/* ---- damage ------------------------------------------------------------- */

static void archive_reports_a_garbage_file_naming_it(void **state)
{
	struct fixture *f = *state;

	write_garbage(f->path, 0, 64 * 1024);
	errno = 0;
	assert_null(wx_archive_open(f->path, f->err, sizeof(f->err)));
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "not a database"));
	errno = 0;
	assert_null(wx_archive_open_ro(f->path, f->err, sizeof(f->err)));
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(f->err, f->path));
}

static void archive_reports_damaged_pages_naming_the_file(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	struct collected c = { .n = 0 };
	int64_t n;
	int rc;

	for (int i = 0; i < 300; i++) {
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, a, &r);
	}
	wx_archive_close(a);
	/* Keep page 1 (header and schema), smash the table's pages. */
	write_garbage(f->path, 1024, 32 * 1024);

	a = wx_archive_open(f->path, f->err, sizeof(f->err));
	if (!a) {
		assert_int_equal(errno, EIO);
		assert_non_null(strstr(f->err, f->path));
		return;
	}
	rc = wx_archive_count(a, &n);
	if (rc == 0)
		rc = wx_archive_each(a, 0, INT64_MAX, collect, &c);
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(wx_archive_errmsg(a), f->path));
	assert_non_null(strstr(wx_archive_errmsg(a), "malformed"));
	wx_archive_close(a);
}

/* ---- a day of records, and a crash --------------------------------------- */

/* After the clock was stepped back, the daemon moves what it stored under
 * the old time back, cursors with them. */
static void archive_takes_a_day_of_records_and_passes_integrity_check(void **state)
{
	struct fixture *f = *state;
	struct wx_archive *a = open_ok(f);
	long long wchar0, wchar1, wb0, wb1;
	sqlite3 *db;
	char buf[32];
	int64_t n;

	wchar0 = proc_io("wchar");
	wb0 = proc_io("write_bytes");
	for (int i = 0; i < 1440; i++) {
		struct wx_record r = sample(1700000000 + 60 * i, i);
		insert_ok(f, a, &r);
	}
	wchar1 = proc_io("wchar");
	wb1 = proc_io("write_bytes");
	assert_int_equal(wx_archive_count(a, &n), 0);
	assert_int_equal(n, 1440);
	db = raw_open(f->path);
	assert_string_equal(raw_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
	sqlite3_close(db);
	wx_archive_close(a);

	print_message("archive: 1440 records wrote %lld bytes (%lld per record), write_bytes %lld (%lld per record)\n",
		      wchar1 - wchar0, (wchar1 - wchar0) / 1440, wb1 - wb0, (wb1 - wb0) / 1440);
	/* 1 KiB pages: one ~1 KiB WAL frame per record plus checkpoints.  With
	 * 4 KiB pages this is ~4.4 kB; the bound keeps the SD card choice. */
	if (wchar0 >= 0)
		assert_true((wchar1 - wchar0) / 1440 < 2048);
}

static void archive_keeps_every_committed_record_when_killed(void **state)
{
	struct fixture *f = *state;
	int64_t reported[20000];
	int fds[2], n = 0, status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wx_archive *a;

		close(fds[0]);
		a = wx_archive_open(f->path, f->err, sizeof(f->err));
		if (!a)
			_exit(2);
		for (int i = 0; i < 20000; i++) {
			struct wx_record r = sample(1700000000 + 60 * i, i);

			if (wx_archive_insert(a, &r, f->err, sizeof(f->err)) != 0)
				_exit(3);
			/* Reported only after insert returned 0 (committed). */
			if (write(fds[1], &r.ts, sizeof(r.ts)) != sizeof(r.ts))
				_exit(4);
		}
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t got = read(fds[0], &reported[n], sizeof(reported[n]));

		if (got <= 0)
			break;
		assert_int_equal(got, sizeof(reported[n]));
		if (++n == 200)
			kill(pid, SIGKILL);	/* mid-way through the loop */
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(n >= 200 && n < 20000);

	sqlite3 *db = raw_open(f->path);
	char buf[32];
	assert_string_equal(raw_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
	sqlite3_close(db);

	struct wx_archive *a = open_ok(f);
	int64_t count, newest;
	assert_int_equal(wx_archive_count(a, &count), 0);
	assert_true(count >= n);
	for (int i = 0; i < n; i++) {
		int64_t before;
		assert_int_equal(wx_archive_count_after(a, reported[i] - 1, &before), 0);
		assert_int_equal(count - before, i);	/* reported[i] itself is there */
		struct wx_record got;
		assert_int_equal(wx_archive_after(a, reported[i] - 1, &got, 1), 1);
		assert_int_equal(got.ts, reported[i]);
	}
	/* And the daemon carries on after the newest record. */
	assert_int_equal(wx_archive_newest_ts(a, &newest), 0);
	struct wx_record r = sample(newest + 60, 0);
	insert_ok(f, a, &r);
	wx_archive_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(archive_columns_are_exactly_the_contract_names),
		T(archive_is_in_wal_mode_with_the_current_schema_version),
		T(archive_round_trips_a_record_and_keeps_nulls),
		T(archive_rejects_a_duplicate_ts_and_keeps_the_first),
		T(archive_counts_newest_and_records_after_a_ts),
		T(archive_after_gives_oldest_first_up_to_max),
		T(archive_each_keeps_to_the_span_and_stops_when_asked),
		T(archive_each_may_be_called_from_its_own_callback),
		T(archive_sums_rain_over_a_span_ignoring_nulls),
		T(archive_cursors_start_at_zero_and_survive_reopening),
		T(archive_read_only_handle_sees_the_writers_records),
		T(archive_read_only_open_of_a_missing_file_says_enoent),
		T(archive_open_in_a_missing_directory_names_the_file),
		T(archive_refuses_a_read_only_file_cleanly),
		T(archive_refuses_a_read_only_directory_cleanly),
		T(archive_read_only_open_works_without_write_access),
		T(archive_migrates_a_version_1_file),
		T(archive_refuses_a_newer_schema_version),
		T(archive_refuses_an_sqlite_file_that_is_not_an_archive),
		T(archive_reports_a_garbage_file_naming_it),
		T(archive_reports_damaged_pages_naming_the_file),
		T(archive_takes_a_day_of_records_and_passes_integrity_check),
		T(archive_keeps_every_committed_record_when_killed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
