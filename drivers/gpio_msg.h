/* What both GPIO transports (gpio_v1.c for libgpiod 1.6, gpio_v2.c for 2.x)
 * say about a chip or a line: one wording, whichever library is built; and
 * how each of them tells that the kernel dropped edges (pure functions, so
 * that the unit tests reach them without a GPIO chip). */
#ifndef WX_GPIO_MSG_H
#define WX_GPIO_MSG_H

#include <stddef.h>
#include <stdint.h>

/* The device path of chip: "gpiochip0" and "0" become /dev/gpiochip0, a
 * path is kept. */
void wx_gpio_chip_path(const char *chip, char *out, size_t len);
/* "CHIP: why (what to do)" for errno e when opening the chip. */
void wx_gpio_chip_error(const char *chip, int e, char *err, size_t errlen);
/* "CHIP line N: why (what to do)" for errno e when requesting the line. */
void wx_gpio_line_error(const char *where, int e, char *err, size_t errlen);

/* The kernel's event buffer of a v1 line-event request: gpiolib-cdev's
 * DECLARE_KFIFO(events, struct gpioevent_data, 16).  When it is full the
 * kernel drops each new event (a pr_debug, nothing user space can see). */
#define WX_GPIO_V1_KFIFO 16

/* The event buffer wxd asks for on a v2 line request (the kernel's
 * default is 16 per line; it caps the request at 1024): at 80 Hz with four
 * bounce edges per closure, about 3 s of edges. */
#define WX_GPIO_V2_EVENT_BUFFER 1024

/* libgpiod 1.6 has no sequence numbers.  A read of n events (asked for a
 * whole WX_GPIO_V1_KFIFO) that comes back with the buffer full means edges
 * may have been dropped since: counted as 1 lost (at least one may be gone;
 * exactly 16 pending and none dropped cannot be told apart).  Returns 0 or 1. */
unsigned wx_gpio_v1_lost(int n);

/* libgpiod 2.x numbers the events of a line from 1 (line_seqno).  Returns
 * how many were dropped before the event numbered seq, given the number of
 * the previous event in *last (0: none yet), and moves *last to seq. */
uint64_t wx_gpio_v2_lost(unsigned long *last, unsigned long seq);

#endif
