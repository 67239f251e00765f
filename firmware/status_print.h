/* The daemon's "status" answer (one JSON object, DESIGN.md) printed for
 * people, as `wxctl status` shows it. */
#ifndef WX_STATUS_PRINT_H
#define WX_STATUS_PRINT_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* Print status object o to out.  Missing or mistyped keys print as empty,
 * zero or "never"; o may be anything cJSON parsed.  Nothing is allocated. */
void wx_status_print(FILE *out, const cJSON *o);

#endif
