// tap_holder TAP [COMMAND ARG...]: attaches to the persistent tap TAP the way
// QEMU does, with an fd that is NOT close-on-exec, and then
//   - with a COMMAND: runs it with that fd open (as QEMU runs its ifup
//     script), waits for it, and exits with its status;
//   - without: prints "attached" and holds the tap until killed.
// The root tests use it to show that start-tun-interface's daemon does not
// keep the tap, and that -k does not remove a tap in use.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "tun.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tap_holder TAP [COMMAND ARG...]\n");
    return 100;
  }
  std::string err;
  int errnum = 0;
  // Inheritable on purpose: this is the fd a careless daemon would keep.
  int fd = runall::AttachTap(argv[1], true, true, &err, &errnum);
  if (fd < 0) {
    fprintf(stderr, "tap_holder: %s\n", err.c_str());
    return errnum == EBUSY ? 1 : 111;
  }
  if (argc == 2) {
    printf("attached %s fd %d\n", argv[1], fd);
    fflush(stdout);
    for (;;) pause();
  }
  pid_t pid = fork();
  if (pid < 0) return 111;
  if (pid == 0) {
    execv(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  close(fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
