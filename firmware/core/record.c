#include "firmware/core/record.h"

#include <math.h>
#include <string.h>

const struct wx_quantity_info wx_quantities[WX_QUANTITY_COUNT] = {
	[WX_TEMPERATURE_C] = { "temperature_c", "Air temperature", "°C", "temperature", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_HUMIDITY_PCT] = { "humidity_pct", "Humidity", "%", "humidity", false, WX_IN_ARCHIVE | WX_IN_LIVE, 0 },
	[WX_PRESSURE_HPA] = { "pressure_hpa", "Station pressure", "hPa", "atmospheric_pressure", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_SEA_LEVEL_PRESSURE_HPA] = { "sea_level_pressure_hpa", "Sea-level pressure", "hPa", "atmospheric_pressure", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_DEW_POINT_C] = { "dew_point_c", "Dew point", "°C", "temperature", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_GROUND_TEMPERATURE_C] = { "ground_temperature_c", "Ground temperature", "°C", "temperature", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_WIND_SPEED_KMH] = { "wind_speed_kmh", "Wind speed", "km/h", "wind_speed", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_WIND_GUST_KMH] = { "wind_gust_kmh", "Wind gust", "km/h", "wind_speed", false, WX_IN_ARCHIVE | WX_IN_LIVE, 1 },
	[WX_WIND_DIRECTION_DEG] = { "wind_direction_deg", "Wind direction", "°", "wind_direction", false, WX_IN_ARCHIVE | WX_IN_LIVE, 0 },
	[WX_RAIN_MM] = { "rain_mm", "Rain", "mm", "precipitation", false, WX_IN_ARCHIVE, 1 },
	[WX_RAIN_TODAY_MM] = { "rain_today_mm", "Rain today", "mm", "precipitation", false, WX_IN_LIVE, 1 },
	/* Rain of the last 10 minutes (or the last record, when records are
	 * longer), scaled to an hour. */
	[WX_RAIN_RATE_MM_H] = { "rain_rate_mm_h", "Rain rate", "mm/h", "precipitation_intensity", false, WX_IN_LIVE, 1 },
	[WX_WIND_PULSES] = { "wind_pulses", "Wind pulses", "", NULL, true, WX_IN_ARCHIVE, 0 },
	[WX_RAIN_TIPS] = { "rain_tips", "Rain tips", "", NULL, true, WX_IN_ARCHIVE, 0 },
	[WX_AIR_QUALITY_PCT] = { "air_quality_pct", "Air quality", "%", NULL, false, WX_IN_ARCHIVE | WX_IN_LIVE, 0 },
};

void wx_record_init(struct wx_record *r, int64_t ts)
{
	memset(r, 0, sizeof(*r));
	r->ts = ts;
}

void wx_record_set(struct wx_record *r, enum wx_quantity q, double v)
{
	if (!isfinite(v)) {
		wx_record_clear(r, q);
		return;
	}
	r->v[q] = v;
	r->valid |= 1u << q;
}

void wx_record_clear(struct wx_record *r, enum wx_quantity q)
{
	r->v[q] = 0;
	r->valid &= ~(1u << q);
}

int wx_quantity_by_key(const char *key)
{
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (strcmp(wx_quantities[q].key, key) == 0)
			return q;
	return -1;
}

double wx_round2(double v)
{
	double r = round(v * 100.0) / 100.0;

	return r == 0 ? 0 : r;	/* no "-0" in output */
}

double wx_dew_point_c(double temperature_c, double humidity_pct)
{
	/* Magnus: b = 17.625, c = 243.04 °C, good to 0.1 °C from -40 to 50 °C. */
	const double b = 17.625, c = 243.04;
	double rh = humidity_pct < 0.1 ? 0.1 : humidity_pct;
	double g = log(rh / 100.0) + b * temperature_c / (c + temperature_c);

	return c * g / (b - g);
}

double wx_sea_level_hpa(double pressure_hpa, double altitude_m, double temperature_c)
{
	/* Hypsometric reduction: the air column below the station is taken as
	 * the station temperature plus half the standard lapse rate (0.0065 K/m)
	 * over the height, the usual approximation for low-altitude stations. */
	double t_mean_k = temperature_c + 273.15 + 0.0065 * altitude_m / 2.0;

	return pressure_hpa * exp(9.80665 * altitude_m / (287.05 * t_mean_k));
}

void wx_record_derive(struct wx_record *r, double altitude_m)
{
	if (wx_record_has(r, WX_TEMPERATURE_C) && wx_record_has(r, WX_HUMIDITY_PCT))
		wx_record_set(r, WX_DEW_POINT_C,
			      wx_dew_point_c(r->v[WX_TEMPERATURE_C], r->v[WX_HUMIDITY_PCT]));
	if (wx_record_has(r, WX_TEMPERATURE_C) && wx_record_has(r, WX_PRESSURE_HPA))
		wx_record_set(r, WX_SEA_LEVEL_PRESSURE_HPA,
			      wx_sea_level_hpa(r->v[WX_PRESSURE_HPA], altitude_m,
					       r->v[WX_TEMPERATURE_C]));
}
