// console_logger: runqemuos's console logger. QEMU's serial console and its
// standard output and error go into a pipe; a small process of its own
// (process.hpp's StartHelper: no image lock, no tap, no other fd) reads
// the pipe and appends it to the guest's console log, each line stamped
// with the seconds since QEMU started (console_stamp), until QEMU, the
// pipe's only writer, exits. So a guest's console is kept, readable,
// whatever its display, and the driver can quote its last lines.
#pragma once

#include <stdint.h>

#include <string>

namespace runall {

/// The logger's loop: writes `header` and a newline to `out`, then reads
/// `in` until it ends, appending what it reads to `out` stamped with the
/// time since `start_ms` (MonotonicMs). It keeps reading when writing
/// fails (a full disk), so that QEMU never blocks on a full pipe. Returns
/// 0 at the end of `in`.
int LogConsole(int in, int out, int64_t start_ms, const std::string& header);

/// Starts the logger on the console log `log_fd` (open for appending) in
/// a helper process. *write_fd is the pipe's end for QEMU's stdout and
/// stderr, close-on-exec (the caller dup2s it onto them), with no other
/// copy left in this process. False with *err if it could not start.
bool StartConsoleLogger(int log_fd, const std::string& header, int* write_fd, std::string* err);

}  // namespace runall
