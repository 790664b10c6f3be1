# Portico — build, run, test.
#   make          build build/porticod, build/portico-sim
#   make run      build and start the gateway on embedded defaults
#   make test     build and run every test (SAN=1: ASan + UBSan)
#   make bench    run the benchmarks under bench/
# `run`, `test` and `bench` first install missing Debian packages (as root).

CC      ?= cc
SAN     ?= 0
PKGS    := libmicrohttpd jansson libcurl sqlite3 libcrypto

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
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -ljansson -lcurl -lsqlite3 -lcrypto) -lpthread -lm

LIB_DIRS := util store blob upstream sim core api http
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB      := $(BUILD)/libportico.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BINS := $(BUILD)/porticod $(BUILD)/portico-sim

.PHONY: all run test bench deps clean unit
all: $(BINS) $(UNIT_BIN)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%: $(BUILD)/obj/%.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB)
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

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
