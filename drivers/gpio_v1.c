/* GPIO edge transport for libgpiod 1.6 (v1 API: Raspberry Pi OS Bookworm).
 *
 * libgpiod 1.6 "gpiod.h" over the kernel's GPIO character device: the line
 * is requested for falling-edge events with the pull-up bias, consumer "wxd",
 * and its event fd is made non-blocking so that reads never wait.  Since
 * Linux 5.7 v1 event timestamps are CLOCK_MONOTONIC (earlier kernels used
 * CLOCK_REALTIME), the clock the daemon's intervals use.  The v1 interface
 * has no sequence numbers, so events the kernel dropped cannot be counted
 * exactly: a read that finds the whole 16-event buffer full counts one
 * lost (wx_gpio_v1_lost).  bus->depth tells the daemon those 16 events,
 * by which it times its batches of reads (firmware/daemon.c). */
#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gpio_v1 {
	struct wx_edgebus bus;
	char where[320];
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	struct gpiod_line_event ev[WX_GPIO_V1_KFIFO];	/* read, not yet taken */
	int ev_n, ev_at;
};

static int v1_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts_ns, size_t max)
{
	struct gpio_v1 *g = bus->ctx;
	size_t got = 0;

	(void)until_ns;
	while (got < max) {
		if (g->ev_at == g->ev_n) {
			int n = gpiod_line_event_read_multiple(g->line, g->ev, WX_GPIO_V1_KFIFO);

			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				return got ? (int)got : -errno;
			}
			g->ev_n = n;
			g->ev_at = 0;
			bus->lost += wx_gpio_v1_lost(n);
			if (n == 0)
				break;
		}
		while (got < max && g->ev_at < g->ev_n) {
			const struct gpiod_line_event *ev = &g->ev[g->ev_at++];

			ts_ns[got++] = (int64_t)ev->ts.tv_sec * 1000000000LL + ev->ts.tv_nsec;
		}
		if (g->ev_n < WX_GPIO_V1_KFIFO && g->ev_at == g->ev_n)
			break;	/* the kernel's buffer is empty */
	}
	return (int)got;
}

static void v1_close(struct wx_edgebus *bus)
{
	struct gpio_v1 *g = bus->ctx;

	gpiod_line_release(g->line);
	gpiod_chip_close(g->chip);
	free(g);
}

struct wx_edgebus *wx_gpio_open(const char *chip, int line, char *err, size_t errlen)
{
	char path[300];
	struct gpio_v1 *g;
	int fd, flags, e;

	if (!chip || !chip[0] || line < 0) {
		snprintf(err, errlen, "%s line %d: no such GPIO line", chip ? chip : "", line);
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "%s line %d: out of memory", chip, line);
		return NULL;
	}
	snprintf(g->where, sizeof(g->where), "%s line %d", chip, line);
	wx_gpio_chip_path(chip, path, sizeof(path));
	g->chip = gpiod_chip_open(path);
	if (!g->chip) {
		e = errno;
		wx_gpio_chip_error(chip, e, err, errlen);
		goto fail;
	}
	g->line = gpiod_chip_get_line(g->chip, (unsigned int)line);
	if (!g->line) {
		e = errno;
		snprintf(err, errlen, "%s: no such line (the chip has %u lines)",
			 g->where, gpiod_chip_num_lines(g->chip));
		goto fail;
	}
	if (gpiod_line_request_falling_edge_events_flags(g->line, "wxd",
			GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP) < 0) {
		e = errno;
		wx_gpio_line_error(g->where, e, err, errlen);
		goto fail;
	}
	fd = gpiod_line_event_get_fd(g->line);
	flags = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot make the event fd non-blocking: %s",
			 g->where, strerror(e));
		gpiod_line_release(g->line);
		goto fail;
	}
	g->bus.where = g->where;
	g->bus.fd = fd;
	g->bus.depth = WX_GPIO_V1_KFIFO;
	g->bus.read = v1_read;
	g->bus.close = v1_close;
	g->bus.ctx = g;
	return &g->bus;
fail:
	if (g->chip)
		gpiod_chip_close(g->chip);
	free(g);
	errno = e;
	return NULL;
}
