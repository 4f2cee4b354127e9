// port-holder: another program on a port of 127.0.0.1, as any user of the
// host may run one. The user-mode tests act out with it a port taken
// before a guest could have it, and a stale port that something else now
// answers on.
//
//   port-holder PORT READY [ACCEPTED]
//
// Listens on 127.0.0.1:PORT (0: a free port the kernel picks) and, once it
// does, writes the port to READY (through a rename, so READY appears
// whole). Every connection it accepts is closed at once, without a byte,
// and counted in ACCEPTED (rewritten each time). Runs until SIGTERM or
// SIGINT (exit 0). Exit 1 if the port cannot be bound, 100 on bad usage,
// 111 otherwise.
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool WriteThroughRename(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  fputs(text.c_str(), f);
  return fclose(f) == 0 && rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: port-holder PORT READY [ACCEPTED]\n");
    return 100;
  }
  const long want = strtol(argv[1], nullptr, 10);
  if (want < 0 || want > 65535) {
    fprintf(stderr, "port-holder: bad port %s\n", argv[1]);
    return 100;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    perror("port-holder: socket");
    return 111;
  }
  // As QEMU binds its forwarded ports: a port whose last connections are
  // still in TIME_WAIT is free to take.
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(want));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    perror("port-holder: bind");
    return 1;
  }
  if (listen(s, 8) != 0) {
    perror("port-holder: listen");
    return 111;
  }
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  if (!WriteThroughRename(argv[2], std::to_string(ntohs(addr.sin_port)) + "\n")) {
    perror(argv[2]);
    return 111;
  }
  unsigned accepted = 0;
  if (argc == 4 && !WriteThroughRename(argv[3], "0\n")) return 111;
  while (!g_stop) {
    struct pollfd p = {s, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept(s, nullptr, nullptr);
    if (c < 0) continue;
    close(c);
    ++accepted;
    if (argc == 4) WriteThroughRename(argv[3], std::to_string(accepted) + "\n");
  }
  return 0;
}
