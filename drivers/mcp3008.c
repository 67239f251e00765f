/* Microchip MCP3008, 8-channel 10-bit SAR ADC with SPI interface.
 * Datasheet: "MCP3004/3008 2.7V 4-Channel/8-Channel 10-Bit A/D Converters
 * with SPI Serial Interface", Microchip DS21295D (2008).
 *
 * Chip logic only: the command and reply framing of section 6.1 over any
 * struct wx_spibus (spidev.c on a Pi, sim/sim_mcp3008.c in tests and --sim). */
#include "drivers/mcp3008.h"

#include <assert.h>
#include <errno.h>

/* Section 6.1, "Using the MCP3004/3008 with microcontroller SPI ports":
 * with 8-bit transfers the first byte carries seven leading zeros and the
 * start bit, the second SGL/DIFF and D2..D0 in its top nibble.  The chip
 * samples on the next clock, then drives a null bit (0) and B9..B0 MSB
 * first, so the reply is ????? 0 B9 B8 in byte 2 and B7..B0 in byte 3.
 * Everything the chip clocks out before the null bit is high impedance
 * (Figure 5-1). */
#define START_BIT 0x01
#define SGL_DIFF  0x80	/* 1 = single-ended */
#define NULL_BIT  0x04	/* in the second reply byte */

void wx_mcp3008_command(int channel, uint8_t tx[3])
{
	assert(channel >= 0 && channel < WX_MCP3008_CHANNELS);
	tx[0] = START_BIT;
	tx[1] = (uint8_t)(SGL_DIFF | (unsigned)channel << 4);
	tx[2] = 0;
}

int wx_mcp3008_decode(const uint8_t rx[3], uint16_t *raw)
{
	if (rx[1] & NULL_BIT)
		return -EPROTO;
	*raw = (uint16_t)((rx[1] & 0x03) << 8 | rx[2]);
	return 0;
}

int wx_mcp3008_read(struct wx_spibus *bus, int channel, uint16_t *raw)
{
	uint8_t tx[3], rx[3] = { 0 };
	int rc;

	if (channel < 0 || channel >= WX_MCP3008_CHANNELS)
		return -EINVAL;
	wx_mcp3008_command(channel, tx);
	rc = bus->transfer(bus, tx, rx, sizeof(tx));
	if (rc < 0)
		return rc;
	return wx_mcp3008_decode(rx, raw);
}

double wx_mcp3008_volts(uint16_t raw, double vref)
{
	return (double)raw * vref / 1024.0;
}
