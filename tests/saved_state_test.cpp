#include "saved_state.hpp"

#include <gtest/gtest.h>

namespace runall {
namespace {

StateStamp Stamp() {
  StateStamp s;
  s.qemu = {"/usr/bin/qemu-system-x86_64", 2049, 77, 12345678, 1700000000123456789LL};
  s.image = {"/var/lib/runall/images/deb 12.qcow2", 2049, 99, 1 << 30, 1700000001000000000LL};
  s.args = {"qemu-system-x86_64",
            "-accel",
            "tcg",
            "-m",
            "256",
            "-drive",
            "file=/i.img,format=raw,if=virtio",
            "[nic] virtio-net-pci"};
  s.saved = true;
  return s;
}

TEST(SavedState, StampRoundTrips) {
  StateStamp s = Stamp();
  s.args.push_back("-append");
  s.args.push_back("a\\b\nc");
  StateStamp back;
  std::string err;
  ASSERT_TRUE(ParseStamp(FormatStamp(s), &back, &err)) << err;
  EXPECT_EQ(back.qemu.path, s.qemu.path);
  EXPECT_EQ(back.qemu.mtime_ns, s.qemu.mtime_ns);
  EXPECT_EQ(back.image.path, s.image.path);
  EXPECT_EQ(back.image.size, s.image.size);
  EXPECT_EQ(back.args, s.args);
  EXPECT_TRUE(back.saved);
  EXPECT_EQ(StaleReason(back, s), "");
}

TEST(SavedState, ParseRefusesWhatIsNotAStamp) {
  StateStamp back;
  std::string err;
  EXPECT_FALSE(ParseStamp("", &back, &err));
  EXPECT_FALSE(ParseStamp("garbage\n", &back, &err));
  EXPECT_EQ(err, "not a runall state stamp (version 1)");
  std::string text = FormatStamp(Stamp());
  EXPECT_FALSE(ParseStamp(text.substr(0, text.size() - 1), &back, &err));  // cut short
  EXPECT_EQ(err, "the last line is cut short");
  EXPECT_FALSE(ParseStamp("runall-state 1\nsaved yes\n", &back, &err));
  EXPECT_EQ(err, "incomplete");
  EXPECT_FALSE(ParseStamp(text + "what ever\n", &back, &err));
  EXPECT_FALSE(ParseStamp(text + "arg bad\\escape\n", &back, &err));
  EXPECT_FALSE(ParseStamp("runall-state 1\nsaved yes\nqemu x 1 2 3 /q\n", &back, &err));
}

TEST(SavedState, UnsavedStateIsNotResumed) {
  StateStamp saved = Stamp();
  saved.saved = false;
  EXPECT_EQ(StaleReason(saved, Stamp()), "its first boot never reached the save");
}

TEST(SavedState, ImageChangedIsStale) {
  StateStamp now = Stamp();
  now.image.mtime_ns += 1;  // touched
  EXPECT_EQ(StaleReason(Stamp(), now),
            "the disk image /var/lib/runall/images/deb 12.qcow2 changed since the save");
  now = Stamp();
  now.image.ino = 100;  // replaced by another file
  EXPECT_NE(StaleReason(Stamp(), now), "");
  now = Stamp();
  now.image.path = "/other.img";
  EXPECT_EQ(StaleReason(Stamp(), now),
            "the guest's disk image is now /other.img, not /var/lib/runall/images/deb 12.qcow2");
}

TEST(SavedState, QemuChangedIsStale) {
  StateStamp now = Stamp();
  now.qemu.size += 4096;  // upgraded
  EXPECT_EQ(StaleReason(Stamp(), now), "QEMU (/usr/bin/qemu-system-x86_64) changed since the save");
  now = Stamp();
  now.qemu.path = "/usr/local/bin/qemu-system-x86_64";
  EXPECT_EQ(StaleReason(Stamp(), now),
            "QEMU is now /usr/local/bin/qemu-system-x86_64, not /usr/bin/qemu-system-x86_64");
}

TEST(SavedState, CommandLineChangedIsStale) {
  StateStamp now = Stamp();
  now.args[4] = "512";
  EXPECT_EQ(StaleReason(Stamp(), now),
            "the guest's QEMU command line changed (-m 256 became -m 512)");
}

TEST(SavedState, DescribesWhichArgsDiffer) {
  std::vector<std::string> a = {"q", "-m", "256", "-s", "-smp", "1"};
  EXPECT_EQ(DescribeArgsChange(a, a), "");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-m", "256", "-s", "-smp", "2"}), "-smp 1 became -smp 2");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-m", "256", "-smp", "1"}), "-s was removed");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-m", "256", "-s", "-S", "-smp", "1"}), "-S was added");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-m", "256", "-s", "-smp", "1", "-no-reboot"}),
            "-no-reboot was added");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-m", "256", "-s"}), "-smp 1 was removed");
  EXPECT_EQ(DescribeArgsChange(a, {"q", "-cpu", "max", "-m", "256", "-s", "-smp", "1"}),
            "-cpu max was added");
  EXPECT_EQ(DescribeArgsChange({"q", "-rtc", "base=localtime", "-m", "1"}, {"q", "-m", "1"}),
            "-rtc base=localtime was removed");
}

}  // namespace
}  // namespace runall
