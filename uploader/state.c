/* The network side's state file: see state.h. */
#include "uploader/state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 2000

struct wx_upload_state {
	sqlite3 *db;
	sqlite3_stmt *get, *set;
	char errmsg[512];
	char path[];
};

int wx_upload_state_path(const char *database, const char *suffix, char *out, size_t outlen)
{
	const char *sd = getenv("STATE_DIRECTORY");
	const char *slash = strrchr(database, '/');
	const char *base = slash ? slash + 1 : database;
	int n;

	if (sd && *sd) {
		size_t len = strcspn(sd, ":");

		n = snprintf(out, outlen, "%.*s/%s%s", (int)len, sd, base, suffix);
	} else if (slash) {
		n = snprintf(out, outlen, "%.*s%s", (int)(slash - database + 1), database, base);
		if (n >= 0 && (size_t)n < outlen)
			n = snprintf(out + n, outlen - (size_t)n, "%s", suffix) + n;
	} else {
		n = snprintf(out, outlen, "%s%s", base, suffix);
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static int fail(struct wx_upload_state *s, const char *what)
{
	int rc = sqlite3_errcode(s->db);

	snprintf(s->errmsg, sizeof(s->errmsg), "upload state %s: %s: %s", s->path, what,
		 sqlite3_errmsg(s->db));
	return rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_READONLY ? -EROFS :
	       rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

struct wx_upload_state *wx_upload_state_open(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);
	struct wx_upload_state *s = calloc(1, sizeof(*s) + n + 1);
	int rc = -EIO;

	if (!s) {
		snprintf(err, errlen, "upload state %s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s->path, path, n + 1);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = fail(s, "opening");
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* Cursor moves need not be durable: see state.h. */
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 "CREATE TABLE IF NOT EXISTS upload_cursor ("
			 " name TEXT PRIMARY KEY, archive TEXT NOT NULL, ts INTEGER NOT NULL,"
			 " updated_at INTEGER)", NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(s, "creating its table");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT archive, ts FROM upload_cursor WHERE name = ?1", -1,
			       &s->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO upload_cursor (name, archive, ts, updated_at)"
			       " VALUES (?1, ?2, ?3, CAST(strftime('%s', 'now') AS INTEGER))"
			       " ON CONFLICT (name) DO UPDATE SET archive = excluded.archive,"
			       " ts = excluded.ts, updated_at = excluded.updated_at",
			       -1, &s->set, NULL) != SQLITE_OK) {
		rc = fail(s, "preparing statements");
		goto out;
	}
	return s;
out:
	snprintf(err, errlen, "%s", s->errmsg);
	wx_upload_state_close(s);
	errno = -rc;
	return NULL;
}

void wx_upload_state_close(struct wx_upload_state *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->set);
	sqlite3_close(s->db);
	free(s);
}

const char *wx_upload_state_errmsg(const struct wx_upload_state *s)
{
	return s->errmsg;
}

int wx_upload_state_cursor_set(struct wx_upload_state *s, const char *dest,
			       const char *archive_id, int64_t ts)
{
	int rc;

	sqlite3_bind_text(s->set, 1, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->set, 2, archive_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->set, 3, ts);
	rc = sqlite3_step(s->set);
	sqlite3_reset(s->set);
	sqlite3_clear_bindings(s->set);
	return rc == SQLITE_DONE ? 0 : fail(s, "storing a cursor");
}

int wx_upload_state_cursor_get(struct wx_upload_state *s, const char *dest,
			       const char *archive_id, struct wx_archive *a, int64_t *ts)
{
	bool found = false;
	int rc;

	sqlite3_bind_text(s->get, 1, dest, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->get);
	if (rc == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s->get, 0);

		if (id && strcmp(id, archive_id) == 0) {
			*ts = sqlite3_column_int64(s->get, 1);
			found = true;
		}
	}
	sqlite3_reset(s->get);
	sqlite3_clear_bindings(s->get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "reading a cursor");
	if (found)
		return 0;
	/* Another file, or none yet: the archive's own (pre-split) cursor. */
	rc = wx_archive_cursor_get(a, dest, ts);
	if (rc) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", wx_archive_errmsg(a));
		return rc;
	}
	return wx_upload_state_cursor_set(s, dest, archive_id, *ts);
}

int wx_upload_state_cursor_peek(const char *database, const char *dest, int64_t *ts)
{
	char path[4096 + 64], id[48];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct stat st;
	int rc = 0;

	*ts = 0;
	if (stat(database, &st) != 0)
		return -errno;
	snprintf(id, sizeof(id), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (wx_upload_state_path(database, ".uploads", path, sizeof(path)))
		return -ENAMETOOLONG;
	if (access(path, F_OK) != 0)
		return 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT ts FROM upload_cursor WHERE name = ?1 AND archive = ?2",
			       -1, &q, NULL) != SQLITE_OK) {
		rc = -EIO;
	} else {
		sqlite3_bind_text(q, 1, dest, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			*ts = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}
