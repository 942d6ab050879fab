# ork - one Makefile for the whole tree.
#
#   make            build the daemons and the command line into build/bin/
#   make deps       install what is missing (Debian 12 packages, DuckDB)
#   make test       unit + integration tests against a throwaway PostgreSQL
#   make run        local PostgreSQL + ork-api + ork-orchestrator + ork-worker
#   make asan       the tests again under AddressSanitizer + UBSan
#   make tsan       the tests again under ThreadSanitizer
#   make fuzz-NAME  a libFuzzer campaign on one parser (clang)
#   make lint-deploy  helm lint/template and docker-compose config checks
#   make bench      ork-perf on the small perf-configs against its own daemons
#
# Variables: V=1 shows commands, BUILD= chooses the output folder.

.SUFFIXES:
.DELETE_ON_ERROR:
# Objects of tests are intermediate files to make: keep them.
.SECONDARY:
SHELL := /bin/bash

BUILD    ?= build
SANITIZE ?=
CC       ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# nng and civetweb ship no .pc file in Debian 12: fall back to ours.
# (make 4.3 does not pass exported variables to $(shell): set it inline.)
PKG_CONFIG ?= pkg-config
ifneq ($(shell $(PKG_CONFIG) --exists nng civetweb 2>/dev/null && echo y),y)
PKG_CONFIG := PKG_CONFIG_PATH=$(CURDIR)/deploy/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH)) $(PKG_CONFIG)
endif

PKGS      := libpq nng civetweb libcjson libprotobuf-c libcurl libargon2 uuid zlib
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough \
	-Wcast-qual -Wwrite-strings -Wconversion -Wno-sign-conversion
VERSION_DEFS := -DORK_VERSION='"$(VERSION)"' -DORK_GIT_REV='"$(GIT_REV)"'
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -pthread $(VERSION_DEFS)
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),address)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -O1
HARDEN :=
HARDEN_LD :=
else ifeq ($(SANITIZE),thread)
SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -O1
HARDEN := -fPIE
HARDEN_LD := -pie
endif

# Generated headers are system headers: their macros trip -Wcast-qual.
INCLUDES := -Icommon -isystem $(BUILD)/gen
CFLAGS_ALL = $(BASE_CFLAGS) $(HARDEN) $(SAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) \
	$(CFLAGS)
LDFLAGS_ALL = -pthread $(HARDEN_LD) $(SAN_FLAGS) $(LDFLAGS)
LIBS_ALL = $(PKG_LIBS) -lm

# A stamp of the flags: changing them rebuilds everything.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW := $(CC) $(CFLAGS_ALL) $(WARN) $(LDFLAGS_ALL)
$(shell mkdir -p $(BUILD) && \
	if [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" != '$(FLAGS_NOW)' ]; then \
		printf '%s' '$(FLAGS_NOW)' > $(FLAGS_STAMP); fi)

# ---- generated sources -------------------------------------------------
PROTO      := proto/ork.proto
GEN_PB_C   := $(BUILD)/gen/ork.pb-c.c
GEN_PB_H   := $(BUILD)/gen/ork.pb-c.h
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
GEN_MIG_C  := $(BUILD)/gen/migrations.c

$(GEN_PB_C) $(GEN_PB_H) &: $(PROTO)
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/gen $<

$(GEN_MIG_C): $(MIGRATIONS) deploy/embed-migrations.sh
	@mkdir -p $(@D)
	@echo "  EMBED   migrations"
	$(Q)deploy/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# ---- common library ----------------------------------------------------
COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o) \
	$(BUILD)/obj/gen/ork.pb-c.o $(BUILD)/obj/gen/migrations.o
LIBORK     := $(BUILD)/lib/libork.a

$(LIBORK): $(COMMON_OBJ)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# Every object depends on the generated header so the first build orders
# itself; -MMD keeps later builds exact.
$(BUILD)/obj/%.o: %.c $(GEN_PB_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) $(WARN) -MMD -MP -c $< -o $@

# Generated code is compiled with fewer warnings.
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -w -MMD -MP -c $< -o $@

# ---- daemons and command line ------------------------------------------
SERVICES := api orchestrator worker cli perf
BIN_api          := ork-api
BIN_orchestrator := ork-orchestrator
BIN_worker       := ork-worker
BIN_cli          := ork
BIN_perf         := ork-perf
BINS := $(foreach s,$(SERVICES),$(BUILD)/bin/$(BIN_$(s)))

# DuckDB's C library (fetched into .deps/ by make deps: Debian lacks it)
# is linked into the worker, with an rpath to where it was fetched.  The
# container image copies it next to the binaries (deploy/Dockerfile).
DEPS_DIR ?= $(CURDIR)/.deps
DUCKDB_DIR := $(DEPS_DIR)/duckdb
DUCKDB_CFLAGS := -isystem $(DUCKDB_DIR)/include
DUCKDB_LIBS := -L$(DUCKDB_DIR)/lib -lduckdb -Wl,-rpath,$(DUCKDB_DIR)/lib
EXTRA_CFLAGS_worker := $(DUCKDB_CFLAGS)
EXTRA_LIBS_worker := $(DUCKDB_LIBS)

define service_rules
$(1)_SRC := $$(sort $$(wildcard services/$(1)/*.c services/$(1)/plugins/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/obj/%.o)
$$($(1)_OBJ): CFLAGS += $$(EXTRA_CFLAGS_$(1))
$(BUILD)/bin/$(BIN_$(1)): $$($(1)_OBJ) $(LIBORK)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$($(1)_OBJ) $(LIBORK) $$(LIBS_ALL) \
		$$(EXTRA_LIBS_$(1))
endef
$(foreach s,$(SERVICES),$(eval $(call service_rules,$(s))))

# ork-api carries its web page (services/api/web/), embedded at build time.
WEB_FILES := $(sort $(wildcard services/api/web/*))
GEN_WEB_C := $(BUILD)/gen/web.c
$(GEN_WEB_C): $(WEB_FILES) deploy/embed-web.sh
	@mkdir -p $(@D)
	@echo "  EMBED   web page"
	$(Q)deploy/embed-web.sh $(WEB_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/web.o: CFLAGS += -Iservices/api
api_OBJ += $(BUILD)/obj/gen/web.o
$(BUILD)/bin/ork-api: $(BUILD)/obj/gen/web.o

# ---- tests -------------------------------------------------------------
UNIT_SRC  := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC := $(sort $(wildcard tests/integration/*_test.c))
INTEG_BINS := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
HARNESS_OBJ := $(BUILD)/obj/tests/integration/harness.o
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/*_fuzz.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%_fuzz.c=%)
FUZZ_REGR := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%_regress)
BENCH_SRC := $(sort $(wildcard tests/bench/*_bench.c))
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/bench/%)

TEST_CFLAGS = $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -Itests/integration $(DUCKDB_CFLAGS)

$(BUILD)/obj/tests/%.o: tests/%.c $(GEN_PB_H) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(TEST_CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIBORK)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBORK) $(LIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o \
		$(HARNESS_OBJ) $(LIBORK)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(HARNESS_OBJ) $(LIBORK) \
		$(LIBS_ALL) $(CMOCKA_LIBS) $(DUCKDB_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(HARNESS_OBJ) $(LIBORK)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(HARNESS_OBJ) $(LIBORK) \
		$(LIBS_ALL) $(CMOCKA_LIBS) $(DUCKDB_LIBS)

# Fuzz targets, built once as a plain program that replays the corpus
# (part of make test) and once with libFuzzer for campaigns.
$(BUILD)/tests/fuzz/%_regress: $(BUILD)/obj/tests/fuzz/%_fuzz.o \
		$(BUILD)/obj/tests/fuzz/driver.o $(LIBORK)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

FUZZ_CC ?= clang
FUZZ_TIME ?= 60
fuzz-%: $(GEN_PB_H) $(GEN_MIG_C)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -pthread $(VERSION_DEFS) \
		-fsanitize=fuzzer,address,undefined $(INCLUDES) $(PKG_CFLAGS) \
		tests/fuzz/$*_fuzz.c $(COMMON_SRC) $(GEN_PB_C) $(GEN_MIG_C) \
		-o $(BUILD)/fuzz/$*_fuzz $(PKG_LIBS) -lm
	@mkdir -p $(BUILD)/fuzz/$*_corpus
	$(BUILD)/fuzz/$*_fuzz -max_total_time=$(FUZZ_TIME) \
		-artifact_prefix=$(BUILD)/fuzz/$*- \
		$(BUILD)/fuzz/$*_corpus tests/fuzz/corpus/$*

# ---- top-level targets -------------------------------------------------
.PHONY: all deps test test-unit run asan tsan clean lint-deploy bench-% test-memory \
	bench check-build help
.DEFAULT_GOAL := all

all: $(BINS)

tests-build: $(BINS) $(UNIT_BINS) $(INTEG_BINS) $(FUZZ_REGR) $(BENCH_BINS)

deps:
	@deploy/deps.sh

# make test: build, start a throwaway PostgreSQL, run every suite, stop it.
test: deps-check
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(BUILD) tests/run.sh

deps-check:
	@deploy/deps.sh --check-or-install

asan:
	$(Q)$(MAKE) --no-print-directory test BUILD=build/asan SANITIZE=address

tsan:
	$(Q)$(MAKE) --no-print-directory test BUILD=build/tsan SANITIZE=thread

run: deps-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) deploy/run-local.sh

lint-deploy:
	$(Q)deploy/lint-deploy.sh

# The memory bound of a load over a 2 GB CSV (make test does 110 MB).
test-memory: deps-check
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)ORK_TEST_MEMORY_CSV_MB=2048 ORK_TEST_CLUSTER=memory BUILD=$(BUILD) \
	    tests/run.sh plugins_csv_test

bench-%: deps-check
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(BUILD) tests/bench/run.sh $*

# make bench: ork-perf on noop-burst and steady-200 against daemons it
# starts; the JSON goes to tests/out/bench/perf.json and stdout.
bench: deps-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/bench/perf.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
