/* Edges from a switch on a GPIO line (anemometer reed, rain bucket).
 *
 * The switch closes to ground against a pull-up, so a closure is a falling
 * edge.  A transport delivers the timestamps of falling edges, bounce and
 * all; debouncing is the pulse counter's job (debounce.c).  Timestamps are
 * station monotonic ns (the kernel's CLOCK_MONOTONIC on real GPIO). */
#ifndef WX_EDGEBUS_H
#define WX_EDGEBUS_H

#include <stddef.h>
#include <stdint.h>

struct wx_edgebus {
	const char *where;	/* "gpiochip0 line 5" */
	/* Readable when edges are pending (the line request's fd), or -1 on a
	 * simulated bus, which the caller drains on a timer. */
	int fd;
	/* Take up to max pending falling-edge timestamps, oldest first, never
	 * blocking.  A simulated bus delivers the edges up to station time
	 * until_ns; a real one what the kernel has queued (until_ns unused).
	 * Returns the count (0 when none) or -errno. */
	int (*read)(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts_ns, size_t max);
	/* Edges known lost (kernel buffer overflow), counted by the transport. */
	uint64_t lost;
	/* Edges the kernel holds between two reads before it drops some (16
	 * with libgpiod 1.6, what was asked for with 2.x, the simulated FIFO's
	 * places); the reader times its batches from it.  0: unknown, take 16. */
	size_t depth;
	void (*close)(struct wx_edgebus *bus);
	void *ctx;
};

/* Request line of chip ("gpiochip0" or a /dev path) for falling edges with
 * the pull-up bias, consumer "wxd".  NULL with errno set and a message in err
 * naming chip and line (missing chip, line busy, permission). */
struct wx_edgebus *wx_gpio_open(const char *chip, int line, char *err, size_t errlen);

#endif
