/* The 1-wire bus through the Linux w1 sysfs tree (/sys/bus/w1/devices).
 *
 * The kernel's w1 core lists each slave as a directory named
 * <family>-<serial> beside the w1_bus_master<N> links; a slave driver such as
 * w1_therm gives it a w1_slave file whose read does the bus work.  This
 * transport lists and reads those files and knows nothing about any chip. */
#include "drivers/w1bus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct w1sysfs {
	struct wx_w1bus bus;
	char dir[PATH_MAX];
};

static int w1_find(struct wx_w1bus *bus, const char *family, char *name, size_t len)
{
	struct w1sysfs *w = bus->ctx;
	size_t flen = strlen(family);
	char best[NAME_MAX + 1] = "";
	struct dirent *e;
	DIR *d = opendir(w->dir);

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, family, flen) != 0 ||
		    strncmp(e->d_name, "w1_bus_master", 13) == 0)
			continue;
		if (!best[0] || strcmp(e->d_name, best) < 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	if (strlen(best) >= len)
		return -ENAMETOOLONG;
	strcpy(name, best);
	return 0;
}

static int w1_read_slave(struct wx_w1bus *bus, const char *device, char *buf, size_t len)
{
	struct w1sysfs *w = bus->ctx;
	char path[PATH_MAX];
	size_t got = 0;
	int fd;

	if (len == 0)
		return -EINVAL;
	/* A name, never a path out of the tree. */
	if (!device[0] || strchr(device, '/') || strcmp(device, ".") == 0 ||
	    strcmp(device, "..") == 0)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s/w1_slave", w->dir, device) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			/* The slave was unplugged while we read it. */
			return e == ENODEV || e == ENXIO ? -ENOENT : -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == len - 1) {
			char extra;

			if (read(fd, &extra, 1) > 0) {
				close(fd);
				return -EOVERFLOW;
			}
			break;
		}
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

static void w1_close(struct wx_w1bus *bus)
{
	free(bus ? bus->ctx : NULL);
}

struct wx_w1bus *wx_w1sysfs_open(const char *dir)
{
	struct w1sysfs *w;

	if (!dir || strlen(dir) >= sizeof(w->dir)) {
		errno = dir ? ENAMETOOLONG : EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	strcpy(w->dir, dir);
	/* "/sys/bus/w1/devices/" names the same tree; keep messages tidy. */
	for (size_t n = strlen(w->dir); n > 1 && w->dir[n - 1] == '/'; n--)
		w->dir[n - 1] = '\0';
	w->bus = (struct wx_w1bus){
		.where = w->dir,
		.find = w1_find,
		.read_slave = w1_read_slave,
		.close = w1_close,
		.ctx = w,
	};
	return &w->bus;
}
