#include "firmware/core/units.h"

#include <math.h>
#include <stdio.h>

double wx_units_convert(enum wx_quantity q, double v, enum wx_units u, const char **unit)
{
	*unit = wx_quantities[q].unit;
	if (u != WX_UNITS_US)
		return v;
	switch (q) {
	case WX_TEMPERATURE_C:
	case WX_DEW_POINT_C:
	case WX_GROUND_TEMPERATURE_C:
		*unit = "°F";
		return v * 9.0 / 5.0 + 32.0;
	case WX_PRESSURE_HPA:
	case WX_SEA_LEVEL_PRESSURE_HPA:
		*unit = "inHg";
		return v / 33.8639;
	case WX_WIND_SPEED_KMH:
	case WX_WIND_GUST_KMH:
		*unit = "mph";
		return v / 1.609344;
	case WX_RAIN_MM:
	case WX_RAIN_TODAY_MM:
		*unit = "in";
		return v / 25.4;
	case WX_RAIN_RATE_MM_H:
		*unit = "in/h";
		return v / 25.4;
	default:
		return v;
	}
}

void wx_units_format(char *buf, size_t len, const struct wx_record *r, enum wx_quantity q,
		     enum wx_units u, bool with_unit)
{
	const char *unit;
	double v;
	int decimals = 1;

	if (!wx_record_has(r, q)) {
		snprintf(buf, len, "-");
		return;
	}
	v = wx_units_convert(q, r->v[q], u, &unit);
	if (wx_quantities[q].is_count || q == WX_WIND_DIRECTION_DEG || q == WX_HUMIDITY_PCT)
		decimals = 0;
	if (u == WX_UNITS_US && (q == WX_PRESSURE_HPA || q == WX_SEA_LEVEL_PRESSURE_HPA ||
				 q == WX_RAIN_MM || q == WX_RAIN_TODAY_MM || q == WX_RAIN_RATE_MM_H))
		decimals = 2;
	if (q == WX_RAIN_MM || q == WX_RAIN_TODAY_MM || q == WX_RAIN_RATE_MM_H)
		decimals = u == WX_UNITS_US ? 2 : 1;
	if (q == WX_WIND_DIRECTION_DEG)
		snprintf(buf, len, "%.0f%s %s", v, with_unit ? "°" : "", wx_compass(v));
	else
		snprintf(buf, len, "%.*f%s%s", decimals, v, with_unit && *unit ? " " : "",
			 with_unit ? unit : "");
}

const char *wx_compass(double deg)
{
	static const char *names[16] = { "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
					 "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW" };
	int i = (int)floor(fmod(deg + 11.25 + 360.0, 360.0) / 22.5);

	return names[i & 15];
}
