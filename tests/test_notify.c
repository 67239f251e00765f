/* The service manager's notification protocol, spoken without libsystemd:
 * a real datagram socket stands in for systemd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware/notify.h"

/* A manager's socket at path (a file, or "@name": abstract). */
static int manager(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void notify_sends_one_datagram_to_a_socket_path(void **state)
{
	char path[64];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/wx-notify-%d", (int)getpid());
	unlink(path);
	fd = manager(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(wx_notify("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	assert_int_equal(wx_notify("WATCHDOG=1"), 1);
	expect_datagram(fd, "WATCHDOG=1");
	close(fd);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
}

static void notify_reaches_an_abstract_socket(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@wx-notify-%d", (int)getpid());
	fd = manager(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(wx_notify("STOPPING=1"), 1);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void notify_without_a_manager_does_nothing(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(wx_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(wx_notify("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/wx-notify", 1);
	assert_true(wx_notify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void watchdog_usec_is_read_for_this_process_only(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(wx_notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(wx_notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(wx_notify_watchdog_usec(), 30000000);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(wx_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(wx_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_sends_one_datagram_to_a_socket_path),
		cmocka_unit_test(notify_reaches_an_abstract_socket),
		cmocka_unit_test(notify_without_a_manager_does_nothing),
		cmocka_unit_test(watchdog_usec_is_read_for_this_process_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
