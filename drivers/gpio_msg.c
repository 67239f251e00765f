#include "drivers/gpio_msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void wx_gpio_chip_path(const char *chip, char *out, size_t len)
{
	if (strchr(chip, '/'))
		snprintf(out, len, "%s", chip);
	else if (chip[0] >= '0' && chip[0] <= '9')
		snprintf(out, len, "/dev/gpiochip%s", chip);
	else
		snprintf(out, len, "/dev/%s", chip);
}

void wx_gpio_chip_error(const char *chip, int e, char *err, size_t errlen)
{
	if (e == ENOENT)
		snprintf(err, errlen, "%s: no such GPIO chip (ls /dev/gpiochip* lists them)", chip);
	else if (e == EACCES || e == EPERM)
		snprintf(err, errlen, "%s: permission denied (add the user to group gpio: "
			 "sudo usermod -aG gpio $USER, then log in again)", chip);
	else if (e == ENOTTY || e == ENODEV || e == EINVAL)
		snprintf(err, errlen, "%s: not a GPIO chip", chip);
	else
		snprintf(err, errlen, "%s: cannot open: %s", chip, strerror(e));
}

void wx_gpio_line_error(const char *where, int e, char *err, size_t errlen)
{
	if (e == EBUSY)
		snprintf(err, errlen, "%s: line busy (another program holds it)", where);
	else if (e == EACCES || e == EPERM)
		snprintf(err, errlen, "%s: permission denied (add the user to group gpio)", where);
	else
		snprintf(err, errlen, "%s: cannot request falling edges: %s", where, strerror(e));
}

unsigned wx_gpio_v1_lost(int n)
{
	return n >= WX_GPIO_V1_KFIFO ? 1 : 0;
}

uint64_t wx_gpio_v2_lost(unsigned long *last, unsigned long seq)
{
	uint64_t lost = 0;

	/* A number that does not move forward is not a gap (nor a wrap we
	 * could count): take it as the new base. */
	if (seq > *last + 1)
		lost = seq - *last - 1;
	*last = seq;
	return lost;
}
