#include "ssh.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

using namespace runall;

namespace {

SshConfig Config() {
  SshConfig c;
  c.known_hosts = "/home/u/.ssh/runall_known_hosts";
  return c;
}

bool HasOption(const std::vector<std::string>& argv, const std::string& o) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-o" && argv[i + 1] == o) return true;
  return false;
}

// What /bin/sh makes of `command` (its stdout), as the guest's shell would.
std::string RunSh(const std::string& command) {
  std::string full = "/bin/sh -c " + ShellQuote(command);
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

double Now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

}  // namespace

TEST(SshArgvTest, NeverPromptsAndNeverTouchesTheUsersKnownHosts) {
  std::vector<std::string> argv = SshArgv(Config(), "netqemu", "./hostname");
  EXPECT_EQ(argv.front(), "ssh");
  EXPECT_TRUE(HasOption(argv, "BatchMode=yes"));
  EXPECT_TRUE(HasOption(argv, "HostKeyAlias=netqemu"));
  EXPECT_TRUE(HasOption(argv, "UserKnownHostsFile=/home/u/.ssh/runall_known_hosts"));
  EXPECT_TRUE(HasOption(argv, "GlobalKnownHostsFile=/dev/null"));
  EXPECT_TRUE(HasOption(argv, "StrictHostKeyChecking=accept-new"));
  EXPECT_TRUE(HasOption(argv, "ConnectTimeout=5"));
  EXPECT_TRUE(HasOption(argv, "ServerAliveInterval=15"));
  EXPECT_TRUE(HasOption(argv, "ServerAliveCountMax=4"));
  EXPECT_TRUE(HasOption(argv, "LogLevel=ERROR"));
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-T"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-n"), argv.end());
  // The host comes after "--" and the command last, as one word.
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 3], "--");
  EXPECT_EQ(argv[argv.size() - 2], "netqemu");
  EXPECT_EQ(argv.back(), "./hostname");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-i"), argv.end());
  EXPECT_FALSE(HasOption(argv, "ControlMaster=auto"));
}

TEST(SshArgvTest, IdentityUserAndConnectionSharing) {
  SshConfig c = Config();
  c.identity = "/home/u/.ssh/runall_ed25519";
  c.user = "tester";
  c.control_path = "/run/user/1000/runall-ssh.AbC123/solqemu";
  c.connect_timeout = 2;
  std::vector<std::string> argv = SshArgv(c, "solqemu", "true");
  auto i = std::find(argv.begin(), argv.end(), "-i");
  ASSERT_NE(i, argv.end());
  EXPECT_EQ(*(i + 1), "/home/u/.ssh/runall_ed25519");
  EXPECT_TRUE(HasOption(argv, "IdentitiesOnly=yes"));
  auto l = std::find(argv.begin(), argv.end(), "-l");
  ASSERT_NE(l, argv.end());
  EXPECT_EQ(*(l + 1), "tester");
  EXPECT_TRUE(HasOption(argv, "ControlMaster=auto"));
  EXPECT_TRUE(HasOption(argv, "ControlPath=/run/user/1000/runall-ssh.AbC123/solqemu"));
  EXPECT_TRUE(HasOption(argv, "ConnectTimeout=2"));
}

TEST(SshTest, DefaultKnownHostsIsRunallsOwnFile) {
  EXPECT_EQ(DefaultKnownHosts("/home/u"), "/home/u/.ssh/runall_known_hosts");
}

TEST(SshTest, ShellQuoteSurvivesARealShell) {
  for (const std::string& word : {std::string("plain"), std::string("two words"),
                                  std::string("it's"), std::string("$HOME `id` \"q\" \\ ; & | * ?"),
                                  std::string(""), std::string("'"), std::string("a\nb")}) {
    EXPECT_EQ(RunSh("printf '%s' " + ShellQuote(word)), word) << word;
  }
  EXPECT_EQ(ShellQuote("/netshare-ro/my_script"), "/netshare-ro/my_script");
  EXPECT_EQ(ShellQuote("my script"), "'my script'");
}

TEST(SshTest, ScriptRunsFromTheSharedDirectoryInTheGuestsOwnDirectory) {
  EXPECT_EQ(ScriptCommand("/netshare-rw", "/netshare-ro", "my_script"),
            "cd /netshare-rw && /netshare-ro/my_script");
  EXPECT_EQ(ScriptCommand("/netshare-rw", "/netshare-ro/", "it's here"),
            "cd /netshare-rw && '/netshare-ro/it'\\''s here'");
  // Run through a shell: the script gets its cwd and its odd name intact.
  char dir[] = "/tmp/runall-ssh-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string ro = std::string(dir) + "/ro dir", rw = std::string(dir) + "/rw";
  ASSERT_EQ(mkdir(ro.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(rw.c_str(), 0755), 0);
  std::string script = ro + "/it's $x";
  FILE* f = fopen(script.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("#!/bin/sh\npwd\n", f);
  fclose(f);
  chmod(script.c_str(), 0755);
  EXPECT_EQ(RunSh(ScriptCommand(rw, ro, "it's $x")), rw + "\n");
  unlink(script.c_str());
  rmdir(ro.c_str());
  rmdir(rw.c_str());
  rmdir(dir);
}

TEST(SshTest, ShutdownIsDetachedSoTheSessionEndsAtOnce) {
  char dir[] = "/tmp/runall-ssh-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string marker = std::string(dir) + "/powered off";
  std::string command = ShutdownCommand("echo 'bye' > " + ShellQuote(marker));
  double start = Now();
  RunSh(command);  // returns when the session's shell and its output end
  EXPECT_LT(Now() - start, 0.8);
  struct stat st;
  EXPECT_NE(stat(marker.c_str(), &st), 0);  // not yet: it sleeps first
  for (int i = 0; i < 50 && stat(marker.c_str(), &st) != 0; ++i) usleep(100000);
  EXPECT_EQ(stat(marker.c_str(), &st), 0);
  unlink(marker.c_str());
  rmdir(dir);
}

TEST(SshTest, ShutdownKeepsTheLoginShellsFunctions) {
  // The test guests give ordinary users a poweroff function; a subshell
  // keeps it where `sh -c` would not.
  char dir[] = "/tmp/runall-ssh-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string marker = std::string(dir) + "/off";
  RunSh("poweroff() { echo function > " + ShellQuote(marker) + "; }; " +
        ShutdownCommand("poweroff"));
  struct stat st;
  for (int i = 0; i < 50 && stat(marker.c_str(), &st) != 0; ++i) usleep(100000);
  EXPECT_EQ(stat(marker.c_str(), &st), 0);
  unlink(marker.c_str());
  rmdir(dir);
}

TEST(SshTest, HostnameAnswer) {
  EXPECT_TRUE(HostnameAnswers("netqemu\n", "netqemu"));
  EXPECT_TRUE(HostnameAnswers("netqemu\r\n", "netqemu"));
  EXPECT_TRUE(HostnameAnswers("NetQemu", "netqemu"));
  EXPECT_FALSE(HostnameAnswers("solqemu\n", "netqemu"));
  EXPECT_FALSE(HostnameAnswers("netqemu2\n", "netqemu"));
  EXPECT_FALSE(HostnameAnswers("", "netqemu"));
  EXPECT_FALSE(HostnameAnswers("motd\nnetqemu\n", "netqemu"));
}

TEST(SshTest, ClassifyExit) {
  int code = -1;
  EXPECT_EQ(ClassifySsh(0, "", &code), SshOutcome::kOk);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(ClassifySsh(3 << 8, "", &code), SshOutcome::kRemoteFailed);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(ClassifySsh(255 << 8,
                        "ssh: connect to host netqemu port 22: Connection "
                        "refused\r\n",
                        &code),
            SshOutcome::kConnectFailed);
  EXPECT_EQ(code, 255);
  EXPECT_EQ(ClassifySsh(SIGKILL, "", &code), SshOutcome::kSignaled);
  EXPECT_EQ(code, 128 + SIGKILL);
}

TEST(SshTest, ExitStatus255IsSshsOnlyWhenSshSaysSo) {
  int code = -1;
  // A script may exit 255 itself; only ssh's own message makes it ssh's.
  EXPECT_EQ(ClassifySsh(255 << 8, "some output of the script\n", &code), SshOutcome::kRemoteFailed);
  EXPECT_EQ(code, 255);
  for (const char* msg :
       {"ssh: Could not resolve hostname g: Name or service not known\r\n",
        "kex_exchange_identification: read: Connection reset by peer\r\n",
        "Connection closed by 172.20.0.2 port 22\r\n", "root@g: Permission denied (publickey).\r\n",
        "Connection to g closed by remote host.\r\n", "Timeout, server g not responding.\r\n"}) {
    EXPECT_EQ(ClassifySsh(255 << 8, msg, &code), SshOutcome::kConnectFailed) << msg;
    EXPECT_TRUE(MentionsSshFailure(msg)) << msg;
  }
  EXPECT_EQ(SshFailureLine("script line\nssh: connect to host g port 22: "
                           "No route to host\r\n"),
            "ssh: connect to host g port 22: No route to host");
  EXPECT_EQ(SshFailureLine("nothing of ssh's\n"), "");
}

TEST(SshTest, ConfigDumpGivesTheRealEndpoint) {
  std::vector<std::string> argv = SshDumpArgv(Config(), "netqemu");
  EXPECT_EQ(argv[0], "ssh");
  EXPECT_EQ(argv[1], "-G");
  EXPECT_EQ(argv.back(), "netqemu");
  EXPECT_TRUE(HasOption(argv, "BatchMode=yes"));

  SshEndpoint ep;
  ASSERT_TRUE(
      ParseSshDump("user root\nhostname 10.1.2.3\nport 2222\n"
                   "proxycommand none\n",
                   &ep));
  EXPECT_EQ(ep.hostname, "10.1.2.3");
  EXPECT_EQ(ep.port, "2222");
  EXPECT_FALSE(ep.proxied);
  ASSERT_TRUE(ParseSshDump("hostname netqemu\nproxyjump jump.example\n", &ep));
  EXPECT_EQ(ep.port, "22");
  EXPECT_TRUE(ep.proxied);
  EXPECT_FALSE(ParseSshDump("port 22\n", &ep));
}

TEST(SshTest, ChangedHostKeyIsRecognised) {
  // What OpenSSH prints (LogLevel=ERROR keeps it) when the key changed.
  const std::string changed =
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
      "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
      "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
      "Host key for netqemu has changed and you have requested strict "
      "checking.\r\nHost key verification failed.\r\n";
  int code = 0;
  EXPECT_EQ(ClassifySsh(255 << 8, changed, &code), SshOutcome::kHostKeyChanged);
  EXPECT_EQ(ClassifySsh(255 << 8, "Host key verification failed.\r\n", &code),
            SshOutcome::kHostKeyChanged);
  // A script that prints the words and fails is just a failed script.
  EXPECT_EQ(ClassifySsh(1 << 8, changed, &code), SshOutcome::kRemoteFailed);
}

TEST(SshTest, ProbeBackoff) {
  EXPECT_EQ(ProbeDelayMs(0), 100u);
  EXPECT_EQ(ProbeDelayMs(1), 200u);
  EXPECT_EQ(ProbeDelayMs(3), 800u);
  EXPECT_EQ(ProbeDelayMs(4), 1600u);
  EXPECT_EQ(ProbeDelayMs(5), 2000u);
  EXPECT_EQ(ProbeDelayMs(1000), 2000u);
}

TEST(SshArgvTest, RouteGoesToTheForwardedPortUnderTheGuestsName) {
  SshRoute route{"127.0.0.1", "34853"};
  std::vector<std::string> argv = SshArgv(Config(), "deb12", "./hostname", &route);
  EXPECT_TRUE(HasOption(argv, "HostName=127.0.0.1"));
  EXPECT_TRUE(HasOption(argv, "Port=34853"));
  EXPECT_TRUE(HasOption(argv, "ProxyCommand=none"));
  EXPECT_TRUE(HasOption(argv, "ProxyJump=none"));
  // The key is still checked as the guest's, not as 127.0.0.1's.
  EXPECT_TRUE(HasOption(argv, "HostKeyAlias=deb12"));
  EXPECT_EQ(argv[argv.size() - 2], "deb12");
  EXPECT_FALSE(HasOption(SshArgv(Config(), "deb12", "x"), "Port=34853"));
}

TEST(SshArgvTest, RouteWinsOverTheUsersSshConfig) {
  // What ssh itself makes of it (ssh -G prints its resolved settings and
  // connects nowhere), with an ssh_config that sends the guest elsewhere.
  char tmpl[] = "/tmp/runall-ssh-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, cfg = dir + "/config";
  FILE* f = fopen(cfg.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs(
      "Host deb12\n  HostName 192.0.2.7\n  Port 2022\n  User tester\n"
      "  ProxyJump jump.example\n",
      f);
  fclose(f);
  SshRoute route{"127.0.0.1", "34853"};
  std::vector<std::string> argv = SshArgv(Config(), "deb12", "true", &route);
  std::string cmd = "ssh -G -F " + ShellQuote(cfg);
  for (size_t i = 1; i < argv.size(); ++i) cmd += " " + ShellQuote(argv[i]);
  std::string out = RunSh(cmd + " 2>&1");
  EXPECT_NE(out.find("\nhostname 127.0.0.1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nport 34853\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nuser tester\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("proxyjump jump.example"), std::string::npos) << out;
  EXPECT_NE(out.find("\nhostkeyalias deb12\n"), std::string::npos) << out;
  unlink(cfg.c_str());
  rmdir(dir.c_str());
}
