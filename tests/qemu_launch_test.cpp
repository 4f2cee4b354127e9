#include "qemu_launch.hpp"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_config.hpp"

using namespace runall;

namespace {

using Words = std::vector<std::string>;

std::string ReadAll(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<missing>";
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST(TapCandidates, RootTakesPersistentTapsOfThePlanItMayAttachOwnFirst) {
  auto tap = [](const char* name, bool persistent, long owner, long group = -1,
                bool is_tap = true) {
    TapInfo t;
    t.name = name;
    t.tap = is_tap;
    t.persistent = persistent;
    t.owner = owner;
    t.group = group;
    return t;
  };
  std::vector<TapInfo> taps = {
      tap("tap10", true, 1000),
      tap("tap2", true, 1000),
      tap("tap3", false, 1000),            // QEMU-made, not a pool tap
      tap("tap4", true, 1001),             // someone else's
      tap("tap5", true, -1, 50),           // group 50
      tap("tap6", true, 1000, -1, false),  // a tun device
      tap("tap300", true, 1000),           // outside the address plan
      tap("mytap", true, 1000),            // not tapN
      tap("tap07", true, 1000),            // not a valid tap name
      tap("tun1", true, 1000),
      tap("tap1", true, -1),  // anyone's
  };
  // Root (uid 0 with its groups, or root acting with another uid): its own
  // first, then a group's, then nobody's - today's order.
  EXPECT_EQ(TapCandidates(taps, 1000, {100}, true), (Words{"tap2", "tap10", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1000, {50}, true), (Words{"tap2", "tap10", "tap5", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1001, {}, true), (Words{"tap4", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1002, {50}, true), (Words{"tap5", "tap1"}));
  // Not root: only the user's own taps, since start-tun-interface through
  // sudo refuses any other.
  EXPECT_EQ(TapCandidates(taps, 1000, {100}, false), (Words{"tap2", "tap10"}));
  EXPECT_EQ(TapCandidates(taps, 1000, {50}, false), (Words{"tap2", "tap10"}));
  EXPECT_EQ(TapCandidates(taps, 1001, {}, false), (Words{"tap4"}));
  EXPECT_EQ(TapCandidates(taps, 1002, {50}, false), (Words{}));
}

TEST(TapCandidates, NotRootAnOwnTapOfAGroupNotOursIsNotAttachable) {
  TapInfo t;
  t.name = "tap3";
  t.tap = true;
  t.persistent = true;
  t.owner = 1000;
  t.group = 50;  // the kernel wants both to match
  EXPECT_EQ(TapCandidates({t}, 1000, {50}, false), (Words{"tap3"}));
  EXPECT_EQ(TapCandidates({t}, 1000, {60}, false), (Words{}));
}

TEST(WriteFileAtomically, WritesReplacesAndLeavesNoTemporary) {
  char tmpl[] = "/tmp/runall-launch-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  mode_t old_mask = umask(077);
  std::string err;
  ASSERT_TRUE(WriteFileAtomically(dir, "guest1", "1234\n", &err)) << err;
  EXPECT_EQ(ReadAll(dir + "/guest1"), "1234\n");
  struct stat st;
  ASSERT_EQ(stat((dir + "/guest1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // readable by the helpers, whatever the umask
  // A symlink planted at the name is replaced, not followed.
  ASSERT_EQ(symlink("/etc/passwd", (dir + "/guest2").c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(dir, "guest2", "99\n", &err)) << err;
  ASSERT_EQ(lstat((dir + "/guest2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_TRUE(WriteFileAtomically(dir, "guest1", "5678\n", &err)) << err;
  EXPECT_EQ(ReadAll(dir + "/guest1"), "5678\n");
  umask(old_mask);
  EXPECT_EQ(system(("test $(ls -A " + dir + " | wc -l) -eq 2").c_str()), 0)
      << "temporary files left in " << dir;
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir", "x", "1\n", &err));
  EXPECT_NE(err.find("/nonexistent-dir/.x."), std::string::npos) << err;
  system(("rm -rf " + dir).c_str());
}

namespace {

// A scratch directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/runall-hostname-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }
  std::string Names() const {
    std::string cmd = "LC_ALL=C ls -A " + path_;
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[256];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    if (p) pclose(p);
    return out;
  }

 private:
  std::string path_;
};

// Gives the suffixes listed, in order.
SuffixSource Suffixes(const Words& list) {
  auto next = std::make_shared<size_t>(0);
  return [list, next](std::string* suffix, std::string* err) {
    if (*next >= list.size()) {
      *err = "no more suffixes";
      return false;
    }
    *suffix = list[(*next)++];
    return true;
  };
}

}  // namespace

TEST(RandomAlnum, GivesLettersAndDigitsOnlyAndDiffersEachTime) {
  std::string a, b, err;
  ASSERT_TRUE(RandomAlnum(8, &a, &err)) << err;
  ASSERT_TRUE(RandomAlnum(8, &b, &err)) << err;
  EXPECT_EQ(a.size(), 8u);
  EXPECT_NE(a, b);  // one chance in 62^8 of a false failure
  std::string many;
  ASSERT_TRUE(RandomAlnum(10000, &many, &err)) << err;
  ASSERT_EQ(many.size(), 10000u);
  bool upper = false, lower = false, digit = false;
  for (char c : many) {
    ASSERT_TRUE(isalnum(static_cast<unsigned char>(c))) << int(c);
    upper |= isupper(static_cast<unsigned char>(c)) != 0;
    lower |= islower(static_cast<unsigned char>(c)) != 0;
    digit |= isdigit(static_cast<unsigned char>(c)) != 0;
  }
  EXPECT_TRUE(upper && lower && digit);
}

TEST(HostnameFile, ItsNameIsThePidADotAndEightLettersOrDigits) {
  EXPECT_TRUE(IsHostnameFileName("4711.aZ09bcDe", 4711));
  EXPECT_FALSE(IsHostnameFileName("4711", 4711));            // the article's
  EXPECT_FALSE(IsHostnameFileName("4711.aZ09bcD", 4711));    // 7
  EXPECT_FALSE(IsHostnameFileName("4711.aZ09bcDef", 4711));  // 9
  EXPECT_FALSE(IsHostnameFileName("4712.aZ09bcDe", 4711));
  EXPECT_FALSE(IsHostnameFileName("14711.aZ09bcD", 4711));
  EXPECT_FALSE(IsHostnameFileName("4711.aZ09b.De", 4711));
  EXPECT_FALSE(IsHostnameFileName("4711.aZ09b-De", 4711));
  EXPECT_FALSE(IsHostnameFileName(".4711.aZ09bcDe.tmp", 4711));
  EXPECT_FALSE(IsHostnameFileName("0.aZ09bcDe", 0));
}

TEST(HostnameFile, IsCreatedUnderARandomNameReadableByTheHelpers) {
  TempDir dir;
  mode_t old_mask = umask(077);
  std::string path, err;
  ASSERT_TRUE(CreateHostnameFile(dir.path(), 4711, "guest\n", &path, &err)) << err;
  umask(old_mask);
  ASSERT_EQ(path.compare(0, dir.path().size() + 1, dir.path() + "/"), 0) << path;
  std::string name = path.substr(dir.path().size() + 1);
  EXPECT_TRUE(IsHostnameFileName(name, 4711)) << name;
  EXPECT_EQ(ReadAll(path), "guest\n");
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  // A second one for the same pid gets another name.
  std::string second;
  ASSERT_TRUE(CreateHostnameFile(dir.path(), 4711, "guest\n", &second, &err)) << err;
  EXPECT_NE(second, path);
}

TEST(HostnameFile, ANameThatExistsIsNeitherOpenedNorFollowedButSkipped) {
  TempDir dir;
  const std::string d = dir.path();
  // What another member of the group could leave: a file and a symlink
  // at names runqemuos might draw, and the article's <pid>.
  ASSERT_EQ(system(("echo planted >" + d + "/4711.AAAAAAAA").c_str()), 0);
  ASSERT_EQ(symlink((d + "/target").c_str(), (d + "/4711.BBBBBBBB").c_str()), 0);
  ASSERT_EQ(system(("echo planted >" + d + "/4711").c_str()), 0);
  std::string path, err;
  ASSERT_TRUE(CreateHostnameFile(d, 4711, "guest\n", &path, &err,
                                 Suffixes({"AAAAAAAA", "BBBBBBBB", "CCCCCCCC"})))
      << err;
  EXPECT_EQ(path, d + "/4711.CCCCCCCC");
  EXPECT_EQ(ReadAll(path), "guest\n");
  EXPECT_EQ(ReadAll(d + "/4711.AAAAAAAA"), "planted\n");
  EXPECT_EQ(ReadAll(d + "/4711"), "planted\n");
  struct stat st;
  EXPECT_NE(lstat((d + "/target").c_str(), &st), 0) << "symlink followed";
}

TEST(HostnameFile, GivesUpWithAMessageWhenEveryNameIsTaken) {
  TempDir dir;
  const std::string d = dir.path();
  ASSERT_EQ(system(("touch " + d + "/4711.AAAAAAAA").c_str()), 0);
  std::string path, err;
  SuffixSource same = [](std::string* suffix, std::string*) {
    *suffix = "AAAAAAAA";
    return true;
  };
  EXPECT_FALSE(CreateHostnameFile(d, 4711, "guest\n", &path, &err, same));
  EXPECT_EQ(err, "cannot create the hostname file of pid 4711 in " + d +
                     ": 64 names drawn at random all exist");
  EXPECT_EQ(dir.Names(), "4711.AAAAAAAA\n");
  EXPECT_FALSE(CreateHostnameFile("/nonexistent-dir", 4711, "g\n", &path, &err));
  EXPECT_NE(err.find("/nonexistent-dir/4711."), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

TEST(HostnameFile, RemoveTakesOnlyTheOwnersFilesOfThatPid) {
  TempDir dir;
  const std::string d = dir.path();
  for (const char* name : {"4711.aaaaaaaa", "4711.bbbbbbbb", "4711", "4712.aaaaaaaa",
                           "4711.toolongname", "x4711.aaaaaaaa"})
    ASSERT_EQ(system(("touch " + d + "/" + name).c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (d + "/4711.cccccccc").c_str()), 0);
  ASSERT_EQ(mkdir((d + "/4711.dddddddd").c_str(), 0755), 0);
  if (geteuid() == 0) {  // someone else's file of that pid stays
    ASSERT_EQ(
        system(("touch " + d + "/4711.eeeeeeee && chown 65534 " + d + "/4711.eeeeeeee").c_str()),
        0);
  }
  RemoveHostnameFiles(d, 4711, geteuid());
  Words want = {"4711",          "4711.cccccccc", "4711.dddddddd", "4711.toolongname",
                "4712.aaaaaaaa", "x4711.aaaaaaaa"};
  if (geteuid() == 0) want.insert(want.begin() + 3, "4711.eeeeeeee");
  std::string expected;
  for (const auto& w : want) expected += w + "\n";
  EXPECT_EQ(dir.Names(), expected);
}
