/* Logging to stderr (journald keeps it under systemd).  When stderr is the
 * journal ($JOURNAL_STREAM names it), each line starts with its syslog
 * priority, "<3>" error, "<4>" warning, "<6>" info, "<7>" debug (sd-daemon.h's
 * SD_ERR...), so `journalctl -u wxd -p warning` shows the faults; on a
 * terminal or in a file the lines are plain.
 *
 * Two verbs, as in OpenBSD ntpd: the plain one appends ": strerror(errno)",
 * the -x one does not.  The caller that knows the context writes the message
 * once and names the thing (device path, address, file:line). */
#ifndef WX_LOG_H
#define WX_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#define WX_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Warnings and errors.  wx_log_warn() appends strerror(errno). */
void wx_log_warn(const char *fmt, ...) WX_PRINTF(1, 2);
void wx_log_warnx(const char *fmt, ...) WX_PRINTF(1, 2);
/* An error that stops the program (error priority). */
void wx_log_errx(const char *fmt, ...) WX_PRINTF(1, 2);
/* Print text as it is (no program name: "file:line: message" lines), each
 * line at error priority; for main()'s configuration errors. */
void wx_log_errlines(const char *text);
/* Whether stderr is the journal (then lines carry priorities). */
bool wx_log_to_journal(void);
/* Informational lines (start, stop, recoveries); silenced by wx_log_quiet(). */
void wx_log_info(const char *fmt, ...) WX_PRINTF(1, 2);
/* Debug lines, printed only after wx_log_verbose(1). */
void wx_log_debug(const char *fmt, ...) WX_PRINTF(1, 2);

/* Prefix every line with "<name>: " (e.g. "wxd"); NULL for none. */
void wx_log_init(const char *name);
void wx_log_verbose(int on);
void wx_log_quiet(int on);

/* Tests capture messages: when set, every line goes to fn instead of stderr. */
typedef void (*wx_log_sink)(const char *line, void *arg);
void wx_log_set_sink(wx_log_sink fn, void *arg);

#endif
