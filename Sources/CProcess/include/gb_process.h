// CProcess: starting a child with what posix_spawn cannot set (a parent-death signal), the
// subreaper bit, and signals by process descriptor. Prefixed `gbp_`.
#ifndef GOBENCH_CPROCESS_H
#define GOBENCH_CPROCESS_H

#include <sys/types.h>

/// Starts `path` (absolute or relative to the current directory: no PATH search) with `argv`
/// and `envp` in a new process. Between fork and exec the child runs only async-signal-safe
/// calls: it leads a new process group, asks for SIGKILL when the thread that started it
/// ends (PR_SET_PDEATHSIG) and exits at once if that already happened, reads /dev/null as
/// standard input, writes to `stdout_fd` and `stderr_fd`, has SIGINT, SIGTERM, SIGPIPE,
/// SIGHUP and SIGQUIT at their defaults and an empty signal mask.
/// Returns 0 and the pid, or the errno of the failed step (exec included: the child reports it
/// through a close-on-exec pipe and is reaped here).
int gbp_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int stdout_fd, int stderr_fd);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process
/// instead of init, so that it can find and stop them. Returns 0 or errno.
int gbp_become_subreaper(void);

/// pidfd_open(pid, 0): a descriptor that names the process `pid` and no other, even after the
/// number is reused (Linux 5.3). Returns the descriptor, or -1 with errno (ENOSYS on older
/// kernels).
int gbp_pidfd_open(pid_t pid);

/// pidfd_send_signal(fd, sig): `sig` to the process the descriptor names, never to another
/// that got its number. Returns 0, or -1 with errno (ESRCH when it has ended).
int gbp_pidfd_send_signal(int fd, int sig);

#endif
