/* GPIO edge transport for libgpiod 2.x (v2 API: Raspberry Pi OS Trixie).
 *
 * libgpiod 2.x "gpiod.h" over the kernel's GPIO character device (uAPI
 * v2): one line is requested as an input with falling-edge detection and
 * the pull-up bias, consumer "wxd"; the request fd is made non-blocking so
 * the daemon can poll it.  v2 event timestamps default to CLOCK_MONOTONIC.
 *
 * The kernel keeps 16 events per line unless asked for more; we ask for
 * WX_GPIO_V2_EVENT_BUFFER (1024, the kernel's cap), seconds of a storm with
 * bounce, so that a reader held up by a slow SD card loses nothing.  When
 * the buffer is full anyway the kernel drops the oldest event, but every
 * event carries a per-line sequence number: a gap in those numbers is the
 * count of events lost, added to bus->lost (the pulse counter then nulls
 * that interval's wind or rain: firmware/sensors.h).
 *
 * No kernel debounce: the kernel reports a debounced edge only once the
 * line has been steady for the whole period, so a bucket closure shorter
 * than the rain gauge's 150 ms, or a closure whose bounce lasts longer than
 * the period, would never be reported at all; debounce.c keeps the first edge
 * of a closure instead.  The bigger buffer is what absorbs the bounce. */
#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_PER_READ 64

struct gpio_v2 {
	struct wx_edgebus bus;
	char where[320];
	struct gpiod_line_request *req;
	struct gpiod_edge_event_buffer *events;
	unsigned long last_seqno;	/* 0: none yet; the kernel starts at 1 */
};

/* "gpiochip0" -> "/dev/gpiochip0", "0" -> "/dev/gpiochip0", paths as given. */
static int v2_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts_ns, size_t max)
{
	struct gpio_v2 *g = bus->ctx;
	size_t got = 0;

	(void)until_ns;
	while (got < max) {
		size_t want = max - got < EVENTS_PER_READ ? max - got : EVENTS_PER_READ;
		int n = gpiod_line_request_read_edge_events(g->req, g->events, want);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return got ? (int)got : -errno;
		}
		for (int i = 0; i < n; i++) {
			struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(g->events,
											 (unsigned long)i);

			bus->lost += wx_gpio_v2_lost(&g->last_seqno,
						     gpiod_edge_event_get_line_seqno(ev));
			ts_ns[got++] = (int64_t)gpiod_edge_event_get_timestamp_ns(ev);
		}
		if ((size_t)n < want)
			break;
	}
	return (int)got;
}

static void v2_close(struct wx_edgebus *bus)
{
	struct gpio_v2 *g = bus->ctx;

	gpiod_edge_event_buffer_free(g->events);
	gpiod_line_request_release(g->req);
	free(g);
}

/* Request offset on chip as a pulled-up input with falling edges.  NULL with
 * errno set on failure. */
static struct gpiod_line_request *request_line(struct gpiod_chip *chip, unsigned int offset)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_config *lc = gpiod_line_config_new();
	struct gpiod_request_config *rc = gpiod_request_config_new();
	struct gpiod_line_request *req = NULL;
	int e = ENOMEM;

	if (ls && lc && rc &&
	    gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT) == 0 &&
	    gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_FALLING) == 0 &&
	    gpiod_line_settings_set_bias(ls, GPIOD_LINE_BIAS_PULL_UP) == 0 &&
	    gpiod_line_config_add_line_settings(lc, &offset, 1, ls) == 0) {
		gpiod_request_config_set_consumer(rc, "wxd");
		gpiod_request_config_set_event_buffer_size(rc, WX_GPIO_V2_EVENT_BUFFER);
		req = gpiod_chip_request_lines(chip, rc, lc);
		e = errno;
	}
	gpiod_request_config_free(rc);
	gpiod_line_config_free(lc);
	gpiod_line_settings_free(ls);
	errno = e;
	return req;
}

struct wx_edgebus *wx_gpio_open(const char *chip, int line, char *err, size_t errlen)
{
	char path[300];
	struct gpiod_chip *c = NULL;
	struct gpiod_chip_info *info;
	struct gpio_v2 *g;
	size_t nlines = 0;
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
	c = gpiod_chip_open(path);
	if (!c) {
		e = errno;
		wx_gpio_chip_error(chip, e, err, errlen);
		goto fail;
	}
	info = gpiod_chip_get_info(c);
	if (info) {
		nlines = gpiod_chip_info_get_num_lines(info);
		gpiod_chip_info_free(info);
	}
	if (info && (size_t)line >= nlines) {
		e = EINVAL;
		snprintf(err, errlen, "%s: no such line (the chip has %zu lines)", g->where, nlines);
		goto fail;
	}
	g->req = request_line(c, (unsigned int)line);
	if (!g->req) {
		e = errno;
		wx_gpio_line_error(g->where, e, err, errlen);
		goto fail;
	}
	/* The request outlives the chip handle. */
	gpiod_chip_close(c);
	c = NULL;
	g->events = gpiod_edge_event_buffer_new(EVENTS_PER_READ);
	fd = gpiod_line_request_get_fd(g->req);
	flags = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	if (!g->events || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot set up edge reading: %s", g->where, strerror(e));
		goto fail;
	}
	g->bus.where = g->where;
	g->bus.fd = fd;
	g->bus.depth = WX_GPIO_V2_EVENT_BUFFER;
	g->bus.read = v2_read;
	g->bus.close = v2_close;
	g->bus.ctx = g;
	return &g->bus;
fail:
	if (g->events)
		gpiod_edge_event_buffer_free(g->events);
	if (g->req)
		gpiod_line_request_release(g->req);
	if (c)
		gpiod_chip_close(c);
	free(g);
	errno = e;
	return NULL;
}
