#include "guest_log.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
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
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
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
  const off_t end = lseek(fd_, 0, SEEK_END);
  run_start_ = end > 0 ? end : 0;
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

bool ReadRunOutput(const std::string& path, const std::string& host, long long start,
                   size_t max_bytes, std::string* output, std::string* err) {
  output->clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Fail(err, ErrnoMessage("cannot read the guest's log " + path));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const std::string why = ErrnoMessage("cannot read the guest's log " + path);
    close(fd);
    return Fail(err, why);
  }
  const long long size = st.st_size;
  long long from = start < 0 ? 0 : start;
  const long long left_out = size - from > static_cast<long long>(max_bytes)
                                 ? size - from - static_cast<long long>(max_bytes)
                                 : 0;
  from += left_out;
  std::string text;
  if (size > from) text.resize(static_cast<size_t>(size - from));
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = pread(fd, &text[got], text.size() - got, from + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = ErrnoMessage("cannot read the guest's log " + path);
      close(fd);
      return Fail(err, why);
    }
    if (n == 0) break;  // the file shrank: a later run emptied it
    got += static_cast<size_t>(n);
  }
  close(fd);
  text.resize(got);
  if (left_out > 0) {
    // From a line's start, so that a log line is still known for one.
    const size_t nl = text.find('\n');
    const size_t skip = nl == std::string::npos ? text.size() : nl + 1;
    text.erase(0, skip);
    *output = "[runall: the first " + std::to_string(left_out + static_cast<long long>(skip)) +
              " bytes of this run's log are left out]\n";
  }
  *output += WithoutLogLines(text, host);
  return true;
}

}  // namespace runall
