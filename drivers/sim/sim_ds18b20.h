/* A simulated 1-wire bus with one DS18B20 on it, measuring the simulated
 * world's ground temperature, with fault switches for tests; and a helper
 * that writes a real sysfs-like tree for the w1sysfs transport. */
#ifndef WX_SIM_DS18B20_H
#define WX_SIM_DS18B20_H

#include <stdbool.h>

#include "drivers/sim/sim.h"
#include "drivers/w1bus.h"

#define WX_SIM_DS18B20_DEVICE "28-0316a27949ff"	/* the name when none is configured */
#define WX_SIM_DS18B20_CONVERSION_MS 750		/* 12-bit conversion time */

/* Faults a test can switch on.  All off after wx_sim_ds18b20_new(). */
struct wx_sim_ds18b20_faults {
	int crc_no;		/* the next crc_no reads fail the CRC ("NO", line 2 the last
				 * good scratchpad, as older kernels print it), then good */
	int crc_empty;		/* the next crc_empty reads are empty (current kernels,
				 * after their own CRC retries failed) */
	bool power_on;		/* scratchpad holds the 85 °C power-on value */
	bool missing;		/* unplugged: find and read_slave give -ENOENT */
	bool garbage;		/* w1_slave is not w1_therm text */
	bool fixed;		/* measure fixed_c instead of the world */
	double fixed_c;
};

/* A bus at "sim:w1" holding one probe called device_name, reading sim's
 * ground temperature at the station clock's time (sim and its clock are not
 * owned).  Each read spends WX_SIM_DS18B20_CONVERSION_MS of station time
 * with wx_clock_device_delay().  NULL with errno set on allocation failure.
 * Freed by its close(). */
struct wx_w1bus *wx_sim_ds18b20_new(struct wx_sim *sim, const char *device_name);

/* The fault switches of a bus made by wx_sim_ds18b20_new() (owned by it).
 * Not locked: change them only while no read is running. */
struct wx_sim_ds18b20_faults *wx_sim_ds18b20_faults(struct wx_w1bus *bus);

/* How many times w1_slave was read (each read is one conversion). */
int wx_sim_ds18b20_reads(const struct wx_w1bus *bus);

/* Format the w1_slave text (as the kernel's w1_therm prints it) for a probe
 * at temp_c, quantised to 1/16 °C (85.0 gives the power-on value); crc_ok
 * false corrupts a byte so that the CRC says NO, and line 2 is then the
 * zeroed scratchpad the kernel shows before any read has passed.  Returns
 * the length, or -ENOSPC when len is too small. */
int wx_sim_ds18b20_format(double temp_c, bool crc_ok, char *buf, size_t len);

/* Test helper: create dir/device/w1_slave (and dir/w1_bus_master1, as the
 * kernel does) for a probe at temp_c.  dir must exist; device directories
 * are created or overwritten.  0 or -errno. */
int wx_sim_ds18b20_write_tree(const char *dir, const char *device, double temp_c, bool crc_ok);

#endif
