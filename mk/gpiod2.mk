# gpiod2-check: prove that drivers/gpio_v2.c (libgpiod 2.x, as on Raspberry
# Pi OS Trixie) compiles warning-free and links, on a machine that has
# libgpiod 1.6 installed.
#
# Debian trixie's libgpiod-dev and libgpiod3 are fetched with `apt-get
# download` through a private apt state (own sources.list, lists and cache
# under build/gpiod2/apt), so the system's apt state is never touched, and
# unpacked with `dpkg-deb -x` into build/gpiod2/root (never installed).  The
# .debs are cached: a second run does not download.
# (No apt directory may end in ".d": the Makefile includes every build/**/*.d.)  The probe program opens
# a chip that does not exist and expects a clean error naming it.

GPIOD2_DIR   := $(BUILD)/gpiod2
GPIOD2_APT   := $(abspath $(GPIOD2_DIR))/apt
GPIOD2_DEBS  := $(GPIOD2_DIR)/debs
GPIOD2_ROOT  := $(GPIOD2_DIR)/root
GPIOD2_ARCH  := $(shell dpkg --print-architecture 2>/dev/null)
GPIOD2_MULTI := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
GPIOD2_MIRROR ?= http://deb.debian.org/debian
GPIOD2_SUITE  ?= trixie
GPIOD2_APT_OPTS = -o Dir::State=$(GPIOD2_APT)/state \
	-o Dir::State::status=$(GPIOD2_APT)/state/status \
	-o Dir::Cache=$(GPIOD2_APT)/cache \
	-o Dir::Etc::SourceList=$(GPIOD2_APT)/sources.list \
	-o Dir::Etc::SourceParts=$(GPIOD2_APT)/sources.parts \
	-o Dir::Etc::Preferences=$(GPIOD2_APT)/preferences \
	-o Dir::Etc::PreferencesParts=$(GPIOD2_APT)/preferences.parts \
	-o APT::Architecture=$(GPIOD2_ARCH) \
	-o APT::Architectures::=$(GPIOD2_ARCH) \
	-o APT::Sandbox::User=root -o Debug::NoLocking=1 -q

.PHONY: gpiod2-check
gpiod2-check: $(GPIOD2_DIR)/gpiod2_link
	LD_LIBRARY_PATH=$(GPIOD2_ROOT)/usr/lib/$(GPIOD2_MULTI) $(GPIOD2_DIR)/gpiod2_link

$(GPIOD2_DIR)/debs.stamp:
	@mkdir -p $(GPIOD2_APT)/state/lists/partial $(GPIOD2_APT)/cache/archives/partial \
		$(GPIOD2_APT)/sources.parts $(GPIOD2_APT)/preferences.parts $(GPIOD2_DEBS)
	@touch $(GPIOD2_APT)/state/status $(GPIOD2_APT)/preferences
	@echo 'deb $(GPIOD2_MIRROR) $(GPIOD2_SUITE) main' > $(GPIOD2_APT)/sources.list
	@if ls $(GPIOD2_DEBS)/libgpiod-dev_2*.deb $(GPIOD2_DEBS)/libgpiod3_*.deb >/dev/null 2>&1; then \
	  echo "gpiod2: using cached .debs in $(GPIOD2_DEBS)"; \
	else \
	  apt-get $(GPIOD2_APT_OPTS) update && \
	  (cd $(GPIOD2_DEBS) && apt-get $(GPIOD2_APT_OPTS) download libgpiod-dev libgpiod3) || \
	  { echo "gpiod2: cannot fetch $(GPIOD2_SUITE)'s libgpiod-dev/libgpiod3 from $(GPIOD2_MIRROR)"; exit 1; }; \
	fi
	@touch $@

$(GPIOD2_DIR)/root.stamp: $(GPIOD2_DIR)/debs.stamp
	rm -rf $(GPIOD2_ROOT) && mkdir -p $(GPIOD2_ROOT)
	for d in $(GPIOD2_DEBS)/*.deb; do dpkg-deb -x $$d $(GPIOD2_ROOT) || exit 1; done
	@grep -q gpiod_edge_event_buffer_new $(GPIOD2_ROOT)/usr/include/gpiod.h || \
	  { echo "gpiod2: $(GPIOD2_ROOT)/usr/include/gpiod.h is not libgpiod 2.x"; exit 1; }
	@touch $@

# Compiled with the project's flags but against the unpacked 2.x headers
# first, so the installed 1.6 gpiod.h cannot be picked up by mistake.
$(GPIOD2_DIR)/gpiod2_link: $(GPIOD2_DIR)/root.stamp drivers/gpio_v2.c drivers/gpio_msg.c drivers/edgebus.h tests/gpiod2_link.c
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I$(GPIOD2_ROOT)/usr/include -I. \
	  drivers/gpio_v2.c drivers/gpio_msg.c tests/gpiod2_link.c \
	  -L$(GPIOD2_ROOT)/usr/lib/$(GPIOD2_MULTI) -lgpiod -o $@
