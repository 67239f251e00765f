/* A register bus lent to a chip: the chip's open takes its bus over and
 * closes it, so a test that keeps one simulated device across several opens
 * hands each open a wrapper instead.  Closing the wrapper frees only the
 * wrapper; inner stays open for the test (and its fixture closes it). */
#ifndef WX_TEST_LENTBUS_H
#define WX_TEST_LENTBUS_H

#include "drivers/regbus.h"

/* A bus forwarding every transfer to inner.  Aborts when out of memory. */
struct wx_regbus *wx_test_lend(struct wx_regbus *inner);

#endif
