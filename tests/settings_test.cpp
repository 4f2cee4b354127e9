#include "settings.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "validate.hpp"

using namespace runall;

TEST(Settings, DefaultsFollowTheAddressPlan) {
  Settings s = DefaultSettings();
  EXPECT_EQ(FormatIPv4(TapHostAddress(s, 3)), "172.20.3.1");
  EXPECT_EQ(FormatIPv4(TapGuestAddress(s, 3)), "172.20.3.2");
  EXPECT_EQ(s.hosts_file, "/etc/hosts");
  EXPECT_EQ(s.lease_time, 120u);
  EXPECT_EQ(s.hostname_max_age, 600u);
  EXPECT_EQ(s.hostname_delete_age, 3600u);
  EXPECT_TRUE(TapInPlan(255));
  EXPECT_FALSE(TapInPlan(256));
}

TEST(Settings, ParsesEveryKindOfValue) {
  Settings s = DefaultSettings();
  std::string err;
  ASSERT_TRUE(
      ParseSettings("# comment\n"
                    "\n"
                    "hosts_file = /tmp/hosts\n"
                    "  net_base=10.7  \n"
                    "lease_time = 300\n"
                    "restrict_hosts = yes\n"
                    "ssh_multiplex = no\n"
                    "dns = 192.0.2.1 192.0.2.2\n"
                    "common_rw_host = /srv/rw\n"
                    "start_timeout = 240\n",
                    "runall.conf", &s, &err))
      << err;
  EXPECT_EQ(s.hosts_file, "/tmp/hosts");
  EXPECT_EQ(FormatIPv4(TapHostAddress(s, 9)), "10.7.9.1");
  EXPECT_EQ(s.lease_time, 300u);
  EXPECT_TRUE(s.restrict_hosts);
  EXPECT_FALSE(s.ssh_multiplex);
  EXPECT_TRUE(DefaultSettings().ssh_multiplex);
  EXPECT_EQ(s.dns, "192.0.2.1 192.0.2.2");
  EXPECT_EQ(s.up_dir, "/srv/rw");  // follows common_rw_host unless set
  EXPECT_EQ(s.start_timeout, 240u);
}

TEST(Settings, ErrorsNameFileAndLine) {
  struct {
    const char* text;
    const char* expect;
  } const cases[] = {
      {"\nbogus = 1\n", "f.conf:2: unknown setting \"bogus\""},
      {"hosts_file = relative/path\n", "f.conf:1: hosts_file must be an absolute"},
      {"net_base = 172.300\n", "f.conf:1: bad value for net_base"},
      {"lease_time = soon\n", "f.conf:1: bad value for lease_time"},
      {"restrict_hosts = maybe\n", "f.conf:1: bad value"},
      {"ssh_multiplex = sometimes\n", "f.conf:1: bad value for ssh_multiplex"},
      {"dns = 1.2.3\n", "f.conf:1: bad value for dns"},
      {"just words\n", "f.conf:1: expected \"key = value\""},
      {"accel = fast\n", "f.conf:1: bad value for accel: \"fast\""},
  };
  for (const auto& c : cases) {
    Settings s = DefaultSettings();
    std::string err;
    EXPECT_FALSE(ParseSettings(c.text, "f.conf", &s, &err)) << c.text;
    EXPECT_EQ(err.compare(0, strlen(c.expect), c.expect), 0) << "got: " << err;
  }
}

namespace {

std::string WriteTemp(const std::string& text, mode_t mode) {
  char path[] = "/tmp/runall-settings-test.XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  fchmod(fd, mode);
  close(fd);
  return path;
}

}  // namespace

TEST(Settings, MissingFileMeansDefaults) {
  Settings s = DefaultSettings();
  std::string err;
  EXPECT_TRUE(LoadSettings("/nonexistent/runall.conf", true, false, &s, &err));
  EXPECT_EQ(s.up_dir, s.common_rw_host);
  EXPECT_FALSE(LoadSettings("/nonexistent/runall.conf", true, true, &s, &err));
}

TEST(Settings, PrivilegedRefusesWritableByOthers) {
  std::string path = WriteTemp("lease_time = 60\n", 0664);
  Settings s = DefaultSettings();
  std::string err;
  EXPECT_FALSE(LoadSettings(path, true, true, &s, &err));
  EXPECT_NE(err.find("not writable by group or others"), std::string::npos);
  EXPECT_EQ(s.lease_time, 120u);  // nothing taken from the refused file
  // An unprivileged tool may read it.
  EXPECT_TRUE(LoadSettings(path, false, true, &s, &err)) << err;
  EXPECT_EQ(s.lease_time, 60u);
  unlink(path.c_str());
}

TEST(Settings, PrivilegedRefusesFileNotOwnedByRoot) {
  std::string path = WriteTemp("lease_time = 60\n", 0644);
  Settings s = DefaultSettings();
  std::string err;
  if (geteuid() == 0) {
    // As root the file is ours, so trust it; then hand it to nobody.
    EXPECT_TRUE(LoadSettings(path, true, true, &s, &err)) << err;
    ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  }
  EXPECT_FALSE(LoadSettings(path, true, true, &s, &err));
  EXPECT_NE(err.find("owned by root"), std::string::npos);
  unlink(path.c_str());
}

TEST(Settings, RefusesSymlink) {
  std::string path = WriteTemp("", 0644);
  std::string link = path + ".link";
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  Settings s = DefaultSettings();
  std::string err;
  EXPECT_FALSE(LoadSettings(link, false, true, &s, &err));
  EXPECT_NE(err.find("symbolic link"), std::string::npos);
  unlink(link.c_str());
  unlink(path.c_str());
}

TEST(Settings, SudoLimitsHaveSafeDefaults) {
  Settings s = DefaultSettings();
  EXPECT_EQ(s.sudo_hosts, SudoHosts::kGuests);
  EXPECT_EQ(s.guest_domain, "");
  EXPECT_EQ(s.max_taps_per_user, 16u);
  EXPECT_EQ(s.hosts_max_per_user, 32u);
  EXPECT_EQ(s.hosts_max_entries, 1024u);
}

TEST(Settings, ParsesTheSudoLimits) {
  Settings s = DefaultSettings();
  std::string err;
  ASSERT_TRUE(
      ParseSettings("sudo_hosts = any\n"
                    "guest_domain = vm.example.test\n"
                    "max_taps_per_user = 4\n"
                    "hosts_max_per_user = 3\n"
                    "hosts_max_entries = 100\n",
                    "runall.conf", &s, &err))
      << err;
  EXPECT_EQ(s.sudo_hosts, SudoHosts::kAny);
  EXPECT_EQ(s.guest_domain, "vm.example.test");
  EXPECT_EQ(s.max_taps_per_user, 4u);
  EXPECT_EQ(s.hosts_max_per_user, 3u);
  EXPECT_EQ(s.hosts_max_entries, 100u);
}

TEST(Settings, RefusesBadSudoLimits) {
  const char* const cases[] = {
      "sudo_hosts = all\n",          "sudo_hosts = \n",
      "guest_domain = bad_domain\n", "guest_domain = example.test.\n",
      "max_taps_per_user = 257\n",   "max_taps_per_user = -1\n",
      "hosts_max_per_user = many\n", "hosts_max_entries = 1e3\n",
  };
  for (const char* text : cases) {
    Settings s = DefaultSettings();
    std::string err;
    EXPECT_FALSE(ParseSettings(text, "f.conf", &s, &err)) << text;
    EXPECT_NE(err.find("f.conf:1: bad value for"), std::string::npos) << text << " -> " << err;
  }
}

TEST(Settings, NetworkIsTapUnlessSaid) {
  Settings s = DefaultSettings();
  EXPECT_EQ(s.network, NetworkMode::kTap);
  std::string err;
  ASSERT_TRUE(ParseSettings("network = user\n", "f.conf", &s, &err)) << err;
  EXPECT_EQ(s.network, NetworkMode::kUser);
  ASSERT_TRUE(ParseSettings("network = tap\n", "f.conf", &s, &err)) << err;
  EXPECT_EQ(s.network, NetworkMode::kTap);
  EXPECT_FALSE(ParseSettings("network = slirp\n", "f.conf", &s, &err));
  EXPECT_EQ(err, "f.conf:1: bad value for network: \"slirp\" (tap or user)");
  EXPECT_STREQ(NetworkModeName(NetworkMode::kUser), "user");
  EXPECT_STREQ(NetworkModeName(NetworkMode::kTap), "tap");
}

TEST(Settings, ShippedExampleParsesCommentedAndUncommented) {
  // The test runner works from the top of the tree. Uncommented, every
  // "#key = value" line must be a setting with its default's form.
  Settings s = DefaultSettings();
  std::string err;
  ASSERT_TRUE(LoadSettings("etc/runall.conf", false, true, &s, &err)) << err;
  FILE* f = fopen("etc/runall.conf", "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    std::string l = line;
    if (l.size() > 1 && l[0] == '#' && l[1] != ' ' && l[1] != '#' && l[1] != '\n') l.erase(0, 1);
    text += l;
  }
  fclose(f);
  Settings u = DefaultSettings();
  ASSERT_TRUE(ParseSettings(text, "example", &u, &err)) << err;
  EXPECT_EQ(u.network, NetworkMode::kTap);
  EXPECT_EQ(u.accel, "auto");
}

TEST(Settings, ResumeIsOffUnlessSet) {
  Settings s = DefaultSettings();
  EXPECT_EQ(s.resume, ResumeMode::kNo);
  std::string err;
  ASSERT_TRUE(ParseSettings("resume = yes\n", "runall.conf", &s, &err)) << err;
  EXPECT_EQ(s.resume, ResumeMode::kYes);
  ASSERT_TRUE(ParseSettings("resume = throwaway\n", "runall.conf", &s, &err)) << err;
  EXPECT_EQ(s.resume, ResumeMode::kThrowaway);
  EXPECT_FALSE(ParseSettings("resume = true\n", "runall.conf", &s, &err));
  EXPECT_FALSE(ParseSettings("resume = later\n", "runall.conf", &s, &err));
}

TEST(Settings, AccelIsAutoUnlessSet) {
  Settings s = DefaultSettings();
  EXPECT_EQ(s.accel, "auto");
  std::string err;
  ASSERT_TRUE(ParseSettings("accel = tcg\n", "runall.conf", &s, &err)) << err;
  EXPECT_EQ(s.accel, "tcg");
}
