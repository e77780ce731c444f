# A cgroup v2 CPU quota of 2.5 CPUs: Go 1.25's rule gives min(CPUs, ceil(2.5)) = 3.
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup
echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/gobench
echo "250000 100000" > /sys/fs/cgroup/gobench/cpu.max
run quota-json sh -c 'echo $$ > /sys/fs/cgroup/gobench/cgroup.procs && exec gobench topology --format json'
