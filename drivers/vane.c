/* The wind vane of the Argent Data Systems weather sensor assembly (sold by
 * SparkFun as the Weather Meters, used by the Raspberry Pi "Build your own
 * weather station" guide).  Datasheet: Argent Data Systems "Weather Sensor
 * Assembly p/n 80422".  Eight reed switches, each with its own resistor,
 * are closed by a magnet in the vane; between two switches the magnet
 * closes both, putting their resistors in parallel, so 8 resistors give 16
 * positions.
 *
 * The matching is ratiometric and knows nothing of the ADC.  On the BYO
 * station the vane is read through channel 0 of an MCP3008 (mcp3008.c)
 * whose VREF is the same 3.3 V rail that feeds the divider, so the measured
 * voltage is raw * vin / 1024. */
#include "drivers/vane.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/mcp3008.h"
#include "drivers/mcp3427.h"
#include "drivers/regbus.h"
#include "drivers/sensor.h"
#include "drivers/probekit.h"
#include "drivers/spibus.h"

/* Datasheet table "Wind Vane": resistance by direction.  The half
 * positions are the parallel pairs of their neighbours (33k || 8.2k =
 * 6.57k, 8.2k || 1k = 891, ...). */
const struct wx_vane_position wx_vane_positions[WX_VANE_POSITIONS] = {
	{   0.0,  33000 }, {  22.5,   6570 }, {  45.0,   8200 }, {  67.5,    891 },
	{  90.0,   1000 }, { 112.5,    688 }, { 135.0,   2200 }, { 157.5,   1410 },
	{ 180.0,   3900 }, { 202.5,   3140 }, { 225.0,  16000 }, { 247.5,  14120 },
	{ 270.0, 120000 }, { 292.5,  42120 }, { 315.0,  64900 }, { 337.5,  21880 },
};

/* The MCP3008 is good for 1.35 MHz at 2.7 V and 3.6 MHz at 5 V; 1 MHz is
 * safe at 3.3 V and leaves the sample capacitor time to charge through the
 * vane's up to 120k source resistance. */
#define VANE_SPI_HZ 1000000u

double wx_vane_ratio(double divider_ohm, double resistance_ohm)
{
	return divider_ohm / (divider_ohm + resistance_ohm);
}

static double position_ratio(double divider_ohm, int i)
{
	return wx_vane_ratio(divider_ohm, wx_vane_positions[i].resistance_ohm);
}

double wx_vane_tolerance(double divider_ohm, int i)
{
	double ri = position_ratio(divider_ohm, i);
	double nearest = INFINITY;

	for (int j = 0; j < WX_VANE_POSITIONS; j++)
		if (j != i)
			nearest = fmin(nearest, fabs(position_ratio(divider_ohm, j) - ri));
	return fmin(nearest / 2, WX_VANE_MAX_TOLERANCE);
}

double wx_vane_min_separation(double divider_ohm, int *a, int *b)
{
	double best = INFINITY;

	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		for (int j = i + 1; j < WX_VANE_POSITIONS; j++) {
			double d = fabs(position_ratio(divider_ohm, i) - position_ratio(divider_ohm, j));

			if (d < best) {
				best = d;
				if (a)
					*a = i;
				if (b)
					*b = j;
			}
		}
	}
	return best;
}

int wx_vane_match_ratio(double divider_ohm, double ratio)
{
	int best = -1;
	double best_d = INFINITY;

	if (!isfinite(ratio))
		return -ERANGE;
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		double d = fabs(ratio - position_ratio(divider_ohm, i));

		if (d < best_d) {
			best_d = d;
			best = i;
		}
	}
	/* Windows never overlap (each is at most half the gap to the nearest
	 * neighbour), so the nearest position is the only candidate. */
	if (best < 0 || best_d > wx_vane_tolerance(divider_ohm, best))
		return -ERANGE;
	return best;
}

double wx_vane_direction_deg(int i, double north_offset_deg)
{
	double d = fmod(wx_vane_positions[i].direction_deg + north_offset_deg, 360.0);

	if (d < 0)
		d += 360.0;
	return d >= 360.0 ? 0.0 : d;	/* -1e-15 + 360 rounds to 360 */
}

/* "4.7k", "10k", "680" for messages. */
static void format_ohm(double ohm, char *buf, size_t len)
{
	if (ohm >= 1000)
		snprintf(buf, len, "%gk", ohm / 1000);
	else
		snprintf(buf, len, "%g", ohm);
}

int wx_vane_direction_from_v(const struct wx_windvane_config *cfg, double volts,
			     const char *where, double *direction_deg,
			     char *err, size_t errlen)
{
	int i = wx_vane_match_ratio(cfg->divider_ohm, volts / cfg->vin);
	char div[32];

	if (i >= 0) {
		*direction_deg = wx_vane_direction_deg(i, cfg->north_offset_deg);
		return 0;
	}
	format_ohm(cfg->divider_ohm, div, sizeof(div));
	/* Near either rail is an open circuit: vane unplugged (0 V) or divider
	 * missing (vin).  In between, the settings or the resistors are off. */
	if (volts < 0.05 * cfg->vin || volts > 0.95 * cfg->vin)
		snprintf(err, errlen, "windvane %s: %.2f V matches no direction "
			 "(open circuit? check the vane's cable and the %s divider)",
			 where, volts, div);
	else
		snprintf(err, errlen, "windvane %s: %.2f V matches no direction "
			 "(between positions: check vin = %g and divider_ohm = %g against the wiring)",
			 where, volts, cfg->vin, cfg->divider_ohm);
	return -ERANGE;
}

/* ---- the vane behind an ADC ----------------------------------------- */

struct wx_vane {
	struct wx_windvane_config cfg;
	char where[WX_PATH_LEN + 32];	/* "/dev/spidev0.0 channel 0" */
	/* The measured voltage, or -errno with a message in err. */
	int (*read_v)(struct wx_vane *v, double *volts, char *err, size_t errlen);
	struct wx_spibus *spi;
	struct wx_regbus *i2c;		/* MCP3427 */
	bool vane_low;			/* the HAT wiring: vane is the lower leg */
};

static int check_config(const struct wx_windvane_config *vc, char *err, size_t errlen)
{
	bool i2c = vc->adc == WX_VANE_ADC_MCP3427;
	int channels = i2c ? WX_MCP3427_CHANNELS : WX_MCP3008_CHANNELS;

	if (vc->channel >= 0 && vc->channel < channels && vc->vin > 0 &&
	    vc->divider_ohm > 0 && isfinite(vc->north_offset_deg))
		return 0;
	snprintf(err, errlen, "windvane %s: channel %d, vin %g, divider_ohm %g: "
		 "need channel 0..%d and positive vin and divider_ohm",
		 i2c ? vc->bus : vc->spi, vc->channel, vc->vin, vc->divider_ohm, channels - 1);
	return -EINVAL;
}

static int mcp3008_read_v(struct wx_vane *v, double *volts, char *err, size_t errlen)
{
	uint16_t raw;
	int rc = wx_mcp3008_read(v->spi, v->cfg.channel, &raw);

	if (rc == -EPROTO)
		snprintf(err, errlen, "windvane %s: MCP3008 reply has no null bit "
			 "(is the MCP3008 powered? check MISO, CS and the SPI wiring)", v->where);
	else if (rc < 0)
		snprintf(err, errlen, "windvane %s: SPI transfer failed: %s", v->where, strerror(-rc));
	else
		*volts = wx_mcp3008_volts(raw, v->cfg.vin);	/* VREF = vin */
	return rc;
}

struct wx_vane *wx_vane_open_mcp3008(struct wx_spibus *bus, const struct wx_windvane_config *cfg,
				     char *err, size_t errlen)
{
	struct wx_vane *v;
	int rc = check_config(cfg, err, errlen);

	if (rc < 0) {
		bus->close(bus);
		errno = -rc;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "windvane %s: out of memory", bus->where);
		bus->close(bus);
		errno = ENOMEM;
		return NULL;
	}
	v->cfg = *cfg;
	v->spi = bus;
	v->read_v = mcp3008_read_v;
	snprintf(v->where, sizeof(v->where), "%s channel %d", bus->where, cfg->channel);
	return v;
}

static int mcp3427_read_v(struct wx_vane *v, double *volts, char *err, size_t errlen)
{
	int16_t raw;
	int rc = wx_mcp3427_read(v->i2c, v->cfg.channel, &raw);

	if (rc < 0)
		return wx_mcp3427_describe("windvane", v->i2c, v->cfg.channel, rc, err, errlen);
	/* The pull-up takes an open input to vin, beyond the 2.048 V range. */
	if (raw >= WX_MCP3427_FULL_SCALE) {
		snprintf(err, errlen, "windvane %s: input at full scale (2.048 V or more): "
			 "vane cable open? check the vane's plug on the HAT", v->where);
		return -ERANGE;
	}
	*volts = wx_mcp3427_volts(raw);
	return 0;
}

struct wx_vane *wx_vane_open_mcp3427(struct wx_regbus *bus, const struct wx_windvane_config *cfg,
				     char *err, size_t errlen)
{
	struct wx_windvane_config c = *cfg;
	struct wx_vane *v;
	int rc;

	c.adc = WX_VANE_ADC_MCP3427;
	rc = check_config(&c, err, errlen);
	if (rc < 0) {
		bus->close(bus);
		errno = -rc;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "windvane %s: out of memory", bus->where);
		bus->close(bus);
		errno = ENOMEM;
		return NULL;
	}
	v->cfg = c;
	v->i2c = bus;
	v->vane_low = true;
	v->read_v = mcp3427_read_v;
	snprintf(v->where, sizeof(v->where), "%s channel %d", bus->where, cfg->channel);
	return v;
}

int wx_vane_read(struct wx_vane *v, double *direction_deg, char *err, size_t errlen)
{
	double volts;
	int rc = v->read_v(v, &volts, err, errlen);

	if (rc < 0)
		return rc;
	if (v->vane_low) {
		/* Vout = vin * (1 - ratio): match the mirrored voltage, and say
		 * the measured one if it matches nothing. */
		rc = wx_vane_direction_from_v(&v->cfg, v->cfg.vin - volts, v->where,
					      direction_deg, err, errlen);
		if (rc < 0)
			snprintf(err, errlen, "windvane %s: %.3f V matches no direction (check "
				 "vin = %g and divider_ohm = %g against the HAT; "
				 "hardware/oracle-hat.md)", v->where, volts, v->cfg.vin,
				 v->cfg.divider_ohm);
		return rc;
	}
	return wx_vane_direction_from_v(&v->cfg, volts, v->where, direction_deg, err, errlen);
}

void wx_vane_close(struct wx_vane *v)
{
	if (!v)
		return;
	if (v->spi)
		v->spi->close(v->spi);
	if (v->i2c)
		v->i2c->close(v->i2c);
	free(v);
}

/* ---- wxctl probe ------------------------------------------------------ */

static void check_vane_mcp3427(struct wx_probe *p)
{
	const struct wx_windvane_config *c = WX_WINDVANE_CONFIG(p->cfg);
	struct wx_regbus *b;
	struct wx_vane *v;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 48];
	double deg;
	int rc;

	if (!wx_probe_node(p, "windvane", c->bus, c->bus, WX_PROBE_NODE_I2C))
		return;
	if (!(b = wx_probe_open_i2c(p, "windvane", c->bus, c->address)))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x channel %d", c->bus,
		 (unsigned)c->address, c->channel);
	if (!(v = wx_vane_open_mcp3427(b, c, err, sizeof(err)))) {
		wx_probe_fail_from(p, "windvane", err);
		return;
	}
	rc = wx_vane_read(v, &deg, err, sizeof(err));
	wx_vane_close(v);
	if (rc == -ENXIO)
		wx_probe_mcp3427_no_reply(p, "windvane", subject, c->bus, c->address);
	else if (rc < 0)
		wx_probe_fail_from(p, "windvane", err);
	else
		wx_probe_ok(p, "windvane", subject, "MCP3427 answers; the vane points to %.1f°", deg);
}


static void check_vane_mcp3008(struct wx_probe *p)
{
	const struct wx_windvane_config *c = WX_WINDVANE_CONFIG(p->cfg);
	struct wx_spibus *b;
	struct wx_vane *v;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 32];
	double deg;

	if (!wx_probe_node(p, "windvane", c->spi, c->spi, WX_PROBE_NODE_SPI))
		return;
	if (!(b = wx_spidev_open(c->spi, VANE_SPI_HZ, err, sizeof(err)))) {
		wx_probe_fail_from(p, "windvane", err);
		return;
	}
	if (!(v = wx_vane_open_mcp3008(b, c, err, sizeof(err)))) {
		wx_probe_fail_from(p, "windvane", err);
		return;
	}
	snprintf(subject, sizeof(subject), "%s channel %d", c->spi, c->channel);
	if (wx_vane_read(v, &deg, err, sizeof(err)) < 0)
		wx_probe_fail_from(p, "windvane", err);
	else
		wx_probe_ok(p, "windvane", subject, "MCP3008 answers; the vane points to %.1f°", deg);
	wx_vane_close(v);
}

/* For wxctl probe: an MCP3427's I2C address (none on an MCP3008). */
static int vane_i2c_address(const struct wx_config *cfg, const char **bus)
{
	const struct wx_windvane_config *c = WX_WINDVANE_CONFIG(cfg);

	if (c->adc != WX_VANE_ADC_MCP3427)
		return -1;
	*bus = c->bus;
	return c->address;
}

static void check_windvane(struct wx_probe *p)
{
	if (WX_WINDVANE_CONFIG(p->cfg)->adc == WX_VANE_ADC_MCP3427)
		check_vane_mcp3427(p);
	else
		check_vane_mcp3008(p);
}

/* ---- the sensor driver ---------------------------------------------- */

static void *vane_open_i2c(const struct wx_sensor_env *env, const struct wx_windvane_config *vc,
			   char *err, size_t errlen)
{
	struct wx_regbus *bus = wx_bus_i2c(env, "windvane", vc->bus, vc->address, err, errlen);

	if (!bus)
		return NULL;
	return wx_vane_open_mcp3427(bus, vc, err, errlen);
}

static void *vane_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	const struct wx_windvane_config *vc = WX_WINDVANE_CONFIG(env->cfg);
	struct wx_spibus *bus;
	int rc = check_config(vc, err, errlen);

	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	if (vc->adc == WX_VANE_ADC_MCP3427)
		return vane_open_i2c(env, vc, err, errlen);
	bus = wx_bus_spi(env, "windvane", vc->spi, VANE_SPI_HZ, err, errlen);
	if (!bus)
		return NULL;
	return wx_vane_open_mcp3008(bus, vc, err, errlen);
}

static int vane_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	double deg;
	int rc = wx_vane_read(dev, &deg, err, errlen);

	if (rc < 0)
		return rc;
	wx_record_set(r, WX_WIND_DIRECTION_DEG, deg);
	return 0;
}

static void vane_close(void *dev)
{
	wx_vane_close(dev);
}

/* ---- its config section ------------------------------------------------- */

/* The words of enum wx_vane_adc, in its order. */
static const char *const vane_adcs[] = { "mcp3008", "mcp3427", NULL };

#define K struct wx_windvane_config
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_CHOICE(K, "adc", adc, vane_adcs),
	WX_CONFIG_STR(K, "spi", WX_CFG_STR, spi),
	WX_CONFIG_STR(K, "bus", WX_CFG_STR, bus),
	WX_CONFIG_NUM(K, "address", WX_CFG_ADDR, address, 0x68, 0x6F),
	WX_CONFIG_NUM(K, "channel", WX_CFG_INT, channel, 0, 7),
	WX_CONFIG_NUM(K, "vin", WX_CFG_DOUBLE, vin, 1.0, 5.5),
	WX_CONFIG_NUM(K, "divider_ohm", WX_CFG_DOUBLE, divider_ohm, 100, 1e6),
	WX_CONFIG_NUM(K, "north_offset_deg", WX_CFG_DOUBLE, north_offset_deg, -360, 360),
};
#undef K

/* The original Oracle Weather Station HAT (hardware/oracle-hat.md): the
 * vane on channel 0 of the MCP3427 at 0x69 as the lower leg of a 75k
 * divider from 3.268 V, as the kit's shipped software (branches stretch
 * and jessie: wind_direction.json) has it.  3.3 V/100k were the prototype
 * board's. */
static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_windvane_config *c = data;

	if (profile == WX_PROFILE_ORACLE_HAT) {
		c->adc = WX_VANE_ADC_MCP3427;
		c->channel = 0;
		c->vin = 3.268;
		c->divider_ohm = 75000;
		return;
	}
	c->adc = WX_VANE_ADC_MCP3008;
	snprintf(c->spi, sizeof(c->spi), "/dev/spidev0.0");
	snprintf(c->bus, sizeof(c->bus), "/dev/i2c-1");
	c->address = 0x69;
	c->vin = 3.3;
	c->divider_ohm = 4700;
}

/* The MCP3427 has two inputs, the MCP3008 eight: channel's range depends
 * on adc, wherever the two keys appear. */
static const char *config_check(const void *data, const char **key)
{
	const struct wx_windvane_config *c = data;

	if (c->adc != WX_VANE_ADC_MCP3427 || c->channel <= 1)
		return NULL;
	*key = "channel";
	return "is out of range for adc = mcp3427 (0 to 1)";
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_windvane_config, config_keys, config_defaults, config_check);

const struct wx_sensor_driver wx_windvane_driver = {
	.name = "windvane",
	.kits = WX_KIT_BYO | WX_KIT_HAT,
	.quantities = WX_Q(WX_WIND_DIRECTION_DEG),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = vane_open,
	.sample = vane_sample,
	.edges = NULL,
	.close = vane_close,
	.probe = check_windvane,
	.i2c_address = vane_i2c_address,
};
