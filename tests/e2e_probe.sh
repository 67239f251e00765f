#!/bin/sh
# End to end: `wxctl probe` exit codes and lines through the real binary.
# This machine has no I2C, SPI or GPIO devices; the 1-wire tree is a real
# directory written by hand, as the kernel's w1_therm shows it.  Run by
# tests/run with WX_BUILD set to the build directory.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-e2e-probe.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
has()  { if grep -qxF -- "$2" "$1"; then ok "$3"; else bad "$3: no line '$2' in:"; cat "$1"; fi; }
probe() {	# probe NAME [wxctl args...]: runs wxctl probe, output in $T/NAME.out
	n=$1; shift
	"$B/wxctl" -c "$T/$n.conf" probe "$@" >"$T/$n.out" 2>"$T/$n.err"
}
slave() {	# slave DEVICE LINE1 LINE2
	mkdir -p "$T/w1/w1_bus_master1" "$T/w1/$1"
	printf '%s\n%s\n' "$2" "$3" > "$T/w1/$1/w1_slave"
}

echo "a good DS18B20 is the only device: exit 0"
slave 28-0316a27949ff "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES" "72 01 4b 46 7f ff 0e 10 57 t=23125"
printf '[ds18b20]\nw1_dir = %s\n' "$T/w1" > "$T/good.conf"
probe good; check $? 0 "exit status"
has "$T/good.out" "ds18b20    $T/w1/28-0316a27949ff: ok (23.12 °C)" "reading line"
has "$T/good.out" "probe      all 2 checks ok" "summary"
check "$(grep -c '^clock      system clock: info: ' "$T/good.out")" 1 "clock information line"
check "$(grep -c '^rtc        /sys/class/rtc/rtc0: ' "$T/good.out")" 1 "rtc line"

echo "the 85 °C power-on value: exit 1"
slave 28-0316a27949ff "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES" "50 05 4b 46 7f ff 0c 10 1c t=85000"
probe good; check $? 1 "exit status"
has "$T/good.out" "ds18b20    $T/w1/28-0316a27949ff: FAIL: not converted (power-on value 85 °C: check the probe's power / pull-up)" "85 °C line"

echo "the BYO wiring on a machine without I2C, SPI or GPIO: exit 1, one line each"
printf '[bme280]\nbus = %s\n[anemometer]\nchip = %s\n[windvane]\nspi = %s\n' \
	"$T/i2c-1" "$T/gpiochip0" "$T/spidev0.0" > "$T/byo.conf"
probe byo; check $? 1 "exit status"
has "$T/byo.out" "bme280     $T/i2c-1: FAIL: no such device: enable I2C: dtparam=i2c_arm=on in /boot/firmware/config.txt (/boot/config.txt on older Pi OS), then reboot (ls /dev/i2c-* lists the buses)" "I2C line"
has "$T/byo.out" "anemometer $T/gpiochip0: FAIL: no such GPIO chip: ls /dev/gpiochip* lists them; set chip = in [anemometer]" "GPIO line"
has "$T/byo.out" "windvane   $T/spidev0.0: FAIL: no such device: enable SPI: dtparam=spi=on in /boot/firmware/config.txt (/boot/config.txt on older Pi OS), then reboot (ls /dev/spidev* lists the devices)" "SPI line"
has "$T/byo.out" "probe      3 of 3 checks failed" "summary"
check "$(wc -c < "$T/byo.err")" 0 "nothing on stderr"

echo "a bad config: exit 78, the loader's message"
printf '[bme280]\naddress = 0x75\n' > "$T/bad.conf"
probe bad; check $? 78 "exit status"
check "$(grep -c "bad.conf:2:" "$T/bad.err")" 1 "file:line on stderr"

echo "usage errors: exit 2"
probe good --watch lots; check $? 2 "--watch lots"
probe good extra; check $? 2 "an extra argument"
probe good --watch 0; check $? 1 "--watch 0 is accepted (the 85 °C probe still fails)"

[ "$fails" -eq 0 ]
