/* libFuzzer target: the command-line time parsers wx_parse_span() and
 * wx_parse_when() (firmware/core/timeparse.c) on a NUL-terminated copy of the
 * input.  The first 4 input bytes, when there are more than that, also
 * pick the "now" that relative times count from: any second from 1970 to
 * the 23rd century (now is time(NULL) in wxctl, never arbitrary). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/core/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now = 1700000000, span = 0, ts = 0;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (wx_parse_span(s, &span) == 0 && (span < 0 || span > 10LL * 366 * 86400))
		abort();	/* the header promises at most 10 years */
	(void)wx_parse_when(s, now, &ts);
	if (size > 4) {
		uint32_t u;
		int64_t other;

		memcpy(&u, data, sizeof(u));
		other = (int64_t)u * 2;
		(void)wx_parse_when(s + 4, other, &ts);
		s[3] = '-';	/* a relative time against that now */
		(void)wx_parse_when(s + 3, other, &ts);
	}
	free(s);
	return 0;
}
