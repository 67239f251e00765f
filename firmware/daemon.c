/* The station daemon.
 *
 * One thread runs the loop below; sampled sensors read in threads of their
 * own (sensors.c).  The network side (uploads, the web page) is
 * another process, wxd-net, which wxd starts and supervises when the
 * configuration gives it work (netside.h) and which reads the archive by
 * itself: nothing here waits for the network.  Everything is timed
 * on the station clock: real, or simulated at some speed, or simulated flat
 * out (speed 0), where the loop jumps from one due event to the next.
 *
 * An interval runs from one boundary of the wall clock to the next (every
 * minute on the minute for interval_s = 60).  Sensors are sampled at the
 * middle of each of the interval's sample periods, so no sample straddles a
 * boundary; pulses are assigned by their own timestamps.  The first
 * interval after a start is usually short: it is written with the seconds
 * it really covered, so not a pulse or a tip is lost.  On stop, the interval
 * in progress is dropped, never written half. */
#include "firmware/daemon.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/archive.h"
#include "drivers/pulse.h"
#include "firmware/core/clock.h"
#include "firmware/daemon_int.h"
#include "firmware/core/log.h"
#include "firmware/notify.h"

/* ---- time helpers ---------------------------------------------------------- */

int64_t wx_daemon_real_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * WX_NS_PER_S + ts.tv_nsec;
}

/* ---- intervals ------------------------------------------------------------ */

static void begin_interval(struct daemon *d, int64_t start_mono, int64_t end_mono,
			   int64_t end_wall)
{
	int64_t i_ns = (int64_t)d->cfg->station.interval_s * WX_NS_PER_S;

	d->end_wall_ns = end_wall;
	wx_interval_start(d->iv, start_mono, end_mono);
	/* Sample at the middle of each period of the nominal interval. */
	d->next_sample = end_mono - i_ns + d->period_ns / 2;
	while (d->next_sample < start_mono)
		d->next_sample += d->period_ns;
	for (int i = 0; i < d->npulse; i++)
		if (!wx_slot_edges_ok(d->pulse[i].slot))
			wx_interval_pulses_lost(d->iv, d->pulse[i].fills);
}

/* Aim the interval starting at start_mono at the next boundary of the wall
 * clock (at start, and after the clock was stepped).  The wall clock is
 * read apart from the monotonic one, so the reading can land a few ns
 * before the boundary just reached: a boundary less than 1 ms away is taken
 * as reached, never as an interval of its own. */
static void anchor_interval(struct daemon *d, int64_t start_mono)
{
	int64_t i_ns = (int64_t)d->cfg->station.interval_s * WX_NS_PER_S;
	int64_t wall = wx_clock_wall_at(d->clock, start_mono);
	int64_t end_wall = (wall / i_ns + 1) * i_ns;

	if (end_wall - wall < WX_NS_PER_MS)
		end_wall += i_ns;
	d->anchor_synced = wx_clock_synchronised(d->clock);
	begin_interval(d, start_mono, start_mono + (end_wall - wall), end_wall);
}

static void add_edges(struct daemon *d, struct pulse_line *p, const int64_t *ts, size_t n);

static void feed_carry(struct daemon *d, struct pulse_line *p)
{
	struct carry *c = &p->carry;
	size_t n = c->n;
	int64_t *ts;

	if (!n)
		return;
	ts = c->ts;
	c->ts = NULL;
	c->n = c->cap = 0;
	add_edges(d, p, ts, n);
	free(ts);
}

/* Store the interval that ended and begin the next: one interval later on
 * both clocks (never re-derived from a clock reading, which would drift and
 * could pick the boundary just passed again). */
static void finish_interval(struct daemon *d)
{
	struct wx_record r;
	int64_t end = wx_interval_end_ns(d->iv);
	int64_t i = d->cfg->station.interval_s;
	bool synced = wx_clock_synchronised(d->clock);
	/* Its boundary is its time when the schedule was anchored on a
	 * synchronised clock that is still synchronised and has not been
	 * stepped since; else the storage path labels it from the monotonic
	 * time it ended, once the clock is synchronised. */
	int64_t ts = synced && d->anchor_synced && !d->reanchor ? d->end_wall_ns / WX_NS_PER_S : 0;

	wx_interval_finish(d->iv, ts, &r);
	wx_storage_put(d->storage, &r, end, ts);
	if (d->reanchor || (!d->anchor_synced && synced)) {
		/* Aimed anew: the record just stored is labelled with the
		 * boundary nearest its end, and the next ends one interval
		 * after that label (between half and one and a half intervals
		 * away), so labels stay one interval apart. */
		int64_t wall = wx_clock_wall_at(d->clock, end);
		int64_t next = (wx_storage_label(d->clock, end, (int)i) + i) * WX_NS_PER_S;

		d->reanchor = false;
		d->anchor_synced = synced;
		begin_interval(d, end, end + (next - wall), next);
	} else {
		begin_interval(d, end, end + i * WX_NS_PER_S, d->end_wall_ns + i * WX_NS_PER_S);
	}
	for (int k = 0; k < d->npulse; k++)
		feed_carry(d, &d->pulse[k]);
}

/* ---- pulses ------------------------------------------------------------- */

static void live_wind_add(struct daemon *d, const int64_t *ts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t sec = ts[i] / WX_NS_PER_S;
		size_t k = (size_t)(sec % (LIVE_WIND_S + 2));

		if (d->wind_sec[k] != sec) {
			d->wind_sec[k] = sec;
			d->wind_cnt[k] = 0;
		}
		d->wind_cnt[k]++;
	}
}

/* Edges of the interval in progress count in it (by their timestamps, not
 * by when they were read); later ones wait in the slot's carry. */
static void add_edges(struct daemon *d, struct pulse_line *p, const int64_t *ts, size_t n)
{
	int64_t end = wx_interval_end_ns(d->iv);
	struct carry *c = &p->carry;
	size_t in = 0;

	while (in < n && ts[in] < end)
		in++;
	wx_interval_add_pulses(d->iv, p->fills, ts, in);
	/* The live readings (daemon_answer.c) of wind and rain. */
	if (p->fills & WX_Q(WX_WIND_PULSES)) {
		live_wind_add(d, ts, in);
		d->wind_total += in;
	}
	if (p->fills & WX_Q(WX_RAIN_TIPS))
		for (size_t k = 0; k < in; k++)
			d->rain_tip[d->rain_tips_total++ % RAIN_RING] = ts[k];
	if (in < n) {
		if (c->n + (n - in) > c->cap) {
			size_t cap = (c->n + (n - in)) * 2;
			int64_t *nt = realloc(c->ts, cap * sizeof(*nt));

			if (!nt) {
				wx_log_warnx("%s: out of memory: %zu edges dropped",
					     wx_slot_driver(p->slot)->name, n - in);
				return;
			}
			c->ts = nt;
			c->cap = cap;
		}
		memcpy(c->ts + c->n, ts + in, (n - in) * sizeof(*ts));
		c->n += n - in;
	}
}

/* Read what the slot's line holds up to station time until.  Returns the
 * raw edges read (kept and rejected as bounce). */
static uint64_t drain_slot(struct daemon *d, struct pulse_line *p, int64_t until)
{
	int64_t ts[EDGE_BATCH];
	uint64_t kept = 0, rejected;
	bool more;
	int n;

	do {
		n = wx_slot_edges(p->slot, until, ts, EDGE_BATCH, &more);
		if (n < 0) {
			wx_interval_pulses_lost(d->iv, p->fills);
			break;
		}
		add_edges(d, p, ts, (size_t)n);
		kept += (uint64_t)n;
	} while (more);
	rejected = wx_slot_rejected(p->slot);
	kept += rejected - p->rejected;
	p->rejected = rejected;
	return kept;
}

/* How long (station ns) the next batch of p's edges may wait in the kernel:
 * a share of its buffer at the rate lately seen.  The rate follows a rise
 * at once and a fall by halves, and a batch is at most twice the last (from
 * BATCH_MIN_NS at start), so one batch can meet a gust that grows the rate
 * up to 1 / BATCH_FILL times before the batches shorten. */
static int64_t batch_ns(struct daemon *d, struct pulse_line *p, uint64_t raw, int64_t now)
{
	double speed = d->opts.speed > 1 ? d->opts.speed : 1;
	int64_t span = now - p->read_at, b = (int64_t)(BATCH_MAX_NS * speed);
	double rate;

	if (span >= WX_NS_PER_MS) {
		double seen = (double)raw * WX_NS_PER_S / (double)span;

		p->rate = seen >= p->rate ? seen : (p->rate + seen) / 2;
		p->read_at = now;
	}
	rate = p->rate > BATCH_FLOOR_RATE ? p->rate : BATCH_FLOOR_RATE;
	if (rate * (double)b / WX_NS_PER_S > BATCH_FILL * (double)wx_slot_depth(p->slot))
		b = (int64_t)(BATCH_FILL * (double)wx_slot_depth(p->slot) / rate * WX_NS_PER_S -
			      BATCH_LATE_NS * speed);
	if (b > 2 * p->batch)
		b = 2 * p->batch;
	if (b < BATCH_MIN_NS * speed)
		b = (int64_t)(BATCH_MIN_NS * speed);
	p->batch = b;
	return b;
}

static void restart_batches(struct daemon *d)
{
	int64_t min = (int64_t)(BATCH_MIN_NS * (d->opts.speed > 1 ? d->opts.speed : 1));

	for (int i = 0; i < d->npulse; i++)
		d->pulse[i].batch = min;
	if (d->npulse)
		d->next_drain = wx_clock_mono_ns(d->clock) + min;
}

/* Take the edges up to station time now, and time the next batch.  Their
 * timestamps carry the timing, so the loop need not wake for each edge:
 * the lines are read in batches only as long as their kernel buffers can
 * hold.  Simulated buses model that buffer, so flat out they are read in
 * steps no longer than the loop would leave them in real time. */
static void drain_edges(struct daemon *d, int64_t now)
{
	int64_t next = now + (int64_t)(BATCH_MAX_NS * (d->opts.speed > 1 ? d->opts.speed : 1));

	if (d->opts.sim && d->opts.speed == 0) {
		while (d->drained_to < now) {
			d->drained_to = d->drained_to + SIM_DRAIN_NS < now ? d->drained_to + SIM_DRAIN_NS
									   : now;
			for (int i = 0; i < d->npulse; i++)
				drain_slot(d, &d->pulse[i], d->drained_to);
		}
		return;
	}
	for (int i = 0; i < d->npulse; i++) {
		struct pulse_line *p = &d->pulse[i];
		int64_t b = batch_ns(d, p, drain_slot(d, p, now), now);

		if (now + b < next)
			next = now + b;
	}
	d->drained_to = now;
	d->next_drain = next;
}

/* ---- samples ------------------------------------------------------------- */

static void on_sample(struct wx_slot *slot, const struct wx_record *r, void *arg)
{
	struct daemon *d = arg;
	int64_t now = wx_clock_mono_ns(d->clock);

	(void)slot;
	wx_interval_add_sample(d->iv, r);
	if (wx_record_has(r, WX_WIND_DIRECTION_DEG))
		wx_interval_add_direction(d->iv, r->v[WX_WIND_DIRECTION_DEG], d->vane_weight);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_record_has(r, (enum wx_quantity)q)) {
			wx_record_set(&d->latest, (enum wx_quantity)q, r->v[q]);
			d->latest_mono[q] = now;
		}
}

static void request_samples(struct daemon *d)
{
	/* The vane reading stands for the wind run since the previous one. */
	if (d->wind && wx_slot_health(d->wind)->ok)
		d->vane_weight = (double)(d->wind_total - d->wind_at_request);
	else
		d->vane_weight = 1;
	d->wind_at_request = d->wind_total;
	wx_sensors_request(d->sensors);
	if (wx_sensors_fd(d->sensors) < 0) {
		wx_sensors_collect(d->sensors, on_sample, d);	/* taken already */
		return;
	}
	/* The readings come in threads, each in its own time: the loop takes
	 * them when it wakes anyway (a batch of edges), not for each one, but
	 * waits for them by a quarter period, well before the interval ends. */
	d->sampling = true;
	d->collect_by = wx_clock_mono_ns(d->clock) + d->period_ns / 4;
}

/* Take the threaded readings that are ready: at each wake while some are
 * pending (a look at the eventfd that never waits), and once collect_by is
 * passed, woken by the eventfd. */
static void collect_samples(struct daemon *d, bool ready)
{
	struct pollfd pfd = { .fd = wx_sensors_fd(d->sensors), .events = POLLIN };
	bool busy;

	if (!d->sampling)
		return;
	if (!ready && (poll(&pfd, 1, 0) != 1 || !pfd.revents))
		return;
	/* Asked before collecting: a reading that ends in between is then
	 * taken now or at a later wake, never left behind. */
	busy = wx_sensors_busy(d->sensors);
	wx_sensors_collect(d->sensors, on_sample, d);
	d->sampling = busy;
}

/* ---- clock steps ------------------------------------------------------- */

/* The wall clock moved against the monotonic one (NTP stepped it, or
 * somebody set it).  The new time is trusted from the end of the interval
 * in progress on: that interval is labelled by the new clock and the
 * schedule anchored anew.  Records already stored are never relabelled, so
 * what an uploader sent is never contradicted; after a step back the
 * storage path labels new records after the newest until the clock catches
 * up (see storage.h). */
static void watch_clock(struct daemon *d)
{
	int64_t off = wx_clock_wall_at(d->clock, 0);
	int64_t delta = off - d->offset_ns;

	if (delta > WX_NS_PER_S || delta < -WX_NS_PER_S) {
		d->offset_ns = off;
		d->reanchor = true;
		wx_log_warnx("clock stepped %s by %lld s", delta < 0 ? "back" : "forward",
			     (long long)(delta / WX_NS_PER_S));
	}
}

/* ---- set-up -------------------------------------------------------------- */

static int64_t sim_start_ns(const struct wx_config *cfg, const struct wx_daemon_opts *opts)
{
	int64_t now = (int64_t)time(NULL), newest = 0, i = cfg->station.interval_s;
	struct wx_archive *a;
	char err[512];

	/* --start WHEN: there instead, rounded down to the interval so that
	 * records stay on its boundaries and none lies after WHEN's interval
	 * (make demo's "--start -24h --duration 24h" ends at the last full
	 * minute, not in the future). */
	if (opts->has_start) {
		int64_t t = opts->start_s;

		return (t >= 0 ? t / i : -((-t + i - 1) / i)) * i * WX_NS_PER_S;
	}
	/* Resume after the newest record, so that a simulated run can be stopped
	 * and continued on the same database. */
	a = wx_archive_open(cfg->station.database, err, sizeof(err));
	if (a) {
		wx_archive_newest_ts(a, &newest);
		wx_archive_close(a);
	}
	if (newest > now)
		now = newest;
	return ((now + i - 1) / i) * i * WX_NS_PER_S;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);	/* the network side, when it is our child */
	/* Blocked before any thread starts, so that every thread inherits it. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Tests only: WXD_SIM_REAL_CLOCK=1 runs the simulated devices on the real
 * clock, so that the schedule is tested against two real clocks read apart
 * (the simulated clock computes wall time exactly and hides such faults). */
static struct wx_clock *open_clock(const struct wx_daemon_opts *o, const struct wx_config *cfg)
{
	const char *real = getenv("WXD_SIM_REAL_CLOCK");

	if (!o->sim || (real && strcmp(real, "1") == 0 && o->speed == 1))
		return wx_clock_real();
	return wx_clock_sim(sim_start_ns(cfg, o), o->speed);
}

static int setup(struct daemon *d)
{
	struct wx_sensor_env env = { .cfg = d->cfg };
	bool threaded = !(d->opts.sim && d->opts.speed == 0);
	char err[512];

	d->sigfd = open_signals();
	if (d->sigfd < 0) {
		wx_log_warn("signalfd");
		return -errno;
	}
	d->iv = wx_interval_new(d->cfg);
	if (!d->iv)
		return -ENOMEM;
	d->clock = open_clock(&d->opts, d->cfg);
	if (!d->clock)
		return -ENOMEM;
	if (d->opts.sim) {
		d->sim = wx_sim_new(d->cfg, d->clock);
		if (!d->sim)
			return -ENOMEM;
		env.sim = d->sim;
	}
	d->live = wx_live_open(d->cfg->station.socket, wx_daemon_answer, d, err, sizeof(err));
	if (!d->live) {
		wx_log_warnx("%s", err);
		return -EIO;
	}
	d->sensors = wx_sensors_open(&env, d->clock, threaded);
	if (!d->sensors)
		return -ENOMEM;
	for (int i = 0; i < wx_sensors_count(d->sensors); i++) {
		struct wx_slot *slot = wx_sensors_slot(d->sensors, i);
		const struct wx_sensor_driver *drv = wx_slot_driver(slot);
		struct pulse_line *p;

		if (drv->kind != WX_SENSOR_PULSE)
			continue;
		if (d->npulse == MAX_PULSE_SLOTS) {
			wx_log_warnx("%s: more than %d pulse sensors: not counted", drv->name,
				     MAX_PULSE_SLOTS);
			continue;
		}
		p = &d->pulse[d->npulse++];
		p->slot = slot;
		p->fills = drv->quantities;
		p->rejected = wx_slot_rejected(slot);
		if (!d->wind && (p->fills & WX_Q(WX_WIND_PULSES)))
			d->wind = slot;
		if (!d->rain && (p->fills & WX_Q(WX_RAIN_TIPS)))
			d->rain = slot;
	}
	/* A station whose archive cannot be opened still samples: records wait
	 * in memory (status says so) until it can be written.  The network side
	 * learns of new records from the archive itself. */
	d->storage = wx_storage_open(d->cfg, d->clock, threaded, NULL, NULL);
	if (!d->storage)
		return -errno;

	d->period_ns = (int64_t)d->cfg->station.interval_s * WX_NS_PER_S / 12;
	if (d->period_ns < 2 * WX_NS_PER_S)
		d->period_ns = 2 * WX_NS_PER_S;
	if (d->period_ns > 30 * WX_NS_PER_S)
		d->period_ns = 30 * WX_NS_PER_S;
	d->start_mono = wx_clock_mono_ns(d->clock);
	d->start_real = wx_daemon_real_mono_ns();
	d->offset_ns = wx_clock_wall_at(d->clock, 0);
	d->drained_to = d->next_drain = d->start_mono;
	for (int i = 0; i < d->npulse; i++)
		d->pulse[i].read_at = d->start_mono;
	restart_batches(d);
	d->stop_at = d->opts.duration_s ? d->start_mono + d->opts.duration_s * WX_NS_PER_S : 0;
	d->started_wall_s = wx_clock_wall_ns(d->clock) / WX_NS_PER_S;
	anchor_interval(d, d->start_mono);
	d->watchdog_usec = wx_notify_watchdog_usec();
	d->net = wx_netside_open(d->cfg, d->opts.config_path, d->opts.sim, d->opts.verbose);
	if (!d->net)
		return -ENOMEM;
	return 0;
}

static void teardown(struct daemon *d)
{
	if (d->sensors)
		wx_sensors_close(d->sensors);
	/* What waits is written if it can be... */
	wx_storage_close(d->storage);
	/* ... then the network side gets up to 10 s to deliver what is pending
	 * (and is killed at 11 s). */
	wx_netside_close(d->net);
	wx_live_close(d->live);
	wx_sim_free(d->sim);
	wx_clock_free(d->clock);
	wx_interval_free(d->iv);
	for (int i = 0; i < d->npulse; i++)
		free(d->pulse[i].carry.ts);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

/* ---- the loop ------------------------------------------------------------ */

static int64_t next_due(struct daemon *d)
{
	int64_t t = wx_interval_end_ns(d->iv);

	if (d->next_sample < t)
		t = d->next_sample;
	if (d->stop_at && d->stop_at < t)
		t = d->stop_at;
	return t;
}

/* Wait (real time) for the next event or an fd, and serve the fds.  The
 * GPIO lines are not polled: their edges wait in the kernel for the next
 * batch (drain_edges), so an edge wakes nobody. */
static void wait_and_serve(struct daemon *d, int64_t due)
{
	struct pollfd fds[MAX_POLLFDS];
	int n = 0, nlive, timeout_ms, live_at, samples_at = -1;
	int64_t wait_ns = wx_clock_real_wait_ns(d->clock, due);
	bool flat_out = d->opts.sim && d->opts.speed == 0, sigchld = false, live_due;

	fds[n++] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
	if (d->sampling && (flat_out || due > d->collect_by)) {
		samples_at = n;
		fds[n++] = (struct pollfd){ .fd = wx_sensors_fd(d->sensors), .events = POLLIN };
	}
	live_at = n;
	nlive = wx_live_pollfds(d->live, fds + n, MAX_POLLFDS - n);
	n += nlive;

	if (flat_out) {
		timeout_ms = 0;
	} else {
		/* At least every second: a closed line is retried, clients that
		 * went quiet are dropped, the watchdog is fed. */
		if (wait_ns > BATCH_MAX_NS)
			wait_ns = BATCH_MAX_NS;
		timeout_ms = (int)((wait_ns + WX_NS_PER_MS - 1) / WX_NS_PER_MS);
	}
	if (d->watchdog_usec) {
		int64_t now = wx_daemon_real_mono_ns();

		if (now - d->last_watchdog > (int64_t)d->watchdog_usec * 1000 / 2) {
			wx_notify("WATCHDOG=1");
			d->last_watchdog = now;
		}
	}
	if (poll(fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR) {
		wx_log_warn("poll");
		return;
	}
	if (fds[0].revents) {
		struct signalfd_siginfo si;

		while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD) {
				sigchld = true;	/* reaped below */
				continue;
			}
			wx_log_info("signal %u: stopping", si.ssi_signo);
			d->stop = true;
		}
	}
	wx_netside_poll(d->net, sigchld);
	/* The live socket only when a client came or wrote, or while one is
	 * connected (its time-out). */
	live_due = nlive > 1;
	for (int k = live_at; k < live_at + nlive; k++)
		live_due = live_due || fds[k].revents;
	if (live_due) {
		wx_live_serve(d->live, fds + live_at, nlive);
		/* A client may have changed the simulated world at a stroke
		 * (sim gust): the batches start short again, as at start. */
		if (d->opts.sim && !flat_out)
			restart_batches(d);
	}
	collect_samples(d, samples_at >= 0 && fds[samples_at].revents);
}

static void run(struct daemon *d)
{
	bool flat_out = d->opts.sim && d->opts.speed == 0;

	while (!d->stop) {
		int64_t due = next_due(d), now;

		if (flat_out)
			wx_clock_jump(d->clock, due);
		else if (d->npulse && d->next_drain < due)
			due = d->next_drain;
		wait_and_serve(d, due);
		now = wx_clock_mono_ns(d->clock);
		watch_clock(d);
		drain_edges(d, now);
		/* At one instant: close the interval, then sample, then stop, so
		 * that the record ending exactly at the end of --duration is kept. */
		if (now >= wx_interval_end_ns(d->iv))
			finish_interval(d);
		if (now >= d->next_sample) {
			request_samples(d);
			d->next_sample += d->period_ns;
			while (d->next_sample <= now)
				d->next_sample += d->period_ns;	/* overslept */
		}
		if (!d->stop)
			wx_storage_poll(d->storage);
		if (d->stop_at && now >= d->stop_at) {
			wx_log_info("--duration reached: stopping");
			d->stop = true;
		}
	}
}

int wx_daemon_run(const struct wx_config *cfg, const struct wx_daemon_opts *opts)
{
	struct daemon d = { .cfg = cfg, .opts = *opts, .sigfd = -1 };
	int rc;

	rc = setup(&d);
	if (rc == 0) {
		wx_log_info("station %s started%s: %d sensors, interval %d s, archive %s",
			    cfg->station.id, opts->sim ? " (simulated)" : "",
			    wx_sensors_count(d.sensors), cfg->station.interval_s,
			    cfg->station.database);
		wx_notify("READY=1");
		run(&d);
		wx_notify("STOPPING=1");
	}
	teardown(&d);
	return rc;
}
