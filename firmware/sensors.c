#include "firmware/sensors.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "firmware/core/log.h"

uint32_t wx_sensors_quantities(const struct wx_config *cfg)
{
	uint32_t q = 0;

	for (size_t i = 0; wx_sensor_drivers[i]; i++)
		if (wx_sensor_enabled(cfg, wx_sensor_drivers[i]))
			q |= wx_sensor_drivers[i]->quantities;
	if ((q & WX_Q(WX_TEMPERATURE_C)) && (q & WX_Q(WX_HUMIDITY_PCT)))
		q |= WX_Q(WX_DEW_POINT_C);
	if ((q & WX_Q(WX_TEMPERATURE_C)) && (q & WX_Q(WX_PRESSURE_HPA)))
		q |= WX_Q(WX_SEA_LEVEL_PRESSURE_HPA);
	return q;
}

#define REOPEN_PULSE_NS (10 * WX_NS_PER_S)
#define LOST_LOG_NS (60 * WX_NS_PER_S)	/* at most one "edges lost" line a minute */

struct wx_slot {
	struct wx_sensors *owner;
	const struct wx_sensor_driver *drv;
	void *dev;			/* NULL while not open */
	struct wx_health health;

	/* pulse sensors */
	struct wx_debounce deb;
	int64_t reopen_at;		/* station monotonic ns */
	bool lost_pending;		/* the next wx_slot_edges() says -EOVERFLOW */
	uint64_t lost_unlogged;		/* edges lost since the last log line */
	int64_t lost_logged_at;		/* station monotonic ns; 0: never */

	/* sampled sensors; fields below mu are shared with the thread */
	pthread_t thread;
	bool has_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool want, busy, done, quit;
	int rc;
	struct wx_record result;
	int64_t taken;			/* station mono ns the result was taken at */
	char err[WX_ERR_LEN];
	uint64_t skipped;		/* requests while still busy */
};

struct wx_sensors {
	struct wx_sensor_env env;
	struct wx_clock *clock;
	bool threaded;
	int efd;
	int n;
	struct wx_slot slots[];	/* one per enabled driver */
};

static int64_t wall_s(struct wx_sensors *s)
{
	return wx_clock_wall_ns(s->clock) / WX_NS_PER_S;
}

/* Record the outcome of an attempt; log only changes. */
static void set_health(struct wx_slot *slot, int rc, const char *err)
{
	struct wx_health *h = &slot->health;
	int64_t now = wall_s(slot->owner);

	if (rc == 0) {
		if (h->tried && !h->ok)
			wx_log_info("%s: working again", slot->drv->name);
		if (!h->tried || !h->ok)
			h->since_s = now;
		h->ok = true;
		h->last_ok_s = now;
	} else {
		h->failures++;
		if (h->tried && !h->ok && strcmp(h->error, err) == 0)
			goto out;
		wx_log_warnx("%s", err);
		snprintf(h->error, sizeof(h->error), "%s", err);
		if (!h->tried || h->ok)
			h->since_s = now;
		h->ok = false;
	}
out:
	h->tried = true;
}

/* Open if needed, then take one reading.  Runs in the slot's thread, or in
 * the loop's without threads. */
static int take(struct wx_slot *slot, struct wx_record *r, char *err, size_t errlen)
{
	int rc;

	if (!slot->dev) {
		slot->dev = slot->drv->open(&slot->owner->env, err, errlen);
		if (!slot->dev)
			return errno ? -errno : -EIO;
	}
	wx_record_init(r, 0);
	rc = slot->drv->sample(slot->dev, r, err, errlen);
	if (rc < 0) {
		/* Let go of the bus and open it afresh next time: a chip
		 * unplugged and plugged back (perhaps another one) is probed
		 * and calibrated again, and a bus driver can be unloaded and
		 * loaded again under the running daemon (i2c-dev holds the
		 * adapter's module while its /dev node is open). */
		slot->drv->close(slot->dev);
		slot->dev = NULL;
	}
	return rc;
}

static void *sampler(void *arg)
{
	struct wx_slot *slot = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&slot->mu);
	for (;;) {
		while (!slot->want && !slot->quit)
			pthread_cond_wait(&slot->cv, &slot->mu);
		if (slot->quit)
			break;
		slot->want = false;
		pthread_mutex_unlock(&slot->mu);

		struct wx_record r;
		char err[WX_ERR_LEN] = "";
		int rc = take(slot, &r, err, sizeof(err));
		int64_t taken = wx_clock_mono_ns(slot->owner->clock);

		pthread_mutex_lock(&slot->mu);
		slot->result = r;
		slot->taken = taken;
		slot->rc = rc;
		memcpy(slot->err, err, sizeof(err));
		slot->busy = false;
		slot->done = true;
		if (write(slot->owner->efd, &one, sizeof(one)) < 0)
			wx_log_warn("sampler eventfd");
	}
	pthread_mutex_unlock(&slot->mu);
	return NULL;
}

static void open_pulse(struct wx_slot *slot)
{
	char err[WX_ERR_LEN] = "";

	slot->dev = slot->drv->open(&slot->owner->env, err, sizeof(err));
	if (!slot->dev) {
		set_health(slot, -EIO, err);
		slot->reopen_at = wx_clock_mono_ns(slot->owner->clock) + REOPEN_PULSE_NS;
		return;
	}
	/* A fresh line starts a fresh debounce: nothing to compare against. */
	slot->drv->debounce(slot->owner->env.cfg, &slot->deb);
	slot->lost_pending = false;
	set_health(slot, 0, NULL);
}

struct wx_sensors *wx_sensors_open_table(const struct wx_sensor_env *env, struct wx_clock *clock,
					 bool threaded,
					 const struct wx_sensor_driver *const *drivers)
{
	struct wx_sensors *s;
	size_t rows = 0;

	while (drivers[rows])
		rows++;
	s = calloc(1, sizeof(*s) + rows * sizeof(s->slots[0]));
	if (!s)
		return NULL;
	s->env = *env;
	s->clock = clock;
	s->threaded = threaded;
	s->efd = -1;
	if (threaded) {
		s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->efd < 0) {
			free(s);
			return NULL;
		}
	}
	for (size_t i = 0; i < rows; i++) {
		const struct wx_sensor_driver *d = drivers[i];
		struct wx_slot *slot;

		if (!wx_sensor_enabled(env->cfg, d))
			continue;
		slot = &s->slots[s->n++];
		slot->owner = s;
		slot->drv = d;
		if (d->kind == WX_SENSOR_PULSE) {
			open_pulse(slot);
			continue;
		}
		pthread_mutex_init(&slot->mu, NULL);
		pthread_cond_init(&slot->cv, NULL);
		if (threaded && pthread_create(&slot->thread, NULL, sampler, slot) == 0)
			slot->has_thread = true;
	}
	return s;
}

struct wx_sensors *wx_sensors_open(const struct wx_sensor_env *env, struct wx_clock *clock,
				   bool threaded)
{
	return wx_sensors_open_table(env, clock, threaded, wx_sensor_drivers);
}

void wx_sensors_close(struct wx_sensors *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		struct wx_slot *slot = &s->slots[i];

		if (slot->has_thread) {
			pthread_mutex_lock(&slot->mu);
			slot->quit = true;
			pthread_cond_signal(&slot->cv);
			pthread_mutex_unlock(&slot->mu);
			pthread_join(slot->thread, NULL);
		}
		if (slot->drv->kind == WX_SENSOR_SAMPLED) {
			pthread_mutex_destroy(&slot->mu);
			pthread_cond_destroy(&slot->cv);
		}
		if (slot->dev)
			slot->drv->close(slot->dev);
	}
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

int wx_sensors_count(const struct wx_sensors *s) { return s->n; }
struct wx_slot *wx_sensors_slot(struct wx_sensors *s, int i) { return &s->slots[i]; }
const struct wx_sensor_driver *wx_slot_driver(const struct wx_slot *slot) { return slot->drv; }
const struct wx_health *wx_slot_health(const struct wx_slot *slot) { return &slot->health; }
int wx_sensors_fd(const struct wx_sensors *s) { return s->efd; }

struct wx_slot *wx_sensors_find(struct wx_sensors *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->slots[i].drv->name, name) == 0)
			return &s->slots[i];
	return NULL;
}

void wx_sensors_request(struct wx_sensors *s)
{
	for (int i = 0; i < s->n; i++) {
		struct wx_slot *slot = &s->slots[i];

		if (slot->drv->kind != WX_SENSOR_SAMPLED)
			continue;
		if (!slot->has_thread) {
			slot->err[0] = '\0';
			slot->rc = take(slot, &slot->result, slot->err, sizeof(slot->err));
			slot->taken = wx_clock_mono_ns(s->clock);
			slot->done = true;
			continue;
		}
		bool wake = false;

		pthread_mutex_lock(&slot->mu);
		if (slot->busy || slot->done) {
			slot->skipped++;
		} else {
			slot->want = true;
			slot->busy = true;
			wake = true;
		}
		pthread_mutex_unlock(&slot->mu);
		/* Signalled unlocked: woken, the thread finds the mutex free
		 * instead of waiting for it once more. */
		if (wake)
			pthread_cond_signal(&slot->cv);
	}
}

bool wx_sensors_busy(struct wx_sensors *s)
{
	bool busy = false;

	for (int i = 0; i < s->n && !busy; i++) {
		struct wx_slot *slot = &s->slots[i];

		if (slot->has_thread) {
			pthread_mutex_lock(&slot->mu);
			busy = slot->busy;
			pthread_mutex_unlock(&slot->mu);
		}
	}
	return busy;
}

int wx_sensors_collect(struct wx_sensors *s, wx_sample_fn fn, void *arg)
{
	uint64_t v;
	int got = 0;

	if (s->efd >= 0 && read(s->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		wx_log_warn("sampler eventfd");
	for (int i = 0; i < s->n; i++) {
		struct wx_slot *slot = &s->slots[i];
		struct wx_record r;
		char err[WX_ERR_LEN];
		int64_t taken;
		int rc;

		if (slot->drv->kind != WX_SENSOR_SAMPLED)
			continue;
		if (slot->has_thread)
			pthread_mutex_lock(&slot->mu);
		if (!slot->done) {
			if (slot->has_thread)
				pthread_mutex_unlock(&slot->mu);
			continue;
		}
		slot->done = false;
		r = slot->result;
		rc = slot->rc;
		taken = slot->taken;
		memcpy(err, slot->err, sizeof(err));
		if (slot->has_thread)
			pthread_mutex_unlock(&slot->mu);

		if (rc && !err[0])
			snprintf(err, sizeof(err), "%s: %s", slot->drv->name, strerror(-rc));
		set_health(slot, rc, err);
		if (rc == 0) {
			fn(slot, &r, taken, arg);
			got++;
		}
	}
	return got;
}

/* Edges the transport lost: say so (at most once a minute, with the count
 * since the last line), and have the next call report it. */
static void note_lost(struct wx_slot *slot, const struct wx_edgebus *bus, uint64_t lost)
{
	int64_t now = wx_clock_mono_ns(slot->owner->clock);

	slot->lost_pending = true;
	slot->lost_unlogged += lost;
	if (slot->lost_logged_at && now - slot->lost_logged_at < LOST_LOG_NS)
		return;
	/* "at least": libgpiod 1.6 can only tell that its buffer was full. */
	wx_log_warnx("%s %s: at least %llu edge%s lost: the kernel's event buffer overflowed "
		     "(the reader fell behind); that interval's %s is null", slot->drv->name,
		     bus->where, (unsigned long long)slot->lost_unlogged,
		     slot->lost_unlogged == 1 ? "" : "s",
		     strcmp(slot->drv->name, "rain") == 0 ? "rain" : "wind");
	slot->lost_unlogged = 0;
	slot->lost_logged_at = now;
}

int wx_slot_edges(struct wx_slot *slot, int64_t until_ns, int64_t *ts, size_t max, bool *more)
{
	struct wx_edgebus *bus;
	uint64_t lost_before;
	int raw, n;

	*more = false;
	if (!slot->dev) {
		if (wx_clock_mono_ns(slot->owner->clock) < slot->reopen_at)
			return -ENODEV;
		open_pulse(slot);
		if (!slot->dev)
			return -ENODEV;
	}
	if (slot->lost_pending) {
		slot->lost_pending = false;
		return -EOVERFLOW;
	}
	bus = slot->drv->edges(slot->dev);
	lost_before = bus->lost;
	raw = bus->read(bus, until_ns, ts, max);
	if (raw < 0) {
		char err[WX_ERR_LEN];

		snprintf(err, sizeof(err), "%s %s: %s (reopening)", slot->drv->name, bus->where,
			 strerror(-raw));
		set_health(slot, raw, err);
		slot->drv->close(slot->dev);
		slot->dev = NULL;
		slot->reopen_at = wx_clock_mono_ns(slot->owner->clock) + REOPEN_PULSE_NS;
		return -ENODEV;
	}
	slot->health.last_ok_s = wall_s(slot->owner);
	n = (int)wx_pulse_debounce(&slot->deb, ts, (size_t)raw);
	if (bus->lost != lost_before) {
		note_lost(slot, bus, bus->lost - lost_before);
		if (n == 0) {
			slot->lost_pending = false;
			return -EOVERFLOW;
		}
		*more = true;	/* come back for the -EOVERFLOW */
		return n;
	}
	*more = (size_t)raw == max;
	return n;
}

bool wx_slot_edges_ok(const struct wx_slot *slot)
{
	return slot->dev != NULL;
}

int wx_slot_fd(const struct wx_slot *slot)
{
	return slot->dev ? slot->drv->edges(slot->dev)->fd : -1;
}

size_t wx_slot_depth(const struct wx_slot *slot)
{
	size_t depth = slot->dev ? slot->drv->edges(slot->dev)->depth : 0;

	return depth ? depth : 16;
}

uint64_t wx_slot_lost(const struct wx_slot *slot)
{
	return slot->dev ? slot->drv->edges(slot->dev)->lost : 0;
}

uint64_t wx_slot_rejected(const struct wx_slot *slot)
{
	return slot->deb.rejected;
}
