# Bind this thread to every P's CPUs and read it back; allocate on every node and ask the
# kernel where the pages are (get_mempolicy, move_pages).
run self-check-compact gobench topology --self-check --placement compact --format json
run self-check-spread gobench topology --self-check --placement spread --format json
run self-check-none gobench topology --self-check --placement none --format json
