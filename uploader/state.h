/* The network side's own state: each destination's upload cursor, in a
 * small SQLite file that only wxd-net writes (the archive is read-only to
 * it), and where its other state files live (<base>.ha-discovery).
 *
 * Where: the directory systemd gives the unit ($STATE_DIRECTORY, the first
 * one when it lists several), else the archive's own directory; the file
 * is named after the archive: <dir>/<archive file name>.uploads.  So
 * "database = /var/lib/wxd/wx.db" gives /var/lib/wxd-net/wx.db.uploads
 * under systemd (StateDirectory=wxd-net) and /var/lib/wxd/wx.db.uploads
 * when wxd runs it as its child.
 *
 * A cursor belongs to one archive file: with it the state keeps the
 * file's identity (st_dev:st_ino).  When there is no row for a destination
 * yet (an upgraded station) or the row belongs to another file (the
 * archive was replaced), the cursor is taken from that archive's own
 * upload_cursor table, where wxd before the split kept it: read, never
 * written; 0 when it has none.  So an upgrade re-sends nothing and a new
 * archive is sent from its start. */
#ifndef WX_UPLOAD_STATE_H
#define WX_UPLOAD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "db/archive.h"

/* <state dir>/<basename(database)><suffix> into out.  0, or -ENAMETOOLONG. */
int wx_upload_state_path(const char *database, const char *suffix, char *out, size_t outlen);

struct wx_upload_state;

/* Open (create) the state file at path.  NULL with errno set and a
 * message naming the file in err. */
struct wx_upload_state *wx_upload_state_open(const char *path, char *err, size_t errlen);
void wx_upload_state_close(struct wx_upload_state *s);

/* The cursor of dest for the archive file a (identity archive_id, e.g.
 * "2049:1234"): its row, else imported from a's upload_cursor table (and
 * stored).  0 or -errno. */
int wx_upload_state_cursor_get(struct wx_upload_state *s, const char *dest,
			       const char *archive_id, struct wx_archive *a, int64_t *ts);
/* Store dest's cursor for that archive file.  Not fsync()ed on its own
 * (a power cut can only take it back: records are sent again, never
 * lost).  0 or -errno. */
int wx_upload_state_cursor_set(struct wx_upload_state *s, const char *dest,
			       const char *archive_id, int64_t ts);
/* Tests and tools: the cursor of dest for the archive file now at
 * database, as the state file has it (0 when it has none).  0 or -errno. */
int wx_upload_state_cursor_peek(const char *database, const char *dest, int64_t *ts);
/* The message of the last failed call, naming the file. */
const char *wx_upload_state_errmsg(const struct wx_upload_state *s);

#endif
