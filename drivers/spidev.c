/* The SPI transport over Linux spidev (/dev/spidevB.C): mode 0, 8 bits per
 * word, one full-duplex SPI_IOC_MESSAGE(1) per transfer.  Knows nothing
 * about chips.  Kernel documentation: Documentation/spi/spidev.rst. */
#include "drivers/spibus.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct spidev {
	struct wx_spibus bus;
	int fd;
	uint32_t speed_hz;
	char path[256];
};

static int spidev_transfer(struct wx_spibus *bus, const uint8_t *tx, uint8_t *rx, size_t len)
{
	struct spidev *d = bus->ctx;
	struct spi_ioc_transfer tr;
	int rc;

	memset(&tr, 0, sizeof(tr));
	tr.tx_buf = (uintptr_t)tx;
	tr.rx_buf = (uintptr_t)rx;
	tr.len = (uint32_t)len;
	tr.speed_hz = d->speed_hz;
	tr.bits_per_word = 8;
	rc = ioctl(d->fd, SPI_IOC_MESSAGE(1), &tr);
	if (rc < 0)
		return -errno;
	return (size_t)rc == len ? 0 : -EIO;
}

static void spidev_close(struct wx_spibus *bus)
{
	struct spidev *d = bus->ctx;

	close(d->fd);
	free(d);
}

/* What to tell the user about a failed open(). */
static const char *open_hint(int e)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return " (enable SPI: dtparam=spi=on in /boot/firmware/config.txt, then reboot)";
	case EACCES:
	case EPERM:
		return " (add the user to group spi: sudo usermod -aG spi $USER, then log in again)";
	case EBUSY:
		return " (another program holds it)";
	default:
		return "";
	}
}

static int setup(int fd, uint32_t speed_hz)
{
	uint8_t mode = SPI_MODE_0, bits = 8;

	if (ioctl(fd, SPI_IOC_WR_MODE, &mode) < 0 ||
	    ioctl(fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0 ||
	    ioctl(fd, SPI_IOC_WR_MAX_SPEED_HZ, &speed_hz) < 0)
		return -errno;
	return 0;
}

struct wx_spibus *wx_spidev_open(const char *dev, uint32_t speed_hz, char *err, size_t errlen)
{
	struct spidev *d;
	int fd, rc, e;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s%s", dev, strerror(e), open_hint(e));
		errno = e;
		return NULL;
	}
	rc = setup(fd, speed_hz);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s%s", dev, strerror(-rc),
			 rc == -ENOTTY ? " (not a spidev device: check the spi path)" : "");
		close(fd);
		errno = -rc;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "%s: out of memory", dev);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	d->speed_hz = speed_hz;
	snprintf(d->path, sizeof(d->path), "%s", dev);
	d->bus.where = d->path;
	d->bus.transfer = spidev_transfer;
	d->bus.close = spidev_close;
	d->bus.ctx = d;
	return &d->bus;
}
