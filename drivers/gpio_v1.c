/* GPIO edge transport for libgpiod 1.6 (v1 API: Raspberry Pi OS Bookworm).
 *
 * libgpiod 1.6 opens the chip and checks the line; the line itself is
 * requested through the kernel's v2 line uAPI (Linux 5.10 and later, every
 * kernel Bookworm runs), which libgpiod 1.6 does not offer: only there can
 * the event buffer be enlarged from the kernel's 16 events to
 * WX_GPIO_V2_EVENT_BUFFER, and only there do events carry sequence numbers
 * that count what the kernel dropped (wx_gpio_v2_lost).  With 16 events the
 * daemon had to read the line at its first edge, 13 wakeups a second in a
 * 5 Hz breeze with bounce (issue 15); with 1024 it reads in batches, as on
 * libgpiod 2.x.  The request is what gpio_v2.c asks of libgpiod 2.x:
 * input, falling edges, pull-up, consumer "wxd", no kernel debounce (see
 * there why), timestamps on CLOCK_MONOTONIC, the daemon's clock.
 *
 * On an older kernel (no v2 ioctl: ENOTTY or EINVAL) the line is requested
 * through libgpiod 1.6's v1 interface instead: 16 events, no sequence
 * numbers, so a read that finds the whole buffer full counts one lost
 * (wx_gpio_v1_lost), and bus->depth tells the daemon to read it at its
 * first edge (firmware/daemon.c). */
#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define EVENTS_PER_READ 64

struct gpio_v1 {
	struct wx_edgebus bus;
	char where[320];
	struct gpiod_chip *chip;	/* v1 request only */
	struct gpiod_line *line;
	struct gpiod_line_event ev[WX_GPIO_V1_KFIFO];	/* read, not yet taken */
	int ev_n, ev_at;
	int req_fd;			/* v2 request: its fd, else -1 */
	unsigned long last_seqno;	/* v2: 0 none yet; the kernel starts at 1 */
};

/* The v2 request's events: read whole, as many as fit. */
static int uapi_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts_ns, size_t max)
{
	struct gpio_v1 *g = bus->ctx;
	struct gpio_v2_line_event ev[EVENTS_PER_READ];
	size_t got = 0;

	(void)until_ns;
	while (got < max) {
		size_t want = max - got < EVENTS_PER_READ ? max - got : EVENTS_PER_READ;
		ssize_t r = read(g->req_fd, ev, want * sizeof(ev[0]));
		size_t n;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return got ? (int)got : -errno;
		}
		n = (size_t)r / sizeof(ev[0]);
		for (size_t i = 0; i < n; i++) {
			bus->lost += wx_gpio_v2_lost(&g->last_seqno, ev[i].line_seqno);
			ts_ns[got++] = (int64_t)ev[i].timestamp_ns;
		}
		if (n < want)
			break;
	}
	return (int)got;
}

static void uapi_close(struct wx_edgebus *bus)
{
	struct gpio_v1 *g = bus->ctx;

	close(g->req_fd);
	free(g);
}

/* Ask the kernel for the line as gpio_v2.c asks libgpiod 2.x.  The request
 * fd (non-blocking), or -1 with errno set. */
static int uapi_request(const char *path, unsigned int line)
{
	struct gpio_v2_line_request req;
	int fd = open(path, O_RDWR | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.offsets[0] = line;
	req.num_lines = 1;
	snprintf(req.consumer, sizeof(req.consumer), "wxd");
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_FALLING |
			   GPIO_V2_LINE_FLAG_BIAS_PULL_UP;
	req.event_buffer_size = WX_GPIO_V2_EVENT_BUFFER;
	if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);	/* the request outlives the chip's fd (it is O_CLOEXEC) */
	e = fcntl(req.fd, F_GETFL);
	if (e < 0 || fcntl(req.fd, F_SETFL, e | O_NONBLOCK) < 0) {
		e = errno;
		close(req.fd);
		errno = e;
		return -1;
	}
	return req.fd;
}

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
	g->req_fd = uapi_request(path, (unsigned int)line);
	if (g->req_fd >= 0) {
		gpiod_chip_close(g->chip);
		g->chip = NULL;
		g->line = NULL;
		g->bus.where = g->where;
		g->bus.fd = g->req_fd;
		g->bus.depth = WX_GPIO_V2_EVENT_BUFFER;
		g->bus.read = uapi_read;
		g->bus.close = uapi_close;
		g->bus.ctx = g;
		return &g->bus;
	}
	if (errno != ENOTTY && errno != EINVAL) {
		e = errno;
		wx_gpio_line_error(g->where, e, err, errlen);
		goto fail;
	}
	/* A kernel without the v2 line uAPI: libgpiod 1.6's v1 request. */
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
