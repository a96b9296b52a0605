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
ALL_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(SANFLAGS) $(CFLAGS) \
               -Iproto -Iengine -Ibroker -Inodes -Iconsole -Itests/unit
LIBS        := -lczmq -lzmq -lsodium -lmsgpackc -lleveldb -lyaml -ljansson -lpcre2-8 -larchive -lpthread
ALL_LDFLAGS := $(LDHARDEN) $(SANFLAGS) $(LDFLAGS)

MAINS    := broker/sweep_broker.c nodes/sweep_node.c console/sweepctl.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard proto/*.c engine/*.c broker/*.c nodes/*.c console/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIBA     := $(BUILD)/libsweep.a
PROGS    := $(BUILD)/bin/sweep-broker $(BUILD)/bin/sweep-node $(BUILD)/bin/sweepctl
TOOLS    := $(BUILD)/bin/sw-listen $(BUILD)/bin/sw-rawclient $(BUILD)/bin/sw-osvbench
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/test/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
HEADERS  := $(wildcard proto/*.h engine/*.h broker/*.h nodes/*.h console/*.h tests/unit/*.h)

.PHONY: all deps check check-scripts check-rules check-unit check-functional check-asan fuzz fuzz-smoke demo bench \
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
$(PROGS) $(TOOLS):
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/test/%: tests/unit/%.c $(LIBA) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(LIBA) $(LIBS) -lcriterion -o $@

check: deps
	$(MAKE) check-scripts check-unit check-rules check-functional fuzz-smoke
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

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -Iproto -Iengine -Ibroker -Inodes -Iconsole $< $(LIB_SRC) $(LIBS) -o $@

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); d=tests/fuzz/$${n#fuzz_}.dict; \
	  echo "== $$n (60 s)"; mkdir -p build/corpus/$$n; \
	  $$f -max_total_time=60 -max_len=65536 $$( [ -f $$d ] && echo -dict=$$d ) \
	    build/corpus/$$n || exit 1; done

fuzz-smoke: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); d=tests/fuzz/$${n#fuzz_}.dict; \
	  echo "== $$n (10 s smoke)"; \
	  $$f -max_total_time=10 -max_len=8192 -seed=1 $$( [ -f $$d ] && echo -dict=$$d ) \
	    >build/fuzz/$$n.log 2>&1 || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  tail -1 build/fuzz/$$n.log; done

demo: deps all
	@scripts/demo.sh $(BUILD)/bin

bench: deps all
	@bench/run.sh $(BUILD)/bin

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
