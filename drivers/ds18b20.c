/* DS18B20 ground probe: the chip logic.
 *
 * Maxim/Dallas "DS18B20 Programmable Resolution 1-Wire Digital Thermometer"
 * data sheet (REV 042208; same content in the later 19-7487 edition).  The
 * Linux w1_therm driver does the 1-wire work: reading a probe's w1_slave
 * starts a conversion (750 ms at 12 bits) and prints the 9-byte scratchpad
 * twice, once with the kernel's CRC verdict and once with t= in millidegrees.
 * This file parses that text, checks it (CRC-8 again ourselves, the 85 °C
 * power-on value, the measuring range), and retries CRC failures, which are
 * what a long or badly pulled-up cable gives.
 *
 * What the kernel really prints after a failed CRC (drivers/w1/slaves/
 * w1_therm.c, w1_slave_show()): line 1 is the bytes it read, the CRC it
 * computed over them and NO; line 2 is NOT the same bytes but the last
 * scratchpad that passed (zeros if none has yet), with t= worked out from
 * the bad bytes.  So NO is a CRC failure whatever line 2 says.  Since Linux
 * 5.10 the driver retries the scratchpad read itself (W1_THERM_MAX_TRY, 5
 * times) and, when every try fails, returns an empty read: that is a CRC
 * failure too (or a probe that gave no presence pulse), and retried. */
#include "drivers/ds18b20.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/sensor.h"
#include "drivers/probekit.h"

/* ---- parse errors: one row each -------------------------------------- */

static const struct {
	const char *text;
	int err;		/* the -errno wx_ds18b20_read() gives */
} errors[WX_DS18B20_E_COUNT] = {
	[WX_DS18B20_E_MALFORMED] = { "malformed w1_slave text (not a DS18B20? w1_therm driver loaded?)", EBADMSG },
	[WX_DS18B20_E_CRC_NO] = { "CRC check failed (long cable? add a 4.7k pull-up)", EIO },
	[WX_DS18B20_E_CRC_MISMATCH] = { "CRC mismatch though the kernel said YES (long cable? add a 4.7k pull-up)", EIO },
	[WX_DS18B20_E_NO_REPLY] = { "no reply, all-zero scratchpad (check the data wire and the 4.7k pull-up)", EIO },
	[WX_DS18B20_E_DISAGREE] = { "scratchpad and t= disagree (corrupt w1_slave text)", EBADMSG },
	[WX_DS18B20_E_POWER_ON] = { "not converted (power-on value 85 °C: check the probe's power / pull-up)", EAGAIN },
	[WX_DS18B20_E_RANGE] = { "temperature outside -55..125 °C (faulty probe?)", ERANGE },
	[WX_DS18B20_E_EMPTY] = { "empty w1_slave read (the kernel's CRC retries failed: loose wire or long cable? add a 4.7k pull-up)", EIO },
};

const char *wx_ds18b20_strerror(int code)
{
	if (code < 0)
		code = -code;
	if (code <= 0 || code >= WX_DS18B20_E_COUNT || !errors[code].text)
		return "unknown ds18b20 error";
	return errors[code].text;
}

/* ---- pure functions ---------------------------------------------------- */

uint8_t wx_ds18b20_crc8(const uint8_t *p, size_t len)
{
	uint8_t crc = 0;

	/* Bitwise, LSB first: the shift register of the data sheet's CRC
	 * figure with the polynomial x^8 + x^5 + x^4 + 1 reflected (0x8C). */
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint8_t)((crc >> 1) ^ 0x8C) : (uint8_t)(crc >> 1);
	}
	return crc;
}

double wx_ds18b20_raw_to_c(int16_t raw)
{
	return raw / 16.0;
}

/* A cursor over text that is not NUL-terminated. */
struct cur {
	const char *p, *end;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* At least one space (the kernel prints exactly one). */
static bool spaces(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return c->p > start;
}

static bool hex2(struct cur *c, uint8_t *out)
{
	int hi, lo;

	if (c->end - c->p < 2 || (hi = hexval(c->p[0])) < 0 || (lo = hexval(c->p[1])) < 0)
		return false;
	*out = (uint8_t)(hi << 4 | lo);
	c->p += 2;
	return true;
}

/* "72 01 4b 46 7f ff 0e 10 57 " */
static bool scratchpad(struct cur *c, uint8_t sp[9])
{
	for (int i = 0; i < 9; i++)
		if (!hex2(c, &sp[i]) || !spaces(c))
			return false;
	return true;
}

/* A decimal integer of at most 7 digits (|t| <= 128000 on any DS18B20). */
static bool integer(struct cur *c, long *out)
{
	bool neg = eat(c, "-");
	long v = 0;
	int digits = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++digits > 7)
			return false;
		v = v * 10 + (*c->p++ - '0');
	}
	*out = neg ? -v : v;
	return digits > 0;
}

int wx_ds18b20_parse(const char *text, size_t len, double *temp_c)
{
	struct cur c = { text, text + len };
	uint8_t sp[9], sp2[9], crc_said;
	long t_milli;

	if (!text)
		return -WX_DS18B20_E_MALFORMED;
	if (len == 0)
		return -WX_DS18B20_E_EMPTY;
	if (!scratchpad(&c, sp) || !eat(&c, ": crc=") || !hex2(&c, &crc_said) || !spaces(&c))
		return -WX_DS18B20_E_MALFORMED;
	/* After NO the kernel's second line holds other bytes (the last good
	 * scratchpad or zeros) and a t= from the bad ones: nothing to check. */
	if (eat(&c, "NO"))
		return -WX_DS18B20_E_CRC_NO;
	if (!eat(&c, "YES"))
		return -WX_DS18B20_E_MALFORMED;
	if (!eat(&c, "\n") || !scratchpad(&c, sp2) || !eat(&c, "t=") || !integer(&c, &t_milli))
		return -WX_DS18B20_E_MALFORMED;
	while (c.p < c.end && (*c.p == '\n' || *c.p == ' '))
		c.p++;
	if (c.p != c.end || memcmp(sp, sp2, sizeof(sp)) != 0)
		return -WX_DS18B20_E_MALFORMED;

	/* crc= is the CRC the kernel computed; byte 8 is the one the chip sent. */
	if (wx_ds18b20_crc8(sp, 8) != sp[8] || crc_said != sp[8])
		return -WX_DS18B20_E_CRC_MISMATCH;
	/* A bus with nothing on it reads as zeros, and CRC-8 of zeros is 0. */
	static const uint8_t zeros[9];
	if (memcmp(sp, zeros, sizeof(zeros)) == 0)
		return -WX_DS18B20_E_NO_REPLY;

	int16_t raw = (int16_t)(uint16_t)(sp[0] | sp[1] << 8);
	double v = wx_ds18b20_raw_to_c(raw);

	/* The kernel derives t= from the same bytes, truncating to whole
	 * millidegrees (some clones add two bits): allow less than 1/16 °C. */
	if (fabs(t_milli / 1000.0 - v) >= 1.0 / 16)
		return -WX_DS18B20_E_DISAGREE;
	if (raw == WX_DS18B20_POWER_ON_RAW)
		return -WX_DS18B20_E_POWER_ON;
	if (v < WX_DS18B20_MIN_C || v > WX_DS18B20_MAX_C) {
		*temp_c = v;
		return -WX_DS18B20_E_RANGE;
	}
	*temp_c = v;
	return 0;
}

/* ---- the device -------------------------------------------------------- */

struct wx_ds18b20 {
	struct wx_w1bus *bus;
	bool named;			/* configured device (else: first found) */
	char device[WX_NAME_LEN];	/* "" until found */
};

struct wx_ds18b20 *wx_ds18b20_open(struct wx_w1bus *bus, const char *device)
{
	struct wx_ds18b20 *d;

	if (!bus) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d || (device && strlen(device) >= sizeof(d->device))) {
		int e = d ? ENAMETOOLONG : errno;

		free(d);
		bus->close(bus);
		errno = e;
		return NULL;
	}
	d->bus = bus;
	if (device && device[0]) {
		d->named = true;
		snprintf(d->device, sizeof(d->device), "%s", device);
	}
	return d;
}

const char *wx_ds18b20_device(const struct wx_ds18b20 *d)
{
	return d->device;
}

void wx_ds18b20_close(struct wx_ds18b20 *d)
{
	if (!d)
		return;
	d->bus->close(d->bus);
	free(d);
}

/* Pick the first 28-* device when none is named (or ours went away). */
static int find_device(struct wx_ds18b20 *d, char *err, size_t errlen)
{
	int rc = d->bus->find(d->bus, WX_DS18B20_FAMILY, d->device, sizeof(d->device));

	if (rc == 0)
		return 0;
	d->device[0] = '\0';
	if (rc == -ENOENT)
		snprintf(err, errlen, "ds18b20 %s: no %s* device found (is dtoverlay=w1-gpio in "
			 "config.txt and the 4.7k pull-up fitted?)", d->bus->where, WX_DS18B20_FAMILY);
	else
		snprintf(err, errlen, "ds18b20 %s: cannot list devices: %s", d->bus->where,
			 strerror(-rc));
	return rc;
}

/* The named device is not there: say so, and which one is, if any. */
static void describe_missing(struct wx_ds18b20 *d, char *err, size_t errlen)
{
	char other[WX_NAME_LEN];

	if (!d->named) {
		snprintf(err, errlen, "ds18b20 %s/%s: device gone (unplugged? check the probe's wiring)",
			 d->bus->where, d->device);
		d->device[0] = '\0';	/* look for the first one again next time */
	} else if (d->bus->find(d->bus, WX_DS18B20_FAMILY, other, sizeof(other)) == 0) {
		snprintf(err, errlen, "ds18b20 %s/%s: not found, but %s is there (set device = %s in [ds18b20]?)",
			 d->bus->where, d->device, other, other);
	} else {
		snprintf(err, errlen, "ds18b20 %s/%s: not found (is the probe wired, "
			 "dtoverlay=w1-gpio set and the 4.7k pull-up fitted?)", d->bus->where, d->device);
	}
}

static bool is_crc_failure(int rc)
{
	return rc == -WX_DS18B20_E_CRC_NO || rc == -WX_DS18B20_E_CRC_MISMATCH ||
	       rc == -WX_DS18B20_E_EMPTY;
}

int wx_ds18b20_read(struct wx_ds18b20 *d, double *temp_c, char *err, size_t errlen)
{
	char text[WX_DS18B20_SLAVE_LEN];
	int rc = 0, empty = 0;

	if (!d->device[0] && (rc = find_device(d, err, errlen)) < 0)
		return rc;
	for (int tries = 1; tries <= WX_DS18B20_TRIES; tries++) {
		int n = d->bus->read_slave(d->bus, d->device, text, sizeof(text));

		if (n == -ENOENT) {
			describe_missing(d, err, errlen);
			return -ENOENT;
		}
		if (n < 0) {
			snprintf(err, errlen, "ds18b20 %s/%s: cannot read w1_slave: %s",
				 d->bus->where, d->device, strerror(-n));
			return n;
		}
		double v = 0;
		rc = wx_ds18b20_parse(text, (size_t)n, &v);
		if (rc == 0) {
			*temp_c = v;
			return 0;
		}
		if (!is_crc_failure(rc))
			break;
		empty += rc == -WX_DS18B20_E_EMPTY;
	}
	if (is_crc_failure(rc) && empty == WX_DS18B20_TRIES) {
		snprintf(err, errlen, "ds18b20 %s/%s: CRC check failed %d times (empty w1_slave: the "
			 "kernel's own retries failed too; loose wire or long cable? add a 4.7k pull-up)",
			 d->bus->where, d->device, WX_DS18B20_TRIES);
		return -EIO;
	}
	if (is_crc_failure(rc)) {
		snprintf(err, errlen, "ds18b20 %s/%s: CRC check failed %d times (long cable? add a 4.7k pull-up)",
			 d->bus->where, d->device, WX_DS18B20_TRIES);
		return -EIO;
	}
	snprintf(err, errlen, "ds18b20 %s/%s: %s", d->bus->where, d->device, wx_ds18b20_strerror(rc));
	return -errors[-rc].err;
}

/* ---- wxctl probe ------------------------------------------------------ */

#define MAX_W1_LISTED 8

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

#define W1_ENABLE "enable 1-wire: dtoverlay=w1-gpio in " WX_PROBE_BOOT_CONFIG ", then reboot; " \
	"data to GPIO4 (pin 7) with a 4.7 kΩ pull-up to 3V3"

/* The configured probe is there (or, with none configured, say which one
 * wxd reads).  True when a reading can follow. */
static bool check_w1_device(struct wx_probe *p, const char *list, int n, const char *first)
{
	const struct wx_ds18b20_config *c = WX_DS18B20_CONFIG(p->cfg);

	if (!c->device[0]) {
		if (n > 1)
			wx_probe_ok(p, "ds18b20", "device", "not set: wxd reads the first, %s; with several "
			   "probes set device = in [ds18b20] to the one in the ground", first);
		return true;
	}
	if (path_exists(c->w1_dir, c->device)) {
		wx_probe_ok(p, "ds18b20", c->device, "present");
		return true;
	}
	if (n == 1)
		wx_probe_fail(p, "ds18b20", c->device, "not found, but %s is there: set device = %s in "
		     "[ds18b20]", first, first);
	else
		wx_probe_fail(p, "ds18b20", c->device, "not found; found %s: set device = in [ds18b20] to "
		     "the probe in the ground", list);
	return false;
}

static void check_ds18b20(struct wx_probe *p)
{
	const struct wx_ds18b20_config *c = WX_DS18B20_CONFIG(p->cfg);
	char list[512], first[NAME_MAX + 1], err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + WX_NAME_LEN + 2];
	struct wx_ds18b20 *d;
	struct wx_w1bus *bus;
	struct stat st;
	double t;
	int n;

	if (stat(c->w1_dir, &st) < 0) {
		if (errno == ENOENT)
			wx_probe_fail(p, "ds18b20", c->w1_dir, "no such directory: " W1_ENABLE);
		else
			wx_probe_fail(p, "ds18b20", c->w1_dir, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		wx_probe_fail(p, "ds18b20", c->w1_dir, "not a directory: check w1_dir = in [ds18b20]");
		return;
	}
	n = list_probes(c->w1_dir, list, sizeof(list), first, sizeof(first));
	if (n < 0) {
		wx_probe_fail(p, "ds18b20", c->w1_dir, "cannot list: %s", strerror(-n));
		return;
	}
	if (n == 0 && !path_exists(c->w1_dir, "w1_bus_master1")) {
		wx_probe_fail(p, "ds18b20", c->w1_dir, "no 28-* device and no w1_bus_master1: " W1_ENABLE);
		return;
	}
	if (n == 0) {
		wx_probe_fail(p, "ds18b20", c->w1_dir, "no 28-* device: check the data wire on GPIO4 (pin 7), "
		     "the 4.7 kΩ pull-up from data to 3V3, and the probe's power (red to 3V3, "
		     "black to GND)");
		return;
	}
	wx_probe_ok(p, "ds18b20", c->w1_dir, "1-wire bus present, found %s", list);
	if (!check_w1_device(p, list, n, first))
		return;
	if (!(bus = wx_w1sysfs_open(c->w1_dir)) || !(d = wx_ds18b20_open(bus, c->device))) {
		wx_probe_fail(p, "ds18b20", c->w1_dir, "cannot open: %s", strerror(errno));
		return;	/* wx_ds18b20_open closed bus */
	}
	if (wx_ds18b20_read(d, &t, err, sizeof(err)) < 0) {
		wx_probe_fail_from(p, "ds18b20", err);
	} else {
		snprintf(subject, sizeof(subject), "%s/%s", c->w1_dir, wx_ds18b20_device(d));
		wx_probe_ok(p, "ds18b20", subject, "%.2f °C", t);
	}
	wx_ds18b20_close(d);
}

/* ---- the sensor table entry ------------------------------------------- */

/* ---- its config section ------------------------------------------------- */

#define K struct wx_ds18b20_config
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "w1_dir", WX_CFG_STR, w1_dir),
	WX_CONFIG_STR(K, "device", WX_CFG_STR, device),
};
#undef K

static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_ds18b20_config *c = data;

	if (profile != WX_PROFILE_BYO)
		return;
	snprintf(c->w1_dir, sizeof(c->w1_dir), "/sys/bus/w1/devices");
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_ds18b20_config, config_keys, config_defaults, NULL);

static void *ds18b20_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	const struct wx_ds18b20_config *c = WX_DS18B20_CONFIG(env->cfg);
	struct wx_w1bus *bus;
	struct wx_ds18b20 *d;
	char where[WX_ERR_LEN];

	bus = wx_bus_w1(env, "ds18b20", c->w1_dir, err, errlen);
	if (!bus)
		return NULL;
	snprintf(where, sizeof(where), "%s", bus->where);	/* bus is gone when open fails */
	d = wx_ds18b20_open(bus, c->device);
	if (!d)
		snprintf(err, errlen, "ds18b20 %s: cannot open %s: %s", where,
			 c->device[0] ? c->device : "the first 28-* device", strerror(errno));
	return d;
}

static int ds18b20_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	double t;
	int rc = wx_ds18b20_read(dev, &t, err, errlen);

	if (rc == 0)
		wx_record_set(r, WX_GROUND_TEMPERATURE_C, t);
	return rc;
}

static void ds18b20_close(void *dev)
{
	wx_ds18b20_close(dev);
}

const struct wx_sensor_driver wx_ds18b20_driver = {
	.name = "ds18b20",
	.kits = WX_KIT_BYO | WX_KIT_HAT,
	.quantities = WX_Q(WX_GROUND_TEMPERATURE_C),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = ds18b20_open,
	.sample = ds18b20_sample,
	.edges = NULL,
	.close = ds18b20_close,
	.probe = check_ds18b20,
};
