/* wxctl probe: one line per check, grouped per sensor (see probe.h).
 *
 * Each sensor is checked from the outside in: the device node or directory
 * (present, a device of the right kind, ours to open), then the chip at its
 * address through the driver's own open and read functions, then one
 * reading.  A check that fails stops that sensor's later checks, which
 * would only fail the same way.  When a chip does not answer where the
 * config says, the other addresses it could have are tried, and what
 * answers there is named, so the line can say which key to change.
 *
 * The alternative addresses are identified by reading only the Bosch chip
 * id register (BMP180, BMP280 and BME280 share it) or, for the MCP3427
 * range, by a plain 3-byte read: nothing is written to a chip that may not
 * be ours. */
#include "firmware/probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/spi/spidev.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drivers/bme280.h"
#include "drivers/bmp180.h"
#include "drivers/ds18b20.h"
#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"
#include "drivers/htu21d.h"
#include "drivers/mcp3427.h"
#include "drivers/air_quality.h"
#include "drivers/pulse.h"
#include "drivers/regbus.h"
#include "drivers/spibus.h"
#include "drivers/vane.h"
#include "drivers/w1bus.h"
#include "firmware/clock.h"

#define ERR_LEN 512
#define BOOT_CONFIG "/boot/firmware/config.txt (/boot/config.txt on older Pi OS)"
#define BOSCH_REG_CHIP_ID 0xD0	/* the same register on BMP180, BMP280 and BME280 */
#define MCP3427_FIRST 0x68	/* its two address pins give 0x68..0x6F */
#define MCP3427_LAST 0x6F
#define VANE_SPI_HZ 1000000u	/* as the vane driver: within the MCP3008's 1.35 MHz at 2.7 V */
#define MAX_W1_LISTED 8

struct probe {
	FILE *out;
	const struct wx_config *cfg;
	struct wx_probe_env env;
	int checks, failed;
};

enum verdict { OK, FAIL, INFO };

static void vreport(struct probe *p, enum verdict v, const char *sensor, const char *subject,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void vreport(struct probe *p, enum verdict v, const char *sensor, const char *subject,
		    const char *fmt, va_list ap)
{
	char msg[ERR_LEN];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (v == OK)
		fprintf(p->out, "%-10s %s: ok (%s)\n", sensor, subject, msg);
	else
		fprintf(p->out, "%-10s %s: %s: %s\n", sensor, subject, v == FAIL ? "FAIL" : "info",
			msg);
	if (v != INFO)
		p->checks++;
	if (v == FAIL)
		p->failed++;
}

static void ok(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void info(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void ok(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, OK, sensor, subject, fmt, ap);
	va_end(ap);
}

static void fail(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, FAIL, sensor, subject, fmt, ap);
	va_end(ap);
}

static void info(struct probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, INFO, sensor, subject, fmt, ap);
	va_end(ap);
}

/* A driver's or transport's one-line message ("bme280 /dev/i2c-1 address
 * 0x76: timed out") as a FAIL line: the sensor name it may start with is
 * dropped, and the part before the first ": " becomes the subject. */
static void fail_from(struct probe *p, const char *sensor, const char *err)
{
	size_t n = strlen(sensor);
	const char *colon;

	if (strncmp(err, sensor, n) == 0 && err[n] == ' ')
		err += n + 1;
	colon = strstr(err, ": ");
	if (!colon) {
		fail(p, sensor, err, "failed");
		return;
	}
	fprintf(p->out, "%-10s %.*s: FAIL: %s\n", sensor, (int)(colon - err), err, colon + 2);
	p->checks++;
	p->failed++;
}

/* ---- device nodes -------------------------------------------------------- */

enum node_kind { NODE_I2C, NODE_SPI, NODE_GPIO };

static const struct node_info {
	const char *present;	/* what "ok" says */
	const char *not_kind;	/* "not an I2C bus" */
	const char *missing;	/* the fix when the node does not exist (GPIO: in code) */
	const char *group;	/* the group that may open it */
	const char *key;	/* the config key naming it */
} nodes[] = {
	[NODE_I2C] = { "I2C bus present", "not an I2C bus",
		       "no such device: enable I2C: dtparam=i2c_arm=on in " BOOT_CONFIG
		       ", then reboot (ls /dev/i2c-* lists the buses)", "i2c", "bus" },
	[NODE_SPI] = { "SPI device present", "not an SPI device",
		       "no such device: enable SPI: dtparam=spi=on in " BOOT_CONFIG
		       ", then reboot (ls /dev/spidev* lists the devices)", "spi", "spi" },
	[NODE_GPIO] = { "GPIO chip present", "not a GPIO chip", NULL, "gpio", "chip" },
};

/* A read-only ioctl that only this kind of device answers. */
static int kind_ioctl(int fd, enum node_kind kind)
{
	unsigned long funcs;
	uint8_t mode;
	struct gpiochip_info chip;

	switch (kind) {
	case NODE_I2C: return ioctl(fd, I2C_FUNCS, &funcs);
	case NODE_SPI: return ioctl(fd, SPI_IOC_RD_MODE, &mode);
	case NODE_GPIO: return ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &chip);
	}
	return -1;
}

/* Is path (named subject in messages, set by [section] key) a device node
 * of this kind that we may open?  One line either way; true when ok. */
static bool check_node(struct probe *p, const char *section, const char *subject,
		       const char *path, enum node_kind kind)
{
	const struct node_info *k = &nodes[kind];
	struct stat st;
	int fd, e;

	if (stat(path, &st) < 0) {
		e = errno;
		if (e == ENOENT && kind == NODE_GPIO)
			fail(p, section, subject, "no such GPIO chip: ls /dev/gpiochip* lists them; "
			     "set chip = in [%s]", section);
		else if (e == ENOENT)
			fail(p, section, subject, "%s", k->missing);
		else
			fail(p, section, subject, "%s", strerror(e));
		return false;
	}
	if (!S_ISCHR(st.st_mode)) {
		fail(p, section, subject, "not a device file: check %s = in [%s]", k->key, section);
		return false;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == EACCES || e == EPERM)
			fail(p, section, subject, "permission denied: add the user to group %s "
			     "(sudo usermod -aG %s $USER), then log in again", k->group, k->group);
		else
			fail(p, section, subject, "cannot open: %s", strerror(e));
		return false;
	}
	e = kind_ioctl(fd, kind) < 0 ? errno : 0;
	close(fd);
	if (e) {
		fail(p, section, subject, "%s: check %s = in [%s]", k->not_kind, k->key, section);
		return false;
	}
	ok(p, section, subject, "%s", k->present);
	return true;
}

/* ---- I2C chips ----------------------------------------------------------- */

/* "i2cdetect -y 1" for /dev/i2c-1, "i2cdetect -l" when the name says no number. */
static void i2cdetect_cmd(const char *bus, char *buf, size_t len)
{
	const char *n = strstr(bus, "i2c-");

	if (n && n[4] >= '0' && n[4] <= '9')
		snprintf(buf, len, "i2cdetect -y %s", n + 4);
	else
		snprintf(buf, len, "i2cdetect -l");
}

/* The name of a Bosch chip id, or NULL. */
static const char *bosch_name(uint8_t id)
{
	const struct wx_bmx280_variant *v = wx_bme280_variant_by_id(id);

	if (v)
		return v->name;
	return id == WX_BMP180_CHIP_ID ? "BMP180" : NULL;
}

/* "a BME280 (chip id 0x60)" or "a chip with id 0x61". */
static void describe_id(uint8_t id, char *buf, size_t len)
{
	const char *name = bosch_name(id);

	if (name)
		snprintf(buf, len, "a %s (chip id 0x%02x)", name, id);
	else
		snprintf(buf, len, "a chip with id 0x%02x", id);
}

/* Read the Bosch chip id at address: 0, or -errno (-ENXIO: no reply,
 * -EBUSY: a kernel driver owns the address). */
static int read_bosch_id(const char *bus, int address, uint8_t *id)
{
	char err[ERR_LEN];
	struct wx_regbus *b = wx_i2cdev_open(bus, address, err, sizeof(err));
	int rc;

	if (!b)
		return -errno;
	rc = b->read(b, BOSCH_REG_CHIP_ID, id, 1);
	b->close(b);
	return rc;
}

/* What to do about a Bosch chip with id found in place of the one [section]
 * expects (at address). */
static void bosch_fix(const char *section, uint8_t id, int address, char *buf, size_t len)
{
	const char *name = bosch_name(id);
	bool bmx280 = wx_bme280_variant_by_id(id) != NULL;

	if (!name)
		snprintf(buf, len, "another chip at this address, not a %s",
			 strcmp(section, "bmp180") == 0 ? "BMP180 (0x55)" : "BME280 (0x60) or BMP280 (0x58)");
	else if (bmx280 && strcmp(section, "bme280") == 0)
		snprintf(buf, len, "set address = 0x%02x in [bme280]", (unsigned)address);
	else if (bmx280)
		snprintf(buf, len, "use [bme280] with address = 0x%02x instead of [%s]",
			 (unsigned)address, section);
	else
		snprintf(buf, len, "the Oracle Weather Station HAT's barometer: use [bmp180] "
			 "(profile = oracle-hat) instead of [%s]", section);
}

/* Nothing answered at the configured address of a Bosch chip: look at the
 * other one (0x76 <-> 0x77) and say what is there. */
static void bosch_no_reply(struct probe *p, const char *section, const char *subject,
			   const char *bus, int address, const char *wiring)
{
	int other = address == 0x76 ? 0x77 : 0x76;
	char what[64], fix[160], cmd[64];
	uint8_t id;
	int rc = read_bosch_id(bus, other, &id);

	i2cdetect_cmd(bus, cmd, sizeof(cmd));
	if (rc == 0) {
		describe_id(id, what, sizeof(what));
		bosch_fix(section, id, other, fix, sizeof(fix));
		fail(p, section, subject, "no reply; %s answers at 0x%02x: %s", what, other, fix);
	} else {
		fail(p, section, subject, "no reply, and none at 0x%02x either: %s (%s lists what "
		     "answers)", other, wiring, cmd);
	}
}

#define BYO_I2C_WIRING "check VIN to 3V3 (pin 1), GND (pin 9), SDA to pin 3 and SCL to pin 5"
#define HAT_WIRING "check the HAT is seated on all 40 pins"

/* The chip answered with an id its driver does not take. */
static void bosch_wrong_id(struct probe *p, const char *section, const char *subject,
			   const char *bus, int address, const char *driver_err)
{
	char what[64], fix[160];
	uint8_t id;

	if (read_bosch_id(bus, address, &id) < 0) {
		fail_from(p, section, driver_err);
		return;
	}
	describe_id(id, what, sizeof(what));
	bosch_fix(section, id, address, fix, sizeof(fix));
	fail(p, section, subject, "found %s: %s", what, fix);
}

/* Open the regbus at address or write a FAIL line (the transport's own
 * message: missing bus, a kernel driver owning the address). */
static struct wx_regbus *open_i2c(struct probe *p, const char *section, const char *bus,
				  int address)
{
	char err[ERR_LEN];
	struct wx_regbus *b = wx_i2cdev_open(bus, address, err, sizeof(err));

	if (!b)
		fail_from(p, section, err);
	return b;
}

static void check_bme280(struct probe *p)
{
	const struct wx_config_bme280 *c = &p->cfg->bme280;
	struct wx_bme280_reading r;
	struct wx_regbus *b;
	struct wx_bme280 *d;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 32];
	int e;

	if (!check_node(p, "bme280", c->bus, c->bus, NODE_I2C))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x", c->bus, (unsigned)c->address);
	if (!(b = open_i2c(p, "bme280", c->bus, c->address)))
		return;
	d = wx_bme280_open(b, c->address, err, sizeof(err));
	e = errno;
	if (!d && e == ENXIO) {
		bosch_no_reply(p, "bme280", subject, c->bus, c->address, BYO_I2C_WIRING);
		return;
	}
	if (!d && e == ENODEV)
		bosch_wrong_id(p, "bme280", subject, c->bus, c->address, err);
	else if (!d)
		fail_from(p, "bme280", err);
	else if (wx_bme280_read(d, &r, err, sizeof(err)) < 0)
		fail_from(p, "bme280", err);
	else if (r.has_humidity)
		ok(p, "bme280", subject, "%s, chip id 0x%02x: %.1f °C, %.1f hPa, %.1f %%",
		   wx_bme280_variant_name(d), wx_bme280_variant(d)->chip_id, r.temperature_c,
		   r.pressure_hpa, r.humidity_pct);
	else
		ok(p, "bme280", subject, "%s, chip id 0x%02x: %.1f °C, %.1f hPa; it has no "
		   "humidity sensor: humidity_pct stays null", wx_bme280_variant_name(d),
		   wx_bme280_variant(d)->chip_id, r.temperature_c, r.pressure_hpa);
	wx_bme280_close(d);
}

static void check_bmp180(struct probe *p)
{
	const struct wx_config_bmp180 *c = &p->cfg->bmp180;
	struct wx_bmp180_reading r;
	struct wx_regbus *b;
	struct wx_bmp180 *d;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 32];
	int e;

	if (!check_node(p, "bmp180", c->bus, c->bus, NODE_I2C))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x", c->bus, (unsigned)c->address);
	if (!(b = open_i2c(p, "bmp180", c->bus, c->address)))
		return;
	d = wx_bmp180_open(b, c->oversampling, err, sizeof(err));
	e = errno;
	if (!d && e == ENXIO) {
		bosch_no_reply(p, "bmp180", subject, c->bus, c->address, HAT_WIRING);
		return;
	}
	if (!d && e == ENODEV)
		bosch_wrong_id(p, "bmp180", subject, c->bus, c->address, err);
	else if (!d)
		fail_from(p, "bmp180", err);
	else if (wx_bmp180_read(d, &r, err, sizeof(err)) < 0)
		fail_from(p, "bmp180", err);
	else
		ok(p, "bmp180", subject, "BMP180, chip id 0x%02x: %.1f °C, %.1f hPa",
		   WX_BMP180_CHIP_ID, r.temperature_c, r.pressure_hpa);
	wx_bmp180_close(d);
}

static void check_htu21d(struct probe *p)
{
	const struct wx_config_htu21d *c = &p->cfg->htu21d;
	struct wx_htu21d_reading r;
	struct wx_regbus *b;
	struct wx_htu21d *d;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 32], cmd[64];

	if (!check_node(p, "htu21d", c->bus, c->bus, NODE_I2C))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x", c->bus, (unsigned)c->address);
	if (!(b = open_i2c(p, "htu21d", c->bus, c->address)))
		return;
	i2cdetect_cmd(c->bus, cmd, sizeof(cmd));
	d = wx_htu21d_open(b, err, sizeof(err));
	if (!d && errno == ENXIO)
		fail(p, "htu21d", subject, "no reply from the HTU21D: " HAT_WIRING " (%s should "
		     "list %02x)", cmd, (unsigned)c->address);
	else if (!d)
		fail_from(p, "htu21d", err);
	else if (wx_htu21d_read(d, &r, err, sizeof(err)) < 0)
		fail_from(p, "htu21d", err);
	else
		ok(p, "htu21d", subject, "HTU21D answers: %.1f °C, %.1f %%", r.temperature_c,
		   r.humidity_pct);
	wx_htu21d_close(d);
}

/* Which configured MCP3427 sensor sits at address on bus, or NULL. */
static const char *mcp3427_owner(const struct wx_config *cfg, const char *bus, int address)
{
	if (cfg->windvane.enabled && cfg->windvane.adc == WX_VANE_ADC_MCP3427 &&
	    cfg->windvane.address == address && strcmp(cfg->windvane.bus, bus) == 0)
		return "windvane";
	if (cfg->air_quality.enabled && cfg->air_quality.address == address &&
	    strcmp(cfg->air_quality.bus, bus) == 0)
		return "air_quality";
	return NULL;
}

/* Nothing answered at an MCP3427's configured address: list what answers
 * in 0x68..0x6F (a plain read, harmless to any chip) and suggest the one
 * no other section uses. */
static void mcp3427_no_reply(struct probe *p, const char *section, const char *subject,
			     const char *bus, int address)
{
	char list[256] = "", cmd[64], err[ERR_LEN];
	size_t used = 0;
	int free_addr = -1, n_free = 0;

	for (int a = MCP3427_FIRST; a <= MCP3427_LAST; a++) {
		struct wx_regbus *b;
		uint8_t rx[3];
		const char *owner;
		int rc;

		if (a == address || !(b = wx_i2cdev_open(bus, a, err, sizeof(err))))
			continue;	/* a kernel driver's address (the RTC at 0x68) is not ours */
		rc = b->recv ? b->recv(b, rx, sizeof(rx)) : -EOPNOTSUPP;
		b->close(b);
		if (rc < 0)
			continue;
		owner = mcp3427_owner(p->cfg, bus, a);
		if (!owner) {
			free_addr = a;
			n_free++;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s0x%02x%s%s%s",
					 used ? ", " : "", (unsigned)a, owner ? " ([" : "",
					 owner ? owner : "", owner ? "])" : "");
		if (used >= sizeof(list))
			break;
	}
	i2cdetect_cmd(bus, cmd, sizeof(cmd));
	if (n_free == 1)
		fail(p, section, subject, "no reply; a device answers at 0x%02x: set address = "
		     "0x%02x in [%s] (answering: %s)", (unsigned)free_addr, (unsigned)free_addr,
		     section, list);
	else if (n_free > 1)
		fail(p, section, subject, "no reply; devices answer at %s: set address = in [%s] "
		     "to the one wired to it (%s)", list, section, cmd);
	else
		fail(p, section, subject, "no reply, and no other device answers at 0x%02x..0x%02x%s%s: "
		     HAT_WIRING " (%s)", MCP3427_FIRST, MCP3427_LAST, used ? " but " : "", list,
		     cmd);
}

static void check_vane_mcp3427(struct probe *p)
{
	const struct wx_config_windvane *c = &p->cfg->windvane;
	struct wx_regbus *b;
	struct wx_vane *v;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 48];
	double deg;
	int rc;

	if (!check_node(p, "windvane", c->bus, c->bus, NODE_I2C))
		return;
	if (!(b = open_i2c(p, "windvane", c->bus, c->address)))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x channel %d", c->bus,
		 (unsigned)c->address, c->channel);
	if (!(v = wx_vane_open_mcp3427(b, c, err, sizeof(err)))) {
		fail_from(p, "windvane", err);
		return;
	}
	rc = wx_vane_read(v, &deg, err, sizeof(err));
	wx_vane_close(v);
	if (rc == -ENXIO)
		mcp3427_no_reply(p, "windvane", subject, c->bus, c->address);
	else if (rc < 0)
		fail_from(p, "windvane", err);
	else
		ok(p, "windvane", subject, "MCP3427 answers; the vane points to %.1f°", deg);
}

static void check_air_quality(struct probe *p)
{
	const struct wx_config_air_quality *c = &p->cfg->air_quality;
	struct wx_regbus *b;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 48];
	int16_t raw;
	int rc;

	if (!check_node(p, "air_quality", c->bus, c->bus, NODE_I2C))
		return;
	if (!(b = open_i2c(p, "air_quality", c->bus, c->address)))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x channel %d", c->bus,
		 (unsigned)c->address, c->channel);
	rc = wx_mcp3427_read(b, c->channel, &raw);
	if (rc < 0 && rc != -ENXIO)
		wx_mcp3427_describe("air_quality", b, c->channel, rc, err, sizeof(err));
	b->close(b);
	if (rc == -ENXIO)
		mcp3427_no_reply(p, "air_quality", subject, c->bus, c->address);
	else if (rc < 0)
		fail_from(p, "air_quality", err);
	else
		ok(p, "air_quality", subject, "MCP3427 answers: air quality %.1f %%",
		   wx_air_quality_pct(raw));
}

/* ---- SPI ------------------------------------------------------------------ */

static void check_vane_mcp3008(struct probe *p)
{
	const struct wx_config_windvane *c = &p->cfg->windvane;
	struct wx_spibus *b;
	struct wx_vane *v;
	char err[ERR_LEN] = "", subject[WX_PATH_LEN + 32];
	double deg;

	if (!check_node(p, "windvane", c->spi, c->spi, NODE_SPI))
		return;
	if (!(b = wx_spidev_open(c->spi, VANE_SPI_HZ, err, sizeof(err)))) {
		fail_from(p, "windvane", err);
		return;
	}
	if (!(v = wx_vane_open_mcp3008(b, c, err, sizeof(err)))) {
		fail_from(p, "windvane", err);
		return;
	}
	snprintf(subject, sizeof(subject), "%s channel %d", c->spi, c->channel);
	if (wx_vane_read(v, &deg, err, sizeof(err)) < 0)
		fail_from(p, "windvane", err);
	else
		ok(p, "windvane", subject, "MCP3008 answers; the vane points to %.1f°", deg);
	wx_vane_close(v);
}

static void check_windvane(struct probe *p)
{
	if (p->cfg->windvane.adc == WX_VANE_ADC_MCP3427)
		check_vane_mcp3427(p);
	else
		check_vane_mcp3008(p);
}

/* ---- 1-wire -------------------------------------------------------------- */

static int is_ds18b20(const struct dirent *e)
{
	return strncmp(e->d_name, WX_DS18B20_FAMILY, strlen(WX_DS18B20_FAMILY)) == 0;
}

/* The 28-* names in dir, sorted, into "a, b, c" (at most MAX_W1_LISTED).
 * Returns how many there are, or -errno. */
static int list_probes(const char *dir, char *list, size_t len, char *first, size_t firstlen)
{
	struct dirent **names;
	size_t used = 0;
	int n = scandir(dir, &names, is_ds18b20, alphasort);

	if (n < 0)
		return -errno;
	list[0] = first[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i == 0)
			snprintf(first, firstlen, "%s", names[i]->d_name);
		if (i < MAX_W1_LISTED && used < len)
			used += (size_t)snprintf(list + used, len - used, "%s%s", i ? ", " : "",
						 names[i]->d_name);
		else if (i == MAX_W1_LISTED && used < len)
			used += (size_t)snprintf(list + used, len - used, ", ...");
		free(names[i]);
	}
	free(names);
	return n;
}

static bool path_exists(const char *dir, const char *name)
{
	char path[WX_PATH_LEN + WX_NAME_LEN + 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

#define W1_ENABLE "enable 1-wire: dtoverlay=w1-gpio in " BOOT_CONFIG ", then reboot; " \
	"data to GPIO4 (pin 7) with a 4.7 kΩ pull-up to 3V3"

/* The configured probe is there (or, with none configured, say which one
 * wxd reads).  True when a reading can follow. */
static bool check_w1_device(struct probe *p, const char *list, int n, const char *first)
{
	const struct wx_config_ds18b20 *c = &p->cfg->ds18b20;

	if (!c->device[0]) {
		if (n > 1)
			ok(p, "ds18b20", "device", "not set: wxd reads the first, %s; with several "
			   "probes set device = in [ds18b20] to the one in the ground", first);
		return true;
	}
	if (path_exists(c->w1_dir, c->device)) {
		ok(p, "ds18b20", c->device, "present");
		return true;
	}
	if (n == 1)
		fail(p, "ds18b20", c->device, "not found, but %s is there: set device = %s in "
		     "[ds18b20]", first, first);
	else
		fail(p, "ds18b20", c->device, "not found; found %s: set device = in [ds18b20] to "
		     "the probe in the ground", list);
	return false;
}

static void check_ds18b20(struct probe *p)
{
	const struct wx_config_ds18b20 *c = &p->cfg->ds18b20;
	char list[512], first[NAME_MAX + 1], err[ERR_LEN] = "", subject[WX_PATH_LEN + WX_NAME_LEN + 2];
	struct wx_ds18b20 *d;
	struct wx_w1bus *bus;
	struct stat st;
	double t;
	int n;

	if (stat(c->w1_dir, &st) < 0) {
		if (errno == ENOENT)
			fail(p, "ds18b20", c->w1_dir, "no such directory: " W1_ENABLE);
		else
			fail(p, "ds18b20", c->w1_dir, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail(p, "ds18b20", c->w1_dir, "not a directory: check w1_dir = in [ds18b20]");
		return;
	}
	n = list_probes(c->w1_dir, list, sizeof(list), first, sizeof(first));
	if (n < 0) {
		fail(p, "ds18b20", c->w1_dir, "cannot list: %s", strerror(-n));
		return;
	}
	if (n == 0 && !path_exists(c->w1_dir, "w1_bus_master1")) {
		fail(p, "ds18b20", c->w1_dir, "no 28-* device and no w1_bus_master1: " W1_ENABLE);
		return;
	}
	if (n == 0) {
		fail(p, "ds18b20", c->w1_dir, "no 28-* device: check the data wire on GPIO4 (pin 7), "
		     "the 4.7 kΩ pull-up from data to 3V3, and the probe's power (red to 3V3, "
		     "black to GND)");
		return;
	}
	ok(p, "ds18b20", c->w1_dir, "1-wire bus present, found %s", list);
	if (!check_w1_device(p, list, n, first))
		return;
	if (!(bus = wx_w1sysfs_open(c->w1_dir)) || !(d = wx_ds18b20_open(bus, c->device))) {
		fail(p, "ds18b20", c->w1_dir, "cannot open: %s", strerror(errno));
		return;	/* wx_ds18b20_open closed bus */
	}
	if (wx_ds18b20_read(d, &t, err, sizeof(err)) < 0) {
		fail_from(p, "ds18b20", err);
	} else {
		snprintf(subject, sizeof(subject), "%s/%s", c->w1_dir, wx_ds18b20_device(d));
		ok(p, "ds18b20", subject, "%.2f °C", t);
	}
	wx_ds18b20_close(d);
}

/* ---- GPIO ------------------------------------------------------------------ */

/* As the GPIO transport resolves it: "gpiochip0" and "0" -> /dev/gpiochip0. */
static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Count closures on bus for the watch window while a person works the
 * sensor; an information line, since still air is not a fault. */
static void watch_line(struct probe *p, const char *section, const struct wx_config_pulse *c,
		       struct wx_edgebus *bus)
{
	bool wind = strcmp(section, "anemometer") == 0;
	int64_t end = mono_ns() + (int64_t)p->env.watch_ms * 1000000LL, ts[64];
	unsigned long long edges = 0, closures = 0;
	struct wx_debounce deb;
	int n = 0;

	wx_sensor_driver_find(section)->debounce(p->cfg, &deb);
	fprintf(p->out, "%-10s %s: watching for %.1f s: %s now\n", section, bus->where,
		p->env.watch_ms / 1000.0, wind ? "spin the cups" : "tip the bucket");
	fflush(p->out);
	for (int64_t left; (left = end - mono_ns()) > 0;) {
		struct pollfd pfd = { .fd = bus->fd, .events = POLLIN };

		poll(&pfd, bus->fd >= 0 ? 1 : 0, (int)(left / 1000000) + 1);
		while ((n = bus->read(bus, mono_ns(), ts, 64)) > 0) {
			edges += (unsigned)n;
			closures += wx_pulse_debounce(&deb, ts, (size_t)n);
		}
		if (n < 0)
			break;
	}
	if (n < 0)
		fail(p, section, bus->where, "reading edges: %s", strerror(-n));
	else if (closures == 0)
		info(p, section, bus->where, "no closures in %.1f s: if you %s, the reed switch is "
		     "not between GPIO%d and GND (RJ11: the middle two wires)",
		     p->env.watch_ms / 1000.0, wind ? "spun the cups" : "tipped the bucket", c->line);
	else
		info(p, section, bus->where, "%llu closures in %.1f s (%llu edges before debounce)",
		     closures, p->env.watch_ms / 1000.0, edges);
}

static void check_pulse(struct probe *p, const char *section, const struct wx_config_pulse *c)
{
	char path[WX_PATH_LEN + 16], err[ERR_LEN] = "", subject[WX_PATH_LEN + 16];
	struct wx_edgebus *bus;

	wx_gpio_chip_path(c->chip, path, sizeof(path));
	if (!check_node(p, section, c->chip, path, NODE_GPIO))
		return;
	bus = wx_gpio_open(c->chip, c->line, err, sizeof(err));
	if (!bus && errno == EBUSY) {
		snprintf(subject, sizeof(subject), "%s line %d", c->chip, c->line);
		fail(p, section, subject, "line busy (another program holds it): `gpioinfo %s` names "
		     "it; if it is wxd, stop it first (sudo systemctl stop wxd)", c->chip);
		return;
	}
	if (!bus) {
		fail_from(p, section, err);
		return;
	}
	ok(p, section, bus->where, "line free");
	if (p->env.watch_ms > 0)
		watch_line(p, section, c, bus);
	bus->close(bus);
}

static void check_anemometer(struct probe *p) { check_pulse(p, "anemometer", &p->cfg->anemometer); }
static void check_rain(struct probe *p) { check_pulse(p, "rain", &p->cfg->rain); }

/* ---- clocks ---------------------------------------------------------------- */

#define RTC_OVERLAY "dtoverlay=i2c-rtc,pcf8523 in " BOOT_CONFIG ", then reboot"

static void check_rtc(struct probe *p)
{
	bool hat = p->cfg->station.profile == WX_PROFILE_ORACLE_HAT;
	char dir[WX_PATH_LEN + 32], path[WX_PATH_LEN + 48], name[128] = "";
	struct stat st;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/class/rtc/rtc0", p->env.sysfs_root);
	if (stat(dir, &st) < 0) {
		if (hat)
			fail(p, "rtc", dir, "no RTC: the HAT's PCF8523 needs " RTC_OVERLAY
			     " (hardware/oracle-hat.md)");
		else
			info(p, "rtc", dir, "none (optional: without one and without network, "
			     "records wait for NTP; see hardware/README.md, \"Clock at boot\")");
		return;
	}
	snprintf(path, sizeof(path), "%s/name", dir);
	if ((f = fopen(path, "r"))) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	if (hat)
		ok(p, "rtc", dir, "present: %s", name[0] ? name : "unnamed");
	else
		info(p, "rtc", dir, "present: %s", name[0] ? name : "unnamed");
}

int wx_probe_clock_synced(void)
{
	/* The daemon's own rule (firmware/clock.c), so that probe says what
	 * wxd will do: NTP, or a battery-backed RTC that agrees. */
	struct wx_clock *c = wx_clock_real();
	int synced;

	if (!c)
		return -ENOMEM;
	synced = wx_clock_synchronised(c);
	wx_clock_free(c);
	return synced;
}

static void check_clock(struct probe *p)
{
	int s = p->env.clock_synced();

	if (s > 0)
		info(p, "clock", "system clock", "synchronised");
	else if (s == 0)
		info(p, "clock", "system clock", "not synchronised: wxd holds archive records until "
		     "it is (hardware/README.md, \"Clock at boot\"; timedatectl shows the state)");
	else
		info(p, "clock", "system clock", "unknown (%s)", strerror(-s));
}

/* ---- the table ------------------------------------------------------------- */

static bool bme280_on(const struct wx_config *c) { return c->bme280.enabled; }
static bool htu21d_on(const struct wx_config *c) { return c->htu21d.enabled; }
static bool bmp180_on(const struct wx_config *c) { return c->bmp180.enabled; }
static bool ds18b20_on(const struct wx_config *c) { return c->ds18b20.enabled; }
static bool anemometer_on(const struct wx_config *c) { return c->anemometer.enabled; }
static bool rain_on(const struct wx_config *c) { return c->rain.enabled; }
static bool windvane_on(const struct wx_config *c) { return c->windvane.enabled; }
static bool air_quality_on(const struct wx_config *c) { return c->air_quality.enabled; }

/* In the order of the sensor table (drivers/registry.c). */
static const struct {
	bool (*enabled)(const struct wx_config *cfg);
	void (*check)(struct probe *p);
} sensors[] = {
	{ bme280_on, check_bme280 },
	{ htu21d_on, check_htu21d },
	{ bmp180_on, check_bmp180 },
	{ ds18b20_on, check_ds18b20 },
	{ anemometer_on, check_anemometer },
	{ rain_on, check_rain },
	{ windvane_on, check_windvane },
	{ air_quality_on, check_air_quality },
};

int wx_probe_run(const struct wx_config *cfg, const struct wx_probe_env *env, FILE *out)
{
	struct probe p = { .out = out, .cfg = cfg };
	int enabled = 0;

	if (env)
		p.env = *env;
	if (!p.env.sysfs_root)
		p.env.sysfs_root = "/sys";
	if (!p.env.clock_synced)
		p.env.clock_synced = wx_probe_clock_synced;
	for (size_t i = 0; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
		if (!sensors[i].enabled(cfg))
			continue;
		enabled++;
		sensors[i].check(&p);
	}
	if (!enabled)
		fail(&p, "probe", cfg->path, "no sensor is configured: add [bme280], [ds18b20], "
		     "[anemometer], [rain] or [windvane] (wxd.conf(5))");
	check_rtc(&p);
	check_clock(&p);
	if (p.failed)
		fprintf(out, "%-10s %d of %d checks failed\n", "probe", p.failed, p.checks);
	else
		fprintf(out, "%-10s all %d checks ok\n", "probe", p.checks);
	fflush(out);
	return p.failed;
}
