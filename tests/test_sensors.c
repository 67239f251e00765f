/* The station's sensor slots (firmware/sensors.c): one slot for every
 * enabled driver of the table, the lost-edges contract of wx_slot_edges()
 * that the daemon's loop relies on, a read error logged once per change
 * (not per sample), requests skipped while a read is in progress, and
 * devices reopened after a failed read or a lost line (-ENODEV). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_edges.h"
#include "firmware/core/clock.h"
#include "firmware/core/config.h"
#include "firmware/core/log.h"
#include "firmware/sensors.h"

#define T0 (1700000000LL * WX_NS_PER_S)
#define MS(x) ((int64_t)(x) * WX_NS_PER_MS)

/* ---- slots for every enabled driver --------------------------------------- */

static bool always(const struct wx_config *cfg)
{
	(void)cfg;
	return true;
}

static bool never(const struct wx_config *cfg)
{
	(void)cfg;
	return false;
}

static int dummy;

static void *fake_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	(void)env; (void)err; (void)errlen;
	return &dummy;
}

static int fake_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	(void)dev; (void)r; (void)err; (void)errlen;
	return 0;
}

static void fake_close(void *dev)
{
	(void)dev;
}

#define FAKE(n, en) { .name = n, .kind = WX_SENSOR_SAMPLED, .enabled = en, .open = fake_open, \
		      .sample = fake_sample, .close = fake_close }

static const struct wx_sensor_driver fakes[] = {
	FAKE("s0", always), FAKE("s1", always), FAKE("s2", never), FAKE("s3", always),
	FAKE("s4", always), FAKE("s5", always), FAKE("s6", always), FAKE("s7", always),
	FAKE("s8", always), FAKE("s9", always), FAKE("s10", never), FAKE("s11", always),
};

/* Issue 12 item 20: a fixed array of 8 slots silently dropped a 9th. */
static void every_enabled_driver_of_a_long_table_gets_a_slot(void **state)
{
	const struct wx_sensor_driver *table[sizeof(fakes) / sizeof(fakes[0]) + 1];
	struct wx_config cfg;
	struct wx_sensor_env env = { .cfg = &cfg, .sim = NULL };
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct wx_sensors *s;
	size_t n = sizeof(fakes) / sizeof(fakes[0]);

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < n; i++)
		table[i] = &fakes[i];
	table[n] = NULL;
	s = wx_sensors_open_table(&env, clock, false, table);
	assert_non_null(s);
	assert_int_equal(wx_sensors_count(s), 10);
	for (size_t i = 0; i < n; i++) {
		struct wx_slot *slot = wx_sensors_find(s, fakes[i].name);

		if (fakes[i].enabled == never) {
			assert_null(slot);
			continue;
		}
		assert_non_null(slot);
		assert_ptr_equal(wx_slot_driver(slot), &fakes[i]);
	}
	wx_sensors_close(s);
	wx_clock_free(clock);
}

/* With --sim and no sensor section every driver of the real table is
 * enabled: each has its slot, in the table's order. */
static void every_driver_of_the_registry_gets_a_slot_under_sim(void **state)
{
	struct wx_config cfg;
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct wx_sim *sim;
	struct wx_sensor_env env = { 0 };
	struct wx_sensors *s;
	int rows = 0, k = 0;
	char err[256];

	(void)state;
	assert_int_equal(wx_config_load_string(&cfg, "t", "[station]\nprofile = oracle-hat\n"
					       "[bme280]\n[ds18b20]\n[anemometer]\n[rain]\n"
					       "[windvane]\n[htu21d]\n[bmp180]\n[air_quality]\n",
					       err, sizeof(err)), 0);
	sim = wx_sim_new(&cfg, clock);
	assert_non_null(sim);
	env.cfg = &cfg;
	env.sim = sim;
	s = wx_sensors_open(&env, clock, false);
	assert_non_null(s);
	for (; wx_sensor_drivers[rows]; rows++) {
		if (!wx_sensor_enabled(&cfg, wx_sensor_drivers[rows]))
			fail_msg("%s not enabled by its section", wx_sensor_drivers[rows]->name);
		assert_ptr_equal(wx_slot_driver(wx_sensors_slot(s, k++)), wx_sensor_drivers[rows]);
	}
	assert_int_equal(wx_sensors_count(s), rows);
	wx_sensors_close(s);
	wx_sim_free(sim);
	wx_clock_free(clock);
}

/* ---- lost edges ------------------------------------------------------------ */

struct rig {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_sensors *s;
	struct wx_slot *wind;
};

static void rig_up(struct rig *r)
{
	struct wx_sensor_env env = { 0 };
	char err[256];

	assert_int_equal(wx_config_load_string(&r->cfg, "t", "[anemometer]\n[sim]\nwind_kmh = 100\n",
					       err, sizeof(err)), 0);
	r->clock = wx_clock_sim(T0, 0);
	r->sim = wx_sim_new(&r->cfg, r->clock);
	assert_non_null(r->sim);
	env.cfg = &r->cfg;
	env.sim = r->sim;
	r->s = wx_sensors_open(&env, r->clock, false);
	assert_non_null(r->s);
	r->wind = wx_sensors_find(r->s, "anemometer");
	assert_non_null(r->wind);
	assert_true(wx_slot_edges_ok(r->wind));
}

static void rig_down(struct rig *r)
{
	wx_sensors_close(r->s);
	wx_sim_free(r->sim);
	wx_clock_free(r->clock);
}

/* Drain as the daemon's loop does: count what comes, stop at a negative.
 * Returns the negative (or 0), the count in *kept. */
static int drain(struct rig *r, uint64_t *kept)
{
	int64_t ts[256];
	bool more;
	int n;

	do {
		n = wx_slot_edges(r->wind, wx_clock_mono_ns(r->clock), ts, 256, &more);
		if (n < 0)
			return n;
		*kept += (uint64_t)n;
	} while (more);
	return 0;
}

/* Issue 12 item 9: edges lost in the kernel's buffer used to be counted in
 * status only, and the interval stored as complete and low.  Now the loop
 * gets -EOVERFLOW for the pass that read the loss, after its edges. */
static void lost_edges_give_eoverflow_once_after_the_edges_of_that_read(void **state)
{
	struct rig r;
	uint64_t kept = 0, lost0;
	int64_t ts[256];
	bool more;
	int n;

	(void)state;
	rig_up(&r);
	/* 100 km/h = 41.7 Hz with bounce: read every 20 ms, nothing is lost. */
	for (int i = 0; i < 500; i++) {
		wx_clock_jump(r.clock, wx_clock_mono_ns(r.clock) + MS(20));
		assert_int_equal(drain(&r, &kept), 0);
	}
	assert_int_equal(wx_slot_lost(r.wind), 0);
	assert_true(kept >= 410 && kept <= 425);	/* 10 s at 41.7 Hz */

	/* The reader stalls for 20 s: the 1024-place FIFO overflows. */
	lost0 = wx_slot_lost(r.wind);
	wx_clock_jump(r.clock, wx_clock_mono_ns(r.clock) + 20 * WX_NS_PER_S);
	n = wx_slot_edges(r.wind, wx_clock_mono_ns(r.clock), ts, 256, &more);
	assert_true(n > 0);		/* the edges that were kept still come */
	assert_true(more);		/* and the caller is asked back */
	assert_true(wx_slot_lost(r.wind) > lost0);
	n = wx_slot_edges(r.wind, wx_clock_mono_ns(r.clock), ts, 256, &more);
	assert_int_equal(n, -EOVERFLOW);
	assert_false(more);
	assert_true(wx_slot_edges_ok(r.wind));	/* the line stays open */

	/* Reported once: the rest of what the buffer held comes, then the
	 * next pass counts normally again. */
	kept = 0;
	assert_int_equal(drain(&r, &kept), 0);
	assert_true(kept > 150);	/* about 7 s of closures in 1024 edges */
	wx_clock_jump(r.clock, wx_clock_mono_ns(r.clock) + MS(20));
	kept = 0;
	assert_int_equal(drain(&r, &kept), 0);
	assert_true(kept <= 2);
	rig_down(&r);
}

/* A scripted edge bus: each read delivers the next step's edges and adds
 * its loss, as a transport that saw a sequence-number gap would. */
struct script_step {
	int nedges;
	uint64_t lost;
};

static const struct script_step *script;
static size_t script_at, script_len;
static struct wx_edgebus script_bus;

static int script_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts, size_t max)
{
	(void)until_ns;
	if (script_at == script_len)
		return 0;
	const struct script_step *st = &script[script_at++];
	assert_true((size_t)st->nedges <= max);
	for (int i = 0; i < st->nedges; i++)
		ts[i] = T0 + (int64_t)script_at * WX_NS_PER_S + i * MS(100);
	bus->lost += st->lost;
	return st->nedges;
}

static void script_close(struct wx_edgebus *bus)
{
	(void)bus;
}

static void *script_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	(void)env; (void)err; (void)errlen;
	script_bus = (struct wx_edgebus){ .where = "script line 5", .fd = -1, .read = script_read,
					  .close = script_close };
	return &script_bus;
}

static struct wx_edgebus *script_edges(void *dev)
{
	return dev;
}

static void script_debounce(const struct wx_config *cfg, struct wx_debounce *d)
{
	(void)cfg;
	wx_pulse_debounce_init(d, 2, 0);
}

static const struct wx_sensor_driver script_driver = {
	.name = "anemometer", .kind = WX_SENSOR_PULSE, .enabled = always, .open = script_open,
	.edges = script_edges, .debounce = script_debounce, .close = fake_close,
};

/* Every case of the contract, in the order the daemon's loop meets them. */
static void slot_edges_reports_each_loss_once_and_drops_no_edge(void **state)
{
	static const struct script_step steps[] = {
		{ 3, 0 },	/* normal */
		{ 4, 2 },	/* a gap of 2 before these 4: 4, then -EOVERFLOW */
		{ 5, 0 },	/* normal again */
		{ 0, 7 },	/* loss seen, nothing kept: -EOVERFLOW at once */
		{ 2, 0 },
	};
	const struct wx_sensor_driver *table[] = { &script_driver, NULL };
	struct wx_config cfg;
	struct wx_sensor_env env = { .cfg = &cfg, .sim = NULL };
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct wx_sensors *s;
	struct wx_slot *slot;
	int64_t ts[16];
	bool more;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	script = steps;
	script_at = 0;
	script_len = sizeof(steps) / sizeof(steps[0]);
	s = wx_sensors_open_table(&env, clock, false, table);
	slot = wx_sensors_find(s, "anemometer");
	assert_non_null(slot);

	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), 3);
	assert_false(more);
	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), 4);
	assert_true(more);
	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), -EOVERFLOW);
	assert_false(more);
	assert_int_equal(script_at, 2);		/* the -EOVERFLOW read nothing */
	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), 5);
	assert_false(more);
	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), -EOVERFLOW);
	assert_false(more);
	assert_int_equal(wx_slot_edges(slot, 0, ts, 16, &more), 2);
	assert_int_equal(wx_slot_lost(slot), 9);
	assert_true(wx_slot_edges_ok(slot));
	wx_sensors_close(s);
	wx_clock_free(clock);
}

/* ---- the driver rows ------------------------------------------------------ */

/* Every row is a config section of that name ("[name]" alone enables it),
 * names its kits as --sim's defaults enable them, and has a probe check. */
static void every_driver_row_is_a_section_of_its_kits_with_a_probe(void **state)
{
	static const enum wx_profile profiles[] = { WX_PROFILE_BYO, WX_PROFILE_ORACLE_HAT };
	struct wx_config cfg;
	char text[64], err[256];

	(void)state;
	for (size_t i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];

		snprintf(text, sizeof(text), "[%s]\n", d->name);
		assert_int_equal(wx_config_load_string(&cfg, "t.conf", text, err, sizeof(err)), 0);
		assert_true(wx_sensor_enabled(&cfg, d));
		assert_non_null(d->probe);
		assert_true(d->kits != 0);
		assert_ptr_equal(wx_sensor_driver_find(d->name), d);
	}
	for (size_t p = 0; p < 2; p++) {
		wx_config_defaults(&cfg);
		cfg.station.profile = profiles[p];
		wx_config_enable_all_sensors(&cfg);
		for (size_t i = 0; wx_sensor_drivers[i]; i++)
			assert_int_equal(wx_sensor_enabled(&cfg, wx_sensor_drivers[i]),
					 (wx_sensor_drivers[i]->kits & (1u << profiles[p])) != 0);
	}
}

static void kit_sections_are_listed_in_table_order(void **state)
{
	char buf[256];

	(void)state;
	wx_sensor_kit_sections(WX_KIT_BYO, buf, sizeof(buf));
	assert_string_equal(buf, "[bme280], [ds18b20], [anemometer], [rain] or [windvane]");
	wx_sensor_kit_sections(WX_KIT_HAT, buf, sizeof(buf));
	assert_string_equal(buf, "[htu21d], [bmp180], [ds18b20], [anemometer], [rain], [windvane] "
			    "or [air_quality]");
}

/* ---- health: errors logged once, reopening --------------------------------- */

/* Tables of fake drivers, opened on a clock with no simulated world.  The
 * one place these tests build a sensor environment: if opening sensors
 * changes (a bus provider in the environment), only this changes. */
static struct wx_sensors *open_fakes(const struct wx_sensor_driver *drv, struct wx_clock *clock,
				     bool threaded)
{
	static struct wx_config cfg;
	static const struct wx_sensor_driver *table[2];
	struct wx_sensor_env env = { .cfg = &cfg, .sim = NULL };
	struct wx_sensors *s;

	memset(&cfg, 0, sizeof(cfg));
	table[0] = drv;
	table[1] = NULL;
	s = wx_sensors_open_table(&env, clock, threaded, table);
	assert_non_null(s);
	assert_int_equal(wx_sensors_count(s), 1);
	return s;
}

/* Captured log lines. */
static struct {
	int n, warnings;
	char last[256];
} logged;

static void log_sink(const char *line, void *arg)
{
	(void)arg;
	logged.n++;
	if (!strstr(line, "working again"))
		logged.warnings++;
	snprintf(logged.last, sizeof(logged.last), "%s", line);
}

static void log_capture(void)
{
	memset(&logged, 0, sizeof(logged));
	wx_log_set_sink(log_sink, NULL);
}

/* A sampled sensor whose reads follow a script of results. */
static struct flaky_state {
	const char *const *script;	/* NULL: a good reading; else the error */
	size_t at, len;
	int opens, closes, samples;
	/* threaded tests: a read blocks until released */
	bool block, inside, release;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} flaky = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *flaky_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	(void)env; (void)err; (void)errlen;
	flaky.opens++;
	return &flaky;
}

static int flaky_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	const char *e;

	(void)dev;
	pthread_mutex_lock(&flaky.mu);
	flaky.samples++;
	if (flaky.block) {
		flaky.inside = true;
		pthread_cond_broadcast(&flaky.cv);
		while (!flaky.release)
			pthread_cond_wait(&flaky.cv, &flaky.mu);
		flaky.release = false;
		flaky.inside = false;
		pthread_cond_broadcast(&flaky.cv);
	}
	e = flaky.at < flaky.len ? flaky.script[flaky.at++] : NULL;
	pthread_mutex_unlock(&flaky.mu);
	if (e) {
		snprintf(err, errlen, "%s", e);
		return -EIO;
	}
	wx_record_set(r, WX_TEMPERATURE_C, 21.5);
	return 0;
}

static void flaky_close(void *dev)
{
	(void)dev;
	flaky.closes++;
}

static const struct wx_sensor_driver flaky_driver = {
	.name = "flaky", .kind = WX_SENSOR_SAMPLED, .quantities = 1u << WX_TEMPERATURE_C,
	.enabled = always, .open = flaky_open, .sample = flaky_sample, .close = flaky_close,
};

static void count_good(struct wx_slot *slot, const struct wx_record *r, int64_t taken,
		       void *arg)
{
	(void)slot;
	(void)taken;
	assert_true(wx_record_has(r, WX_TEMPERATURE_C));
	assert_true(r->v[WX_TEMPERATURE_C] == 21.5);
	(*(int *)arg)++;
}

/* One request and collect, as the loop does without threads. */
static int sample_once(struct wx_sensors *s)
{
	int good = 0, n;

	wx_sensors_request(s);
	n = wx_sensors_collect(s, count_good, &good);
	assert_int_equal(n, good);
	return good;
}

static void read_error_is_logged_once_per_change_not_per_sample(void **state)
{
	static const char *const errors[] = {
		"flaky /dev/i2c-1 address 0x76: no answer", "flaky /dev/i2c-1 address 0x76: no answer",
		"flaky /dev/i2c-1 address 0x76: no answer", "flaky /dev/i2c-1 address 0x76: no answer",
		"flaky /dev/i2c-1 address 0x76: bad chip id 0x00",
		"flaky /dev/i2c-1 address 0x76: bad chip id 0x00",
		NULL, NULL,
		"flaky /dev/i2c-1 address 0x76: no answer",
	};
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct wx_sensors *s;
	const struct wx_health *h;

	(void)state;
	memset(&flaky, 0, offsetof(struct flaky_state, mu));
	flaky.script = errors;
	flaky.len = sizeof(errors) / sizeof(errors[0]);
	log_capture();
	s = open_fakes(&flaky_driver, clock, false);
	h = wx_slot_health(wx_sensors_slot(s, 0));
	assert_false(h->tried);

	/* Four samples, the same error: one line, four failures. */
	for (int i = 0; i < 4; i++) {
		wx_clock_jump(clock, wx_clock_mono_ns(clock) + 5 * WX_NS_PER_S);
		assert_int_equal(sample_once(s), 0);
	}
	assert_int_equal(logged.warnings, 1);
	assert_non_null(strstr(logged.last, "no answer"));
	assert_true(h->tried);
	assert_false(h->ok);
	assert_int_equal(h->failures, 4);
	assert_string_equal(h->error, "flaky /dev/i2c-1 address 0x76: no answer");
	assert_int_equal(h->since_s, T0 / WX_NS_PER_S + 5);

	/* Another error: one more line; the error's start stays. */
	for (int i = 0; i < 2; i++) {
		wx_clock_jump(clock, wx_clock_mono_ns(clock) + 5 * WX_NS_PER_S);
		assert_int_equal(sample_once(s), 0);
	}
	assert_int_equal(logged.warnings, 2);
	assert_non_null(strstr(logged.last, "bad chip id"));
	assert_int_equal(h->failures, 6);
	assert_int_equal(h->since_s, T0 / WX_NS_PER_S + 5);

	/* Good again: "working again" once, no warning. */
	for (int i = 0; i < 2; i++) {
		wx_clock_jump(clock, wx_clock_mono_ns(clock) + 5 * WX_NS_PER_S);
		assert_int_equal(sample_once(s), 1);
	}
	assert_int_equal(logged.warnings, 2);
	assert_int_equal(logged.n, 3);
	assert_non_null(strstr(logged.last, "flaky: working again"));
	assert_true(h->ok);
	assert_int_equal(h->since_s, T0 / WX_NS_PER_S + 35);
	assert_int_equal(h->last_ok_s, T0 / WX_NS_PER_S + 40);

	/* The first error after a recovery is news again. */
	wx_clock_jump(clock, wx_clock_mono_ns(clock) + 5 * WX_NS_PER_S);
	assert_int_equal(sample_once(s), 0);
	assert_int_equal(logged.warnings, 3);
	assert_int_equal(h->failures, 7);
	assert_int_equal(h->since_s, T0 / WX_NS_PER_S + 45);

	/* Every failed read let the device go and the next one opened it
	 * afresh (a chip replaced is probed again): 7 failures closed it, and
	 * the first read and the 6 after a failure opened it. */
	assert_int_equal(flaky.samples, 9);
	assert_int_equal(flaky.closes, 7);
	assert_int_equal(flaky.opens, 7);
	wx_sensors_close(s);
	assert_int_equal(flaky.closes, 7);	/* closed already */
	wx_log_set_sink(NULL, NULL);
	wx_clock_free(clock);
}

static void wait_inside(bool inside)
{
	pthread_mutex_lock(&flaky.mu);
	while (flaky.inside != inside)
		pthread_cond_wait(&flaky.cv, &flaky.mu);
	pthread_mutex_unlock(&flaky.mu);
}

static void release_read(void)
{
	pthread_mutex_lock(&flaky.mu);
	flaky.release = true;
	pthread_cond_broadcast(&flaky.cv);
	pthread_mutex_unlock(&flaky.mu);
}

/* Threads: collect until n readings came, waiting on the eventfd. */
static int collect_threaded(struct wx_sensors *s)
{
	struct pollfd p = { .fd = wx_sensors_fd(s), .events = POLLIN };
	int good = 0;

	assert_true(p.fd >= 0);
	for (int tries = 0; tries < 100 && wx_sensors_busy(s); tries++)
		assert_true(poll(&p, 1, 100) >= 0);
	assert_false(wx_sensors_busy(s));
	wx_sensors_collect(s, count_good, &good);
	return good;
}

static void requests_while_a_read_is_in_progress_are_skipped(void **state)
{
	struct wx_clock *clock = wx_clock_real();
	struct wx_sensors *s;
	int good;

	(void)state;
	memset(&flaky, 0, offsetof(struct flaky_state, mu));
	flaky.block = true;
	s = open_fakes(&flaky_driver, clock, true);
	assert_false(wx_sensors_busy(s));

	wx_sensors_request(s);
	wait_inside(true);		/* the read has begun and hangs */
	assert_true(wx_sensors_busy(s));
	/* The loop keeps asking: nothing queues behind the hung read. */
	wx_sensors_request(s);
	wx_sensors_request(s);
	good = 0;
	assert_int_equal(wx_sensors_collect(s, count_good, &good), 0);
	release_read();
	assert_int_equal(collect_threaded(s), 1);
	assert_int_equal(flaky.samples, 1);

	/* A reading done but not yet collected also makes a request wait. */
	wx_sensors_request(s);
	wait_inside(true);
	release_read();
	wait_inside(false);
	for (int tries = 0; tries < 100 && wx_sensors_busy(s); tries++)
		poll(NULL, 0, 10);
	wx_sensors_request(s);		/* skipped: the last one is uncollected */
	assert_int_equal(collect_threaded(s), 1);
	assert_int_equal(flaky.samples, 2);

	/* And the next request after collecting is taken. */
	wx_sensors_request(s);
	wait_inside(true);
	release_read();
	assert_int_equal(collect_threaded(s), 1);
	assert_int_equal(flaky.samples, 3);
	assert_int_equal(flaky.opens, 1);
	wx_sensors_close(s);
	assert_int_equal(flaky.closes, 1);
	wx_clock_free(clock);
}

static void keep_taken(struct wx_slot *slot, const struct wx_record *r, int64_t taken,
		       void *arg)
{
	(void)slot;
	(void)r;
	*(int64_t *)arg = taken;
}

/* The loop collects a threaded reading at its next wake, up to a sample
 * period after it was taken: the reading keeps the time it was taken at
 * (a live answer gives its age from it), not the time it was collected. */
static void a_reading_collected_late_keeps_the_time_it_was_taken(void **state)
{
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct pollfd p;
	struct wx_sensors *s;
	int64_t taken = 0;

	(void)state;
	memset(&flaky, 0, offsetof(struct flaky_state, mu));
	s = open_fakes(&flaky_driver, clock, true);
	p = (struct pollfd){ .fd = wx_sensors_fd(s), .events = POLLIN };
	wx_clock_jump(clock, T0 + 2 * WX_NS_PER_S);
	wx_sensors_request(s);
	for (int tries = 0; tries < 100 && wx_sensors_busy(s); tries++)
		assert_true(poll(&p, 1, 100) >= 0);
	assert_false(wx_sensors_busy(s));
	wx_clock_jump(clock, T0 + 7 * WX_NS_PER_S);	/* the next wake */
	assert_int_equal(wx_sensors_collect(s, keep_taken, &taken), 1);
	assert_int_equal(taken, T0 + 2 * WX_NS_PER_S);

	/* Without threads, the reading is taken at the request. */
	wx_sensors_close(s);
	s = open_fakes(&flaky_driver, clock, false);
	wx_sensors_request(s);
	wx_clock_jump(clock, T0 + 12 * WX_NS_PER_S);
	assert_int_equal(wx_sensors_collect(s, keep_taken, &taken), 1);
	assert_int_equal(taken, T0 + 7 * WX_NS_PER_S);
	wx_sensors_close(s);
	wx_clock_free(clock);
}

/* A pulse line that fails: the read says -ENODEV (the chip went away), or
 * the open fails.  The slot closes it, says -ENODEV without trying again
 * for 10 s of station time, then reopens it. */
static struct {
	int opens, reads, fail_opens;
	int read_rc;			/* 0: one edge per read */
	struct wx_edgebus bus;
} line;

static int line_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts, size_t max)
{
	(void)bus; (void)max;
	line.reads++;
	if (line.read_rc)
		return line.read_rc;
	ts[0] = until_ns;
	return 1;
}

static void *line_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	(void)env;
	line.opens++;
	if (line.fail_opens) {
		line.fail_opens--;
		snprintf(err, errlen, "rain gpiochip0 line 6: Device or resource busy");
		errno = EBUSY;
		return NULL;
	}
	line.bus = (struct wx_edgebus){ .where = "gpiochip0 line 6", .fd = -1, .read = line_read,
					.close = script_close };
	return &line.bus;
}

static const struct wx_sensor_driver line_driver = {
	.name = "rain", .kind = WX_SENSOR_PULSE, .enabled = always, .open = line_open,
	.edges = script_edges, .debounce = script_debounce, .close = fake_close,
};

static void lost_line_is_reopened_after_enodev(void **state)
{
	struct wx_clock *clock = wx_clock_sim(T0, 0);
	struct wx_sensors *s;
	struct wx_slot *slot;
	int64_t ts[4];
	bool more;

	(void)state;
	memset(&line, 0, sizeof(line));
	log_capture();
	s = open_fakes(&line_driver, clock, false);
	slot = wx_sensors_find(s, "rain");
	assert_non_null(slot);
	assert_int_equal(line.opens, 1);
	assert_true(wx_slot_edges_ok(slot));
	assert_int_equal(wx_slot_edges(slot, T0, ts, 4, &more), 1);

	/* The line goes away. */
	line.read_rc = -ENODEV;
	wx_clock_jump(clock, T0 + WX_NS_PER_S);
	assert_int_equal(wx_slot_edges(slot, T0 + WX_NS_PER_S, ts, 4, &more), -ENODEV);
	assert_false(wx_slot_edges_ok(slot));
	assert_false(wx_slot_health(slot)->ok);
	assert_non_null(strstr(wx_slot_health(slot)->error, "rain gpiochip0 line 6"));
	assert_non_null(strstr(wx_slot_health(slot)->error, "(reopening)"));
	assert_int_equal(logged.warnings, 1);

	/* Not reopened before 10 s of station time. */
	line.read_rc = 0;
	for (int i = 2; i < 11; i++) {
		wx_clock_jump(clock, T0 + i * WX_NS_PER_S - 1);
		assert_int_equal(wx_slot_edges(slot, wx_clock_mono_ns(clock), ts, 4, &more),
				 -ENODEV);
	}
	assert_int_equal(line.opens, 1);
	assert_int_equal(line.reads, 2);

	/* At 11 s: the open fails (line busy): -ENODEV, logged, 10 s more. */
	line.fail_opens = 1;
	wx_clock_jump(clock, T0 + 11 * WX_NS_PER_S);
	assert_int_equal(wx_slot_edges(slot, wx_clock_mono_ns(clock), ts, 4, &more), -ENODEV);
	assert_int_equal(line.opens, 2);
	assert_int_equal(logged.warnings, 2);
	assert_non_null(strstr(wx_slot_health(slot)->error, "busy"));
	wx_clock_jump(clock, T0 + 20 * WX_NS_PER_S);
	assert_int_equal(wx_slot_edges(slot, wx_clock_mono_ns(clock), ts, 4, &more), -ENODEV);
	assert_int_equal(line.opens, 2);

	/* At 21 s it opens, counts again and says so once. */
	wx_clock_jump(clock, T0 + 21 * WX_NS_PER_S);
	assert_int_equal(wx_slot_edges(slot, wx_clock_mono_ns(clock), ts, 4, &more), 1);
	assert_int_equal(line.opens, 3);
	assert_true(wx_slot_edges_ok(slot));
	assert_true(wx_slot_health(slot)->ok);
	assert_int_equal(logged.warnings, 2);
	assert_non_null(strstr(logged.last, "rain: working again"));
	assert_int_equal(wx_slot_health(slot)->failures, 2);
	wx_sensors_close(s);
	wx_log_set_sink(NULL, NULL);
	wx_clock_free(clock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_enabled_driver_of_a_long_table_gets_a_slot),
		cmocka_unit_test(every_driver_of_the_registry_gets_a_slot_under_sim),
		cmocka_unit_test(lost_edges_give_eoverflow_once_after_the_edges_of_that_read),
		cmocka_unit_test(slot_edges_reports_each_loss_once_and_drops_no_edge),
		cmocka_unit_test(every_driver_row_is_a_section_of_its_kits_with_a_probe),
		cmocka_unit_test(kit_sections_are_listed_in_table_order),
		cmocka_unit_test(read_error_is_logged_once_per_change_not_per_sample),
		cmocka_unit_test(requests_while_a_read_is_in_progress_are_skipped),
		cmocka_unit_test(a_reading_collected_late_keeps_the_time_it_was_taken),
		cmocka_unit_test(lost_line_is_reopened_after_enodev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
