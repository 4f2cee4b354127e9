#include "report.hpp"

#include <stdio.h>

#include <algorithm>

namespace runall {

namespace {

const char* StatusWord(GuestStatus s) {
  switch (s) {
    case GuestStatus::kPassed: return "passed";
    case GuestStatus::kUp: return "up";
    case GuestStatus::kStopped: return "stopped";
    case GuestStatus::kKilled: return "killed";
    case GuestStatus::kFailed: return "failed";
    case GuestStatus::kBootTimeout: return "boot timeout";
    case GuestStatus::kBootFailed: return "boot failed";
    case GuestStatus::kUnreachable: return "unreachable";
    case GuestStatus::kRefused: return "refused";
    case GuestStatus::kHostKeyChanged: return "host key changed";
    case GuestStatus::kError: return "error";
    case GuestStatus::kNotFound: return "not in guest config";
    case GuestStatus::kInterrupted: return "interrupted";
    case GuestStatus::kNotRun: return "not run";
  }
  return "?";
}

std::string PadRight(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// A YAML double-quoted scalar: safe for any detail text or path.
std::string YamlString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// TAP reads "# SKIP" and "# TODO" after a description as directives, and a
// '#' in the description starts one: keep it out of host and reason.
std::string TapSafe(std::string s) {
  std::replace(s.begin(), s.end(), '#', '_');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string Number(double seconds) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

}  // namespace

bool Passed(const GuestResult& r) {
  return r.status == GuestStatus::kPassed || r.status == GuestStatus::kUp ||
         r.status == GuestStatus::kStopped;
}

std::string StatusText(const GuestResult& r) {
  if (r.status == GuestStatus::kFailed) return "failed (exit " + std::to_string(r.exit_code) + ")";
  return StatusWord(r.status);
}

std::string FormatSeconds(double seconds) {
  if (seconds < 0) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

std::string SummaryTable(const std::vector<GuestResult>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"GUEST", "RESULT", "BOOT", "SCRIPT", "DETAIL"});
  size_t passed = 0;
  for (const GuestResult& r : results) {
    rows.push_back({r.host, StatusText(r), FormatSeconds(r.boot_seconds),
                    FormatSeconds(r.script_seconds), r.detail});
    if (Passed(r)) ++passed;
  }
  std::vector<size_t> width(5, 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // The last column is not padded, so no line ends in blanks.
      line += i + 1 < row.size() ? PadRight(row[i], width[i] + 2) : row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  size_t n = results.size();
  out += std::to_string(passed) + " of " + std::to_string(n) + (n == 1 ? " guest" : " guests") +
         " passed\n";
  return out;
}

std::string TapReport(const std::vector<GuestResult>& results) {
  std::string out = "TAP version 13\n";
  out += "1.." + std::to_string(results.size()) + "\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const GuestResult& r = results[i];
    bool ok = Passed(r);
    out += ok ? "ok " : "not ok ";
    out += std::to_string(i + 1) + " - " + TapSafe(r.host);
    if (r.status == GuestStatus::kFailed)
      out += " # exit " + std::to_string(r.exit_code);
    else if (!ok)
      out += " # " + TapSafe(StatusWord(r.status));
    out += "\n  ---\n";
    out += "  status: " + YamlString(StatusWord(r.status)) + "\n";
    if (r.status == GuestStatus::kFailed)
      out += "  exit_code: " + std::to_string(r.exit_code) + "\n";
    if (!r.detail.empty()) out += "  detail: " + YamlString(r.detail) + "\n";
    out += std::string("  launched: ") + (r.launched ? "true" : "false") + "\n";
    if (r.resumed) out += "  resumed: true\n";
    if (!r.stopped_by.empty()) out += "  stopped_by: " + YamlString(r.stopped_by) + "\n";
    if (r.boot_seconds >= 0) out += "  boot_seconds: " + Number(r.boot_seconds) + "\n";
    if (r.script_seconds >= 0) out += "  script_seconds: " + Number(r.script_seconds) + "\n";
    if (!r.log_path.empty()) out += "  log: " + YamlString(r.log_path) + "\n";
    out += "  ...\n";
  }
  return out;
}

int RunExitStatus(const std::vector<GuestResult>& results, bool interrupted) {
  if (interrupted) return 130;
  if (results.empty()) return 1;
  for (const GuestResult& r : results)
    if (!Passed(r)) return 1;
  return 0;
}

}  // namespace runall
