/* libFuzzer target: the DS18B20 w1_slave text parser, wx_ds18b20_parse(),
 * given exactly the fuzzer's bytes (a heap copy of that length, no NUL) so
 * ASan catches any read past the end. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/ds18b20.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	double t = NAN;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	rc = wx_ds18b20_parse(text, size, &t);
	/* The contract: success only inside the datasheet range. */
	if (rc == 0 && !(t >= WX_DS18B20_MIN_C && t <= WX_DS18B20_MAX_C))
		abort();
	if (rc > 0 || rc < -(int)WX_DS18B20_E_COUNT)
		abort();
	(void)wx_ds18b20_strerror(rc);
	free(text);
	return 0;
}
