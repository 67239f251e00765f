/* Microchip MCP3427: 2-channel 16-bit delta-sigma ADC on I2C (MCP3426/7/8
 * datasheet, DS22226A), as the Oracle Weather Station HAT uses it: the
 * wind vane on the one at 0x69, the TGS2600 air-quality sensor on the one
 * at 0x6A.  One-shot 16-bit conversions, gain x1, internal 2.048 V
 * reference. */
#ifndef WX_MCP3427_H
#define WX_MCP3427_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/regbus.h"

#define WX_MCP3427_CHANNELS 2
#define WX_MCP3427_VREF 2.048		/* internal reference, volts */
#define WX_MCP3427_FULL_SCALE 32767	/* the largest positive 16-bit code */
/* 16 bit runs at 15 samples per second (datasheet table 4-1): 66.7 ms. */
#define WX_MCP3427_CONVERSION_US 66667u

/* The configuration byte that starts a one-shot 16-bit conversion of
 * channel (0..1) at gain x1: RDY=1, C1C0=channel, O/C=0, S1S0=10, G1G0=00
 * (datasheet 5.2).  Channel 0 gives 0x88, channel 1 0xA8. */
uint8_t wx_mcp3427_config(int channel);

/* Decode the 3 bytes read back (output code MSB, LSB, configuration).
 * 0 with *raw set (signed 16-bit); -EAGAIN while RDY is still 1 (the
 * conversion is not done); -EPROTO when the echoed configuration is not
 * the one we wrote (another chip, or a conversion of the other channel). */
int wx_mcp3427_decode(const uint8_t rx[3], uint8_t config, int16_t *raw);

/* One one-shot conversion of channel (0..1) on bus: write the config byte,
 * wait the conversion time, then read until RDY clears, at most twice the
 * datasheet time.  0 with *raw set; -EINVAL bad channel; -ETIMEDOUT when
 * RDY never cleared; -EPROTO as decode; or the bus's -errno (-ENXIO no
 * reply).  Writes no message: the caller names the device. */
int wx_mcp3427_read(struct wx_regbus *bus, int channel, int16_t *raw);

/* The input voltage of a code at gain x1: raw * 2.048 V / 32768 (one LSB
 * is 2 * 2.048 V / 65536 = 62.5 uV). */
double wx_mcp3427_volts(int16_t raw);

/* One line for a failed wx_mcp3427_read(): "<what> <where> channel N: ...",
 * with a hint (wiring, address pins).  Returns rc. */
int wx_mcp3427_describe(const char *what, const struct wx_regbus *bus, int channel, int rc,
			char *err, size_t errlen);

#endif
