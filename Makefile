# p2vkit: one non-recursive GNU Makefile for the whole tree.
#
#   make            build ./p2vkit
#   make check      install what is missing, build, run every test (TAP via prove)
#   make check-e2e  only the end-to-end tests: test guests converted, booted, deployed
#   make demo       install what is missing, build, run the main job on examples/fleet
#   make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS
#   make install    PREFIX=/usr/local DESTDIR=
#
# Builds go to $(BUILD) (build/ by default); the sanitizer build of the same
# sources goes to $(BUILD)/san.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/p2vkit
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?= -Werror
SAN ?=

PKGS := yaml-0.1 libosinfo-1.0
PKGS += libnbd gnutls
PKGS += libguestfs libxml-2.0
PKGS += hivex
PKGS += libvirt
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
# ncursesw (tui/): its libraries only; its cflags define _XOPEN_SOURCE=600,
# which would override the feature macros other files choose.
PKG_LIBS += $(shell pkg-config --libs ncursesw)

# Truncated snprintf output is intended where it is used (labels in messages).
# GCC's only: clang does not know the option (make fuzz leaves it out).
NO_TRUNC_WARN ?= -Wno-format-truncation
ALL_CFLAGS = -std=c11 -Wall -Wextra $(WERROR) $(NO_TRUNC_WARN) -D_GNU_SOURCE \
	-DP2VKIT_DATADIR='"$(DATADIR)"' -DP2VKIT_SRCDIR='"$(CURDIR)"' -I. $(PKG_CFLAGS) $(CFLAGS)
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
SAN_LDFLAGS = -fsanitize=address,undefined
endif

# Every folder but cli/ (the front end) and tests/ goes into one library
# that the program, the unit tests and the fuzz targets link.
LIB_DIRS := core inventory planner converter p2v deploy report migrate tui
LIB_SRCS := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS := $(sort $(wildcard cli/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
HEADERS := $(wildcard */*.h)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libp2vkit.a
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PROGRAM := $(if $(filter build,$(BUILD)),p2vkit,$(BUILD)/p2vkit)

.PHONY: all check check-e2e unit-tests demo fuzz install deps clean regen-golden

all: $(PROGRAM)

# V=1 shows whole command lines.
V ?= 0
Q = $(if $(filter 1,$(V)),,@)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(filter 1,$(V)),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(PROGRAM): $(CLI_OBJS) $(LIB)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) $(SAN_LDFLAGS) $(LDFLAGS) \
	  -o $@ $< $(LIB) $(PKG_LIBS) $(shell pkg-config --libs cmocka) -lm

unit-tests: $(UNIT_BINS)

deps:
	@scripts/install-deps.sh

# The sanitizer build is a second run of this Makefile into $(BUILD)/san.
SAN_BUILD := $(BUILD)/san
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

# Every test in two lanes side by side (CHECK_LANES=2, the default: prove
# -j2, one rule per lane), or one at a time (make check CHECK_LANES=1),
# each running one test at a time: the unit tests (plain and sanitizer
# builds) then the shell tests in one; the end-to-end tests (tests/e2e/:
# Debian test guests built, cached in /var/tmp/p2vkit-guests, converted,
# captured, booted and deployed through libvirt) in the other, which takes
# about as long.  What the lanes share is guarded: tests that use libvirtd,
# network namespaces or fixed loopback addresses hold one lock throughout
# (t_net_lock in tests/functions.sh, also against other runs on the
# machine); build.sh builds each guest once under flock, the e2e tests
# waiting for it; libguestfs locks its appliance cache; scratch folders
# come from mktemp.  The end-to-end tests once ran alone because guests
# booting under TCG beside other tests made their timing unreliable: their
# time limits (30 minutes a boot) now leave room for the other lane on a
# loaded 2-core machine.  The guests are built in the background from the
# start (build.sh --prefetch), so that the builds overlap the compiling
# and the first tests.  Tests that cut a capture part way hold it stopped
# at a chunk it has confirmed (t_stop_when_confirmed), so a guest booting
# in the other lane cannot make them race.
#
# prove runs each test through tests/prove-exec (standard error as TAP
# comments, one stream per test as -j2 needs; the seconds of each test in
# $(CHECK_TIMES)), shows failures and comments, and the run ends with the
# ten slowest tests.  SHELL_TESTS, E2E_TESTS and UNIT_TESTS may be given
# on the command line to run fewer.
TEST_ENV = P2VKIT=$(CURDIR)/$(SAN_BUILD)/p2vkit P2VKIT_PLAIN=$(CURDIR)/p2vkit srcdir=$(CURDIR)
SHELL_TESTS := $(sort $(filter-out tests/functions.sh,$(wildcard tests/*.sh)))
E2E_TESTS := $(sort $(wildcard tests/e2e/*.sh))
UNIT_TESTS = $(UNIT_BINS) $(UNIT_SRCS:tests/unit/%.c=$(SAN_BUILD)/tests/%)
CHECK_TIMES = $(BUILD)/check-times
empty :=
comma := ,
# The end-to-end lane's rule: its tests by name ({a,b,c}); the rest is the
# other lane (**).  prove's status fails when a test of either lane fails.
E2E_LANE = --rules='seq={$(subst $(empty) $(empty),$(comma),$(strip $(E2E_TESTS)))}' --rules='seq=**'
CHECK_LANES ?= 2
ifeq ($(CHECK_LANES),2)
CHECK_ARGS = -j2 $(E2E_LANE) $(E2E_TESTS) $(UNIT_TESTS) $(SHELL_TESTS)
else
CHECK_ARGS = $(UNIT_TESTS) $(SHELL_TESTS) $(E2E_TESTS)
endif

# $(call run_tests,PROVE-ARGUMENTS): prove, then the ten slowest tests;
# prove's exit status.
define run_tests
@rm -f $(CHECK_TIMES)
$(TEST_ENV) P2VKIT_TEST_TIMES=$(CURDIR)/$(CHECK_TIMES) \
  prove --timer --merge --failures --comments --exec tests/prove-exec $(1); st=$$?; \
  echo "Slowest tests:"; sort -rn $(CHECK_TIMES) 2>/dev/null | head -n 10 \
  | awk '{ printf "  %7.1f s  %s\n", $$1, $$2 }'; \
  exit $$st
endef

check: deps
	tests/guests/build.sh --prefetch
	$(MAKE) all unit-tests
	$(MAKE) BUILD=$(SAN_BUILD) SAN=1 all unit-tests
	$(call run_tests,$(CHECK_ARGS))

# Only the end-to-end tests (the same builds and environment as make check).
check-e2e: deps
	$(MAKE) all unit-tests
	$(MAKE) BUILD=$(SAN_BUILD) SAN=1 all unit-tests
	$(call run_tests,$(E2E_TESTS))

# Rewrite the expected outputs of the golden-file tests from the current
# program; review the diff before committing it.
regen-golden: all unit-tests
	P2VKIT=$(CURDIR)/p2vkit srcdir=$(CURDIR) tests/golden.sh --regen
	$(BUILD)/tests/test-template --regen
	$(BUILD)/tests/test-convert --regen
	P2VKIT=$(CURDIR)/p2vkit srcdir=$(CURDIR) tests/report.sh --regen
	P2VKIT=$(CURDIR)/p2vkit srcdir=$(CURDIR) tests/windows-registry.sh --regen
	P2VKIT=$(CURDIR)/p2vkit srcdir=$(CURDIR) tests/deploy-xml.sh --regen

demo: deps
	$(MAKE) all
	scripts/demo.sh

FUZZ_SECONDS ?= 20
FUZZ_BUILD := $(BUILD)/fuzz
# Built with clang (libFuzzer), without -Werror (clang warns where GCC
# does not) and without GCC's own options, which clang rejects.  An input
# that takes over 10 s is a finding: the readers' limits keep every input
# of -max_len far below that.
FUZZ_CFLAGS = $(filter-out $(WERROR) $(NO_TRUNC_WARN),$(ALL_CFLAGS))
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang WERROR= NO_TRUNC_WARN= \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	  $(FUZZ_BUILD)/libp2vkit.a
	@set -e; for src in $(FUZZ_SRCS); do \
	  t=$$(basename $$src .c); \
	  clang $(FUZZ_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	    -o $(FUZZ_BUILD)/$$t $$src $(FUZZ_BUILD)/libp2vkit.a $(PKG_LIBS) -lm; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    $(FUZZ_BUILD)/corpus/$$t $$(sed -n 's/^ \* Seeds: //p' $$src); \
	done

# templates/ (report's) is installed when the tree has it.
install: $(PROGRAM)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(PROGRAM) $(DESTDIR)$(BINDIR)/p2vkit
	if [ -d templates ]; then \
	  install -d $(DESTDIR)$(DATADIR)/templates && \
	  cp -R templates/. $(DESTDIR)$(DATADIR)/templates/; fi
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf $(BUILD) p2vkit out

# ---------------------------------------------------------------------
# The inventory agent that `p2vkit inventory --ssh` copies to servers:
# `p2vkit inventory` alone (cli/cmd-inventory.c built with -DP2VKIT_AGENT),
# linked statically so that it runs on older Linux than this one.  With
# musl (musl-tools) it needs no C library on the server and runs on 2.6
# kernels; without musl-gcc it falls back to a static glibc build, which
# needs Linux 3.2 or later.  libosinfo and GLib cannot be linked
# statically, so the agent leaves them out: the collector resolves os.id
# (inventory/enrich.c).  See docs/inventory.md.
LIBEXECDIR ?= $(PREFIX)/lib/p2vkit
AGENT := $(BUILD)/p2vkit-agent
AGENT_SRCS := core/error.c core/util.c core/model.c core/yaml-write.c core/output.c \
	core/schema.c core/yaml-read.c core/yaml-parse.c core/plan-check.c core/yaml-load.c \
	core/progress.c core/notify.c \
	$(filter-out inventory/enrich.c inventory/fleet.c inventory/summary.c, \
	  $(wildcard inventory/*.c)) \
	cli/options.c cli/cmd-inventory.c
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/agent/%.o)
YAML_STATIC = $(shell pkg-config --variable=libdir yaml-0.1)/libyaml.a
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
ifneq ($(MUSL_GCC),)
AGENT_CC := $(MUSL_GCC)
# musl-gcc sees only musl's headers; libyaml's one header needs only
# standard C, so it is made visible alone.
AGENT_INC := $(BUILD)/agent/include/yaml.h
AGENT_LIBS :=
else
AGENT_CC := $(CC)
AGENT_INC :=
AGENT_LIBS := -lm
endif
AGENT_CFLAGS = -std=c11 -Wall -Wextra $(WERROR) $(NO_TRUNC_WARN) \
	-D_GNU_SOURCE -DP2VKIT_AGENT -I. -I$(BUILD)/agent/include -Os -g

$(BUILD)/agent/include/yaml.h:
	@mkdir -p $(dir $@)
	ln -sf $(shell pkg-config --variable=includedir yaml-0.1)/yaml.h $@

$(BUILD)/agent/%.o: %.c $(HEADERS) $(AGENT_INC)
	@mkdir -p $(dir $@)
	$(AGENT_CC) $(AGENT_CFLAGS) -c -o $@ $<

$(AGENT): $(AGENT_OBJS)
	$(AGENT_CC) -static -o $@ $(AGENT_OBJS) $(YAML_STATIC) $(AGENT_LIBS)

all: $(AGENT)

$(BUILD)/cli/cmd-inventory.o: ALL_CFLAGS += \
	-DP2VKIT_AGENT_PATH='"$(LIBEXECDIR)/p2vkit-agent"'
$(BUILD)/migrate/ssh.o: ALL_CFLAGS += \
	-DP2VKIT_CAPTURE_PATH='"$(LIBEXECDIR)/p2vkit-capture"'

.PHONY: install-agent
install: install-agent
install-agent: $(AGENT)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(AGENT) $(DESTDIR)$(LIBEXECDIR)/p2vkit-agent

# ---------------------------------------------------------------------
# The capture program that migrate copies to a server over ssh:
# `p2vkit capture` alone (cli/cmd-capture.c built with
# -DP2VKIT_CAPTURE_PROGRAM), linked statically against glibc, libnbd and
# GnuTLS (with nettle, hogweed, gmp, tasn1, idn2 and unistring), so that
# it needs nothing of the server but Linux 3.2 or later on x86_64.
# Debian ships no static p11-kit, and a static libxml2 drags in ICU: the
# capture uses neither (no PKCS#11, no NBD URIs), so p2v/static/stubs.c
# stands in for them.  A host name given to --to would need the server's
# NSS modules of this glibc: migrate passes an address.  See docs/p2v.md.
CAPTURE_PROG := $(BUILD)/p2vkit-capture
CAPTURE_SRCS := $(filter-out cli/cmd-inventory.c,$(AGENT_SRCS)) \
	p2v/capture.c p2v/conn.c p2v/fsmap.c p2v/mounts.c p2v/sum.c \
	cli/cmd-capture.c p2v/static/stubs.c
CAPTURE_OBJS := $(CAPTURE_SRCS:%.c=$(BUILD)/capture/%.o)
CAPTURE_CFLAGS = -std=c11 -Wall -Wextra $(WERROR) $(NO_TRUNC_WARN) -D_GNU_SOURCE \
	-DP2VKIT_AGENT -DP2VKIT_CAPTURE_PROGRAM -I. \
	$(shell pkg-config --cflags libnbd gnutls p11-kit-1 libxml-2.0) -O2 -g
STATIC_LIBDIR := $(shell pkg-config --variable=libdir libnbd)
CAPTURE_LIBS := $(YAML_STATIC) $(patsubst %,$(STATIC_LIBDIR)/lib%.a,\
	nbd gnutls hogweed nettle gmp tasn1 idn2 unistring) -latomic -lpthread -lm

$(BUILD)/capture/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(filter 1,$(V)),,echo "  CC      $@")
	$(Q)$(CC) $(CAPTURE_CFLAGS) -c -o $@ $<

# glibc's warnings about NSS in static programs are expected (see above).
$(CAPTURE_PROG): $(CAPTURE_OBJS)
	@st=0; $(CC) -static -o $@ $(CAPTURE_OBJS) $(CAPTURE_LIBS) 2>$@.log || st=$$?; \
	  grep -v 'statically linked applications requires at runtime\|: in function' $@.log >&2; \
	  rm -f $@.log; exit $$st

all: $(CAPTURE_PROG)

.PHONY: install-capture
install: install-capture
install-capture: $(CAPTURE_PROG)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(CAPTURE_PROG) $(DESTDIR)$(LIBEXECDIR)/p2vkit-capture

# ---------------------------------------------------------------------
# Helpers the shell tests run: synthetic Windows hives (mkhive) and the
# Windows registry layer of the converter on a local folder (wintree).
GUEST_SRCS := $(sort $(wildcard tests/guests/*.c))
GUEST_BINS := $(GUEST_SRCS:tests/guests/%.c=$(BUILD)/tests/guests/%)

$(BUILD)/tests/guests/%: tests/guests/%.c $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lm

unit-tests: $(GUEST_BINS)
