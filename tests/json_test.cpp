#include "json.hpp"

#include <gtest/gtest.h>

using namespace runall;

TEST(Json, ParsesQemuGreetingAndReplies) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(
      ParseJson("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                "\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7\"}, "
                "\"capabilities\": [\"oob\"]}}\r\n",
                &v, &err))
      << err;
  const JsonValue* qmp = v.Find("QMP");
  ASSERT_NE(qmp, nullptr);
  const JsonValue* caps = qmp->Find("capabilities");
  ASSERT_NE(caps, nullptr);
  ASSERT_EQ(caps->items.size(), 1u);
  EXPECT_EQ(caps->items[0].text, "oob");
  EXPECT_EQ(qmp->Find("version")->Find("qemu")->Find("minor")->text, "2");

  ASSERT_TRUE(ParseJson("{\"return\": {}}", &v, &err)) << err;
  EXPECT_EQ(v.Find("return")->type, JsonValue::Type::kObject);
  ASSERT_TRUE(ParseJson("{\"error\": {\"class\": \"GenericError\", \"desc\": \"No \\\"x\\\"\"}}",
                        &v, &err));
  EXPECT_EQ(v.Find("error")->StringAt("desc"), "No \"x\"");
  ASSERT_TRUE(
      ParseJson("{\"timestamp\": {\"seconds\": 1700000000, "
                "\"microseconds\": 5}, \"event\": \"POWERDOWN\"}",
                &v, &err));
  EXPECT_EQ(v.StringAt("event"), "POWERDOWN");
}

TEST(Json, DecodesEscapesToUtf8) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(ParseJson("\"a\\tb\\u00e9\\ud83d\\ude00\\/\"", &v, &err)) << err;
  EXPECT_EQ(v.text, "a\tb\xc3\xa9\xf0\x9f\x98\x80/");
}

TEST(Json, RefusesWhatIsNotJson) {
  const char* const bad[] = {
      "",      "{",        "{\"a\" 1}", "{\"a\":1,}", "[1,]",    "01",          "1.",
      "-",     "1e",       "tru",       "\"abc",      "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"",
      "{} {}", "\"a\nb\"", "{a:1}",     "nul",        "[1 2]",   "+1",
  };
  for (const char* text : bad) {
    JsonValue v;
    std::string err;
    EXPECT_FALSE(ParseJson(text, &v, &err)) << text;
    EXPECT_NE(err.find("JSON: "), std::string::npos) << text;
  }
}

TEST(Json, DepthIsBounded) {
  JsonValue v;
  std::string err;
  EXPECT_TRUE(ParseJson(std::string(60, '[') + std::string(60, ']'), &v, &err));
  EXPECT_FALSE(ParseJson(std::string(100000, '[') + std::string(100000, ']'), &v, &err));
  EXPECT_NE(err.find("nested too deeply"), std::string::npos) << err;
}

TEST(Json, QuoteRoundTripsAndReplacesInvalidUtf8) {
  const std::string s = std::string("q\"b\\s\n\r\t\x01\x7f", 10) +
                        "\xc3\xa9"
                        "\xff"
                        "\xc0\x80"
                        "\xed\xa0\x80"
                        "end";
  const std::string q = JsonQuote(s);
  JsonValue v;
  std::string err;
  ASSERT_TRUE(ParseJson(q, &v, &err)) << err << " in " << q;
  EXPECT_EQ(v.text, std::string("q\"b\\s\n\r\t\x01\x7f", 10) +
                        // One U+FFFD per byte of the three bad sequences (1 + 2 + 3).
                        "\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "\xef\xbf\xbd\xef\xbf\xbd"
                        "end");
  EXPECT_EQ(JsonQuote("system_powerdown"), "\"system_powerdown\"");
}
