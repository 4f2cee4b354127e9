#include "junit.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {
GuestResult Result(const std::string& host, GuestStatus status, int code = 0,
                   const std::string& detail = "") {
  GuestResult r;
  r.host = host;
  r.status = status;
  r.exit_code = code;
  r.detail = detail;
  r.boot_seconds = 2.5;
  r.script_seconds = 0.25;
  return r;
}
bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST(Junit, OneSuiteOneCasePerGuest) {
  JunitRun run;
  run.hostname = "ci-7";
  run.timestamp = "2026-11-30T04:18:24";
  run.seconds = 12.5;
  std::string x =
      JunitReport({Result("netbsd", GuestStatus::kPassed), Result("fbsd", GuestStatus::kFailed, 3),
                   Result("obsd", GuestStatus::kBootTimeout, 0, "no up-file within 240 s")},
                  {"ok\n", "make: *** [all] Error 1\n"}, run);
  EXPECT_EQ(x.compare(0, 38, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), 0) << x;
  EXPECT_TRUE(Has(x,
                  "<testsuite name=\"runall-os-test\" tests=\"3\" failures=\"2\" "
                  "errors=\"0\" skipped=\"0\" time=\"12.500\" "
                  "timestamp=\"2026-11-30T04:18:24\" hostname=\"ci-7\">"))
      << x;
  EXPECT_TRUE(Has(x,
                  "<testcase name=\"netbsd\" classname=\"runall-os-test\" "
                  "time=\"2.750\">\n      <system-out>ok\n</system-out>\n"
                  "    </testcase>"))
      << x;
  EXPECT_TRUE(Has(x,
                  "<failure message=\"failed (exit 3)\" type=\"failed (exit 3)\">"
                  "failed (exit 3)</failure>"))
      << x;
  EXPECT_TRUE(Has(x,
                  "<failure message=\"boot timeout\" type=\"boot timeout\">"
                  "boot timeout: no up-file within 240 s</failure>"))
      << x;
  // No output, no system-out element.
  EXPECT_FALSE(Has(x.substr(x.find("name=\"obsd\"")), "<system-out>")) << x;
}

TEST(Junit, EscapesMarkupControlsAndBadUtf8) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape(std::string("t\tn\nr\r\x01\x1b[0m\x7f", 12)), "t\tn\nr\r\\x01\\x1b[0m\\x7f");
  EXPECT_EQ(XmlEscape("\xc3\xa9\xff\xef\xbf\xbf"), "\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(XmlEscape("]]>"), "]]&gt;");
}
