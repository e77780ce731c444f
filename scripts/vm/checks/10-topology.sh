# The topology as detected, in both formats.
run topology-json gobench topology --format json
run topology-text gobench topology --placement spread
