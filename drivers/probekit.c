/* wxctl probe's reporting and shared checks for the drivers (probekit.h).
 *
 * The alternative addresses are identified by reading only the Bosch chip
 * id register (BMP180, BMP280 and BME280 share it) or, for the MCP3427
 * range, by a plain 3-byte read: nothing is written to a chip that may not
 * be ours. */
#include "drivers/probekit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/spi/spidev.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/regbus.h"
#include "drivers/sensor.h"

#define BOSCH_REG_CHIP_ID 0xD0	/* the same register on BMP180, BMP280 and BME280 */
#define MCP3427_FIRST 0x68	/* its two address pins give 0x68..0x6F */
#define MCP3427_LAST 0x6F

enum verdict { OK, FAIL, INFO };

static void vreport(struct wx_probe *p, enum verdict v, const char *sensor, const char *subject,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void vreport(struct wx_probe *p, enum verdict v, const char *sensor, const char *subject,
		    const char *fmt, va_list ap)
{
	char msg[WX_PROBE_ERR_LEN];

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

void wx_probe_ok(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, OK, sensor, subject, fmt, ap);
	va_end(ap);
}

void wx_probe_fail(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, FAIL, sensor, subject, fmt, ap);
	va_end(ap);
}

void wx_probe_info(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, INFO, sensor, subject, fmt, ap);
	va_end(ap);
}

/* A driver's or transport's one-line message ("bme280 /dev/i2c-1 address
 * 0x76: timed out") as a FAIL line: the sensor name it may start with is
 * dropped, and the part before the first ": " becomes the subject. */
void wx_probe_fail_from(struct wx_probe *p, const char *sensor, const char *err)
{
	size_t n = strlen(sensor);
	const char *colon;

	if (strncmp(err, sensor, n) == 0 && err[n] == ' ')
		err += n + 1;
	colon = strstr(err, ": ");
	if (!colon) {
		wx_probe_fail(p, sensor, err, "failed");
		return;
	}
	fprintf(p->out, "%-10s %.*s: FAIL: %s\n", sensor, (int)(colon - err), err, colon + 2);
	p->checks++;
	p->failed++;
}

/* ---- device nodes -------------------------------------------------------- */

static const struct node_info {
	const char *present;	/* what "ok" says */
	const char *not_kind;	/* "not an I2C bus" */
	const char *missing;	/* the fix when the node does not exist (GPIO: in code) */
	const char *group;	/* the group that may open it */
	const char *key;	/* the config key naming it */
} nodes[] = {
	[WX_PROBE_NODE_I2C] = { "I2C bus present", "not an I2C bus",
		       "no such device: enable I2C: dtparam=i2c_arm=on in " WX_PROBE_BOOT_CONFIG
		       ", then reboot (ls /dev/i2c-* lists the buses)", "i2c", "bus" },
	[WX_PROBE_NODE_SPI] = { "SPI device present", "not an SPI device",
		       "no such device: enable SPI: dtparam=spi=on in " WX_PROBE_BOOT_CONFIG
		       ", then reboot (ls /dev/spidev* lists the devices)", "spi", "spi" },
	[WX_PROBE_NODE_GPIO] = { "GPIO chip present", "not a GPIO chip", NULL, "gpio", "chip" },
};

/* A read-only ioctl that only this kind of device answers. */
static int kind_ioctl(int fd, enum wx_probe_node kind)
{
	unsigned long funcs;
	uint8_t mode;
	struct gpiochip_info chip;

	switch (kind) {
	case WX_PROBE_NODE_I2C: return ioctl(fd, I2C_FUNCS, &funcs);
	case WX_PROBE_NODE_SPI: return ioctl(fd, SPI_IOC_RD_MODE, &mode);
	case WX_PROBE_NODE_GPIO: return ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &chip);
	}
	return -1;
}

/* Is path (named subject in messages, set by [section] key) a device node
 * of this kind that we may open?  One line either way; true when ok. */
bool wx_probe_node(struct wx_probe *p, const char *section, const char *subject,
		       const char *path, enum wx_probe_node kind)
{
	const struct node_info *k = &nodes[kind];
	struct stat st;
	int fd, e;

	if (stat(path, &st) < 0) {
		e = errno;
		if (e == ENOENT && kind == WX_PROBE_NODE_GPIO)
			wx_probe_fail(p, section, subject, "no such GPIO chip: ls /dev/gpiochip* lists them; "
			     "set chip = in [%s]", section);
		else if (e == ENOENT)
			wx_probe_fail(p, section, subject, "%s", k->missing);
		else
			wx_probe_fail(p, section, subject, "%s", strerror(e));
		return false;
	}
	if (!S_ISCHR(st.st_mode)) {
		wx_probe_fail(p, section, subject, "not a device file: check %s = in [%s]", k->key, section);
		return false;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == EACCES || e == EPERM)
			wx_probe_fail(p, section, subject, "permission denied: add the user to group %s "
			     "(sudo usermod -aG %s $USER), then log in again", k->group, k->group);
		else
			wx_probe_fail(p, section, subject, "cannot open: %s", strerror(e));
		return false;
	}
	e = kind_ioctl(fd, kind) < 0 ? errno : 0;
	close(fd);
	if (e) {
		wx_probe_fail(p, section, subject, "%s: check %s = in [%s]", k->not_kind, k->key, section);
		return false;
	}
	wx_probe_ok(p, section, subject, "%s", k->present);
	return true;
}

/* ---- I2C chips ----------------------------------------------------------- */

/* "i2cdetect -y 1" for /dev/i2c-1, "i2cdetect -l" when the name says no number. */
void wx_probe_i2cdetect_cmd(const char *bus, char *buf, size_t len)
{
	const char *n = strstr(bus, "i2c-");

	if (n && n[4] >= '0' && n[4] <= '9')
		snprintf(buf, len, "i2cdetect -y %s", n + 4);
	else
		snprintf(buf, len, "i2cdetect -l");
}

/* The name of a Bosch chip id and the driver that takes it (*drv), or
 * NULL: the driver rows know their chips. */
static const char *bosch_chip(uint8_t id, const struct wx_sensor_driver **drv)
{
	for (size_t i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];
		const char *name = d->bosch_chip ? d->bosch_chip(id) : NULL;

		if (name) {
			if (drv)
				*drv = d;
			return name;
		}
	}
	return NULL;
}

/* "a BME280 (chip id 0x60)" or "a chip with id 0x61". */
static void describe_id(uint8_t id, char *buf, size_t len)
{
	const char *name = bosch_chip(id, NULL);

	if (name)
		snprintf(buf, len, "a %s (chip id 0x%02x)", name, id);
	else
		snprintf(buf, len, "a chip with id 0x%02x", id);
}

/* Read the Bosch chip id at address: 0, or -errno (-ENXIO: no reply,
 * -EBUSY: a kernel driver owns the address). */
static int read_bosch_id(const char *bus, int address, uint8_t *id)
{
	char err[WX_PROBE_ERR_LEN];
	struct wx_regbus *b = wx_i2cdev_open(bus, address, err, sizeof(err));
	int rc;

	if (!b)
		return -errno;
	rc = b->read(b, BOSCH_REG_CHIP_ID, id, 1);
	b->close(b);
	return rc;
}

/* What to do about a Bosch chip with id found in place of the one [section]
 * expects (expect: "BMP180 (0x55)"), at address: the section of the driver
 * that takes it, and for a chip of the HAT only, its profile. */
static void bosch_fix(const char *section, const char *expect, uint8_t id, int address, char *buf,
		      size_t len)
{
	const struct wx_sensor_driver *d = NULL;
	const char *name = bosch_chip(id, &d);

	if (!name)
		snprintf(buf, len, "another chip at this address, not a %s", expect);
	else if (strcmp(d->name, section) == 0)
		snprintf(buf, len, "set address = 0x%02x in [%s]", (unsigned)address, section);
	else if (d->kits & WX_KIT_BYO)
		snprintf(buf, len, "use [%s] with address = 0x%02x instead of [%s]", d->name,
			 (unsigned)address, section);
	else
		snprintf(buf, len, "the Oracle Weather Station HAT's %s: use [%s] "
			 "(profile = oracle-hat) instead of [%s]", name, d->name, section);
}

/* Nothing answered at the configured address of a Bosch chip: look at the
 * other one (0x76 <-> 0x77) and say what is there. */
void wx_probe_bosch_no_reply(struct wx_probe *p, const char *section, const char *subject,
			     const char *bus, int address, const char *expect, const char *wiring)
{
	int other = address == 0x76 ? 0x77 : 0x76;
	char what[64], fix[160], cmd[64];
	uint8_t id;
	int rc = read_bosch_id(bus, other, &id);

	wx_probe_i2cdetect_cmd(bus, cmd, sizeof(cmd));
	if (rc == 0) {
		describe_id(id, what, sizeof(what));
		bosch_fix(section, expect, id, other, fix, sizeof(fix));
		wx_probe_fail(p, section, subject, "no reply; %s answers at 0x%02x: %s", what, other, fix);
	} else {
		wx_probe_fail(p, section, subject, "no reply, and none at 0x%02x either: %s (%s lists what "
		     "answers)", other, wiring, cmd);
	}
}

/* The chip answered with an id its driver does not take. */
void wx_probe_bosch_wrong_id(struct wx_probe *p, const char *section, const char *subject,
			     const char *bus, int address, const char *expect,
			     const char *driver_err)
{
	char what[64], fix[160];
	uint8_t id;

	if (read_bosch_id(bus, address, &id) < 0) {
		wx_probe_fail_from(p, section, driver_err);
		return;
	}
	describe_id(id, what, sizeof(what));
	bosch_fix(section, expect, id, address, fix, sizeof(fix));
	wx_probe_fail(p, section, subject, "found %s: %s", what, fix);
}

void *wx_probe_bosch_open(struct wx_probe *p, const struct wx_probe_bosch *how, char *subject,
			  size_t sublen, char *err, size_t errlen)
{
	struct wx_regbus *b;
	void *chip;
	int e;

	if (!wx_probe_node(p, how->section, how->bus, how->bus, WX_PROBE_NODE_I2C))
		return NULL;
	snprintf(subject, sublen, "%s address 0x%02x", how->bus, (unsigned)how->address);
	if (!(b = wx_probe_open_i2c(p, how->section, how->bus, how->address)))
		return NULL;
	chip = how->open(b, how->arg, err, errlen);
	e = errno;
	if (chip)
		return chip;
	if (e == ENXIO)
		wx_probe_bosch_no_reply(p, how->section, subject, how->bus, how->address,
					how->expect, how->wiring);
	else if (e == ENODEV)
		wx_probe_bosch_wrong_id(p, how->section, subject, how->bus, how->address,
					how->expect, err);
	else
		wx_probe_fail_from(p, how->section, err);
	return NULL;
}

/* Open the regbus at address or write a FAIL line (the transport's own
 * message: missing bus, a kernel driver owning the address). */
struct wx_regbus *wx_probe_open_i2c(struct wx_probe *p, const char *section, const char *bus,
				  int address)
{
	char err[WX_PROBE_ERR_LEN];
	struct wx_regbus *b = wx_i2cdev_open(bus, address, err, sizeof(err));

	if (!b)
		wx_probe_fail_from(p, section, err);
	return b;
}


/* Which enabled sensor is configured for address on bus (its section), or
 * NULL: the rows say where they are. */
static const char *i2c_owner(const struct wx_config *cfg, const char *bus, int address)
{
	for (size_t i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];
		const char *at = NULL;

		if (d->i2c_address && wx_sensor_enabled(cfg, d) &&
		    d->i2c_address(cfg, &at) == address && at && strcmp(at, bus) == 0)
			return d->name;
	}
	return NULL;
}

/* Nothing answered at an MCP3427's configured address: list what answers
 * in 0x68..0x6F (a plain read, harmless to any chip) and suggest the one
 * no other section uses. */
void wx_probe_mcp3427_no_reply(struct wx_probe *p, const char *section, const char *subject,
			     const char *bus, int address)
{
	char list[256] = "", cmd[64], err[WX_PROBE_ERR_LEN];
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
		owner = i2c_owner(p->cfg, bus, a);
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
	wx_probe_i2cdetect_cmd(bus, cmd, sizeof(cmd));
	if (n_free == 1)
		wx_probe_fail(p, section, subject, "no reply; a device answers at 0x%02x: set address = "
		     "0x%02x in [%s] (answering: %s)", (unsigned)free_addr, (unsigned)free_addr,
		     section, list);
	else if (n_free > 1)
		wx_probe_fail(p, section, subject, "no reply; devices answer at %s: set address = in [%s] "
		     "to the one wired to it (%s)", list, section, cmd);
	else
		wx_probe_fail(p, section, subject, "no reply, and no other device answers at 0x%02x..0x%02x%s%s: "
		     WX_PROBE_HAT_WIRING " (%s)", MCP3427_FIRST, MCP3427_LAST, used ? " but " : "", list,
		     cmd);
}

