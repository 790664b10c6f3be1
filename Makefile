# Portico — build, run, test.
#   make          build build/porticod, build/portico-sim, build/portico (the client CLI)
#   make install  copy the binaries and man pages under $(DESTDIR)$(PREFIX)
#   make run      build and start the gateway on embedded defaults
#   make test     build and run every test (SAN=1: ASan + UBSan)
#   make bench    run the benchmarks under bench/
# `run`, `test` and `bench` first install missing Debian packages (as root).

CC      ?= cc
SAN     ?= 0
# gdlib: thumbnails of stored images (util/thumb.c); libqrencode: the
# face scan's QR code as SVG (util/qrsvg.c) and the CLI's terminal QR code.
PKGS    := libmicrohttpd jansson libcurl sqlite3 libcrypto libpq gdlib libqrencode

ifeq ($(SAN),1)
BUILD   := build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD   := build
OPT     := -O2 -g
endif

CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Isrc \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += $(filter -fsanitize%,$(OPT))
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lcurl -lsqlite3 -lcrypto -lpq -lgd -lqrencode) -lpthread -lm

LIB_DIRS := util store blob upstream core api http doctor
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB      := $(BUILD)/libportico.a

# Files porticod serves from its own binary (src/api/static.h): the two
# consoles and the OpenAPI description, embedded by tools/embed.c.
STATIC_FILES := $(sort $(shell find console -type f ! -name '.*' 2>/dev/null)) docs/openapi.yaml
STATIC_C     := $(BUILD)/gen/static_files.c
STATIC_OBJ   := $(BUILD)/obj/gen/static_files.o
LIB_OBJ      += $(STATIC_OBJ)

# The simulator (src/sim) is an archive of its own, on top of libportico.a:
# the gateway's lib carries no simulator code. It is linked into
# portico-sim, into porticod (which embeds it) and into the tests and fuzz
# targets that include a sim/ header.
SIM_SRC  := $(wildcard src/sim/*.c)
SIM_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SIM_SRC))
SIM_LIB  := $(BUILD)/libportico-sim.a
SIM_BINS := $(BUILD)/porticod $(BUILD)/portico-sim

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
SIM_UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(shell grep -l '"sim/' $(UNIT_SRC) /dev/null))

BINS := $(BUILD)/porticod $(BUILD)/portico-sim $(BUILD)/portico

# The client CLI (src/cli) talks to a gateway over HTTP only: it links its
# own objects and the pure util helpers, never the server's lib.
CLI_SRC     := $(wildcard src/cli/*.c)
CLI_OBJ     := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CLI_SRC))
CLI_LIB     := $(BUILD)/libportico-cli.a
CLI_UTIL    := $(BUILD)/obj/util/buf.o $(BUILD)/obj/util/clock.o
CLI_LDLIBS  := $(shell pkg-config --libs libcurl jansson libqrencode 2>/dev/null || echo -lcurl -ljansson -lqrencode)
PREFIX      ?= /usr/local

.PHONY: all run test bench deps clean unit install
all: $(BINS) $(UNIT_BIN)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# DESIGN.md: data flows http -> api -> core -> ports, and api/ and http/
# include no port header at all. Sealed by the compiler: under
# PORTICO_NO_PORTS, store.h, blob.h and upstream.h are an #error.
NO_PORTS := -DPORTICO_NO_PORTS
$(BUILD)/obj/api/%.o $(BUILD)/obj/http/%.o: CFLAGS += $(NO_PORTS)

$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror $< -o $@

$(STATIC_C): $(BUILD)/embed $(STATIC_FILES) Makefile
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(foreach f,$(STATIC_FILES),$(patsubst console/%,%,$(patsubst docs/%,%,$(f)))=$(f))

$(STATIC_OBJ): $(STATIC_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SIM_LIB): $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%: $(BUILD)/obj/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(SIM_BINS): $(BUILD)/%: $(BUILD)/obj/%.o $(SIM_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/obj/cli/%.o: CFLAGS += $(shell pkg-config --cflags libqrencode 2>/dev/null)

$(CLI_LIB): $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ)) $(CLI_UTIL)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/portico: $(BUILD)/obj/cli/main.o $(CLI_LIB)
	$(CC) $(LDFLAGS) $^ $(CLI_LDLIBS) -o $@

$(BUILD)/tests/test_cli_%: $(BUILD)/obj/tests/test_cli_%.o $(CLI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(CLI_LDLIBS) -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(SIM_UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(SIM_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

deps:
	@sh tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@sh tools/run.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory all
	@python3 tests/run.py --build $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh bench/getasset
	@BUILD=$(BUILD) python3 bench/getasset-multinode
	@BUILD=$(BUILD) sh bench/session
	@BUILD=$(BUILD) sh bench/upload
	@BUILD=$(BUILD) python3 bench/events

install: $(BUILD)/porticod $(BUILD)/portico-sim $(BUILD)/portico
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(BUILD)/porticod $(BUILD)/portico-sim $(BUILD)/portico $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/man/portico.1 $(DESTDIR)$(PREFIX)/share/man/man1/portico.1
	install -m 644 docs/man/porticod.8 $(DESTDIR)$(PREFIX)/share/man/man8/porticod.8

clean:
	rm -rf build

# Fuzzing (tests/fuzz/README.md): libFuzzer targets, one per parser of
# untrusted bytes, built with clang into build/fuzz against the whole lib
# compiled again with the fuzzer's coverage and ASan + UBSan.
#   make fuzz          build, then run each target FUZZ_SECONDS (60) on a
#                      copy of its seed corpus; prints executions per target
#   make fuzz-build    build only (make test's test_fuzz runs each briefly)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
                -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Isrc -Itests/fuzz \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(filter-out tests/fuzz/fuzz_gw.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC)) $(FUZZ_BUILD)/obj/gen/static_files.o
FUZZ_SIM_OBJ := $(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(SIM_SRC))
FUZZ_SIM_BIN := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(shell grep -l '"sim/' $(FUZZ_SRC) /dev/null))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/obj/api/%.o $(FUZZ_BUILD)/obj/http/%.o: FUZZ_CFLAGS += $(NO_PORTS)

$(FUZZ_BUILD)/obj/gen/static_files.o: $(STATIC_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/obj/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libportico.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/libportico-sim.a: $(FUZZ_SIM_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_BUILD)/obj/fuzz/fuzz_gw.o $(FUZZ_BUILD)/libportico.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(LDLIBS) -o $@

$(FUZZ_SIM_BIN): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/fuzz/%.o $(FUZZ_BUILD)/obj/fuzz/fuzz_gw.o \
                 $(FUZZ_BUILD)/libportico-sim.a $(FUZZ_BUILD)/libportico.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(LDLIBS) -o $@

-include $(shell find build -name '*.d' 2>/dev/null)
