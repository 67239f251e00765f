/* LD_PRELOAD shim for tests on the real clock: adjtimex() reports the
 * kernel clock as synchronised (as an NTP client would leave it), without
 * root and without touching the host's clock.  Any attempt to change the
 * clock fails with EPERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

int adjtimex(struct timex *tx);

int adjtimex(struct timex *tx)
{
	if (tx->modes) {
		errno = EPERM;
		return -1;
	}
	memset(tx, 0, sizeof(*tx));
	tx->status = STA_PLL;
	tx->maxerror = 1000;
	tx->esterror = 100;
	return TIME_OK;
}
