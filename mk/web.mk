# The web page and JSON API (web/, issue 13): libmicrohttpd, the page's
# files embedded into the library at build time by web/embed.sh, and
# chromium for the test that looks at the page in a real browser.
NET_PKGS += libmicrohttpd
DEB_PKGS += libmicrohttpd-dev chromium curl
CROSS_DEB_PKGS += libmicrohttpd-dev:$(CROSS_DEBARCH)
# threads and loopback sockets, as test_mqtt
CROSS_NOT_UNDER_QEMU += test_web

WEB_STATIC := $(sort $(wildcard web/static/*))
$(BUILD)/libwxnet.a: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard web/*.c)) $(BUILD)/obj/web/static_files.o

$(BUILD)/gen/web/static_files.c: web/embed.sh $(WEB_STATIC)
	@mkdir -p $(dir $@)
	sh web/embed.sh $(WEB_STATIC) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/web/static_files.o: $(BUILD)/gen/web/static_files.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/bench/bench_web: | $(BUILD)/tests/tool_webserve
