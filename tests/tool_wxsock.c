/* tool_wxsock SOCKET LINE: send one line to wxd's live socket and print the
 * answer, for the end-to-end scripts (what `socat - UNIX-CONNECT:SOCKET`
 * would do on a machine that has socat). */
#include <stdio.h>
#include <stdlib.h>

#include "firmware/core/live.h"

int main(int argc, char **argv)
{
	char err[512], *reply;

	if (argc != 3) {
		fprintf(stderr, "usage: tool_wxsock SOCKET LINE\n");
		return 2;
	}
	if (wx_live_query(argv[1], argv[2], 5000, &reply, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s\n", reply);
	free(reply);
	return 0;
}
