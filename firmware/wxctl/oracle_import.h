/* Reading rows exported from the original Oracle Weather Station's
 * MariaDB/MySQL table WEATHER_MEASUREMENT (CSV or tab-separated, with or
 * without a header row) into archive records, for `wxctl import --layout
 * oracle FILE`.  The caller inserts each record (wx_archive_insert) and
 * counts the duplicates it skips; this module knows no database.
 *
 * hardware/oracle-hat.md ("Importing the old database") documents the
 * columns, units, sentinels and the local-time rules. */
#ifndef WX_ORACLE_IMPORT_H
#define WX_ORACLE_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "firmware/core/record.h"

struct wx_oracle_import_stats {
	unsigned long lines;	/* lines read, header and blank lines included */
	unsigned long imported;	/* records handed to the row callback */
	unsigned long rejected;	/* bad lines reported and skipped */
};

/* Called once per good row with the record (ts = CREATED in UTC, the end
 * of its interval; values NULL where the kit had none or a sentinel).
 * Return 0 to go on, or a negative errno to stop the import with it. */
typedef int (*wx_oracle_row_fn)(const struct wx_record *r, void *arg);
/* Called once per problem with one line "FILE:LINE: message" (no newline). */
typedef void (*wx_oracle_error_fn)(const char *msg, void *arg);

/* Read every line of f (name is used in messages).  A bad line is
 * reported through error and skipped, and the import goes on, except that
 * it stops with -EINVAL when the header is unusable or when the first 20
 * data lines were all bad (not an export of WEATHER_MEASUREMENT).  Returns
 * 0 when the whole file was read, -EIO on a read error, -EINVAL as said,
 * or the row callback's negative value.  st (may be NULL) gets the counts.
 * CREATED is local time in the process's TZ. */
int wx_oracle_import_stream(FILE *f, const char *name, wx_oracle_row_fn row,
			    wx_oracle_error_fn error, void *arg,
			    struct wx_oracle_import_stats *st);

/* The same for the file at path; -errno (reported through error) when it
 * cannot be opened. */
int wx_oracle_import_file(const char *path, wx_oracle_row_fn row, wx_oracle_error_fn error,
			  void *arg, struct wx_oracle_import_stats *st);

/* Turn a CREATED value ("YYYY-MM-DD HH:MM[:SS[.frac]]", or with 'T') in
 * the process's local time zone into Unix seconds.  In the hour repeated
 * at the end of summer time, the earlier instant is taken unless it is not
 * after prev_ts (the previous row's time; INT64_MIN for none) while the
 * later one is: rows in time order then come out in order.  Returns 0,
 * -EINVAL for a malformed value, -ERANGE for a local time that does not
 * exist (skipped at the start of summer time). */
int wx_oracle_parse_created(const char *s, int64_t prev_ts, int64_t *ts);

#endif
