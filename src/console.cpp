#include "console.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "file_io.hpp"

namespace runall {

std::string LinePrefixer::Feed(const char* data, size_t size) {
  std::string out;
  partial_.append(data, size);
  size_t start = 0;
  while (true) {
    size_t nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    out += prefix_;
    out.append(partial_, start, nl + 1 - start);
    start = nl + 1;
  }
  partial_.erase(0, start);
  return out;
}

std::string LinePrefixer::Flush() {
  if (partial_.empty()) return "";
  std::string out = prefix_ + partial_ + "\n";
  partial_.clear();
  return out;
}

std::string ProgressLine(const std::vector<ProgressItem>& items, size_t width) {
  std::string line;
  for (const ProgressItem& p : items) {
    if (!line.empty()) line += ", ";
    line += p.what + " " + p.host + " " + std::to_string(p.waited_s) + "s";
    if (p.limit_s > 0) line += "/" + std::to_string(p.limit_s) + "s";
  }
  width = std::max<size_t>(width, 10);
  // One column is left free: a line that fills the terminal exactly wraps
  // on some terminals.
  if (line.size() > width - 1) line = line.substr(0, width - 4) + "...";
  return line;
}

void Console::Output(const std::string& host, int fd, const char* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!prefix_) {
    ClearLocked();
    WriteAll(fd, data, n);
    at_line_start_ = n > 0 && data[n - 1] == '\n';
    DrawLocked();
    return;
  }
  auto& p = Prefixer(host, fd);
  std::string lines = p.Feed(data, n);
  if (lines.empty()) return;
  ClearLocked();
  WriteAll(fd, lines);
  DrawLocked();
}

void Console::EndOutput(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : {1, 2}) {
    auto it = prefixers_.find({host, fd});
    if (it == prefixers_.end()) continue;
    std::string rest = it->second.Flush();
    if (!rest.empty()) {
      ClearLocked();
      WriteAll(fd, rest);
    }
    prefixers_.erase(it);
  }
  DrawLocked();
}

void Console::Text(int fd, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
  // A script's output that ended without a newline must not swallow the
  // start of the next line.
  if (!prefix_ && !at_line_start_) WriteAll(fd, "\n");
  at_line_start_ = true;
  WriteAll(fd, text);
  DrawLocked();
}

void Console::SetProgress(const ProgressItem& item) {
  if (!progress_) return;
  std::lock_guard<std::mutex> lock(mu_);
  bool found = false;
  for (ProgressItem& p : items_)
    if (p.host == item.host) {
      if (p.what == item.what && p.waited_s == item.waited_s && p.limit_s == item.limit_s) return;
      p = item;
      found = true;
    }
  if (!found) items_.push_back(item);
  ClearLocked();
  DrawLocked();
}

void Console::ClearProgress(const std::string& host) {
  if (!progress_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::remove_if(items_.begin(), items_.end(),
                           [&](const ProgressItem& p) { return p.host == host; });
  if (it == items_.end()) return;
  items_.erase(it, items_.end());
  ClearLocked();
  DrawLocked();
}

LinePrefixer& Console::Prefixer(const std::string& host, int fd) {
  auto key = std::make_pair(host, fd);
  auto it = prefixers_.find(key);
  if (it == prefixers_.end()) it = prefixers_.emplace(key, LinePrefixer("[" + host + "] ")).first;
  return it->second;
}

void Console::ClearLocked() {
  if (!shown_) return;
  WriteAll(progress_fd_, "\r\033[K");
  shown_ = false;
}

void Console::DrawLocked() {
  if (!progress_ || items_.empty() || !at_line_start_) return;
  struct winsize ws;
  size_t width = 80;
  if (ioctl(progress_fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) width = ws.ws_col;
  WriteAll(progress_fd_, ProgressLine(items_, width));
  shown_ = true;
}

}  // namespace runall
