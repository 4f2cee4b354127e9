// qmp: runs one QMP command on a QEMU monitor socket with runall's own
// client, for the tests and the benchmarks:
//
//   qmp SOCKET COMMAND [ARGUMENTS-JSON]
//
// Prints "return" when QEMU returned, or "error: WHY" and exits 1; exit
// 111 when it cannot connect. The peer's pid (SO_PEERCRED) is printed
// first as "peer N" where the system tells it.
#include <stdio.h>

#include <string>

#include "qmp.hpp"

using namespace runall;

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: qmp SOCKET COMMAND [ARGUMENTS-JSON]\n");
    return 100;
  }
  QmpClient qmp;
  std::string err;
  if (!qmp.Connect(argv[1], 5000, &err)) {
    printf("error: %s\n", err.c_str());
    return 111;
  }
  if (qmp.peer_pid() > 0) printf("peer %d\n", static_cast<int>(qmp.peer_pid()));
  JsonValue result;
  if (!qmp.Execute(argv[2], argc == 4 ? argv[3] : "", 5000, &result, &err)) {
    printf("error: %s\n", err.c_str());
    return 1;
  }
  printf("return\n");
  return 0;
}
