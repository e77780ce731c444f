# The runtime itself: every P's M runs on the P's CPUs and every run queue is on the P's
# node, under compact and spread; and compact placement steals across nodes less than none.
# The steal comparison runs at GOMAXPROCS 2 (one node's CPUs in the 2-node guest, where
# compact keeps every P on node 0) and at 4 (the 4-node guest, one CPU per node).
run placement-compact gobench placement-check --procs 2 --placement compact
run placement-spread gobench placement-check --procs 4 --placement spread
for procs in 2 4; do
    run steals-none-$procs gobench child --workload spawn-storm --procs $procs --placement none --param n=200000 --param mode=all
    run steals-compact-$procs gobench child --workload spawn-storm --procs $procs --placement compact --param n=200000 --param mode=all
    run pingpong-none-$procs gobench child --workload chan-prodcons --procs $procs --placement none --param n=200000
    run pingpong-compact-$procs gobench child --workload chan-prodcons --procs $procs --placement compact --param n=200000
done
