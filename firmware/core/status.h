/* The station's status as one type (docs/contract.md "Live socket"): what the sampler
 * answers to "status" on the live socket, what `wxctl status` prints, what
 * /api/status serves and, for its "uploads", what the network side reports
 * in "net-status".  Every side fills or reads this struct; only this file
 * knows the JSON keys, and writes them in one order (the order the daemon
 * has always answered in).
 *
 * Every key is optional in the struct: a key is written when its bit is
 * set in the `has` mask of the part that holds it, and a parsed key sets its
 * bit.  So JSON -> struct -> JSON gives the same text for any answer in
 * that key order, and a partial object (a test's, an older program's)
 * stays partial. */
#ifndef WX_STATUS_H
#define WX_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define WX_STATUS_MAX_SENSORS 16
#define WX_STATUS_MAX_UPLOADS 16	/* a report with more: the rest are dropped */
#define WX_STATUS_NAME_LEN 33		/* sensor and upload names: 1..32 of a-z 0-9 _ - */
#define WX_STATUS_TEXT_LEN 256		/* errors (one line), station id, states */
#define WX_STATUS_PATH_LEN 4096

/* Health of a sensor or of the archive: "starting", "ok", "error". */
enum wx_status_health {
	WX_STATUS_STARTING,
	WX_STATUS_OK,
	WX_STATUS_ERROR,
};

/* Bits of struct wx_status.has: the top-level keys. */
enum {
	WX_ST_STATION = 1u << 0, WX_ST_VERSION = 1u << 1, WX_ST_SIMULATED = 1u << 2,
	WX_ST_SPEED = 1u << 3, WX_ST_TS = 1u << 4, WX_ST_UPTIME = 1u << 5,
	WX_ST_CLOCK = 1u << 6, WX_ST_INTERVAL = 1u << 7, WX_ST_RECORDS = 1u << 8,
	WX_ST_LAST_RECORD = 1u << 9, WX_ST_STORAGE = 1u << 10, WX_ST_SENSORS = 1u << 11,
	WX_ST_UPLOADS = 1u << 12, WX_ST_NETWORK = 1u << 13,
};
/* What the sampler's answer always holds ("speed" only when simulated). */
#define WX_ST_REQUIRED (WX_ST_STATION | WX_ST_VERSION | WX_ST_SIMULATED | WX_ST_TS | \
			WX_ST_UPTIME | WX_ST_CLOCK | WX_ST_INTERVAL | WX_ST_RECORDS | \
			WX_ST_LAST_RECORD | WX_ST_STORAGE | WX_ST_SENSORS | WX_ST_UPLOADS | \
			WX_ST_NETWORK)

/* Bits of storage.has */
enum {
	WX_STG_DATABASE = 1u << 0, WX_STG_STATUS = 1u << 1, WX_STG_ERROR = 1u << 2,
	WX_STG_SINCE = 1u << 3, WX_STG_PENDING = 1u << 4, WX_STG_LOST = 1u << 5,
};

struct wx_status_storage {
	unsigned has;
	char database[WX_STATUS_PATH_LEN];
	enum wx_status_health status;	/* ok or error */
	char error[WX_STATUS_TEXT_LEN];
	int64_t since;			/* wall time the error began */
	int64_t pending_records;	/* waiting in memory */
	int64_t lost_records;		/* dropped: the buffer was full */
};

/* Bits of a sensor's has */
enum {
	WX_SEN_STATUS = 1u << 0, WX_SEN_ERROR = 1u << 1, WX_SEN_SINCE = 1u << 2,
	WX_SEN_LAST_OK = 1u << 3, WX_SEN_FAILURES = 1u << 4, WX_SEN_LOST = 1u << 5,
	WX_SEN_REJECTED = 1u << 6,
};

struct wx_status_sensor {
	unsigned has;
	char name[WX_STATUS_NAME_LEN];	/* the driver's: "bme280", "rain" */
	enum wx_status_health status;
	char error[WX_STATUS_TEXT_LEN];	/* when status is error */
	int64_t since;			/* wall time of the last change of health */
	int64_t last_ok;		/* wall time of the last good reading */
	int64_t failures;
	int64_t edges_lost;		/* pulse sensors only */
	int64_t edges_rejected;
};

/* Bits of an upload's has */
enum {
	WX_UP_CONNECTED = 1u << 0, WX_UP_BACKLOG = 1u << 1, WX_UP_CURSOR = 1u << 2,
	WX_UP_SENT = 1u << 3, WX_UP_SKIPPED = 1u << 4, WX_UP_LAST_SUCCESS = 1u << 5,
	WX_UP_LAST_ERROR = 1u << 6, WX_UP_LAST_ERROR_AT = 1u << 7,
};

struct wx_status_upload {
	unsigned has;
	char name[WX_STATUS_NAME_LEN];	/* the destination's: "mqtt" */
	bool connected;			/* MQTT only */
	int64_t backlog;		/* records waiting */
	int64_t cursor_ts;		/* newest record delivered */
	int64_t sent;			/* records delivered since start */
	int64_t skipped;		/* records passed over on purpose */
	int64_t last_success;		/* wall time, 0 = never */
	char last_error[WX_STATUS_TEXT_LEN];
	int64_t last_error_at;		/* wall time */
};

/* Bits of network.has */
enum {
	WX_NET_CONFIGURED = 1u << 0, WX_NET_RUNNING = 1u << 1, WX_NET_STATUS = 1u << 2,
	WX_NET_PROCESS = 1u << 3, WX_NET_PID = 1u << 4, WX_NET_RESTARTS = 1u << 5,
	WX_NET_REPORT_AGE = 1u << 6,
};

/* The network side (wxd-net) as the sampler sees it: netside.h. */
struct wx_status_network {
	unsigned has;
	bool configured;		/* the config gives it work */
	bool running;			/* its last report is fresh */
	char status[WX_STATUS_TEXT_LEN];	/* "running", "starting", "not running", ... */
	char process[WX_STATUS_TEXT_LEN];	/* "child", "unit", "none" */
	int64_t pid;
	int64_t restarts;
	int64_t report_age_s;
};

struct wx_status {
	unsigned has;			/* WX_ST_* */
	char station[WX_STATUS_TEXT_LEN];
	char version[WX_STATUS_TEXT_LEN];
	bool simulated;
	double speed;			/* --speed, when simulated */
	int64_t ts;			/* wall time of the answer */
	int64_t uptime_s;
	bool clock_synchronized;
	int64_t interval_s;
	int64_t records_written;	/* since start */
	int64_t last_record_ts;		/* 0 = none */
	struct wx_status_storage storage;
	int n_sensors;
	struct wx_status_sensor sensors[WX_STATUS_MAX_SENSORS];
	int n_uploads;
	struct wx_status_upload uploads[WX_STATUS_MAX_UPLOADS];
	struct wx_status_network network;
};

/* The next sensor or upload named name (its has still 0), or NULL when
 * the table is full or name is not 1..32 of a-z 0-9 _ -. */
struct wx_status_sensor *wx_status_add_sensor(struct wx_status *st, const char *name);
struct wx_status_upload *wx_status_add_upload(struct wx_status *st, const char *name);

/* st as one line of JSON (malloc'd), or as a cJSON object; NULL only
 * without memory. */
char *wx_status_to_json(const struct wx_status *st);
cJSON *wx_status_to_cjson(const struct wx_status *st);
/* Only the "uploads" object (what "net-status" carries), and only the
 * "network" one. */
cJSON *wx_status_uploads_to_cjson(const struct wx_status *st);
cJSON *wx_status_network_to_cjson(const struct wx_status_network *net);

/* Parse a status answer into st (cleared first).  Untrusted input: any
 * text gives a result.  0 when every key was understood; 1 when all was
 * understood but keys this version does not know were left out (a newer
 * sampler); -EINVAL when the text is not a JSON object, a key has the wrong
 * type or an impossible value (left out), or a key the sampler always
 * writes is missing.  err (may be NULL) then gets the first such thing in
 * one line, like `status: "sensors"."bme280"."since": not a number from 0
 * to 1e15`.  st holds whatever was understood in every case.  Numbers are
 * 0 <= n < 1e15 (whole: a fraction is cut); texts are cut to one line and
 * to their size. */
int wx_status_from_json(const char *json, struct wx_status *st, char *err, size_t errlen);
int wx_status_from_cjson(const cJSON *o, struct wx_status *st, char *err, size_t errlen);
/* Only an "uploads" object, added to st's uploads (the "net-status"
 * report).  Entries that are not objects, have a bad or repeated name, or
 * come after WX_STATUS_MAX_UPLOADS are left out.  "last_error" and
 * "last_error_at" are kept together or not at all.  Returns as wx_status_from_json(). */
int wx_status_uploads_from_cjson(const cJSON *ups, struct wx_status *st, char *err, size_t errlen);

/* Two statuses hold the same keys with the same values (names, order). */
bool wx_status_equal(const struct wx_status *a, const struct wx_status *b);

#endif
