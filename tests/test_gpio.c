/* Tests of the GPIO transport (drivers/gpio_v1.c or gpio_v2.c, whichever
 * libgpiod the build found, and drivers/gpio_msg.c that both share): what
 * it says about a missing chip, a file that is not a chip, no permission
 * and a busy line, where a chip name points, and how each libgpiod version
 * tells that the kernel dropped edges.  Real edges on a real line are the
 * VM tests' (tests/vm: gpio-sim). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim_edges.h"

static void gpio_open_names_a_missing_chip(void **state)
{
	char err[WX_ERR_LEN] = "";

	(void)state;
	errno = 0;
	assert_null(wx_gpio_open("gpiochip99", 5, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "gpiochip99: no such GPIO chip (ls /dev/gpiochip* lists them)");
	assert_null(wx_gpio_open("/nonexistent/gpiochip0", 5, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/gpiochip0: no such GPIO chip"));
}

/* libgpiod 2.x: a gap in the line's sequence numbers is the count lost. */
static void gpio_v2_counts_sequence_number_gaps_as_lost(void **state)
{
	unsigned long last = 0;

	(void)state;
	assert_int_equal(wx_gpio_v2_lost(&last, 1), 0);	/* the kernel starts at 1 */
	assert_int_equal(wx_gpio_v2_lost(&last, 2), 0);
	assert_int_equal(wx_gpio_v2_lost(&last, 3), 0);
	assert_int_equal(wx_gpio_v2_lost(&last, 40), 36);
	assert_int_equal(last, 40);
	assert_int_equal(wx_gpio_v2_lost(&last, 41), 0);
	last = 0;
	assert_int_equal(wx_gpio_v2_lost(&last, 5), 4);	/* lost before the first read */
	assert_int_equal(wx_gpio_v2_lost(&last, 5), 0);	/* never backwards */
	assert_int_equal(WX_GPIO_V2_EVENT_BUFFER, 1024);
}

/* libgpiod 1.6: no sequence numbers; a read that finds the kernel's
 * 16-place buffer full may have lost edges, and says so. */
static void gpio_v1_counts_a_full_kernel_buffer_as_lost(void **state)
{
	(void)state;
	assert_int_equal(WX_GPIO_V1_KFIFO, WX_SIM_EDGES_FIFO);
	/* The simulated world's lines have what the real requests ask for. */
	assert_int_equal(WX_GPIO_V2_EVENT_BUFFER, WX_SIM_EDGES_WORLD_FIFO);
	assert_int_equal(wx_gpio_v1_lost(0), 0);
	assert_int_equal(wx_gpio_v1_lost(1), 0);
	assert_int_equal(wx_gpio_v1_lost(15), 0);
	assert_int_equal(wx_gpio_v1_lost(16), 1);
}

static void gpio_chip_names_point_into_dev(void **state)
{
	char path[64];

	(void)state;
	wx_gpio_chip_path("gpiochip0", path, sizeof(path));
	assert_string_equal(path, "/dev/gpiochip0");
	wx_gpio_chip_path("4", path, sizeof(path));
	assert_string_equal(path, "/dev/gpiochip4");
	wx_gpio_chip_path("/dev/gpiochip1", path, sizeof(path));
	assert_string_equal(path, "/dev/gpiochip1");
	wx_gpio_chip_path("/sys/../dev/gpiochip2", path, sizeof(path));
	assert_string_equal(path, "/sys/../dev/gpiochip2");
	/* Cut, never overrun. */
	memset(path, 'x', sizeof(path));
	wx_gpio_chip_path("gpiochip0", path, 8);
	assert_string_equal(path, "/dev/gp");
	assert_int_equal(path[8], 'x');
}

/* Every errno an open or a line request can give has its one line. */
static void gpio_errors_say_what_to_do(void **state)
{
	char err[WX_ERR_LEN];

	(void)state;
	wx_gpio_chip_error("gpiochip0", EACCES, err, sizeof(err));
	assert_string_equal(err, "gpiochip0: permission denied (add the user to group gpio: "
			    "sudo usermod -aG gpio $USER, then log in again)");
	wx_gpio_chip_error("gpiochip0", EPERM, err, sizeof(err));
	assert_non_null(strstr(err, "permission denied"));
	wx_gpio_chip_error("/dev/null", ENOTTY, err, sizeof(err));
	assert_string_equal(err, "/dev/null: not a GPIO chip");
	wx_gpio_chip_error("/dev/null", ENODEV, err, sizeof(err));
	assert_string_equal(err, "/dev/null: not a GPIO chip");
	wx_gpio_chip_error("gpiochip0", EMFILE, err, sizeof(err));
	assert_string_equal(err, "gpiochip0: cannot open: Too many open files");

	wx_gpio_line_error("gpiochip0 line 5", EBUSY, err, sizeof(err));
	assert_string_equal(err, "gpiochip0 line 5: line busy (another program holds it)");
	wx_gpio_line_error("gpiochip0 line 5", EACCES, err, sizeof(err));
	assert_string_equal(err, "gpiochip0 line 5: permission denied (add the user to group gpio)");
	wx_gpio_line_error("gpiochip0 line 99", EINVAL, err, sizeof(err));
	assert_string_equal(err, "gpiochip0 line 99: cannot request falling edges: Invalid argument");
}

/* A file that is not a GPIO chip: refused at open, with the chip named. */
static void gpio_open_refuses_a_file_that_is_not_a_chip(void **state)
{
	char err[WX_ERR_LEN] = "";
	char path[] = "/tmp/wx_test_gpio_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_null(wx_gpio_open("/dev/null", 5, err, sizeof(err)));
	assert_true(errno != 0);
	assert_non_null(strstr(err, "/dev/null: "));
	assert_null(wx_gpio_open(path, 5, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpio_open_names_a_missing_chip),
		cmocka_unit_test(gpio_v2_counts_sequence_number_gaps_as_lost),
		cmocka_unit_test(gpio_v1_counts_a_full_kernel_buffer_as_lost),
		cmocka_unit_test(gpio_chip_names_point_into_dev),
		cmocka_unit_test(gpio_errors_say_what_to_do),
		cmocka_unit_test(gpio_open_refuses_a_file_that_is_not_a_chip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
