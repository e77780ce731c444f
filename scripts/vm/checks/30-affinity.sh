# The affinity mask narrows the topology and the default GOMAXPROCS.
run affinity-json taskset -c 1-2 gobench topology --format json
run gomaxprocs-env env GOMAXPROCS=5 gobench topology --format json
run gomaxprocs-bad env GOMAXPROCS=x gobench topology --format json
run nodes-missing gobench topology --placement nodes=9
