#include "firmware/core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Syslog priorities as sd-daemon.h spells them (SD_ERR, SD_WARNING, SD_INFO,
 * SD_DEBUG): journald reads such a prefix off each line of a stream it
 * holds, so that `journalctl -p warning` finds the faults. */
enum prio { P_ERR = 3, P_WARNING = 4, P_INFO = 6, P_DEBUG = 7 };

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

/* Is stderr the journal?  systemd sets JOURNAL_STREAM to "DEV:INO" of the
 * stream it connected; it only counts if stderr is still that very file
 * (not a terminal or a file it was redirected to: see systemd.exec(5)). */
bool wx_log_to_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char end;

	if (!js || sscanf(js, "%ju:%ju%c", &dev, &ino, &end) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (uintmax_t)st.st_dev == dev &&
	       (uintmax_t)st.st_ino == ino;
}

static void out_line(enum prio prio, const char *line)
{
	char pre[8] = "";

	if (wx_log_to_journal())
		snprintf(pre, sizeof(pre), "<%d>", (int)prio);
	if (prog)
		fprintf(stderr, "%s%s: %s\n", pre, prog, line);
	else
		fprintf(stderr, "%s%s\n", pre, line);
}

void wx_log_errlines(const char *text)
{
	const char *pre = wx_log_to_journal() ? "<3>" : "";

	if (sink) {
		sink(text, sink_arg);
		return;
	}
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "%s%.*s\n", pre, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

static void vlog(enum prio prio, const char *fmt, va_list ap, int err)
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
	out_line(prio, line);
}

void wx_log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(P_WARNING, fmt, ap, err);
	va_end(ap);
	errno = err;
}

void wx_log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(P_WARNING, fmt, ap, 0);
	va_end(ap);
}

void wx_log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(P_ERR, fmt, ap, 0);
	va_end(ap);
}

void wx_log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog(P_INFO, fmt, ap, 0);
	va_end(ap);
}

void wx_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(P_DEBUG, fmt, ap, 0);
	va_end(ap);
}
