/* Link probe for the libgpiod 2.x transport (make gpiod2-check): opening a
 * chip that does not exist must fail cleanly, with a message naming it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/edgebus.h"

int main(void)
{
	char err[256] = "";
	struct wx_edgebus *bus = wx_gpio_open("gpiochip-wx-missing", 5, err, sizeof(err));

	if (bus || errno != ENOENT ||
	    strcmp(err, "gpiochip-wx-missing: no such GPIO chip (ls /dev/gpiochip* lists them)") != 0) {
		fprintf(stderr, "gpiod2_link: unexpected result: bus=%p errno=%d err=\"%s\"\n",
			(void *)bus, errno, err);
		return 1;
	}
	printf("gpiod2_link: libgpiod 2.x transport linked; missing chip gives \"%s\"\n", err);
	return 0;
}
