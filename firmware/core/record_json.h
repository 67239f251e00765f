/* A record as one JSON object with the contract's keys (docs/contract.md
 * "Readings"): ts, station, interval_s, then every quantity whose `where`
 * bits meet the mask, null when not valid, values rounded to 0.01. */
#ifndef WX_RECORD_JSON_H
#define WX_RECORD_JSON_H

#include <cjson/cJSON.h>

#include "firmware/core/record.h"

/* A new cJSON object (caller frees with cJSON_Delete), or NULL on
 * allocation failure.  station may be NULL (left out); interval_s is left
 * out when r->interval_s is 0 (a live reading). */
cJSON *wx_record_to_cjson(const struct wx_record *r, const char *station, unsigned where);

/* The same, printed unformatted on one line: a malloc'd string the caller
 * frees with free(), or NULL on allocation failure. */
char *wx_record_to_json(const struct wx_record *r, const char *station, unsigned where);

/* The reverse, for wxctl reading the daemon's live answer: fill *r from
 * object o ("ts" and every quantity key that holds a number; anything else
 * is left invalid; a ts that is not a number an int64_t can hold reads
 * as 0).  o may be anything cJSON parsed, even NULL; nothing is
 * allocated. */
void wx_record_from_json(const cJSON *o, struct wx_record *r);

#endif
