/* The wind vane: 8 reed switches and 8 resistors giving 16 directions.
 *
 * The matching here knows only the vane's resistor table and the divider it
 * sits in, not the ADC: it takes a voltage (or a fraction of vin), so the
 * MCP3008 of the BYO wiring and the Oracle HAT's MCP3427 feed the same code.
 *
 * With the BYO wiring the vane is the upper leg of a divider from vin, the
 * fixed resistor (divider_ohm, 4.7k) the lower leg to ground:
 *     Vout = vin * divider_ohm / (divider_ohm + R_vane)
 *
 * The driver exports wx_windvane_driver (drivers/sensor.h). */
#ifndef WX_VANE_H
#define WX_VANE_H

#include <stddef.h>

#include "drivers/sensor.h"
#include "drivers/spibus.h"

#define WX_VANE_POSITIONS 16

/* The acceptance window of a position is at most this fraction of vin
 * wide on either side, however far its neighbours are: a reading between
 * two well separated positions is a fault, not a direction. */
#define WX_VANE_MAX_TOLERANCE 0.03

/* The Oracle Weather Station HAT's vane divider: the vane is the lower leg
 * of a 75 kOhm pull-up from the HAT's 3.268 V rail (the kit's shipped
 * wind_direction.json, branches stretch and jessie; hardware/oracle-hat.md).
 * The simulated HAT is wired with these, whatever the config says. */
#define WX_ORACLE_HAT_VANE_VIN		3.268
#define WX_ORACLE_HAT_VANE_DIVIDER_OHM	75000.0

struct wx_vane_position {
	double direction_deg;	/* as marked on the vane, 0 = north, clockwise */
	double resistance_ohm;	/* between the vane's two wires */
};

/* The 16 positions in direction order (0, 22.5, ... 337.5 degrees). */
extern const struct wx_vane_position wx_vane_positions[WX_VANE_POSITIONS];

/* [windvane] adc: the BYO MCP3008 on SPI or the Oracle HAT's MCP3427 on I2C. */
enum wx_vane_adc { WX_VANE_ADC_MCP3008, WX_VANE_ADC_MCP3427 };

/* [windvane] */
struct wx_windvane_config {
	bool enabled;
	enum wx_vane_adc adc;
	char spi[WX_PATH_LEN];		/* adc = mcp3008 */
	char bus[WX_PATH_LEN];		/* adc = mcp3427: I2C bus */
	int address;			/* adc = mcp3427: 0x68..0x6F */
	int channel;
	double vin;
	double divider_ohm;
	double north_offset_deg;
};

/* The expected output of a vane resistance as a fraction of vin:
 * divider_ohm / (divider_ohm + resistance_ohm). */
double wx_vane_ratio(double divider_ohm, double resistance_ohm);

/* The half-width of position i's acceptance window, as a fraction of vin:
 * half the distance to its nearest neighbour in expected ratio, but at most
 * WX_VANE_MAX_TOLERANCE. */
double wx_vane_tolerance(double divider_ohm, int i);

/* The smallest distance between the expected ratios of any two positions
 * (the worst-case separation); the two positions in *a and *b (may be NULL). */
double wx_vane_min_separation(double divider_ohm, int *a, int *b);

/* The position (0..15) whose window holds ratio (Vout / vin), or -ERANGE
 * when it lies in no window (open circuit, loose wire, wrong divider). */
int wx_vane_match_ratio(double divider_ohm, double ratio);

/* The direction of position i after the mounting rotation: the marked
 * direction plus north_offset_deg, wrapped into [0, 360). */
double wx_vane_direction_deg(int i, double north_offset_deg);

/* Turn a measured voltage into a direction for the vane cfg describes
 * (vin, divider_ohm, north_offset_deg).  Returns 0 with *direction_deg set,
 * or -ERANGE with one line in err naming where ("/dev/spidev0.0 channel 0")
 * and what to check. */
int wx_vane_direction_from_v(const struct wx_windvane_config *cfg, double volts,
			     const char *where, double *direction_deg,
			     char *err, size_t errlen);

/* A vane behind an ADC: the matching above fed by one conversion. */
struct wx_vane;

/* The vane on channel cfg->channel of an MCP3008 on bus, with VREF tied to
 * vin (the BYO wiring).  Takes bus over: wx_vane_close() closes it, and so
 * does a failure here.  NULL with errno set (EINVAL for a channel outside
 * 0..7 or a non-positive vin or divider_ohm) and a message in err. */
struct wx_vane *wx_vane_open_mcp3008(struct wx_spibus *bus, const struct wx_windvane_config *cfg,
				     char *err, size_t errlen);

/* The vane on channel cfg->channel (0..1) of an MCP3427 on bus, the
 * Oracle Weather Station HAT wiring: there the vane is the lower leg of a
 * divider_ohm pull-up from vin, so Vout = vin * R_vane / (divider_ohm +
 * R_vane) = vin * (1 - wx_vane_ratio()), and the same 16-position matching
 * applies to 1 - Vout / vin.  Takes bus over like wx_vane_open_mcp3008(). */
struct wx_regbus;
struct wx_vane *wx_vane_open_mcp3427(struct wx_regbus *bus, const struct wx_windvane_config *cfg,
				     char *err, size_t errlen);

/* One conversion turned into a direction (north offset applied).  0, or
 * -errno with one line in err naming device and channel: -ERANGE when the
 * voltage matches no position, -EPROTO for a malformed ADC reply, or the
 * bus's error. */
int wx_vane_read(struct wx_vane *v, double *direction_deg, char *err, size_t errlen);

/* Close the ADC's bus and free v (NULL is fine). */
void wx_vane_close(struct wx_vane *v);

/* The sensor table's row (drivers/sensor.h): section [windvane], sampled,
 * opens per its adc the MCP3008 (its spi) or the
 * MCP3427 (its bus and address) through env's bus provider;
 * fills wind_direction_deg.  The device it opens is a struct wx_vane. */
extern const struct wx_sensor_driver wx_windvane_driver;
#define WX_WINDVANE_CONFIG(cfg) \
	WX_SENSOR_CONFIG(cfg, wx_windvane_driver, struct wx_windvane_config)

#endif
