#include "hosts_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace runall;

namespace {

const char kStatic[] =
    "127.0.0.1 localhost\n"
    "10.0.0.5 server fs\n"
    "##STARTDYNAMIC\n"
    "172.20.1.2 guest1 # uid=0\n"
    "##ENDDYNAMIC\n"
    "# after the section\n";

// Root's mapping and removal in one call, as update-dynamic-hosts run by
// root makes them: true if the mapping is (or is no longer) in place
// afterwards, else *err says why.
bool UpdateDynamicHosts(const std::string& path, const std::string& hostname, const std::string& ip,
                        std::string* err) {
  HostsFileResult r;
  if (!EditDynamicHosts(path, {hostname, ip, false}, SectionRules(), HostsFileOptions(), &r, err))
    return false;
  if (r.outcome == SectionEdit::kChanged || r.outcome == SectionEdit::kUnchanged) return true;
  *err = path + ": " + r.why;
  return false;
}

bool RemoveDynamicHost(const std::string& path, const std::string& hostname, std::string* err) {
  HostsFileResult r;
  if (!EditDynamicHosts(path, {hostname, "", true}, SectionRules(), HostsFileOptions(), &r, err))
    return false;
  if (r.outcome == SectionEdit::kChanged || r.outcome == SectionEdit::kNotFound) return true;
  *err = path + ": " + r.why;
  return false;
}

class HostsFileTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/hosts_file_test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(nullptr, mkdtemp(buf.data()));
    dir_ = buf.data();
    path_ = dir_ + "/hosts";
  }
  void TearDown() override {
    for (const std::string& name : List()) unlink((dir_ + "/" + name).c_str());
    rmdir((dir_ + "/sub").c_str());
    rmdir(dir_.c_str());
  }

  void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(static_cast<ssize_t>(text.size()), write(fd, text.data(), text.size()));
    close(fd);
    chmod(path.c_str(), mode);
  }
  std::string Read(const std::string& path) {
    std::string text;
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return "<missing>";
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, n);
    close(fd);
    return text;
  }
  ino_t Inode(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  std::set<std::string> List() {
    std::set<std::string> names;
    DIR* d = opendir(dir_.c_str());
    if (!d) return names;
    while (struct dirent* e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.insert(e->d_name);
    closedir(d);
    return names;
  }
  HostsEditor Mapper(const std::string& host, const std::string& ip) {
    return [host, ip](const std::string& old_text, std::string* out, std::string* why) {
      return MapDynamicHost(old_text, host, ip, out, why);
    };
  }

  std::string dir_, path_;
};

TEST_F(HostsFileTest, RenamesIntoPlaceKeepingOldModeAndNothingElse) {
  Write(path_, kStatic, 0640);
  ino_t before = Inode(path_);
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err))
      << err;
  EXPECT_EQ(SectionEdit::kChanged, r.outcome);
  EXPECT_EQ(HostsWrite::kRenamed, r.write);
  EXPECT_EQ(
      "127.0.0.1 localhost\n10.0.0.5 server fs\n##STARTDYNAMIC\n"
      "172.20.1.2 guest1 # uid=0\n172.20.2.2 guest2 # uid=0\n##ENDDYNAMIC\n"
      "# after the section\n",
      Read(path_));
  EXPECT_NE(before, Inode(path_));
  EXPECT_EQ(kStatic, Read(path_ + ".old"));
  EXPECT_EQ(before, Inode(path_ + ".old"));  // the old file itself
  struct stat st;
  ASSERT_EQ(0, stat(path_.c_str(), &st));
  EXPECT_EQ(0640u, st.st_mode & 07777);
  EXPECT_EQ(getuid(), st.st_uid);
  ASSERT_EQ(0, lstat((path_ + ".lock").c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 07777);
  EXPECT_EQ((std::set<std::string>{"hosts", "hosts.lock", "hosts.old"}), List());
}

TEST_F(HostsFileTest, UnchangedAndRefusedWriteNothing) {
  Write(path_, kStatic);
  ino_t before = Inode(path_);
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(EditHostsFile(path_, Mapper("guest1", "172.20.1.2"), HostsFileOptions(), &r, &err));
  EXPECT_EQ(SectionEdit::kUnchanged, r.outcome);
  EXPECT_EQ(HostsWrite::kNone, r.write);
  ASSERT_TRUE(EditHostsFile(path_, Mapper("server", "172.20.3.2"), HostsFileOptions(), &r, &err));
  EXPECT_EQ(SectionEdit::kRefused, r.outcome);
  EXPECT_NE(std::string::npos, r.why.find("line 2")) << r.why;
  EXPECT_EQ(kStatic, Read(path_));
  EXPECT_EQ(before, Inode(path_));
  EXPECT_EQ((std::set<std::string>{"hosts", "hosts.lock"}), List());
}

TEST_F(HostsFileTest, InPlaceKeepsTheInodeWhenGrowingAndShrinking) {
  Write(path_, kStatic, 0604);
  ino_t before = Inode(path_);
  HostsFileOptions in_place;
  in_place.in_place = true;
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(
      EditHostsFile(path_, Mapper("a-much-longer-guest-name", "172.20.200.2"), in_place, &r, &err))
      << err;
  EXPECT_EQ(HostsWrite::kInPlace, r.write);
  std::string grown =
      "127.0.0.1 localhost\n10.0.0.5 server fs\n##STARTDYNAMIC\n"
      "172.20.1.2 guest1 # uid=0\n"
      "172.20.200.2 a-much-longer-guest-name # uid=0\n"
      "##ENDDYNAMIC\n# after the section\n";
  EXPECT_EQ(grown, Read(path_));
  EXPECT_EQ(before, Inode(path_));
  // NAME.old is a copy: a link would have changed with the file.
  EXPECT_EQ(kStatic, Read(path_ + ".old"));
  EXPECT_NE(before, Inode(path_ + ".old"));

  ASSERT_TRUE(EditHostsFile(
      path_,
      [](const std::string& old_text, std::string* out, std::string* why) {
        return UnmapDynamicHost(old_text, "a-much-longer-guest-name", out, why);
      },
      in_place, &r, &err))
      << err;
  EXPECT_EQ(kStatic, Read(path_));
  EXPECT_EQ(grown, Read(path_ + ".old"));
  EXPECT_EQ(before, Inode(path_));
  struct stat st;
  ASSERT_EQ(0, stat(path_.c_str(), &st));
  EXPECT_EQ(0604u, st.st_mode & 07777);
  EXPECT_EQ((std::set<std::string>{"hosts", "hosts.lock", "hosts.old"}), List());
}

TEST_F(HostsFileTest, RefusesASymlinkedHostsFile) {
  Write(dir_ + "/real", kStatic);
  ASSERT_EQ(0, symlink("real", path_.c_str()));
  HostsFileResult r;
  std::string err;
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
  EXPECT_NE(std::string::npos, err.find("symbolic link")) << err;
  EXPECT_EQ(kStatic, Read(dir_ + "/real"));
  struct stat st;
  ASSERT_EQ(0, lstat(path_.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(HostsFileTest, RefusesMissingDirectoryAndSpecialFiles) {
  HostsFileResult r;
  std::string err;
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
  EXPECT_NE(std::string::npos, err.find("does not exist")) << err;
  ASSERT_EQ(0, mkdir(path_.c_str(), 0755));
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
  EXPECT_NE(std::string::npos, err.find("is a directory")) << err;
  rmdir(path_.c_str());
  ASSERT_EQ(0, mkfifo(path_.c_str(), 0644));
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
  EXPECT_NE(std::string::npos, err.find("not a regular file")) << err;
  EXPECT_FALSE(
      EditHostsFile(dir_ + "/", Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
}

TEST_F(HostsFileTest, RefusesAnUnreadableFile) {
  Write(path_, kStatic, 0200);
  // Root reads everything, so as root the edit runs in a child that has
  // become nobody (the directory is opened to it; the file stays 0200).
  auto edit = [this](std::string* err) {
    HostsFileResult r;
    return EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, err);
  };
  if (geteuid() != 0) {
    std::string err;
    EXPECT_FALSE(edit(&err));
    EXPECT_NE(std::string::npos, err.find("Permission denied")) << err;
    return;
  }
  ASSERT_EQ(0, chmod(dir_.c_str(), 0777));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    std::string err;
    _exit(!edit(&err) && err.find("Permission denied") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  chmod(dir_.c_str(), 0700);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "as nobody, an unreadable hosts file was not refused (status " << status << ")";
  chmod(path_.c_str(), 0600);
  EXPECT_EQ(kStatic, Read(path_));
}

TEST_F(HostsFileTest, RefusesASymlinkedLockFile) {
  Write(path_, kStatic);
  Write(dir_ + "/victim", "keep\n");
  ASSERT_EQ(0, symlink("victim", (path_ + ".lock").c_str()));
  HostsFileResult r;
  std::string err;
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err));
  EXPECT_NE(std::string::npos, err.find("symbolic link")) << err;
  EXPECT_EQ(kStatic, Read(path_));
}

TEST_F(HostsFileTest, RemovesTemporaryFilesOfKilledWriters) {
  Write(path_, kStatic);
  Write(dir_ + "/.hosts.AbC123", "half a hosts fi");
  Write(dir_ + "/.hosts.toolong1", "not ours\n");
  Write(dir_ + "/.other.AbC123", "not ours\n");
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err))
      << err;
  EXPECT_EQ((std::set<std::string>{"hosts", "hosts.lock", "hosts.old", ".hosts.toolong1",
                                   ".other.AbC123"}),
            List());
}

TEST_F(HostsFileTest, OldAlreadyLinkedToTheFileLeavesNoTemporary) {
  // What a writer killed between keeping NAME.old and its rename leaves.
  Write(path_, kStatic);
  ASSERT_EQ(0, link(path_.c_str(), (path_ + ".old").c_str()));
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), HostsFileOptions(), &r, &err))
      << err;
  EXPECT_EQ(kStatic, Read(path_ + ".old"));
  EXPECT_NE(kStatic, Read(path_));
  EXPECT_EQ((std::set<std::string>{"hosts", "hosts.lock", "hosts.old"}), List());
}

// The lock wait runs on a clock of the test's: it takes no real time, and
// what it waited is exact.
struct FakeLockClock {
  uint64_t now_ns = 1000000000;
  std::vector<uint64_t> sleeps;
  std::function<void()> on_sleep;  ///< what happens while it sleeps
  void Use(HostsFileOptions* options) {
    options->clock_ns = [this]() { return now_ns; };
    options->sleep_ns = [this](uint64_t ns) {
      sleeps.push_back(ns);
      now_ns += ns;
      if (on_sleep) on_sleep();
    };
  }
};

TEST_F(HostsFileTest, GivesUpWhenTheLockIsHeld) {
  Write(path_, kStatic);
  int held = open((path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(0, flock(held, LOCK_EX));
  HostsFileOptions quick;
  quick.lock_timeout_ms = 300;
  FakeLockClock clock;
  clock.Use(&quick);
  HostsFileResult r;
  std::string err;
  const uint64_t t0 = clock.now_ns;
  EXPECT_FALSE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), quick, &r, &err));
  double waited = (clock.now_ns - t0) / 1e9;
  EXPECT_GE(waited, 0.29);
  EXPECT_LT(waited, 2.0);
  EXPECT_EQ(300000000u, clock.now_ns - t0);  // the last sleep ends at the limit
  EXPECT_NE(std::string::npos, err.find("still locked")) << err;
  EXPECT_NE(std::string::npos, err.find("after 0.3 s")) << err;
  // Short sleeps first, growing: a lock held briefly costs little.
  ASSERT_GE(clock.sleeps.size(), 3u);
  EXPECT_LT(clock.sleeps[0], 100000u);
  EXPECT_LE(clock.sleeps[0], clock.sleeps[2]);
  EXPECT_EQ(kStatic, Read(path_));
  // Released: it goes through.
  close(held);
  EXPECT_TRUE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), quick, &r, &err)) << err;
}

TEST_F(HostsFileTest, TakesTheLockOnceItsHolderLetsGo) {
  Write(path_, kStatic);
  int held = open((path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(0, flock(held, LOCK_EX));
  HostsFileOptions options;
  FakeLockClock clock;
  clock.Use(&options);
  clock.on_sleep = [&]() {
    if (clock.sleeps.size() == 4) close(held);  // the other writer is done
  };
  HostsFileResult r;
  std::string err;
  ASSERT_TRUE(EditHostsFile(path_, Mapper("guest2", "172.20.2.2"), options, &r, &err)) << err;
  EXPECT_EQ(4u, clock.sleeps.size());
  EXPECT_EQ(SectionEdit::kChanged, r.outcome);
  EXPECT_NE(std::string::npos, Read(path_).find("172.20.2.2 guest2"));
}

TEST_F(HostsFileTest, ConcurrentWritersLoseNoUpdate) {
  Write(path_, kStatic);
  const int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int n = t * kEach + i + 10;
        std::string err;
        if (!UpdateDynamicHosts(path_, "guest" + std::to_string(n),
                                "172.20." + std::to_string(n) + ".2", &err))
          errors[t] = err;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& e : errors) EXPECT_EQ("", e);
  std::string text = Read(path_);
  for (int n = 10; n < 10 + kThreads * kEach; ++n)
    EXPECT_NE(std::string::npos, text.find("\n172.20." + std::to_string(n) + ".2 guest" +
                                           std::to_string(n) + " # uid=0\n"))
        << n;
  EXPECT_EQ(0u, text.find("127.0.0.1 localhost\n10.0.0.5 server fs\n"
                          "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"));
  EXPECT_EQ(text.size() - strlen("##ENDDYNAMIC\n# after the section\n"),
            text.find("##ENDDYNAMIC\n# after the section\n"));
}

TEST_F(HostsFileTest, EditDynamicHostsMapsAndRemoves) {
  Write(path_, kStatic);
  std::string err;
  EXPECT_TRUE(UpdateDynamicHosts(path_, "guest3", "172.20.3.2", &err)) << err;
  EXPECT_TRUE(UpdateDynamicHosts(path_, "guest3", "172.20.3.2", &err)) << err;
  EXPECT_FALSE(UpdateDynamicHosts(path_, "fs", "172.20.4.2", &err));
  EXPECT_NE(std::string::npos, err.find("outside the dynamic section")) << err;
  EXPECT_TRUE(RemoveDynamicHost(path_, "guest3", &err)) << err;
  EXPECT_TRUE(RemoveDynamicHost(path_, "guest3", &err)) << err;
  EXPECT_FALSE(RemoveDynamicHost(path_, "server", &err));
  EXPECT_EQ(kStatic, Read(path_));
}

TEST_F(HostsFileTest, BadArgumentsTouchNothing) {
  Write(path_, kStatic);
  std::string err;
  EXPECT_FALSE(UpdateDynamicHosts(path_, "bad name", "172.20.3.2", &err));
  EXPECT_FALSE(UpdateDynamicHosts(path_, "guest3", "172.20.3.2 x", &err));
  EXPECT_FALSE(RemoveDynamicHost(path_, "", &err));
  EXPECT_EQ((std::set<std::string>{"hosts"}), List());  // not even a lock
  EXPECT_EQ(kStatic, Read(path_));
}

}  // namespace
