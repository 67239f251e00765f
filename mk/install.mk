# make install / make uninstall / make check-unit.  Included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]
#   make check-unit        systemd-analyze verify + security of both units
#
# Binaries, man pages and docs go under PREFIX; the unit, sysusers.d,
# tmpfiles.d and udev files go to PREFIX/lib/..., which systemd and udev
# search for /usr/local as well as /usr.  The deb (mk/deb.mk) uses
# PREFIX=/usr and the distribution's own unit and udev directories.
# The configuration lives in /etc/wxd whatever the PREFIX.

PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
DOCDIR       ?= $(PREFIX)/share/doc/wxd
LIBDIR_SD    ?= $(PREFIX)/lib
UNITDIR      ?= $(LIBDIR_SD)/systemd/system
SYSUSERSDIR  ?= $(LIBDIR_SD)/sysusers.d
TMPFILESDIR  ?= $(LIBDIR_SD)/tmpfiles.d
MODULESLOADDIR ?= $(LIBDIR_SD)/modules-load.d
UDEVRULESDIR ?= $(LIBDIR_SD)/udev/rules.d
SYSCONFDIR   ?= /etc
INSTALL      ?= install

MAN_PAGES := man/wxctl.1 man/wxd.conf.5 man/wxd.8 man/wxd-net.8
UNITS     := wxd.service wxd-net.service
MAN_GZ    := $(patsubst man/%,$(BUILD)/man/%.gz,$(MAN_PAGES))
HW_DOCS   := $(wildcard hardware/*.md hardware/config.txt hardware/wiring.svg)

.PHONY: man check-unit

man: $(MAN_GZ)

# -n: no name or time stamp in the gzip header, so the files are reproducible.
$(BUILD)/man/%.gz: man/%
	@mkdir -p $(dir $@)
	gzip -9n < $< > $@

# The units name /usr/bin/wxd and /usr/bin/wxd-net; point them at this
# install's bindir.
$(BUILD)/%.service: systemd/%.service
	@mkdir -p $(dir $@)
	sed 's|^ExecStart=/usr/bin/|ExecStart=$(BINDIR)/|' $< > $@

install: $(BUILD)/wxd $(BUILD)/wxd-net $(BUILD)/wxctl $(MAN_GZ) $(addprefix $(BUILD)/,$(UNITS))
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(BUILD)/wxd $(BUILD)/wxd-net $(BUILD)/wxctl $(DESTDIR)$(BINDIR)/
	$(INSTALL) -D -m 0644 $(BUILD)/wxd.service $(DESTDIR)$(UNITDIR)/wxd.service
	$(INSTALL) -D -m 0644 $(BUILD)/wxd-net.service $(DESTDIR)$(UNITDIR)/wxd-net.service
	$(INSTALL) -D -m 0644 systemd/wxd.sysusers $(DESTDIR)$(SYSUSERSDIR)/wxd.conf
	$(INSTALL) -D -m 0644 systemd/wxd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/wxd.conf
	$(INSTALL) -D -m 0644 systemd/wxd.modules-load $(DESTDIR)$(MODULESLOADDIR)/wxd.conf
	$(INSTALL) -D -m 0644 systemd/60-wxd-devices.rules $(DESTDIR)$(UDEVRULESDIR)/60-wxd-devices.rules
	$(INSTALL) -D -m 0644 $(BUILD)/man/wxctl.1.gz $(DESTDIR)$(MANDIR)/man1/wxctl.1.gz
	$(INSTALL) -D -m 0644 $(BUILD)/man/wxd.conf.5.gz $(DESTDIR)$(MANDIR)/man5/wxd.conf.5.gz
	$(INSTALL) -D -m 0644 $(BUILD)/man/wxd.8.gz $(DESTDIR)$(MANDIR)/man8/wxd.8.gz
	$(INSTALL) -D -m 0644 $(BUILD)/man/wxd-net.8.gz $(DESTDIR)$(MANDIR)/man8/wxd-net.8.gz
	$(INSTALL) -D -m 0644 etc/wxd.conf.example $(DESTDIR)$(DOCDIR)/wxd.conf.example
	$(if $(HW_DOCS),$(INSTALL) -d $(DESTDIR)$(DOCDIR)/hardware)
	$(if $(HW_DOCS),$(INSTALL) -m 0644 $(HW_DOCS) $(DESTDIR)$(DOCDIR)/hardware/)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/wxd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/wxd/wxd.conf ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/wxd/wxd.conf (the new example is $(DESTDIR)$(DOCDIR)/wxd.conf.example)"; \
	else \
	  echo "$(INSTALL) -m 0644 etc/wxd.conf.example $(DESTDIR)$(SYSCONFDIR)/wxd/wxd.conf"; \
	  $(INSTALL) -m 0644 etc/wxd.conf.example $(DESTDIR)$(SYSCONFDIR)/wxd/wxd.conf; \
	fi
	@# On the live system (no DESTDIR) create the user and directories now,
	@# so that `systemctl enable --now wxd` works at once.
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  set -x; \
	  systemd-sysusers $(SYSUSERSDIR)/wxd.conf; \
	  systemd-tmpfiles --create $(TMPFILESDIR)/wxd.conf; \
	  udevadm control --reload; \
	  udevadm trigger --subsystem-match=gpio --subsystem-match=i2c-dev --subsystem-match=spidev; \
	  systemctl daemon-reload; \
	  set +x; \
	  echo "installed; edit $(SYSCONFDIR)/wxd/wxd.conf, then: systemctl enable --now wxd"; \
	fi

# Removes what install put, except the configuration and the database.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && \
	    systemctl cat wxd.service >/dev/null 2>&1; then \
	  echo "systemctl disable --now wxd.service"; systemctl disable --now wxd.service || true; fi
	rm -f $(DESTDIR)$(BINDIR)/wxd $(DESTDIR)$(BINDIR)/wxd-net $(DESTDIR)$(BINDIR)/wxctl
	rm -f $(DESTDIR)$(UNITDIR)/wxd.service $(DESTDIR)$(UNITDIR)/wxd-net.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/wxd.conf $(DESTDIR)$(TMPFILESDIR)/wxd.conf
	rm -f $(DESTDIR)$(MODULESLOADDIR)/wxd.conf
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-wxd-devices.rules
	rm -f $(DESTDIR)$(MANDIR)/man1/wxctl.1.gz $(DESTDIR)$(MANDIR)/man5/wxd.conf.5.gz \
	      $(DESTDIR)$(MANDIR)/man8/wxd.8.gz $(DESTDIR)$(MANDIR)/man8/wxd-net.8.gz
	rm -rf $(DESTDIR)$(DOCDIR)
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "kept $(SYSCONFDIR)/wxd, /var/lib/wxd and /var/lib/wxd-net (configuration, archive, upload progress) and the wxd user"

# Both checks on each unit as the repository has it.  verify needs
# ExecStart= to exist: use the built programs, or /bin/true when they are
# not built yet.  The Documentation= man pages are looked up in our own
# tree.  security fails above exposure 2.0 (its --threshold is in tenths).
UNIT_CHECK_DIR := $(BUILD)/unit-check
check-unit: $(MAN_GZ)
	@command -v systemd-analyze >/dev/null || { echo "check-unit: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }
	@rm -rf $(UNIT_CHECK_DIR) && mkdir -p $(UNIT_CHECK_DIR)/man/man1 $(UNIT_CHECK_DIR)/man/man5 $(UNIT_CHECK_DIR)/man/man8
	@cp $(BUILD)/man/wxctl.1.gz $(UNIT_CHECK_DIR)/man/man1/ && cp $(BUILD)/man/wxd.conf.5.gz $(UNIT_CHECK_DIR)/man/man5/ && \
	  cp $(BUILD)/man/wxd.8.gz $(BUILD)/man/wxd-net.8.gz $(UNIT_CHECK_DIR)/man/man8/
	@for p in wxd wxd-net; do \
	  exe=$$( [ -x $(BUILD)/$$p ] && echo $(abspath $(BUILD))/$$p || echo /bin/true ); \
	  echo "check-unit: $$p.service ExecStart stand-in $$exe"; \
	  sed "s|^ExecStart=/usr/bin/$$p |ExecStart=$$exe |" systemd/$$p.service > $(UNIT_CHECK_DIR)/$$p.service; \
	done
	cd $(UNIT_CHECK_DIR) && MANPATH=$(abspath $(UNIT_CHECK_DIR)/man) systemd-analyze verify $(UNITS)
	@for u in $(UNITS); do \
	  systemd-analyze security --offline=true --threshold=20 --no-pager $(UNIT_CHECK_DIR)/$$u | tail -1; \
	  systemd-analyze security --offline=true --threshold=20 --no-pager $(UNIT_CHECK_DIR)/$$u >/dev/null || exit 1; \
	done
	@echo "check-unit: ok"
