#!/bin/busybox sh
# PID 1 of the NUMA check's virtual machine: mounts the kernel file systems, runs every
# check in /checks (in name order), and powers the machine off.
#
# Protocol with the host (scripts/numa-vm-check.sh), on the serial console:
#   GOBENCH-VM-BEGIN
#   GOBENCH-VM-CMD-BEGIN <name>      then the command's standard output and error
#   GOBENCH-VM-CMD-TIMEOUT <name> after <N>s   (only when it ran out of time)
#   GOBENCH-VM-CMD-END <name> rc=<exit status>
#   GOBENCH-VM-END
# A check file is shell code that calls `run NAME COMMAND...` once per command; the host
# finds each command's output by NAME. Add a check: add scripts/vm/checks/NN-name.sh
# here and its expectations in the host script's verify function.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp

# Each command gets COMMAND_LIMIT seconds; then SIGQUIT, on which a gobench that runs the
# runtime prints every goroutine and the scheduler's state (GODEBUG=scheddetail=1) and
# exits 2, and SIGKILL 20 s later. A hung command is then named in the serial log, with its
# dump, and the checks after it still run.
COMMAND_LIMIT=120
export GODEBUG=scheddetail=1
run() {
    name=$1
    shift
    echo "GOBENCH-VM-CMD-BEGIN $name"
    started=$(date +%s)
    timeout -k 20 -s QUIT $COMMAND_LIMIT "$@" 2>&1
    rc=$?
    [ $(($(date +%s) - started)) -ge $COMMAND_LIMIT ] && echo "GOBENCH-VM-CMD-TIMEOUT $name after ${COMMAND_LIMIT}s"
    echo "GOBENCH-VM-CMD-END $name rc=$rc"
}

echo "GOBENCH-VM-BEGIN"
echo "GOBENCH-VM-INFO kernel=$(uname -r) cpus=$(cat /sys/devices/system/cpu/online)"
for check in /checks/*.sh; do
    [ -f "$check" ] && . "$check"
done
echo "GOBENCH-VM-END"
sync
poweroff -f
