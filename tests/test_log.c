/* firmware/core/log.c: syslog priority prefixes when stderr is the journal, and
 * plain lines anywhere else. */
#include <fcntl.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/core/log.h"

/* Run the same lines with stderr sent to a fresh file; journal_stream:
 * "self" sets JOURNAL_STREAM to that file's dev:ino (as systemd does for the
 * stream it connects), "other" to another file's, NULL unsets it.  Returns
 * what was written (static). */
static const char *logged(const char *journal_stream)
{
	static char out[1024];
	char path[] = "/tmp/wxlogXXXXXX", other[] = "/tmp/wxlogXXXXXX", env[64];
	int fd = mkstemp(path), ofd = mkstemp(other), saved = dup(STDERR_FILENO);
	struct stat st;
	ssize_t n;

	assert_true(fd >= 0 && ofd >= 0 && saved >= 0);
	assert_int_equal(fstat(journal_stream && !strcmp(journal_stream, "other") ? ofd : fd, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	if (journal_stream)
		setenv("JOURNAL_STREAM", env, 1);
	else
		unsetenv("JOURNAL_STREAM");
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);

	wx_log_init("wxd");
	wx_log_warnx("bme280 /dev/i2c-1 address 0x76: no reply");
	wx_log_info("station started");
	wx_log_errx("cannot start");
	wx_log_errlines("wxd.conf:2: first\nwxd.conf:5: second");
	wx_log_debug("not shown");

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
	close(ofd);
	unlink(path);
	unlink(other);
	unsetenv("JOURNAL_STREAM");
	wx_log_init(NULL);
	return out;
}

static void log_lines_carry_priorities_when_stderr_is_the_journal(void **state)
{
	(void)state;
	assert_string_equal(logged("self"),
			    "<4>wxd: bme280 /dev/i2c-1 address 0x76: no reply\n"
			    "<6>wxd: station started\n"
			    "<3>wxd: cannot start\n"
			    "<3>wxd.conf:2: first\n"
			    "<3>wxd.conf:5: second\n");
}

static void log_lines_are_plain_on_anything_else(void **state)
{
	static const char plain[] =
		"wxd: bme280 /dev/i2c-1 address 0x76: no reply\n"
		"wxd: station started\n"
		"wxd: cannot start\n"
		"wxd.conf:2: first\n"
		"wxd.conf:5: second\n";

	(void)state;
	/* Not under systemd, or stderr redirected away from the journal. */
	assert_string_equal(logged(NULL), plain);
	assert_string_equal(logged("other"), plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_lines_carry_priorities_when_stderr_is_the_journal),
		cmocka_unit_test(log_lines_are_plain_on_anything_else),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
