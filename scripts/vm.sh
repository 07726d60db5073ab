#!/usr/bin/env bash
# Boots the test kernel of a flavour in QEMU with the modules and the suites,
# runs the suites in the guest, and judges the run on the host.
#
#   scripts/vm.sh FLAVOUR WHAT SUITE...
#
# WHAT names the run (check, run, bench): the console goes to
# build/vm-FLAVOUR-WHAT.log, the suites' output to
# build/vm-FLAVOUR-WHAT.results. Environment: LUNATIK_DIR (see lunatik_dir), VM_TIMEOUT
# (seconds; the hard limit of one boot), VM_MEMORY, REQUIRE_PASS (see
# results.sh), KVM=1 (use /dev/kvm instead of TCG: not the default, a KVM
# guest has been seen hanging in firmware on these machines).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 3 ] || die "usage: vm.sh FLAVOUR WHAT SUITE..."
flavour=$1 what=$2
shift 2

kdir=$(kernel_dir "$flavour")
image=$kdir/arch/x86/boot/bzImage
[ -f "$image" ] || die "no $image (run: scripts/kernel.sh $flavour)"
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64 (apt-get install qemu-system-x86)"

base=$BUILD/vm-$flavour-$what
log=$base.log
results=$base.results
initrd=$base.cpio.gz
bash "$TOP/scripts/initramfs.sh" "$flavour" "$initrd" "$@"

# The debug kernel (KASAN, lockdep, kmemleak) under TCG is several times
# slower than the plain one.
if [ "$flavour" = debug ]; then default_timeout=1800; else default_timeout=900; fi
limit=${VM_TIMEOUT:-$default_timeout}

# An oops panics and the VM stops at once (-no-reboot): a broken module fails
# the run in seconds rather than at the hard timeout, with its report in the log.
# no_timer_check: under TCG on a loaded host, the boot's check of the timer
# interrupt can time out and panic ("IO-APIC + timer doesn't work").
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=7 no_timer_check"
# VM_ICOUNT (QEMU's -icount options, e.g. shift=0,sleep=off): the guest's clock
# counts the instructions it ran instead of following the host's (make bench
# BENCH_CLOCK=instructions). VM_PLUGIN (a QEMU TCG plugin and its arguments,
# as -plugin takes them): make profile-insns's instruction counter.
if [ "${KVM:-0}" = 1 ]; then
    accel=(-accel kvm -cpu host)
elif [ -n "${VM_ICOUNT:-}" ]; then
    accel=(-accel tcg -icount "$VM_ICOUNT")
else
    accel=(-accel tcg)
fi

plugin=()
[ -z "${VM_PLUGIN:-}" ] || plugin=(-plugin "$VM_PLUGIN")

rm -f "$log" "$results"
say "booting the $flavour kernel (${accel[1]}, 2 CPUs, limit ${limit}s): $*"
say "kernel log: $log"
start=$(date +%s)
status=0
timeout -k 10 "$limit" qemu-system-x86_64 "${accel[@]}" -smp 2 -m "${VM_MEMORY:-1G}" \
    -nographic -nodefaults -no-reboot -monitor none \
    -kernel "$image" -initrd "$initrd" -append "$cmdline" \
    -serial "file:$log" -serial "file:$results" "${plugin[@]}" </dev/null || status=$?
say "the VM ran $(($(date +%s) - start))s"

timed_out=0
case $status in
    0) ;;
    124 | 137) timed_out=1 ;;
    *) say "qemu exited with status $status" ;;
esac
bash "$TOP/scripts/results.sh" "$results" "$log" "$timed_out"
