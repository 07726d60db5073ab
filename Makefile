# SPDX-License-Identifier: GPL-2.0
#
# luasync: `make` builds the modules against KDIR like any out-of-tree
# module. The other targets use the bench in scripts/: a Rust-enabled 6.12
# test kernel built into build/ and booted in QEMU.
#
#   make [modules]    build luasync.ko (and the self-test and bench modules)
#                     in place against KDIR
#   make install      install luasync.ko for modprobe (and the Lua examples);
#                     `make uninstall` removes them
#   make dkms-add     register the source with DKMS (/usr/src/luasync-VERSION);
#                     `make dkms-remove` undoes it
#   make dkms-check   DKMS add, build, install, remove against the test
#                     kernel, every tree under build/ (CI runs it)
#   make run          boot the test VM, load luasync, run the examples
#   make check        Lua lint, host tests, then the VM suites on the plain
#                     kernel, a torture of TORTURE_CHECK_S seconds included
#   make check-debug  the VM suites on the debug kernel (lockdep, KASAN,
#                     kmemleak, failslab), the unload race 1000 times
#   make torture      the Lua-level torture test (tests/torture) in the VM;
#                     FLAVOUR=debug (or make torture-debug) on the debug kernel
#   make bench        the benchmark tables, measured in the VM: rust/sync against
#                     the kernel's primitives, luasync against Lunatik's C
#                     completion at the Lua level, how the cost grows (plots in
#                     build/bench/), and where the Lua-level time goes
#   make profile      only the profiles of the Lua-level bench
#   make profile-insns the instructions of one completion ping-pong round
#                     trip and one completion.new() by kernel function,
#                     luasync beside Lunatik's C completion, counted exactly
#                     (a QEMU plugin, -icount)
#   make host-test    the host tests only (cargo test of tests/host)
#   make clippy       lint the Rust code against the plain test kernel
#   make fmt          format the Rust code as the kernel does (lint checks it)
#   make lint         lint the Lua files: luacheck, type check, LDoc build
#   make doc          the Lua API reference (LDoc) into build/doc/
#   make clean        remove what `make` built; `make distclean` also build/
#
# Variables: KDIR (kernel build tree for `make`), LUNATIK_DIR (a Lunatik 4.4
# tree already built for the kernel in use; by default the pinned Lunatik is
# built into build/, from LUNATIK_SRC or the local mirror, see
# scripts/lunatik.sh), LLVM=1 (build the plain test kernel with clang), JOBS,
# VM_TIMEOUT, TEST_MODULES=n (build luasync.ko alone), BENCH_ROUNDS (make
# bench: rounds per measurement, 7), BENCH_WHAT (make bench: all, or only
# kernel, lua or profile), BENCH_BASELINE (make bench: a git revision whose
# luasync.ko the Lua level also runs, in the same boot, to set this build
# against it), BENCH_CLOCK (make bench: time, or instructions to count guest
# instructions instead, QEMU's icount). make install: DESTDIR, INSTALL_MOD_PATH,
# INSTALL_MOD_DIR (extra), LUA_ROOT, MODULE_DIR (see scripts/install.sh). The
# torture: TORTURE_THREADS (workers per class), TORTURE_S (seconds of make
# torture), TORTURE_CHECK_S (seconds of the one in make check and
# check-debug), FLAVOUR (plain or debug).

SHELL := /bin/bash

KDIR ?= /lib/modules/$(shell uname -r)/build
LUNATIK_DIR ?=

# Run through bash, so that nothing depends on the files' mode bits.
SCRIPTS := bash $(CURDIR)/scripts
# install first: it loads Lunatik through modprobe, before any other suite
# has loaded it. examples last: its scripts make runtimes from a script, on
# which lockdep reports a known Lunatik defect and turns itself off
# (check-debug); the bounded torture just before, with lockdep still on.
CHECK_SUITES := install module selftest lunatik faults unload torture examples

FLAVOUR ?= plain
TORTURE_THREADS ?= 4
TORTURE_S ?= 30
TORTURE_CHECK_S ?= 5

export LUNATIK_DIR LUNATIK_SRC LUNATIK_MIRROR LLVM JOBS VM_TIMEOUT UNLOAD_ROUNDS TORTURE_THREADS TORTURE_S \
	BENCH_ROUNDS BENCH_WHAT BENCH_BASELINE BENCH_CLOCK

# Each target runs its steps in order, and the steps are no-ops when their
# product is up to date (the kernel build is cached by a stamp, the module
# build is incremental), so none of them may run in parallel.
.NOTPARALLEL:
.PHONY: all modules install uninstall dkms-add dkms-remove dkms-check clean \
	distclean provision kernel kernel-debug run check check-debug torture \
	torture-debug bench profile profile-insns host-test clippy lint doc fmt

all: modules

# Against LUNATIK_DIR, or the pinned Lunatik built for KDIR into build/.
modules:
	@test -d "$(KDIR)" || { echo "luasync: no kernel build tree at KDIR=$(KDIR)" \
		"(install the kernel headers, or pass KDIR=...)" >&2; exit 1; }
	@set -e; lunatik="$(abspath $(LUNATIK_DIR))"; \
	if [ -z "$(LUNATIK_DIR)" ]; then \
		release=$$(cat "$(KDIR)/include/config/kernel.release"); \
		lunatik=$$($(SCRIPTS)/lunatik.sh "$(KDIR)" "$(CURDIR)/build/lunatik-$$release" $(if $(LLVM),LLVM=$(LLVM))); \
	fi; \
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" LUNATIK_DIR="$$lunatik" \
		KBUILD_EXTRA_SYMBOLS="$$lunatik/Module.symvers" modules

# Where `make` put luasync.ko (or another build of it, e.g. build/module-plain)
# goes to /lib/modules/<release>/$(INSTALL_MOD_DIR)/, then depmod; see
# scripts/install.sh. Install Lunatik (its own make install) for the same
# release, and `modprobe luasync` loads both.
INSTALL_MOD_DIR ?= extra
LUA_ROOT ?= /lib/modules/lua
MODULE_DIR ?= $(CURDIR)
install_env = KDIR="$(KDIR)" MODULE_DIR="$(abspath $(MODULE_DIR))" DESTDIR="$(DESTDIR)" \
	INSTALL_MOD_PATH="$(INSTALL_MOD_PATH)" INSTALL_MOD_DIR="$(INSTALL_MOD_DIR)" \
	LUA_ROOT="$(LUA_ROOT)" KERNEL_RELEASE="$(KERNEL_RELEASE)"

install:
	@$(install_env) $(SCRIPTS)/install.sh install

uninstall:
	@$(install_env) $(SCRIPTS)/install.sh uninstall

# DKMS rebuilds luasync.ko for every kernel (dkms.conf, scripts/dkms.sh).
dkms-add:
	$(SCRIPTS)/dkms.sh add

dkms-remove:
	$(SCRIPTS)/dkms.sh remove

dkms-check: provision kernel
	@set -o pipefail; $(SCRIPTS)/dkms.sh check plain | tee build/dkms-check.out

# What Kbuild wrote next to the sources. Not the kernel's `make M=... clean`:
# it deletes every object under M, build/ included (the test kernels, the
# Lunatik builds), and Kbuild refuses to run without LUNATIK_DIR.
clean:
	find . \( -path ./build -o -path ./.git -o -path ./tests/host \) -prune -o \
		\( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '.*.d' -o -name '*.syms' -o -name '*.rmeta' \
		-o -name '.tmp_*' -o -name modules.order -o -name Module.symvers \) \
		-type f -exec rm -f {} +

# The bench's baselines are git worktrees under build/: git forgets them too.
distclean: clean
	rm -rf build
	-@git worktree prune 2>/dev/null

provision:
	$(SCRIPTS)/provision.sh

kernel: provision
	$(SCRIPTS)/kernel.sh plain

kernel-debug: provision
	$(SCRIPTS)/kernel.sh debug

host-test: provision
	@if [ -f tests/host/Cargo.toml ]; then \
		echo "luasync: host tests (cargo test)"; \
		lunatik=$$($(SCRIPTS)/lunatik.sh --source "$(CURDIR)/build/lunatik-src") && \
		LUNATIK_LIB="$$lunatik/lib" CARGO_TARGET_DIR="$(CURDIR)/build/host-target" \
			cargo test --locked --manifest-path tests/host/Cargo.toml; \
	else \
		echo "luasync: no tests/host/Cargo.toml: no host tests"; \
	fi

# The Lua lint, the host tests and the VM suites each end with their own
# closing line; the run ends with their sum.
check: provision lint kernel
	@set -o pipefail; $(MAKE) --no-print-directory host-test 2>&1 | tee build/check-host.out
	$(SCRIPTS)/module.sh plain
	@set -o pipefail; $(SCRIPTS)/install-check.sh plain | tee build/check-install.out
	@set -o pipefail; INITRAMFS_OVERLAY=$(CURDIR)/build/install-plain TORTURE_S=$(TORTURE_CHECK_S) \
		$(SCRIPTS)/vm.sh plain check $(CHECK_SUITES) 2>&1 | tee build/check-vm.out
	@$(SCRIPTS)/total.sh build/check-lint.out build/check-host.out build/check-install.out \
		build/check-vm.out

# The debug kernel races the module's unload 1000 times.
check-debug: kernel-debug
	$(SCRIPTS)/module.sh debug
	$(SCRIPTS)/install-check.sh debug
	UNLOAD_ROUNDS=$${UNLOAD_ROUNDS:-1000} INITRAMFS_OVERLAY=$(CURDIR)/build/install-debug \
		TORTURE_S=$(TORTURE_CHECK_S) $(SCRIPTS)/vm.sh debug check $(CHECK_SUITES)

# The torture's own closing line adds the host's verdict (the kernel log) to
# the guest's. The VM gets TORTURE_S on top of the flavour's usual limit.
torture: $(if $(filter debug,$(FLAVOUR)),kernel-debug,kernel)
	$(SCRIPTS)/module.sh $(FLAVOUR)
	@if VM_TIMEOUT=$${VM_TIMEOUT:-$$(($(TORTURE_S) + 1800))} \
		$(SCRIPTS)/vm.sh $(FLAVOUR) torture torture; then \
		echo "luasync-torture: End of test: SUCCESS (every result passed, no kernel report of luasync's)"; \
	else \
		echo "luasync-torture: End of test: FAILURE (see above, and build/vm-$(FLAVOUR)-torture.log)"; \
		exit 1; \
	fi

torture-debug:
	@$(MAKE) --no-print-directory torture FLAVOUR=debug

run: kernel
	$(SCRIPTS)/module.sh plain
	$(SCRIPTS)/vm.sh plain run examples selftest

bench: kernel
	$(SCRIPTS)/module.sh plain
	$(SCRIPTS)/bench.sh all

profile: kernel
	$(SCRIPTS)/module.sh plain
	$(SCRIPTS)/bench.sh profile

profile-insns: kernel
	$(SCRIPTS)/module.sh plain
	$(SCRIPTS)/bench.sh insns

lint: provision
	@set -o pipefail; $(SCRIPTS)/lint.sh 2>&1 | tee build/check-lint.out

doc: provision
	ldoc .

# Formats the Rust code as the kernel's .rustfmt.toml says (make lint checks it).
fmt:
	@mkdir -p build/lint
	@tar -xOf /usr/src/linux-source-6.12.tar.xz linux-source-6.12/.rustfmt.toml >build/lint/rustfmt.toml
	git ls-files '*.rs' | xargs rustfmt --edition 2021 --config-path build/lint/rustfmt.toml

clippy: kernel
	CLIPPY=1 $(SCRIPTS)/module.sh plain "$(CURDIR)/build/module-clippy"
