/* Tests of drivers/w1sysfs.c, the 1-wire transport, on a temporary tree
 * laid out as /sys/bus/w1/devices is (a w1_bus_master1 and one directory
 * with a w1_slave text per device), read through the DS18B20 driver as the
 * daemon reads it: which device is found, missing devices and trees, a
 * probe unplugged and back, CRC error lines and empty reads, names that
 * would leave the tree, and files the transport cannot read. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/ds18b20.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim_ds18b20.h"
#include "drivers/w1bus.h"

/* ---- the real sysfs transport on a temporary tree ----------------------- */

struct tree {
	char dir[64];
};

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/wx-w1-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;

	rm_tree(t->dir);
	free(t);
	return 0;
}

static struct wx_ds18b20 *open_tree(const struct tree *t, const char *device)
{
	struct wx_w1bus *bus = wx_w1sysfs_open(t->dir);

	assert_non_null(bus);
	struct wx_ds18b20 *d = wx_ds18b20_open(bus, device);
	assert_non_null(d);
	return d;
}

static void w1sysfs_reads_first_device_in_sorted_order(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", path[128];
	double v = 0;

	assert_int_equal(wx_sim_ds18b20_write_tree(t->dir, "28-0000000000bb", 21.5, true), 0);
	assert_int_equal(wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true), 0);
	/* A DS18S20 (family 10) sorts first but is not ours. */
	assert_int_equal(wx_sim_ds18b20_write_tree(t->dir, "10-000000000001", 30.0, true), 0);
	snprintf(path, sizeof(path), "%s/w1_bus_master1", t->dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);

	struct wx_ds18b20 *d = open_tree(t, NULL);
	assert_string_equal(wx_ds18b20_device(d), "");
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), 0);
	assert_float_equal(v, 7.25, 1e-9);
	assert_string_equal(wx_ds18b20_device(d), "28-0000000000aa");
	wx_ds18b20_close(d);
}

static void w1sysfs_reads_the_named_device(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "";
	double v = 0;

	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000bb", -3.0625, true);
	struct wx_ds18b20 *d = open_tree(t, "28-0000000000bb");
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), 0);
	assert_float_equal(v, -3.0625, 1e-9);
	wx_ds18b20_close(d);
}

static void w1sysfs_names_a_missing_device(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", want[256];
	double v = 0;

	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	struct wx_ds18b20 *d = open_tree(t, "28-0316a27949ff");
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "ds18b20 %s/28-0316a27949ff: not found, but 28-0000000000aa is there "
		 "(set device = 28-0000000000aa in [ds18b20]?)", t->dir);
	assert_string_equal(err, want);
	wx_ds18b20_close(d);
}

static void w1sysfs_says_what_to_check_when_no_probe_is_found(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", want[256], missing[128];
	double v = 0;

	/* An empty tree (only the bus master). */
	struct wx_ds18b20 *d = open_tree(t, NULL);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "ds18b20 %s: no 28-* device found (is dtoverlay=w1-gpio in "
		 "config.txt and the 4.7k pull-up fitted?)", t->dir);
	assert_string_equal(err, want);
	wx_ds18b20_close(d);

	/* No tree at all: the overlay is not loaded. */
	snprintf(missing, sizeof(missing), "%s/nonexistent", t->dir);
	struct wx_w1bus *bus = wx_w1sysfs_open(missing);
	assert_non_null(bus);
	char name[64];
	assert_int_equal(bus->find(bus, "28-", name, sizeof(name)), -ENOENT);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", name, sizeof(name)), -ENOENT);
	d = wx_ds18b20_open(bus, NULL);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nonexistent: no 28-* device found"));
	wx_ds18b20_close(d);
}

static void w1sysfs_recovers_when_probe_is_replugged(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", path[128];
	double v = 0;

	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	struct wx_ds18b20 *d = open_tree(t, NULL);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), 0);

	snprintf(path, sizeof(path), "%s/28-0000000000aa", t->dir);
	rm_tree(path);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "28-0000000000aa: device gone"));
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, ": no 28-* device found"));

	/* Plugged back in (another probe, even): read again without reopening. */
	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000cc", 9.5, true);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), 0);
	assert_float_equal(v, 9.5, 1e-9);
	assert_string_equal(wx_ds18b20_device(d), "28-0000000000cc");
	wx_ds18b20_close(d);
}

static void w1sysfs_named_device_recovers_when_restored(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", path[128];
	double v = 0;

	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	struct wx_ds18b20 *d = open_tree(t, "28-0000000000aa");
	snprintf(path, sizeof(path), "%s/28-0000000000aa", t->dir);
	rm_tree(path);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "28-0000000000aa: not found (is the probe wired"));
	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 8.0, true);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), 0);
	assert_float_equal(v, 8.0, 1e-9);
	wx_ds18b20_close(d);
}

static void w1sysfs_gives_crc_failure_after_three_tries(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", want[256];
	double v = -999;

	wx_sim_ds18b20_write_tree(t->dir, "28-0316a27949ff", 7.25, false);
	struct wx_ds18b20 *d = open_tree(t, NULL);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -EIO);
	snprintf(want, sizeof(want), "ds18b20 %s/28-0316a27949ff: CRC check failed 3 times "
		 "(long cable? add a 4.7k pull-up)", t->dir);
	assert_string_equal(err, want);
	assert_float_equal(v, -999, 0);
	wx_ds18b20_close(d);
}

static void w1sysfs_empty_reads_are_retried_then_a_crc_error(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", want[320], path[128];
	double v = -999;
	FILE *f;

	wx_sim_ds18b20_write_tree(t->dir, "28-0316a27949ff", 7.25, true);
	snprintf(path, sizeof(path), "%s/28-0316a27949ff/w1_slave", t->dir);
	f = fopen(path, "w");	/* what w1_slave gives when the kernel's tries failed */
	assert_non_null(f);
	fclose(f);
	struct wx_ds18b20 *d = open_tree(t, NULL);
	assert_int_equal(wx_ds18b20_read(d, &v, err, sizeof(err)), -EIO);
	snprintf(want, sizeof(want), "ds18b20 %s/28-0316a27949ff: CRC check failed 3 times (empty "
		 "w1_slave: the kernel's own retries failed too; loose wire or long cable? add a "
		 "4.7k pull-up)", t->dir);
	assert_string_equal(err, want);
	assert_float_equal(v, -999, 0);
	wx_ds18b20_close(d);
}

static void w1sysfs_refuses_names_that_leave_the_tree(void **state)
{
	struct tree *t = *state;
	char buf[64];
	struct wx_w1bus *bus = wx_w1sysfs_open(t->dir);

	assert_non_null(bus);
	assert_int_equal(bus->read_slave(bus, "../etc", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(bus->read_slave(bus, "..", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(bus->read_slave(bus, "", buf, sizeof(buf)), -EINVAL);
	/* A buffer too small for the text is an error, not a truncated text. */
	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, 20), -EOVERFLOW);
	bus->close(bus);
}

/* The transport itself, without the chip: what find and read_slave say. */
static void w1sysfs_find_and_read_slave_at_the_bus(void **state)
{
	struct tree *t = *state;
	char name[32], buf[256], path[160], dir[96];
	struct wx_w1bus *bus;
	int n;

	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000bb", 21.5, true);
	wx_sim_ds18b20_write_tree(t->dir, "28-0000000000aa", 7.25, true);
	/* "dir/" names the same tree, and messages name it without the slash. */
	snprintf(dir, sizeof(dir), "%s//", t->dir);
	bus = wx_w1sysfs_open(dir);
	assert_non_null(bus);
	assert_string_equal(bus->where, t->dir);
	assert_int_equal(bus->find(bus, "28-", name, sizeof(name)), 0);
	assert_string_equal(name, "28-0000000000aa");
	assert_int_equal(bus->find(bus, "10-", name, sizeof(name)), -ENOENT);
	/* Never the bus master, whatever the family asked. */
	assert_int_equal(bus->find(bus, "w1_bus", name, sizeof(name)), -ENOENT);
	/* A name longer than the caller's buffer is an error, not cut. */
	assert_int_equal(bus->find(bus, "28-", name, 15), -ENAMETOOLONG);
	assert_int_equal(bus->find(bus, "28-", name, 16), 0);

	n = bus->read_slave(bus, "28-0000000000aa", buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "YES\n"));
	assert_non_null(strstr(buf, "t=7250\n"));
	/* A buffer that just fits the text (and its NUL) is enough. */
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, (size_t)n + 1), n);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, (size_t)n), -EOVERFLOW);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, 0), -EINVAL);

	/* A device directory without w1_slave (no w1_therm bound): gone. */
	snprintf(path, sizeof(path), "%s/28-0000000000aa/w1_slave", t->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, sizeof(buf)), -ENOENT);
	/* A w1_slave that cannot be read as a file: its errno. */
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(bus->read_slave(bus, "28-0000000000aa", buf, sizeof(buf)), -EISDIR);
	bus->close(bus);
}

static void w1sysfs_open_refuses_no_dir_and_a_dir_too_long(void **state)
{
	char *longdir;

	(void)state;
	errno = 0;
	assert_null(wx_w1sysfs_open(NULL));
	assert_int_equal(errno, EINVAL);
	longdir = malloc(8192);
	assert_non_null(longdir);
	memset(longdir, 'a', 8191);
	longdir[0] = '/';
	longdir[8191] = '\0';
	errno = 0;
	assert_null(wx_w1sysfs_open(longdir));
	assert_int_equal(errno, ENAMETOOLONG);
	free(longdir);
}

/* A short read: w1_slave cut after its first line (the kernel gave up
 * mid-way).  The transport returns what it got; the driver takes it for
 * no value, never for a temperature. */
static void w1sysfs_short_w1_slave_is_no_value(void **state)
{
	struct tree *t = *state;
	char err[WX_ERR_LEN] = "", path[160], buf[256];
	double v = -999;
	FILE *f;

	wx_sim_ds18b20_write_tree(t->dir, "28-0316a27949ff", 7.25, true);
	snprintf(path, sizeof(path), "%s/28-0316a27949ff/w1_slave", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n", f);
	fclose(f);
	struct wx_w1bus *bus = wx_w1sysfs_open(t->dir);
	assert_non_null(bus);
	assert_int_equal(bus->read_slave(bus, "28-0316a27949ff", buf, sizeof(buf)), 40);
	struct wx_ds18b20 *d = wx_ds18b20_open(bus, NULL);
	assert_non_null(d);
	assert_true(wx_ds18b20_read(d, &v, err, sizeof(err)) < 0);
	assert_float_equal(v, -999, 0);
	assert_non_null(strstr(err, "28-0316a27949ff"));
	wx_ds18b20_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(w1sysfs_reads_first_device_in_sorted_order, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_reads_the_named_device, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_names_a_missing_device, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_says_what_to_check_when_no_probe_is_found, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_recovers_when_probe_is_replugged, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_named_device_recovers_when_restored, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_gives_crc_failure_after_three_tries, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_empty_reads_are_retried_then_a_crc_error, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_refuses_names_that_leave_the_tree, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(w1sysfs_find_and_read_slave_at_the_bus, tree_setup, tree_teardown),
		cmocka_unit_test(w1sysfs_open_refuses_no_dir_and_a_dir_too_long),
		cmocka_unit_test_setup_teardown(w1sysfs_short_w1_slave_is_no_value, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
