# kscope: one entry point for build, test, bench, demo and install.
# Adding a tool: add its name to TOOLS, its sources under src/<tool>/ and
# its BPF programs as bpf/<tool>*.bpf.c.  Everything generated goes to build/.

TOOLS := damontop iofilter coretop napitop

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian packages the build, the tests and the demo need (prometheus for
# tests/integ/prometheus.t: installed with no service started, policy-rc.d;
# python3 for damo itself, run beside damontop by tests and benches, and
# for damontop_report.t's real program; time for the benches' memory
# figures; chromium opens kscope report's page in kscope_record.t).
DEB_PKGS := make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev \
	zlib1g-dev libncurses-dev libpng-dev libjson-c-dev libcmocka-dev \
	perl tmux procps strace gdisk fio qemu-system-x86 busybox-static \
	libclang-rt-dev iproute2 ethtool libmicrohttpd-dev curl prometheus \
	python3 time chromium
# ...and what `make vm-kernel` needs on top (tests/vm/kernel.sh).
VM_KERNEL_PKGS := linux-source-6.1 build-essential bc bison flex dwarves \
	libssl-dev libelf-dev xz-utils

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Isrc/lib -Ibpf -I$(BUILD)/skel -I$(BUILD)/gen
BPF_LIBS := -lbpf -lelf -lz
TOOL_LDLIBS := $(BPF_LIBS) -lncursesw -lpng -ljson-c -lm
LDLIBS := $(TOOL_LDLIBS) -lmicrohttpd
# Linked -static for the qemu guests: the archives' own needs added
# (libncursesw.a wants libtinfo.a; Debian's libelf.a and libpng16.a only
# libz.a and libm.a, already there), and no HTTP server: Debian's
# libmicrohttpd.a needs GnuTLS, which has no static archives.  The static
# tools link metrics_serve.o built without it ahead of libkscope.a's.
STATIC_LDLIBS := $(TOOL_LDLIBS) -ltinfo
NO_HTTPD_OBJ := $(BUILD)/nohttpd/metrics_serve.o
# unit tests: cmocka
TEST_LDLIBS := -lcmocka
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Ibpf

LIB_SRCS := $(wildcard src/lib/*.c)
BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
TOOL_HELPER_SRCS := $(wildcard tools/*.c)

BINS := $(TOOLS:%=$(BUILD)/bin/%) $(BUILD)/bin/kscope
HELPERS := $(TOOL_HELPER_SRCS:tools/%.c=$(BUILD)/tools/%)
STATIC_HELPERS := $(TOOL_HELPER_SRCS:tools/%.c=$(BUILD)/static/%)
STATIC := $(TOOLS:%=$(BUILD)/static/%) $(BUILD)/static/kscope $(STATIC_HELPERS)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.t)
UNIT_TESTS_SAN := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit-san/%.t)

.PHONY: all static deps test test-unit test-integ test-vm vm-kernel bench demo \
	install clean vmlinux fuzz
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS) $(HELPERS)

# the same programs linked -static, for the qemu guests (tests/vm/)
static: $(STATIC)
$(BUILD)/static/%: private LDFLAGS += -static
$(BUILD)/static/%: private LDLIBS := $(STATIC_LDLIBS)

# --- objects: one pattern for the normal build, one for the sanitizers ----
$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(NO_HTTPD_OBJ): src/lib/metrics_serve.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DKSCOPE_NO_HTTPD -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

# --- BPF objects and skeletons ---------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- libkscope and one archive per tool (everything but main.c) ------------
$(BUILD)/libkscope.a: $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/san/libkscope.a: $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
%.a:
	@mkdir -p $(@D)
	@rm -f $@	# anew: a source moved or deleted leaves no stale member
	$(AR) rcs $@ $^

define TOOL_RULES
$(1)_SRCS := $$(filter-out src/$(1)/main.c,$$(wildcard src/$(1)/*.c))
$(BUILD)/lib$(1).a: $$($(1)_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/san/lib$(1).a: $$($(1)_SRCS:%.c=$(BUILD)/san/%.o)
$(BUILD)/fuzz/lib$(1).a: $$($(1)_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
$(BUILD)/bin/$(1): $(BUILD)/obj/src/$(1)/main.o $(BUILD)/lib$(1).a $(BUILD)/libkscope.a
$(BUILD)/static/$(1): $(BUILD)/obj/src/$(1)/main.o $(BUILD)/lib$(1).a $(NO_HTTPD_OBJ) \
	$(BUILD)/libkscope.a
$(BUILD)/bin/$(1) $(BUILD)/static/$(1):
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_RULES,$(t))))

TOOL_LIBS := $(TOOLS:%=$(BUILD)/lib%.a)
TOOL_LIBS_SAN := $(TOOLS:%=$(BUILD)/san/lib%.a)

# kscope, the session of several tools at once: its own sources, the parts'
# archives (each tool's, main.c aside), then libkscope
KSCOPE_PARTS := damontop napitop coretop iofilter
KSCOPE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/kscope/*.c))
# the HTML report's page, a C string in the program
$(BUILD)/gen/report_html.h: src/kscope/report.html
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(BUILD)/obj/src/kscope/report.o: $(BUILD)/gen/report_html.h
$(BUILD)/bin/kscope: $(KSCOPE_OBJS) $(KSCOPE_PARTS:%=$(BUILD)/lib%.a) $(BUILD)/libkscope.a
$(BUILD)/static/kscope: $(KSCOPE_OBJS) $(KSCOPE_PARTS:%=$(BUILD)/lib%.a) $(NO_HTTPD_OBJ) \
	$(BUILD)/libkscope.a
$(BUILD)/bin/kscope $(BUILD)/static/kscope:
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# --- workload helpers: single-file programs, libc only but for bpfls --------
# One rule for the host's build/tools/X and the guests' build/static/X.
HELPER_LIBS = -lm
$(BUILD)/tools/bpfls $(BUILD)/static/bpfls: HELPER_LIBS = $(BPF_LIBS) -lm
$(BUILD)/tools/schedbench $(BUILD)/static/schedbench: HELPER_LIBS = $(BPF_LIBS) -lm
.SECONDEXPANSION:
$(HELPERS) $(STATIC_HELPERS): tools/$$(@F).c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@ $(HELPER_LIBS)

# --- unit tests: cmocka in TAP mode, plain and sanitized ---------------------
$(BUILD)/tests/unit/%.t: $(BUILD)/obj/tests/unit/%.o $(TOOL_LIBS) $(BUILD)/libkscope.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $^ $(LDLIBS) $(TEST_LDLIBS) -o $@

$(BUILD)/tests/unit-san/%.t: $(BUILD)/san/tests/unit/%.o $(TOOL_LIBS_SAN) $(BUILD)/san/libkscope.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) $(TEST_LDLIBS) -o $@

# --- fuzzing: a libFuzzer target per file reader (fuzz/*.c), with clang -------
# libkscope and the tools' archives again, instrumented for coverage; `make
# fuzz` runs each target for FUZZ_TIME seconds from its seeds in
# fuzz/corpus/<target>/, keeping
# what it finds under $(BUILD)/fuzz/ (tests/integ/fuzz.t: a short run).
FUZZ_TIME ?= 300
FUZZ_SAN := address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SRCS := $(wildcard fuzz/*.c)
FUZZERS := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS) -Ifuzz -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libkscope.a: $(LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)

# kscope's own reader of records (its lanes) too
$(FUZZERS): $(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/fuzz/%.o $(BUILD)/fuzz/obj/src/kscope/lanes.o \
	$(TOOLS:%=$(BUILD)/fuzz/lib%.a) $(BUILD)/fuzz/libkscope.a
	$(CLANG) $(CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $^ $(LDLIBS) -o $@

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do t=$${f##*/}; \
		mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/crashes; \
		echo "fuzz: $$t for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-dict=fuzz/damo.dict -artifact_prefix=$(BUILD)/fuzz/crashes/$$t- \
			$(BUILD)/fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done

# --- entry points -------------------------------------------------------------
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; \
			printf '#!/bin/sh\nexit 101\n' > $$policy; chmod 755 $$policy; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing; \
		rc=$$?; [ -z "$$policy" ] || rm -f $$policy; exit $$rc; \
	fi

# a failure's figures are in the test's description: they are listed again
# last, where a log's tail shows them
test: deps
	$(MAKE) all static $(UNIT_TESTS) $(UNIT_TESTS_SAN)
	rm -f $(BUILD)/failures
	KSCOPE_BUILD=$(abspath $(BUILD)) KSCOPE_TOP=$(CURDIR) \
	KSCOPE_FAILURES=$(abspath $(BUILD))/failures \
		prove --exec '' $(UNIT_TESTS) $(UNIT_TESTS_SAN) $(sort $(wildcard tests/integ/*.t)) || \
		{ echo "the failed tests, as they said:"; cat $(BUILD)/failures 2>/dev/null; exit 1; }

test-unit: $(UNIT_TESTS) $(UNIT_TESTS_SAN)
	prove --exec '' $^

test-integ: all static
	KSCOPE_BUILD=$(abspath $(BUILD)) KSCOPE_TOP=$(CURDIR) \
		prove -v --exec '' $(sort $(wildcard tests/integ/*.t))

# other kernels in qemu guests (also run by `make test`, tests/integ/vm.t)
test-vm: deps
	$(MAKE) static
	KSCOPE_BUILD=$(abspath $(BUILD)) tests/vm/run.sh

# the guests' full kernel, for those without ../shared/kernels (~30 min)
vm-kernel:
	$(MAKE) deps DEB_PKGS="$(VM_KERNEL_PKGS)"
	tests/vm/kernel.sh $(BUILD)/vm/kscope-6.1-full

bench: deps all
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/damontop.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/damontop_damon.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/damontop_calibrate.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/damo_report.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/iofilter.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/coretop.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/napitop.sh
	KSCOPE_BUILD=$(abspath $(BUILD)) bench/kscope.sh

demo: deps all
	KSCOPE_BUILD=$(abspath $(BUILD)) tools/demo.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(TOOLS:%=man/man8/%.8) man/man8/kscope.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
