/* Times and spans given on command lines: pure parsers, fuzzed. */
#ifndef WX_TIMEPARSE_H
#define WX_TIMEPARSE_H

#include <stdint.h>

/* A span: a whole number followed by s, m, h or d ("90s", "15m", "24h",
 * "7d"); at most 10 years.  0 and *seconds, or -EINVAL. */
int wx_parse_span(const char *s, int64_t *seconds);

/* A moment: Unix seconds ("1700000000"), relative to now ("-24h", "-7d",
 * "-90s", "now"), or ISO 8601: "2026-11-22", "2026-11-22T14:05",
 * "2026-11-22T14:05:30", with "Z" or "+01:00" / "-0500"; a date or time
 * without an offset is local time (a space may stand for the "T").
 * 0 and *ts (Unix seconds), or -EINVAL. */
int wx_parse_when(const char *s, int64_t now, int64_t *ts);

#endif
