/* Inside the web module: web.c (the server, routing, headers, the page's
 * files) and api.c (what /api/ answers).  Not for use outside web/. */
#ifndef WX_WEB_INT_H
#define WX_WEB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db/archive.h"
#include "firmware/core/config.h"

/* The page's files, embedded at build time by web/embed.sh. */
struct wx_web_file {
	const char *path;		/* "/index.html" */
	const unsigned char *data;
	size_t len;
};
extern const struct wx_web_file wx_web_files[];	/* ends with path NULL */

/* An answer: status, content type, and either a whole body (malloc'd,
 * freed by web.c) or a stream (next fills buf with up to max bytes and
 * returns how many, 0 at the end, -1 on error; done frees arg). */
struct wx_web_answer {
	unsigned status;
	const char *content_type;
	char *body;
	size_t len;
	const char *disposition;	/* Content-Disposition, or NULL */
	long (*next)(void *arg, uint64_t pos, char *buf, size_t max);
	void (*done)(void *arg);
	void *arg;
};

/* The archive connections, shared by the request threads. */
struct wx_web_ctx {
	const struct wx_config *cfg;
	struct wx_archive *(*archive_get)(struct wx_web_ctx *x, char *err, size_t errlen);
	void (*archive_put)(struct wx_web_ctx *x, struct wx_archive *a);
};

/* A query parameter by name, or NULL. */
typedef const char *(*wx_web_param)(void *conn, const char *name);

/* The API's answers.  Each fills *ans (status 200, or 400 / 503 with a
 * one-line text reason). */
void wx_web_api_current(struct wx_web_ctx *x, struct wx_web_answer *ans);
void wx_web_api_station(struct wx_web_ctx *x, struct wx_web_answer *ans);
void wx_web_api_status(struct wx_web_ctx *x, struct wx_web_answer *ans);
void wx_web_api_history(struct wx_web_ctx *x, wx_web_param param, void *conn, bool csv,
			struct wx_web_answer *ans);

/* A one-line text answer (a reason, with its newline). */
void wx_web_text(struct wx_web_answer *ans, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
