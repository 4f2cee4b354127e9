#include "settings_source.hpp"

#include <gtest/gtest.h>

using namespace runall;

TEST(SettingsSource, XdgDirsFollowTheEnvironment) {
  XdgDirs d = RunallXdgDirs("/cfg", "/data", "/state", "/home/u");
  EXPECT_EQ(d.config, "/cfg/runall");
  EXPECT_EQ(d.data, "/data/runall");
  EXPECT_EQ(d.state, "/state/runall");
}

TEST(SettingsSource, XdgDirsFallBackToHome) {
  XdgDirs d = RunallXdgDirs(nullptr, nullptr, nullptr, "/home/u");
  EXPECT_EQ(d.config, "/home/u/.config/runall");
  EXPECT_EQ(d.data, "/home/u/.local/share/runall");
  EXPECT_EQ(d.state, "/home/u/.local/state/runall");
}

TEST(SettingsSource, RelativeXdgValuesAreIgnored) {
  // The XDG specification: a relative path is invalid and is ignored.
  XdgDirs d = RunallXdgDirs("cfg", "", "./state", "/home/u");
  EXPECT_EQ(d.config, "/home/u/.config/runall");
  EXPECT_EQ(d.data, "/home/u/.local/share/runall");
  EXPECT_EQ(d.state, "/home/u/.local/state/runall");
}

TEST(SettingsSource, ExplicitFileWinsAndMustExist) {
  XdgDirs d = RunallXdgDirs(nullptr, nullptr, nullptr, "/home/u");
  for (bool system : {false, true}) {
    SettingsChoice c = ChooseSettings("/tmp/my.conf", system, d);
    EXPECT_EQ(c.path, "/tmp/my.conf");
    EXPECT_TRUE(c.must_exist);
    EXPECT_FALSE(c.per_user);
    EXPECT_EQ(c.defaults.launch_dir, DefaultSettings().launch_dir);
    EXPECT_EQ(c.defaults.network, NetworkMode::kTap);
  }
}

TEST(SettingsSource, SystemFilesWinOverTheUsers) {
  XdgDirs d = RunallXdgDirs(nullptr, nullptr, nullptr, "/home/u");
  SettingsChoice c = ChooseSettings("", true, d);
  EXPECT_EQ(c.path, DefaultSettingsPath());
  EXPECT_FALSE(c.must_exist);
  EXPECT_FALSE(c.per_user);
  EXPECT_EQ(c.defaults.guests_file, DefaultSettings().guests_file);
  EXPECT_EQ(c.defaults.image_dir, DefaultSettings().image_dir);
  EXPECT_EQ(c.defaults.network, NetworkMode::kTap);
}

TEST(SettingsSource, WithoutSystemFilesTheUsersOwn) {
  XdgDirs d = RunallXdgDirs("/c", "/d", nullptr, "/home/u");
  SettingsChoice c = ChooseSettings("", false, d);
  EXPECT_EQ(c.path, "/c/runall/runall.conf");
  EXPECT_FALSE(c.must_exist);  // zero setup: no settings file at all
  EXPECT_TRUE(c.per_user);
  const Settings& s = c.defaults;
  EXPECT_EQ(s.guests_file, "/c/runall/runall-guests");
  EXPECT_EQ(s.image_dir, "/d/runall/images");
  EXPECT_EQ(s.launch_dir, "/d/runall/launch");
  EXPECT_EQ(s.hostname_dir, "/d/runall/hostnames");
  EXPECT_EQ(s.common_ro_host, "/d/runall/netshare/common-ro");
  EXPECT_EQ(s.common_rw_host, "/d/runall/netshare/common-rw");
  EXPECT_EQ(s.rw_host_base, "/d/runall/netshare");
  EXPECT_EQ(s.network, NetworkMode::kUser);
  // What the guests see is the same wherever the host keeps it.
  EXPECT_EQ(s.common_ro_guest, DefaultSettings().common_ro_guest);
}

TEST(SettingsSource, UsersFileMaySwitchToTap) {
  SettingsChoice c = ChooseSettings("", false, RunallXdgDirs(nullptr, nullptr, nullptr, "/h"));
  Settings s = c.defaults;
  std::string err;
  ASSERT_TRUE(ParseSettings("network = tap\n", c.path, &s, &err)) << err;
  EXPECT_EQ(s.network, NetworkMode::kTap);
  EXPECT_EQ(s.up_dir, "/h/.local/share/runall/netshare/common-rw");
}

TEST(SettingsSource, MissingGuestConfigSaysWhereItLooked) {
  XdgDirs d = RunallXdgDirs(nullptr, nullptr, nullptr, "/home/u");
  SettingsChoice user = ChooseSettings("", false, d);
  EXPECT_EQ(
      MissingGuestConfigMessage(user, user.defaults.guests_file, "/usr/local/etc/runall-guests"),
      "no guest config: neither the system-wide "
      "/usr/local/etc/runall-guests nor yours, "
      "/home/u/.config/runall/runall-guests, exists (see "
      "runall-guests(5); -c names another)");
  SettingsChoice sys = ChooseSettings("", true, d);
  EXPECT_EQ(MissingGuestConfigMessage(sys, "/usr/local/etc/runall-guests",
                                      "/usr/local/etc/runall-guests"),
            "no guest config: /usr/local/etc/runall-guests does not exist "
            "(guests_file of " +
                DefaultSettingsPath() + "; see runall-guests(5))");
}
