#include "guest_log.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "fail.hpp"
#include "file_io.hpp"

namespace runall {

namespace {

time_t WallClock() { return time(nullptr); }

}  // namespace

GuestLog::GuestLog(Log* log, std::string host)
    : log_(log), host_(std::move(host)), clock_(WallClock) {}

GuestLog::~GuestLog() {
  if (fd_ >= 0) close(fd_);
}

bool GuestLog::Open(const std::string& path, std::string* err) {
  // Every run holds a shared flock on the file while it writes; only a run
  // that can take it exclusively, so that no other run is writing, empties
  // it first.
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
             0644);
  if (fd_ < 0) {
    *err = ErrnoMessage("cannot write the guest's log " + path);
    return false;
  }
  path_ = path;
  bool emptied = true;
  if (flock(fd_, LOCK_EX | LOCK_NB) == 0) {
    if (ftruncate(fd_, 0) != 0) {
      *err = ErrnoMessage("cannot empty the guest's log " + path);
      emptied = false;
    }
  } else {
    appending_ = true;
  }
  while (flock(fd_, LOCK_SH) != 0 && errno == EINTR) {
  }
  return emptied;
}

void GuestLog::Msg(const std::string& text) {
  log_->Msg(host_, text);
  ToFile(text);
}

void GuestLog::Error(const std::string& text) {
  log_->Error(host_, text);
  ToFile("ERROR:: " + text);
}

void GuestLog::Cmd(const std::vector<std::string>& argv) {
  log_->Cmd(host_, argv);
  ToFile("CMD:: " + FormatCommand(argv));
}

void GuestLog::Output(const char* data, size_t size) {
  if (fd_ < 0 || size == 0) return;
  WriteAll(fd_, std::string(data, size));
  at_line_start_ = data[size - 1] == '\n';
}

void GuestLog::ToFile(const std::string& message) {
  if (fd_ < 0) return;
  if (!at_line_start_) WriteAll(fd_, "\n");
  WriteAll(fd_, FormatLogLine(clock_(), host_, message));
  at_line_start_ = true;
}

}  // namespace runall
