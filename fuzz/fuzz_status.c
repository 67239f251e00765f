/* libFuzzer target: struct wx_status from JSON (firmware/core/status.c), as the
 * sampler reads the network side's "net-status" report and wxctl and the
 * web page read the sampler's "status" answer.  Whatever the bytes, the
 * parse must not crash, say why it failed when it failed, and be stable:
 * the struct written out and read again is the same struct (so nothing
 * half-understood leaks through a round trip), and the second reading
 * finds no unknown or mistyped key. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "firmware/core/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_status a, b, u;
	char err[256], err2[256];
	cJSON *o = cJSON_ParseWithLength((const char *)data, size);
	char *json;
	int rc, rc2;

	rc = wx_status_from_cjson(o, &a, err, sizeof(err));
	if (rc != 0 && rc != 1 && rc != -EINVAL)
		abort();
	if (rc != 0 && err[0] == '\0')
		abort();	/* a failure always says why */
	/* The "uploads" part alone, as netside.c reads a report. */
	memset(&u, 0, sizeof(u));
	wx_status_uploads_from_cjson(cJSON_GetObjectItemCaseSensitive(o, "uploads"), &u, NULL, 0);
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "uploads")) &&
	    (u.n_uploads != a.n_uploads ||
	     (u.n_uploads && memcmp(u.uploads, a.uploads, sizeof(u.uploads[0]) * (size_t)u.n_uploads))))
		abort();
	cJSON_Delete(o);
	json = wx_status_to_json(&a);
	if (!json)
		return 0;	/* out of memory only */
	rc2 = wx_status_from_json(json, &b, err2, sizeof(err2));
	if (!wx_status_equal(&a, &b))
		abort();
	/* Written keys are all known and well typed; only "missing" remains. */
	if (rc2 == 1 || (rc2 < 0 && !strstr(err2, ": missing")))
		abort();
	free(json);
	return 0;
}
