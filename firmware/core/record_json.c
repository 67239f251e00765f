#include "firmware/core/record_json.h"

#include <stdbool.h>
#include <stdlib.h>

cJSON *wx_record_to_cjson(const struct wx_record *r, const char *station, unsigned where)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	ok = ok && cJSON_AddNumberToObject(o, "ts", (double)r->ts);
	if (station)
		ok = ok && cJSON_AddStringToObject(o, "station", station);
	if (r->interval_s)
		ok = ok && cJSON_AddNumberToObject(o, "interval_s", r->interval_s);
	for (int q = 0; ok && q < WX_QUANTITY_COUNT; q++) {
		const struct wx_quantity_info *qi = &wx_quantities[q];

		if (!(qi->where & where))
			continue;
		if (!wx_record_has(r, (enum wx_quantity)q))
			ok = cJSON_AddNullToObject(o, qi->key) != NULL;
		else
			ok = cJSON_AddNumberToObject(o, qi->key, wx_round2(r->v[q])) != NULL;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *wx_record_to_json(const struct wx_record *r, const char *station, unsigned where)
{
	cJSON *o = wx_record_to_cjson(r, station, where);
	char *s;

	if (!o)
		return NULL;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

void wx_record_from_json(const cJSON *o, struct wx_record *r)
{
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
	/* Only a time an int64_t can hold: casting 1e999 (inf) or NaN is UB. */
	bool ts_ok = cJSON_IsNumber(ts) && ts->valuedouble > -9.2e18 && ts->valuedouble < 9.2e18;

	wx_record_init(r, ts_ok ? (int64_t)ts->valuedouble : 0);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, wx_quantities[q].key);

		if (cJSON_IsNumber(v))
			wx_record_set(r, (enum wx_quantity)q, v->valuedouble);
	}
}
