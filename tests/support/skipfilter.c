/* WX_TEST_SKIP=PATTERN skips the test cases whose names match (cmocka's
 * '*' and '?'); cmocka reports them as SKIPPED, never as passed.  Used by
 * make test-cross for the few cases qemu-user cannot emulate (see
 * mk/cross.mk). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

__attribute__((constructor)) static void skip_from_environment(void)
{
	const char *pattern = getenv("WX_TEST_SKIP");

	if (pattern && *pattern)
		cmocka_set_skip_filter(pattern);
}
