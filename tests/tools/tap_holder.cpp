// tap_holder TAP [COMMAND ARG...]: attaches to the persistent tap TAP the way
// QEMU does, with an fd that is NOT close-on-exec, and then
//   - with a COMMAND: runs it with that fd open (as QEMU runs its ifup
//     script), waits for it, and exits with its status;
//   - without: prints "attached" and holds the tap until killed.
// The root tests use it to show that start-tun-interface's daemon does not
// keep the tap, and that -k does not remove a tap in use.
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "process.hpp"
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
  // The fd is inheritable, so the command gets it, as QEMU's ifup script
  // does; its stdin is /dev/null.
  runall::ExitStatus status;
  if (!runall::RunChild(std::vector<std::string>(argv + 2, argv + argc), nullptr, &status, &err)) {
    fprintf(stderr, "tap_holder: %s\n", err.c_str());
    return 127;
  }
  close(fd);
  return status.code();
}
