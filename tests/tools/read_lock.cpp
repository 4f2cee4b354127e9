// read_lock [-w] PATH RELEASE: what any user can do to a file they may open.
// Opens PATH read-only (printing "opened PATH"), takes a classic fcntl read
// lock on the whole file - with -w waiting for it (F_SETLKW), so that the
// lock is granted the moment a writer's lock goes - prints "locked PATH",
// and holds it until the file RELEASE exists. On failure prints why and
// exits 1.
//
// The root tests use it as a local user, member of the group or not, to
// show that the DHCP servers' pid files cannot be opened by them, and as
// root (who can) to show that a new server never needs a lock someone else
// may hold.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  bool wait = argc == 4 && strcmp(argv[1], "-w") == 0;
  if (argc != 3 + (wait ? 1 : 0)) {
    fprintf(stderr, "usage: read_lock [-w] PATH RELEASE\n");
    return 100;
  }
  const char* path = argv[wait ? 2 : 1];
  const char* release = argv[wait ? 3 : 2];
  int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    fprintf(stderr, "read_lock: %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("opened %s\n", path);
  fflush(stdout);
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  while (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) != 0) {
    if (errno == EINTR) continue;
    fprintf(stderr, "read_lock: %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("locked %s\n", path);
  fflush(stdout);
  while (access(release, F_OK) != 0) usleep(50000);
  return 0;
}
