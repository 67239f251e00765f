#include "tests/support/unpriv.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int wx_test_drop_root(void)
{
	if (geteuid() != 0)
		return 0;
	if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setgid, 65534) != 0 ||
	    syscall(SYS_setuid, 65534) != 0)
		return -errno;
	return 0;
}
