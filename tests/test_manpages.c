/* The manual pages follow the code: every section and key of the config
 * schema (firmware/core/config.c, the source of truth) is documented in
 * man/wxd.conf.5, so a key added to the schema without its documentation
 * fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "firmware/core/config.h"

#define MAN_CONF "man/wxd.conf.5"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The text of ".SH [section]" up to the next ".SH", or NULL. */
static char *section_text(const char *man, const char *section)
{
	char head[64];
	const char *s, *e;

	snprintf(head, sizeof(head), "\n.SH [%s]\n", section);
	s = strstr(man, head);
	if (!s)
		return NULL;
	s += strlen(head) - 1;
	e = strstr(s, "\n.SH ");
	return strndup(s, e ? (size_t)(e - s + 1) : strlen(s));
}

/* A ".B key" line (the key as a tagged paragraph's tag). */
static bool has_key(const char *text, const char *key)
{
	char line[80];

	snprintf(line, sizeof(line), "\n.B %s\n", key);
	return strstr(text, line) != NULL;
}

static void man_wxd_conf_documents_every_section_and_key_of_the_schema(void **state)
{
	char *man = slurp(MAN_CONF), *description, *missing = calloc(1, 8192);
	const char *section, *key, *first = strstr(man, "\n.SH [");
	size_t used = 0;

	(void)state;
	assert_non_null(first);
	assert_non_null(missing);
	description = strndup(man, (size_t)(first - man));
	for (size_t i = 0; wx_config_schema_key(i, &section, &key); i++) {
		char *text = section_text(man, section), want[64];
		bool ok;

		if (!strcmp(key, "enabled")) {
			/* Documented once: the sections that presence enables are
			 * listed in the DESCRIPTION. */
			snprintf(want, sizeof(want), "[%s]", section);
			ok = strstr(description, want) != NULL;
		} else {
			ok = text && has_key(text, key);
		}
		if (!ok && used < 8000)
			used += (size_t)snprintf(missing + used, 8192 - used, "  [%s] %s%s\n", section,
						 key, text ? "" : " (no .SH section)");
		free(text);
	}
	if (used)
		fail_msg("%s does not document:\n%s", MAN_CONF, missing);
	free(description);
	free(missing);
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(man_wxd_conf_documents_every_section_and_key_of_the_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
