// lock-holder: takes a lock on one byte of a file and holds it until
// killed, as anyone who may read (or write) a disk image can. The root tests
// act out with it a user who blocks someone else's image.
//
//   lock-holder [-posix] [-w] FILE BYTE READY
//
// The file is opened read-only (read-write with -w) and the lock is a read
// lock (a write lock with -w), an open-file-description lock (F_OFD_SETLK)
// or with -posix a process-associated one (F_SETLK). Once it holds the
// lock it writes its pid to READY (through a rename, so READY appears
// whole). Exit 1 if the lock is refused, 100 on bad usage, 111 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

int main(int argc, char** argv) {
  bool posix = false, write_lock = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (strcmp(argv[i], "-posix") == 0)
      posix = true;
    else if (strcmp(argv[i], "-w") == 0)
      write_lock = true;
    else
      break;
  }
  if (argc - i != 3) {
    fprintf(stderr, "usage: lock-holder [-posix] [-w] FILE BYTE READY\n");
    return 100;
  }
  const char* file = argv[i];
  const long byte = strtol(argv[i + 1], nullptr, 10);
  const std::string ready = argv[i + 2];
  int fd = open(file, (write_lock ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    perror(file);
    return 111;
  }
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = write_lock ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
  int cmd = F_SETLK;
#ifdef F_OFD_SETLK
  if (!posix) cmd = F_OFD_SETLK;
#endif
  if (fcntl(fd, cmd, &fl) != 0) {
    perror("lock-holder: lock");
    return errno == EAGAIN || errno == EACCES ? 1 : 111;
  }
  const std::string tmp = ready + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr || fprintf(f, "%d\n", static_cast<int>(getpid())) < 0 || fclose(f) != 0 ||
      rename(tmp.c_str(), ready.c_str()) != 0) {
    perror(ready.c_str());
    return 111;
  }
  for (;;) pause();
}
