/* libFuzzer target: the configuration parser, wx_config_load_string(), on
 * arbitrary bytes (NUL-terminated copy; an embedded NUL just ends the
 * text early, as it would for the file reader). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_config cfg;
	char err[4096];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	wx_config_defaults(&cfg);
	if (wx_config_load_string(&cfg, "fuzz.conf", text, err, sizeof(err)) == 0) {
		/* What the daemon does next with a good file. */
		wx_config_enable_all_sensors(&cfg);
	} else if (strlen(err) >= sizeof(err)) {
		abort();	/* the message must stay inside its buffer */
	}
	free(text);
	return 0;
}
