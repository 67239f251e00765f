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

/* Begin the interval [start_mono, end_mono) that the schedule set. */
static void begin_interval(struct daemon *d, int64_t start_mono, int64_t end_mono)
{
	wx_interval_start(d->iv, start_mono, end_mono);
	for (int i = 0; i < d->pulses.n; i++)
		if (!wx_slot_edges_ok(d->pulses.line[i].slot))
			wx_interval_pulses_lost(d->iv, d->pulses.line[i].fills);
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

/* Store the interval that ended and begin the next, as the schedule says
 * (schedule.h); the edges read early for it count in it. */
static void finish_interval(struct daemon *d)
{
	struct wx_record r;
	int64_t end = wx_interval_end_ns(d->iv), ts;
	int64_t next = wx_schedule_turn(&d->sched, end, &ts);

	wx_interval_finish(d->iv, ts, &r);
	wx_storage_put(d->storage, &r, end, ts);
	begin_interval(d, end, next);
	for (int k = 0; k < d->pulses.n; k++)
		feed_carry(d, &d->pulses.line[k]);
}

/* ---- pulses ------------------------------------------------------------- */

struct wx_slot *wx_daemon_pulse_slot(const struct daemon *d, enum wx_quantity q)
{
	for (int i = 0; i < d->pulses.n; i++)
		if (d->pulses.line[i].fills & WX_Q(q))
			return d->pulses.line[i].slot;
	return NULL;
}

bool wx_daemon_pulse_ok(const struct daemon *d, enum wx_quantity q)
{
	struct wx_slot *slot = wx_daemon_pulse_slot(d, q);

	return slot && wx_slot_health(slot)->ok;
}

/* Edges counted since start by the slots filling q. */
static uint64_t pulses_counted(const struct daemon *d, enum wx_quantity q)
{
	uint64_t n = 0;

	for (int i = 0; i < d->pulses.n; i++)
		if (d->pulses.line[i].fills & WX_Q(q))
			n += d->pulses.line[i].counted;
	return n;
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
	wx_readings_edges(&d->readings, p->fills, ts, in);
	p->counted += in;
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

/* Is p's line polled (drained at each wake its fd gives) rather than read
 * in batches?  A real line with a shallow kernel queue (BATCH_MIN_DEPTH). */
static bool polled(const struct pulse_line *p)
{
	return wx_slot_fd(p->slot) >= 0 && wx_slot_depth(p->slot) < BATCH_MIN_DEPTH;
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

/* The batches up to the next due event (a sample, the interval's end) are
 * made equal, none longer than next - now, so that the event's wake is a
 * batch's wake too instead of one of its own. */
static int64_t spread(int64_t now, int64_t next, int64_t due)
{
	int64_t b = next - now, left = due - now;

	if (b <= 0 || left <= b)
		return next;
	return now + left / ((left + b - 1) / b);
}

static int64_t next_due(struct daemon *d);

static void restart_batches(struct daemon *d)
{
	int64_t min = (int64_t)(BATCH_MIN_NS * (d->opts.speed > 1 ? d->opts.speed : 1));

	for (int i = 0; i < d->pulses.n; i++)
		d->pulses.line[i].batch = min;
	if (d->pulses.n)
		d->pulses.next_drain = wx_clock_mono_ns(d->clock) + min;
}

/* Take the edges up to station time now, and time the next batch.  Their
 * timestamps carry the timing, so the loop need not wake for each edge:
 * the lines are read in batches only as long as their kernel buffers can
 * hold.  Simulated buses model that buffer, so flat out they are read in
 * steps no longer than the loop would leave them in real time. */
static void drain_edges(struct daemon *d, int64_t now)
{
	struct pulse_lines *l = &d->pulses;
	int64_t next = now + (int64_t)(BATCH_MAX_NS * (d->opts.speed > 1 ? d->opts.speed : 1));

	if (d->opts.sim && d->opts.speed == 0) {
		while (l->drained_to < now) {
			l->drained_to = l->drained_to + SIM_DRAIN_NS < now ? l->drained_to + SIM_DRAIN_NS
									   : now;
			for (int i = 0; i < l->n; i++)
				drain_slot(d, &l->line[i], l->drained_to);
		}
		return;
	}
	for (int i = 0; i < l->n; i++) {
		struct pulse_line *p = &l->line[i];
		uint64_t raw = drain_slot(d, p, now);
		int64_t b;

		if (polled(p))
			continue;	/* its fd wakes the loop */
		b = batch_ns(d, p, raw, now);
		if (now + b < next)
			next = now + b;
	}
	l->drained_to = now;
	l->next_drain = spread(now, next, next_due(d));
}

/* ---- samples ------------------------------------------------------------- */

static void on_sample(struct wx_slot *slot, const struct wx_record *r, int64_t taken, void *arg)
{
	struct daemon *d = arg;

	(void)slot;
	wx_interval_add_sample(d->iv, r);
	if (wx_record_has(r, WX_WIND_DIRECTION_DEG))
		wx_interval_add_direction(d->iv, r->v[WX_WIND_DIRECTION_DEG], d->round.vane_weight);
	wx_readings_sample(&d->readings, r, taken);
}

static void request_samples(struct daemon *d)
{
	struct sample_round *o = &d->round;
	uint64_t run = pulses_counted(d, WX_WIND_PULSES);

	/* The vane reading stands for the wind run since the previous one. */
	if (wx_daemon_pulse_ok(d, WX_WIND_PULSES))
		o->vane_weight = (double)(run - o->run_at_request);
	else
		o->vane_weight = 1;
	o->run_at_request = run;
	wx_sensors_request(d->sensors);
	if (wx_sensors_fd(d->sensors) < 0) {
		wx_sensors_collect(d->sensors, on_sample, d);	/* taken already */
		return;
	}
	/* The readings come in threads, each in its own time: the loop takes
	 * them when it wakes anyway, not for each one: at the next sample's
	 * wake (the batches of edges are spread to end there), or the
	 * interval's end after its last sample (that wake takes them before it
	 * closes the interval), or when a client asks.  Only a reading not
	 * ready by the next sample is waited for. */
	o->pending = true;
	o->collect_by = wx_clock_mono_ns(d->clock) + d->sched.period_ns;
}

/* Take the threaded readings that are ready: at each wake while some are
 * pending (a look at the eventfd that never waits), and once collect_by is
 * passed, woken by the eventfd. */
static void collect_samples(struct daemon *d, bool ready)
{
	struct pollfd pfd = { .fd = wx_sensors_fd(d->sensors), .events = POLLIN };
	bool busy;

	if (!d->round.pending)
		return;
	if (!ready && (poll(&pfd, 1, 0) != 1 || !pfd.revents))
		return;
	/* Asked before collecting: a reading that ends in between is then
	 * taken now or at a later wake, never left behind. */
	busy = wx_sensors_busy(d->sensors);
	wx_sensors_collect(d->sensors, on_sample, d);
	d->round.pending = busy;
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

	d->run.sigfd = open_signals();
	if (d->run.sigfd < 0) {
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
		if (d->pulses.n == MAX_PULSE_SLOTS) {
			wx_log_warnx("%s: more than %d pulse sensors: not counted", drv->name,
				     MAX_PULSE_SLOTS);
			continue;
		}
		p = &d->pulses.line[d->pulses.n++];
		p->slot = slot;
		p->fills = drv->quantities;
		p->rejected = wx_slot_rejected(slot);
	}
	/* A station whose archive cannot be opened still samples: records wait
	 * in memory (status says so) until it can be written.  The network side
	 * learns of new records from the archive itself. */
	d->storage = wx_storage_open(d->cfg, d->clock, threaded, NULL, NULL);
	if (!d->storage)
		return -errno;

	d->run.start_mono = wx_clock_mono_ns(d->clock);
	d->run.start_real = wx_daemon_real_mono_ns();
	wx_schedule_init(&d->sched, d->clock, d->cfg->station.interval_s);
	d->pulses.drained_to = d->pulses.next_drain = d->run.start_mono;
	for (int i = 0; i < d->pulses.n; i++)
		d->pulses.line[i].read_at = d->run.start_mono;
	restart_batches(d);
	d->run.stop_at = d->opts.duration_s ? d->run.start_mono + d->opts.duration_s * WX_NS_PER_S : 0;
	begin_interval(d, d->run.start_mono, wx_schedule_anchor(&d->sched, d->run.start_mono));
	d->run.watchdog_usec = wx_notify_watchdog_usec();
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
	for (int i = 0; i < d->pulses.n; i++)
		free(d->pulses.line[i].carry.ts);
	if (d->run.sigfd >= 0)
		close(d->run.sigfd);
}

/* ---- the loop ------------------------------------------------------------ */

static int64_t next_due(struct daemon *d)
{
	int64_t t = wx_interval_end_ns(d->iv);

	if (d->sched.next_sample < t)
		t = d->sched.next_sample;
	if (d->run.stop_at && d->run.stop_at < t)
		t = d->run.stop_at;
	return t;
}

/* Wait (real time) for the next event or an fd, and serve the fds.  A line
 * read in batches is not polled: its edges wait in the kernel for the next
 * batch (drain_edges), so an edge wakes nobody.  A line with a shallow
 * kernel queue is polled (polled()): its first edge wakes the loop. */
static void wait_and_serve(struct daemon *d, int64_t due)
{
	struct pollfd fds[MAX_POLLFDS];
	int n = 0, nlive, timeout_ms, live_at, samples_at = -1;
	int64_t wait_ns = wx_clock_real_wait_ns(d->clock, due);
	bool flat_out = d->opts.sim && d->opts.speed == 0, sigchld = false, live_due;

	fds[n++] = (struct pollfd){ .fd = d->run.sigfd, .events = POLLIN };
	if (d->round.pending && (flat_out || due > d->round.collect_by)) {
		samples_at = n;
		fds[n++] = (struct pollfd){ .fd = wx_sensors_fd(d->sensors), .events = POLLIN };
	}
	for (int i = 0; i < d->pulses.n && n < MAX_POLLFDS - 1; i++)
		if (polled(&d->pulses.line[i]))
			fds[n++] = (struct pollfd){ .fd = wx_slot_fd(d->pulses.line[i].slot),
						    .events = POLLIN };
	live_at = n;
	nlive = wx_live_pollfds(d->live, fds + n, MAX_POLLFDS - n);
	n += nlive;

	if (flat_out) {
		timeout_ms = 0;
	} else {
		/* At least every BATCH_MAX_NS: a closed line is retried, the
		 * watchdog is fed; every CLIENT_WAIT_NS while a client is
		 * connected, so that one gone quiet is dropped in time. */
		if (wait_ns > BATCH_MAX_NS)
			wait_ns = BATCH_MAX_NS;
		if (nlive > 1 && wait_ns > CLIENT_WAIT_NS)
			wait_ns = CLIENT_WAIT_NS;
		timeout_ms = (int)((wait_ns + WX_NS_PER_MS - 1) / WX_NS_PER_MS);
	}
	if (d->run.watchdog_usec) {
		int64_t now = wx_daemon_real_mono_ns();

		if (now - d->run.last_watchdog > (int64_t)d->run.watchdog_usec * 1000 / 2) {
			wx_notify("WATCHDOG=1");
			d->run.last_watchdog = now;
		}
	}
	if (poll(fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR) {
		wx_log_warn("poll");
		return;
	}
	if (fds[0].revents) {
		struct signalfd_siginfo si;

		while (read(d->run.sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD) {
				sigchld = true;	/* reaped below */
				continue;
			}
			wx_log_info("signal %u: stopping", si.ssi_signo);
			d->run.stop = true;
		}
	}
	wx_netside_poll(d->net, sigchld);
	/* Before the live socket: an answer has the readings taken since the
	 * last wake. */
	collect_samples(d, samples_at >= 0 && fds[samples_at].revents);
	/* The live socket only when a client came or wrote, or while one is
	 * connected (its time-out). */
	live_due = nlive > 1;
	for (int k = live_at; k < live_at + nlive; k++)
		live_due = live_due || fds[k].revents;
	if (live_due) {
		/* The answer counts the wind up to now, not to the last batch. */
		drain_edges(d, wx_clock_mono_ns(d->clock));
		wx_live_serve(d->live, fds + live_at, nlive);
		/* A client changed the simulated world at a stroke (sim gust):
		 * the batches start short again, as at start.  Other clients
		 * (wxctl read, wxd-net's reports) leave them as they are. */
		if (d->sim_changed && !flat_out)
			restart_batches(d);
		d->sim_changed = false;
	}
}

static void run(struct daemon *d)
{
	bool flat_out = d->opts.sim && d->opts.speed == 0;

	while (!d->run.stop) {
		int64_t due = next_due(d), now;

		if (flat_out)
			wx_clock_jump(d->clock, due);
		else if (d->pulses.n && d->pulses.next_drain < due)
			due = d->pulses.next_drain;
		wait_and_serve(d, due);
		now = wx_clock_mono_ns(d->clock);
		wx_schedule_watch_clock(&d->sched);
		drain_edges(d, now);
		/* At one instant: close the interval, then sample, then stop, so
		 * that the record ending exactly at the end of --duration is kept. */
		if (now >= wx_interval_end_ns(d->iv))
			finish_interval(d);
		if (wx_schedule_sample_due(&d->sched, now))
			request_samples(d);
		if (!d->run.stop)
			wx_storage_poll(d->storage);
		if (d->run.stop_at && now >= d->run.stop_at) {
			wx_log_info("--duration reached: stopping");
			d->run.stop = true;
		}
	}
}

int wx_daemon_run(const struct wx_config *cfg, const struct wx_daemon_opts *opts)
{
	struct daemon d = { .cfg = cfg, .opts = *opts, .run.sigfd = -1 };
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
