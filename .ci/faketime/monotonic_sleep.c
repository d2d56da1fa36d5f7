/*
 * Loaded before libfaketime (LD_PRELOAD order) for the suite's run at a faked wall clock.
 *
 * libfaketime 0.9.10 (Debian bookworm's) with FAKETIME_DONT_FAKE_MONOTONIC=1 still rewrites
 * absolute CLOCK_MONOTONIC deadlines passed to clock_nanosleep(), which makes Python 3.11's
 * time.sleep() fail with EINVAL (wolfcw/libfaketime#426). Monotonic time is not faked, so
 * those sleeps go straight to the kernel; every other clock goes on to libfaketime.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    if (clock_id == CLOCK_MONOTONIC) {
        long r = syscall(SYS_clock_nanosleep, clock_id, flags, req, rem);
        return r == 0 ? 0 : errno;
    }
    static int (*next)(clockid_t, int, const struct timespec *, struct timespec *);
    if (!next)
        next = dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock_id, flags, req, rem);
}
