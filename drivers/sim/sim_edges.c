/* Simulated edges for the anemometer and the rain gauge (see sim_edges.h).
 *
 * Generation: the closure rate is sampled at the middle of each step
 * of a grid aligned to station time; the step adds rate * 10 ms to a carried
 * phase and every whole unit the phase crosses is a closure, placed where
 * the crossing falls inside the step.  Generating and delivering are
 * decoupled (edges wait in `pend` until the reader's until_ns), so the
 * stream does not depend on how often it is read.
 *
 * Bounce: a reed switch that closes rattles for about a millisecond; we see
 * only its falling edges, 1 to 4 of them within [bounce_min, bounce_max]
 * after the closure, chosen from the seed and the closure's number.
 *
 * Kernel buffer: gpiolib-cdev keeps 16 events per line request unless a v2
 * request asks for more (v1: a kfifo of 16, DECLARE_KFIFO(events, struct
 * gpioevent_data, 16); v2: event_buffer_size, 0 meaning num_lines * 16, at
 * most 1024).  The simulated world's lines have what wxd's transports ask
 * for (WX_SIM_EDGES_WORLD_FIFO), other streams 16 unless told.  v1 drops
 * the newest event when it is full, which is what we model: between two
 * reads, the first `fifo` edges are kept and the rest counted in
 * bus->lost.  (v2 drops the oldest instead; the count lost is the same.)
 *
 * The buffer is the kernel's in real time: on a clock running X times
 * faster than real time (wxd --sim --speed X) a reader that keeps up in
 * real time visits the bus every X times more station time, so the FIFO
 * holds fifo * X edges (up to 64 Ki).  At speed 0 and 1 (tests, flat-out
 * runs that step the reader themselves) it holds exactly fifo. */
#include "drivers/sim/sim_edges.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STEP_NS		(10 * WX_NS_PER_MS)
#define MAX_CLOSURES_PER_STEP	64	/* 6400 Hz at 10 ms: beyond any switch */
#define MAX_BOUNCES		4
#define PEND_MAX		(2 * MAX_CLOSURES_PER_STEP * (1 + MAX_BOUNCES))

struct sim_edges {
	struct wx_edgebus bus;
	char where[64];
	struct wx_clock *clock;
	wx_sim_edges_rate_fn rate;
	void *arg;
	int64_t step_ns;
	bool bounce;
	int64_t bounce_min_ns, bounce_max_ns;
	uint64_t seed, stream;

	int64_t start_ns;	/* no edge before the bus was opened */
	int64_t grid_ns;	/* steps generated up to here */
	double phase;		/* closures owed, in [0, 1) */
	uint64_t closures;	/* numbers the closures, for the bounce hash */

	int64_t pend[PEND_MAX];	/* generated, not yet happened for the reader */
	size_t npend;
	int64_t *fifo;		/* the kernel's buffer, fifo_cap places */
	size_t fifo_cap, fifo_head, fifo_n;

	/* Storage for the built-in rate functions' arguments. */
	struct wx_sim *sim;
	double per;		/* kmh_per_hz, mm_per_tip, or the fixed hz */
};

static void pend_insert(struct sim_edges *s, int64_t t)
{
	size_t i = s->npend;

	if (t < s->start_ns)
		return;
	if (s->npend == PEND_MAX) {	/* cannot happen below the rate clamp */
		s->bus.lost++;
		return;
	}
	/* Usually already last; a bounce can follow a later closure only at
	 * absurd rates, but keep the order right anyway. */
	while (i > 0 && s->pend[i - 1] > t) {
		s->pend[i] = s->pend[i - 1];
		i--;
	}
	s->pend[i] = t;
	s->npend++;
}

static void emit_closure(struct sim_edges *s, int64_t t)
{
	uint64_t n = s->closures++;

	pend_insert(s, t);
	if (!s->bounce)
		return;
	int nb = 1 + (int)(wx_sim_hash01(s->seed, s->stream, 2 * n) * MAX_BOUNCES);
	double span = (double)(s->bounce_max_ns - s->bounce_min_ns);

	for (int j = 0; j < nb; j++) {
		/* Spread over the bounce span, increasing, jittered per edge. */
		double u = (j + wx_sim_hash01(s->seed, s->stream, 2 * n + 1 + ((uint64_t)j << 40))) / nb;

		pend_insert(s, t + s->bounce_min_ns + (int64_t)(u * span));
	}
}

static void generate_step(struct sim_edges *s)
{
	int64_t g = s->grid_ns;
	double r = s->rate(s->arg, g + s->step_ns / 2);
	double max_hz = MAX_CLOSURES_PER_STEP * (double)WX_NS_PER_S / s->step_ns;
	double end;
	int k;

	if (!(r > 0))		/* also NaN */
		r = 0;
	if (r > max_hz)
		r = max_hz;
	end = s->phase + r * s->step_ns / (double)WX_NS_PER_S;
	for (k = 1; end >= k; k++)
		emit_closure(s, g + llround((k - s->phase) / r * (double)WX_NS_PER_S));
	s->phase = end - (k - 1);
	s->grid_ns = g + s->step_ns;
}

/* Edges up to `upto` happen: into the kernel FIFO, or lost when it is full. */
static void feed_fifo(struct sim_edges *s, int64_t upto)
{
	size_t i = 0;

	for (; i < s->npend && s->pend[i] <= upto; i++) {
		if (s->fifo_n < s->fifo_cap) {
			s->fifo[(s->fifo_head + s->fifo_n) % s->fifo_cap] = s->pend[i];
			s->fifo_n++;
		} else {
			s->bus.lost++;
		}
	}
	memmove(s->pend, s->pend + i, (s->npend - i) * sizeof(*s->pend));
	s->npend -= i;
}

static int sim_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts_ns, size_t max)
{
	struct sim_edges *s = bus->ctx;
	size_t n = 0;

	/* Later steps only make edges after this step's end, so each step's
	 * edges can go to the FIFO at once and pend stays small. */
	while (s->grid_ns < until_ns) {
		generate_step(s);
		feed_fifo(s, s->grid_ns < until_ns ? s->grid_ns : until_ns);
	}
	feed_fifo(s, until_ns);
	while (n < max && s->fifo_n > 0) {
		ts_ns[n++] = s->fifo[s->fifo_head];
		s->fifo_head = (s->fifo_head + 1) % s->fifo_cap;
		s->fifo_n--;
	}
	return (int)n;
}

static void sim_close(struct wx_edgebus *bus)
{
	struct sim_edges *s = bus->ctx;

	free(s->fifo);
	free(s);
}

/* fifo places (WX_SIM_EDGES_FIFO when 0) per unit of clock speed (see
 * above), at most MAX_FIFO_PLACES (512 KiB) unless one unit needs more: the
 * daemon times its batches by bus->depth, so a smaller buffer at a high
 * speed costs wakeups, never edges. */
#define MAX_FIFO_PLACES 65536

static size_t fifo_places(const struct wx_clock *clock, size_t fifo)
{
	double x = ceil(wx_clock_speed(clock));
	size_t one = fifo ? fifo : WX_SIM_EDGES_FIFO;

	if (!(x > 1))
		x = 1;
	if (x * (double)one > MAX_FIFO_PLACES)
		return one > MAX_FIFO_PLACES ? one : MAX_FIFO_PLACES;
	return (size_t)x * one;
}

struct wx_edgebus *wx_sim_edges_new(const struct wx_sim_edges_params *p)
{
	struct sim_edges *s;

	if (!p->clock || !p->rate || p->step_ns < 0 || p->bounce_min_ns < 0 ||
	    p->bounce_max_ns < p->bounce_min_ns) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fifo_cap = fifo_places(p->clock, p->fifo);
	s->fifo = calloc(s->fifo_cap, sizeof(*s->fifo));
	if (!s->fifo) {
		free(s);
		return NULL;
	}
	snprintf(s->where, sizeof(s->where), "%s", p->where ? p->where : "sim edges");
	s->clock = p->clock;
	s->rate = p->rate;
	s->step_ns = p->step_ns > 0 ? p->step_ns : DEFAULT_STEP_NS;
	s->arg = p->arg;
	s->bounce = p->bounce;
	s->bounce_min_ns = p->bounce_min_ns;
	s->bounce_max_ns = p->bounce_max_ns;
	s->seed = p->seed;
	s->stream = p->stream;
	s->start_ns = wx_clock_mono_ns(p->clock);
	s->grid_ns = s->start_ns - ((s->start_ns % s->step_ns) + s->step_ns) % s->step_ns;
	s->phase = wx_sim_hash01(p->seed, p->stream, UINT64_MAX);
	s->bus.where = s->where;
	s->bus.fd = -1;
	s->bus.depth = s->fifo_cap;
	s->bus.read = sim_read;
	s->bus.close = sim_close;
	s->bus.ctx = s;
	return &s->bus;
}

/* ---- the simulated world's sensors --------------------------------------- */

enum { STREAM_WIND = 0x57494e44, STREAM_RAIN = 0x5241494e };

static double wind_rate(void *arg, int64_t t_ns)
{
	struct sim_edges *s = arg;

	return wx_sim_wind_kmh_at(s->sim, t_ns) / s->per;
}

static double rain_rate(void *arg, int64_t t_ns)
{
	struct sim_edges *s = arg;

	return wx_sim_rain_mm_h_at(s->sim, t_ns) / s->per / 3600.0;
}

static double fixed_rate(void *arg, int64_t t_ns)
{
	(void)t_ns;
	return ((struct sim_edges *)arg)->per;
}

/* Build with params, then point the rate function at the bus itself. */
static struct wx_edgebus *new_builtin(struct wx_sim_edges_params *p, struct wx_sim *sim,
				      double per)
{
	struct wx_edgebus *bus = wx_sim_edges_new(p);
	struct sim_edges *s;

	if (!bus)
		return NULL;
	s = bus->ctx;
	s->sim = sim;
	s->per = per;
	s->arg = s;
	return bus;
}

struct wx_edgebus *wx_sim_edges_new_wind(struct wx_sim *sim, double kmh_per_hz)
{
	struct wx_sim_edges_params p = {
		.clock = wx_sim_clock(sim), .where = "sim anemometer", .rate = wind_rate,
		.step_ns = 20 * WX_NS_PER_MS,
		.bounce = wx_sim_params(sim)->bounce,
		.bounce_min_ns = 300000, .bounce_max_ns = 1500000,
		.seed = (uint64_t)wx_sim_params(sim)->seed, .stream = STREAM_WIND,
		.fifo = WX_SIM_EDGES_WORLD_FIFO,
	};

	if (!(kmh_per_hz > 0)) {
		errno = EINVAL;
		return NULL;
	}
	return new_builtin(&p, sim, kmh_per_hz);
}

struct wx_edgebus *wx_sim_edges_new_rain(struct wx_sim *sim, double mm_per_tip)
{
	struct wx_sim_edges_params p = {
		.clock = wx_sim_clock(sim), .where = "sim rain", .rate = rain_rate,
		.step_ns = 250 * WX_NS_PER_MS,
		.bounce = wx_sim_params(sim)->bounce,
		.bounce_min_ns = 1000000, .bounce_max_ns = 5000000,
		.seed = (uint64_t)wx_sim_params(sim)->seed, .stream = STREAM_RAIN,
		.fifo = WX_SIM_EDGES_WORLD_FIFO,
	};

	if (!(mm_per_tip > 0)) {
		errno = EINVAL;
		return NULL;
	}
	return new_builtin(&p, sim, mm_per_tip);
}

struct wx_edgebus *wx_sim_edges_new_fixed(struct wx_clock *clock, double hz, bool bounce)
{
	struct wx_sim_edges_params p = {
		.clock = clock, .where = "sim fixed", .rate = fixed_rate,
		.bounce = bounce, .bounce_min_ns = 300000, .bounce_max_ns = 1500000,
	};

	if (!(hz >= 0)) {
		errno = EINVAL;
		return NULL;
	}
	return new_builtin(&p, NULL, hz);
}
