#include "file_copy.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "file_io.hpp"

using namespace runall;

namespace {

class FileCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runall-file-copy.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    unlink((dir_ + "/from").c_str());
    unlink((dir_ + "/to").c_str());
    rmdir(dir_.c_str());
  }
  // Writes `text` to "from", copies it to a new "to", and returns what
  // "to" holds.
  std::string RoundTrip(const std::string& text) {
    const std::string from = dir_ + "/from", to = dir_ + "/to";
    int w = open(from.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(w, 0);
    EXPECT_TRUE(WriteAll(w, text));
    close(w);
    int r = open(from.c_str(), O_RDONLY);
    int t = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    EXPECT_GE(r, 0);
    EXPECT_GE(t, 0);
    bool cloned = true;
    std::string err;
    EXPECT_TRUE(CopyFileContents(r, t, &cloned, &err)) << err;
    close(r);
    close(t);
    std::string got;
    FileCheck check;
    check.max_bytes = 64 << 20;
    EXPECT_TRUE(ReadFileText(to, check, &got, &err)) << err;
    return got;
  }
  std::string dir_;
};

TEST_F(FileCopyTest, CopiesEveryByteOfAFileLargerThanAChunk) {
  std::string text;
  unsigned x = 12345;
  for (size_t i = 0; i < (3u << 20) + 17; ++i) {
    x = x * 1103515245u + 12345u;
    text.push_back(static_cast<char>(x >> 16));
  }
  EXPECT_EQ(RoundTrip(text), text);
}

TEST_F(FileCopyTest, CopiesAnEmptyFile) { EXPECT_EQ(RoundTrip(""), ""); }

TEST_F(FileCopyTest, SaysWhyWhenTheTargetCannotBeWritten) {
  const std::string from = dir_ + "/from";
  int w = open(from.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(WriteAll(w, "state"));
  close(w);
  int r = open(from.c_str(), O_RDONLY);
  int ro = open(from.c_str(), O_RDONLY);  // not open for writing
  bool cloned = true;
  std::string err;
  EXPECT_FALSE(CopyFileContents(r, ro, &cloned, &err));
  EXPECT_FALSE(cloned);
  EXPECT_EQ(err, "write: Bad file descriptor");
  close(r);
  close(ro);
}

}  // namespace
