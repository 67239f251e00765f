/* Tests that check permission errors run the check in a child that has
 * given up root, as the service's own user would be. */
#ifndef WX_TEST_UNPRIV_H
#define WX_TEST_UNPRIV_H

/* In a freshly forked, single-threaded child: drop to uid/gid 65534
 * (nobody) with no supplementary groups.  0, or -errno.  Raw system calls:
 * glibc's setuid() signals every thread it knows of to change too, which
 * hangs under qemu-user (make test-cross). */
int wx_test_drop_root(void);

#endif
