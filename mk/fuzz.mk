# Fuzzing with libFuzzer: every parser of outside input gets a target
# fuzz/fuzz_<name>.c, built with clang -fsanitize=fuzzer,address,undefined
# against the project sources it needs (compiled again with clang and the
# fuzzer flags into $(BUILD)/fuzz/obj, never the gcc-built libwx.a).
#
#   make fuzz          build every target, run each FUZZ_SECONDS (60) over
#                      fuzz/corpus/<name> plus a scratch copy under
#                      $(BUILD)/fuzz/work/<name> (new inputs go there)
#   make fuzz-smoke    run each FUZZ_SMOKE_SECONDS (10) over its corpus; a
#                      crash fails the build (make test calls this)
#   make fuzz-merge    minimise the scratch finds back into fuzz/corpus
#   make fuzz-<name>   build and run one target FUZZ_SECONDS
#
# Crash inputs land in $(BUILD)/fuzz/crashes/<name>/.  The Debian packages
# needed on bookworm: clang (the compiler) and libclang-rt-14-dev (which
# holds libclang_rt.fuzzer-x86_64.a and the sanitizer runtimes).

FUZZ_DEB_PKGS := clang libclang-rt-14-dev

FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_DIR      := $(BUILD)/fuzz
# clang, unlike gcc, also flags vprintf-style helpers not marked as such.
FUZZ_WARN     := -Wno-format-nonliteral
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS    = -std=c11 -D_GNU_SOURCE $(WARN) $(FUZZ_WARN) -O1 -g -fno-omit-frame-pointer \
                 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -I. -DWX_VERSION='"$(VERSION)"' \
                 $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_LDFLAGS  := -fsanitize=fuzzer $(FUZZ_SAN)

FUZZ_TARGETS  := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))

# The project sources each target needs, besides fuzz/fuzz_<name>.c.
# A driver row reaches the bus provider, and through it every transport and
# simulated device: the drivers go in whole, with the configuration, whose
# sensor sections are the driver table's (drivers/registry.c) and which the
# drivers read their sections through.
FUZZ_DRIVERS_SRC  := $(filter-out drivers/gpio_v1.c drivers/gpio_v2.c, \
                       $(sort $(wildcard drivers/*.c drivers/sim/*.c))) $(GPIO_SRC) \
                     firmware/core/config.c firmware/core/clock.c firmware/core/record.c firmware/core/log.c
FUZZ_SRC_config   := $(FUZZ_DRIVERS_SRC)
FUZZ_SRC_w1_slave := $(FUZZ_DRIVERS_SRC)
FUZZ_SRC_time     := firmware/core/timeparse.c
FUZZ_SRC_oracle_csv := firmware/wxctl/oracle_import.c firmware/core/record.c
FUZZ_SRC_live     := firmware/core/live.c firmware/core/log.c
FUZZ_SRC_reply    := firmware/core/record_json.c firmware/wxctl/status_print.c firmware/core/status.c firmware/core/record.c
FUZZ_SRC_status   := firmware/core/status.c
FUZZ_SRC_uploader := uploader/mqtt.c uploader/initialstate.c uploader/wxnet.c uploader/uploader.c uploader/state.c \
                     db/archive.c firmware/core/record_json.c $(FUZZ_DRIVERS_SRC)

# libFuzzer options per target (a dictionary, a length cap).
FUZZ_OPTS_config   := -max_len=4096 -dict=fuzz/config.dict
FUZZ_OPTS_w1_slave := -max_len=256
FUZZ_OPTS_time     := -max_len=64
FUZZ_OPTS_live     := -max_len=8192
FUZZ_OPTS_reply    := -max_len=4096 -dict=fuzz/reply.dict
FUZZ_OPTS_status   := -max_len=4096 -dict=fuzz/reply.dict
FUZZ_OPTS_uploader := -max_len=2048 -dict=fuzz/uploader.dict

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-merge $(addprefix fuzz-,$(FUZZ_TARGETS)) \
        $(addprefix fuzz-run-,$(FUZZ_TARGETS))

# VERSION is compiled in (-DWX_VERSION), as in the Makefile's object rule.
$(FUZZ_DIR)/obj/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ $(NET_LIBS) -o $@

# Each target's binary also depends on its project objects.
$(foreach t,$(FUZZ_TARGETS),$(eval $(FUZZ_DIR)/fuzz_$(t): \
	$(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRC_$(t)))))

fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

# One run: $(1) target, $(2) seconds, $(3) extra corpus dirs (first is where
# new inputs go).  Prints libFuzzer's closing figures; fails on a crash.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/crashes/$(1) $(FUZZ_DIR)/logs
	@echo "== fuzz $(1): $(2) s"
	@if $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_OPTS_$(1)) -max_total_time=$(2) -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_DIR)/crashes/$(1)/ $(3) fuzz/corpus/$(1) \
	      >$(FUZZ_DIR)/logs/$(1).log 2>&1; then \
	  sed -n 's/^stat::number_of_executed_units: */   executions: /p; s/^stat::new_units_added: */   new inputs: /p' \
	    $(FUZZ_DIR)/logs/$(1).log; \
	else \
	  echo "   CRASH in fuzz_$(1) (log $(FUZZ_DIR)/logs/$(1).log, input in $(FUZZ_DIR)/crashes/$(1)/):"; \
	  grep -E 'ERROR: |runtime error|SUMMARY|Test unit written' $(FUZZ_DIR)/logs/$(1).log | head -8; \
	  exit 1; \
	fi
endef

# Work on a scratch copy so the tree's corpus only changes on fuzz-merge.
$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/work/$*
	$(call fuzz_run,$*,$(FUZZ_SECONDS),$(FUZZ_DIR)/work/$*)

fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory fuzz-$$t || fail=1; done; exit $$fail

# Smoke: the scratch dir is emptied first, so each run starts from the
# tree's corpus alone and leaves it untouched.
fuzz-smoke: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  rm -rf $(FUZZ_DIR)/smoke/$$t; mkdir -p $(FUZZ_DIR)/smoke/$$t; \
	  $(MAKE) --no-print-directory FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) \
	    FUZZ_SCRATCH=smoke fuzz-run-$$t || fail=1; done; exit $$fail

FUZZ_SCRATCH ?= work
$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/$(FUZZ_SCRATCH)/$*
	$(call fuzz_run,$*,$(FUZZ_SECONDS),$(FUZZ_DIR)/$(FUZZ_SCRATCH)/$*)

# Minimise the tree's corpus plus the scratch finds into fuzz/corpus.
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/work/$$t $(FUZZ_DIR)/merged/$$t $(FUZZ_DIR)/logs; \
	  rm -f $(FUZZ_DIR)/merged/$$t/*; \
	  $(FUZZ_DIR)/fuzz_$$t -merge=1 $(FUZZ_DIR)/merged/$$t fuzz/corpus/$$t $(FUZZ_DIR)/work/$$t \
	    >$(FUZZ_DIR)/logs/$$t.merge.log 2>&1 || { echo "merge $$t failed"; exit 1; }; \
	  rm -f fuzz/corpus/$$t/*; cp $(FUZZ_DIR)/merged/$$t/* fuzz/corpus/$$t/; \
	  echo "fuzz-merge $$t: $$(ls fuzz/corpus/$$t | wc -l) inputs"; done
