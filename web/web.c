/* The web server: libmicrohttpd with a thread per connection (at most
 * MAX_CONNECTIONS, MAX_PER_IP from one address), so a slow client or a long
 * query holds only its own thread; every connection times out after
 * TIMEOUT_S without progress and may use REQUEST_MEMORY bytes for its
 * request line and headers (MHD answers 431 beyond).  Only GET and HEAD;
 * only the page's own embedded files and /api/.  Every answer carries a
 * Content-Security-Policy that allows nothing but this origin.
 *
 * The archive is opened read-only, one connection per request in flight
 * (kept in a small pool), and reopened when the file was replaced; when it
 * is not there yet the API says so with 503 and tries again next time. */
#include "web/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "firmware/core/log.h"
#include "web/web_int.h"

#define MAX_CONNECTIONS 32
#define MAX_PER_IP 8
#define TIMEOUT_S 10
#define REQUEST_MEMORY (32 * 1024)
#define THREAD_STACK (512 * 1024)
#define POOL_MAX 4
#define STREAM_BLOCK (32 * 1024)

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct wx_web {
	struct wx_web_ctx ctx;		/* first: the API gets &w->ctx */
	struct wx_config cfg;
	struct MHD_Daemon *mhd;
	int fd;
	int port;
	pthread_mutex_t lock;
	struct wx_archive *pool[POOL_MAX];
	int npool;
};

/* ---- archive connections -------------------------------------------------- */

static struct wx_archive *archive_get(struct wx_web_ctx *x, char *err, size_t errlen)
{
	struct wx_web *w = (struct wx_web *)x;
	struct wx_archive *a = NULL;

	pthread_mutex_lock(&w->lock);
	if (w->npool)
		a = w->pool[--w->npool];
	pthread_mutex_unlock(&w->lock);
	/* A database deleted or replaced under us (wxd starts a new one) would
	 * show the old records for ever. */
	if (a && wx_archive_check_files(a) != WX_ARCHIVE_FILES_OK) {
		wx_archive_close(a);
		a = NULL;
	}
	if (!a)
		a = wx_archive_open_ro(w->cfg.station.database, err, errlen);
	return a;
}

static void archive_put(struct wx_web_ctx *x, struct wx_archive *a)
{
	struct wx_web *w = (struct wx_web *)x;

	pthread_mutex_lock(&w->lock);
	if (w->npool < POOL_MAX) {
		w->pool[w->npool++] = a;
		a = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	wx_archive_close(a);
}

/* ---- answers --------------------------------------------------------------- */

void wx_web_text(struct wx_web_answer *ans, unsigned status, const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* One line: a reason never carries a newline of its own. */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	free(ans->body);
	memset(ans, 0, sizeof(*ans));
	ans->status = status;
	ans->content_type = "text/plain; charset=utf-8";
	ans->body = malloc((size_t)n);
	if (ans->body) {
		memcpy(ans->body, line, (size_t)n);
		ans->len = (size_t)n;
	}
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct wx_web_answer *ans = cls;
	long n = ans->next(ans->arg, pos, buf, max);

	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct wx_web_answer *ans = cls;

	if (ans->done)
		ans->done(ans->arg);
	free(ans);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, struct wx_web_answer *ans,
				   bool api)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	unsigned status = ans->status;

	if (ans->next) {
		struct wx_web_answer *copy = malloc(sizeof(*copy));

		if (!copy) {
			ans->done(ans->arg);
			return MHD_NO;
		}
		*copy = *ans;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read,
						      copy, stream_free);
		if (!r) {
			stream_free(copy);
			return MHD_NO;
		}
	} else {
		r = MHD_create_response_from_buffer(ans->len, ans->body ? ans->body : (char *)"",
						    ans->body ? MHD_RESPMEM_MUST_FREE :
						    MHD_RESPMEM_PERSISTENT);
		if (!r) {
			free(ans->body);
			return MHD_NO;
		}
	}
	MHD_add_response_header(r, "Content-Type", ans->content_type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
	if (ans->disposition)
		MHD_add_response_header(r, "Content-Disposition", ans->disposition);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* ---- routing --------------------------------------------------------------- */

struct params {
	const char *const *allowed;
	char unknown[48];
};

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct params *p = cls;

	(void)kind;
	(void)value;
	for (const char *const *a = p->allowed; *a; a++)
		if (!strcmp(key, *a))
			return MHD_YES;
	snprintf(p->unknown, sizeof(p->unknown), "%s", key);
	return MHD_NO;
}

static const char *get_param(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static void route(struct wx_web *w, struct MHD_Connection *c, const char *url,
		  struct wx_web_answer *ans)
{
	static const char *const none[] = { NULL };
	static const char *const range[] = { "since", "until", "step", NULL };
	struct params p = { .allowed = none };
	bool history = !strcmp(url, "/api/history"), csv = !strcmp(url, "/api/history.csv");

	if (!strcmp(url, "/"))
		url = "/index.html";
	if (history || csv)
		p.allowed = range;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_param, &p);
	if (p.unknown[0]) {
		wx_web_text(ans, MHD_HTTP_BAD_REQUEST, "unknown parameter \"%.40s\"%s", p.unknown,
			    p.allowed == range ? " (since, until and step are known)" :
			    " (this address takes none)");
		return;
	}
	if (history || csv) {
		wx_web_api_history(&w->ctx, get_param, c, csv, ans);
		return;
	}
	if (!strcmp(url, "/api/current")) {
		wx_web_api_current(&w->ctx, ans);
		return;
	}
	if (!strcmp(url, "/api/station")) {
		wx_web_api_station(&w->ctx, ans);
		return;
	}
	if (!strcmp(url, "/api/status")) {
		wx_web_api_status(&w->ctx, ans);
		return;
	}
	for (const struct wx_web_file *f = wx_web_files; f->path; f++)
		if (!strcmp(url, f->path)) {
			ans->status = MHD_HTTP_OK;
			ans->content_type = content_type(f->path);
			ans->body = malloc(f->len ? f->len : 1);
			if (!ans->body) {
				wx_web_text(ans, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
				return;
			}
			memcpy(ans->body, f->data, f->len);
			ans->len = f->len;
			return;
		}
	wx_web_text(ans, MHD_HTTP_NOT_FOUND, "no such page: %.100s (try / or /api/current)", url);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct wx_web *w = cls;
	struct wx_web_answer ans = { 0 };

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		wx_web_text(&ans, MHD_HTTP_METHOD_NOT_ALLOWED, "method %.20s not allowed: the page "
			    "is read-only (GET and HEAD)", method);
	else if (*upload_data_size)
		wx_web_text(&ans, MHD_HTTP_BAD_REQUEST, "a GET request has no body");
	else
		route(w, c, url, &ans);
	/* Whatever body came is not read: the answer goes out and MHD closes
	 * the connection rather than take the rest. */
	return send_answer(c, &ans, strncmp(url, "/api/", 5) == 0);
}

/* ---- start and stop ---------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	wx_log_debug("web: %s", line);
}

/* The listening socket is ours, so that a failure says exactly why. */
static int listen_on(const struct wx_config_web *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	bool v6 = strchr(cfg->listen_host, ':') != NULL;
	socklen_t len = v6 ? sizeof(*in6) : sizeof(*in4);
	int fd, e, one = 1, zero = 0;

	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->listen_port);
		e = inet_pton(AF_INET6, cfg->listen_host, &in6->sin6_addr);
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->listen_port);
		e = inet_pton(AF_INET, cfg->listen_host, &in4->sin_addr);
	}
	if (e != 1) {
		snprintf(err, errlen, "web %s: not a numeric address", cfg->listen);
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] serves IPv4 too, whatever net.ipv6.bindv6only says. */
	if (v6 && !strcmp(cfg->listen_host, "::"))
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "web %s: %s%s", cfg->listen, strerror(e),
		 e == EADDRINUSE ? " (another program serves that port: change [web] listen)" :
		 e == EACCES ? " (ports below 1024 need privileges: use 8080)" :
		 e == EADDRNOTAVAIL ? " (no interface has that address)" : "");
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

struct wx_web *wx_web_start(const struct wx_config *cfg, char *err, size_t errlen)
{
	struct wx_web *w = calloc(1, sizeof(*w));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL;

	if (!w) {
		snprintf(err, errlen, "web %s: out of memory", cfg->web.listen);
		return NULL;
	}
	w->cfg = *cfg;
	w->ctx.cfg = &w->cfg;
	w->ctx.archive_get = archive_get;
	w->ctx.archive_put = archive_put;
	pthread_mutex_init(&w->lock, NULL);
	w->fd = listen_on(&w->cfg.web, err, errlen);
	if (w->fd < 0)
		goto fail;
	if (getsockname(w->fd, (struct sockaddr *)&ss, &sl) == 0)
		w->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	w->mhd = MHD_start_daemon(flags, (uint16_t)w->port, NULL, NULL, handle, w,
				  MHD_OPTION_LISTEN_SOCKET, w->fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MEMORY,
				  MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_END);
	if (!w->mhd) {
		int e = errno ? errno : EIO;

		snprintf(err, errlen, "web %s: the HTTP server did not start: %s", cfg->web.listen,
			 strerror(e));
		close(w->fd);
		errno = e;
		goto fail;
	}
	return w;
fail:
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

int wx_web_port(const struct wx_web *w)
{
	return w->port;
}

void wx_web_stop(struct wx_web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->mhd);	/* closes the listening socket too */
	for (int i = 0; i < w->npool; i++)
		wx_archive_close(w->pool[i]);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
