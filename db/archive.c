/* The SQLite archive (docs/contract.md "Archive database").
 *
 * One file, WAL mode.  Table archive has ts, interval_s and one column per
 * quantity with WX_IN_ARCHIVE in wx_quantities (REAL, or INTEGER for the
 * counts), built from that table so a new quantity is one row there plus one
 * migration entry below.  Table upload_cursor keeps, per destination, the ts
 * of the newest record it acknowledged.  A missing value is NULL.
 *
 * Durability: every insert is its own transaction (autocommit) and
 * synchronous=FULL, so the WAL is fsync()ed before wx_archive_insert()
 * returns 0: a crash or power cut loses at most the interval in progress.
 * NORMAL would halve the bytes written (see below) but in WAL mode it can
 * lose the last commits on power loss, which the contract does not allow.
 *
 * Bytes written for 1440 records (one simulated day of 60 s intervals) into
 * a fresh file, synchronous=FULL, ext4 on virtio, sqlite 3.40.1.
 * write_bytes is /proc/self/io (pages dirtied, 4 KiB granularity: what the
 * page cache sends to the device, before ext4's own journal); wchar counts
 * the bytes of write() calls.  Per record:
 *
 *   page_size  wal_autocheckpoint  journal_size_limit  write_bytes  wchar  WAL file
 *      4096          1000               -1                 8541     4445   4.1 MB
 *      4096           100               -1                 8718     4602   420 kB
 *      4096            10               -1                 9648     5148    45 kB
 *      4096           100            65536                 8721     4602    64 kB
 *      2048          1000               -1                 6488     2396   2.1 MB
 *      1024          1000               -1                 5481     1390   1.0 MB  <- chosen
 *      1024          4000               -1                 5404     1315   1.9 MB
 *      1024           100               -1                 5688     1488   107 kB
 *      1024            10               -1                 7031     1836    13 kB
 *      1024          1000                0                 5481     1390   (trimmed)
 *       512          1000               -1                 5068      964   536 kB
 *      4096 with synchronous=NORMAL (not durable)          4448     4445
 *      4096 / 1024, plus an upload cursor update per record: 16759 / 10686
 *
 * (Measured with the same schema over the plain sqlite3 API; through this
 * module, tests/test_archive.c prints 1233 and 5324 per record for the
 * chosen settings and fails above 2048 bytes of write() per record.)
 *
 * A commit appends one WAL frame (24-byte header + one page, since a row of
 * ~130 bytes touches one leaf page) and fsyncs, so the page size sets the
 * cost: 1024-byte pages write 3x fewer bytes than 4096 and, because the
 * unaligned frames re-dirty the same 4 KiB file page, about 36 % fewer
 * device bytes.  512 saves little more (the 4 KiB page cache granularity
 * dominates) and doubles the tree depth.  Fewer checkpoints are cheaper, so
 * wal_autocheckpoint stays at the default 1000 pages (a 1 MB WAL, reused in
 * place without growing the file, which also spares ext4 metadata).
 * journal_size_limit only trims the WAL after a checkpoint, so it does not
 * change the figures; it is set to 2 MB to give space back after a long
 * reader (wxctl history) held the checkpoint up.  The database itself is
 * ~190 kB per day (~48 MB a year at 60 s).
 */
#include "db/archive.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PAGE_SIZE_BYTES		1024
#define WAL_AUTOCHECKPOINT_PAGES 1000
#define JOURNAL_SIZE_LIMIT_BYTES (2 * 1024 * 1024)
/* wxctl reads while wxd writes: WAL readers and the writer do not block each
 * other, but a checkpoint, WAL recovery or a schema migration can hold a lock
 * for a moment. */
#define BUSY_TIMEOUT_MS		5000

enum stmt_id {
	ST_INSERT,
	ST_NEWEST,
	ST_COUNT,
	ST_EACH,
	ST_AFTER,
	ST_COUNT_AFTER,
	ST_TAIL,
	ST_RAIN_SUM,
	ST_CURSOR_GET,
	ST_CURSOR_SET,
	ST_REPLACE,
	ST_N
};

struct wx_archive {
	sqlite3 *db;
	sqlite3_stmt *st[ST_N];
	char errmsg[512];	/* the last failure, naming the file */
	bool io_failed;		/* the last failure was the disk's (see wx_archive_io_failed) */
	dev_t db_dev, wal_dev;	/* the files this connection has open, to */
	ino_t db_ino, wal_ino;	/* notice them deleted or replaced (0: unseen) */
	char path[];
};

/* ---- the column list, from wx_quantities ------------------------------ */

struct sql_buf {
	char s[2048];
	size_t len;
};

static void sql_add(struct sql_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sql_add(struct sql_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, sizeof(b->s) - b->len, fmt, ap);
	va_end(ap);
	/* The statements are ours and short; overflowing is our mistake. */
	if (n < 0 || (size_t)n >= sizeof(b->s) - b->len)
		abort();
	b->len += (size_t)n;
}

static bool in_archive(int q)
{
	return wx_quantities[q].where & WX_IN_ARCHIVE;
}

/* Appends "ts, interval_s, temperature_c, ..." in table order; the row
 * reader below takes the columns in this same order. */
static void sql_add_columns(struct sql_buf *b)
{
	sql_add(b, "ts, interval_s");
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (in_archive(q))
			sql_add(b, ", %s", wx_quantities[q].key);
}

/* ---- errors ------------------------------------------------------------ */

static int errno_of(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EIO;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_PRIMARYKEY ? -EEXIST : -EINVAL;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		if (sys == EROFS || sys == EACCES || sys == ENOENT || sys == ENOTDIR ||
		    sys == EISDIR || sys == ENOSPC)
			return -sys;
		return -EIO;
	case SQLITE_IOERR:
		return sys == ENOSPC ? -ENOSPC : -EIO;
	default:
		return -EIO;
	}
}

static const char *hint_of(int e)
{
	switch (e) {
	case -ENOSPC:
		return " (the disk is full: free space on the SD card)";
	case -EROFS:
	case -EACCES:
		return " (check the permissions of the file and its directory, and that the file system is mounted read-write)";
	case -EBUSY:
		return " (another program holds a lock on it: a second wxd?)";
	case -EIO:
		return " (damaged or not a wxd archive: move it aside and restart, or try sqlite3 .recover)";
	default:
		return "";
	}
}

/* An I/O error or a full disk: the disk failed, not the file.  Nothing
 * about the file is known then (a commit whose fsync failed may sit in the
 * page cache only), so the file must be neither trusted nor moved aside. */
static bool is_io(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	return (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	       ((rc & 0xff) == SQLITE_CANTOPEN && sys == EIO);
}

/* "dm-0 (253:0)": the block device holding path (its directory when the
 * file does not exist), from /sys/dev/block; "" when unknown. */
static void disk_of(const char *path, char *out, size_t outlen)
{
	char sys[64], line[128], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	FILE *f;

	out[0] = '\0';
	if (stat(path, &st) != 0) {
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
			 slash ? path : ".");
		if (stat(dir, &st) != 0)
			return;
	}
	snprintf(out, outlen, "%u:%u", major(st.st_dev), minor(st.st_dev));
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent", major(st.st_dev),
		 minor(st.st_dev));
	f = fopen(sys, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "/dev/%s (%u:%u)", line + 8, major(st.st_dev),
				 minor(st.st_dev));
			break;
		}
	fclose(f);
}

static void set_msg(struct wx_archive *a, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_msg(struct wx_archive *a, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	a->io_failed = false;
	va_start(ap, fmt);
	vsnprintf(a->errmsg, sizeof(a->errmsg), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s", a->errmsg);
}

/* Records the failure rc of a call on a->db (what = what we were doing) and
 * returns it as -errno. */
static int fail(struct wx_archive *a, int rc, const char *what, char *err, size_t errlen)
{
	int e = errno_of(a->db, rc);

	if (is_io(a->db, rc) && e == -EIO) {
		char disk[PATH_MAX + 32];
		int sys = a->db ? sqlite3_system_errno(a->db) : 0;

		disk_of(a->path, disk, sizeof(disk));
		set_msg(a, err, errlen, "archive %s: %s: %s (%s): the disk %s failed; the file is "
			"left as it is", a->path, what,
			a->db ? sqlite3_errmsg(a->db) : sqlite3_errstr(rc), strerror(sys ? sys : EIO),
			disk[0] ? disk : "holding it");
		a->io_failed = true;
		return e;
	}
	set_msg(a, err, errlen, "archive %s: %s: %s%s", a->path, what,
		a->db ? sqlite3_errmsg(a->db) : sqlite3_errstr(rc), hint_of(e));
	a->io_failed = e == -ENOSPC;
	return e;
}

bool wx_archive_io_failed(const struct wx_archive *a)
{
	return a->io_failed;
}

/* ---- schema and migrations --------------------------------------------- */

/* Adds a column for every archive quantity the table lacks.  Idempotent, so
 * a migration that adds a quantity can reuse it: a fresh file got the
 * column already from step 1 (built from today's wx_quantities), an old
 * file gets it from the step that introduced it. */
static int add_quantity_columns(sqlite3 *db)
{
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		struct sql_buf b = { .len = 0 };
		sqlite3_stmt *s;
		int rc;

		if (!in_archive(q))
			continue;
		rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('archive') WHERE name = ?1",
					-1, &s, NULL);
		if (rc != SQLITE_OK)
			return rc;
		sqlite3_bind_text(s, 1, wx_quantities[q].key, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			return rc;
		sql_add(&b, "ALTER TABLE archive ADD COLUMN %s %s", wx_quantities[q].key,
			wx_quantities[q].is_count ? "INTEGER" : "REAL");
		rc = sqlite3_prepare_v2(db, b.s, -1, &s, NULL);
		if (rc != SQLITE_OK)
			return rc;
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

static int create_v1(sqlite3 *db)
{
	int rc = sqlite3_exec(db,
		"CREATE TABLE archive (ts INTEGER PRIMARY KEY, interval_s INTEGER NOT NULL);"
		"CREATE TABLE upload_cursor ("
		" name TEXT PRIMARY KEY,"	/* destination: "mqtt", "initialstate" */
		" ts INTEGER NOT NULL DEFAULT 0,"	/* newest record acknowledged */
		" updated_at INTEGER)",	/* Unix time of the last move */
		NULL, NULL, NULL);

	return rc != SQLITE_OK ? rc : add_quantity_columns(db);
}

/* The ordered migrations: entry i takes user_version from i to i + 1, in one
 * transaction.  A step is plain SQL, or a function for steps built from
 * wx_quantities.  Adding a quantity: its row in wx_quantities plus
 *	{ .apply = add_quantity_columns },
 * here; a changed column: { .sql = "ALTER TABLE ..." }. */
static const struct migration {
	const char *sql;
	int (*apply)(sqlite3 *db);
} migrations[] = {
	{ .apply = create_v1 },	/* 1: archive and upload_cursor */
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int wx_archive_schema_version(void)
{
	return SCHEMA_VERSION;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static int exec(struct wx_archive *a, const char *sql, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_exec(a->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(a, rc, what, err, errlen);
}

/* Applies one step and the new user_version in one transaction. */
static int migrate_step(struct wx_archive *a, int to, char *err, size_t errlen)
{
	const struct migration *m = &migrations[to - 1];
	char sql[64], what[64];
	int rc;

	rc = m->apply ? m->apply(a->db) : sqlite3_exec(a->db, m->sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to);
		rc = sqlite3_exec(a->db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	snprintf(what, sizeof(what), "migrating to schema version %d", to);
	rc = fail(a, rc, what, err, errlen);
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int migrate(struct wx_archive *a, char *err, size_t errlen)
{
	for (;;) {
		int64_t have, tables;
		int rc;

		/* IMMEDIATE: two processes opening a new file at once take
		 * turns, and the second sees the first one's version. */
		rc = exec(a, "BEGIN IMMEDIATE", "reading the schema version", err, errlen);
		if (rc)
			return rc;
		rc = query_int(a->db, "PRAGMA user_version", &have);
		if (rc == SQLITE_OK && have == 0)
			rc = query_int(a->db, "SELECT count(*) FROM sqlite_schema", &tables);
		if (rc != SQLITE_OK) {
			rc = fail(a, rc, "reading the schema version", err, errlen);
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if (have >= SCHEMA_VERSION || (have == 0 && tables > 0)) {
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
			if (have == SCHEMA_VERSION)
				return 0;
			if (have == 0) {
				set_msg(a, err, errlen, "archive %s: an SQLite database, but not a wxd archive (schema version 0 with %lld tables): set database = to another file",
					a->path, (long long)tables);
				return -EINVAL;
			}
			set_msg(a, err, errlen, "archive %s: schema version %lld is newer than this wxd knows (%d): update wxd",
				a->path, (long long)have, SCHEMA_VERSION);
			return -EPROTO;
		}
		rc = migrate_step(a, (int)have + 1, err, errlen);
		if (rc)
			return rc;
	}
}

/* ---- opening ------------------------------------------------------------ */

static int prepare_all(struct wx_archive *a, char *err, size_t errlen)
{
	struct sql_buf b[ST_N];
	const char *where_span = " FROM archive WHERE ts BETWEEN ?1 AND ?2 ORDER BY ts";

	memset(b, 0, sizeof(b));
	sql_add(&b[ST_INSERT], "INSERT INTO archive (");
	sql_add_columns(&b[ST_INSERT]);
	sql_add(&b[ST_INSERT], ") VALUES (?, ?");
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (in_archive(q))
			sql_add(&b[ST_INSERT], ", ?");
	sql_add(&b[ST_INSERT], ")");
	sql_add(&b[ST_REPLACE], "INSERT OR REPLACE%s", b[ST_INSERT].s + strlen("INSERT"));
	sql_add(&b[ST_NEWEST], "SELECT max(ts) FROM archive");
	sql_add(&b[ST_COUNT], "SELECT count(*) FROM archive");
	sql_add(&b[ST_EACH], "SELECT ");
	sql_add_columns(&b[ST_EACH]);
	sql_add(&b[ST_EACH], "%s", where_span);
	sql_add(&b[ST_AFTER], "SELECT ");
	sql_add_columns(&b[ST_AFTER]);
	sql_add(&b[ST_AFTER], " FROM archive WHERE ts > ?1 ORDER BY ts LIMIT ?2");
	sql_add(&b[ST_COUNT_AFTER], "SELECT count(*) FROM archive WHERE ts > ?1");
	sql_add(&b[ST_TAIL], "SELECT count(*), max(ts) FROM archive WHERE ts > ?1");
	sql_add(&b[ST_RAIN_SUM], "SELECT total(%s) FROM archive WHERE ts BETWEEN ?1 AND ?2",
		wx_quantities[WX_RAIN_MM].key);
	sql_add(&b[ST_CURSOR_GET], "SELECT ts FROM upload_cursor WHERE name = ?1");
	sql_add(&b[ST_CURSOR_SET],
		"INSERT INTO upload_cursor (name, ts, updated_at)"
		" VALUES (?1, ?2, CAST(strftime('%%s', 'now') AS INTEGER))"
		" ON CONFLICT (name) DO UPDATE SET ts = excluded.ts, updated_at = excluded.updated_at");

	for (int i = 0; i < ST_N; i++) {
		int rc = sqlite3_prepare_v3(a->db, b[i].s, -1, SQLITE_PREPARE_PERSISTENT,
					    &a->st[i], NULL);
		if (rc != SQLITE_OK)
			return fail(a, rc, "preparing statements", err, errlen);
	}
	return 0;
}

static int configure_rw(struct wx_archive *a, char *err, size_t errlen)
{
	char sql[256];
	const char *mode = NULL;
	sqlite3_stmt *s;
	int rc;

	/* Keep -wal and -shm when wxd closes: a reader without write access
	 * to the directory (wxctl run by another user) cannot create them,
	 * and SQLite needs them to read a WAL database.  Set before anything
	 * opens the WAL: a connection closed after an open that failed half
	 * way (the disk failed, or read back as garbage) must not delete a
	 * WAL whose records are not in the database yet. */
	sqlite3_file_control(a->db, "main", SQLITE_FCNTL_PERSIST_WAL, &(int){ 1 });
	/* page_size only takes effect while the file is still empty, so it
	 * comes before journal_mode, which writes the first page. */
	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", PAGE_SIZE_BYTES);
	rc = exec(a, sql, "setting the page size", err, errlen);
	if (rc)
		return rc;
	rc = sqlite3_prepare_v2(a->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(s, 0);
	}
	if (!mode || strcmp(mode, "wal") != 0) {
		if (rc == SQLITE_ROW) {
			set_msg(a, err, errlen, "archive %s: cannot use WAL mode (journal_mode is %s): put the database on a local file system",
				a->path, mode ? mode : "unknown");
			rc = -EIO;
		} else {
			rc = fail(a, rc, "opening", err, errlen);
		}
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	snprintf(sql, sizeof(sql),
		 "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %d",
		 WAL_AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT_BYTES);
	return exec(a, sql, "setting durability", err, errlen);
}

/* Reopens a->db as immutable: for a WAL file without its -wal, in a
 * directory we cannot write (a copy on a USB stick, or wxd's file from an
 * older version that deleted -wal).  No -wal means fully checkpointed and no
 * writer running; if wxd starts while we read, its writes go to the WAL and
 * reach the file only at a checkpoint, 1000 records later. */
static int reopen_immutable(struct wx_archive *a)
{
	char *uri = sqlite3_mprintf("%s-wal", a->path);
	int rc, exists;

	if (!uri)
		return SQLITE_NOMEM;
	exists = access(uri, F_OK) == 0;
	sqlite3_free(uri);
	if (exists)
		return SQLITE_READONLY_DIRECTORY;
	/* A URI needs '?', '#' and '%' escaped in the path. */
	uri = sqlite3_mprintf("file:%s?immutable=1", a->path);
	for (char *p = uri ? uri + 5 : NULL; p && *p && *p != '?'; p++)
		if (*p == '#' || *p == '%') {
			sqlite3_free(uri);
			return SQLITE_READONLY_DIRECTORY;
		}
	if (!uri)
		return SQLITE_NOMEM;
	sqlite3_close(a->db);
	rc = sqlite3_open_v2(uri, &a->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	if (rc == SQLITE_OK)
		sqlite3_extended_result_codes(a->db, 1);
	return rc;
}

/* A read-only handle still checks that the file is a wxd archive. */
static int check_ro(struct wx_archive *a, char *err, size_t errlen)
{
	int64_t have;
	int rc = query_int(a->db, "PRAGMA user_version", &have);

	if (rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_CANTOPEN) {
		rc = reopen_immutable(a);
		if (rc == SQLITE_OK)
			rc = query_int(a->db, "PRAGMA user_version", &have);
	}

	if (rc != SQLITE_OK)
		return fail(a, rc, "opening", err, errlen);
	if (have == 0) {
		set_msg(a, err, errlen, "archive %s: not a wxd archive (schema version 0): has wxd run with database = %s?",
			a->path, a->path);
		return -EINVAL;
	}
	return 0;
}

/* SQLite reports the errno of its last attempt (a read-only open after the
 * read-write one failed), so a new file in a directory we cannot write
 * comes back as ENOENT.  The errno of the directory, or 0. */
static int cannot_create(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return access(dir, W_OK) == 0 ? 0 : errno;
}

/* Remember which files the connection has open: the database, and the WAL
 * once it exists (SQLITE_FCNTL_PERSIST_WAL keeps it while wxd runs). */
static void note_files(struct wx_archive *a)
{
	char wal[PATH_MAX];
	struct stat st;

	if (stat(a->path, &st) == 0) {
		a->db_dev = st.st_dev;
		a->db_ino = st.st_ino;
	}
	if (snprintf(wal, sizeof(wal), "%s-wal", a->path) < (int)sizeof(wal) &&
	    stat(wal, &st) == 0) {
		a->wal_dev = st.st_dev;
		a->wal_ino = st.st_ino;
	}
}

static bool same_file(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

enum wx_archive_files wx_archive_check_files(struct wx_archive *a)
{
	char wal[PATH_MAX];

	if (!same_file(a->path, a->db_dev, a->db_ino))
		return WX_ARCHIVE_DB_GONE;
	if (snprintf(wal, sizeof(wal), "%s-wal", a->path) >= (int)sizeof(wal))
		return WX_ARCHIVE_FILES_OK;
	if (!a->wal_ino) {
		note_files(a);	/* the WAL appears with the first transaction */
		return WX_ARCHIVE_FILES_OK;
	}
	return same_file(wal, a->wal_dev, a->wal_ino) ? WX_ARCHIVE_FILES_OK : WX_ARCHIVE_WAL_GONE;
}

int wx_archive_checkpoint(struct wx_archive *a, char *err, size_t errlen)
{
	int rc = sqlite3_wal_checkpoint_v2(a->db, "main", SQLITE_CHECKPOINT_FULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(a, rc, "checkpointing the WAL", err, errlen);
}

int wx_archive_settle(struct wx_archive *a, char *err, size_t errlen)
{
	int log = -1, done = -1;
	int rc = sqlite3_wal_checkpoint_v2(a->db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);

	if (rc != SQLITE_OK)
		return fail(a, rc, "copying the WAL into the database after a disk error", err, errlen);
	if (log != 0 || done != 0) {
		/* TRUNCATE leaves the WAL empty, or fails. */
		set_msg(a, err, errlen, "archive %s: the WAL was not emptied after a disk error "
			"(%d frames, %d copied); trying again", a->path, log, done);
		return -EBUSY;
	}
	return 0;
}

/* The network side's reader.  A read-only SQLite connection still opens
 * the -wal (and -shm) read-write when it can; through this VFS every file
 * is opened O_RDONLY, and "readonly_shm=1" makes the -shm read-only too
 * (SQLite then reads the WAL index into memory: its "unreliable shm"
 * path, made for readers without write access). */
static int (*unix_open)(sqlite3_vfs *, const char *, sqlite3_file *, int, int *);

static int reader_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)vfs;
	flags &= ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_DELETEONCLOSE);
	flags |= SQLITE_OPEN_READONLY;
	return unix_open(sqlite3_vfs_find(NULL), name, f, flags, out);
}

static pthread_once_t reader_once = PTHREAD_ONCE_INIT;
static sqlite3_vfs reader_vfs;

static void reader_register(void)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	if (!base)
		return;
	reader_vfs = *base;
	reader_vfs.zName = "wx-reader";
	reader_vfs.pNext = NULL;
	unix_open = base->xOpen;
	reader_vfs.xOpen = reader_open;
	sqlite3_vfs_register(&reader_vfs, 0);
}

/* mode 0: read-write (created), 1: read-only, 2: read-only with every
 * descriptor O_RDONLY (the wx-reader VFS). */
static struct wx_archive *open_common(const char *path, int mode, char *err, size_t errlen)
{
	bool read_only = mode != 0;
	char *uri = NULL;
	size_t n = strlen(path);
	struct wx_archive *a = calloc(1, sizeof(*a) + n + 1);
	int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc;

	if (!a) {
		if (err && errlen)
			snprintf(err, errlen, "archive %s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(a->path, path, n + 1);
	if (mode == 2) {
		/* A URI needs '?', '#' and '%' escaped in the path: such a
		 * name is opened plainly read-only. */
		uri = strpbrk(path, "?#%") ? NULL : sqlite3_mprintf("file:%s?readonly_shm=1", path);
	}
	if (uri) {
		rc = sqlite3_open_v2(uri, &a->db, flags | SQLITE_OPEN_URI, "wx-reader");
		sqlite3_free(uri);
	} else {
		rc = sqlite3_open_v2(path, &a->db, flags, NULL);
	}
	if (rc != SQLITE_OK) {
		int e = read_only ? 0 : cannot_create(path);

		if (e) {
			set_msg(a, err, errlen, "archive %s: cannot create the file: %s%s",
				path, strerror(e), hint_of(-e));
			rc = -e;
		} else {
			rc = fail(a, rc, read_only ? "opening read-only" : "opening", err, errlen);
		}
		goto fail;
	}
	sqlite3_extended_result_codes(a->db, 1);
	sqlite3_busy_timeout(a->db, BUSY_TIMEOUT_MS);
	if (!read_only && sqlite3_db_readonly(a->db, "main") == 1) {
		/* SQLite falls back to read-only for a file it cannot write. */
		set_msg(a, err, errlen, "archive %s: the file is read-only%s", path, hint_of(-EROFS));
		rc = -EROFS;
		goto fail;
	}
	rc = read_only ? check_ro(a, err, errlen) : configure_rw(a, err, errlen);
	if (!rc && !read_only)
		rc = migrate(a, err, errlen);
	if (!rc)
		rc = prepare_all(a, err, errlen);
	if (!rc)
		note_files(a);
	if (rc)
		goto fail;
	a->errmsg[0] = '\0';
	return a;
fail:
	wx_archive_close(a);
	errno = -rc;
	return NULL;
}

struct wx_archive *wx_archive_open(const char *path, char *err, size_t errlen)
{
	return open_common(path, 0, err, errlen);
}

struct wx_archive *wx_archive_open_ro(const char *path, char *err, size_t errlen)
{
	return open_common(path, 1, err, errlen);
}

struct wx_archive *wx_archive_open_reader(const char *path, char *err, size_t errlen)
{
	pthread_once(&reader_once, reader_register);
	return open_common(path, reader_vfs.zName ? 2 : 1, err, errlen);
}

void wx_archive_close(struct wx_archive *a)
{
	if (!a)
		return;
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(a->st[i]);
	/* The last connection checkpoints the WAL and removes -wal and -shm. */
	sqlite3_close(a->db);
	free(a);
}

const char *wx_archive_errmsg(const struct wx_archive *a)
{
	return a->errmsg;
}

/* ---- records ------------------------------------------------------------ */

static int insert(struct wx_archive *a, sqlite3_stmt *s, const struct wx_record *r, char *err,
		  size_t errlen)
{
	int col = 1, rc;

	sqlite3_bind_int64(s, col++, r->ts);
	sqlite3_bind_int(s, col++, r->interval_s);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		if (!in_archive(q))
			continue;
		if (!wx_record_has(r, (enum wx_quantity)q))
			sqlite3_bind_null(s, col);
		else if (wx_quantities[q].is_count)
			sqlite3_bind_int64(s, col, llround(r->v[q]));
		else
			sqlite3_bind_double(s, col, r->v[q]);
		col++;
	}
	/* Autocommit: the statement is its own transaction, durable (WAL
	 * fsync()ed, synchronous=FULL) when step returns. */
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		set_msg(a, err, errlen, "archive %s: a record for ts %lld exists already (the stored one is kept)",
			a->path, (long long)r->ts);
		rc = -EEXIST;
	} else {
		char what[64];

		snprintf(what, sizeof(what), "inserting the record for ts %lld", (long long)r->ts);
		rc = fail(a, rc, what, err, errlen);
	}
	sqlite3_reset(s);
	return rc;
}

int wx_archive_insert(struct wx_archive *a, const struct wx_record *r, char *err, size_t errlen)
{
	return insert(a, a->st[ST_INSERT], r, err, errlen);
}

int wx_archive_rewrite(struct wx_archive *a, const struct wx_record *r, char *err, size_t errlen)
{
	return insert(a, a->st[ST_REPLACE], r, err, errlen);
}

/* Row from a statement selecting sql_add_columns() into r. */
static void read_row(sqlite3_stmt *s, struct wx_record *r)
{
	int col = 2;

	wx_record_init(r, sqlite3_column_int64(s, 0));
	r->interval_s = sqlite3_column_int(s, 1);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		if (!in_archive(q))
			continue;
		if (sqlite3_column_type(s, col) != SQLITE_NULL)
			wx_record_set(r, (enum wx_quantity)q, sqlite3_column_double(s, col));
		col++;
	}
}

/* Runs a one-row, one-column query; *v keeps its value when the result is
 * NULL or there is no row.  The statement is reset on the way out, so no
 * read transaction stays open to hold up checkpoints. */
static int step_int(struct wx_archive *a, sqlite3_stmt *s, int64_t *v, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? 0 : fail(a, rc, what, NULL, 0);
	sqlite3_reset(s);
	return rc;
}

int wx_archive_newest_ts(struct wx_archive *a, int64_t *ts)
{
	*ts = 0;
	return step_int(a, a->st[ST_NEWEST], ts, "reading the newest record");
}

int wx_archive_count(struct wx_archive *a, int64_t *n)
{
	*n = 0;
	return step_int(a, a->st[ST_COUNT], n, "counting records");
}

int wx_archive_count_after(struct wx_archive *a, int64_t after_ts, int64_t *n)
{
	sqlite3_stmt *s = a->st[ST_COUNT_AFTER];

	*n = 0;
	sqlite3_bind_int64(s, 1, after_ts);
	return step_int(a, s, n, "counting records");
}

int wx_archive_tail(struct wx_archive *a, int64_t after_ts, int64_t *n, int64_t *newest)
{
	sqlite3_stmt *s = a->st[ST_TAIL];
	int rc;

	*n = 0;
	*newest = after_ts;
	sqlite3_bind_int64(s, 1, after_ts);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*newest = sqlite3_column_int64(s, 1);
		rc = 0;
	} else {
		rc = fail(a, rc, "counting records", NULL, 0);
	}
	sqlite3_reset(s);
	return rc;
}

int wx_archive_each(struct wx_archive *a, int64_t since, int64_t until, wx_archive_cb cb, void *arg)
{
	sqlite3_stmt *s = a->st[ST_EACH], *own = NULL;
	struct wx_record r;
	int rc;

	if (sqlite3_stmt_busy(s)) {
		/* cb of an outer wx_archive_each() called us again. */
		rc = sqlite3_prepare_v2(a->db, sqlite3_sql(s), -1, &own, NULL);
		if (rc != SQLITE_OK)
			return fail(a, rc, "reading records", NULL, 0);
		s = own;
	}
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	for (;;) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = fail(a, rc, "reading records", NULL, 0);
			break;
		}
		read_row(s, &r);
		rc = cb(&r, arg);
		if (rc)
			break;
	}
	if (own)
		sqlite3_finalize(own);
	else
		sqlite3_reset(s);
	return rc;
}

int wx_archive_after(struct wx_archive *a, int64_t after_ts, struct wx_record *out, size_t max)
{
	sqlite3_stmt *s = a->st[ST_AFTER];
	size_t n = 0;
	int rc = SQLITE_DONE;

	if (max > INT_MAX)
		max = INT_MAX;
	sqlite3_bind_int64(s, 1, after_ts);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		read_row(s, &out[n++]);
	if (n < max && rc != SQLITE_DONE) {
		rc = fail(a, rc, "reading records", NULL, 0);
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return (int)n;
}

int wx_archive_rain_sum(struct wx_archive *a, int64_t since, int64_t until, double *mm)
{
	sqlite3_stmt *s = a->st[ST_RAIN_SUM];
	int rc;

	*mm = 0;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*mm = sqlite3_column_double(s, 0);	/* total() is 0.0 over no rows */
		rc = 0;
	} else {
		rc = fail(a, rc, "summing rain", NULL, 0);
	}
	sqlite3_reset(s);
	return rc;
}

/* ---- aggregates (the web page's long ranges) ---------------------------- */

/* Three columns per archive quantity, in wx_quantities order: the step's
 * value, its lowest, its highest. */
static void agg_columns(sqlite3_str *q)
{
	const char *dir = wx_quantities[WX_WIND_DIRECTION_DEG].key;
	const char *spd = wx_quantities[WX_WIND_SPEED_KMH].key;

	for (int i = 0; i < WX_QUANTITY_COUNT; i++) {
		const char *k = wx_quantities[i].key;

		if (!in_archive(i))
			continue;
		switch (i) {
		case WX_RAIN_MM:
		case WX_WIND_PULSES:
		case WX_RAIN_TIPS:
			sqlite3_str_appendf(q, ", sum(%s), min(%s), max(%s)", k, k, k);
			break;
		case WX_WIND_GUST_KMH:
			sqlite3_str_appendf(q, ", max(%s), min(%s), max(%s)", k, k, k);
			break;
		case WX_WIND_DIRECTION_DEG:
			/* Each record's direction is already a vector mean over its
			 * interval; weight it by that interval's mean speed (1 when
			 * there is no anemometer), as the interval weights its samples. */
			sqlite3_str_appendf(q,
				", CASE WHEN total(CASE WHEN %s IS NOT NULL THEN coalesce(%s, 1) END) > 0"
				" THEN mod(degrees(atan2(total(coalesce(%s, 1) * sin(radians(%s))),"
				" total(coalesce(%s, 1) * cos(radians(%s))))) + 360, 360) END, NULL, NULL",
				dir, spd, spd, dir, spd, dir);
			break;
		default:
			sqlite3_str_appendf(q, ", avg(%s), min(%s), max(%s)", k, k, k);
		}
	}
}

int wx_archive_aggregate(struct wx_archive *a, int64_t since, int64_t until, int64_t step_s,
			 wx_archive_step_cb cb, void *arg)
{
	sqlite3_str *q = sqlite3_str_new(a->db);
	sqlite3_stmt *s = NULL;
	struct wx_archive_step g;
	char *sql;
	int rc;

	if (step_s < 1)
		return -EINVAL;
	/* ?1 since, ?2 until, ?3 step: integer division rounds the step's end up. */
	sqlite3_str_appendf(q, "SELECT ?1 + ((ts - ?1 + ?3 - 1) / ?3) * ?3 AS step_end, count(*)");
	agg_columns(q);
	sqlite3_str_appendf(q, " FROM archive WHERE ts > ?1 AND ts <= ?2 GROUP BY step_end ORDER BY step_end");
	sql = sqlite3_str_finish(q);
	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(a->db, sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return fail(a, rc, "aggregating records", NULL, 0);
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	sqlite3_bind_int64(s, 3, step_s);
	for (;;) {
		int col = 2;

		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = fail(a, rc, "aggregating records", NULL, 0);
			break;
		}
		wx_record_init(&g.mean, sqlite3_column_int64(s, 0));
		wx_record_init(&g.lo, g.mean.ts);
		wx_record_init(&g.hi, g.mean.ts);
		g.mean.interval_s = g.lo.interval_s = g.hi.interval_s = (int32_t)step_s;
		g.n = sqlite3_column_int64(s, 1);
		for (int i = 0; i < WX_QUANTITY_COUNT; i++) {
			struct wx_record *out[3] = { &g.mean, &g.lo, &g.hi };

			if (!in_archive(i))
				continue;
			for (int j = 0; j < 3; j++, col++)
				if (sqlite3_column_type(s, col) != SQLITE_NULL)
					wx_record_set(out[j], (enum wx_quantity)i,
						      sqlite3_column_double(s, col));
		}
		rc = cb(&g, arg);
		if (rc)
			break;
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- upload cursors ------------------------------------------------------ */

int wx_archive_data_version(struct wx_archive *a, int64_t *v)
{
	int rc = query_int(a->db, "PRAGMA data_version", v);

	return rc == SQLITE_OK ? 0 : fail(a, rc, "reading data_version", NULL, 0);
}

int wx_archive_cursor_get(struct wx_archive *a, const char *dest, int64_t *ts)
{
	sqlite3_stmt *s = a->st[ST_CURSOR_GET];

	*ts = 0;
	sqlite3_bind_text(s, 1, dest, -1, SQLITE_TRANSIENT);
	return step_int(a, s, ts, "reading an upload cursor");
}

int wx_archive_cursor_set(struct wx_archive *a, const char *dest, int64_t ts)
{
	sqlite3_stmt *s = a->st[ST_CURSOR_SET];
	char what[96];
	int rc;

	sqlite3_bind_text(s, 1, dest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, ts);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = 0;
	else {
		snprintf(what, sizeof(what), "moving the %s upload cursor", dest);
		rc = fail(a, rc, what, NULL, 0);
	}
	sqlite3_reset(s);
	return rc;
}

int wx_archive_relax_sync(struct wx_archive *a)
{
	return exec(a, "PRAGMA synchronous = NORMAL", "setting synchronous", NULL, 0);
}
