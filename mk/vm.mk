# make test-vm: the station on Debian's own kernel, booted by systemd in QEMU.
#
#   make test-vm      build (or reuse) the test machine under $(BUILD)/vm and
#                     run every VM test; prints one line per test and
#                     "N passed, N failed"; results in $(BUILD)/vm/results,
#                     which tests/run counts when make test runs it.
#   make vm-image     only build the machine (kernel, modules, root image)
#   make test-vm VM_TESTS="boot i2c"   a subset
#   (pulses, pulses2, storage: the anemometer and rain gauge on gpio-sim
#   with libgpiod 1.6 and 2.x, and under slow, locked and failing storage;
#   their measurements go to $(BUILD)/vm/figures)
#
# The machine (tests/vm/mkvm does each step, tests/vm/run boots it):
#   - kernel: the version linux-image-amd64 names when first built; its
#     linux-image, linux-headers and linux-source of that same version.
#     QEMU boots the uncompressed vmlinux (scripts/extract-vmlinux) through
#     its PVH entry, TCG, one vCPU; a busybox initramfs loads virtio-blk and
#     ext4 (modules in Debian's kernel) and switches to systemd.
#   - gpio-sim and irq_sim built out of tree against the headers (Debian
#     enables neither; tests/vm/irq_sim.sed is the one change irq_sim needs).
#   - root: debootstrap --variant=minbase bookworm plus VM_BASE_PKGS, the
#     kernel's /lib/modules, the package from `make deb` installed with dpkg
#     in the chroot, and tests/vm/guest; `mkfs.ext4 -d` makes root.img
#     without a loop mount.  Each test boots a fresh copy of it.
# Everything comes from the Debian mirror; .debs, kernel, modules, base
# tarball and image are cached here, and only what changed is rebuilt
# (the image when the .deb or tests/vm changed).  `rm -rf build/vm` starts
# over, picking up a newer kernel.

VM_DIR       := $(BUILD)/vm
VM_TESTS     ?= boot i2c clock powercut pulses pulses2 storage
VM_DEB_PKGS  := qemu-system-x86 qemu-utils debootstrap e2fsprogs kmod cpio xz-utils
# The station's run-time libraries are in the base so dpkg -i needs no network.
VM_BASE_PKGS := systemd-sysv,udev,kmod,dbus,procps,i2c-tools,sqlite3,libi2c0,libgpiod2,libsqlite3-0,libcurl4,libmosquitto1,libinih1,libcjson1,libmicrohttpd12,dmsetup,gpiod
VM_GUEST     := $(shell find tests/vm/guest -type f 2>/dev/null)

.PHONY: test-vm vm-image FORCE

vm-image: $(VM_DIR)/root.img $(VM_DIR)/kernel.stamp

$(VM_DIR)/kernel.env:
	bash tests/vm/mkvm fetch $(VM_DIR)

$(VM_DIR)/kernel.stamp: $(VM_DIR)/kernel.env tests/vm/irq_sim.sed tests/vm/initrd-init tests/vm/mkvm
	bash tests/vm/mkvm kernel $(VM_DIR)
	@touch $@

# Rebuilt when the package list changes.
$(VM_DIR)/base.pkgs: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VM_BASE_PKGS)' | cmp -s - $@ || echo '$(VM_BASE_PKGS)' > $@

$(VM_DIR)/base.tar: $(VM_DIR)/base.pkgs
	bash tests/vm/mkvm base $(VM_DIR) $(VM_BASE_PKGS)

$(VM_DIR)/wxvm-sync: tests/vm/wxvm_sync.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 $< -o $@

# The pulse injector of the gpio tests (tests/vm/wxvm_pulse.c).
$(VM_DIR)/wxvm-pulse: tests/vm/wxvm_pulse.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 $< -o $@

# A second wxd for the pulses2 test: the same sources built against trixie's
# libgpiod 2.x (mk/gpiod2.mk's unpacked root: its pkg-config file picks
# drivers/gpio_v2.c, its headers and libgpiod.so.3 come before the system's
# 1.6), run from /opt/wxd-gpiod2 with trixie's libgpiod.so.3 beside it.
VM_GPIOD2 := $(VM_DIR)/gpiod2
$(VM_DIR)/wxd-gpiod2.tar: $(GPIOD2_DIR)/root.stamp $(LIB_SRC) drivers/gpio_v2.c firmware/wxd_main.c VERSION
	$(MAKE) --no-print-directory BUILD=$(VM_GPIOD2) \
	  PKG_CONFIG="env PKG_CONFIG_PATH=$(abspath $(GPIOD2_ROOT))/usr/lib/$(GPIOD2_MULTI)/pkgconfig pkg-config" \
	  CPPFLAGS="-I$(abspath $(GPIOD2_ROOT))/usr/include" \
	  LDFLAGS="-Wl,-z,relro,-z,now -L$(abspath $(GPIOD2_ROOT))/usr/lib/$(GPIOD2_MULTI) -Wl,-rpath,/opt/wxd-gpiod2" \
	  $(VM_GPIOD2)/wxd
	rm -rf $(VM_GPIOD2)/opt && mkdir -p $(VM_GPIOD2)/opt/wxd-gpiod2
	cp $(VM_GPIOD2)/wxd $(VM_GPIOD2)/opt/wxd-gpiod2/wxd
	cp -P $(GPIOD2_ROOT)/usr/lib/$(GPIOD2_MULTI)/libgpiod.so.3* $(VM_GPIOD2)/opt/wxd-gpiod2/
	tar -C $(VM_GPIOD2)/opt -cf $@ wxd-gpiod2

$(VM_DIR)/root.img: $(VM_DIR)/base.tar $(VM_DIR)/kernel.stamp $(DEB_FILE) $(VM_DIR)/wxvm-sync $(VM_DIR)/wxvm-pulse \
                    $(VM_DIR)/wxd-gpiod2.tar \
                    $(VM_GUEST) tests/vm/mkvm
	bash tests/vm/mkvm image $(VM_DIR) $(DEB_FILE)

# A machine that cannot be built or booted fails every test, with the
# reason; tests/vm/run never counts a test it could not run as passed.
test-vm: deps
	@rm -f $(VM_DIR)/results $(VM_DIR)/build-error
	@mkdir -p $(VM_DIR)
	@t0=$$(date +%s); \
	if $(MAKE) --no-print-directory vm-image > $(VM_DIR)/build.log 2>&1; then \
	  echo "vm-image: ready in $$(($$(date +%s) - t0)) s"; \
	else \
	  tail -15 $(VM_DIR)/build.log; \
	  echo "building the test machine failed: $$(grep -m1 '^mkvm: ' $(VM_DIR)/build.log || echo 'see $(VM_DIR)/build.log')" \
	    > $(VM_DIR)/build-error; \
	fi
	bash tests/vm/run $(VM_DIR) $(VM_TESTS)
