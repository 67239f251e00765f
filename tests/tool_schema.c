/* tool_schema: print every key of the configuration schema as
 * "section.key", one a line, in schema order (wx_config_schema_key(): the
 * fixed sections and every sensor row of the driver table).  For
 * tests/e2e_docs.sh, which checks them against docs/contract.md. */
#include <stdio.h>

#include "firmware/core/config.h"

int main(void)
{
	const char *section, *key;

	for (size_t i = 0; wx_config_schema_key(i, &section, &key); i++)
		printf("%s.%s\n", section, key);
	return ferror(stdout) ? 1 : 0;
}
