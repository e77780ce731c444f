// SIGQUIT as Go handles it: the program prints every goroutine and exits with status 2
// (Runtime/SigquitDump.swift has the design). A C shim because the handler must not run
// Swift code: it only records the signal, and sysmon, which wakes at least every 10 ms,
// prints the dump.
#ifndef GB_SIGQUIT_H
#define GB_SIGQUIT_H
#include <stdint.h>

/// Installs the handler (Runtime.run, at its start) unless SIGQUIT is ignored: a process
/// started with SIGQUIT ignored (a shell's background job, nohup) keeps ignoring it.
/// Whatever handler was there (the Swift runtime's crash backtracer, the program's own)
/// is saved, and gb_sigquit_uninstall puts it back when Runtime.run returns. Returns 1 if
/// the handler is installed, 0 if not.
int gb_sigquit_install(void);

/// Restores the disposition gb_sigquit_install found.
void gb_sigquit_uninstall(void);

/// Whether a runtime is running to print the dump (set by Runtime.run around its life).
/// While it is 0, a SIGQUIT takes the default action (the process ends with a core dump);
/// setting 0 while one is pending and not yet taken takes that action at once.
void gb_sigquit_set_active(int active);

/// 1 once a SIGQUIT arrived while a runtime was active, and it was not yet taken.
int gb_sigquit_pending(void);

/// Takes the pending SIGQUIT: the interrupted program counter, the kernel thread id that
/// took the signal, and the signal's si_code. Returns 0 if none was pending.
int gb_sigquit_take(uintptr_t *pc, int32_t *tid, int32_t *code);

#endif
