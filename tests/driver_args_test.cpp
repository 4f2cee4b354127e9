#include "driver_args.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {

DriverArgs Parse(std::vector<std::string> args) {
  DriverArgs a;
  std::string err;
  EXPECT_TRUE(ParseDriverArgs(args, &a, &err)) << err;
  return a;
}

std::string Bad(std::vector<std::string> args) {
  DriverArgs a;
  std::string err;
  EXPECT_FALSE(ParseDriverArgs(args, &a, &err));
  return err;
}

}  // namespace

TEST(DriverArgsTest, NoArgumentsMeansEveryGuestAndNoScript) {
  DriverArgs a = Parse({});
  EXPECT_EQ(a.copy, CopyMode::kNone);
  EXPECT_TRUE(a.guests.empty());
  EXPECT_EQ(a.jobs, 1u);
  EXPECT_FALSE(a.shutdown || a.stop || a.quiet || a.help);
}

TEST(DriverArgsTest, ArticleForms) {
  DriverArgs a = Parse({"-s", "my_script"});
  EXPECT_EQ(a.copy, CopyMode::kInteractive);
  EXPECT_EQ(a.script, "my_script");
  EXPECT_TRUE(a.guests.empty());

  a = Parse({"-sn", "my_script", "netqemu", "solqemu"});
  EXPECT_EQ(a.copy, CopyMode::kNever);
  EXPECT_EQ(a.guests, (std::vector<std::string>{"netqemu", "solqemu"}));

  a = Parse({"-sf", "/tmp/t.sh", "openqemu"});
  EXPECT_EQ(a.copy, CopyMode::kForce);
  EXPECT_EQ(a.script, "/tmp/t.sh");

  a = Parse({"netqemu", "gentqemu"});
  EXPECT_EQ(a.copy, CopyMode::kNone);
  EXPECT_EQ(a.guests.size(), 2u);
}

TEST(DriverArgsTest, ScriptIsAlwaysTheNextArgument) {
  // Even one that looks like an option: the article's "$2 => scriptname".
  DriverArgs a = Parse({"-s", "-weird-name"});
  EXPECT_EQ(a.script, "-weird-name");
  EXPECT_NE(Bad({"-s"}).find("-s needs the script"), std::string::npos);
  EXPECT_NE(Bad({"-sf", ""}).find("needs the script"), std::string::npos);
}

TEST(DriverArgsTest, TodaysOptions) {
  DriverArgs a = Parse({"-q", "-j", "4", "--shutdown", "--tap", "out.tap", "-C", "/etc/x.conf",
                        "-c", "guests", "-l", "-", "-s", "t", "a", "b"});
  EXPECT_TRUE(a.quiet);
  EXPECT_EQ(a.jobs, 4u);
  EXPECT_TRUE(a.shutdown);
  EXPECT_EQ(a.tap_file, "out.tap");
  EXPECT_EQ(a.settings_file, "/etc/x.conf");
  EXPECT_EQ(a.guests_file, "guests");
  EXPECT_EQ(a.log_file, "-");
  EXPECT_EQ(a.script, "t");
  EXPECT_EQ(a.guests, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(HasPathOption(a));
}

TEST(DriverArgsTest, LogDirectoryAndIdentity) {
  DriverArgs a = Parse({"--log-dir", "/tmp/logs", "-i", "/k/id", "g"});
  EXPECT_EQ(a.log_dir, "/tmp/logs");
  EXPECT_EQ(a.identity, "/k/id");
  EXPECT_TRUE(HasPathOption(a));
  a = Parse({"--log-dir=/l", "-i/k"});
  EXPECT_EQ(a.log_dir, "/l");
  EXPECT_EQ(a.identity, "/k");
  EXPECT_TRUE(HasPathOption(Parse({"-i", "k"})));
  EXPECT_TRUE(HasPathOption(Parse({"--log-dir", "d"})));
  EXPECT_FALSE(HasPathOption(Parse({"-j", "2", "--shutdown"})));
  EXPECT_NE(Bad({"-i", "a", "-i", "b"}).find("-i given twice"), std::string::npos);
  EXPECT_NE(Bad({"--log-dir"}).find("--log-dir needs a value"), std::string::npos);
}

TEST(DriverArgsTest, AttachedValues) {
  DriverArgs a = Parse({"-j2", "--tap=r.tap", "-Cs.conf", "-cg", "-llog"});
  EXPECT_EQ(a.jobs, 2u);
  EXPECT_EQ(a.tap_file, "r.tap");
  EXPECT_EQ(a.settings_file, "s.conf");
  EXPECT_EQ(a.guests_file, "g");
  EXPECT_EQ(a.log_file, "log");
}

TEST(DriverArgsTest, StopAndHelp) {
  DriverArgs a = Parse({"--stop", "netqemu"});
  EXPECT_TRUE(a.stop);
  EXPECT_EQ(a.guests, std::vector<std::string>{"netqemu"});
  EXPECT_TRUE(Parse({"--stop"}).guests.empty());  // all
  EXPECT_TRUE(Parse({"--help"}).help);
  EXPECT_TRUE(Parse({"-h"}).help);
}

TEST(DriverArgsTest, DoubleDashEndsOptions) {
  DriverArgs a = Parse({"-q", "--", "netqemu"});
  EXPECT_EQ(a.guests, std::vector<std::string>{"netqemu"});
  // A name that is not a hostname is refused even after "--".
  EXPECT_NE(Bad({"--", "-x"}).find("OS name"), std::string::npos);
}

TEST(DriverArgsTest, DuplicateGuestsCountOnce) {
  DriverArgs a = Parse({"a", "b", "a"});
  EXPECT_EQ(a.guests, (std::vector<std::string>{"a", "b"}));
}

TEST(DriverArgsTest, BadUsage) {
  EXPECT_NE(Bad({"-x"}).find("unknown option -x"), std::string::npos);
  EXPECT_NE(Bad({"--tapx", "f"}).find("unknown option"), std::string::npos);
  EXPECT_NE(Bad({"-j"}).find("-j needs a value"), std::string::npos);
  EXPECT_NE(Bad({"-j", "0"}).find("from 1 to 64"), std::string::npos);
  EXPECT_NE(Bad({"-j", "65"}).find("from 1 to 64"), std::string::npos);
  EXPECT_NE(Bad({"-j", "two"}).find("not a number"), std::string::npos);
  EXPECT_NE(Bad({"-j", "1", "-j", "2"}).find("twice"), std::string::npos);
  EXPECT_NE(Bad({"-C", "a", "-C", "b"}).find("-C given twice"), std::string::npos);
  EXPECT_NE(Bad({"--tap"}).find("--tap needs a value"), std::string::npos);
  EXPECT_NE(Bad({"--tap="}).find("empty value"), std::string::npos);
  EXPECT_NE(Bad({"-s", "a", "-sf", "b"}).find("only one"), std::string::npos);
  EXPECT_NE(Bad({"netqemu", "-j", "2"}).find("options go first"), std::string::npos);
  EXPECT_NE(Bad({"../etc"}).find("OS name \"../etc\""), std::string::npos);
  EXPECT_NE(Bad({"a b"}).find("OS name"), std::string::npos);
  EXPECT_NE(Bad({"--stop", "-s", "x"}).find("--stop runs no script"), std::string::npos);
  EXPECT_NE(Bad({"--stop", "--shutdown"}).find("leave out --shutdown"), std::string::npos);
  EXPECT_NE(Bad({"--stop", "--fresh"}).find("leave out --fresh"), std::string::npos);
}

TEST(DriverArgsTest, FreshBootsAndSavesAnew) {
  DriverArgs a;
  std::string err;
  ASSERT_TRUE(ParseDriverArgs({"--fresh", "-s", "x", "g"}, &a, &err)) << err;
  EXPECT_TRUE(a.fresh);
  ASSERT_TRUE(ParseDriverArgs({"g"}, &a, &err)) << err;
  EXPECT_FALSE(a.fresh);
}

TEST(DriverArgsTest, UsageNamesEveryOption) {
  std::string u = DriverUsage("runall-os-test");
  for (const char* opt :
       {"-s ", "-sn", "-sf", "-j N", "--shutdown", "--stop", "--tap", "-C", "-c", "-l", "-q",
        "--help", "--log-dir", "-i IDENTITY", "--junit FILE", "--shard K/N"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
  EXPECT_EQ(u.compare(0, 22, "usage: runall-os-test "), 0);
}

TEST(PlanScriptTest, ScriptElsewhereIsCopiedUnderItsBaseName) {
  ScriptPlan p;
  std::string err;
  ASSERT_TRUE(PlanScript("/home/u/tests/my_script", "/srv/ro", &p, &err));
  EXPECT_TRUE(p.copy);
  EXPECT_EQ(p.name, "my_script");
  ASSERT_TRUE(PlanScript("my_script", "/srv/ro", &p, &err));
  EXPECT_TRUE(p.copy);
  EXPECT_EQ(p.name, "my_script");
}

TEST(PlanScriptTest, ScriptUnderTheSharedDirectoryIsRunInPlace) {
  ScriptPlan p;
  std::string err;
  ASSERT_TRUE(PlanScript("/srv/ro/suite/build.sh", "/srv/ro/", &p, &err));
  EXPECT_FALSE(p.copy);
  EXPECT_EQ(p.name, "suite/build.sh");
  // A sibling directory that merely shares the prefix is "elsewhere".
  ASSERT_TRUE(PlanScript("/srv/ro-old/t", "/srv/ro", &p, &err));
  EXPECT_TRUE(p.copy);
}

TEST(PlanScriptTest, PathsThatLeaveTheDirectoryAreRefused) {
  ScriptPlan p;
  std::string err;
  EXPECT_FALSE(PlanScript("/srv/ro/../etc/passwd", "/srv/ro", &p, &err));
  EXPECT_FALSE(PlanScript("/srv/ro//x", "/srv/ro", &p, &err));
  EXPECT_FALSE(PlanScript("/tmp/dir/", "/srv/ro", &p, &err));
  EXPECT_FALSE(PlanScript("..", "/srv/ro", &p, &err));
  EXPECT_NE(err.find("bad path"), std::string::npos);
}

TEST(DecideCopyTest, EachMode) {
  for (CopyMode m : {CopyMode::kInteractive, CopyMode::kNever, CopyMode::kForce}) {
    EXPECT_EQ(DecideCopy(m, false, false, false), CopyStep::kCopy);
    EXPECT_EQ(DecideCopy(m, true, true, false), CopyStep::kKeep);
  }
  EXPECT_EQ(DecideCopy(CopyMode::kForce, true, false, false), CopyStep::kCopy);
  EXPECT_EQ(DecideCopy(CopyMode::kNever, true, false, true), CopyStep::kKeepOther);
  EXPECT_EQ(DecideCopy(CopyMode::kInteractive, true, false, true), CopyStep::kAsk);
  // Nobody to ask: refuse to overwrite, and say so.
  EXPECT_EQ(DecideCopy(CopyMode::kInteractive, true, false, false), CopyStep::kRefuse);
}

TEST(DriverArgsTest, JunitReportAndShard) {
  DriverArgs a = Parse({"--junit", "r.xml", "--shard", "2/3", "-s", "t", "a"});
  EXPECT_EQ(a.junit_file, "r.xml");
  EXPECT_EQ(a.shard, 2u);
  EXPECT_EQ(a.shards, 3u);
  EXPECT_EQ(a.guests, (std::vector<std::string>{"a"}));
  // --junit names a file: refused through sudo like --tap.
  EXPECT_TRUE(HasPathOption(Parse({"--junit", "-"})));
  EXPECT_FALSE(HasPathOption(Parse({"--shard", "1/2"})));
  a = Parse({"--junit=-", "--shard=1/1", "--stop"});
  EXPECT_EQ(a.junit_file, "-");
  EXPECT_EQ(a.shard, 1u);
  EXPECT_EQ(a.shards, 1u);
  EXPECT_TRUE(a.stop);
  EXPECT_EQ(Parse({}).shards, 0u);  // no sharding
}

TEST(DriverArgsTest, BadShardsAreRefused) {
  for (const char* bad : {"0/2", "3/2", "2", "/2", "1/", "a/b", "1/1001", "+1/2", " 1/2", "1/2/3"})
    EXPECT_NE(Bad({"--shard", bad}).find("expected K/N with 1 <= K <= N <= 1000"),
              std::string::npos)
        << bad;
  EXPECT_NE(Bad({"--shard"}).find("--shard needs a value"), std::string::npos);
  EXPECT_NE(Bad({"--shard", "1/2", "--shard", "2/2"}).find("--shard given twice"),
            std::string::npos);
  EXPECT_NE(Bad({"--junit"}).find("--junit needs a value"), std::string::npos);
}
