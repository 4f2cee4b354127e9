#include "accel.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {
KvmFacts Kvm(bool exists, bool accessible) {
  KvmFacts f;
  f.exists = exists;
  f.accessible = accessible;
  f.user = "alice";
  return f;
}
using Args = std::vector<std::string>;
}  // namespace

TEST(Accel, AutoUsesKvmForTheHostsOwnArchitecture) {
  AccelChoice c = ChooseAccel("auto", false, "x86_64", "x86_64", Kvm(true, true));
  EXPECT_EQ(c.args, (Args{"-accel", "kvm", "-accel", "tcg"}));
  EXPECT_EQ(c.name, "kvm");
  EXPECT_EQ(c.notice, "");
  c = ChooseAccel("auto", false, "x86_64", "i386", Kvm(true, true));
  EXPECT_EQ(c.name, "kvm");
  c = ChooseAccel("auto", false, "aarch64", "aarch64", Kvm(true, true));
  EXPECT_EQ(c.name, "kvm");
}

TEST(Accel, AutoUsesTcgForOtherArchitecturesWithoutANotice) {
  for (const char* arch : {"s390x", "aarch64", "ppc64le", "riscv64"}) {
    AccelChoice c = ChooseAccel("auto", false, "x86_64", arch, Kvm(true, true));
    EXPECT_EQ(c.args, (Args{"-accel", "tcg"})) << arch;
    EXPECT_EQ(c.notice, "") << arch;
  }
}

TEST(Accel, SaysWhyASameArchitectureGuestHasNoKvm) {
  AccelChoice c = ChooseAccel("auto", false, "x86_64", "x86_64", Kvm(false, false));
  EXPECT_EQ(c.args, (Args{"-accel", "tcg"}));
  EXPECT_NE(c.notice.find("no /dev/kvm"), std::string::npos) << c.notice;
  c = ChooseAccel("", false, "x86_64", "x86_64", Kvm(true, false));
  EXPECT_EQ(c.args, (Args{"-accel", "tcg"}));
  EXPECT_NE(c.notice.find("/dev/kvm is not accessible to alice"), std::string::npos) << c.notice;
  EXPECT_NE(c.notice.find("usermod -a -G kvm alice"), std::string::npos) << c.notice;
}

TEST(Accel, AnExplicitSettingWinsOverAuto) {
  EXPECT_EQ(ChooseAccel("tcg", false, "x86_64", "x86_64", Kvm(true, true)).args,
            (Args{"-accel", "tcg"}));
  EXPECT_EQ(ChooseAccel("tcg", false, "x86_64", "x86_64", Kvm(false, false)).notice, "");
  EXPECT_EQ(ChooseAccel("kvm", false, "x86_64", "x86_64", Kvm(false, false)).args,
            (Args{"-accel", "kvm"}));
  EXPECT_EQ(ChooseAccel("hvf", false, "aarch64", "aarch64", Kvm(false, false)).args,
            (Args{"-accel", "hvf"}));
}

TEST(Accel, TheGuestsOwnOptionsWinOverEverything) {
  EXPECT_TRUE(ArgsChooseAccel({"-m", "512", "-enable-kvm"}));
  EXPECT_TRUE(ArgsChooseAccel({"-accel", "tcg,thread=multi"}));
  EXPECT_TRUE(ArgsChooseAccel({"--accel", "kvm"}));
  EXPECT_TRUE(ArgsChooseAccel({"-machine", "q35,accel=kvm"}));
  EXPECT_TRUE(ArgsChooseAccel({"-M", "pc,accel=tcg"}));
  EXPECT_FALSE(ArgsChooseAccel({"-machine", "q35", "-cpu", "max"}));
  AccelChoice c = ChooseAccel("auto", true, "x86_64", "x86_64", Kvm(false, false));
  EXPECT_TRUE(c.args.empty());
  EXPECT_EQ(c.notice, "");
}

TEST(Accel, KnowsTheSettingsValues) {
  for (const char* v : {"auto", "kvm", "tcg", "hvf", "whpx", "nvmm", "xen", "hax"})
    EXPECT_TRUE(ValidAccelSetting(v)) << v;
  for (const char* v : {"", "KVM", "fast", "kvm,tcg"}) EXPECT_FALSE(ValidAccelSetting(v)) << v;
}

TEST(Accel, ReadsThisHost) {
  EXPECT_FALSE(HostMachine().empty());
  KvmFacts f = ReadKvmFacts();
  if (!f.exists) {
    EXPECT_FALSE(f.accessible);
  }
}

TEST(Accel, KvmFailureLineIsQemusOwnWord) {
  // What QEMU 7.2 says on this project's machine, whose KVM cannot set up
  // a vCPU: it aborts, and -accel kvm -accel tcg does not fall back.
  std::vector<std::string> console = {
      "[   0.000] SeaBIOS (version 1.16.2-debian-1.16.2-1)",
      "[   0.012] qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69",
      "[   0.012] qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: "
      "kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
  };
  EXPECT_EQ(KvmFailureLine(console), "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69");
  EXPECT_EQ(KvmFailureLine({"/usr/bin/qemu-system-x86_64: Could not access KVM kernel "
                            "module: Permission denied"}),
            "/usr/bin/qemu-system-x86_64: Could not access KVM kernel module: Permission denied");
  EXPECT_EQ(KvmFailureLine({"qemu-system-x86_64: failed to initialize kvm: No such file"}),
            "qemu-system-x86_64: failed to initialize kvm: No such file");
}

TEST(Accel, KvmFailureLineIgnoresTheGuestAndOtherErrors) {
  EXPECT_EQ(KvmFailureLine({"[   1.000] [    0.000000] kvm-clock: Using msrs 4b564d01",
                            "[   2.000] kvm: MSR 0x10a read",
                            "[   3.000] qemu-system-x86_64: -drive file=x: Could not open 'x'",
                            "[   3.000] qemu-system-x86_64: terminating on signal 15"}),
            "");
  EXPECT_EQ(KvmFailureLine({}), "");
}
