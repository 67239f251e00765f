/* struct wx_status to JSON and back: see status.h.  Each part of the status
 * is one table of fields (key, bit of has, type, where in the struct); the
 * writer walks a table in order, the reader looks each key up in it, and
 * equality compares through it.  The four objects inside (storage,
 * sensors, uploads, network) are handled by hand around the tables. */
#include "firmware/core/status.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_MAX 1e15		/* larger is no count or time of ours */

enum ftype { F_STR, F_INT, F_BOOL, F_DBL, F_HEALTH, F_OBJ };

struct field {
	const char *key;
	unsigned bit;
	enum ftype type;
	size_t off, size;
};

#define FS(t, key, bit, m) { key, bit, F_STR, offsetof(t, m), sizeof(((t *)0)->m) }
#define FI(t, key, bit, m) { key, bit, F_INT, offsetof(t, m), sizeof(int64_t) }
#define FB(t, key, bit, m) { key, bit, F_BOOL, offsetof(t, m), sizeof(bool) }
#define FD(t, key, bit, m) { key, bit, F_DBL, offsetof(t, m), sizeof(double) }
#define FH(t, key, bit, m) { key, bit, F_HEALTH, offsetof(t, m), sizeof(enum wx_status_health) }
#define FO(key, bit) { key, bit, F_OBJ, 0, 0 }

static const struct field top_fields[] = {
	FS(struct wx_status, "station", WX_ST_STATION, station),
	FS(struct wx_status, "version", WX_ST_VERSION, version),
	FB(struct wx_status, "simulated", WX_ST_SIMULATED, simulated),
	FD(struct wx_status, "speed", WX_ST_SPEED, speed),
	FI(struct wx_status, "ts", WX_ST_TS, ts),
	FI(struct wx_status, "uptime_s", WX_ST_UPTIME, uptime_s),
	FB(struct wx_status, "clock_synchronized", WX_ST_CLOCK, clock_synchronized),
	FI(struct wx_status, "interval_s", WX_ST_INTERVAL, interval_s),
	FI(struct wx_status, "records_written", WX_ST_RECORDS, records_written),
	FI(struct wx_status, "last_record_ts", WX_ST_LAST_RECORD, last_record_ts),
	FO("storage", WX_ST_STORAGE),
	FO("sensors", WX_ST_SENSORS),
	FO("uploads", WX_ST_UPLOADS),
	FO("network", WX_ST_NETWORK),
	{ NULL, 0, F_STR, 0, 0 },
};

static const struct field storage_fields[] = {
	FS(struct wx_status_storage, "database", WX_STG_DATABASE, database),
	FH(struct wx_status_storage, "status", WX_STG_STATUS, status),
	FS(struct wx_status_storage, "error", WX_STG_ERROR, error),
	FI(struct wx_status_storage, "since", WX_STG_SINCE, since),
	FI(struct wx_status_storage, "pending_records", WX_STG_PENDING, pending_records),
	FI(struct wx_status_storage, "lost_records", WX_STG_LOST, lost_records),
	{ NULL, 0, F_STR, 0, 0 },
};

static const struct field sensor_fields[] = {
	FH(struct wx_status_sensor, "status", WX_SEN_STATUS, status),
	FS(struct wx_status_sensor, "error", WX_SEN_ERROR, error),
	FI(struct wx_status_sensor, "since", WX_SEN_SINCE, since),
	FI(struct wx_status_sensor, "last_ok", WX_SEN_LAST_OK, last_ok),
	FI(struct wx_status_sensor, "failures", WX_SEN_FAILURES, failures),
	FI(struct wx_status_sensor, "edges_lost", WX_SEN_LOST, edges_lost),
	FI(struct wx_status_sensor, "edges_rejected", WX_SEN_REJECTED, edges_rejected),
	{ NULL, 0, F_STR, 0, 0 },
};

static const struct field upload_fields[] = {
	FB(struct wx_status_upload, "connected", WX_UP_CONNECTED, connected),
	FI(struct wx_status_upload, "backlog", WX_UP_BACKLOG, backlog),
	FI(struct wx_status_upload, "cursor_ts", WX_UP_CURSOR, cursor_ts),
	FI(struct wx_status_upload, "sent", WX_UP_SENT, sent),
	FI(struct wx_status_upload, "skipped", WX_UP_SKIPPED, skipped),
	FI(struct wx_status_upload, "last_success", WX_UP_LAST_SUCCESS, last_success),
	FS(struct wx_status_upload, "last_error", WX_UP_LAST_ERROR, last_error),
	FI(struct wx_status_upload, "last_error_at", WX_UP_LAST_ERROR_AT, last_error_at),
	{ NULL, 0, F_STR, 0, 0 },
};

static const struct field network_fields[] = {
	FB(struct wx_status_network, "configured", WX_NET_CONFIGURED, configured),
	FB(struct wx_status_network, "running", WX_NET_RUNNING, running),
	FS(struct wx_status_network, "status", WX_NET_STATUS, status),
	FS(struct wx_status_network, "process", WX_NET_PROCESS, process),
	FI(struct wx_status_network, "pid", WX_NET_PID, pid),
	FI(struct wx_status_network, "restarts", WX_NET_RESTARTS, restarts),
	FI(struct wx_status_network, "report_age_s", WX_NET_REPORT_AGE, report_age_s),
	{ NULL, 0, F_STR, 0, 0 },
};

static const char *const health_names[] = { "starting", "ok", "error" };

static bool good_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= WX_STATUS_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

struct wx_status_sensor *wx_status_add_sensor(struct wx_status *st, const char *name)
{
	struct wx_status_sensor *s;

	if (st->n_sensors >= WX_STATUS_MAX_SENSORS || !good_name(name))
		return NULL;
	s = &st->sensors[st->n_sensors++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

struct wx_status_upload *wx_status_add_upload(struct wx_status *st, const char *name)
{
	struct wx_status_upload *u;

	if (st->n_uploads >= WX_STATUS_MAX_UPLOADS || !good_name(name))
		return NULL;
	u = &st->uploads[st->n_uploads++];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	return u;
}

/* Fields are reached through byte offsets: copy, never cast (alignment). */
static int64_t load_i64(const char *p)
{
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static double load_dbl(const char *p)
{
	double v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* ---- to JSON ------------------------------------------------------------ */

/* d as the shortest of 15 or 17 significant digits that reads back as d
 * exactly.  cJSON prints 15 unless they miss d by more than a relative
 * DBL_EPSILON, so a value with 16 or 17 digits came back one bit off and a
 * struct written and read again was not the same (found by fuzz_status). */
static cJSON *exact_number(double d)
{
	char b[32];

	if (!isfinite(d))
		return cJSON_CreateNumber(d);	/* null, as cJSON writes it */
	snprintf(b, sizeof(b), "%.15g", d);
	if (strtod(b, NULL) != d)
		snprintf(b, sizeof(b), "%.17g", d);
	return cJSON_CreateRaw(b);
}

/* The plain fields of table t that has marks, from the struct at base, into
 * o; F_OBJ rows are the caller's.  False without memory. */
static bool put_fields(cJSON *o, const struct field *t, unsigned has, const void *base)
{
	for (; t->key; t++) {
		const char *p = (const char *)base + t->off;
		cJSON *v = NULL;

		if (!(has & t->bit) || t->type == F_OBJ)
			continue;
		switch (t->type) {
		case F_STR: v = cJSON_CreateString(p); break;
		case F_INT: v = cJSON_CreateNumber((double)load_i64(p)); break;
		case F_BOOL: v = cJSON_CreateBool(*(const bool *)p); break;
		case F_DBL: v = exact_number(load_dbl(p)); break;
		case F_HEALTH: {
			enum wx_status_health h;

			memcpy(&h, p, sizeof(h));

			v = cJSON_CreateString(h <= WX_STATUS_ERROR ? health_names[h] : "");
			break;
		}
		case F_OBJ: break;
		}
		if (!v || !cJSON_AddItemToObject(o, t->key, v)) {
			cJSON_Delete(v);
			return false;
		}
	}
	return true;
}

cJSON *wx_status_uploads_to_cjson(const struct wx_status *st)
{
	cJSON *ups = cJSON_CreateObject();

	for (int i = 0; ups && i < st->n_uploads; i++) {
		const struct wx_status_upload *u = &st->uploads[i];
		cJSON *o = cJSON_AddObjectToObject(ups, u->name);

		if (!o || !put_fields(o, upload_fields, u->has, u)) {
			cJSON_Delete(ups);
			return NULL;
		}
	}
	return ups;
}

cJSON *wx_status_network_to_cjson(const struct wx_status_network *net)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !put_fields(o, network_fields, net->has, net)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *storage_to_cjson(const struct wx_status_storage *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !put_fields(o, storage_fields, s->has, s)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *sensors_to_cjson(const struct wx_status *st)
{
	cJSON *all = cJSON_CreateObject();

	for (int i = 0; all && i < st->n_sensors; i++) {
		const struct wx_status_sensor *s = &st->sensors[i];
		cJSON *o = cJSON_AddObjectToObject(all, s->name);

		if (!o || !put_fields(o, sensor_fields, s->has, s)) {
			cJSON_Delete(all);
			return NULL;
		}
	}
	return all;
}

cJSON *wx_status_to_cjson(const struct wx_status *st)
{
	cJSON *o = cJSON_CreateObject();

	for (const struct field *t = top_fields; o && t->key; t++) {
		cJSON *v;

		if (!(st->has & t->bit))
			continue;
		if (t->type != F_OBJ) {
			struct field one[2] = { *t, { NULL, 0, F_STR, 0, 0 } };

			if (!put_fields(o, one, st->has, st))
				goto fail;
			continue;
		}
		if (t->bit == WX_ST_STORAGE)
			v = storage_to_cjson(&st->storage);
		else if (t->bit == WX_ST_SENSORS)
			v = sensors_to_cjson(st);
		else if (t->bit == WX_ST_UPLOADS)
			v = wx_status_uploads_to_cjson(st);
		else
			v = wx_status_network_to_cjson(&st->network);
		if (!v || !cJSON_AddItemToObject(o, t->key, v)) {
			cJSON_Delete(v);
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

char *wx_status_to_json(const struct wx_status *st)
{
	cJSON *o = wx_status_to_cjson(st);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

/* ---- from JSON ---------------------------------------------------------- */

struct ctx {
	char *err;
	size_t errlen;
	int rc;			/* 0, 1 (keys left out) or -EINVAL */
};

/* Note a problem; the first of the worst kind is the one kept. */
static void problem(struct ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->rc < 0 || (c->rc == 1 && rc == 1))
		return;
	c->rc = rc;
	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* Copy a text cut to one line and to size; false when it had to be cut. */
static bool copy_line(char *dst, size_t size, const char *src)
{
	size_t n = strcspn(src, "\r\n");
	bool whole = src[n] == '\0' && n < size;

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return whole;
}

/* Key k (a string cJSON gave, any bytes) for a message: cut and printable. */
static const char *shown(const char *k, char *buf, size_t len)
{
	size_t i = 0;

	for (; k && k[i] && i + 1 < len && i < 40; i++)
		buf[i] = (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '"') ? k[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Read the members of object o (named at where, like `"sensors"."rain"`)
 * whose keys table t knows into base, setting bits in *has.  F_OBJ rows are
 * not read (the caller's).  Unknown keys: problem 1. */
static void get_fields(struct ctx *c, const char *where, const cJSON *o, const struct field *t,
		       unsigned *has, void *base)
{
	const cJSON *v;
	char kb[48];

	cJSON_ArrayForEach(v, o) {
		const struct field *f = t;
		char *p;

		while (f->key && (!v->string || strcmp(f->key, v->string)))
			f++;
		if (!f->key) {
			problem(c, 1, "status: %s\"%s\": unknown key, left out", where,
				shown(v->string, kb, sizeof(kb)));
			continue;
		}
		if (f->type == F_OBJ)
			continue;
		p = (char *)base + f->off;
		if (*has & f->bit) {
			problem(c, -EINVAL, "status: %s\"%s\": given twice", where, f->key);
			continue;
		}
		switch (f->type) {
		case F_STR:
			if (!cJSON_IsString(v)) {
				problem(c, -EINVAL, "status: %s\"%s\": not a text", where, f->key);
				continue;
			}
			if (!copy_line(p, f->size, v->valuestring))
				problem(c, -EINVAL, "status: %s\"%s\": longer than %zu characters "
					"or more than one line (cut)", where, f->key, f->size - 1);
			break;
		case F_INT:
			if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < NUM_MAX)) {
				problem(c, -EINVAL, "status: %s\"%s\": not a number from 0 to 1e15",
					where, f->key);
				continue;
			}
			{
				int64_t n = (int64_t)v->valuedouble;

				memcpy(p, &n, sizeof(n));
			}
			break;
		case F_DBL:
			if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < NUM_MAX)) {
				problem(c, -EINVAL, "status: %s\"%s\": not a number from 0 to 1e15",
					where, f->key);
				continue;
			}
			memcpy(p, &v->valuedouble, sizeof(double));
			break;
		case F_BOOL:
			if (!cJSON_IsBool(v)) {
				problem(c, -EINVAL, "status: %s\"%s\": not true or false", where, f->key);
				continue;
			}
			*(bool *)p = cJSON_IsTrue(v);
			break;
		case F_HEALTH: {
			int h = 0;

			while (h <= WX_STATUS_ERROR &&
			       !(cJSON_IsString(v) && !strcmp(v->valuestring, health_names[h])))
				h++;
			if (h > WX_STATUS_ERROR) {
				problem(c, -EINVAL, "status: %s\"%s\": not \"starting\", \"ok\" or \"error\"",
					where, f->key);
				continue;
			}
			{
				enum wx_status_health e = (enum wx_status_health)h;

				memcpy(p, &e, sizeof(e));
			}
			break;
		}
		case F_OBJ:
			break;
		}
		*has |= f->bit;
	}
}

/* The keys of table t in need that has lacks: problem -EINVAL. */
static void need(struct ctx *c, const char *where, const struct field *t, unsigned has,
		 unsigned need)
{
	for (; t->key; t++)
		if ((need & t->bit) && !(has & t->bit)) {
			problem(c, -EINVAL, "status: %s\"%s\": missing", where, t->key);
			return;
		}
}

static void get_uploads(struct ctx *c, const cJSON *ups, struct wx_status *st)
{
	const cJSON *it;
	char kb[48], where[96];

	cJSON_ArrayForEach(it, ups) {
		struct wx_status_upload *u;
		bool seen = false;

		for (int i = 0; it->string && i < st->n_uploads; i++)
			seen |= !strcmp(st->uploads[i].name, it->string);
		if (!cJSON_IsObject(it) || !it->string || seen ||
		    !(u = wx_status_add_upload(st, it->string))) {
			problem(c, -EINVAL, "status: \"uploads\".\"%s\": %s, left out",
				shown(it->string, kb, sizeof(kb)),
				!cJSON_IsObject(it) ? "not an object" : seen ? "given twice" :
				st->n_uploads >= WX_STATUS_MAX_UPLOADS ? "too many uploads" :
				"not a name of a-z 0-9 _ -");
			continue;
		}
		snprintf(where, sizeof(where), "\"uploads\".\"%s\".", u->name);
		get_fields(c, where, it, upload_fields, &u->has, u);
		/* An error says when it happened, or neither is kept. */
		if ((u->has & WX_UP_LAST_ERROR) && !(u->has & WX_UP_LAST_ERROR_AT))
			problem(c, -EINVAL, "status: %s\"last_error\": without \"last_error_at\", left out",
				where);
		if (!(u->has & WX_UP_LAST_ERROR) || !(u->has & WX_UP_LAST_ERROR_AT))
			u->has &= ~(unsigned)(WX_UP_LAST_ERROR | WX_UP_LAST_ERROR_AT);
	}
}

int wx_status_uploads_from_cjson(const cJSON *ups, struct wx_status *st, char *err, size_t errlen)
{
	struct ctx c = { err, errlen, 0 };

	if (err && errlen)
		err[0] = '\0';
	if (!cJSON_IsObject(ups)) {
		problem(&c, -EINVAL, "status: \"uploads\": not an object");
		return c.rc;
	}
	get_uploads(&c, ups, st);
	st->has |= WX_ST_UPLOADS;
	return c.rc;
}

static void get_sensors(struct ctx *c, const cJSON *all, struct wx_status *st)
{
	const cJSON *it;
	char kb[48], where[96];

	cJSON_ArrayForEach(it, all) {
		struct wx_status_sensor *s;
		unsigned needed = WX_SEN_STATUS | WX_SEN_SINCE | WX_SEN_FAILURES;
		bool seen = false;

		for (int i = 0; it->string && i < st->n_sensors; i++)
			seen |= !strcmp(st->sensors[i].name, it->string);
		if (!cJSON_IsObject(it) || !it->string || seen ||
		    !(s = wx_status_add_sensor(st, it->string))) {
			problem(c, -EINVAL, "status: \"sensors\".\"%s\": %s, left out",
				shown(it->string, kb, sizeof(kb)),
				!cJSON_IsObject(it) ? "not an object" : seen ? "given twice" :
				st->n_sensors >= WX_STATUS_MAX_SENSORS ? "too many sensors" :
				"not a name of a-z 0-9 _ -");
			continue;
		}
		snprintf(where, sizeof(where), "\"sensors\".\"%s\".", s->name);
		get_fields(c, where, it, sensor_fields, &s->has, s);
		if ((s->has & WX_SEN_STATUS) && s->status == WX_STATUS_ERROR)
			needed |= WX_SEN_ERROR;
		need(c, where, sensor_fields, s->has, needed);
	}
}

int wx_status_from_cjson(const cJSON *o, struct wx_status *st, char *err, size_t errlen)
{
	struct ctx c = { err, errlen, 0 };
	unsigned needed = WX_ST_REQUIRED;
	const cJSON *v;

	memset(st, 0, sizeof(*st));
	if (err && errlen)
		err[0] = '\0';
	if (!cJSON_IsObject(o)) {
		problem(&c, -EINVAL, "status: not a JSON object");
		return c.rc;
	}
	get_fields(&c, "", o, top_fields, &st->has, st);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "storage"))) {
		if (!cJSON_IsObject(v)) {
			problem(&c, -EINVAL, "status: \"storage\": not an object");
		} else {
			struct wx_status_storage *s = &st->storage;
			unsigned sneed = WX_STG_DATABASE | WX_STG_STATUS | WX_STG_PENDING | WX_STG_LOST;

			get_fields(&c, "\"storage\".", v, storage_fields, &s->has, s);
			if ((s->has & WX_STG_STATUS) && s->status == WX_STATUS_ERROR)
				sneed |= WX_STG_ERROR | WX_STG_SINCE;
			need(&c, "\"storage\".", storage_fields, s->has, sneed);
			st->has |= WX_ST_STORAGE;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "sensors"))) {
		if (!cJSON_IsObject(v)) {
			problem(&c, -EINVAL, "status: \"sensors\": not an object");
		} else {
			get_sensors(&c, v, st);
			st->has |= WX_ST_SENSORS;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "uploads"))) {
		if (!cJSON_IsObject(v)) {
			problem(&c, -EINVAL, "status: \"uploads\": not an object");
		} else {
			get_uploads(&c, v, st);
			st->has |= WX_ST_UPLOADS;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "network"))) {
		if (!cJSON_IsObject(v)) {
			problem(&c, -EINVAL, "status: \"network\": not an object");
		} else {
			struct wx_status_network *n = &st->network;

			get_fields(&c, "\"network\".", v, network_fields, &n->has, n);
			need(&c, "\"network\".", network_fields, n->has,
			     WX_NET_CONFIGURED | WX_NET_RUNNING | WX_NET_STATUS | WX_NET_PROCESS |
			     WX_NET_RESTARTS);
			st->has |= WX_ST_NETWORK;
		}
	}
	if (st->has & WX_ST_SIMULATED && st->simulated)
		needed |= WX_ST_SPEED;
	need(&c, "", top_fields, st->has, needed);
	return c.rc;
}

int wx_status_from_json(const char *json, struct wx_status *st, char *err, size_t errlen)
{
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	int rc;

	if (!o) {
		memset(st, 0, sizeof(*st));
		if (err && errlen)
			snprintf(err, errlen, "status: not JSON");
		return -EINVAL;
	}
	rc = wx_status_from_cjson(o, st, err, errlen);
	cJSON_Delete(o);
	return rc;
}

/* ---- equality ----------------------------------------------------------- */

static bool same_fields(const struct field *t, unsigned has, const void *a, const void *b)
{
	for (; t->key; t++) {
		const char *p = (const char *)a + t->off, *q = (const char *)b + t->off;

		if (!(has & t->bit) || t->type == F_OBJ)
			continue;
		if (t->type == F_STR ? strcmp(p, q) != 0 :
		    t->type == F_DBL ? load_dbl(p) != load_dbl(q) :
		    memcmp(p, q, t->size) != 0)
			return false;
	}
	return true;
}

bool wx_status_equal(const struct wx_status *a, const struct wx_status *b)
{
	if (a->has != b->has || !same_fields(top_fields, a->has, a, b))
		return false;
	if ((a->has & WX_ST_STORAGE) &&
	    (a->storage.has != b->storage.has ||
	     !same_fields(storage_fields, a->storage.has, &a->storage, &b->storage)))
		return false;
	if ((a->has & WX_ST_NETWORK) &&
	    (a->network.has != b->network.has ||
	     !same_fields(network_fields, a->network.has, &a->network, &b->network)))
		return false;
	if (a->n_sensors != b->n_sensors || a->n_uploads != b->n_uploads)
		return false;
	for (int i = 0; i < a->n_sensors; i++)
		if (strcmp(a->sensors[i].name, b->sensors[i].name) ||
		    a->sensors[i].has != b->sensors[i].has ||
		    !same_fields(sensor_fields, a->sensors[i].has, &a->sensors[i], &b->sensors[i]))
			return false;
	for (int i = 0; i < a->n_uploads; i++)
		if (strcmp(a->uploads[i].name, b->uploads[i].name) ||
		    a->uploads[i].has != b->uploads[i].has ||
		    !same_fields(upload_fields, a->uploads[i].has, &a->uploads[i], &b->uploads[i]))
			return false;
	return true;
}
