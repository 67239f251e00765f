/* libFuzzer target: wxctl's side of the live socket.  The daemon's answer
 * (arbitrary bytes, parsed by cJSON exactly as wxctl does, length-bounded)
 * goes through wx_record_from_json() for `wxctl read` and through
 * wx_status_from_cjson() and wx_status_print() (into /dev/null) for
 * `wxctl status`. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "firmware/core/record_json.h"
#include "firmware/wxctl/status_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct wx_record r;
	cJSON *o;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	o = cJSON_ParseWithLength((const char *)data, size);
	wx_record_from_json(o, &r);
	/* Every value taken must be a finite number. */
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_record_has(&r, (enum wx_quantity)q) && !isfinite(r.v[q]))
			abort();
	if (devnull) {
		static struct wx_status st;

		wx_status_from_cjson(o, &st, NULL, 0);
		wx_status_print(devnull, &st);
	}
	cJSON_Delete(o);
	return 0;
}
