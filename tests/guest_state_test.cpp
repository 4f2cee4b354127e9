#include "guest_state.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

using namespace runall;

namespace {

class GuestStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runall-guest-state.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A stand-in QEMU: sleep(1) under a QEMU's name, so /proc/PID/exe reads
    // ".../qemu-system-fake".
    fake_qemu_ = dir_ + "/qemu-system-fake";
    std::string cmd = "cp /bin/sleep '" + fake_qemu_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  void TearDown() override {
    for (pid_t p : children_) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  pid_t Start(const std::string& program) {
    pid_t child = fork();
    if (child == 0) {
      execl(program.c_str(), "qemu-system-fake", "30", static_cast<char*>(nullptr));
      _exit(127);
    }
    children_.push_back(child);
    usleep(50 * 1000);  // until it has exec'd
    return child;
  }

  std::string WriteLaunchFile(pid_t pid) {
    std::string path = dir_ + "/netqemu";
    std::ofstream(path) << pid << "\n";
    return path;
  }

  LaunchFile Read(const std::string& path) {
    LaunchFile launch;
    std::string err;
    EXPECT_TRUE(ReadLaunchFile(path, &launch, &err)) << err;
    return launch;
  }

  std::string dir_, fake_qemu_;
  std::vector<pid_t> children_;
};

}  // namespace

TEST(ParseLaunchPidTest, Forms) {
  pid_t pid = 0;
  EXPECT_TRUE(ParseLaunchPid("4242\n", &pid));
  EXPECT_EQ(pid, 4242);
  EXPECT_TRUE(ParseLaunchPid("17", &pid));
  EXPECT_EQ(pid, 17);
  EXPECT_FALSE(ParseLaunchPid("", &pid));
  EXPECT_FALSE(ParseLaunchPid("1\n", &pid));  // init is nobody's QEMU
  EXPECT_FALSE(ParseLaunchPid("-5\n", &pid));
  EXPECT_FALSE(ParseLaunchPid("42 43\n", &pid));
  EXPECT_FALSE(ParseLaunchPid("42\n\n", &pid));
}

TEST_F(GuestStateTest, MissingLaunchFileIsNoError) {
  LaunchFile launch = Read(dir_ + "/nothing");
  EXPECT_FALSE(launch.exists);
  EXPECT_FALSE(LaunchFileNamesLiveQemu(launch));
}

TEST_F(GuestStateTest, LaunchFileOfARunningQemuNamesIt) {
  pid_t qemu = Start(fake_qemu_);
  LaunchFile launch = Read(WriteLaunchFile(qemu));
  EXPECT_TRUE(launch.exists);
  EXPECT_EQ(launch.pid, qemu);
  EXPECT_TRUE(LaunchFileNamesLiveQemu(launch));
  ProcessFacts p = ReadProcessFacts(qemu);
  EXPECT_TRUE(p.exists);
  EXPECT_EQ(p.exe, fake_qemu_);
  EXPECT_TRUE(p.start_known);
}

TEST_F(GuestStateTest, PidOfAnotherProgramIsNotQemu) {
  pid_t other = Start("/bin/sleep");
  EXPECT_FALSE(LaunchFileNamesLiveQemu(Read(WriteLaunchFile(other))));
}

TEST_F(GuestStateTest, DeadPidIsNotQemu) {
  pid_t qemu = Start(fake_qemu_);
  std::string path = WriteLaunchFile(qemu);
  kill(qemu, SIGKILL);
  waitpid(qemu, nullptr, 0);
  children_.clear();
  EXPECT_FALSE(LaunchFileNamesLiveQemu(Read(path)));
}

namespace {

// Gives the file at `path` the time of a minute ago.
bool WrittenMinuteAgo(const std::string& path) {
  struct timespec earlier[2];
  clock_gettime(CLOCK_REALTIME, &earlier[0]);
  earlier[0].tv_sec -= 60;
  earlier[1] = earlier[0];
  return utimensat(AT_FDCWD, path.c_str(), earlier, 0) == 0;
}

}  // namespace

TEST_F(GuestStateTest, StaleLaunchFileWhosePidWasReusedDoesNotFoolIt) {
  // The launch file was written; its QEMU died; the pid now belongs to a
  // QEMU-looking process started later. Pids cannot be chosen, so the reuse
  // is simulated: the file is given a time before the process started.
  pid_t later = Start(fake_qemu_);
  std::string path = WriteLaunchFile(later);
  ASSERT_TRUE(WrittenMinuteAgo(path));
  EXPECT_FALSE(LaunchFileNamesLiveQemu(Read(path)));
}

TEST_F(GuestStateTest, PidThisRunLaunchedIsTrustedDespiteTheClock) {
  // As above, but the pid is the one this run's runqemuos reported: a
  // launch file that seems older than its QEMU is a clock stepped forward.
  pid_t qemu = Start(fake_qemu_);
  std::string path = WriteLaunchFile(qemu);
  ASSERT_TRUE(WrittenMinuteAgo(path));
  LaunchFile launch = Read(path);
  EXPECT_EQ(LaunchFileQemuProblem(launch, qemu), "");
  EXPECT_NE(LaunchFileQemuProblem(launch, 0).find("a reused pid"), std::string::npos);
  StartupFacts f;
  GatherFileFacts(launch, dir_ + "/up", 240, launch.mtime, &f, qemu);
  EXPECT_TRUE(f.launch_names_live_qemu);
  // Another pid than the one reported gets no such trust.
  EXPECT_NE(LaunchFileQemuProblem(launch, qemu + 100000), "");
}

TEST_F(GuestStateTest, ProblemNamesThePid) {
  pid_t other = Start("/bin/sleep");
  // /bin/sleep, or /usr/bin/sleep where /bin is a link to /usr/bin.
  std::string why = LaunchFileQemuProblem(Read(WriteLaunchFile(other)), 0);
  EXPECT_EQ(why.rfind("pid " + std::to_string(other) + ": the process runs /", 0), 0u) << why;
  EXPECT_NE(why.find("bin/sleep, not a QEMU"), std::string::npos) << why;
  EXPECT_EQ(LaunchFileQemuProblem(Read(dir_ + "/nothing"), 0), "no launch file");
}

TEST_F(GuestStateTest, FileFacts) {
  pid_t qemu = Start(fake_qemu_);
  LaunchFile launch = Read(WriteLaunchFile(qemu));
  std::string up = dir_ + "/up-netqemu";
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);

  StartupFacts f;
  GatherFileFacts(launch, up, 240, now, &f);
  EXPECT_TRUE(f.launch_names_live_qemu);
  EXPECT_FALSE(f.later_up_file);
  EXPECT_FALSE(f.start_timeout_expired);

  // An up-file from before the launch does not count; one after does.
  std::ofstream(up) << "old boot\n";
  struct timespec old[2] = {{launch.mtime.tv_sec - 10, 0}, {launch.mtime.tv_sec - 10, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, up.c_str(), old, 0), 0);
  GatherFileFacts(launch, up, 240, now, &f);
  EXPECT_FALSE(f.later_up_file);
  struct timespec later[2] = {{launch.mtime.tv_sec + 5, 0}, {launch.mtime.tv_sec + 5, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, up.c_str(), later, 0), 0);
  GatherFileFacts(launch, up, 240, now, &f);
  EXPECT_TRUE(f.later_up_file);
  EXPECT_EQ(f.up_file_mtime.tv_sec, launch.mtime.tv_sec + 5);

  struct timespec much_later = now;
  much_later.tv_sec += 241;
  GatherFileFacts(launch, up, 240, much_later, &f);
  EXPECT_TRUE(f.start_timeout_expired);
}

TEST(MillisBetween, Timespecs) {
  struct timespec a = {100, 900000000}, b = {102, 100000000};
  EXPECT_EQ(MillisBetween(a, b), 1200);
  EXPECT_EQ(MillisBetween(b, a), -1200);
}
