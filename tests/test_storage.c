/* Tests for firmware/storage.c on a failing disk.  A VFS shim in front of
 * SQLite's unix VFS makes fsync or write fail with an I/O error, the way a
 * dying SD card or a device-mapper "error" table does: in "fsync fails"
 * the bytes of a commit reach the file (the page cache) but its fsync
 * fails, so a reopened connection's WAL recovery finds the commit as if it
 * had been made.  Such a record must stay pending until a commit after the
 * disk came back covers it, and be stored exactly once. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/archive.h"
#include "firmware/core/clock.h"
#include "firmware/core/config.h"
#include "firmware/core/record.h"
#include "firmware/storage.h"

/* ---- the failing disk ------------------------------------------------- */

enum disk { DISK_OK, DISK_FSYNC_FAILS, DISK_WRITE_FAILS, DISK_READS_ZEROS };
static enum disk disk = DISK_OK;
static int syncs_failed, writes_failed;

struct ffile {
	sqlite3_file base;
	sqlite3_file *real;	/* the unix VFS's file, right after this */
};

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs faulty_vfs;

#define REAL(f) (((struct ffile *)(f))->real)

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	if (disk == DISK_READS_ZEROS) {	/* writes fail too */
		memset(buf, 0, (size_t)n);
		return SQLITE_OK;
	}
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (disk == DISK_WRITE_FAILS || disk == DISK_READS_ZEROS) {
		writes_failed++;
		return SQLITE_IOERR_WRITE;
	}
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (disk == DISK_WRITE_FAILS || disk == DISK_READS_ZEROS)
		return SQLITE_IOERR_TRUNCATE;
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	if (disk != DISK_OK) {
		errno = EIO;
		syncs_failed++;
		return SQLITE_IOERR_FSYNC;
	}
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int f_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_dev(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, p);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods faulty_io = {
	.iVersion = 3,
	.xClose = f_close, .xRead = f_read, .xWrite = f_write, .xTruncate = f_truncate,
	.xSync = f_sync, .xFileSize = f_size, .xLock = f_lock, .xUnlock = f_unlock,
	.xCheckReservedLock = f_reserved, .xFileControl = f_fcntl, .xSectorSize = f_sector,
	.xDeviceCharacteristics = f_dev, .xShmMap = f_shm_map, .xShmLock = f_shm_lock,
	.xShmBarrier = f_shm_barrier, .xShmUnmap = f_shm_unmap, .xFetch = f_fetch,
	.xUnfetch = f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct ffile *ff = (struct ffile *)f;
	int rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	rc = unix_vfs->xOpen(unix_vfs, name, ff->real, flags, out);
	ff->base.pMethods = ff->real->pMethods ? &faulty_io : NULL;
	return rc;
}

static void install_faulty_disk(void)
{
	unix_vfs = sqlite3_vfs_find("unix");
	assert_non_null(unix_vfs);
	faulty_vfs = *unix_vfs;
	faulty_vfs.zName = "wx-faulty-disk";
	faulty_vfs.pNext = NULL;
	faulty_vfs.szOsFile = (int)sizeof(struct ffile) + unix_vfs->szOsFile;
	faulty_vfs.xOpen = f_open;
	/* The default: wx_archive_open() goes through it. */
	assert_int_equal(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

/* ---- fixture ----------------------------------------------------------- */

struct fixture {
	char dir[64];
	char logpath[96];
	int saved_stderr;
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_storage *s;
};

#define T0 1700000000	/* a multiple of 60 */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_storage.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	wx_config_defaults(&f->cfg);
	f->cfg.station.interval_s = 60;
	snprintf(f->cfg.station.database, sizeof(f->cfg.station.database), "%s/wx.db", f->dir);
	f->clock = wx_clock_sim((int64_t)T0 * WX_NS_PER_S, 0);
	assert_non_null(f->clock);
	wx_clock_sim_set_synchronised(f->clock, true);
	/* wxd's log goes to stderr: keep it, to check what it says. */
	snprintf(f->logpath, sizeof(f->logpath), "%s/log", f->dir);
	fflush(stderr);
	f->saved_stderr = dup(STDERR_FILENO);
	fd = open(f->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && f->saved_stderr >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	disk = DISK_OK;
	syncs_failed = writes_failed = 0;
	f->s = wx_storage_open(&f->cfg, f->clock, false, NULL, NULL);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	return remove(path);
}

static void restore_stderr(struct fixture *f)
{
	if (f->saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	f->saved_stderr = -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	disk = DISK_OK;
	wx_storage_close(f->s);
	restore_stderr(f);
	wx_clock_free(f->clock);
	nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* The log so far. */
static const char *log_text(struct fixture *f)
{
	static char buf[16384];
	FILE *fp;
	size_t n;

	fflush(stderr);
	fp = fopen(f->logpath, "re");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static struct wx_record rec(int64_t ts, int pulses)
{
	struct wx_record r;

	wx_record_init(&r, ts);
	r.interval_s = 60;
	wx_record_set(&r, WX_WIND_PULSES, pulses);
	wx_record_set(&r, WX_TEMPERATURE_C, 10.5);
	return r;
}

static void put(struct fixture *f, int64_t ts, int pulses)
{
	struct wx_record r = rec(ts, pulses);

	wx_storage_put(f->s, &r, (ts - T0) * WX_NS_PER_S, ts);
}

static struct wx_storage_status status(struct fixture *f)
{
	struct wx_storage_status st;

	wx_storage_status(f->s, &st);
	return st;
}

/* Rows for ts (read through the unix VFS, a connection of its own) and
 * its wind_pulses into *pulses. */
static int stored(struct fixture *f, int64_t ts, int *pulses)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = 0;

	assert_int_equal(sqlite3_open_v2(f->cfg.station.database, &db, SQLITE_OPEN_READONLY, "unix"),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT wind_pulses FROM archive WHERE ts = ?1", -1,
					    &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, ts);
	while (sqlite3_step(q) == SQLITE_ROW) {
		n++;
		if (pulses)
			*pulses = sqlite3_column_int(q, 0);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void retry(struct fixture *f)
{
	wx_storage_retry_now(f->s);
	wx_storage_poll(f->s);
}

/* ---- tests ------------------------------------------------------------- */

/* The defect this guards against: the failed commit is in the file (only
 * its fsync failed), the reopened connection finds it, and the record was
 * dropped as "already stored" while the disk still failed. */
static void failed_fsync_keeps_the_record_until_a_commit_covers_it(void **state)
{
	struct fixture *f = *state;
	struct wx_storage_status st;
	int pulses = -1;

	put(f, T0 + 60, 11);
	st = status(f);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records_written, 1);

	disk = DISK_FSYNC_FAILS;
	put(f, T0 + 120, 22);
	assert_true(syncs_failed > 0);
	st = status(f);
	assert_int_equal(st.pending, 1);
	assert_non_null(strstr(st.error, "disk"));
	assert_non_null(strstr(st.error, "failed"));
	assert_null(strstr(st.error, "move it aside"));
	assert_non_null(strstr(st.error, f->cfg.station.database));
	/* Its frames are in the WAL file: a new connection sees it. */
	assert_int_equal(stored(f, T0 + 120, NULL), 1);

	/* The disk still fails: retried (reopened) again and again, the
	 * record stays pending, and a newer one waits behind it. */
	for (int i = 0; i < 3; i++)
		retry(f);
	put(f, T0 + 180, 33);
	retry(f);
	st = status(f);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.records_written, 1);
	assert_true(st.error[0] != '\0');
	assert_null(strstr(log_text(f), "already stored"));
	assert_null(strstr(log_text(f), "move it aside"));
	assert_non_null(strstr(log_text(f), "keeping records in memory"));

	/* The disk works again: both written, once each, and the error goes. */
	disk = DISK_OK;
	retry(f);
	st = status(f);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records_written, 3);
	assert_string_equal(st.error, "");
	assert_int_equal(stored(f, T0 + 60, &pulses), 1);
	assert_int_equal(pulses, 11);
	assert_int_equal(stored(f, T0 + 120, &pulses), 1);
	assert_int_equal(pulses, 22);
	assert_int_equal(stored(f, T0 + 180, &pulses), 1);
	assert_int_equal(pulses, 33);
	assert_non_null(strstr(log_text(f), "the disk works again"));
	assert_non_null(strstr(log_text(f), "writing again"));
	assert_null(strstr(log_text(f), "already stored"));
}

/* Writes that fail outright (nothing reaches the file): the same, and the
 * records come out of memory once the disk works. */
static void failed_writes_keep_records_in_memory(void **state)
{
	struct fixture *f = *state;
	struct wx_storage_status st;
	int pulses = -1;

	put(f, T0 + 60, 1);
	disk = DISK_WRITE_FAILS;
	for (int i = 2; i <= 6; i++) {
		put(f, T0 + 60 * i, i);
		retry(f);
	}
	assert_true(writes_failed > 0);
	st = status(f);
	assert_int_equal(st.pending, 5);
	assert_int_equal(st.records_written, 1);
	assert_non_null(strstr(st.error, "failed"));
	assert_null(strstr(st.error, "move it aside"));
	disk = DISK_OK;
	retry(f);
	st = status(f);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records_written, 6);
	for (int i = 1; i <= 6; i++) {
		assert_int_equal(stored(f, T0 + 60 * i, &pulses), 1);
		assert_int_equal(pulses, i);
	}
	assert_null(strstr(log_text(f), "already stored"));
}

/* Right after the disk failed, the database file reads as zeros (what the
 * page cache held is gone, the disk returns something else): not called damaged
 * nor to be moved aside, and nothing is lost once the disk reads again. */
static void unreadable_after_a_disk_error_is_not_damage(void **state)
{
	struct fixture *f = *state;
	struct wx_storage_status st;
	int pulses = -1;

	put(f, T0 + 60, 1);
	disk = DISK_FSYNC_FAILS;
	put(f, T0 + 120, 2);
	disk = DISK_READS_ZEROS;
	put(f, T0 + 180, 3);
	retry(f);
	st = status(f);
	assert_int_equal(st.pending, 2);
	assert_non_null(strstr(st.error, "not a database"));
	assert_non_null(strstr(st.error, "right after the disk failed"));
	assert_null(strstr(st.error, "move it aside"));
	assert_null(strstr(log_text(f), "move it aside"));
	disk = DISK_OK;
	retry(f);
	st = status(f);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.records_written, 3);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(stored(f, T0 + 60 * i, &pulses), 1);
		assert_int_equal(pulses, i);
	}
}

/* The archive layer: the message names the disk, io_failed says so, and
 * settle + rewrite work once it is back. */
static void archive_says_the_disk_failed(void **state)
{
	struct fixture *f = *state;
	char err[512];
	struct wx_archive *a;
	struct wx_record r = rec(T0 + 60, 7);
	int pulses = -1;

	wx_storage_close(f->s);
	f->s = NULL;
	a = wx_archive_open(f->cfg.station.database, err, sizeof(err));
	assert_non_null(a);
	/* A WAL in use (an empty one is restarted, and the failing sync of
	 * its header would come before any frame). */
	assert_int_equal(wx_archive_insert(a, &(struct wx_record){ .ts = T0, .interval_s = 60 },
					   err, sizeof(err)), 0);
	disk = DISK_FSYNC_FAILS;
	assert_int_equal(wx_archive_insert(a, &r, err, sizeof(err)), -EIO);
	assert_true(wx_archive_io_failed(a));
	assert_non_null(strstr(err, "the disk "));
	assert_non_null(strstr(err, "failed; the file is left as it is"));
	/* Reopened while the disk fails: its WAL recovery finds the commit
	 * whose fsync failed, and settling it fails as well. */
	wx_archive_close(a);
	a = wx_archive_open(f->cfg.station.database, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(stored(f, T0 + 60, &pulses), 1);
	assert_int_equal(wx_archive_settle(a, err, sizeof(err)), -EIO);
	assert_true(wx_archive_io_failed(a));
	wx_archive_close(a);
	disk = DISK_OK;
	a = wx_archive_open(f->cfg.station.database, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(wx_archive_settle(a, err, sizeof(err)), 0);
	r.v[WX_WIND_PULSES] = 8;
	assert_int_equal(wx_archive_rewrite(a, &r, err, sizeof(err)), 0);
	assert_int_equal(wx_archive_rewrite(a, &r, err, sizeof(err)), 0);
	assert_int_equal(wx_archive_insert(a, &r, err, sizeof(err)), -EEXIST);
	assert_false(wx_archive_io_failed(a));
	wx_archive_close(a);
	assert_int_equal(stored(f, T0 + 60, &pulses), 1);
	assert_int_equal(pulses, 8);
	f->s = wx_storage_open(&f->cfg, f->clock, false, NULL, NULL);
	assert_non_null(f->s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(failed_fsync_keeps_the_record_until_a_commit_covers_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(failed_writes_keep_records_in_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(unreadable_after_a_disk_error_is_not_damage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(archive_says_the_disk_failed, setup, teardown),
	};

	install_faulty_disk();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
