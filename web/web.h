/* The station's own web page and JSON API (docs/contract.md "Web page and API"):
 * served with libmicrohttpd from threads of its own, reading the archive
 * read-only through connections of its own and asking live values from the
 * sampler over the live socket, so that it needs nothing of the daemon but
 * the configuration.  Nothing on the page is fetched from outside. */
#ifndef WX_WEB_H
#define WX_WEB_H

#include <stddef.h>

#include "firmware/core/config.h"

struct wx_web;

/* Listen on cfg->web.listen and serve until wx_web_stop().  cfg is copied.
 * NULL with errno set and a one-line message in err naming the listen
 * address ("web 0.0.0.0:8080: Address already in use") on failure.  The
 * archive and the sampler need not be there yet: the API answers 503 with
 * the reason until they are. */
struct wx_web *wx_web_start(const struct wx_config *cfg, char *err, size_t errlen);

/* The port it listens on (the one given, or the kernel's pick for 0). */
int wx_web_port(const struct wx_web *w);

/* Stop serving (waits for requests in progress) and free w.  NULL is fine. */
void wx_web_stop(struct wx_web *w);

#endif
