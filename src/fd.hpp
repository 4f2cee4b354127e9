// fd: a file descriptor that closes itself when it goes out of scope - a
// lock, a directory, a pipe's end - so that no early return leaks one.
#pragma once

namespace runall {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  /// The descriptor, still owned; -1 when there is none.
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

  /// Closes the descriptor held, if any, and holds `fd` instead.
  void Reset(int fd = -1);

  /// Gives the descriptor up without closing it.
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  /// Closes it now, for a caller that must know whether close failed (a
  /// file just written). Returns close()'s result; 0 when none was held.
  int Close();

 private:
  int fd_ = -1;
};

}  // namespace runall
