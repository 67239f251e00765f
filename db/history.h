/* wxctl history: archive records as a table for people (with a summary),
 * CSV (the archive's columns, or the original Oracle Weather Station's
 * WEATHER_MEASUREMENT layout), or a JSON array. */
#ifndef WX_HISTORY_H
#define WX_HISTORY_H

#include <stdint.h>
#include <stdio.h>

#include "db/archive.h"
#include "firmware/core/config.h"

enum wx_history_format { WX_HISTORY_TABLE, WX_HISTORY_CSV, WX_HISTORY_JSON };

/* Print the records with since <= ts <= until to out.  Returns 0 or -errno
 * (the archive's message is in wx_archive_errmsg()). */
int wx_history_print(FILE *out, struct wx_archive *a, const struct wx_config *cfg,
		     int64_t since, int64_t until, enum wx_history_format format,
		     bool oracle_layout);

/* The column names of the Oracle layout, in order, comma separated. */
extern const char wx_history_oracle_header[];

#endif
