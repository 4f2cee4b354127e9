#include "console_logger.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "clock.hpp"
#include "console_stamp.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "process.hpp"

namespace runall {

int LogConsole(int in, int out, int64_t start_ms, const std::string& header) {
  // Whatever the write's fate, the reading goes on: a logger that stopped
  // would leave QEMU blocked on a full pipe, or killed by SIGPIPE.
  WriteAll(out, header + "\n");
  ConsoleStamper stamper(start_ms);
  char buf[8192];
  std::string text;
  while (true) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.clear();
    stamper.Feed(buf, static_cast<size_t>(n), MonotonicMs(), &text);
    if (!text.empty()) WriteAll(out, text);
  }
  text.clear();
  stamper.Finish(&text);
  if (!text.empty()) WriteAll(out, text);
  return 0;
}

bool StartConsoleLogger(int log_fd, const std::string& header, int* write_fd, std::string* err) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  Fd read_end(ends[0]), write_end(ends[1]);
  // QEMU starts right after this: its lines are stamped from here.
  const int64_t start_ms = MonotonicMs();
  auto body = [start_ms, header]() {
    // It ends when QEMU does (the end of the pipe), not on the signals a
    // terminal sends to the whole group in runqemuos's foreground mode:
    // QEMU's last words would be lost.
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    return LogConsole(STDIN_FILENO, STDOUT_FILENO, start_ms, header);
  };
  // The helper gets the read end only: with a write end of its own it
  // would never see the end of the pipe.
  if (!StartHelper(body, read_end.get(), log_fd, err)) return false;
  *write_fd = write_end.Release();
  return true;
}

}  // namespace runall
