/* Figaro TGS2600 "General air contaminants" sensor on the Oracle Weather
 * Station HAT's air-quality board, read through a Microchip MCP3427
 * (DS22226A) at 0x6A.  There is no datasheet formula here: the TGS2600's
 * resistance falls as contaminants rise, and the kit (tgs2600.py in the
 * Raspberry Pi Foundation's weather-station software) turned the ADC code
 * into 100 * (max - code) / max with max = 32767.  We report the same
 * number so that a school's old and new records line up. */
#include "drivers/air_quality.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/mcp3427.h"
#include "drivers/regbus.h"
#include "drivers/sensor.h"
#include "drivers/probekit.h"

double wx_air_quality_pct(int16_t raw)
{
	int code = raw < 0 ? 0 : raw;

	return 100.0 * (WX_MCP3427_FULL_SCALE - code) / WX_MCP3427_FULL_SCALE;
}

struct aq_sensor {
	struct wx_regbus *bus;
	int channel;
};

/* ---- wxctl probe ------------------------------------------------------ */

/* For wxctl probe: its MCP3427's I2C address. */
static int air_quality_i2c_address(const struct wx_config *cfg, const char **bus)
{
	const struct wx_air_quality_config *c = WX_AIR_QUALITY_CONFIG(cfg);

	*bus = c->bus;
	return c->address;
}

static void check_air_quality(struct wx_probe *p)
{
	const struct wx_air_quality_config *c = WX_AIR_QUALITY_CONFIG(p->cfg);
	struct wx_regbus *b;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 48];
	int16_t raw;
	int rc;

	if (!wx_probe_node(p, "air_quality", c->bus, c->bus, WX_PROBE_NODE_I2C))
		return;
	if (!(b = wx_probe_open_i2c(p, "air_quality", c->bus, c->address)))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x channel %d", c->bus,
		 (unsigned)c->address, c->channel);
	rc = wx_mcp3427_read(b, c->channel, &raw);
	if (rc < 0 && rc != -ENXIO)
		wx_mcp3427_describe("air_quality", b, c->channel, rc, err, sizeof(err));
	b->close(b);
	if (rc == -ENXIO)
		wx_probe_mcp3427_no_reply(p, "air_quality", subject, c->bus, c->address);
	else if (rc < 0)
		wx_probe_fail_from(p, "air_quality", err);
	else
		wx_probe_ok(p, "air_quality", subject, "MCP3427 answers: air quality %.1f %%",
		   wx_air_quality_pct(raw));
}

static void *aq_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	const struct wx_air_quality_config *c = WX_AIR_QUALITY_CONFIG(env->cfg);
	struct aq_sensor *s;

	if (c->channel < 0 || c->channel >= WX_MCP3427_CHANNELS) {
		snprintf(err, errlen, "air_quality %s address 0x%02x: channel %d: the MCP3427 "
			 "has channels 0 and 1", c->bus, (unsigned)c->address, c->channel);
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "air_quality: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->channel = c->channel;
	s->bus = wx_bus_i2c(env, "air_quality", c->bus, c->address, err, errlen);
	if (!s->bus) {
		int e = errno;

		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

static int aq_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	struct aq_sensor *s = dev;
	int16_t raw;
	int rc = wx_mcp3427_read(s->bus, s->channel, &raw);

	if (rc < 0)
		return wx_mcp3427_describe("air_quality", s->bus, s->channel, rc, err, errlen);
	wx_record_set(r, WX_AIR_QUALITY_PCT, wx_air_quality_pct(raw));
	return 0;
}

static void aq_close(void *dev)
{
	struct aq_sensor *s = dev;

	if (!s)
		return;
	s->bus->close(s->bus);
	free(s);
}

/* ---- its config section ------------------------------------------------- */

#define K struct wx_air_quality_config
/* MCP3427: 0x68..0x6F by its two address pins; two channels. */
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "bus", WX_CFG_STR, bus),
	WX_CONFIG_NUM(K, "address", WX_CFG_ADDR, address, 0x68, 0x6F),
	WX_CONFIG_NUM(K, "channel", WX_CFG_INT, channel, 0, 1),
};
#undef K

static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_air_quality_config *c = data;

	if (profile != WX_PROFILE_BYO)
		return;
	snprintf(c->bus, sizeof(c->bus), "/dev/i2c-1");
	c->address = 0x6A;
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_air_quality_config, config_keys, config_defaults, NULL);

const struct wx_sensor_driver wx_air_quality_driver = {
	.name = "air_quality",
	.kits = WX_KIT_HAT,
	.quantities = WX_Q(WX_AIR_QUALITY_PCT),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = aq_open,
	.sample = aq_sample,
	.edges = NULL,
	.close = aq_close,
	.probe = check_air_quality,
	.i2c_address = air_quality_i2c_address,
};
