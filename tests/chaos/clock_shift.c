/* clock_shift: an LD_PRELOAD library for the chaos tests that moves one
 * process's wall clock by a whole number of seconds, never its monotonic
 * clocks (which the election and sync timers use), and never the machine's.
 *
 *   LD_PRELOAD=.../libclock_shift.so STORENODE_CLOCK_FILE=/tmp/n1.clock storenode ...
 *
 * The file holds the offset in seconds ("+30", "-120", "0"); it is read again
 * once the copy in hand is a second old (monotonic), so a step shows within
 * about a second. A missing or unreadable file leaves the last offset (0 at
 * start).
 *
 * Shifted: clock_gettime for CLOCK_REALTIME, CLOCK_REALTIME_COARSE and
 * CLOCK_TAI, gettimeofday, time. Everything else passes through.
 *
 * Why not libfaketime: storenode links jemalloc, whose constructor reads the
 * clock while libfaketime is still resolving its own symbols (dlsym, which
 * allocates), and libfaketime gives up on the recursion ("Cannot recover from
 * unexpected recursive calls to clock_gettime()") and exits. Here, until the
 * real clock_gettime is resolved, and while it is being resolved, the clock is
 * asked of the kernel directly: nothing allocates and nothing recurses. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec*);

static _Atomic(clock_gettime_fn) real_clock_gettime_fn;
static atomic_int resolving;
static atomic_llong offset_s;
static atomic_llong next_read_ns = -1; /* monotonic ns at which the file is read again */

static int kernel_clock_gettime(clockid_t clock, struct timespec* ts) {
  return (int)syscall(SYS_clock_gettime, clock, ts);
}

static int unshifted_clock_gettime(clockid_t clock, struct timespec* ts) {
  clock_gettime_fn f = atomic_load_explicit(&real_clock_gettime_fn, memory_order_acquire);
  if (f == NULL) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&resolving, &expected, 1)) {
      /* dlsym may allocate, and the allocator may read the clock: those reads
       * find `resolving` set and go to the kernel. */
      f = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
      atomic_store_explicit(&real_clock_gettime_fn, f, memory_order_release);
    }
    if (f == NULL) return kernel_clock_gettime(clock, ts);
  }
  return f(clock, ts);
}

/* Parses "+N", "-N" or "N" (seconds); returns 0 and leaves *out on anything else. */
static int parse_offset(const char* s, long long* out) {
  int sign = 1;
  long long v = 0;
  int digits = 0;
  while (*s == ' ' || *s == '\t') ++s;
  if (*s == '+' || *s == '-') sign = (*s++ == '-') ? -1 : 1;
  for (; *s >= '0' && *s <= '9'; ++s, ++digits) {
    if (v > 1000000000LL) return 0; /* more than ~31 years: not an offset */
    v = v * 10 + (*s - '0');
  }
  if (digits == 0 || (*s != '\0' && *s != '\n' && *s != '\r' && *s != ' ')) return 0;
  *out = sign * v;
  return 1;
}

static long long current_offset_s(void) {
  struct timespec now;
  if (unshifted_clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0) return atomic_load(&offset_s);
  const long long now_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
  long long due = atomic_load_explicit(&next_read_ns, memory_order_relaxed);
  if (now_ns >= due && atomic_compare_exchange_strong(&next_read_ns, &due, now_ns + 1000000000LL)) {
    const char* path = getenv("STORENODE_CLOCK_FILE");
    if (path != NULL) {
      const int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        char buf[32];
        const ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        long long v;
        if (n > 0) {
          buf[n] = '\0';
          if (parse_offset(buf, &v)) atomic_store(&offset_s, v);
        }
      }
    }
  }
  return atomic_load(&offset_s);
}

static int shifted(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  const int rc = unshifted_clock_gettime(clock, ts);
  if (rc == 0 && shifted(clock)) ts->tv_sec += (time_t)current_offset_s();
  return rc;
}

int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
  (void)tz; /* obsolete; glibc ignores it too */
  struct timespec ts;
  const int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

time_t time(time_t* out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out != NULL) *out = ts.tv_sec;
  return ts.tv_sec;
}
