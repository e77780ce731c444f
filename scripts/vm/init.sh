#!/bin/busybox sh
# PID 1 of the NUMA check's virtual machine: mounts the kernel file systems, runs every
# check in /checks (in name order), and powers the machine off.
#
# Protocol with the host (scripts/numa-vm-check.sh), on the serial console:
#   GOBENCH-VM-BEGIN
#   GOBENCH-VM-CMD-BEGIN <name>      then the command's standard output and error
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

run() {
    name=$1
    shift
    echo "GOBENCH-VM-CMD-BEGIN $name"
    "$@" 2>&1
    echo "GOBENCH-VM-CMD-END $name rc=$?"
}

echo "GOBENCH-VM-BEGIN"
echo "GOBENCH-VM-INFO kernel=$(uname -r) cpus=$(cat /sys/devices/system/cpu/online)"
for check in /checks/*.sh; do
    [ -f "$check" ] && . "$check"
done
echo "GOBENCH-VM-END"
sync
poweroff -f
