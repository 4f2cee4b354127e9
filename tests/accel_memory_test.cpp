// What the host remembers of a KVM that failed: a line per QEMU program,
// recalled only for the very same file, replaced when the program at that
// path fails again, and forgotten when the program changes.
#include "accel_memory.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

using namespace runall;

namespace {

QemuIdentity Qemu(const std::string& path, long long mtime = 1700000000) {
  QemuIdentity id;
  id.path = path;
  id.dev = 2049;
  id.ino = 1234;
  id.size = 19000000;
  id.mtime = mtime;
  return id;
}

}  // namespace

TEST(AccelMemory, RecallsOnlyTheSameFile) {
  const QemuIdentity qemu = Qemu("/usr/bin/qemu-system-x86_64");
  std::string text = RememberKvmFailure("", qemu,
                                        {1796018400,
                                         "qemu-system-x86_64: "
                                         "error: failed to set MSR 0x10a"});
  EXPECT_EQ(text,
            "kvm-failed\t2049\t1234\t19000000\t1700000000\t1796018400\t"
            "/usr/bin/qemu-system-x86_64\tqemu-system-x86_64: error: failed to set MSR 0x10a\n");
  KvmFailure f;
  ASSERT_TRUE(RecallKvmFailure(text, qemu, &f));
  EXPECT_EQ(f.when, 1796018400);
  EXPECT_EQ(f.said, "qemu-system-x86_64: error: failed to set MSR 0x10a");
  // An upgrade: same path, another file.
  EXPECT_FALSE(RecallKvmFailure(text, Qemu("/usr/bin/qemu-system-x86_64", 1800000000), &f));
  QemuIdentity other = qemu;
  other.ino = 99;
  EXPECT_FALSE(RecallKvmFailure(text, other, &f));
  EXPECT_FALSE(RecallKvmFailure(text, Qemu("/opt/qemu/bin/qemu-system-x86_64"), &f));
  EXPECT_FALSE(RecallKvmFailure("", qemu, &f));
}

TEST(AccelMemory, OneLinePerPathOthersKeptBadLinesDropped) {
  const QemuIdentity a = Qemu("/usr/bin/qemu-system-x86_64");
  const QemuIdentity b = Qemu("/opt/qemu/bin/qemu-system-x86_64");
  std::string text = RememberKvmFailure("garbage\n", a, {1, "old\tsaid\nthis"});
  text = RememberKvmFailure(text, b, {2, "b"});
  const QemuIdentity upgraded = Qemu(a.path, 1800000000);
  text = RememberKvmFailure(text, upgraded, {3, "again"});
  KvmFailure f;
  EXPECT_FALSE(RecallKvmFailure(text, a, &f));
  ASSERT_TRUE(RecallKvmFailure(text, upgraded, &f));
  EXPECT_EQ(f.when, 3);
  ASSERT_TRUE(RecallKvmFailure(text, b, &f));
  EXPECT_EQ(f.said, "b");
  EXPECT_EQ(text.find("garbage"), std::string::npos);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 2u);
  // Tabs and line ends in what QEMU said cannot break the file.
  text = RememberKvmFailure("", a, {1, "x\ty\nz"});
  ASSERT_TRUE(RecallKvmFailure(text, a, &f));
  EXPECT_EQ(f.said, "x y z");
}

TEST(AccelMemory, IdentifiesAProgramFoundInPath) {
  char dir[] = "/tmp/accel_memory_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string qemu = std::string(dir) + "/qemu-system-x86_64";
  FILE* f = fopen(qemu.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("#!/bin/sh\n", f);
  fclose(f);
  chmod(qemu.c_str(), 0755);
  QemuIdentity id;
  std::string err;
  ASSERT_TRUE(IdentifyQemu("qemu-system-x86_64", std::string("/nonexistent:") + dir, &id, &err))
      << err;
  EXPECT_EQ(id.path, qemu);
  EXPECT_EQ(id.size, 10);
  EXPECT_FALSE(IdentifyQemu("qemu-system-x86_64", "/nonexistent", &id, &err));
  // The memory file itself: missing reads as empty; written and read back.
  const std::string memory = std::string(dir) + "/kvm-failures";
  std::string text = "x";
  ASSERT_TRUE(LoadKvmMemory(memory, &text, &err)) << err;
  EXPECT_EQ(text, "");
  ASSERT_TRUE(SaveKvmMemory(memory, RememberKvmFailure("", id, {5, "said"}), &err)) << err;
  ASSERT_TRUE(LoadKvmMemory(memory, &text, &err)) << err;
  KvmFailure failure;
  EXPECT_TRUE(RecallKvmFailure(text, id, &failure));
  unlink(memory.c_str());
  unlink(qemu.c_str());
  rmdir(dir);
}
