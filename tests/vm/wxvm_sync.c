/* wxvm-sync [UNIX_SECONDS]: what an NTP client does once it has the time,
 * for the test machine that has none: step the clock (when given a time),
 * then tell the kernel it is synchronised (adjtimex clears STA_UNSYNC with a
 * small maximum error, as chrony and ntpd do), which is what wxd asks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timex tx = { 0 };
	int state;

	if (argc > 2) {
		fprintf(stderr, "usage: wxvm-sync [UNIX_SECONDS]\n");
		return 2;
	}
	if (argc == 2) {
		struct timespec ts = { .tv_sec = strtoll(argv[1], NULL, 10) };

		if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
			fprintf(stderr, "wxvm-sync: clock_settime: %s\n", strerror(errno));
			return 1;
		}
	}
	if (adjtimex(&tx) < 0) {
		fprintf(stderr, "wxvm-sync: adjtimex: %s\n", strerror(errno));
		return 1;
	}
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status &= ~STA_UNSYNC;
	tx.maxerror = 1000;
	tx.esterror = 100;
	state = adjtimex(&tx);
	if (state < 0 || state == TIME_ERROR) {
		fprintf(stderr, "wxvm-sync: adjtimex: still unsynchronised (%d)\n", state);
		return 1;
	}
	return 0;
}
