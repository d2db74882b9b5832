# emb -- build, test and fuzz.
#
#   make                 library (build/libemb.a, .so), the HTTP service library
#                        (build/libemb_serve.a, .so; needs libmicrohttpd) and CLI (build/emb)
#   make check           the quick tests: unit tests + CLI tests (tests/run.sh),
#                        on tests/data/ and generated data only
#   make check-data      the tests on the benchmark data in EMB_DATA
#                        (default ../shared/data; they skip without it)
#   make check-slow      the slow tests (a minute: the tests of the tests)
#   make check-all       everything: check, the slow tests and check-data
#   make asan            the same tests in an ASan+UBSan build (build-asan/)
#   make fuzz            libFuzzer harnesses (clang) in build-fuzz/
#   make mutate          mutation testing (tests/mutations.txt); not in check
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
# Dense products (src/nn) go through CBLAS: Debian's OpenBLAS by default;
# another CBLAS (BLIS, MKL) links with e.g. make BLAS_LIBS=-lblis.
BLAS_LIBS ?= -lopenblas
LDLIBS  += $(BLAS_LIBS) -lz -lm -lpthread
CLI_LIBS = -ljson-c

# Version of the library and the CLI; the shared library's soname carries
# the major number (libemb.so.0 -> libemb.so.0.1.0).
VERSION       = 0.1.0
VERSION_MAJOR = $(firstword $(subst ., ,$(VERSION)))

# Optional packages, probed by compiling their header (no pkg-config
# needed). Force one off with e.g. `make HAVE_CAIRO=0`: the CLI is then
# built without that feature and its command says which package to install.
#   cairo         (libcairo2-dev)      emb plot
#   libmicrohttpd (libmicrohttpd-dev)  emb serve
#   json-c        (libjson-c-dev)      every command's --json output: the
#                                      CLI cannot be built without it
probe = $(shell printf '\043include <%s>\n' $(1) | $(CC) -E -x c - >/dev/null 2>&1 && echo 1 || echo 0)
ifeq ($(origin HAVE_CAIRO),undefined)
HAVE_CAIRO := $(call probe,cairo/cairo.h)
endif
ifeq ($(origin HAVE_MHD),undefined)
HAVE_MHD := $(call probe,microhttpd.h)
endif
ifeq ($(origin HAVE_JSONC),undefined)
HAVE_JSONC := $(call probe,json-c/json.h)
endif
ifneq ($(HAVE_CAIRO),1)
$(info emb: cairo not found (Debian: apt-get install libcairo2-dev): building the CLI without `emb plot`)
endif
ifneq ($(HAVE_MHD),1)
$(info emb: libmicrohttpd not found (Debian: apt-get install libmicrohttpd-dev): building the CLI without `emb serve`)
endif
ifneq ($(HAVE_JSONC),1)
$(info emb: json-c not found (Debian: apt-get install libjson-c-dev): the library builds, the CLI (build/emb) cannot)
endif
# Required: a CBLAS (zlib likewise; both are named when missing).
ifneq ($(call probe,cblas.h),1)
$(error emb: cblas.h not found: apt-get install libopenblas-dev (or another CBLAS, with BLAS_LIBS=...))
endif
ifneq ($(call probe,zlib.h),1)
$(error emb: zlib.h not found: apt-get install zlib1g-dev)
endif
CLI_DEFS = -DEMB_HAVE_CAIRO=$(HAVE_CAIRO) -DEMB_HAVE_MHD=$(HAVE_MHD)

CORE_SRC   := $(filter-out %_test.c,$(wildcard src/core/*.c))
DATA_SRC   := $(filter-out %_test.c,$(wildcard src/data/*.c))
NN_SRC     := $(filter-out %_test.c,$(wildcard src/nn/*.c))
MODEL_SRC  := $(filter-out %_test.c,$(wildcard src/models/*.c))
EVAL_SRC   := $(filter-out %_test.c,$(wildcard src/eval/*.c))
INDEX_SRC  := $(filter-out %_test.c,$(wildcard src/index/*.c))
MAP_SRC    := $(filter-out %_test.c src/map/plot.c,$(wildcard src/map/*.c))
LIB_SRC    := $(CORE_SRC) $(DATA_SRC) $(NN_SRC) $(MODEL_SRC) $(EVAL_SRC) $(INDEX_SRC) $(MAP_SRC)
# cli/*_missing.c stand in for an optional package that is absent.
CLI_SRC    := $(filter-out cli/%_missing.c,$(wildcard cli/*.c))
ifneq ($(HAVE_MHD),1)
CLI_SRC    := $(filter-out cli/cmd_serve.c,$(CLI_SRC))
endif
ifneq ($(HAVE_CAIRO),1)
CLI_SRC    += cli/plot_missing.c
endif
TEST_SRC   := $(wildcard src/*/*_test.c) tests/headers_test.c
ifneq ($(HAVE_CAIRO),1)
TEST_SRC   := $(filter-out src/map/plot_test.c,$(TEST_SRC))
endif

# The HTTP service is a library of its own, libemb_serve (src/serve/ and
# the page from web/), on top of libemb; it needs libmicrohttpd and json-c.
# Without them the CLI is built without `emb serve` and no libemb_serve.
HAVE_SERVE := $(if $(filter 11,$(HAVE_MHD)$(HAVE_JSONC)),1,0)
SERVE_SRC  := $(filter-out %_test.c,$(wildcard src/serve/*.c))
SERVE_LIBS := -lmicrohttpd -ljson-c
ifneq ($(HAVE_SERVE),1)
SERVE_SRC  :=
TEST_SRC   := $(filter-out src/serve/%,$(TEST_SRC))
endif

# The plot renderer needs cairo: it gets its own archive, linked only by the
# CLI and its test, so libemb stays free of cairo.
PLOT_SRC   := src/map/plot.c
PLOT_LIBS  := -lcairo
ifneq ($(HAVE_CAIRO),1)
PLOT_SRC   :=
PLOT_LIBS  :=
endif

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
PLOT_OBJ := $(PLOT_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(TEST_SRC)))

SERVE_OBJ := $(SERVE_SRC:%.c=$(BUILD)/obj/%.o)
SERVE_PIC := $(SERVE_SRC:%.c=$(BUILD)/pic/%.o)
ifeq ($(HAVE_SERVE),1)
SERVE_OBJ += $(BUILD)/obj/gen/serve_web.o
SERVE_PIC += $(BUILD)/pic/gen/serve_web.o
SERVE_TARGETS := $(BUILD)/libemb_serve.a $(BUILD)/libemb_serve.so
endif

.PHONY: all check check-data check-slow check-all asan fuzz clean tests mutate bench-kernels
all: $(BUILD)/libemb.a $(BUILD)/libemb.so $(SERVE_TARGETS) $(BUILD)/emb

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The CLI's objects know which optional features they have.
$(BUILD)/obj/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CLI_DEFS) -I$(BUILD)/gen -c $< -o $@
$(BUILD)/obj/cli/emb.o: $(BUILD)/gen/emb_version.h

# emb --version: version and git commit, rewritten only when they change.
EMB_COMMIT = $(shell [ -e .git ] && git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(BUILD)/gen/emb_version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define EMB_VERSION "%s"\n#define EMB_COMMIT "%s"\n' '$(VERSION)' '$(EMB_COMMIT)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# The shared library: the same sources compiled again with -fPIC into their
# own folder (the static library and the CLI keep non-PIC code), linked
# with a version script that exports only the public emb_* names (those
# declared in include/emb/; internal emb__* helpers stay local).
PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
SONAME  := libemb.so.$(VERSION_MAJOR)
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(BUILD)/%.map: $(BUILD)/%.a
	{ echo '/* generated by the Makefile: the public symbols of $*.so */'; echo '{ global:'; \
	  nm -g --defined-only $< | awk 'NF == 3 && $$3 ~ /^emb_[a-zA-Z0-9]/ { print "  " $$3 ";" }' | sort -u; \
	  echo 'local: *; };'; } > $@.tmp && mv $@.tmp $@
$(BUILD)/libemb.so.$(VERSION): $(PIC_OBJ) $(BUILD)/libemb.map
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script,$(BUILD)/libemb.map \
	  -Wl,--no-undefined -o $@ $(PIC_OBJ) $(LDLIBS)
$(BUILD)/libemb.so: $(BUILD)/libemb.so.$(VERSION)
	ln -sf libemb.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/libemb.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# libemb_serve: its archive, and a shared library built like libemb.so
# (PIC objects, only emb_* exported) that links libemb.so.
SERVE_SONAME := libemb_serve.so.$(VERSION_MAJOR)
$(BUILD)/libemb_serve.a: $(SERVE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
$(BUILD)/libemb_serve.so.$(VERSION): $(SERVE_PIC) $(BUILD)/libemb_serve.map $(BUILD)/libemb.so
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SERVE_SONAME) -Wl,--version-script,$(BUILD)/libemb_serve.map \
	  -Wl,--no-undefined -o $@ $(SERVE_PIC) -L$(BUILD) -lemb $(SERVE_LIBS) $(LDLIBS)
$(BUILD)/libemb_serve.so: $(BUILD)/libemb_serve.so.$(VERSION)
	ln -sf libemb_serve.so.$(VERSION) $(BUILD)/$(SERVE_SONAME)
	ln -sf $(SERVE_SONAME) $@

# The service's web page (web/*) is embedded in libemb_serve: xxd -i turns
# each file into a C array, renamed emb__serve_web_<file>[] / _len.
WEB_FILES := web/index.html web/app.js
$(BUILD)/gen/serve_web.c: $(WEB_FILES) Makefile
	@mkdir -p $(dir $@)
	{ echo '/* generated from web/ by the Makefile (xxd -i): do not edit */'; \
	  for f in $(notdir $(WEB_FILES)); do (cd web && xxd -i $$f) || exit 1; done; } | \
	  sed -e 's/^unsigned char \([a-z_]*\)\[\]/const unsigned char emb__serve_web_\1[]/' \
	      -e 's/^unsigned int \([a-z_]*\)_len/const unsigned int emb__serve_web_\1_len/' > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/serve_web.o: $(BUILD)/gen/serve_web.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/pic/gen/serve_web.o: $(BUILD)/gen/serve_web.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/libemb_plot.a: $(PLOT_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

ifeq ($(HAVE_SERVE),1)
CLI_SERVE := $(BUILD)/libemb_serve.a
CLI_LIBS  += -lmicrohttpd
endif
$(BUILD)/emb: $(CLI_OBJ) $(BUILD)/libemb.a $(BUILD)/libemb_plot.a $(CLI_SERVE)
ifneq ($(HAVE_JSONC),1)
	@echo 'emb: the CLI needs json-c: apt-get install libjson-c-dev (Debian), then make' >&2; exit 1
endif
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(CLI_SERVE) $(BUILD)/libemb_plot.a $(BUILD)/libemb.a $(CLI_LIBS) $(PLOT_LIBS) $(LDLIBS)

# ---- install -------------------------------------------------------------
.PHONY: install uninstall man FORCE
#   make install [PREFIX=/usr/local] [DESTDIR=]    make uninstall (same variables)
# Installs emb, libemb.a, libemb.so (+ soname and dev links), libemb_serve.a
# and libemb_serve.so (the same; when libmicrohttpd is there), the public
# headers (include/emb/, without plot.h: the plot module is not in libemb;
# serve.h only with libemb_serve),
# emb.pc and the emb(1) man page. scripts/install.sh checks every folder
# first and copies before it renames, so a prefix it cannot write leaves
# nothing behind.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
PUBLIC_HEADERS := $(filter-out include/emb/plot.h include/emb/serve.h,$(wildcard include/emb/*.h))
ifeq ($(HAVE_SERVE),1)
PUBLIC_HEADERS += include/emb/serve.h
SERVE_INSTALL = \
  f 644 $(BUILD)/libemb_serve.a $(D)$(LIBDIR)/libemb_serve.a \
  f 755 $(BUILD)/libemb_serve.so.$(VERSION) $(D)$(LIBDIR)/libemb_serve.so.$(VERSION) \
  l libemb_serve.so.$(VERSION) $(D)$(LIBDIR)/$(SERVE_SONAME) \
  l $(SERVE_SONAME) $(D)$(LIBDIR)/libemb_serve.so \
  f 644 $(BUILD)/emb_serve.pc $(D)$(PKGCONFIGDIR)/emb_serve.pc
endif
D := $(DESTDIR)
INSTALL_ENTRIES = \
  f 755 $(BUILD)/emb $(D)$(BINDIR)/emb \
  f 644 $(BUILD)/libemb.a $(D)$(LIBDIR)/libemb.a \
  f 755 $(BUILD)/libemb.so.$(VERSION) $(D)$(LIBDIR)/libemb.so.$(VERSION) \
  l libemb.so.$(VERSION) $(D)$(LIBDIR)/$(SONAME) \
  l $(SONAME) $(D)$(LIBDIR)/libemb.so \
  $(SERVE_INSTALL) \
  $(foreach h,$(PUBLIC_HEADERS),f 644 $(h) $(D)$(INCLUDEDIR)/emb/$(notdir $(h))) \
  d $(D)$(INCLUDEDIR)/emb \
  f 644 $(BUILD)/emb.pc $(D)$(PKGCONFIGDIR)/emb.pc \
  f 644 docs/emb.1 $(D)$(MANDIR)/man1/emb.1

# pkg-config file. Static linking (pkg-config --static) adds zlib, libm
# and pthreads; dynamic linking needs only -lemb.
$(BUILD)/emb.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' \
	  'libdir=$(patsubst $(PREFIX)%,$${exec_prefix}%,$(LIBDIR))' \
	  'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))' '' \
	  'Name: emb' \
	  'Description: embeddings in C: word2vec, graph and knowledge-graph embeddings, nearest-neighbour search' \
	  'Version: $(VERSION)' \
	  'Requires.private: zlib' \
	  'Libs: -L$${libdir} -lemb' \
	  'Libs.private: $(BLAS_LIBS) -lm -lpthread' \
	  'Cflags: -I$${includedir}' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
# libemb_serve's: on top of emb.pc.
$(BUILD)/emb_serve.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' \
	  'libdir=$(patsubst $(PREFIX)%,$${exec_prefix}%,$(LIBDIR))' \
	  'includedir=$(patsubst $(PREFIX)%,$${prefix}%,$(INCLUDEDIR))' '' \
	  'Name: emb_serve' \
	  'Description: the emb HTTP service (JSON API and web page over word vectors) as a library' \
	  'Version: $(VERSION)' \
	  'Requires: emb' \
	  'Libs: -L$${libdir} -lemb_serve' \
	  'Libs.private: $(SERVE_LIBS)' \
	  'Cflags: -I$${includedir}' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# The man page is generated from the help texts and committed;
# tests/cli_man.sh fails when a command or option is missing from it.
man: $(BUILD)/emb
	bash scripts/gen_man.sh $(BUILD)/emb > docs/emb.1.tmp && mv docs/emb.1.tmp docs/emb.1

install: all $(BUILD)/emb.pc $(if $(SERVE_TARGETS),$(BUILD)/emb_serve.pc)
	bash scripts/install.sh install $(INSTALL_ENTRIES)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	bash scripts/install.sh uninstall $(INSTALL_ENTRIES)

# Unit tests: each *_test.c is a program linked against the library.
$(BUILD)/tests/%: src/core/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/data/%.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb.a $(LDLIBS)
$(BUILD)/tests/%: src/nn/%.c $(BUILD)/libemb.a
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
# The service's test links libemb_serve and libemb only (no CLI code).
$(BUILD)/tests/serve_test: src/serve/serve_test.c $(BUILD)/libemb_serve.a $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libemb_serve.a $(BUILD)/libemb.a $(SERVE_LIBS) $(LDLIBS)
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
check-slow: tests
	BUILD=$(BUILD) MODE=slow bash tests/run.sh $(TESTS)
check-all: tests
	BUILD=$(BUILD) MODE=all EMB_DATA=$(EMB_DATA) bash tests/run.sh $(TESTS)

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" check

# bench/kernels.c: our SIMD kernels against OpenBLAS (docs/benchmarks.md).
bench-kernels: $(BUILD)/bench/kernels
$(BUILD)/bench/kernels: bench/kernels.c $(BUILD)/libemb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libemb.a $(LDLIBS)

# Mutation testing: apply each deliberate bug of tests/mutations.txt in a
# copy of the tree, run the tests it names, report which survived.
mutate:
	/usr/bin/python3 scripts/mutate.py

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

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PLOT_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(SERVE_OBJ:.o=.d) $(SERVE_PIC:.o=.d)
