# Shared steps of the scripts that boot a static gobench in a QEMU guest
# (scripts/numa-vm-check.sh, scripts/guest-sweep.sh). Sourced, not run.
#
# The caller defines pass, fail, die and note (one line each on standard output), and sets
# ROOT (the repository) and WORK (a scratch directory) before calling these.
#
#   vm_install_tools           installs what is missing (apt-get); sets KERNEL
#   vm_build_static            builds gobench fully static into .build-static; sets BINARY
#   vm_check_static BINARY     PASS/FAIL: statically linked, libnuma.a linked in
#   vm_pack_initramfs CHECKS [SRC DEST]...
#                              $WORK/initramfs.gz: busybox, BINARY as /bin/gobench,
#                              scripts/vm/init.sh as /init, the *.sh of directory CHECKS as
#                              /checks, and each extra file SRC at DEST
#   vm_pick_accel              sets ACCEL (kvm when nested KVM works, else tcg) and CPU_MODEL
#   vm_boot LOG QEMU_LOG TIMEOUT QEMU_ARGS...
#                              boots the kernel and the initramfs with QEMU_ARGS (-smp, -m,
#                              -numa ...), the serial console into LOG (carriage returns
#                              removed), QEMU's own output into QEMU_LOG; returns QEMU's
#                              exit status (124: TIMEOUT seconds passed). QEMU runs under
#                              $VM_NICE when set (e.g. "nice -n 5").
#   vm_section LOG NAME OUT RC the output of the guest's command NAME (scripts/vm/init.sh's
#                              markers) into file OUT, its exit status into file RC

vm_install_tools() {
    local missing=()
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)
    [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || missing+=(busybox-static)
    [ -f /usr/lib/x86_64-linux-gnu/libnuma.a ] || missing+=(libnuma-dev)
    command -v cpio >/dev/null || missing+=(cpio)
    command -v file >/dev/null || missing+=(file)
    if [ ${#missing[@]} -gt 0 ]; then
        note "installing ${missing[*]}"
        [ "$(id -u)" = 0 ] || die "need root to install ${missing[*]}"
        timeout 900 apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive timeout 900 \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 \
            || die "apt-get install ${missing[*]} failed (see $WORK/apt.log)"
    fi
    KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
    [ -r "$KERNEL" ] || die "cannot read a kernel in /boot"
    pass "setup: tools present (qemu $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), kernel $(basename "$KERNEL"))"
}

vm_build_static() {
    note "building a static gobench (swift build -c release -static-executable)"
    # Retried (up to 3 tries) only when a source file changed under the build, which
    # happens in a checkout that others edit; any other failure stops at once.
    local attempt
    for attempt in 1 2 3; do
        (cd "$ROOT" && timeout 3600 swift build -c release --scratch-path .build-static \
            -Xswiftc -static-executable --product gobench) >"$WORK/build.log" 2>&1 && break
        grep -q 'was modified during the build' "$WORK/build.log" && [ $attempt -lt 3 ] && { sleep 20; continue; }
        tail -20 "$WORK/build.log"; die "static build failed (log: $WORK/build.log)"
    done
    BINARY=$ROOT/.build-static/release/gobench
}

vm_check_static() {
    local binary=$1
    if file -L "$binary" | grep -q 'statically linked' && ! ldd "$binary" >/dev/null 2>&1; then
        pass "static: $binary is statically linked"
    else
        fail "static: $binary is not statically linked: $(file -L "$binary" | cut -d: -f2)"
    fi
    # (nm into a file: `nm | grep -q` would die of SIGPIPE and fail under pipefail.)
    nm "$binary" >"$WORK/symbols.txt" 2>/dev/null
    if grep -qE ' [Tt] numa_alloc_onnode$' "$WORK/symbols.txt" && grep -qE ' [Tt] numa_available$' "$WORK/symbols.txt"; then
        pass "static: libnuma.a is linked in (numa_available, numa_alloc_onnode defined in the binary)"
    else
        fail "static: libnuma symbols are not defined in $binary"
    fi
}

vm_pack_initramfs() {
    local checks=$1; shift
    local stage=$WORK/initramfs
    rm -rf "$stage"; mkdir -p "$stage"/{bin,dev,proc,sys,tmp,checks}
    cp /bin/busybox "$stage/bin/busybox"
    cp "$BINARY" "$stage/bin/gobench"
    cp "$ROOT/scripts/vm/init.sh" "$stage/init"; chmod 755 "$stage/init"
    cp "$checks"/*.sh "$stage/checks/"
    while [ $# -ge 2 ]; do
        mkdir -p "$stage/$(dirname "$2")"
        cp "$1" "$stage/$2" || die "cannot copy $1 into the initramfs"
        shift 2
    done
    # The kernel opens /dev/console for PID 1 before devtmpfs exists.
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || die "mknod /dev/console failed (run as root)"
    mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true
    (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.gz" || die "cpio failed"
    pass "setup: initramfs $(du -h "$WORK/initramfs.gz" | cut -f1)"
}

vm_pick_accel() {
    # Nested KVM often fails (no vmx/svm in the guest's CPU flags, or /dev/kvm refuses):
    # probe with a paused machine that must still be alive after 3 seconds.
    ACCEL=tcg
    CPU_MODEL=max
    if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
        timeout 3 qemu-system-x86_64 -accel kvm -machine q35 -display none -nodefaults -S >/dev/null 2>&1
        if [ $? -eq 124 ]; then ACCEL=kvm; CPU_MODEL=host; fi
    fi
    note "accelerator: $ACCEL"
}

vm_boot() {
    local log=$1 qemu_log=$2 limit=$3; shift 3
    # (VM_NICE unquoted on purpose: empty, or a command and its arguments.)
    # shellcheck disable=SC2086
    timeout "$limit" ${VM_NICE:-} qemu-system-x86_64 -accel "$ACCEL" -machine q35 -cpu "$CPU_MODEL" "$@" \
        -kernel "$KERNEL" -initrd "$WORK/initramfs.gz" \
        -append "console=ttyS0 rdinit=/init panic=-1 loglevel=3 mitigations=off" \
        -display none -nodefaults -no-reboot -serial "file:$log" -monitor none >"$qemu_log" 2>&1
    local status=$?
    tr -d '\r' <"$log" >"$log.tmp" 2>/dev/null && mv "$log.tmp" "$log"
    return $status
}

vm_section() {
    local log=$1 name=$2 out=$3 rc=$4
    awk -v name="$name" '
        $0 ~ "^GOBENCH-VM-CMD-END " name " rc=" { inside = 0 }
        inside { print }
        $0 == "GOBENCH-VM-CMD-BEGIN " name { inside = 1 }' "$log" | tr -d '\r' >"$out"
    grep -m1 -oE "^GOBENCH-VM-CMD-END $name rc=[0-9]+" "$log" | sed 's/.*rc=//' >"$rc"
}
