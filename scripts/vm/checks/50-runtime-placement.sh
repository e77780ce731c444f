# The runtime itself: every P's M runs on the P's CPUs and every run queue is on the P's
# node, under compact and spread; and compact placement steals across nodes less than none.
run placement-compact gobench placement-check --procs 2 --placement compact
run placement-spread gobench placement-check --procs 4 --placement spread
run steals-none gobench child --workload spawn-storm --procs 4 --placement none --param n=200000 --param mode=all
run steals-compact gobench child --workload spawn-storm --procs 4 --placement compact --param n=200000 --param mode=all
run pingpong-none gobench child --workload chan-prodcons --procs 4 --placement none --param n=200000
run pingpong-compact gobench child --workload chan-prodcons --procs 4 --placement compact --param n=200000
