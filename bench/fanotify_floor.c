/* The floor for an exec permission check: a fanotify responder that allows every exec on
 * one file system and does nothing else. bench/runtime_overhead.sh compiles it with
 * `cc -O2 -Wall -Werror` and compares the agent's Protect mode against it.
 *
 *   fanotify_floor PATH   marks the file system holding PATH (FAN_MARK_FILESYSTEM) for
 *                         FAN_OPEN_EXEC_PERM, prints "ready", answers FAN_ALLOW to each
 *                         event until SIGTERM or SIGINT, then prints the count to stderr.
 *
 * Built with -DFAPOLICYD_CAPSET_SHIM -shared -fPIC, the same file is instead an LD_PRELOAD
 * library for the fapolicyd comparison row (see the end of this file).
 */
#define _GNU_SOURCE
#ifndef FAPOLICYD_CAPSET_SHIM
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH\n", argv[0]);
    return 2;
  }
  /* The signals stay blocked except inside ppoll, so a SIGTERM is never lost between the
   * check of stop_requested and the wait. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigset_t blocked, wait_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &wait_mask);

  int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
  if (fan < 0) {
    fprintf(stderr, "fanotify_init: %s\n", strerror(errno));
    return 1;
  }
  if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, AT_FDCWD,
                    argv[1]) != 0) {
    fprintf(stderr, "fanotify_mark %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  printf("ready\n");
  fflush(stdout);

  unsigned long long allowed = 0;
  char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  while (!stop_requested) {
    struct pollfd pfd = {.fd = fan, .events = POLLIN};
    if (ppoll(&pfd, 1, NULL, &wait_mask) < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "ppoll: %s\n", strerror(errno));
      return 1;
    }
    ssize_t len = read(fan, buf, sizeof buf);
    if (len < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fprintf(stderr, "read: %s\n", strerror(errno));
      return 1;
    }
    const struct fanotify_event_metadata* ev = (const struct fanotify_event_metadata*)buf;
    for (; FAN_EVENT_OK(ev, len); ev = FAN_EVENT_NEXT(ev, len)) {
      if (ev->vers != FANOTIFY_METADATA_VERSION) {
        fprintf(stderr, "fanotify metadata version %u, built for %u\n", ev->vers,
                FANOTIFY_METADATA_VERSION);
        return 1;
      }
      if (ev->fd < 0) continue; /* queue overflow: nothing to answer */
      if (ev->mask & FAN_OPEN_EXEC_PERM) {
        struct fanotify_response resp = {.fd = ev->fd, .response = FAN_ALLOW};
        if (write(fan, &resp, sizeof resp) != (ssize_t)sizeof resp) {
          fprintf(stderr, "write response: %s\n", strerror(errno));
        }
        allowed++;
      }
      close(ev->fd);
    }
  }
  fprintf(stderr, "fanotify_floor: allowed %llu execs\n", allowed);
  close(fan);
  return 0;
}

#else /* FAPOLICYD_CAPSET_SHIM */
/* fapolicyd asks capset() for a fixed set of capabilities before it changes to its own uid,
 * CAP_SYS_RESOURCE among them. Where root's bounding set lacks one (as in some VMs and
 * containers), capset fails with EPERM and fapolicyd stops with "Cannot change to uid".
 * This wrapper drops from the request the capabilities the bounding set does not hold and
 * passes the rest to the kernel unchanged; it grants nothing. */
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int capset(cap_user_header_t header, const cap_user_data_t data);

int capset(cap_user_header_t header, const cap_user_data_t data) {
  /* Version 1 headers carry one 32-bit word, versions 2 and 3 two. */
  const int words = header->version == _LINUX_CAPABILITY_VERSION_1 ? 1 : _LINUX_CAPABILITY_U32S_3;
  struct __user_cap_data_struct trimmed[_LINUX_CAPABILITY_U32S_3] = {{0, 0, 0}, {0, 0, 0}};
  for (int w = 0; w < words; w++) trimmed[w] = data[w];
  for (int cap = 0; cap < 32 * words; cap++) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) continue;
    const unsigned bit = 1u << (cap % 32);
    trimmed[cap / 32].effective &= ~bit;
    trimmed[cap / 32].permitted &= ~bit;
    trimmed[cap / 32].inheritable &= ~bit;
  }
  return (int)syscall(SYS_capset, header, trimmed);
}
#endif /* FAPOLICYD_CAPSET_SHIM */
