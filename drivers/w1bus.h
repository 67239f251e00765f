/* The 1-wire bus as the Linux w1 sysfs tree shows it: a directory of
 * devices (28-0316a27949ff, ...) each with a w1_slave text file. */
#ifndef WX_W1BUS_H
#define WX_W1BUS_H

#include <stddef.h>

struct wx_w1bus {
	const char *where;	/* "/sys/bus/w1/devices" */
	/* Write the name of the first device whose name starts with family
	 * ("28-") in sorted order into name.  0, -ENOENT when there is none, or
	 * -errno when the directory cannot be read. */
	int (*find)(struct wx_w1bus *bus, const char *family, char *name, size_t len);
	/* Read device's w1_slave text into buf (NUL-terminated).  Returns the
	 * length or -errno (-ENOENT: the device is gone).  May take the
	 * conversion time (750 ms on a DS18B20 at 12 bits). */
	int (*read_slave)(struct wx_w1bus *bus, const char *device, char *buf, size_t len);
	void (*close)(struct wx_w1bus *bus);
	void *ctx;
};

/* The sysfs transport rooted at dir.  NULL with errno set on allocation failure
 * (a missing directory is reported by find, so it can come back later). */
struct wx_w1bus *wx_w1sysfs_open(const char *dir);

#endif
