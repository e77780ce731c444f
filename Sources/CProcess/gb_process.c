// Why C: posix_spawn cannot set PR_SET_PDEATHSIG, and Swift must not run between fork and exec
// in a process with threads (a lock held by another thread would never be released in the
// child). So fork and exec here, with only async-signal-safe calls in between.
#define _GNU_SOURCE
#include "gb_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report_and_exit(int fd, int error) {
    ssize_t n;
    do { n = write(fd, &error, sizeof error); } while (n < 0 && errno == EINTR);
    _exit(127);
}

int gbp_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
              int stdout_fd, int stderr_fd) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return error;
    }
    if (child == 0) {
        if (setpgid(0, 0) != 0) report_and_exit(report[1], errno);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) report_and_exit(report[1], errno);
        // The parent may have died before prctl: then nobody is left to send the signal.
        if (getppid() != parent) _exit(127);
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0) report_and_exit(report[1], errno);
        if (dup2(devnull, 0) < 0) report_and_exit(report[1], errno);
        if (dup2(stdout_fd, 1) < 0) report_and_exit(report[1], errno);
        if (dup2(stderr_fd, 2) < 0) report_and_exit(report[1], errno);
        // Nothing else of the parent's survives exec: a descriptor another library opened
        // without O_CLOEXEC (one a parent's parent waits on for EOF) would otherwise be held
        // by the child and its descendants. (Linux 5.11; older kernels skip this.)
#ifdef SYS_close_range
        syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
#endif
        struct sigaction defaults;
        defaults.sa_handler = SIG_DFL;
        defaults.sa_flags = 0;
        sigemptyset(&defaults.sa_mask);
        int reset[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT};
        for (unsigned i = 0; i < sizeof reset / sizeof reset[0]; i++) sigaction(reset[i], &defaults, NULL);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        execve(path, argv, envp);
        report_and_exit(report[1], errno);
    }
    close(report[1]);
    int error = 0;
    ssize_t n;
    do { n = read(report[0], &error, sizeof error); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof error) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        return error;
    }
    *pid = child;
    return 0;
}

int gbp_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : errno;
}

int gbp_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0U);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int gbp_pidfd_send_signal(int fd, int sig) {
#ifdef SYS_pidfd_send_signal
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, (void *)0, 0U);
#else
    (void)fd; (void)sig;
    errno = ENOSYS;
    return -1;
#endif
}
