#include "junit.hpp"

#include <stdio.h>

#include "utf8.hpp"

namespace runall {

namespace {

std::string Seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0.0 : s);
  return buf;
}

// A guest's own time: what this run spent booting it and running its
// script (either may not have happened).
double GuestSeconds(const GuestResult& r) {
  double t = 0;
  if (r.boot_seconds > 0) t += r.boot_seconds;
  if (r.script_seconds > 0) t += r.script_seconds;
  return t;
}

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&apos;";
        ++i;
        continue;
      default: break;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    // U+FFFE and U+FFFF are valid UTF-8 but not XML characters.
    if (n == 3 && s.compare(i, 2, "\xef\xbf") == 0 && (s[i + 2] == '\xbe' || s[i + 2] == '\xbf')) {
      out += "\xef\xbf\xbd";
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

std::string JunitReport(const std::vector<GuestResult>& results,
                        const std::vector<std::string>& outputs, const JunitRun& run) {
  size_t failures = 0;
  for (const GuestResult& r : results)
    if (!Passed(r)) ++failures;
  const std::string counts = " tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"" + XmlEscape(run.name) + "\"" + counts + " time=\"" +
         Seconds(run.seconds) + "\">\n";
  out += "  <testsuite name=\"" + XmlEscape(run.name) + "\"" + counts + " skipped=\"0\" time=\"" +
         Seconds(run.seconds) + "\"";
  if (!run.timestamp.empty()) out += " timestamp=\"" + XmlEscape(run.timestamp) + "\"";
  if (!run.hostname.empty()) out += " hostname=\"" + XmlEscape(run.hostname) + "\"";
  out += ">\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const GuestResult& r = results[i];
    out += "    <testcase name=\"" + XmlEscape(r.host) + "\" classname=\"" + XmlEscape(run.name) +
           "\" time=\"" + Seconds(GuestSeconds(r)) + "\">\n";
    if (!Passed(r)) {
      const std::string status = StatusText(r);
      out += "      <failure message=\"" + XmlEscape(status) + "\" type=\"" + XmlEscape(status) +
             "\">" + XmlEscape(r.detail.empty() ? status : status + ": " + r.detail) +
             "</failure>\n";
    }
    if (i < outputs.size() && !outputs[i].empty())
      out += "      <system-out>" + XmlEscape(outputs[i]) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace runall
