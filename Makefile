# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm: one Makefile for the kernel, the modules, libcdm, cdmd and tests.
#
#   make demo        boot the emulated CXL machine and show cdm at work
#   make check       all tests (host and VM), through prove
#   make check-host  tests that need neither root nor a VM
#   make check-vm    tests that boot QEMU machines
#   make check-debug the kernel-facing VM tests on the debug kernel (KASAN,
#                    lockdep, DEBUG_VM, kmemleak; not part of make check)
#   make kernel      the project's Linux 6.12 ($(CDM_CACHE)/kernel)
#   make kernel-debug  the same with configs/kernel/debug.config on top
#   make modules     kernel/drivers/* and tests/kernel against it
#   make kselftests  the kernel's mm selftests for migration and NUMA
#   make all         libraries, tools and test programs into build/
#   make install     libcdm, cdmd, cdmctl, man pages, unit, config (install.mk:
#                    PREFIX, DESTDIR, BINDIR, LIBDIR, ...); make uninstall
#
# Every target that needs packages runs scripts/install-deps first.

CDM_CACHE ?= $(HOME)/.cache/cdm
export CDM_CACHE

BUILD := build
CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
CPPFLAGS += -D_GNU_SOURCE
# scripts/run-tests runs prove, keeps every test's output in build/test-logs
# and repeats what failed after the summary.
RUN_TESTS := scripts/run-tests $(BUILD)/test-logs

PHASE := scripts/phase
# The build phase compiles on every core (the sanitizer and fuzz builds
# of the tests make it the longest phase after the tests).
BUILD_JOBS := $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps kernel kernel-debug kernel-each-patch modules modules-debug kselftests \
	check check-host check-vm check-debug demo clean install uninstall

all:

# Sub-makefiles add their targets to ALL_TARGETS and their tests to
# HOST_TEST_PROGS / VM_TEST_PROGS (compiled programs under build/tests).
ALL_TARGETS :=
HOST_TEST_PROGS :=
VM_TEST_PROGS :=
include $(wildcard lib/*/Makefile.inc daemon/Makefile.inc tests/*/Makefile.inc tests/*/*/Makefile.inc bench/Makefile.inc)
include install.mk

all: $(ALL_TARGETS) $(HOST_TEST_PROGS) $(VM_TEST_PROGS)

$(BUILD)/tests/%: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(TEST_LDLIBS_$(notdir $*))

deps:
	@$(PHASE) deps scripts/install-deps

kernel: deps
	@$(PHASE) kernel scripts/kernel-build

kernel-debug: deps
	@$(PHASE) kernel-debug scripts/kernel-build --debug

# The series builds patch by patch (a tree of its own; ~20-30 min)
kernel-each-patch: deps
	@$(PHASE) kernel-each-patch scripts/kernel-build --each-patch

# Out-of-tree modules (every directory under kernel/drivers and
# tests/kernel with a Kbuild file), built per kernel in $(CDM_CACHE).
modules: kernel
	@$(PHASE) modules scripts/modules-build cdm

modules-debug: kernel-debug
	@$(PHASE) modules-debug scripts/modules-build debug

# The kernel's own mm selftests, from its source tree (tests/vm/kselftest-mm.t).
kselftests: kernel
	@$(PHASE) kselftests scripts/kselftest-build $(BUILD)/kselftest/mm

# Test scripts (*.t) and compiled test programs, all printing TAP.
HOST_TESTS = $(sort $(wildcard tests/host/*.t)) $(HOST_TEST_PROGS)
# Slowest first (run-tests runs two at a time, in this order): a long test
# started last would run on alone at the end. Times from a quiet run.
SLOW_VM_TESTS = $(addprefix tests/vm/,cxl-cdm-lifecycle.t cdm-background.t cdm-hotplug.t \
	cdm-explicit.t cdm-isolation.t vm-run.t)
VM_TESTS = $(SLOW_VM_TESTS) $(filter-out $(SLOW_VM_TESTS),$(sort $(wildcard tests/vm/*.t)))

check-host: deps
	@$(PHASE) build $(MAKE) -s -j$(BUILD_JOBS) all
	@$(PHASE) host-tests $(RUN_TESTS) $(HOST_TESTS)

check-vm: deps modules kselftests
	@$(PHASE) build $(MAKE) -s -j$(BUILD_JOBS) all
	@$(PHASE) vm-tests $(RUN_TESTS) $(VM_TESTS)

check: deps modules kselftests
	@$(PHASE) build $(MAKE) -s -j$(BUILD_JOBS) all
	@$(PHASE) tests $(RUN_TESTS) $(HOST_TESTS) $(VM_TESTS)

# Every VM test that exercises the project's kernel code, on the debug
# kernel: a KASAN, lockdep, DEBUG_VM or kmemleak report fails the test
# (scripts/vm-run exit 123). CDM_TEST_KERNEL makes the tests boot it where
# they would boot the project's kernel; stock-kernel baselines still run.
# Slowest first: two run at a time.
DEBUG_TESTS = $(addprefix tests/vm/,cdm-hotplug.t cdm-nodes.t cdm-background.t \
	cdm-isolation.t cdm-explicit.t libcdm-memory.t kselftest-mm.t cdm-access.t \
	cdm-copy-offload.t cdm-boot.t cxl-cdm.t cxl-cdm-copy.t cdmctl-online.t \
	cdm-private.t cdmctl-private.t cxl-cdm-lifecycle.t)
check-debug: deps modules-debug kselftests
	@$(PHASE) build $(MAKE) -s -j$(BUILD_JOBS) all
	@CDM_TEST_KERNEL=debug $(PHASE) debug-tests scripts/run-tests $(BUILD)/test-logs-debug $(DEBUG_TESTS)

demo: deps modules
	@$(PHASE) build $(MAKE) -s -j$(BUILD_JOBS) all
	@scripts/demo

clean:
	rm -rf $(BUILD)
