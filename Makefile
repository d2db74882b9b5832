# emb -- build, test and fuzz.
#
#   make                 library (build/libemb.a) and CLI (build/emb)
#   make check           the quick tests: unit tests + CLI tests (tests/run.sh),
#                        on tests/data/ and generated data only
#   make check-data      the tests on the benchmark data in EMB_DATA
#                        (default ../shared/data; they skip without it)
#   make check-all       everything: check, the slow tests and check-data
#   make asan            the same tests in an ASan+UBSan build (build-asan/)
#   make fuzz            libFuzzer harnesses (clang) in build-fuzz/
#   make NATIVE=1        add -march=native
#
# One variable, BUILD, names the output folder so that the sanitizer build
# lives beside the normal one.

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
# Flags the build cannot do without; CFLAGS (overridable) comes last.
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wno-overlength-strings -Iinclude -MMD -MP
ifeq ($(NATIVE),1)
BASE_CFLAGS += -march=native
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
LDLIBS  += -lz -lm -lpthread
CLI_LIBS = -ljson-c
CLI_LIBS += -lmicrohttpd

CORE_SRC   := $(filter-out %_test.c,$(wildcard src/core/*.c))
MODEL_SRC  := $(filter-out %_test.c,$(wildcard src/models/*.c))
EVAL_SRC   := $(filter-out %_test.c,$(wildcard src/eval/*.c))
INDEX_SRC  := $(filter-out %_test.c,$(wildcard src/index/*.c))
MAP_SRC    := $(filter-out %_test.c src/map/plot.c,$(wildcard src/map/*.c))
LIB_SRC    := $(CORE_SRC) $(MODEL_SRC) $(EVAL_SRC) $(INDEX_SRC) $(MAP_SRC)
CLI_SRC    := $(wildcard cli/*.c)
TEST_SRC   := $(wildcard src/*/*_test.c) tests/headers_test.c

# The plot renderer needs cairo: it gets its own archive, linked only by the
# CLI and its test, so libemb stays free of cairo.
PLOT_SRC   := src/map/plot.c
PLOT_LIBS  := -lcairo

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
PLOT_OBJ := $(PLOT_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(TEST_SRC)))

.PHONY: all check check-data check-all asan fuzz clean tests
all: $(BUILD)/libemb.a $(BUILD)/emb

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libemb.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# emb serve's web page (web/*) is embedded in the binary: xxd -i turns each
# file into a C array, renamed serve_web_<file>[] / serve_web_<file>_len.
WEB_FILES := web/index.html web/app.js
CLI_OBJ += $(BUILD)/obj/gen/serve_web.o
$(BUILD)/gen/serve_web.c: $(WEB_FILES)
	@mkdir -p $(dir $@)
	{ echo '/* generated from web/ by the Makefile (xxd -i): do not edit */'; \
	  for f in $(notdir $(WEB_FILES)); do (cd web && xxd -i $$f) || exit 1; done; } | \
	  sed -e 's/^unsigned char \([a-z_]*\)\[\]/const unsigned char serve_web_\1[]/' \
	      -e 's/^unsigned int \([a-z_]*\)_len/const unsigned int serve_web_\1_len/' > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/serve_web.o: $(BUILD)/gen/serve_web.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libemb_plot.a: $(PLOT_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/emb: $(CLI_OBJ) $(BUILD)/libemb.a $(BUILD)/libemb_plot.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libemb_plot.a $(BUILD)/libemb.a $(CLI_LIBS) $(PLOT_LIBS) $(LDLIBS)

# Unit tests: each *_test.c is a program linked against the library.
$(BUILD)/tests/%: src/core/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/models/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/eval/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/index/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/map/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/plot_test: src/map/plot_test.c $(BUILD)/libemb_plot.a $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb_plot.a $(BUILD)/libemb.a $(PLOT_LIBS) $(LDLIBS)
# Every public header must compile alone as C and as C++.
$(BUILD)/tests/headers_test: tests/headers_test.c $(wildcard include/emb/*.h) $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
	for h in include/emb/*.h; do \
	  printf '#include "emb/%s"\n' $$(basename $$h) | $(CC) -std=c11 -Wall -Wextra -Werror -Iinclude -x c -fsyntax-only - || exit 1; \
	  printf '#include "emb/%s"\n' $$(basename $$h) | c++ -std=c++17 -Wall -Werror -Iinclude -x c++ -fsyntax-only - || exit 1; \
	done

tests: $(TEST_BIN) $(BUILD)/emb

# Test labels (tests/run.sh): data_*.sh need EMB_DATA, scripts marked
# "# slow" run only in check-all, the rest is the quick `make check`.
EMB_DATA ?= ../shared/data
check: tests
	BUILD=$(BUILD) MODE=check bash tests/run.sh $(TESTS)
check-data: tests
	BUILD=$(BUILD) MODE=data EMB_DATA=$(EMB_DATA) bash tests/run.sh $(TESTS)
check-all: tests
	BUILD=$(BUILD) MODE=all EMB_DATA=$(EMB_DATA) bash tests/run.sh $(TESTS)

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" check

# Fuzzing (clang + libFuzzer): make fuzz, then e.g.
#   build-fuzz/fuzz_vecs -max_total_time=300 fuzz/corpus/vecs
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz: $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
build-fuzz/%: fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PLOT_OBJ:.o=.d)
