# wxd: weather station daemon and CLI.  See README.md.
#
#   make deps    install missing Debian build/test packages (apt-get)
#   make         build build/wxd and build/wxctl
#   make test    deps, build, run every test (plain and ASan+UBSan builds)
#   make demo    deps, build, simulate a day into demo/wx.db and show it
#   make bench   print speed and memory figures (never pass/fail)
#   make clean

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# make CROSS=aarch64-linux-gnu- (or arm-linux-gnueabihf-) builds for the Pi
# into build/<arch> with Debian's cross compiler and multiarch libraries
# (make deps-cross CROSS=... installs them; see mk/cross.mk).
CROSS    ?=
ifneq ($(CROSS),)
CC       := $(CROSS)gcc
AR       := $(CROSS)ar
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(patsubst %-,%,$(CROSS))/pkgconfig:/usr/share/pkgconfig pkg-config
BUILD    ?= build/$(if $(findstring aarch64,$(CROSS)),aarch64,armhf)
endif
CC       ?= cc
PKG_CONFIG ?= pkg-config
BUILD    ?= build

# Two sides (README "Processes"): wxd, the sampler, links no network
# library; wxd-net, the network side, adds libcurl and libmosquitto.
PKGS     := libgpiod sqlite3 inih libcjson
NET_PKGS := libcurl libmosquitto
TEST_PKGS := cmocka

# libgpiod 1.x and 2.x have different APIs; pick the transport by version.
GPIOD_VERSION := $(shell $(PKG_CONFIG) --modversion libgpiod 2>/dev/null)
GPIOD_MAJOR   := $(firstword $(subst ., ,$(GPIOD_VERSION)))
GPIO_SRC      := $(if $(filter 2,$(GPIOD_MAJOR)),drivers/gpio_v2.c,drivers/gpio_v1.c)

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wcast-align \
            -Wno-missing-field-initializers
# Hardened by default (what Debian's dpkg-buildflags would add); the
# sanitizer build passes its own CFLAGS.
CFLAGS   ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDFLAGS  ?= -Wl,-z,relro,-z,now
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. \
             -DWX_VERSION='"$(VERSION)"' \
             $(shell $(PKG_CONFIG) --cflags $(PKGS) $(NET_PKGS) 2>/dev/null)
LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -li2c -lpthread -lm
NET_LIBS = $(shell $(PKG_CONFIG) --libs $(NET_PKGS) 2>/dev/null) $(LIBS)

MAINS    := firmware/wxd_main.c firmware/wxctl/wxctl_main.c firmware/wxd_net_main.c
LIB_SRC  := $(filter-out $(MAINS) drivers/gpio_v1.c drivers/gpio_v2.c, \
              $(sort $(wildcard firmware/*.c firmware/core/*.c firmware/wxctl/*.c drivers/*.c drivers/sim/*.c db/*.c))) $(wildcard $(GPIO_SRC))
NET_SRC  := $(sort $(wildcard uploader/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
TESTS    := $(patsubst tests/%.c,%,$(TEST_SRC) $(sort $(wildcard tests/tool_*.c)))

.PHONY: all deps test check-tests demo bench clean
.SECONDARY:
all: $(BUILD)/wxd $(BUILD)/wxd-net $(BUILD)/wxctl

# ---- objects (one pattern for the plain and the sanitizer build) -------
# VERSION is compiled in (-DWX_VERSION): a new version rebuilds every object,
# or `make deb` after a version bump would package binaries naming the old one.
$(BUILD)/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libwx.a: $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libwxnet.a: $(patsubst %.c,$(BUILD)/obj/%.o,$(NET_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/wxd: $(BUILD)/obj/firmware/wxd_main.o $(BUILD)/libwx.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/wxd-net: $(BUILD)/obj/firmware/wxd_net_main.o $(BUILD)/libwxnet.a $(BUILD)/libwx.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(NET_LIBS) -o $@

$(BUILD)/wxctl: $(BUILD)/obj/firmware/wxctl/wxctl_main.o $(BUILD)/libwx.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(SUPPORT_SRC)) $(BUILD)/libwxnet.a $(BUILD)/libwx.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(NET_LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) -o $@

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)

# ---- dependencies --------------------------------------------------------
DEB_PKGS = build-essential pkg-config libgpiod-dev libi2c-dev libsqlite3-dev \
            libcurl4-openssl-dev libmosquitto-dev libinih-dev libcjson-dev \
            libsystemd-dev libcmocka-dev mosquitto sqlite3 openssl systemd procps \
            $(FUZZ_DEB_PKGS) $(VM_DEB_PKGS)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	else echo "deps: all present"; fi

# ---- tests ---------------------------------------------------------------
# The same tests run twice: plain, and built with ASan+UBSan.  tests/run
# prints the closing "N passed, N failed" line CI reads.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# Also: the libgpiod 2.x transport built against trixie's headers, the unit
# file's checks, a short run of every fuzz target, and the unit tests of the
# arm64 cross build under qemu-user, and the QEMU/systemd VM tests (mk/vm.mk;
# tests/run counts their results).  tests/run goes last: its line closes.
test: deps
	$(MAKE) all check-tests
	$(MAKE) BUILD=$(BUILD)/san CFLAGS="$(SAN_FLAGS)" all check-tests
	$(MAKE) gpiod2-check check-unit fuzz-smoke
	$(MAKE) deps-cross test-cross CROSS=aarch64-linux-gnu-
	-$(MAKE) test-vm
	WX_VM_RESULTS=$(BUILD)/vm/results sh tests/run $(BUILD) $(BUILD)/san

check-tests: $(addprefix $(BUILD)/tests/,$(TESTS)) $(BUILD)/tests/synced.so

# LD_PRELOAD shims for the tests on the real clock, built without the
# sanitizers (preloaded into sanitized binaries too).
$(BUILD)/tests/%.so: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror $< -o $@

# ---- demo and bench ------------------------------------------------------
demo: deps
	$(MAKE) all
	sh firmware/demo.sh $(BUILD)

BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(SUPPORT_SRC)) $(BUILD)/libwxnet.a $(BUILD)/libwx.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(NET_LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) -o $@

bench: deps
	$(MAKE) all $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
	sh bench/run $(BUILD)

clean:
	rm -rf $(BUILD) demo

-include mk/*.mk
