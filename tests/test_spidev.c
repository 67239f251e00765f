/* Tests of drivers/spidev.c, the SPI transport: its errors on a real open
 * (missing device, a file that is not spidev, no permission), and, through
 * a fake spidev, the settings it makes, the transfers it sends and the
 * ioctl failures it passes up.  This file defines ioctl(): while fake.on is
 * set it answers the spidev requests itself (as the kernel's spidev does,
 * tx looped back to rx); every other request goes to the kernel. */
#include <errno.h>
#include <linux/spi/spidev.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/sensor.h"
#include "drivers/spibus.h"
#include "tests/support/unpriv.h"

static struct {
	bool on;
	int fail_setting;	/* errno of the settings ioctls (0: accept) */
	int fail_transfer;	/* errno of SPI_IOC_MESSAGE (0: loop back) */
	int short_by;		/* bytes a transfer leaves out */
	uint8_t mode, bits;
	uint32_t speed;
	struct spi_ioc_transfer last;
	int transfers;
} fake;

static int message(const struct spi_ioc_transfer *tr)
{
	if (fake.fail_transfer)
		return errno = fake.fail_transfer, -1;
	fake.transfers++;
	fake.last = *tr;
	memcpy((void *)(uintptr_t)tr->rx_buf, (const void *)(uintptr_t)tr->tx_buf, tr->len);
	return (int)tr->len - fake.short_by;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake.on) {
		switch (req) {
		case SPI_IOC_WR_MODE:
			if (fake.fail_setting)
				return errno = fake.fail_setting, -1;
			fake.mode = *(uint8_t *)arg;
			return 0;
		case SPI_IOC_WR_BITS_PER_WORD:
			fake.bits = *(uint8_t *)arg;
			return 0;
		case SPI_IOC_WR_MAX_SPEED_HZ:
			fake.speed = *(uint32_t *)arg;
			return 0;
		case SPI_IOC_MESSAGE(1):
			return message(arg);
		default:
			break;
		}
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

/* A fake spidev on /dev/null: the one place these tests open it. */
static struct wx_spibus *open_fake(uint32_t speed_hz, char *err, size_t errlen)
{
	memset(&fake, 0, sizeof(fake));
	fake.on = true;
	fake.mode = 0xFF;
	return wx_spidev_open("/dev/null", speed_hz, err, errlen);
}

static int fake_teardown(void **state)
{
	(void)state;
	fake.on = false;
	return 0;
}

static void spidev_sets_mode_0_8_bits_and_the_speed(void **state)
{
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus = open_fake(1350000, err, sizeof(err));

	(void)state;
	assert_non_null(bus);
	assert_string_equal(err, "");
	assert_string_equal(bus->where, "/dev/null");
	assert_int_equal(fake.mode, SPI_MODE_0);
	assert_int_equal(fake.bits, 8);
	assert_int_equal(fake.speed, 1350000);
	bus->close(bus);
}

static void spidev_transfers_full_duplex_at_the_speed(void **state)
{
	static const uint8_t tx[3] = { 0x01, 0x80, 0x00 };
	uint8_t rx[3] = { 0 };
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus = open_fake(1000000, err, sizeof(err));

	(void)state;
	assert_non_null(bus);
	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), 0);
	assert_int_equal(fake.transfers, 1);
	assert_memory_equal(rx, tx, sizeof(tx));
	assert_int_equal(fake.last.len, 3);
	assert_int_equal(fake.last.speed_hz, 1000000);
	assert_int_equal(fake.last.bits_per_word, 8);
	assert_true(fake.last.tx_buf == (uintptr_t)tx);
	assert_true(fake.last.rx_buf == (uintptr_t)rx);
	bus->close(bus);
}

static void spidev_passes_a_failed_transfer_up_as_its_errno(void **state)
{
	uint8_t tx[3] = { 1, 2, 3 }, rx[3];
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus = open_fake(1000000, err, sizeof(err));

	(void)state;
	assert_non_null(bus);
	fake.fail_transfer = EREMOTEIO;
	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), -EREMOTEIO);
	fake.fail_transfer = ENODEV;	/* the controller's module unloaded */
	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), -ENODEV);
	/* A transfer that moved fewer bytes than asked is an I/O error. */
	fake.fail_transfer = 0;
	fake.short_by = 1;
	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), -EIO);
	fake.short_by = 0;
	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), 0);
	bus->close(bus);
}

static void spidev_refused_settings_fail_the_open_and_name_the_device(void **state)
{
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.on = true;
	fake.fail_setting = EINVAL;
	errno = 0;
	bus = wx_spidev_open("/dev/null", 1000000, err, sizeof(err));
	assert_null(bus);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "/dev/null: "));
	assert_non_null(strstr(err, strerror(EINVAL)));
	assert_null(strstr(err, "not a spidev device"));	/* that hint is for ENOTTY */
}

static void spidev_on_a_regular_file_fails_cleanly(void **state)
{
	char path[] = "/tmp/wx_test_spidev_XXXXXX";
	char err[WX_ERR_LEN] = "";
	int fd = mkstemp(path);
	struct wx_spibus *bus;
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	errno = 0;
	bus = wx_spidev_open(path, 1000000, err, sizeof(err));
	unlink(path);
	assert_null(bus);
	assert_int_equal(errno, ENOTTY);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a spidev device"));
}

static void spidev_missing_device_says_how_to_enable_spi(void **state)
{
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus;
	(void)state;

	errno = 0;
	bus = wx_spidev_open("/nonexistent/spidev0.0", 1000000, err, sizeof(err));
	assert_null(bus);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/spidev0.0: "));
	assert_non_null(strstr(err, "enable SPI: dtparam=spi=on in /boot/firmware/config.txt"));
}

/* Root ignores file modes, so the open is tried by a child that has given
 * up root (uid/gid 65534), as the service's own user would be. */
static void spidev_on_a_regular_file_without_permission_says_to_join_group_spi(void **state)
{
	char path[] = "/tmp/wx_test_spidev_XXXXXX";
	int fd = mkstemp(path), status;
	pid_t pid;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[WX_ERR_LEN] = "";
		struct wx_spibus *bus;

		if (wx_test_drop_root() != 0)
			_exit(10);
		errno = 0;
		bus = wx_spidev_open(path, 1000000, err, sizeof(err));
		if (bus)
			_exit(11);
		if (errno != EACCES)
			_exit(12);
		if (!strstr(err, path) || !strstr(err, "add the user to group spi"))
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spidev_on_a_regular_file_fails_cleanly),
		cmocka_unit_test(spidev_missing_device_says_how_to_enable_spi),
		cmocka_unit_test(spidev_on_a_regular_file_without_permission_says_to_join_group_spi),
		cmocka_unit_test_teardown(spidev_sets_mode_0_8_bits_and_the_speed, fake_teardown),
		cmocka_unit_test_teardown(spidev_transfers_full_duplex_at_the_speed, fake_teardown),
		cmocka_unit_test_teardown(spidev_passes_a_failed_transfer_up_as_its_errno, fake_teardown),
		cmocka_unit_test_teardown(spidev_refused_settings_fail_the_open_and_name_the_device, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
