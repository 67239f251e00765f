/* Microchip MCP3426/7/8, "16-Bit, Multi-Channel ΔΣ Analog-to-Digital
 * Converter with I2C Interface and On-Board Reference", DS22226A (2009).
 *
 * Chip logic only: the configuration byte (datasheet 5.2), the one-shot
 * cycle, the ready bit and the output code.  The chip has no register
 * pointer: a write of one byte sets the configuration (and, in one-shot
 * mode with RDY = 1, starts a conversion); a read returns the output code
 * and then the configuration byte, whose RDY bit is 0 once the code is new
 * (datasheet 5.3.3, figure 5-3). */
#include "drivers/mcp3427.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CFG_RDY 0x80
#define CFG_ONE_SHOT 0x00	/* O/C = 0 */
#define CFG_16BIT 0x08		/* S1S0 = 10: 15 SPS */
#define CFG_GAIN_X1 0x00
#define POLL_US 5000u

uint8_t wx_mcp3427_config(int channel)
{
	return (uint8_t)(CFG_RDY | (channel & 3) << 5 | CFG_ONE_SHOT | CFG_16BIT | CFG_GAIN_X1);
}

int wx_mcp3427_decode(const uint8_t rx[3], uint8_t config, int16_t *raw)
{
	if (rx[2] & CFG_RDY)
		return -EAGAIN;
	/* Everything but RDY is echoed as written. */
	if ((rx[2] & 0x7F) != (config & 0x7F))
		return -EPROTO;
	*raw = (int16_t)(uint16_t)(rx[0] << 8 | rx[1]);
	return 0;
}

static void delay(struct wx_regbus *bus, unsigned us)
{
	if (bus->delay_us)
		bus->delay_us(bus, us);
}

int wx_mcp3427_read(struct wx_regbus *bus, int channel, int16_t *raw)
{
	uint8_t config, rx[3];
	unsigned waited;
	int rc;

	if (channel < 0 || channel >= WX_MCP3427_CHANNELS)
		return -EINVAL;
	if (!bus->send || !bus->recv)
		return -EOPNOTSUPP;
	config = wx_mcp3427_config(channel);
	rc = bus->send(bus, &config, 1);
	if (rc < 0)
		return rc;
	delay(bus, WX_MCP3427_CONVERSION_US);
	for (waited = WX_MCP3427_CONVERSION_US;; waited += POLL_US) {
		rc = bus->recv(bus, rx, sizeof(rx));
		if (rc < 0)
			return rc;
		rc = wx_mcp3427_decode(rx, config, raw);
		if (rc != -EAGAIN)
			return rc;
		if (waited >= 2 * WX_MCP3427_CONVERSION_US)
			return -ETIMEDOUT;
		delay(bus, POLL_US);
	}
}

double wx_mcp3427_volts(int16_t raw)
{
	return raw * WX_MCP3427_VREF / 32768.0;
}

int wx_mcp3427_describe(const char *what, const struct wx_regbus *bus, int channel, int rc,
			char *err, size_t errlen)
{
	const char *msg;

	switch (rc) {
	case -ENXIO:
		msg = "no reply from the MCP3427 (check the HAT is seated and the address: "
		      "i2cdetect -y 1 should list it)";
		break;
	case -ETIMEDOUT:
		msg = "MCP3427 conversion never finished (ready bit still set after 133 ms)";
		break;
	case -EPROTO:
		msg = "reply is not an MCP3427 configuration echo (another chip at this address?)";
		break;
	case -EIO:
		msg = "short transfer (loose HAT or long cable?)";
		break;
	default:
		msg = strerror(-rc);
		break;
	}
	snprintf(err, errlen, "%s %s channel %d: %s", what, bus->where, channel, msg);
	return rc;
}
