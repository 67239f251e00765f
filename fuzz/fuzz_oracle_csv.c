/* libFuzzer target: the Oracle Weather Station export reader
 * (firmware/wxctl/oracle_import.c), fed the input as a file through fmemopen(),
 * header or not.  Every record it hands out must have a time and no value
 * outside what the kit could have measured turned into a sentinel. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "firmware/wxctl/oracle_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int row(const struct wx_record *r, void *arg)
{
	(void)arg;
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_record_has(r, (enum wx_quantity)q) && !isfinite(r->v[q]))
			abort();	/* a NaN or inf must never reach the archive */
	if (r->interval_s <= 0)
		abort();
	return 0;
}

static void error(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wx_oracle_import_stats st;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	(void)wx_oracle_import_stream(f, "fuzz.csv", row, error, NULL, &st);
	fclose(f);
	if (st.imported + st.rejected > st.lines)
		abort();
	return 0;
}
