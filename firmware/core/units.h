/* How wxctl shows values to people: metric as stored, or US units. */
#ifndef WX_UNITS_H
#define WX_UNITS_H

#include "firmware/core/config.h"
#include "firmware/core/record.h"

/* v of quantity q (metric) in units u; *unit gets the unit's symbol. */
double wx_units_convert(enum wx_quantity q, double v, enum wx_units u, const char **unit);

/* Format v of q for a table: "12.3 °C", "-" for a missing value, with the
 * precision people expect (1 decimal, counts whole, direction whole). */
void wx_units_format(char *buf, size_t len, const struct wx_record *r, enum wx_quantity q,
		     enum wx_units u, bool with_unit);

/* 16-point compass name of a direction: "N", "NNE", ... */
const char *wx_compass(double deg);

#endif
