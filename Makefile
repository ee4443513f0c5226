# bouncetag - build, test, install.
#
#   make                 build build/bouncetag-milter and build/bouncetag
#   make check           unit tests, rules lint, milter scenarios (real daemon, miltertest)
#   make check-san       unit, CLI and milter suites under ASan + UBSan (clang), in build/san
#   make soak            the reliability suite's long mode (minutes of 200-connection load)
#   make check-valgrind  the milter scenarios with the milter under valgrind
#   make run             run the milter in the foreground on ./run (SQLite, local socket)
#   make install         PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR=
#   make e2e             real Postfix end to end (tests/e2e/run.sh; needs root)
#   make demo            the whole story in under a minute (tests/e2e/demo.sh)
#   make accuracy        classification accuracy against the Sisimai corpus
#   make bench           benchmarks (BENCH=quick|full), figures in bench/RESULTS.md
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (clang)
#   make lint            cppcheck and clang-tidy
#   make format          clang-format in place

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DESTDIR    ?=
CONFDIR     = $(SYSCONFDIR)/bouncetag

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD      ?= build/san
CC          = clang
SANFLAGS    = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD      ?= build
SANFLAGS    =
endif

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wvla
PKGS     = libpcre2-8 sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcre2-8 -lsqlite3)
ALL_CPPFLAGS = -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) \
           -DBT_DEFAULT_CONFIG='"$(CONFDIR)/bouncetag.conf"' -DBT_VERSION='"$(VERSION)"' $(CPPFLAGS)
ALL_CFLAGS = -std=c11 -pthread $(WARN) $(SANFLAGS) $(CFLAGS)
LIBS     = $(PKG_LIBS) -lpthread
VERSION  = 0.1.0

COMMON_SRC = $(sort $(wildcard common/*.c))
MILTER_SRC = $(sort $(wildcard milter/*.c))
CLI_SRC    = $(sort $(wildcard cli/*.c))
TEST_SRC   = $(sort $(wildcard tests/unit/test_*.c))

COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
MILTER_OBJ = $(MILTER_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN   = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB        = $(BUILD)/libbouncetag.a
MILTER     = $(BUILD)/bouncetag-milter
CLI        = $(BUILD)/bouncetag

.PHONY: all check check-unit check-rules check-cli check-milter check-accuracy \
	check-reliability soak check-valgrind check-fuzz check-san run install lint format clean \
	e2e demo accuracy bench fuzz

all: $(MILTER) $(CLI)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(MILTER): $(MILTER_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(MILTER_OBJ) $(LIB) -lmilter $(LIBS)

$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit -DFIXTURES='"$(CURDIR)/tests/fixtures"' \
	  -DRULES_CONF='"$(CURDIR)/conf/rules.conf"' $(ALL_CFLAGS) -MMD -MP -o $@ $< $(LIB) -lcmocka $(LIBS)

-include $(COMMON_OBJ:.o=.d) $(MILTER_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)

check: check-unit check-rules check-cli check-milter check-accuracy check-reliability check-fuzz

check-unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

check-rules: $(CLI)
	$(CLI) --config conf/bouncetag.conf rules lint

check-cli: $(CLI)
	tests/cli/run.sh $(BUILD)

# fails when classification accuracy on the Sisimai corpus drops below target
check-accuracy: $(CLI)
	tests/accuracy/run.sh $(BUILD) --check

check-milter: $(MILTER) $(CLI)
	tests/milter/run.sh $(BUILD)

# the unit, CLI and milter suites again under ASan + UBSan (clang), in build/san
check-san:
	$(MAKE) SANITIZE=1 check-unit check-rules check-cli check-milter

# store outages, kill -9 during learning, 200-connection load, hostile input
check-reliability: $(MILTER) $(CLI)
	tests/reliability/run.sh $(BUILD) quick

soak: $(MILTER) $(CLI)
	tests/reliability/run.sh $(BUILD) soak

# the milter scenarios with the milter under valgrind (no errors, no definite leaks)
check-valgrind: $(MILTER) $(CLI)
	tests/reliability/run.sh $(BUILD) valgrind

run: all
	tools/run-local.sh $(BUILD)

e2e: all
	tests/e2e/run.sh $(BUILD)

demo: all
	tests/e2e/demo.sh $(BUILD)

accuracy: all
	tests/accuracy/run.sh $(BUILD)

BENCH ?= quick
bench: all
	bench/run.sh $(BUILD) $(BENCH)

FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# every libFuzzer target over its seeds and saved regressions, once (clang)
check-fuzz:
	tests/fuzz/run.sh --smoke

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(CONFDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(MILTER) $(DESTDIR)$(SBINDIR)/bouncetag-milter
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/bouncetag
	test -e $(DESTDIR)$(CONFDIR)/bouncetag.conf || \
	  install -m 0644 conf/bouncetag.conf $(DESTDIR)$(CONFDIR)/bouncetag.conf
	install -m 0644 conf/rules.conf $(DESTDIR)$(CONFDIR)/rules.conf
	install -m 0644 conf/postfix-main.cf conf/postfix-master.cf $(DESTDIR)$(CONFDIR)/
	install -m 0644 man/bouncetag.1 $(DESTDIR)$(MANDIR)/man1/bouncetag.1
	install -m 0644 man/bouncetag.conf.5 $(DESTDIR)$(MANDIR)/man5/bouncetag.conf.5
	install -m 0644 man/bouncetag-milter.8 $(DESTDIR)$(MANDIR)/man8/bouncetag-milter.8
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@CONFDIR@|$(CONFDIR)|g' systemd/bouncetag-milter.service.in \
	  > $(DESTDIR)$(UNITDIR)/bouncetag-milter.service
	install -m 0644 systemd/bouncetag.sysusers $(DESTDIR)$(SYSUSERSDIR)/bouncetag.conf
	install -m 0644 systemd/bouncetag.tmpfiles $(DESTDIR)$(TMPFILESDIR)/bouncetag.conf

lint:
	cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c11 -D_GNU_SOURCE -Icommon -q common milter cli
	clang-tidy --quiet $(COMMON_SRC) $(MILTER_SRC) $(CLI_SRC) -- $(ALL_CPPFLAGS) -std=c11

format:
	clang-format -i common/*.[ch] milter/*.[ch] cli/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build
