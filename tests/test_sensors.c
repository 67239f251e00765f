/* The station's sensor slots (firmware/sensors.c): one slot for every
 * enabled driver of the table, and the lost-edges contract of
 * wx_slot_edges() that the daemon's loop relies on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_edges.h"
#include "firmware/clock.h"
#include "firmware/config.h"
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

	/* The reader stalls for a second: the 16-place FIFO overflows. */
	lost0 = wx_slot_lost(r.wind);
	wx_clock_jump(r.clock, wx_clock_mono_ns(r.clock) + WX_NS_PER_S);
	n = wx_slot_edges(r.wind, wx_clock_mono_ns(r.clock), ts, 256, &more);
	assert_true(n > 0);		/* the edges that were kept still come */
	assert_true(more);		/* and the caller is asked back */
	assert_true(wx_slot_lost(r.wind) > lost0);
	n = wx_slot_edges(r.wind, wx_clock_mono_ns(r.clock), ts, 256, &more);
	assert_int_equal(n, -EOVERFLOW);
	assert_false(more);
	assert_true(wx_slot_edges_ok(r.wind));	/* the line stays open */

	/* Reported once: the next pass counts normally again. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_enabled_driver_of_a_long_table_gets_a_slot),
		cmocka_unit_test(every_driver_of_the_registry_gets_a_slot_under_sim),
		cmocka_unit_test(lost_edges_give_eoverflow_once_after_the_edges_of_that_read),
		cmocka_unit_test(slot_edges_reports_each_loss_once_and_drops_no_edge),
		cmocka_unit_test(every_driver_row_is_a_section_of_its_kits_with_a_probe),
		cmocka_unit_test(kit_sections_are_listed_in_table_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
