/* MCP3008: 8-channel 10-bit SAR ADC on SPI (Microchip MCP3004/3008). */
#ifndef WX_MCP3008_H
#define WX_MCP3008_H

#include <stdint.h>

#include "drivers/spibus.h"

#define WX_MCP3008_CHANNELS 8
#define WX_MCP3008_FULL_SCALE 1023u	/* the largest 10-bit code */

/* The 3 bytes that ask for a single-ended conversion of channel (0..7). */
void wx_mcp3008_command(int channel, uint8_t tx[3]);

/* Decode the 3 bytes clocked back during that command.  0 with *raw set,
 * or -EPROTO when the null bit that precedes the result is not 0 (no chip
 * answering, MISO stuck high, wrong SPI mode). */
int wx_mcp3008_decode(const uint8_t rx[3], uint16_t *raw);

/* Convert channel (0..7) single-ended in one 3-byte transfer.  0 with *raw
 * (0..1023) set; -EINVAL for a bad channel, -EPROTO for a malformed reply,
 * or the bus's -errno. */
int wx_mcp3008_read(struct wx_spibus *bus, int channel, uint16_t *raw);

/* The input voltage of a code: raw * vref / 1024 (the datasheet's transfer
 * function, code = 1024 * VIN / VREF). */
double wx_mcp3008_volts(uint16_t raw, double vref);

#endif
