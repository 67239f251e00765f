/* The live socket (firmware/core/live.c): what it may replace at its path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/core/live.h"

static char *answer(const char *command, void *arg)
{
	(void)arg;
	return strdup(strcmp(command, "read") == 0 ? "{\"ok\":true}" : "{}");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void live_never_replaces_a_file_that_is_not_a_socket(void **state)
{
	char dir[] = "/tmp/wxliveXXXXXX", path[64], err[512], buf[32] = "";
	struct wx_live *l;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/wx.db", dir);
	write_file(path, "SQLite format 3");
	/* socket = database: before, the archive was unlinked here. */
	errno = 0;
	l = wx_live_open(path, answer, NULL, err, sizeof(err));
	assert_null(l);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a socket"));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "SQLite format 3");
	unlink(path);
	rmdir(dir);
}

static void live_replaces_a_stale_socket_and_removes_only_its_own(void **state)
{
	char dir[] = "/tmp/wxliveXXXXXX", path[64], err[512];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wx_live *l, *stale;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/wxd.sock", dir);
	stale = wx_live_open(path, answer, NULL, err, sizeof(err));
	assert_non_null(stale);
	l = wx_live_open(path, answer, NULL, err, sizeof(err));
	assert_null(l);		/* still listening: not ours to replace */
	assert_non_null(strstr(err, "already running"));
	wx_live_close(stale);
	assert_int_equal(stat(path, &st), -1);
	/* A socket file nobody listens on (left by a crash) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	stale = wx_live_open(path, answer, NULL, err, sizeof(err));
	assert_non_null(stale);
	/* What replaced our socket file since is left alone at close. */
	unlink(path);
	write_file(path, "data");
	wx_live_close(stale);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_never_replaces_a_file_that_is_not_a_socket),
		cmocka_unit_test(live_replaces_a_stale_socket_and_removes_only_its_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
