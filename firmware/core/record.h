/* A reading or an archive record: a time, and one value plus a valid flag per
 * quantity.  The quantity names are the contract's vocabulary (docs/contract.md "Readings"):
 * JSON keys, archive columns and Initial State event keys alike.  A quantity
 * that is not valid is written as null / NULL, never as 0 or -999. */
#ifndef WX_RECORD_H
#define WX_RECORD_H

#include <stdbool.h>
#include <stdint.h>

enum wx_quantity {
	WX_TEMPERATURE_C,
	WX_HUMIDITY_PCT,
	WX_PRESSURE_HPA,
	WX_SEA_LEVEL_PRESSURE_HPA,
	WX_DEW_POINT_C,
	WX_GROUND_TEMPERATURE_C,
	WX_WIND_SPEED_KMH,
	WX_WIND_GUST_KMH,
	WX_WIND_DIRECTION_DEG,
	WX_RAIN_MM,
	WX_RAIN_TODAY_MM,
	WX_RAIN_RATE_MM_H,
	WX_WIND_PULSES,
	WX_RAIN_TIPS,
	WX_AIR_QUALITY_PCT,
	WX_QUANTITY_COUNT
};

/* Where a quantity appears. */
#define WX_IN_ARCHIVE 0x1	/* a column of table archive, and uploaded */
#define WX_IN_LIVE    0x2	/* part of a live reading (wxctl read) */

struct wx_quantity_info {
	const char *key;	/* "temperature_c" */
	const char *label;	/* "Air temperature", for tables */
	const char *unit;	/* "°C" (metric, as stored) */
	const char *ha_device_class;	/* Home Assistant, or NULL */
	bool is_count;		/* integer counts (wind_pulses, rain_tips) */
	unsigned where;		/* WX_IN_* */
	int display_precision;	/* decimals worth showing (Home Assistant's
				 * suggested_display_precision) */
};

/* One row per enum wx_quantity, in enum order. */
extern const struct wx_quantity_info wx_quantities[WX_QUANTITY_COUNT];

struct wx_record {
	int64_t ts;		/* Unix seconds UTC; for a record, end of interval */
	int32_t interval_s;	/* archive interval, 0 for a live reading */
	double v[WX_QUANTITY_COUNT];
	uint32_t valid;		/* bit (1u << q) set when v[q] holds a value */
};

/* Clear all values (all null) and set ts. */
void wx_record_init(struct wx_record *r, int64_t ts);
void wx_record_set(struct wx_record *r, enum wx_quantity q, double v);
void wx_record_clear(struct wx_record *r, enum wx_quantity q);
static inline bool wx_record_has(const struct wx_record *r, enum wx_quantity q)
{
	return (r->valid >> q) & 1u;
}

/* Look a quantity up by its key; returns -1 when unknown. */
int wx_quantity_by_key(const char *key);

/* Round to 0.01 (the contract: never coarser), for output. */
double wx_round2(double v);

/* Fill dew point and sea-level pressure from r's temperature, humidity and
 * pressure where those are present (else leave them null). */
void wx_record_derive(struct wx_record *r, double altitude_m);

/* Derived quantities (pure functions). */
/* Dew point by the Magnus formula (Alduchov & Eskridge 1996 constants). */
double wx_dew_point_c(double temperature_c, double humidity_pct);
/* Sea-level pressure from station pressure, altitude and air temperature
 * (hypsometric equation with the station temperature and the standard lapse rate). */
double wx_sea_level_hpa(double pressure_hpa, double altitude_m, double temperature_c);

#endif
