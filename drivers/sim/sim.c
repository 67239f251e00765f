/* The simulated world (see sim.h).
 *
 * Everything is a pure function of (seed, station time), built from a
 * smooth value-noise generator, so any device can ask for any moment in any
 * order and two runs with one seed agree. */
#include "drivers/sim/sim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#define MAX_FAULTS 16

struct wx_sim {
	struct wx_config_sim params;
	double altitude_m;
	struct wx_clock *clock;
	/* Set by the loop's thread, read by sampling threads: a sensor's slot
	 * is claimed once and never moves, the fault itself is atomic. */
	struct {
		char sensor[24];
		_Atomic int fault;
	} faults[MAX_FAULTS];
	_Atomic int nfaults;
	/* A burst of wind switched on by a test: [from, until) station ns. */
	_Atomic int64_t gust_from, gust_until;
	_Atomic double gust_kmh;
};

struct wx_sim *wx_sim_new(const struct wx_config *cfg, struct wx_clock *clock)
{
	struct wx_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->params = cfg->sim;
	sim->altitude_m = cfg->station.altitude_m;
	sim->clock = clock;
	return sim;
}

void wx_sim_free(struct wx_sim *sim)
{
	free(sim);
}

int wx_sim_set_fault(struct wx_sim *sim, const char *sensor, const char *fault)
{
	static const char *names[] = { "none", "gone", "bad", "stuck", "chatter" };
	int f = -1, n = atomic_load(&sim->nfaults);

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(fault, names[i]) == 0)
			f = i;
	if (f < 0 || strlen(sensor) >= sizeof(sim->faults[0].sensor))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (strcmp(sim->faults[i].sensor, sensor) == 0) {
			atomic_store(&sim->faults[i].fault, f);
			return 0;
		}
	if (n == MAX_FAULTS)
		return -ENOSPC;
	memcpy(sim->faults[n].sensor, sensor, strlen(sensor) + 1);
	atomic_store(&sim->faults[n].fault, f);
	atomic_store(&sim->nfaults, n + 1);
	return 0;
}

enum wx_sim_fault wx_sim_get_fault(const struct wx_sim *sim, const char *sensor)
{
	int n = atomic_load(&sim->nfaults);

	for (int i = 0; i < n; i++)
		if (strcmp(sim->faults[i].sensor, sensor) == 0)
			return (enum wx_sim_fault)atomic_load(&sim->faults[i].fault);
	return WX_SIM_FAULT_NONE;
}

struct wx_clock *wx_sim_clock(struct wx_sim *sim) { return sim->clock; }

void wx_sim_set_gust(struct wx_sim *sim, int64_t from_ns, int64_t until_ns, double kmh)
{
	atomic_store(&sim->gust_until, 0);
	atomic_store(&sim->gust_kmh, kmh);
	atomic_store(&sim->gust_from, from_ns);
	atomic_store(&sim->gust_until, until_ns);
}
const struct wx_config_sim *wx_sim_params(const struct wx_sim *sim) { return &sim->params; }

/* splitmix64: a well-mixed 64-bit hash. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

double wx_sim_hash01(uint64_t seed, uint64_t stream, uint64_t n)
{
	uint64_t h = mix64(seed ^ mix64(stream ^ mix64(n)));

	return (double)(h >> 11) * 0x1.0p-53;
}

/* Smooth noise in [-1, 1]: cosine-interpolated random values at knots
 * `period_s` apart. */
static double noise(uint64_t seed, uint64_t stream, double t_s, double period_s)
{
	double x = t_s / period_s;
	double k = floor(x);
	double f = x - k;
	double a = wx_sim_hash01(seed, stream, (uint64_t)(int64_t)k) * 2 - 1;
	double b = wx_sim_hash01(seed, stream, (uint64_t)(int64_t)k + 1) * 2 - 1;
	double w = (1 - cos(f * M_PI)) / 2;

	return a + (b - a) * w;
}

/* The same noise, keeping the two knots in *c: the wind is asked for every
 * 20 ms, and its streams stay between one pair of knots for 3 s to 4 h.
 * a and b are pure functions of the key (seed, stream, k), so the result is
 * bit for bit noise()'s. */
struct knots {
	uint64_t seed, stream;
	double k, a, b;
	bool valid;
};

static double noise_kept(struct knots *c, uint64_t seed, uint64_t stream, double t_s,
			 double period_s)
{
	double x = t_s / period_s;
	double k = floor(x);
	double f = x - k;
	double w;

	if (!c->valid || c->seed != seed || c->stream != stream || c->k != k) {
		c->a = wx_sim_hash01(seed, stream, (uint64_t)(int64_t)k) * 2 - 1;
		c->b = wx_sim_hash01(seed, stream, (uint64_t)(int64_t)k + 1) * 2 - 1;
		c->seed = seed;
		c->stream = stream;
		c->k = k;
		c->valid = true;
	}
	w = (1 - cos(f * M_PI)) / 2;
	return c->a + (c->b - c->a) * w;
}

/* What the wind-only path keeps per thread (each sampling thread asks for
 * its own times): the knots of its three streams and the daily curve of the
 * last whole second. */
struct wind_kept {
	struct knots slow, fast, gust;
	int64_t day_s;
	double day;
	bool day_valid;
};
static _Thread_local struct wind_kept wind_kept;

enum { S_TEMP = 1, S_TEMP_DAY, S_PRESS, S_WIND_SLOW, S_WIND_FAST, S_WIND_GUST,
       S_DIR, S_DIR_FAST, S_SHOWER, S_SHOWER_RATE, S_HUM, S_AQ };

static double local_hour(int64_t t_s)
{
	/* Solar time is close enough to UTC + longitude; the simulation uses
	 * UTC so that results do not depend on the machine's time zone. */
	return fmod((double)t_s / 3600.0, 24.0);
}

static double shower_rate(uint64_t seed, double t_s)
{
	/* Each hour holds a shower with probability 0.12, lasting 10 to 40 min. */
	int64_t hour = (int64_t)floor(t_s / 3600.0);
	double p = wx_sim_hash01(seed, S_SHOWER, (uint64_t)hour);
	double start, len, pos;

	if (p > 0.12)
		return 0;
	start = wx_sim_hash01(seed, S_SHOWER, (uint64_t)hour + 0x100000000ULL) * 1800;
	len = 600 + wx_sim_hash01(seed, S_SHOWER_RATE, (uint64_t)hour) * 1800;
	pos = t_s - (double)hour * 3600 - start;
	if (pos < 0 || pos > len)
		return 0;
	/* 1 to 8 mm/h, peaking mid-shower. */
	return (1 + 7 * wx_sim_hash01(seed, S_SHOWER_RATE, (uint64_t)hour + 7)) *
	       sin(M_PI * pos / len);
}

/* Daily curve: -1 near 03:00 UTC, +1 near 15:00. */
static double day_curve(double h)
{
	return -cos((h - 3.0) / 24.0 * 2 * M_PI);
}

/* The wind alone: the edge generator asks for it every 20 ms of wind, and
 * the whole weather would cost five times as much (issue 15). */
static double wind_kmh(const struct wx_sim *sim, int64_t t_ns, double t_s, double day,
		       struct wind_kept *kept)
{
	uint64_t seed = (uint64_t)sim->params.seed;
	double kmh;

	if (sim->params.has_wind_kmh) {
		kmh = sim->params.wind_kmh;
	} else if (kept) {
		double mean_wind = 12 + 6 * day +
				   8 * noise_kept(&kept->slow, seed, S_WIND_SLOW, t_s, 4 * 3600.0);
		double gust = 1 + 0.25 * noise_kept(&kept->fast, seed, S_WIND_FAST, t_s, 20) +
			      0.15 * noise_kept(&kept->gust, seed, S_WIND_GUST, t_s, 3);

		kmh = fmax(0, mean_wind * gust);
	} else {
		double mean_wind = 12 + 6 * day + 8 * noise(seed, S_WIND_SLOW, t_s, 4 * 3600.0);
		double gust = 1 + 0.25 * noise(seed, S_WIND_FAST, t_s, 20) +
			      0.15 * noise(seed, S_WIND_GUST, t_s, 3);

		kmh = fmax(0, mean_wind * gust);
	}
	if (t_ns >= atomic_load(&((struct wx_sim *)sim)->gust_from) &&
	    t_ns < atomic_load(&((struct wx_sim *)sim)->gust_until))
		kmh = atomic_load(&((struct wx_sim *)sim)->gust_kmh);
	return kmh;
}

static double rain_mm_h(const struct wx_sim *sim, double t_s)
{
	return sim->params.has_rain_mm_h ? sim->params.rain_mm_h
					 : shower_rate((uint64_t)sim->params.seed, t_s);
}

double wx_sim_wind_kmh_at(const struct wx_sim *sim, int64_t t_ns)
{
	double t_s = (double)t_ns / 1e9;
	struct wind_kept *kept = &wind_kept;
	int64_t sec;

	if (sim->params.has_wind_kmh)
		return wind_kmh(sim, t_ns, t_s, 0, NULL);
	/* The daily curve changes once a second (it is taken at the whole
	 * second), and 50 wind steps fall in each. */
	sec = (int64_t)floor(t_s);
	if (!kept->day_valid || kept->day_s != sec) {
		kept->day = day_curve(local_hour(sec));
		kept->day_s = sec;
		kept->day_valid = true;
	}
	return wind_kmh(sim, t_ns, t_s, kept->day, kept);
}

double wx_sim_rain_mm_h_at(const struct wx_sim *sim, int64_t t_ns)
{
	return rain_mm_h(sim, (double)t_ns / 1e9);
}

void wx_sim_weather_at(const struct wx_sim *sim, int64_t t_ns, struct wx_sim_weather *w)
{
	uint64_t seed = (uint64_t)sim->params.seed;
	double t_s = (double)t_ns / 1e9;
	double h = local_hour((int64_t)floor(t_s));
	double day = day_curve(h);
	double mean = 12 + 4 * noise(seed, S_TEMP_DAY, t_s, 5 * 86400.0);
	double base;

	w->temperature_c = mean + 5 * day + 0.6 * noise(seed, S_TEMP, t_s, 900);
	/* Relative humidity falls as the air warms. */
	w->humidity_pct = 75 - 20 * day + 5 * noise(seed, S_HUM, t_s, 3600);
	base = 1013.25 * exp(-sim->altitude_m / 8434.0);
	w->pressure_hpa = base + 8 * noise(seed, S_PRESS, t_s, 3 * 86400.0) +
			  0.3 * noise(seed, S_PRESS, t_s, 3600);
	/* The ground at 10 cm lags the air by about three hours, damped. */
	w->ground_temperature_c = mean + 2 * -cos((h - 8.0) / 24.0 * 2 * M_PI);

	w->wind_kmh = wind_kmh(sim, t_ns, t_s, day, NULL);
	w->wind_dir_deg = fmod(225 + 60 * noise(seed, S_DIR, t_s, 6 * 3600.0) +
			       15 * noise(seed, S_DIR_FAST, t_s, 30) + 360, 360);
	w->rain_mm_h = rain_mm_h(sim, t_s);
	if (w->rain_mm_h > 0)
		w->humidity_pct = fmax(w->humidity_pct, 92);
	w->humidity_pct = fmin(100, fmax(5, w->humidity_pct));
	w->air_quality_pct = 30 + 10 * noise(seed, S_AQ, t_s, 7200);
}
