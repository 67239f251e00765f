# make test-vm: the station on Debian's own kernel, booted by systemd in QEMU.
#
#   make test-vm      build (or reuse) the test machine under $(BUILD)/vm and
#                     run every VM test; prints one line per test and
#                     "N passed, N failed"; results in $(BUILD)/vm/results,
#                     which tests/run counts when make test runs it.
#   make vm-image     only build the machine (kernel, modules, root image)
#   make test-vm VM_TESTS="boot i2c"   a subset
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
VM_TESTS     ?= boot i2c clock powercut
VM_DEB_PKGS  := qemu-system-x86 qemu-utils debootstrap e2fsprogs kmod cpio xz-utils
# The station's run-time libraries are in the base so dpkg -i needs no network.
VM_BASE_PKGS := systemd-sysv,udev,kmod,dbus,procps,i2c-tools,sqlite3,libi2c0,libgpiod2,libsqlite3-0,libcurl4,libmosquitto1,libinih1,libcjson1,libmicrohttpd12
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

$(VM_DIR)/root.img: $(VM_DIR)/base.tar $(VM_DIR)/kernel.stamp $(DEB_FILE) $(VM_DIR)/wxvm-sync \
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
