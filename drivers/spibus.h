/* The SPI bus: full-duplex transfers, as spidev does them. */
#ifndef WX_SPIBUS_H
#define WX_SPIBUS_H

#include <stddef.h>
#include <stdint.h>

struct wx_spibus {
	const char *where;	/* "/dev/spidev0.0" */
	/* Clock len bytes out of tx while reading len bytes into rx.  0 or -errno. */
	int (*transfer)(struct wx_spibus *bus, const uint8_t *tx, uint8_t *rx, size_t len);
	void (*close)(struct wx_spibus *bus);
	void *ctx;
};

/* Open a spidev device at speed_hz (mode 0, 8 bits).  NULL with errno set
 * and a message in err naming the device. */
struct wx_spibus *wx_spidev_open(const char *dev, uint32_t speed_hz, char *err, size_t errlen);

#endif
