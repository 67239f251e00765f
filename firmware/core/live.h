/* The live socket: a Unix stream socket where a client writes one line
 * ("read" or "status") and gets one JSON object back on one line.  The
 * server side runs inside the daemon's poll loop; the client side is what
 * wxctl uses. */
#ifndef WX_LIVE_H
#define WX_LIVE_H

#include <poll.h>
#include <stddef.h>

/* The longest command line the server takes, with its newline (a
 * "net-status" report of the network side is the longest). */
#define WX_LIVE_LINE_MAX 4096

/* Answer one command: a malloc'd JSON text (no newline) the server frees. */
typedef char *(*wx_live_answer)(const char *command, void *arg);

struct wx_live;

/* Listen at path (mode 0660; a stale socket file left by a crash is
 * replaced, a live one is not, and a file that is not a socket never is:
 * EEXIST).  NULL with errno set and a message in err naming the path. */
struct wx_live *wx_live_open(const char *path, wx_live_answer answer, void *arg,
			     char *err, size_t errlen);
/* Removes the socket file, if it is still the one wx_live_open() made. */
void wx_live_close(struct wx_live *l);

/* Fill at most max pollfds (listening socket and clients); returns how many. */
int wx_live_pollfds(struct wx_live *l, struct pollfd *fds, int max);
/* Serve whatever the pollfds filled by wx_live_pollfds say is ready; never
 * blocks.  Clients that stay silent for 5 s are dropped. */
void wx_live_serve(struct wx_live *l, const struct pollfd *fds, int n);

/* Client: send command, put the reply line (malloc'd, no newline) in
 * *reply.  0, or -errno with a message in err naming the socket. */
int wx_live_query(const char *path, const char *command, int timeout_ms, char **reply,
		  char *err, size_t errlen);

/* Answer used for a bad command: {"error": "..."} (malloc'd). */
char *wx_live_error_json(const char *command);

#endif
