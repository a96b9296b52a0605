# cloudsweep build. `make` builds everything, `make check` runs the whole
# test suite (unit, functional, fuzz smoke, then unit+functional again under
# ASan+UBSan), `make demo` runs the demo job, `make bench` the benchmarks.

BUILD    ?= build
SAN      ?=
CC       ?= cc
CLANG    ?= clang

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-format-nonliteral
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now
CFLAGS   ?= -O2 -g
ifeq ($(SAN),1)
  CFLAGS := -O1 -g -fno-omit-frame-pointer
  HARDEN := -fPIE
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
HS_CFLAGS   := -I/usr/include/hs
ALL_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(SANFLAGS) $(CFLAGS) \
               -Iproto -Iengine -Ibroker -Inodes -Iconsole -Itests/unit $(HS_CFLAGS)
LIBS        := -lczmq -lzmq -lsodium -lmsgpackc -lleveldb -lyaml -ljansson -lpcre2-8 -lhs -larchive -lgit2 -lssh -lssl -lcrypto -lm -lpthread
ALL_LDFLAGS := $(LDHARDEN) $(SANFLAGS) $(LDFLAGS)

MAINS    := broker/sweep_broker.c nodes/sweep_node.c console/sweepctl.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard proto/*.c engine/*.c broker/*.c nodes/*.c console/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBA     := $(BUILD)/libsweep.a
PROGS    := $(BUILD)/bin/sweep-broker $(BUILD)/bin/sweep-node $(BUILD)/bin/sweepctl
TOOLS    := $(BUILD)/bin/sw-listen $(BUILD)/bin/sw-rawclient $(BUILD)/bin/sw-osvbench \
            $(BUILD)/bin/sw-storedump
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/test/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
HEADERS  := $(wildcard proto/*.h engine/*.h broker/*.h nodes/*.h console/*.h tests/unit/*.h)

.PHONY: all deps install check-install check-deploy check-scripts check-rules check-unit check-functional check-asan fuzz fuzz-smoke demo bench \
        format clean

all: $(PROGS) $(TOOLS)

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/bin/sweep-broker: $(BUILD)/obj/broker/sweep_broker.o $(LIBA)
$(BUILD)/bin/sweep-node: $(BUILD)/obj/nodes/sweep_node.o $(LIBA)
$(BUILD)/bin/sweepctl: $(BUILD)/obj/console/sweepctl.o $(LIBA)
$(BUILD)/bin/sw-listen: $(BUILD)/obj/tests/tools/sw_listen.o $(LIBA)
$(BUILD)/bin/sw-rawclient: $(BUILD)/obj/tests/tools/sw_rawclient.o $(LIBA)
$(BUILD)/bin/sw-osvbench: $(BUILD)/obj/tests/tools/sw_osvbench.o $(LIBA)
$(BUILD)/bin/sw-storedump: $(BUILD)/obj/tests/tools/sw_storedump.o $(LIBA)
$(PROGS) $(TOOLS):
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/test/%: tests/unit/%.c $(LIBA) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(LIBA) $(LIBS) -lcriterion -o $@

check: deps
	$(MAKE) check-scripts check-install check-deploy check-unit check-rules check-functional fuzz-smoke
	$(MAKE) check-asan
	@echo "make check: all suites passed"

check-scripts:
	@shellcheck -x -P SCRIPTDIR scripts/*.sh tests/functional/*.sh bench/*.sh .ci/run
	@echo "shellcheck: clean"

check-rules: $(BUILD)/bin/sweepctl
	@$(BUILD)/bin/sweepctl rules lint rules
	@$(BUILD)/bin/sweepctl rules test rules

check-unit: $(UNITS)
	@scripts/run-unit.sh $(UNITS)

check-functional: all
	@tests/functional/run.sh $(BUILD)/bin

check-asan:
	$(MAKE) BUILD=build/asan SAN=1 check-unit check-rules check-functional

# The library is compiled once for every harness (coverage-instrumented,
# sanitized), then each harness links against it.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iproto -Iengine -Ibroker -Inodes -Iconsole $(HS_CFLAGS)
FUZZ_OBJ    := $(LIB_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/libsweep-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libsweep-fuzz.a $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< build/fuzz/libsweep-fuzz.a \
	  $(LIBS) -o $@

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); d=tests/fuzz/$${n#fuzz_}.dict; \
	  echo "== $$n (60 s)"; mkdir -p build/corpus/$$n; \
	  $$f -max_total_time=60 -max_len=65536 $$( [ -f $$d ] && echo -dict=$$d ) \
	    build/corpus/$$n || exit 1; done

# A harness with seeds (tests/fuzz/seeds/NAME: inputs a random start
# rarely reaches, like well-formed tar headers) starts from a copy of them.
fuzz-smoke: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); d=tests/fuzz/$${n#fuzz_}.dict; \
	  echo "== $$n (10 s smoke)"; c=; rm -rf build/fuzz/seeds-$$n; \
	  if [ -d tests/fuzz/seeds/$$n ]; then cp -r tests/fuzz/seeds/$$n build/fuzz/seeds-$$n; \
	    c=build/fuzz/seeds-$$n; fi; \
	  $$f -max_total_time=10 -max_len=8192 -seed=1 $$( [ -f $$d ] && echo -dict=$$d ) $$c \
	    >build/fuzz/$$n.log 2>&1 || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  tail -1 build/fuzz/$$n.log; done

demo: deps all
	@scripts/demo.sh $(BUILD)/bin

bench: deps all
	@bench/run.sh $(BUILD)/bin

# make install [PREFIX=/usr/local] [DESTDIR=]: programs, rule packs, docs,
# systemd units (with this PREFIX's paths), and example configs in
# /etc/cloudsweep (never over an existing one).
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/cloudsweep
DOCDIR  := $(PREFIX)/share/doc/cloudsweep
UNITDIR ?= $(PREFIX)/lib/systemd/system
ETCDIR  ?= /etc/cloudsweep

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)
	cp -R rules $(DESTDIR)$(DATADIR)/
	install -m 0644 README.md proto/PROTOCOL.md docs/*.md $(DESTDIR)$(DOCDIR)
	for u in deploy/systemd/*.service; do \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $$u \
	    >$(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -d -m 0755 $(DESTDIR)$(ETCDIR)
	for c in deploy/etc/*.conf; do \
	  [ -e $(DESTDIR)$(ETCDIR)/$$(basename $$c) ] || install -m 0644 $$c $(DESTDIR)$(ETCDIR); done

# The units as installed must pass systemd-analyze verify (skipped where
# systemd-analyze is missing). The stage is its own PREFIX so that the
# units' ExecStart paths exist where the verifier looks.
check-install: all
	@rm -rf $(BUILD)/stage
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(BUILD)/stage \
	  ETCDIR=$(CURDIR)/$(BUILD)/stage/etc/cloudsweep >/dev/null
	@test -x $(BUILD)/stage/bin/sweep-broker && test -f $(BUILD)/stage/etc/cloudsweep/node.conf
	@if command -v systemd-analyze >/dev/null; then \
	  for u in $(BUILD)/stage/lib/systemd/system/*.service; do \
	    systemd-analyze verify $$u || exit 1; done; echo "systemd units: verified"; \
	else echo "systemd-analyze not installed: units not verified"; fi

# The Vagrantfile validates (where vagrant is installed: CI installs it),
# and our own Kubernetes manifests pass our own Kubernetes rules.
check-deploy: $(BUILD)/bin/sweepctl
	@if command -v vagrant >/dev/null; then vagrant validate; \
	else echo "vagrant not installed: Vagrantfile not validated"; fi
	@$(BUILD)/bin/sweepctl check deploy/k8s --rules rules/k8s --fail-on info
	@echo "deploy/k8s: no finding from rules/k8s"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
