/* Simulated DS18B20 on a simulated 1-wire bus.
 *
 * It produces the text the Linux w1_therm driver prints for a DS18B20 (data
 * sheet "DS18B20 Programmable Resolution 1-Wire Digital Thermometer", REV
 * 042208): the 9-byte scratchpad (temperature LSB/MSB in signed 1/16 °C,
 * TH, TL, configuration 0x7f = 12 bits, reserved 0xff, reserved, 0x10,
 * CRC-8), the kernel's CRC verdict, and t= in millidegrees, so that
 * ds18b20.c runs unchanged on it.  A CRC failure looks as w1_therm.c's
 * w1_slave_show() makes it: line 1 the bytes read (one bit flipped on the
 * wire), the CRC computed over them and NO; line 2 the last scratchpad that
 * passed (zeros before the first), t= from the bad bytes.  Current kernels
 * retry that themselves and then give an empty read: the crc_empty fault. */
#include "drivers/sim/sim_ds18b20.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/ds18b20.h"
#include "firmware/core/config.h"

struct sim_w1 {
	struct wx_w1bus bus;
	struct wx_sim *sim;
	char device[WX_NAME_LEN];
	struct wx_sim_ds18b20_faults faults;
	int reads;
	uint8_t last_good[9];		/* the kernel's family_data copy; zeros at first */
};

static int16_t quantise(double temp_c)
{
	double raw = round(temp_c * 16);

	if (raw > INT16_MAX)
		return INT16_MAX;
	if (raw < INT16_MIN)
		return INT16_MIN;
	return (int16_t)raw;
}

static size_t hex_bytes(const uint8_t sp[9], char out[9 * 3 + 1])
{
	size_t n = 0;

	for (int i = 0; i < 9; i++)
		n += (size_t)snprintf(out + n, 9 * 3 + 1 - n, "%02x ", sp[i]);
	return n;
}

/* Print what w1_slave_show() prints for a read of sp: the verdict is the
 * CRC-8 check itself; line 2 shows sp when it passed, else line2 (the last
 * good scratchpad); t= always comes from sp. */
static int format_kernel(const uint8_t sp[9], const uint8_t line2[9], char *buf, size_t len)
{
	uint8_t crc = wx_ds18b20_crc8(sp, 8);
	bool ok = crc == sp[8];
	int16_t raw = (int16_t)(uint16_t)(sp[0] | sp[1] << 8);
	char bytes[9 * 3 + 1], bytes2[9 * 3 + 1];

	hex_bytes(sp, bytes);
	hex_bytes(ok ? sp : line2, bytes2);
	/* The kernel's t= is raw * 1000 / 16 in integer arithmetic. */
	int w = snprintf(buf, len, "%s: crc=%02x %s\n%st=%d\n", bytes, crc, ok ? "YES" : "NO",
			 bytes2, raw * 1000 / 16);
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	return w;
}

static void make_scratchpad(int16_t raw, uint8_t sp[9])
{
	sp[0] = (uint8_t)((uint16_t)raw & 0xff);
	sp[1] = (uint8_t)((uint16_t)raw >> 8);
	sp[2] = 0x4b;		/* TH, TL: the factory alarm settings */
	sp[3] = 0x46;
	sp[4] = 0x7f;		/* configuration: R1 = R0 = 1, 12 bits */
	sp[5] = 0xff;
	sp[6] = 0x0c;
	sp[7] = 0x10;
	sp[8] = wx_ds18b20_crc8(sp, 8);
}

/* The scratchpad a read of a probe at temp_c returns; crc_ok false flips a
 * bit on the wire after the chip made its CRC. */
static void read_scratchpad(double temp_c, bool crc_ok, uint8_t sp[9])
{
	make_scratchpad(quantise(temp_c), sp);
	if (!crc_ok)
		sp[0] ^= 0x04;
}

int wx_sim_ds18b20_format(double temp_c, bool crc_ok, char *buf, size_t len)
{
	static const uint8_t zeros[9];
	uint8_t sp[9];

	read_scratchpad(temp_c, crc_ok, sp);
	return format_kernel(sp, zeros, buf, len);
}

static int sim_find(struct wx_w1bus *bus, const char *family, char *name, size_t len)
{
	struct sim_w1 *s = bus->ctx;

	if (s->faults.missing || strncmp(s->device, family, strlen(family)) != 0)
		return -ENOENT;
	if (strlen(s->device) >= len)
		return -ENAMETOOLONG;
	strcpy(name, s->device);
	return 0;
}

static int sim_read_slave(struct wx_w1bus *bus, const char *device, char *buf, size_t len)
{
	struct sim_w1 *s = bus->ctx;
	struct wx_clock *clock = wx_sim_clock(s->sim);
	struct wx_sim_weather w;
	double t;
	int n;

	if (s->faults.missing || strcmp(device, s->device) != 0)
		return -ENOENT;
	s->reads++;
	wx_clock_device_delay(clock, WX_SIM_DS18B20_CONVERSION_MS * WX_NS_PER_MS);
	if (s->faults.garbage) {
		n = snprintf(buf, len, "%s", "\xff\xfe garbage 12 34 : crc=zz MAYBE\nt=\n");
		return n < 0 || (size_t)n >= len ? -ENOSPC : n;
	}
	if (s->faults.power_on) {
		t = WX_DS18B20_POWER_ON_RAW / 16.0;
	} else if (s->faults.fixed) {
		t = s->faults.fixed_c;
	} else {
		wx_sim_weather_at(s->sim, wx_clock_mono_ns(clock), &w);
		t = w.ground_temperature_c;
	}
	if (s->faults.crc_empty > 0) {
		s->faults.crc_empty--;
		if (len)
			buf[0] = '\0';
		return 0;
	}
	bool crc_ok = s->faults.crc_no <= 0;
	uint8_t sp[9];

	if (!crc_ok)
		s->faults.crc_no--;
	read_scratchpad(t, crc_ok, sp);
	n = format_kernel(sp, s->last_good, buf, len);
	if (crc_ok)
		memcpy(s->last_good, sp, sizeof(sp));
	return n;
}

static void sim_close(struct wx_w1bus *bus)
{
	free(bus ? bus->ctx : NULL);
}

struct wx_w1bus *wx_sim_ds18b20_new(struct wx_sim *sim, const char *device_name)
{
	struct sim_w1 *s;

	if (!sim || !device_name) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(device_name) >= sizeof(s->device)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sim = sim;
	strcpy(s->device, device_name);
	s->bus = (struct wx_w1bus){
		.where = "sim:w1",
		.find = sim_find,
		.read_slave = sim_read_slave,
		.close = sim_close,
		.ctx = s,
	};
	return &s->bus;
}

struct wx_sim_ds18b20_faults *wx_sim_ds18b20_faults(struct wx_w1bus *bus)
{
	return &((struct sim_w1 *)bus->ctx)->faults;
}

int wx_sim_ds18b20_reads(const struct wx_w1bus *bus)
{
	return ((const struct sim_w1 *)bus->ctx)->reads;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int wx_sim_ds18b20_write_tree(const char *dir, const char *device, double temp_c, bool crc_ok)
{
	char path[4096], text[WX_DS18B20_SLAVE_LEN];
	int n = wx_sim_ds18b20_format(temp_c, crc_ok, text, sizeof(text));
	int rc, fd;

	if (n < 0)
		return n;
	snprintf(path, sizeof(path), "%s/w1_bus_master1", dir);
	if ((rc = make_dir(path)) < 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s", dir, device) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = make_dir(path)) < 0)
		return rc;
	strcat(path, "/w1_slave");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = write(fd, text, (size_t)n) == n ? 0 : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}
