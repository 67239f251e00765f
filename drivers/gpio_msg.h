/* What both GPIO transports (gpio_v1.c for libgpiod 1.6, gpio_v2.c for 2.x)
 * say about a chip or a line: one wording, whichever library is built. */
#ifndef WX_GPIO_MSG_H
#define WX_GPIO_MSG_H

#include <stddef.h>

/* The device path of chip: "gpiochip0" and "0" become /dev/gpiochip0, a
 * path is kept. */
void wx_gpio_chip_path(const char *chip, char *out, size_t len);
/* "CHIP: why (what to do)" for errno e when opening the chip. */
void wx_gpio_chip_error(const char *chip, int e, char *err, size_t errlen);
/* "CHIP line N: why (what to do)" for errno e when requesting the line. */
void wx_gpio_line_error(const char *where, int e, char *err, size_t errlen);

#endif
