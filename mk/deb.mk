# make deb: $(BUILD)/wxd_<VERSION>_<arch>.deb, built with dpkg-deb from a
# DESTDIR tree of `make install PREFIX=/usr` (no debian/rules needed).
# With CROSS=aarch64-linux-gnu- (see mk/cross.mk) it packages the arm64 build:
#   make deb CROSS=aarch64-linux-gnu- BUILD=build/aarch64
#
# debian/ holds the control template, the maintainer scripts, conffiles,
# changelog and copyright.  `make lintian` checks the result.

DEB_ARCH    := $(or $(CROSS_DEBARCH),$(shell dpkg --print-architecture 2>/dev/null))
DEB_FILE    := $(BUILD)/wxd_$(VERSION)_$(DEB_ARCH).deb
DEB_ROOT    := $(BUILD)/deb/root
DEB_WORK    := $(BUILD)/deb/work
# The distribution's own directories: /lib/... on bookworm, /usr/lib/... on trixie.
DEB_UNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
DEB_UDEVDIR := $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)
DEB_STRIP   := $(CROSS)strip

.PHONY: deb lintian

deb: $(DEB_FILE)

$(DEB_FILE): $(BUILD)/wxd $(BUILD)/wxd-net $(BUILD)/wxctl $(MAN_GZ) systemd/wxd.service \
             systemd/wxd-net.service systemd/wxd.sysusers systemd/wxd.modules-load \
             systemd/wxd.tmpfiles systemd/60-wxd-devices.rules etc/wxd.conf.example \
             debian/control.in debian/postinst debian/prerm debian/postrm debian/conffiles \
             debian/changelog debian/copyright VERSION
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
	  { echo "deb: debian/changelog is at $$v but VERSION is $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; exit 1; }
	@# One shell, and the tree deleted whatever happens: the main Makefile's
	@# `find $(BUILD) -name '*.d'` would take tmpfiles.d/ for a dependency file.
	@set -e; trap 'rm -rf $(DEB_ROOT) $(DEB_WORK)' EXIT; \
	rm -rf $(DEB_ROOT) $(DEB_WORK); \
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
	  UNITDIR=$(DEB_UNITDIR) UDEVRULESDIR=$(DEB_UDEVDIR)/rules.d BUILD=$(BUILD) CROSS=$(CROSS) >/dev/null; \
	echo "  staged make install PREFIX=/usr into $(DEB_ROOT)"; \
	: "as dh_strip does: no debug symbols or build notes in the package"; \
	$(DEB_STRIP) --remove-section=.comment --remove-section=.note --strip-unneeded \
	  $(DEB_ROOT)/usr/bin/wxd $(DEB_ROOT)/usr/bin/wxd-net $(DEB_ROOT)/usr/bin/wxctl; \
	install -D -m 0644 debian/copyright $(DEB_ROOT)/usr/share/doc/wxd/copyright; \
	gzip -9n < debian/changelog > $(DEB_ROOT)/usr/share/doc/wxd/changelog.gz; \
	chmod 0644 $(DEB_ROOT)/usr/share/doc/wxd/changelog.gz; \
	install -d -m 0755 $(DEB_ROOT)/DEBIAN; \
	install -m 0755 debian/postinst debian/prerm debian/postrm $(DEB_ROOT)/DEBIAN/; \
	install -m 0644 debian/conffiles $(DEB_ROOT)/DEBIAN/; \
	: "shared-library dependencies, as dh_shlibdeps does"; \
	mkdir -p $(DEB_WORK)/debian; \
	printf 'Source: wxd\n\nPackage: wxd\nArchitecture: any\n' > $(DEB_WORK)/debian/control; \
	deps=$$(cd $(DEB_WORK) && dpkg-shlibdeps -O $(abspath $(DEB_ROOT))/usr/bin/wxd \
	  $(abspath $(DEB_ROOT))/usr/bin/wxd-net $(abspath $(DEB_ROOT))/usr/bin/wxctl | sed -n 's/^shlibs:Depends=//p'); \
	[ -n "$$deps" ]; \
	(cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
	  | xargs -0 md5sum > DEBIAN/md5sums); \
	chmod 0644 $(DEB_ROOT)/DEBIAN/md5sums; \
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
	    -e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
	    -e "s|@DEPENDS@|$$deps|" debian/control.in > $(DEB_ROOT)/DEBIAN/control; \
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $@
	@dpkg-deb -I $@ | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/  \1:/p'

lintian: $(DEB_FILE)
	@command -v lintian >/dev/null || { echo "lintian not found (apt-get install lintian)" >&2; exit 1; }
	lintian --info --display-info --pedantic --suppress-tags-from-file debian/lintian-suppress $(DEB_FILE)
