#include "image_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// A scratch image file, removed at the end of the test.
class TempImage {
 public:
  TempImage() {
    char tmpl[] = "/tmp/runall-image-lock-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    // Big enough to hold QEMU's lock bytes, which need not exist anyway.
    EXPECT_EQ(ftruncate(fd, 4096), 0);
    close(fd);
    path_ = tmpl;
  }
  ~TempImage() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Another process that does `setup` (taking locks), tells us it is ready,
// then keeps everything it holds until Release(): the test probes from
// outside, as runall-os-test does.
class Holder {
 public:
  explicit Holder(const std::function<bool()>& setup) {
    int ready[2], release[2];
    EXPECT_EQ(pipe(ready), 0);
    EXPECT_EQ(pipe(release), 0);
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(release[1]);
      char ok = setup() ? 'y' : 'n';
      if (write(ready[1], &ok, 1) != 1) _exit(2);
      char c;
      while (read(release[0], &c, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    release_fd_ = release[1];
    char ok = 'n';
    EXPECT_EQ(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    ok_ = ok == 'y';
  }
  ~Holder() { Release(); }
  bool ok() const { return ok_; }
  pid_t pid() const { return pid_; }
  void Release() {
    if (pid_ <= 0) return;
    close(release_fd_);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool ok_ = false;
};

// What a QEMU does to its image: an OFD read lock on each byte given.
bool QemuStyleLocks(const std::string& path, std::initializer_list<off_t> bytes) {
  int fd = open(path.c_str(), O_RDWR);
  if (fd < 0) return false;
  for (off_t b : bytes) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = b;
    fl.l_len = 1;
#ifdef F_OFD_SETLK
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) return false;
#else
    if (fcntl(fd, F_SETLK, &fl) != 0) return false;
#endif
  }
  return true;  // the fd stays open, as in QEMU
}

// What anyone who may read an image can do: a read lock on `byte` through
// a descriptor opened read-only, of the given kind.
bool ReadLock(const std::string& path, LockKind kind, off_t byte) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
#ifdef F_OFD_SETLK
  int cmd = kind == LockKind::kOfd ? F_OFD_SETLK : F_SETLK;
#else
  int cmd = F_SETLK;
#endif
  return fcntl(fd, cmd, &fl) == 0;  // the fd stays open, and the lock
}

std::string Pid(pid_t pid) { return "pid " + std::to_string(pid) + " ("; }

ImageUse Probe(const std::string& path, std::string* who = nullptr) {
  std::string w, err;
  ImageUse use = ImageInUse(path, &w, &err);
  EXPECT_NE(use, ImageUse::kError) << err;
  if (who) *who = w;
  return use;
}

}  // namespace

TEST(ImageLock, FreeImageLocksAndTheFdIsInheritable) {
  TempImage img;
  EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
  int fd = -1;
  std::string err;
  ASSERT_EQ(LockImage(img.path(), DefaultLockKind(), &fd, &err), LockResult::kLocked) << err;
  // Not close-on-exec: the lock must pass into QEMU.
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  close(fd);
}

TEST(ImageLock, LockHeldInAnotherProcessIsSeenAndRefused) {
  TempImage img;
  {
    Holder holder([&] {
      int fd;
      std::string err;
      return LockImage(img.path(), DefaultLockKind(), &fd, &err) == LockResult::kLocked;
    });
    ASSERT_TRUE(holder.ok());
    std::string who;
    EXPECT_EQ(Probe(img.path(), &who), ImageUse::kRunall);
    EXPECT_NE(who.find("runqemuos"), std::string::npos) << who;
    int fd = -1;
    std::string err;
    EXPECT_EQ(LockImage(img.path(), DefaultLockKind(), &fd, &err), LockResult::kInUse);
    // The holder is named: ours, so its descriptors may be inspected even
    // when the lock is an OFD lock, which carries no pid.
    const std::string want = img.path() +
                             ": in use: locked by a guest that runqemuos "
                             "started (pid " +
                             std::to_string(holder.pid()) + ": ";
    EXPECT_EQ(err.compare(0, want.size(), want), 0) << err;
    EXPECT_EQ(fd, -1);
  }
  // The holder is gone, and its lock with it.
  EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
  int fd = -1;
  std::string err;
  EXPECT_EQ(LockImage(img.path(), DefaultLockKind(), &fd, &err), LockResult::kLocked);
  close(fd);
}

TEST(ImageLock, AReadLockOnByte0IsNotAGuestAndNamesItsHolder) {
  // Anyone who may read the image can take it; runqemuos never does. It
  // still stops a guest, and is reported as what it is.
  for (LockKind kind : {DefaultLockKind(), LockKind::kPosix}) {
    SCOPED_TRACE(kind == LockKind::kOfd ? "OFD" : "POSIX");
    TempImage img;
    Holder reader([&] { return ReadLock(img.path(), kind, 0); });
    ASSERT_TRUE(reader.ok());
    std::string who;
    EXPECT_EQ(Probe(img.path(), &who), ImageUse::kQemu);
    EXPECT_EQ(who.find("not by a guest that runqemuos started: " + Pid(reader.pid())), 0u) << who;
    EXPECT_NE(who.find("holds a read lock on byte 0, where runqemuos's guests "
                       "hold a write lock"),
              std::string::npos)
        << who;
    EXPECT_EQ(who.find("locked by a guest"), std::string::npos) << who;
    int fd = -1;
    std::string err;
    EXPECT_EQ(LockImage(img.path(), DefaultLockKind(), &fd, &err), LockResult::kInUse);
    EXPECT_EQ(err, img.path() + ": in use: " + who);
    EXPECT_EQ(fd, -1);
    // Nothing of the refused attempt stays: the reader's lock alone.
    EXPECT_EQ(Probe(img.path()), ImageUse::kQemu);
    reader.Release();
    EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
  }
}

TEST(ImageLock, TheHoldersNameIsShownWithItsControlCharactersEscaped) {
  // Its owner chooses a process's name: it must not reach the terminal of
  // the user who is told about the lock as it is.
  TempImage img;
  Holder reader([&] {
    return prctl(PR_SET_NAME, "ev\til\x1b[2J\n", 0, 0, 0) == 0 &&
           ReadLock(img.path(), LockKind::kPosix, 0);
  });
  ASSERT_TRUE(reader.ok());
  std::string who;
  EXPECT_EQ(Probe(img.path(), &who), ImageUse::kQemu);
  EXPECT_NE(who.find(Pid(reader.pid()) + "ev\\til\\x1b[2J\\n, user "), std::string::npos) << who;
}

TEST(ImageLock, AReadOnlyDescriptorTakesAReadLockButNoWriteLock) {
  // Why a read lock on byte 0 is never runqemuos's: a write lock needs the
  // image open for writing, which the attack above does not have.
  TempImage img;
  int fd = open(img.path().c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_len = 1;
#ifdef F_OFD_SETLK
  const int cmd = F_OFD_SETLK;
#else
  const int cmd = F_SETLK;
#endif
  EXPECT_NE(fcntl(fd, cmd, &fl), 0);
  EXPECT_EQ(errno, EBADF);
  fl.l_type = F_RDLCK;
  EXPECT_EQ(fcntl(fd, cmd, &fl), 0);
  close(fd);
}

TEST(ImageLock, FdinfoLocksAreReadByClassTypeAndRange) {
  const std::string text =
      "pos:\t0\nflags:\t02100000\nmnt_id:\t27\nino:\t10953119\n"
      "lock:\t1: OFDLCK ADVISORY  READ -1 fe:00:10953119 0 0\n"
      "lock:\t2: POSIX  ADVISORY  WRITE 4711 fe:00:10953119 100 103\n"
      "lock:\t3: OFDLCK ADVISORY  WRITE -1 fe:00:10953119 200 EOF\n";
  EXPECT_TRUE(FdinfoHasLock(text, true, false, 0));
  EXPECT_FALSE(FdinfoHasLock(text, true, true, 0));    // a read lock there
  EXPECT_FALSE(FdinfoHasLock(text, false, false, 0));  // an OFD lock there
  EXPECT_FALSE(FdinfoHasLock(text, true, false, 1));
  EXPECT_TRUE(FdinfoHasLock(text, false, true, 101));
  EXPECT_FALSE(FdinfoHasLock(text, false, true, 104));
  EXPECT_TRUE(FdinfoHasLock(text, true, true, 201));
  EXPECT_TRUE(FdinfoHasLock(text, true, true, 1 << 30));  // up to EOF
  EXPECT_FALSE(FdinfoHasLock(text, true, true, 199));
  EXPECT_FALSE(FdinfoHasLock("pos:\t0\n", true, false, 0));
  EXPECT_FALSE(FdinfoHasLock("lock:\t1: OFDLCK ADVISORY READ -1 x 0\n", true, false, 0));
  EXPECT_FALSE(FdinfoHasLock("lock:\t1: OFDLCK ADVISORY READ -1 x 5 2\n", true, false, 3));
}

TEST(ImageLock, LockLivesAcrossExecUntilTheProgramExits) {
  TempImage img;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    int fd;
    std::string err;
    if (LockImage(img.path(), DefaultLockKind(), &fd, &err) != LockResult::kLocked) _exit(3);
    // The pipe's write end goes through exec too, and closes when sleep
    // exits; writing a byte first says the lock is taken.
    if (write(ready[1], "x", 1) != 1) _exit(4);
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(5);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  // Give exec time to happen, then the program holds the lock.
  usleep(200 * 1000);
  EXPECT_EQ(Probe(img.path()), ImageUse::kRunall);
  kill(pid, SIGTERM);
  int status;
  waitpid(pid, &status, 0);
  close(ready[0]);
  EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
}

TEST(ImageLock, QemusOwnWriteLocksAreSeen) {
  TempImage img;
  {
    // A QEMU writing to the image: holds 100 and 101 (read, write), and 201
    // (shares no writes).
    Holder qemu([&] { return QemuStyleLocks(img.path(), {100, 101, 201}); });
    ASSERT_TRUE(qemu.ok());
    std::string who;
    EXPECT_EQ(Probe(img.path(), &who), ImageUse::kQemu);
    EXPECT_NE(who.find("QEMU that runall did not start"), std::string::npos) << who;
    int fd = -1;
    std::string err;
    EXPECT_EQ(LockImage(img.path(), DefaultLockKind(), &fd, &err), LockResult::kInUse);
    EXPECT_NE(err.find("open for writing by a QEMU"), std::string::npos) << err;
    // The refused lock on byte 0 was given back.
    EXPECT_EQ(Probe(img.path()), ImageUse::kQemu);
  }
  {
    // share-rw=on: 101 without 201 is still a writer.
    Holder qemu([&] { return QemuStyleLocks(img.path(), {100, 101}); });
    ASSERT_TRUE(qemu.ok());
    EXPECT_EQ(Probe(img.path()), ImageUse::kQemu);
  }
  {
    // A reader that lets nobody write.
    Holder qemu([&] { return QemuStyleLocks(img.path(), {100, 201}); });
    ASSERT_TRUE(qemu.ok());
    EXPECT_EQ(Probe(img.path()), ImageUse::kQemu);
  }
  {
    // A reader that shares writes does not stop a guest.
    Holder qemu([&] { return QemuStyleLocks(img.path(), {100}); });
    ASSERT_TRUE(qemu.ok());
    EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
  }
}

TEST(ImageLock, RunallsLockAndQemusLocksDoNotConflict) {
  TempImage img;
  Holder runall([&] {
    int fd;
    std::string err;
    if (LockImage(img.path(), DefaultLockKind(), &fd, &err) != LockResult::kLocked) return false;
    // The QEMU it starts locks its own bytes on the same image.
    return QemuStyleLocks(img.path(), {100, 101, 201});
  });
  ASSERT_TRUE(runall.ok());
  EXPECT_EQ(Probe(img.path()), ImageUse::kRunall);
}

#ifdef F_OFD_SETLK
TEST(ImageLock, OfdLockSurvivesTheHolderClosingAnotherFdOnTheImage) {
  TempImage img;
  Holder holder([&] {
    int fd;
    std::string err;
    if (LockImage(img.path(), LockKind::kOfd, &fd, &err) != LockResult::kLocked) return false;
    // What QEMU does many times while it runs: open the image, close it.
    for (int i = 0; i < 3; ++i) {
      int other = open(img.path().c_str(), O_RDONLY);
      if (other < 0) return false;
      close(other);
    }
    return true;
  });
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(Probe(img.path()), ImageUse::kRunall);
}
#endif

TEST(ImageLock, PosixLockIsDroppedByAnyCloseOfTheFile) {
  // Why runall prefers OFD locks: the fallback's lock vanishes as soon as
  // the process closes any descriptor of the image.
  TempImage img;
  Holder holder([&] {
    int fd;
    std::string err;
    if (LockImage(img.path(), LockKind::kPosix, &fd, &err) != LockResult::kLocked) return false;
    int other = open(img.path().c_str(), O_RDONLY);
    if (other < 0) return false;
    close(other);
    return true;
  });
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(Probe(img.path()), ImageUse::kFree);
}

TEST(ImageLock, PosixLockHeldIsSeenWithItsPid) {
  TempImage img;
  Holder holder([&] {
    int fd;
    std::string err;
    return LockImage(img.path(), LockKind::kPosix, &fd, &err) == LockResult::kLocked;
  });
  ASSERT_TRUE(holder.ok());
  std::string who;
  EXPECT_EQ(Probe(img.path(), &who), ImageUse::kRunall);
  EXPECT_NE(who.find("(pid "), std::string::npos) << who;
  int fd = -1;
  std::string err;
  EXPECT_EQ(LockImage(img.path(), LockKind::kPosix, &fd, &err), LockResult::kInUse);
}

TEST(ImageLock, TwoLocksInOneProcessConflictToo) {
  // OFD locks belong to the open file, not the process, so even one process
  // cannot lock an image twice.
  if (DefaultLockKind() != LockKind::kOfd) GTEST_SKIP() << "no OFD locks here";
  TempImage img;
  int a = -1, b = -1;
  std::string err;
  ASSERT_EQ(LockImage(img.path(), LockKind::kOfd, &a, &err), LockResult::kLocked);
  EXPECT_EQ(LockImage(img.path(), LockKind::kOfd, &b, &err), LockResult::kInUse);
  close(a);
  EXPECT_EQ(LockImage(img.path(), LockKind::kOfd, &b, &err), LockResult::kLocked);
  close(b);
}

TEST(ImageLock, ErrorsSayWhat) {
  int fd = -1;
  std::string err;
  EXPECT_EQ(LockImage("/nonexistent/x.img", DefaultLockKind(), &fd, &err), LockResult::kError);
  EXPECT_EQ(err, "/nonexistent/x.img: No such file or directory");
  EXPECT_EQ(LockImage("/tmp", DefaultLockKind(), &fd, &err), LockResult::kError);
  EXPECT_NE(err.find("/tmp"), std::string::npos);
  std::string who;
  EXPECT_EQ(ImageInUse("/nonexistent/x.img", &who, &err), ImageUse::kError);
  EXPECT_EQ(err, "/nonexistent/x.img: No such file or directory");
}
