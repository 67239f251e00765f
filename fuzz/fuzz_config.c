/* libFuzzer target: the configuration parser, wx_config_load_mem(), on
 * arbitrary bytes (an embedded NUL is refused with its line, as the file
 * reader refuses it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_config cfg;
	char err[4096];
	/* A copy of exactly size bytes, so that ASan sees any read past it. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	wx_config_defaults(&cfg);
	if (wx_config_load_mem(&cfg, "fuzz.conf", text, size, err, sizeof(err)) == 0) {
		/* What the daemon does next with a good file. */
		wx_config_enable_all_sensors(&cfg);
	} else if (strlen(err) >= sizeof(err)) {
		abort();	/* the message must stay inside its buffer */
	}
	free(text);
	return 0;
}
