#include "script_copy.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

using namespace runall;

namespace {

class ScriptCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runall-script-copy.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

}  // namespace

TEST_F(ScriptCopyTest, IdenticalOrNot) {
  std::string big(20000, 'x');
  std::string a = Write("a", big), b = Write("b", big);
  std::string c = Write("c", big.substr(0, 19999) + "y"), d = Write("d", "short");
  bool same = false;
  std::string err;
  ASSERT_TRUE(FilesIdentical(a, b, &same, &err)) << err;
  EXPECT_TRUE(same);
  ASSERT_TRUE(FilesIdentical(a, c, &same, &err));
  EXPECT_FALSE(same);
  ASSERT_TRUE(FilesIdentical(a, d, &same, &err));
  EXPECT_FALSE(same);
  EXPECT_FALSE(FilesIdentical(a, dir_ + "/missing", &same, &err));
  EXPECT_FALSE(FilesIdentical(a, dir_, &same, &err));
}

TEST_F(ScriptCopyTest, CopyIsExecutableAndReplacesTheOldOne) {
  std::string src = Write("t.sh", "#!/bin/sh\necho new\n", 0640);
  std::string target = Write("ro-t.sh", "old", 0444);
  std::string err;
  ASSERT_TRUE(CopyScript(src, target, &err)) << err;
  EXPECT_EQ(Read(target), "#!/bin/sh\necho new\n");
  struct stat st;
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0740u);  // the source's bits and u+x
  // No temporary left beside it.
  std::string ls = "ls -A '" + dir_ + "' | grep -c '^\\.'";
  EXPECT_NE(system(ls.c_str()), 0);
  EXPECT_FALSE(CopyScript(dir_ + "/missing", target, &err));
  EXPECT_FALSE(CopyScript(src, dir_ + "/no/such/dir/x", &err));
}

TEST_F(ScriptCopyTest, MakeUserExecutable) {
  std::string p = Write("s", "x", 0600);
  std::string err;
  ASSERT_TRUE(MakeUserExecutable(p, &err)) << err;
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_FALSE(MakeUserExecutable(dir_ + "/missing", &err));
}
