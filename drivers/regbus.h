/* The register bus: what a register chip (BME280, BMP180, HTU21D, MCP3427)
 * needs from its transport.  i2cdev.c is the real one; each chip's simulated
 * device is another. */
#ifndef WX_REGBUS_H
#define WX_REGBUS_H

#include <stddef.h>
#include <stdint.h>

struct wx_regbus {
	const char *where;	/* "/dev/i2c-1 address 0x76", used in every message */
	/* Read len bytes starting at register reg (burst).  0 or -errno:
	 * -ENXIO when nothing answers at the address (NACK), -EIO on a short
	 * transfer. */
	int (*read)(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len);
	/* Write one register.  0 or -errno as read. */
	int (*write)(struct wx_regbus *bus, uint8_t reg, uint8_t val);
	/* Plain transfers for chips without a register pointer (HTU21D no-hold
	 * commands, MCP3427): may be NULL on buses that do not need them. */
	int (*recv)(struct wx_regbus *bus, uint8_t *buf, size_t len);
	int (*send)(struct wx_regbus *bus, const uint8_t *buf, size_t len);
	/* Wait as the chip needs (conversion time, reset); the simulated bus
	 * spends station time instead of real time. */
	void (*delay_us)(struct wx_regbus *bus, unsigned us);
	/* Release the transport (and bus itself). */
	void (*close)(struct wx_regbus *bus);
	void *ctx;
};

/* Open /dev/i2c-N for the 7-bit address.  Returns NULL with errno set and a
 * message in err naming the bus and address (missing bus, permission). */
struct wx_regbus *wx_i2cdev_open(const char *dev, int address, char *err, size_t errlen);

/* The messages of register-bus chips, one shape for all: write
 * "SENSOR <bus->where>: <message>" into err (may be NULL) and return rc.
 * bus->where names the bus and the address. */
int wx_regbus_fail(const char *sensor, const struct wx_regbus *bus, char *err, size_t errlen,
		   int rc, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Describe a failed transfer (rc from the bus) while doing what, for a chip
 * on the Oracle HAT at its fixed address (the hint names the HAT and what
 * i2cdetect should list).  Returns rc. */
int wx_regbus_hat_fail(const char *sensor, int address, const struct wx_regbus *bus, char *err,
		       size_t errlen, int rc, const char *what);

#endif
