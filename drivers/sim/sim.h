/* The simulated world that every simulated device measures.
 *
 * Weather is a deterministic function of station time and the seed: a daily
 * temperature curve, humidity that falls as it warms, slowly drifting
 * pressure, a ground temperature that lags the air, gusty wind that veers,
 * and showers.  [sim] wind_kmh / rain_mm_h replace the wind and rain models
 * with constants.  Devices read the time from the station clock, so a
 * simulated day at --speed 0 takes seconds. */
#ifndef WX_SIM_H
#define WX_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/core/clock.h"
#include "firmware/core/config.h"

struct wx_sim_weather {
	double temperature_c;
	double humidity_pct;
	double pressure_hpa;		/* station pressure */
	double ground_temperature_c;
	double wind_kmh;		/* instantaneous */
	double wind_dir_deg;		/* where it blows from, 0 = north */
	double rain_mm_h;
	double air_quality_pct;
};

struct wx_sim;

/* A world for cfg's [sim] and [station] (altitude), on clock (not owned).
 * NULL with errno set on allocation failure.  Free with wx_sim_free(). */
struct wx_sim *wx_sim_new(const struct wx_config *cfg, struct wx_clock *clock);
void wx_sim_free(struct wx_sim *sim);

struct wx_clock *wx_sim_clock(struct wx_sim *sim);
const struct wx_config_sim *wx_sim_params(const struct wx_sim *sim);

/* The weather at station time t_ns (pure: same seed, same t, same answer). */
void wx_sim_weather_at(const struct wx_sim *sim, int64_t t_ns, struct wx_sim_weather *out);

/* The same wind and rain as wx_sim_weather_at() gives, computed alone
 * (the pulse generators ask every 20 ms). */
double wx_sim_wind_kmh_at(const struct wx_sim *sim, int64_t t_ns);
double wx_sim_rain_mm_h_at(const struct wx_sim *sim, int64_t t_ns);

/* Faults switched on in a running world, by sensor (driver) name, so that
 * tests can make a sensor vanish and come back under the real drivers: the
 * simulated buses are wrapped by sim_fault.c, which consults this board. */
enum wx_sim_fault {
	WX_SIM_FAULT_NONE,
	WX_SIM_FAULT_GONE,	/* no reply, device missing, open circuit, line lost */
	WX_SIM_FAULT_BAD,	/* short transfer, CRC failure, garbage */
	WX_SIM_FAULT_STUCK,	/* pulse switch stuck closed: no edges */
	WX_SIM_FAULT_CHATTER,	/* pulse switch chattering at 1 kHz */
};
/* 0, or -EINVAL for an unknown fault name ("none", "gone", "bad", "stuck",
 * "chatter") or a sensor name too long, -ENOSPC when the board is full. */
int wx_sim_set_fault(struct wx_sim *sim, const char *sensor, const char *fault);
enum wx_sim_fault wx_sim_get_fault(const struct wx_sim *sim, const char *sensor);

/* Tests: the wind blows kmh from station time from_ns until until_ns (a
 * burst across an interval boundary, on the real clock). */
void wx_sim_set_gust(struct wx_sim *sim, int64_t from_ns, int64_t until_ns, double kmh);

/* A deterministic pseudo-random number in [0, 1) from the seed and any
 * integer stream (edge generators, noise). */
double wx_sim_hash01(uint64_t seed, uint64_t stream, uint64_t n);

#endif
