#include "hostname_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "proc.hpp"

using namespace runall;

namespace {

HostnameFileFacts File(uid_t owner, time_t mtime) {
  HostnameFileFacts f;
  f.regular = true;
  f.owner = owner;
  f.mtime = mtime;
  return f;
}

constexpr time_t kNow = 1000000;

HostnameFileAction Decide(const HostnameFileFacts& f) {
  return DecideHostnameFile(f, 1000, kNow, 3600, 600);
}

}  // namespace

TEST(DecideHostnameFile, FollowsTheArticlesAges) {
  EXPECT_EQ(HostnameFileAction::kUse, Decide(File(1000, kNow)));
  EXPECT_EQ(HostnameFileAction::kUse, Decide(File(1000, kNow - 599)));
  // TOOOLD: "a hostname file ten minutes or older is out of date".
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(File(1000, kNow - 600)));
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(File(1000, kNow - 3600)));
  // DELAGE: "older than one hour may be deleted".
  EXPECT_EQ(HostnameFileAction::kDelete, Decide(File(1000, kNow - 3601)));
  EXPECT_EQ(HostnameFileAction::kDelete, Decide(File(1000, 0)));
}

TEST(DecideHostnameFile, CountsAFutureFileAsNew) {
  EXPECT_EQ(HostnameFileAction::kUse, Decide(File(1000, kNow + 5)));
  EXPECT_EQ(HostnameFileAction::kUse, Decide(File(1000, kNow + 100000)));
}

TEST(DecideHostnameFile, LeavesOthersFilesAlone) {
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(File(0, kNow)));
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(File(1001, 0)));
  HostnameFileFacts fifo = File(1000, kNow);
  fifo.regular = false;
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(fifo));
  fifo.mtime = 0;
  EXPECT_EQ(HostnameFileAction::kSkip, Decide(fifo));
}

TEST(DecideHostnameFile, UsesTheConfiguredAges) {
  EXPECT_EQ(HostnameFileAction::kSkip, DecideHostnameFile(File(5, kNow - 10), 5, kNow, 3600, 10));
  EXPECT_EQ(HostnameFileAction::kDelete, DecideHostnameFile(File(5, kNow - 21), 5, kNow, 20, 10));
}

namespace {

// A made-up process tree: child -> parent.
ParentOf Tree(std::map<pid_t, pid_t> parents) {
  return [parents](pid_t pid, pid_t* parent) {
    auto it = parents.find(pid);
    if (it == parents.end()) return false;
    *parent = it->second;
    return true;
  };
}

}  // namespace

TEST(WalkAncestors, VisitsFromUsUpToInit) {
  std::vector<pid_t> seen;
  pid_t found =
      WalkAncestors(500, Tree({{500, 400}, {400, 300}, {300, 1}, {1, 0}}), [&](pid_t pid) {
        seen.push_back(pid);
        return false;
      });
  EXPECT_EQ(0, found);
  EXPECT_EQ((std::vector<pid_t>{500, 400, 300, 1}), seen);
}

TEST(WalkAncestors, StopsAtTheNearestMatch) {
  std::vector<pid_t> seen;
  pid_t found = WalkAncestors(500, Tree({{500, 400}, {400, 300}, {300, 1}}), [&](pid_t pid) {
    seen.push_back(pid);
    return pid == 400 || pid == 300;
  });
  EXPECT_EQ(400, found);
  EXPECT_EQ((std::vector<pid_t>{500, 400}), seen);
}

TEST(WalkAncestors, EndsOnLoopsUnknownParentsAndDepth) {
  int visits = 0;
  auto count = [&](pid_t) {
    ++visits;
    return false;
  };
  EXPECT_EQ(0, WalkAncestors(5, Tree({{5, 6}, {6, 5}}), count));
  EXPECT_EQ(2, visits);
  visits = 0;
  EXPECT_EQ(0, WalkAncestors(5, Tree({{5, 6}}), count));
  EXPECT_EQ(2, visits);
  visits = 0;
  std::map<pid_t, pid_t> chain;
  for (pid_t p = 1000; p > 2; --p) chain[p] = p - 1;
  EXPECT_EQ(0, WalkAncestors(1000, Tree(chain), count, 100));
  EXPECT_EQ(100, visits);
}

TEST(FirstLine, IsWhatTheShellsReadGives) {
  EXPECT_EQ("netbsd", FirstLine("netbsd\n"));
  EXPECT_EQ("netbsd", FirstLine("netbsd \r\nother\n"));
  EXPECT_EQ("netbsd", FirstLine("netbsd"));
  EXPECT_EQ("", FirstLine("\nnetbsd\n"));
  EXPECT_EQ("", FirstLine(""));
}

// The system part, on real files in a temporary directory. The files are
// ours (the test's uid), the pids are made up.
class FindGuestHostnameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hostname_file_test.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    now_ = time(nullptr);
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }
  void Write(pid_t pid, const std::string& text, long age = 0) {
    WriteName(std::to_string(pid), text, age);
  }
  void WriteName(const std::string& name, const std::string& text, long age = 0) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    struct timeval times[2] = {{now_ - age, 0}, {now_ - age, 0}};
    ASSERT_EQ(0, utimes(path.c_str(), times));
  }
  bool Exists(pid_t pid) { return ExistsName(std::to_string(pid)); }
  bool ExistsName(const std::string& name) {
    struct stat st;
    return lstat((dir_ + "/" + name).c_str(), &st) == 0;
  }
  HostnameSearch Find() {
    return FindGuestHostname(dir_, getuid(), now_, 3600, 600, 500,
                             Tree({{500, 400}, {400, 300}, {300, 1}}));
  }
  std::string dir_;
  time_t now_ = 0;
};

TEST_F(FindGuestHostnameTest, NearestAncestorWinsAndItsFileIsDeleted) {
  Write(300, "far\n");
  Write(400, "near.example\n");
  HostnameSearch found = Find();
  EXPECT_EQ("near.example", found.hostname);
  EXPECT_EQ(400, found.pid);
  EXPECT_FALSE(Exists(400));
  EXPECT_TRUE(Exists(300));
}

TEST_F(FindGuestHostnameTest, OldFilesAreSkippedOrDeleted) {
  Write(500, "stale\n", 601);     // too old to use, too young to delete
  Write(400, "ancient\n", 3601);  // deleted
  Write(300, "fresh\n", 30);
  HostnameSearch found = Find();
  EXPECT_EQ("fresh", found.hostname);
  EXPECT_TRUE(Exists(500));
  EXPECT_FALSE(Exists(400));
  EXPECT_EQ(2u, found.notes.size());
}

TEST_F(FindGuestHostnameTest, InvalidOrEmptyContentIsPassedOver) {
  Write(500, "bad name; rm -rf /\n");
  Write(400, "\n");
  Write(300, "good\n");
  HostnameSearch found = Find();
  EXPECT_EQ("good", found.hostname);
  EXPECT_EQ(300, found.pid);
  EXPECT_TRUE(Exists(500));
}

TEST_F(FindGuestHostnameTest, SymlinksAndFifosAreIgnored) {
  Write(300, "target\n");
  ASSERT_EQ(0, symlink((dir_ + "/300").c_str(), (dir_ + "/500").c_str()));
  ASSERT_EQ(0, mkfifo((dir_ + "/400").c_str(), 0600));
  HostnameSearch found = Find();
  // Reached through neither the link nor the fifo (which must not hang).
  EXPECT_EQ("target", found.hostname);
  EXPECT_EQ(300, found.pid);
  EXPECT_TRUE(Exists(500));
  EXPECT_TRUE(Exists(400));
}

TEST_F(FindGuestHostnameTest, NothingFound) {
  HostnameSearch found = Find();
  EXPECT_EQ("", found.hostname);
  EXPECT_EQ(0, found.pid);
  EXPECT_TRUE(found.notes.empty());
  HostnameSearch missing =
      FindGuestHostname(dir_ + "/nope", getuid(), now_, 3600, 600, 500, Tree({}));
  EXPECT_EQ("", missing.hostname);
  EXPECT_EQ(1u, missing.notes.size());
}

TEST_F(FindGuestHostnameTest, OtherUsersFilesAreLeftAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Write(500, "theirs\n");
  Write(400, "theirs-old\n", 4000);
  ASSERT_EQ(0, chown((dir_ + "/500").c_str(), 12345, 12345));
  ASSERT_EQ(0, chown((dir_ + "/400").c_str(), 12345, 12345));
  HostnameSearch found = Find();
  EXPECT_EQ("", found.hostname);
  EXPECT_TRUE(Exists(500));
  EXPECT_TRUE(Exists(400));
}

TEST_F(FindGuestHostnameTest, SuffixedNamesCountForTheirPid) {
  // runqemuos names its file <pid>.<random>, which nobody can pre-create.
  WriteName("300.Ab3xY9zQ", "far\n");
  WriteName("400.k2P0q1Zz", "near-older\n", 20);
  WriteName("400.Q9w8e7r6", "near-newer\n", 10);
  WriteName("400.", "no-suffix\n");
  WriteName("400.a.b", "two-dots\n");
  WriteName("400.a-b", "a-dash\n");
  WriteName("0400.x", "leading-zero\n");
  HostnameSearch found = Find();
  EXPECT_EQ("near-newer", found.hostname);
  EXPECT_EQ(400, found.pid);
  EXPECT_FALSE(ExistsName("400.Q9w8e7r6"));  // used, deleted
  EXPECT_TRUE(ExistsName("400.k2P0q1Zz"));   // not used, kept
  EXPECT_TRUE(ExistsName("300.Ab3xY9zQ"));
  for (const char* other : {"400.", "400.a.b", "400.a-b", "0400.x"})
    EXPECT_TRUE(ExistsName(other)) << other;
  // Next time the older one of 400 is what is left.
  found = Find();
  EXPECT_EQ("near-older", found.hostname);
  found = Find();
  EXPECT_EQ("far", found.hostname);
}

TEST_F(FindGuestHostnameTest, ThePlainNameAndASuffixedOneCompareByAge) {
  Write(400, "plain\n", 5);
  WriteName("400.x", "suffixed\n", 50);
  WriteName("400.y", "stale\n", 700);    // too old to use
  WriteName("400.z", "bad name!\n", 1);  // invalid: passed over
  HostnameSearch found = Find();
  EXPECT_EQ("plain", found.hostname);
  EXPECT_TRUE(ExistsName("400.x"));
  EXPECT_TRUE(ExistsName("400.y"));
  EXPECT_TRUE(ExistsName("400.z"));
}

TEST_F(FindGuestHostnameTest, ManyForeignFilesMakeFewNotes) {
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(0, mkfifo((dir_ + "/500.f" + std::to_string(i)).c_str(), 0600));
  Write(300, "found\n");
  HostnameSearch found = Find();
  EXPECT_EQ("found", found.hostname);
  EXPECT_GE(20u, found.notes.size());
  EXPECT_NE(std::string::npos, found.notes.back().find("more files")) << found.notes.back();
}

TEST(HostnameFilePid, PidOrPidDotSuffix) {
  pid_t pid = 0;
  ASSERT_TRUE(HostnameFilePid("4711", &pid));
  EXPECT_EQ(4711, pid);
  ASSERT_TRUE(HostnameFilePid("4711.aZ09", &pid));
  EXPECT_EQ(4711, pid);
  for (const char* bad : {"", "0", "04711", "4711.", ".4711", "4711..a", "4711.a.b", "4711.a-b",
                          "4711.a/b", "a4711", "47 11", "99999999999", "4711.\xc3\xa9", "-1"})
    EXPECT_FALSE(HostnameFilePid(bad, &pid)) << bad;
}

TEST(HostnameDirAcceptable, RootStickyOrTheUsersOwn) {
  auto facts = [](uid_t owner, mode_t mode, bool dir = true) {
    HostnameDirFacts f;
    f.directory = dir;
    f.owner = owner;
    f.mode = mode;
    return f;
  };
  std::string why;
  EXPECT_TRUE(HostnameDirAcceptable(facts(0, 01770), 1000, &why));
  EXPECT_TRUE(HostnameDirAcceptable(facts(0, 01777), 1000, &why));
  EXPECT_TRUE(HostnameDirAcceptable(facts(0, 0755), 1000, &why));
  EXPECT_TRUE(HostnameDirAcceptable(facts(1000, 0755), 1000, &why));
  EXPECT_TRUE(HostnameDirAcceptable(facts(1000, 0700), 1000, &why));
  EXPECT_FALSE(HostnameDirAcceptable(facts(0, 0770), 1000, &why));
  EXPECT_NE(std::string::npos, why.find("not sticky")) << why;
  EXPECT_FALSE(HostnameDirAcceptable(facts(0, 0777), 1000, &why));
  EXPECT_FALSE(HostnameDirAcceptable(facts(1000, 0775), 1000, &why));
  EXPECT_NE(std::string::npos, why.find("writable by group or others")) << why;
  EXPECT_FALSE(HostnameDirAcceptable(facts(1000, 01777), 1000, &why));
  EXPECT_FALSE(HostnameDirAcceptable(facts(1001, 0755), 1000, &why));
  EXPECT_NE(std::string::npos, why.find("owned by uid 1001")) << why;
  EXPECT_FALSE(HostnameDirAcceptable(facts(1000, 0700, false), 1000, &why));
}

TEST_F(FindGuestHostnameTest, TheDirectoryIsNeverReachedThroughALink) {
  const std::string real = dir_ + "/real", link = dir_ + "/link";
  ASSERT_EQ(0, mkdir(real.c_str(), 0700));
  ASSERT_EQ(0, symlink(real.c_str(), link.c_str()));
  int fd = -1;
  std::string why;
  EXPECT_EQ(HostnameDirStatus::kOpen, OpenHostnameDir(real, true, getuid(), &fd, &why)) << why;
  close(fd);
  for (bool strict : {false, true}) {
    EXPECT_EQ(HostnameDirStatus::kRefused, OpenHostnameDir(link, strict, getuid(), &fd, &why));
    EXPECT_NE(std::string::npos, why.find("symbolic link")) << why;
  }
  // Under sudo no directory on the way may be a link either.
  ASSERT_EQ(0, mkdir((real + "/hn").c_str(), 0700));
  EXPECT_EQ(HostnameDirStatus::kOpen, OpenHostnameDir(link + "/hn", false, getuid(), &fd, &why))
      << why;
  close(fd);
  EXPECT_EQ(HostnameDirStatus::kRefused, OpenHostnameDir(link + "/hn", true, getuid(), &fd, &why));
  EXPECT_NE(std::string::npos, why.find(link + ": a symbolic link")) << why;
  EXPECT_EQ(HostnameDirStatus::kMissing,
            OpenHostnameDir(real + "/nope", true, getuid(), &fd, &why));
  EXPECT_EQ(-1, fd);
  // Writable by others: refused under sudo only.
  ASSERT_EQ(0, chmod(real.c_str(), 0777));
  EXPECT_EQ(HostnameDirStatus::kRefused, OpenHostnameDir(real, true, getuid(), &fd, &why));
  EXPECT_NE(std::string::npos, why.find("writable by group or others")) << why;
  EXPECT_EQ(HostnameDirStatus::kOpen, OpenHostnameDir(real, false, getuid(), &fd, &why)) << why;
  close(fd);
}

TEST(FindGuestHostname, WalksTheRealProcessTree) {
  // Our parent's file is found through /proc, the way start-tun-interface
  // finds the file of the process that started QEMU.
  char tmpl[] = "/tmp/hostname_file_test.XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(tmpl));
  std::string dir = tmpl;
  std::ofstream(dir + "/" + std::to_string(getppid())) << "parent-guest\n";
  ParentOf real = [](pid_t pid, pid_t* parent) {
    std::string ignored;
    return ParentPid(pid, parent, &ignored);
  };
  HostnameSearch found = FindGuestHostname(dir, getuid(), time(nullptr), 3600, 600, getpid(), real);
  EXPECT_EQ("parent-guest", found.hostname);
  EXPECT_EQ(getppid(), found.pid);
  rmdir(dir.c_str());
}
