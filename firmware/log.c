#include "firmware/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *prog;
static int verbose;
static int quiet;
static wx_log_sink sink;
static void *sink_arg;

void wx_log_init(const char *name) { prog = name; }
void wx_log_verbose(int on) { verbose = on; }
void wx_log_quiet(int on) { quiet = on; }

void wx_log_set_sink(wx_log_sink fn, void *arg)
{
	sink = fn;
	sink_arg = arg;
}

static void vlog(const char *fmt, va_list ap, int err)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(err));
	if (sink) {
		sink(line, sink_arg);
		return;
	}
	if (prog)
		fprintf(stderr, "%s: %s\n", prog, line);
	else
		fprintf(stderr, "%s\n", line);
}

void wx_log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, err);
	va_end(ap);
	errno = err;
}

void wx_log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, 0);
	va_end(ap);
}

void wx_log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap, 0);
	va_end(ap);
}

void wx_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap, 0);
	va_end(ap);
}
