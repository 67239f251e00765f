/* The messages every register-bus chip gives (regbus.h). */
#include "drivers/regbus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int wx_regbus_fail(const char *sensor, const struct wx_regbus *bus, char *err, size_t errlen,
		   int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen) {
		n = snprintf(err, errlen, "%s %s: ", sensor, bus->where);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

int wx_regbus_hat_fail(const char *sensor, int address, const struct wx_regbus *bus, char *err,
		       size_t errlen, int rc, const char *what)
{
	if (rc == -ENXIO)
		return wx_regbus_fail(sensor, bus, err, errlen, rc, "no reply while %s (is the HAT "
				      "seated? i2cdetect -y 1 should list 0x%02x)", what,
				      (unsigned)address);
	if (rc == -EIO)
		return wx_regbus_fail(sensor, bus, err, errlen, rc,
				      "short transfer while %s (loose HAT?)", what);
	return wx_regbus_fail(sensor, bus, err, errlen, rc, "%s: %s", what, strerror(-rc));
}
