/* The I2C register bus over Linux i2c-dev (/dev/i2c-N), for any chip with
 * a 7-bit address: Documentation/i2c/dev-interface.rst of the kernel.
 * Register reads are SMBus "I2C block reads" through libi2c (the register
 * pointer, repeated start, at most 32 bytes), which every adapter wxd meets
 * serves: the Pi's controller and i2c-stub, which has no plain I2C at all
 * (an I2C_RDWR transfer there fails with EOPNOTSUPP).  The kernel's own
 * bmp280 regmap does the same.  An adapter without the block read gets one
 * combined I2C_RDWR transaction instead.  Register writes are SMBus byte
 * writes when the adapter has them.  Chips without a register pointer
 * (HTU21D, MCP3427) use plain read()/write().  This file knows no chip. */
#include "drivers/regbus.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct i2cdev {
	struct wx_regbus bus;
	char where[300];	/* a WX_PATH_LEN path and " address 0x76" */
	int fd;
	uint16_t address;
	unsigned long funcs;	/* I2C_FUNCS of the adapter (0 if unknown) */
};

/* A NACK shows as ENXIO or EREMOTEIO depending on the adapter driver;
 * i2c-stub answers ENODEV for an address where it has no chip. */
static int map_errno(int e)
{
	return e == ENXIO || e == EREMOTEIO || e == ENODEV ? -ENXIO : -e;
}

/* A transfer of n bytes that moved got bytes. */
static int xfer_rc(ssize_t got, size_t n)
{
	if (got < 0)
		return map_errno(errno);
	return (size_t)got == n ? 0 : -EIO;
}

static int rdwr_read(struct i2cdev *d, uint8_t reg, uint8_t *buf, size_t len)
{
	struct i2c_msg msgs[2] = {
		{ .addr = d->address, .flags = 0, .len = 1, .buf = &reg },
		{ .addr = d->address, .flags = I2C_M_RD, .len = (uint16_t)len, .buf = buf },
	};
	struct i2c_rdwr_ioctl_data x = { .msgs = msgs, .nmsgs = 2 };
	int n;

	n = ioctl(d->fd, I2C_RDWR, &x);
	if (n < 0)
		return map_errno(errno);
	return n == 2 ? 0 : -EIO;
}

/* Block reads of at most I2C_SMBUS_BLOCK_MAX (32) bytes, the register
 * pointer advancing as the chip's auto-increment would. */
static int i2c_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len)
{
	struct i2cdev *d = bus->ctx;
	size_t done = 0;

	if (len == 0 || len > 0xFFFF || len > 256u - reg)
		return -EINVAL;
	if (!(d->funcs & I2C_FUNC_SMBUS_READ_I2C_BLOCK))
		return rdwr_read(d, reg, buf, len);
	while (done < len) {
		size_t n = len - done < I2C_SMBUS_BLOCK_MAX ? len - done : I2C_SMBUS_BLOCK_MAX;
		int got = i2c_smbus_read_i2c_block_data(d->fd, (uint8_t)(reg + done),
							(uint8_t)n, buf + done);

		if (got < 0)
			return map_errno(-got);
		if ((size_t)got != n)
			return -EIO;
		done += n;
	}
	return 0;
}

static int i2c_write(struct wx_regbus *bus, uint8_t reg, uint8_t val)
{
	struct i2cdev *d = bus->ctx;
	uint8_t b[2] = { reg, val };
	int rc;

	if (d->funcs & I2C_FUNC_SMBUS_WRITE_BYTE_DATA) {
		rc = i2c_smbus_write_byte_data(d->fd, reg, val);
		return rc < 0 ? map_errno(-rc) : 0;
	}
	return xfer_rc(write(d->fd, b, sizeof(b)), sizeof(b));
}

static int i2c_recv(struct wx_regbus *bus, uint8_t *buf, size_t len)
{
	struct i2cdev *d = bus->ctx;

	return xfer_rc(read(d->fd, buf, len), len);
}

static int i2c_send(struct wx_regbus *bus, const uint8_t *buf, size_t len)
{
	struct i2cdev *d = bus->ctx;

	return xfer_rc(write(d->fd, buf, len), len);
}

static void i2c_delay_us(struct wx_regbus *bus, unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	(void)bus;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void i2c_close(struct wx_regbus *bus)
{
	struct i2cdev *d;

	if (!bus)
		return;
	d = bus->ctx;
	close(d->fd);
	free(d);
}

/* One line saying what failed and what to do about it. */
static void describe_open_error(const char *where, int e, bool at_open, char *err, size_t errlen)
{
	const char *hint = "";

	if (at_open && e == ENOENT)
		hint = " (enable I2C: dtparam=i2c_arm=on in /boot/firmware/config.txt, then reboot)";
	else if (at_open && e == EACCES)
		hint = " (add the user to group i2c: sudo usermod -aG i2c $USER, then log in again)";
	else if (!at_open && e == ENOTTY)
		hint = " (not an I2C bus device: check bus = in the config)";
	else if (!at_open && e == EBUSY)
		hint = " (a kernel driver has claimed the address: remove its dtoverlay)";
	snprintf(err, errlen, "%s: %s%s", where, strerror(e), hint);
}

struct wx_regbus *wx_i2cdev_open(const char *dev, int address, char *err, size_t errlen)
{
	struct i2cdev *d;
	int e;

	if (address < 0x03 || address > 0x77) {
		snprintf(err, errlen, "%s address 0x%02x: not a 7-bit device address", dev,
			 (unsigned)address);
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "%s: out of memory", dev);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(d->where, sizeof(d->where), "%s address 0x%02x", dev, (unsigned)address);
	d->address = (uint16_t)address;
	d->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		e = errno;
		describe_open_error(d->where, e, true, err, errlen);
		goto fail;
	}
	if (ioctl(d->fd, I2C_SLAVE, (unsigned long)address) < 0) {
		e = errno;
		describe_open_error(d->where, e, false, err, errlen);
		close(d->fd);
		goto fail;
	}
	/* Unknown functionality means plain I2C, as before I2C_FUNCS existed. */
	if (ioctl(d->fd, I2C_FUNCS, &d->funcs) < 0)
		d->funcs = 0;
	d->bus = (struct wx_regbus){
		.where = d->where, .read = i2c_read, .write = i2c_write, .recv = i2c_recv,
		.send = i2c_send, .delay_us = i2c_delay_us, .close = i2c_close, .ctx = d,
	};
	return &d->bus;
fail:
	free(d);
	errno = e;
	return NULL;
}
