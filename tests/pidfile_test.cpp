#include "pidfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

using namespace runall;

namespace {

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pidfile_test.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    path_ = DhcpPidFilePath(dir_, "tap7");
  }
  void TearDown() override {
    for (pid_t p : children_) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }

  // A child that takes the lock, tells us, and waits to be killed. With
  // `stubborn` it ignores SIGTERM.
  pid_t LockingChild(bool stubborn) {
    int ready[2];
    if (pipe(ready) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      if (stubborn) signal(SIGTERM, SIG_IGN);
      pid_t holder = 0;
      std::string err;
      if (LockPidFile(path_, &holder, &err) < 0) _exit(1);
      (void)!write(ready[1], "x", 1);
      for (;;) pause();
    }
    close(ready[1]);
    char c;
    bool ok = read(ready[0], &c, 1) == 1;
    close(ready[0]);
    if (pid > 0) children_.push_back(pid);
    return ok ? pid : -1;
  }

  bool Reaped(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return false;
    children_.erase(std::find(children_.begin(), children_.end(), pid));
    return true;
  }

  std::string dir_, path_;
  std::vector<pid_t> children_;
};

ProcessCheck Accept() {
  return [](pid_t, std::string*) { return true; };
}

}  // namespace

TEST(DhcpPidFilePath, IsPerNamespaceAndInterface) {
  EXPECT_EQ("/run/runall/net-4026531840", NamespaceRunDir("/run/runall", "net-4026531840"));
  EXPECT_EQ("/run/runall/net-7/dhcpd-tap5.pid", DhcpPidFilePath("/run/runall/net-7", "tap5"));
  EXPECT_EQ("/run/runall/net-7/tap5.lock", InterfaceLockPath("/run/runall/net-7", "tap5"));
}

TEST_F(PidFileTest, EnsureRunDirMakesAPrivateDirectory) {
  std::string err;
  std::string run = dir_ + "/run";
  mode_t old = umask(0);  // whatever the caller's umask, 0700
  ASSERT_TRUE(EnsureRunDir(run, &err)) << err;
  umask(old);
  struct stat st;
  ASSERT_EQ(0, lstat(run.c_str(), &st));
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(0700u, st.st_mode & 07777);
  EXPECT_TRUE(EnsureRunDir(run, &err)) << err;  // again: already there
}

TEST_F(PidFileTest, EnsureRunDirNamesAMissingParent) {
  std::string err;
  const std::string run = dir_ + "/missing/deeper/run";
  EXPECT_FALSE(EnsureRunDir(run, &err));
  EXPECT_EQ(run + ": cannot make it: its parent " + dir_ +
                "/missing/deeper does not exist (create it, or set run_dir "
                "in runall.conf)",
            err);
  struct stat st;
  EXPECT_NE(0, lstat((dir_ + "/missing").c_str(), &st));  // nothing made
}

TEST_F(PidFileTest, EnsureRunDirNarrowsAnOlderRunDirectory) {
  // An older runall made it 0755, so that anyone could open the pid files.
  std::string err;
  for (mode_t mode : {0755, 0777, 01777}) {
    std::string run = dir_ + "/old" + std::to_string(mode);
    ASSERT_EQ(0, mkdir(run.c_str(), 0700));
    ASSERT_EQ(0, chmod(run.c_str(), mode));
    ASSERT_TRUE(EnsureRunDir(run, &err)) << err;
    struct stat st;
    ASSERT_EQ(0, lstat(run.c_str(), &st));
    EXPECT_EQ(0700u, st.st_mode & 07777) << mode;
  }
}

TEST_F(PidFileTest, EnsureRunDirNarrowsOnlyADirectoryOfRunallsOwn) {
  // An older runall's: its pid files and marks; narrowed.
  std::string err;
  std::string old_run = dir_ + "/oldrun";
  ASSERT_EQ(0, mkdir(old_run.c_str(), 0755));
  ASSERT_EQ(0, chmod(old_run.c_str(), 0755));
  for (const char* name : {"dhcpd-tap3.pid", "tap3.created", "net-4026531840"})
    std::ofstream(old_run + "/" + name) << "x";
  ASSERT_TRUE(EnsureRunDir(old_run, &err)) << err;
  struct stat st;
  ASSERT_EQ(0, lstat(old_run.c_str(), &st));
  EXPECT_EQ(0700u, st.st_mode & 07777);
  // run_dir set to /run or /tmp by mistake: left as it is, and refused.
  std::string shared = dir_ + "/shared";
  ASSERT_EQ(0, mkdir(shared.c_str(), 0700));
  ASSERT_EQ(0, chmod(shared.c_str(), 01777));
  std::ofstream(shared + "/.X11-unix") << "x";
  EXPECT_FALSE(EnsureRunDir(shared, &err));
  EXPECT_NE(std::string::npos, err.find(".X11-unix")) << err;
  EXPECT_NE(std::string::npos, err.find("mode 1777")) << err;
  ASSERT_EQ(0, lstat(shared.c_str(), &st));
  EXPECT_EQ(01777u, st.st_mode & 07777);
}

TEST_F(PidFileTest, EnsureRunDirRefusesWhatIsNotOurDirectory) {
  std::string err;
  if (geteuid() == 0) {
    std::string theirs = dir_ + "/theirs";
    ASSERT_EQ(0, mkdir(theirs.c_str(), 0755));
    ASSERT_EQ(0, chown(theirs.c_str(), 12345, 12345));
    EXPECT_FALSE(EnsureRunDir(theirs, &err));
    EXPECT_NE(std::string::npos, err.find("owned by uid 12345")) << err;
    struct stat st;
    ASSERT_EQ(0, lstat(theirs.c_str(), &st));
    EXPECT_EQ(0755u, st.st_mode & 07777);  // not narrowed: not ours
  }
  std::string link = dir_ + "/link";
  ASSERT_EQ(0, symlink("/tmp", link.c_str()));
  EXPECT_FALSE(EnsureRunDir(link, &err));
  std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  EXPECT_FALSE(EnsureRunDir(file, &err));
  EXPECT_FALSE(EnsureRunDir("relative/run", &err));
}

TEST_F(PidFileTest, NobodyHoldsAMissingOrUnlockedFile) {
  pid_t holder = 1;
  std::string err;
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(0, holder);
  std::ofstream(path_) << "1\n";  // a number in the file proves nothing
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(0, holder);
  StopOutcome outcome;
  bool checked = false;
  ProcessCheck check = [&](pid_t, std::string*) { return checked = true; };
  ASSERT_TRUE(StopPidFileHolder(path_, check, 100, &outcome, &holder, &err));
  EXPECT_EQ(StopOutcome::kNotRunning, outcome);
  EXPECT_FALSE(checked);
}

TEST_F(PidFileTest, TheLockNamesItsHolderAndWritesItsPid) {
  pid_t child = LockingChild(false);
  ASSERT_GT(child, 0);
  pid_t holder = 0;
  std::string err;
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(child, holder);
  std::ifstream in(path_);
  long written = 0;
  in >> written;
  EXPECT_EQ(child, written);
  // A second daemon cannot take it.
  EXPECT_EQ(-1, LockPidFile(path_, &holder, &err));
  EXPECT_EQ(child, holder);
  EXPECT_NE(std::string::npos, err.find(std::to_string(child)));
  // The lock goes with its holder.
  kill(child, SIGKILL);
  ASSERT_TRUE(Reaped(child));
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(0, holder);
}

TEST_F(PidFileTest, OwnLockIsNotReportedAndClosingDropsIt) {
  pid_t holder = 0;
  std::string err;
  int fd = LockPidFile(path_, &holder, &err);
  ASSERT_GE(fd, 0) << err;
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err));
  EXPECT_EQ(0, holder);
  close(fd);
}

TEST_F(PidFileTest, StopTerminatesTheHolder) {
  pid_t child = LockingChild(false);
  ASSERT_GT(child, 0);
  pid_t checked = 0, holder = 0;
  ProcessCheck check = [&](pid_t pid, std::string*) {
    checked = pid;
    return true;
  };
  StopOutcome outcome;
  std::string err;
  ASSERT_TRUE(StopPidFileHolder(path_, check, 2000, &outcome, &holder, &err)) << err;
  EXPECT_EQ(StopOutcome::kTerminated, outcome);
  EXPECT_EQ(child, checked);
  EXPECT_EQ(child, holder);
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  children_.clear();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(SIGTERM, WTERMSIG(status));
}

TEST_F(PidFileTest, StopKillsAHolderThatIgnoresSigterm) {
  pid_t child = LockingChild(true);
  ASSERT_GT(child, 0);
  StopOutcome outcome;
  pid_t holder = 0;
  std::string err;
  ASSERT_TRUE(StopPidFileHolder(path_, Accept(), 100, &outcome, &holder, &err)) << err;
  EXPECT_EQ(StopOutcome::kKilled, outcome);
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  children_.clear();
  EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

TEST_F(PidFileTest, StopSignalsNothingTheCheckRefuses) {
  pid_t child = LockingChild(false);
  ASSERT_GT(child, 0);
  ProcessCheck refuse = [](pid_t, std::string* why) {
    *why = "which is not ours";
    return false;
  };
  StopOutcome outcome;
  pid_t holder = 0;
  std::string err;
  ASSERT_TRUE(StopPidFileHolder(path_, refuse, 100, &outcome, &holder, &err));
  EXPECT_EQ(StopOutcome::kRefused, outcome);
  EXPECT_NE(std::string::npos, err.find("which is not ours"));
  EXPECT_EQ(0, kill(child, 0));  // alive and well
  int status = 0;
  EXPECT_EQ(0, waitpid(child, &status, WNOHANG));
}

TEST_F(PidFileTest, APidFileIsRootsAlone) {
  pid_t holder = 0;
  std::string err;
  mode_t old = umask(0);
  int fd = LockPidFile(path_, &holder, &err);
  umask(old);
  ASSERT_GE(fd, 0) << err;
  struct stat st;
  ASSERT_EQ(0, lstat(path_.c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 07777);
  close(fd);
}

TEST_F(PidFileTest, AReadLockNeitherNamesADaemonNorBlocksANewOne) {
  // Someone who opened the pid file holds a read lock on it: that is no
  // daemon to stop, and the next daemon still gets its lock.
  std::ofstream(path_) << "1\n";
  int ready[2];
  ASSERT_EQ(0, pipe(ready));
  pid_t reader = fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    int fd = open(path_.c_str(), O_RDONLY);
    struct flock fl = {};
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0) _exit(1);
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  }
  children_.push_back(reader);
  close(ready[1]);
  char c;
  ASSERT_EQ(1, read(ready[0], &c, 1));
  close(ready[0]);
  pid_t holder = 1;
  std::string err;
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(0, holder);
  StopOutcome outcome;
  bool checked = false;
  ProcessCheck check = [&](pid_t, std::string*) { return checked = true; };
  ASSERT_TRUE(StopPidFileHolder(path_, check, 100, &outcome, &holder, &err));
  EXPECT_EQ(StopOutcome::kNotRunning, outcome);
  EXPECT_FALSE(checked);
  pid_t child = LockingChild(false);
  ASSERT_GT(child, 0);
  ASSERT_TRUE(PidFileHolder(path_, &holder, &err)) << err;
  EXPECT_EQ(child, holder);
  EXPECT_EQ(0, kill(reader, 0));  // left alone
}

TEST_F(PidFileTest, TheInterfaceLockWaitsThenNamesItsHolder) {
  const std::string lock = InterfaceLockPath(dir_, "tap7");
  int ready[2], go[2];
  ASSERT_EQ(0, pipe(ready));
  ASSERT_EQ(0, pipe(go));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pid_t h = 0;
    std::string e;
    int fd = LockFileWait(lock, 0, &h, &e);
    if (fd < 0) _exit(1);
    (void)!write(ready[1], "x", 1);
    char b;
    (void)!read(go[0], &b, 1);  // hold it until told
    _exit(0);
  }
  children_.push_back(child);
  close(ready[1]);
  close(go[0]);
  char c;
  ASSERT_EQ(1, read(ready[0], &c, 1));
  pid_t holder = 0;
  std::string err;
  EXPECT_EQ(-1, LockFileWait(lock, 100, &holder, &err));
  EXPECT_EQ(child, holder);
  EXPECT_NE(std::string::npos, err.find("held by process " + std::to_string(child))) << err;
  ASSERT_EQ(1, write(go[1], "x", 1));
  int fd = LockFileWait(lock, 5000, &holder, &err);
  EXPECT_GE(fd, 0) << err;
  close(fd);
  close(ready[0]);
  close(go[1]);
  ASSERT_TRUE(Reaped(child));
}

TEST_F(PidFileTest, RefusesASymlinkedPidFile) {
  std::string target = dir_ + "/elsewhere";
  std::ofstream(target) << "";
  ASSERT_EQ(0, symlink(target.c_str(), path_.c_str()));
  pid_t holder = 0;
  std::string err;
  EXPECT_EQ(-1, LockPidFile(path_, &holder, &err));
  EXPECT_FALSE(PidFileHolder(path_, &holder, &err));
}
