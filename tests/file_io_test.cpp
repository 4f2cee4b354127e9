#include "file_io.hpp"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

using namespace runall;

namespace {

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runall-file-io.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::string path = dir_ + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
    chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

}  // namespace

TEST_F(FileIoTest, ReadsAWholeFile) {
  std::string big(100000, 'x');
  std::string path = Write("f", big);
  std::string text, err;
  ASSERT_TRUE(ReadFileText(path, FileCheck(), &text, &err)) << err;
  EXPECT_EQ(big, text);
}

TEST_F(FileIoTest, MissingFileGivesEnoent) {
  std::string text, err;
  int errnum = 0;
  EXPECT_FALSE(ReadFileText(dir_ + "/none", FileCheck(), &text, &err, &errnum));
  EXPECT_EQ(ENOENT, errnum);
  EXPECT_NE(std::string::npos, err.find(dir_ + "/none"));
}

TEST_F(FileIoTest, SymlinkRefusedUnlessFollowed) {
  std::string path = Write("f", "data\n");
  std::string link = dir_ + "/link";
  ASSERT_EQ(0, symlink(path.c_str(), link.c_str()));
  std::string text, err;
  int errnum = 0;
  EXPECT_FALSE(ReadFileText(link, FileCheck(), &text, &err, &errnum));
  EXPECT_EQ(ELOOP, errnum);
  EXPECT_NE(std::string::npos, err.find("symbolic link")) << err;
  FileCheck follow;
  follow.follow = true;
  ASSERT_TRUE(ReadFileText(link, follow, &text, &err)) << err;
  EXPECT_EQ("data\n", text);
}

TEST_F(FileIoTest, DirectoryAndFifoAreNotRegularFiles) {
  std::string text, err;
  EXPECT_FALSE(ReadFileText(dir_, FileCheck(), &text, &err));
  EXPECT_NE(std::string::npos, err.find("not a regular file")) << err;
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  // Must not hang waiting for a writer.
  EXPECT_FALSE(ReadFileText(fifo, FileCheck(), &text, &err));
  EXPECT_NE(std::string::npos, err.find("not a regular file")) << err;
}

TEST_F(FileIoTest, SizeCap) {
  std::string path = Write("f", std::string(65, 'y'));
  FileCheck check;
  check.max_bytes = 64;
  std::string text, err;
  EXPECT_FALSE(ReadFileText(path, check, &text, &err));
  EXPECT_NE(std::string::npos, err.find("larger than 64 bytes")) << err;
  check.max_bytes = 65;
  EXPECT_TRUE(ReadFileText(path, check, &text, &err)) << err;
}

TEST_F(FileIoTest, RootOwnedCheck) {
  std::string path = Write("f", "x", 0664);
  FileCheck check;
  check.root_owned = true;
  std::string text, err;
  EXPECT_FALSE(ReadFileText(path, check, &text, &err));
  EXPECT_NE(std::string::npos, err.find("owned by root")) << err;
  chmod(path.c_str(), 0644);
  EXPECT_EQ(geteuid() == 0, ReadFileText(path, check, &text, &err)) << err;
}
