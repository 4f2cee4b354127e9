#include "daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "proc.hpp"

using namespace runall;

namespace {

// Waits for `path` to hold something, for up to two seconds.
std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!text.str().empty() && text.str().back() == '\n') return text.str();
    usleep(10000);
  }
  return "";
}

std::string TempDir() {
  char tmpl[] = "/tmp/daemon_test.XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

void WriteAll(int fd, const std::string& s) {
  ASSERT_EQ(static_cast<ssize_t>(s.size()), write(fd, s.data(), s.size()));
}

}  // namespace

TEST(StartDaemon, ReportsReadinessAndDetachesCompletely) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  // An fd we do not mean to pass on, deliberately inheritable (like QEMU's
  // tap fd in its ifup script), and an ignored SIGTERM.
  int devnull = open("/dev/null", O_RDONLY);
  ASSERT_GE(devnull, 0);
  int leak = dup2(devnull, 100);
  ASSERT_EQ(100, leak);
  close(devnull);
  signal(SIGTERM, SIG_IGN);
  const std::string facts = dir + "/facts";
  DaemonBody body = [&](int report) {
    std::ostringstream out;
    out << "report_fd " << report << "\n";
    out << "sid_is_pid " << (getsid(0) == getpid()) << "\n";
    out << "pgid_is_pid " << (getpgrp() == getpid()) << "\n";
    out << "leak_open " << (fcntl(leak, F_GETFD) != -1) << "\n";
    struct sigaction sa;
    sigaction(SIGTERM, nullptr, &sa);
    out << "sigterm_default " << (sa.sa_handler == SIG_DFL) << "\n";
    char cwd[64];
    out << "cwd " << (getcwd(cwd, sizeof cwd) ? cwd : "?") << "\n";
    struct stat in, null;
    fstat(0, &in);
    stat("/dev/null", &null);
    out << "stdin_null " << (in.st_rdev == null.st_rdev) << "\n";
    WriteAll(report, "ok\n");
    close(report);
    // Every fd the daemon holds, now that the report pipe is closed.
    int open_fds = 0;
    for (int fd = 0; fd < 1024; ++fd)
      if (fcntl(fd, F_GETFD) != -1) ++open_fds;
    out << "open_fds " << open_fds << "\n";
    std::ofstream(facts + ".tmp") << out.str();
    rename((facts + ".tmp").c_str(), facts.c_str());
    return 0;
  };
  pid_t pid = 0;
  std::string err;
  ASSERT_TRUE(StartDaemon(body, 5000, &pid, &err)) << err;
  signal(SIGTERM, SIG_DFL);
  close(leak);
  EXPECT_GT(pid, 0);
  EXPECT_NE(getpid(), pid);
  std::string text = WaitForFile(facts);
  EXPECT_NE(std::string::npos, text.find("report_fd 3\n")) << text;
  EXPECT_NE(std::string::npos, text.find("sid_is_pid 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("pgid_is_pid 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("leak_open 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("sigterm_default 1\n")) << text;
  EXPECT_NE(std::string::npos, text.find("cwd /\n")) << text;
  EXPECT_NE(std::string::npos, text.find("stdin_null 1\n")) << text;
  EXPECT_NE(std::string::npos, text.find("open_fds 3\n")) << text;
  std::string cmd = "rm -rf '" + dir + "'";
  ASSERT_EQ(0, system(cmd.c_str()));
}

TEST(StartDaemon, PassesOnTheDaemonsError) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon(
      [](int report) {
        WriteAll(report, "error: pid file locked by process 42\n");
        return 111;
      },
      5000, &pid, &err));
  EXPECT_EQ("pid file locked by process 42", err);
}

TEST(StartDaemon, NoticesADaemonThatDiesSilently) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon([](int) { return 1; }, 5000, &pid, &err));
  EXPECT_GT(pid, 0);
  EXPECT_NE(std::string::npos, err.find("exited before it was ready")) << err;
}

TEST(StartDaemon, GivesUpOnASilentDaemon) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon(
      [](int) {
        sleep(1);
        return 0;
      },
      100, &pid, &err));
  EXPECT_NE(std::string::npos, err.find("not ready within 100 ms")) << err;
}

TEST(CloseFdsFrom, ClosesEverythingAbove) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int a = open("/dev/null", O_RDONLY);
    int b = dup2(a, 200);
    if (a < 3 || b != 200) _exit(2);
    CloseFdsFrom(3);
    bool closed = fcntl(a, F_GETFD) == -1 && fcntl(b, F_GETFD) == -1;
    bool kept = fcntl(2, F_GETFD) != -1;
    _exit(closed && kept ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}
