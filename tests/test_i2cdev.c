/* Tests of drivers/i2cdev.c against a fake adapter: this file defines
 * ioctl(), which the executable's symbol makes the one libi2c and i2cdev.c
 * call, and answers the i2c-dev requests from a 256-byte register map, as
 * i2c-stub does (SMBus only) or as a plain I2C adapter does (I2C_RDWR
 * only), while fake.on is set; other requests, and all of them while it
 * is not, go to the kernel.  Also the transport's open errors on real
 * files, moved here from test_bme280.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/regbus.h"
#include "drivers/sensor.h"

static struct adapter {
	bool on;		/* answer the i2c-dev requests */
	int slave_errno;	/* errno of I2C_SLAVE (0: accept) */
	unsigned long funcs;
	uint8_t regs[256];
	int nack;		/* errno of every transfer (0: the chip answers) */
	int block_calls, rdwr_calls, byte_writes;
	int longest_block;
} fake;

static int smbus(struct i2c_smbus_ioctl_data *a)
{
	if (fake.nack)
		return errno = fake.nack, -1;
	/* libi2c asks for 32 bytes as I2C_SMBUS_I2C_BLOCK_BROKEN (i2c-dev.h). */
	if ((a->size == I2C_SMBUS_I2C_BLOCK_DATA || a->size == I2C_SMBUS_I2C_BLOCK_BROKEN) &&
	    a->read_write == I2C_SMBUS_READ &&
	    (fake.funcs & I2C_FUNC_SMBUS_READ_I2C_BLOCK)) {
		int n = a->data->block[0];

		fake.block_calls++;
		if (n > fake.longest_block)
			fake.longest_block = n;
		for (int i = 0; i < n; i++)
			a->data->block[i + 1] = fake.regs[(a->command + i) & 0xFF];
		return 0;
	}
	if (a->size == I2C_SMBUS_BYTE_DATA && a->read_write == I2C_SMBUS_WRITE &&
	    (fake.funcs & I2C_FUNC_SMBUS_WRITE_BYTE_DATA)) {
		fake.byte_writes++;
		fake.regs[a->command] = a->data->byte;
		return 0;
	}
	return errno = EOPNOTSUPP, -1;
}

static int rdwr(struct i2c_rdwr_ioctl_data *x)
{
	if (!(fake.funcs & I2C_FUNC_I2C))
		return errno = EOPNOTSUPP, -1;	/* i2c-stub's answer */
	if (fake.nack)
		return errno = fake.nack, -1;
	fake.rdwr_calls++;
	assert_int_equal(x->nmsgs, 2);
	memcpy(x->msgs[1].buf, fake.regs + x->msgs[0].buf[0], x->msgs[1].len);
	return 2;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake.on)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	switch (req) {
	case I2C_SLAVE:
		if (fake.slave_errno)
			return errno = fake.slave_errno, -1;
		return 0;
	case I2C_FUNCS:
		*(unsigned long *)arg = fake.funcs;
		return 0;
	case I2C_SMBUS:
		return smbus(arg);
	case I2C_RDWR:
		return rdwr(arg);
	default:
		return (int)syscall(SYS_ioctl, fd, req, arg);
	}
}

static struct wx_regbus *open_fake(unsigned long funcs)
{
	char err[256] = "";
	struct wx_regbus *bus;

	memset(&fake, 0, sizeof(fake));
	fake.on = true;
	fake.funcs = funcs;
	for (int i = 0; i < 256; i++)
		fake.regs[i] = (uint8_t)(i ^ 0x5A);
	bus = wx_i2cdev_open("/dev/null", 0x76, err, sizeof(err));
	assert_non_null(bus);
	return bus;
}

#define STUB_FUNCS (I2C_FUNC_SMBUS_BYTE_DATA | I2C_FUNC_SMBUS_WORD_DATA | I2C_FUNC_SMBUS_I2C_BLOCK)

static void i2cdev_reads_registers_with_smbus_block_reads_on_an_smbus_only_adapter(void **state)
{
	struct wx_regbus *bus = open_fake(STUB_FUNCS);
	uint8_t buf[26];

	(void)state;
	assert_int_equal(bus->read(bus, 0x88, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, fake.regs + 0x88, sizeof(buf));
	assert_int_equal(fake.block_calls, 1);
	assert_int_equal(fake.rdwr_calls, 0);
	bus->close(bus);
}

static void i2cdev_splits_reads_longer_than_32_bytes(void **state)
{
	struct wx_regbus *bus = open_fake(STUB_FUNCS);
	uint8_t buf[70];

	(void)state;
	assert_int_equal(bus->read(bus, 0x80, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, fake.regs + 0x80, sizeof(buf));
	assert_int_equal(fake.block_calls, 3);
	assert_int_equal(fake.longest_block, 32);
	bus->close(bus);
}

static void i2cdev_falls_back_to_i2c_rdwr_without_block_reads(void **state)
{
	struct wx_regbus *bus = open_fake(I2C_FUNC_I2C);
	uint8_t buf[8];

	(void)state;
	assert_int_equal(bus->read(bus, 0xF7, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, fake.regs + 0xF7, sizeof(buf));
	assert_int_equal(fake.rdwr_calls, 1);
	assert_int_equal(fake.block_calls, 0);
	bus->close(bus);
}

static void i2cdev_writes_registers_with_smbus_byte_writes(void **state)
{
	struct wx_regbus *bus = open_fake(STUB_FUNCS);

	(void)state;
	assert_int_equal(bus->write(bus, 0xF4, 0x25), 0);
	assert_int_equal(fake.regs[0xF4], 0x25);
	assert_int_equal(fake.byte_writes, 1);
	bus->close(bus);
}

static void i2cdev_reports_a_nack_as_enxio(void **state)
{
	struct wx_regbus *bus = open_fake(STUB_FUNCS);
	uint8_t buf[1];

	(void)state;
	fake.nack = EREMOTEIO;
	assert_int_equal(bus->read(bus, 0xD0, buf, 1), -ENXIO);
	assert_int_equal(bus->write(bus, 0xE0, 0xB6), -ENXIO);
	fake.nack = ENODEV;	/* i2c-stub: no chip at this address */
	assert_int_equal(bus->read(bus, 0xD0, buf, 1), -ENXIO);
	bus->close(bus);
}

static void i2cdev_refuses_a_read_past_register_0xff(void **state)
{
	struct wx_regbus *bus = open_fake(STUB_FUNCS);
	uint8_t buf[16];

	(void)state;
	assert_int_equal(bus->read(bus, 0xF7, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(fake.block_calls, 0);
	bus->close(bus);
}

/* The kernel's own answers for the tests of real files. */
static int kernel_ioctl(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static bool contains(const char *s, const char *part)
{
	if (!strstr(s, part)) {
		print_error("\"%s\" does not contain \"%s\"\n", s, part);
		return false;
	}
	return true;
}

/* ---- open errors ---------------------------------------------------------- */

static void i2cdev_gives_a_clean_error_on_a_regular_file(void **state)
{
	char path[] = "/tmp/wx-test-i2c-XXXXXX";
	char err[WX_ERR_LEN] = "";
	char want[64];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_null(wx_i2cdev_open(path, 0x76, err, sizeof(err)));
	assert_int_equal(errno, ENOTTY);
	snprintf(want, sizeof(want), "%s address 0x76: ", path);
	assert_true(contains(err, want));
	assert_true(contains(err, "not an I2C bus"));
	unlink(path);
}

static void i2cdev_rejects_an_address_outside_7_bits(void **state)
{
	char err[WX_ERR_LEN] = "";

	(void)state;
	errno = 0;
	assert_null(wx_i2cdev_open("/dev/null", 0x80, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_true(contains(err, "/dev/null address 0x80"));
}

/* A kernel driver bound to the address (a dtoverlay for the same chip):
 * I2C_SLAVE says EBUSY, and the message says what to remove. */
static void i2cdev_names_a_claimed_address(void **state)
{
	char err[WX_ERR_LEN] = "";

	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.on = true;
	fake.slave_errno = EBUSY;
	errno = 0;
	assert_null(wx_i2cdev_open("/dev/null", 0x77, err, sizeof(err)));
	assert_int_equal(errno, EBUSY);
	assert_true(contains(err, "/dev/null address 0x77: "));
	assert_true(contains(err, "a kernel driver has claimed the address: remove its dtoverlay"));
}

static void i2cdev_missing_bus_says_how_to_enable_i2c(void **state)
{
	char err[WX_ERR_LEN] = "";

	(void)state;
	errno = 0;
	assert_null(wx_i2cdev_open("/nonexistent/i2c-1", 0x76, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_true(contains(err, "/nonexistent/i2c-1 address 0x76: "));
	assert_true(contains(err, "enable I2C: dtparam=i2c_arm=on"));
	/* The lowest and highest 7-bit addresses a device may have. */
	assert_null(wx_i2cdev_open("/dev/null", 0x02, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_true(contains(err, "0x02: not a 7-bit device address"));
	assert_null(wx_i2cdev_open("/dev/null", 0x78, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(i2cdev_reads_registers_with_smbus_block_reads_on_an_smbus_only_adapter),
		cmocka_unit_test(i2cdev_splits_reads_longer_than_32_bytes),
		cmocka_unit_test(i2cdev_falls_back_to_i2c_rdwr_without_block_reads),
		cmocka_unit_test(i2cdev_writes_registers_with_smbus_byte_writes),
		cmocka_unit_test(i2cdev_reports_a_nack_as_enxio),
		cmocka_unit_test(i2cdev_refuses_a_read_past_register_0xff),
		cmocka_unit_test_setup(i2cdev_gives_a_clean_error_on_a_regular_file, kernel_ioctl),
		cmocka_unit_test_setup(i2cdev_rejects_an_address_outside_7_bits, kernel_ioctl),
		cmocka_unit_test(i2cdev_names_a_claimed_address),
		cmocka_unit_test_setup(i2cdev_missing_bus_says_how_to_enable_i2c, kernel_ioctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
