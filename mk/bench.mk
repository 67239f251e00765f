# `make bench` runs every build/bench/bench_* through bench/run; bench_station
# prints issue 15's figures with their targets and compares the simulated
# day's archive with bench/sim_day.sha256 (a sha256 of `sqlite3 .dump`: a
# change to the weather model or the archive's columns needs a new one, made
# from the commit whose archive is the reference).
#
# Benchmarks beyond `make bench`'s defaults (see bench/*.c; figures only,
# never pass/fail):
#   make bench-upload    a week's backlog through the MQTT and Initial State uploaders
#   make bench-fleet     FLEET_N (50) simulated stations into one broker (wx/+/record)
#   make bench-longrun   30 simulated days: RSS and open files of wxd over time
#
# Every benchmark links bench/support.c (a quiet mosquitto and a counting
# subscriber) besides tests/support/*.c.
.PHONY: bench-upload bench-fleet bench-longrun

FLEET_N ?= 50
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BENCH_BINS): $(BUILD)/obj/bench/support.o

bench-upload: deps
	$(MAKE) all $(BUILD)/bench/bench_upload
	$(BUILD)/bench/bench_upload $(BUILD)

bench-fleet: deps
	$(MAKE) all $(BUILD)/bench/bench_fleet
	FLEET_N=$(FLEET_N) $(BUILD)/bench/bench_fleet $(BUILD)

bench-longrun: deps
	$(MAKE) all $(BUILD)/bench/bench_longrun
	$(BUILD)/bench/bench_longrun $(BUILD)
