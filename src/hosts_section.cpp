#include "hosts_section.hpp"

#include <arpa/inet.h>
#include <string.h>

#include <utility>
#include <vector>

#include "validate.hpp"

namespace runall {

const char kDynamicStart[] = "##STARTDYNAMIC";
const char kDynamicEnd[] = "##ENDDYNAMIC";

namespace {

bool Fail(std::string* why, const std::string& text) {
  if (why) *why = text;
  return false;
}

// Whitespace as a hosts(5) reader splits fields; '\r' is included so that
// a file with CRLF line ends matches the same way (its bytes are kept).
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

bool StartsWith(const char* b, const char* e, const char* prefix) {
  size_t n = strlen(prefix);
  return static_cast<size_t>(e - b) >= n && memcmp(b, prefix, n) == 0;
}

// What the lines of the file are compared with.
struct Target {
  std::string hostname;  // as given
  std::string ip;        // empty when removing
  uint32_t addr = 0;
};

// Hostnames are case-insensitive, and "name." (the absolute form) is the
// same name: both count as a match so that nothing can shadow a static entry.
bool SameName(const char* b, const char* e, const std::string& name) {
  size_t n = static_cast<size_t>(e - b);
  if (n == name.size() + 1 && b[n - 1] == '.') --n;
  if (n != name.size()) return false;
  for (size_t i = 0; i < n; ++i)
    if (Lower(b[i]) != Lower(name[i])) return false;
  return true;
}

// The address field matches when it is the address exactly. The article's
// awk used the regex ^[[:space:]]*$IP, which is a prefix match: 172.20.1.2
// "matched" 172.20.1.23 and the dots matched any character. An IPv4-mapped
// IPv6 form (::ffff:a.b.c.d) names the same address and matches too.
bool SameAddress(const char* b, const char* e, const Target& t) {
  size_t n = static_cast<size_t>(e - b);
  if (n == t.ip.size() && memcmp(b, t.ip.data(), n) == 0) return true;
  if (memchr(b, ':', n) == nullptr || n > 64) return false;
  std::string field(b, e);
  unsigned char a6[16];
  if (inet_pton(AF_INET6, field.c_str(), a6) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a6, kMapped, sizeof kMapped) != 0) return false;
  uint32_t v4 = (uint32_t{a6[12]} << 24) | (uint32_t{a6[13]} << 16) |
                (uint32_t{a6[14]} << 8) | uint32_t{a6[15]};
  return v4 == t.addr;
}

struct Match {
  bool address = false;
  bool name = false;
};

// Matches one line (without its '\n'): the first field is the address, the
// other fields up to a '#' are names.
Match MatchLine(const char* b, const char* e, const Target& t) {
  Match m;
  const char* hash = static_cast<const char*>(memchr(b, '#', e - b));
  if (hash) e = hash;
  bool first = true;
  const char* p = b;
  while (p < e) {
    while (p < e && IsSpace(*p)) ++p;
    if (p == e) break;
    const char* f = p;
    while (p < e && !IsSpace(*p)) ++p;
    if (first) {
      if (!t.ip.empty() && SameAddress(f, p, t)) m.address = true;
      first = false;
    } else if (SameName(f, p, t.hostname)) {
      m.name = true;
    }
  }
  return m;
}

// A line quoted in a message: control characters shown as '?', long lines
// cut, so a hostile hosts file cannot garble the terminal.
std::string Quote(const char* b, const char* e) {
  std::string q = "\"";
  for (const char* p = b; p < e && q.size() < 80; ++p)
    q += (static_cast<unsigned char>(*p) < 0x20 || *p == 0x7f) ? '?' : *p;
  if (e - b > 79) q += "...";
  return q + "\"";
}

// A range of lines to drop: [begin, next).
using Range = std::pair<size_t, size_t>;

SectionEdit Edit(const std::string& text, const Target& t, bool remove,
                 std::string* out, std::string* why) {
  const char* base = text.data();
  enum { kBefore, kInside, kAfter } state = kBefore;
  bool has_start = false;
  size_t end_marker = std::string::npos;  // offset of the ##ENDDYNAMIC line
  std::vector<Range> dropped;
  bool canonical = false;  // a dropped line is exactly "IP HOSTNAME"
  std::string outside;     // the first match outside the section, described
  std::string eol;         // line end of the first line, for appended lines
  const std::string wanted = t.ip + " " + t.hostname;
  unsigned lineno = 0;

  size_t pos = 0;
  while (pos < text.size()) {
    const char* nl =
        static_cast<const char*>(memchr(base + pos, '\n', text.size() - pos));
    size_t end = nl ? static_cast<size_t>(nl - base) : text.size();
    size_t next = nl ? end + 1 : end;
    ++lineno;
    const char* b = base + pos;
    const char* e = base + end;
    if (eol.empty() && nl) eol = (end > pos && e[-1] == '\r') ? "\r\n" : "\n";

    // Only the first section is dynamic, as in the article: later marker
    // lines are comments like any other, and what lies between them counts
    // as outside.
    if (state == kBefore && StartsWith(b, e, kDynamicStart)) {
      state = kInside;
      has_start = true;
    } else if (state == kInside && StartsWith(b, e, kDynamicEnd)) {
      state = kAfter;
      end_marker = pos;
    } else {
      Match m = MatchLine(b, e, t);
      if (m.address || m.name) {
        if (state == kInside) {
          dropped.emplace_back(pos, next);
          const char* ce = (e > b && e[-1] == '\r') ? e - 1 : e;
          canonical = static_cast<size_t>(ce - b) == wanted.size() &&
                      memcmp(b, wanted.data(), wanted.size()) == 0;
        } else if (outside.empty()) {
          outside = (m.name ? t.hostname : t.ip) +
                    " appears outside the dynamic section, at line " +
                    std::to_string(lineno) + ": " + Quote(b, e);
        }
      }
    }
    pos = next;
  }

  if (remove) {
    if (dropped.empty()) {
      if (!outside.empty()) {
        if (why) *why = outside + "; not removed (only lines between " +
                        kDynamicStart + " and " + kDynamicEnd +
                        " are ever changed)";
        return SectionEdit::kRefused;
      }
      if (why) *why = t.hostname + " is not in the hosts file";
      return SectionEdit::kNotFound;
    }
    if (why && !outside.empty()) *why = outside + "; left as it is";
  } else {
    if (!outside.empty()) {
      if (why) *why = outside + "; refusing to map " + t.hostname + " to " +
                      t.ip;
      return SectionEdit::kRefused;
    }
    if (end_marker != std::string::npos && dropped.size() == 1 && canonical) {
      if (why) *why = wanted + " is already in the dynamic section";
      return SectionEdit::kUnchanged;
    }
  }

  // Lines added before ##ENDDYNAMIC end like that marker's line; lines added
  // at the end of the file like the file's first line. Other bytes are kept.
  if (end_marker != std::string::npos) {
    size_t nl = text.find('\n', end_marker);
    eol = (nl != std::string::npos && nl > end_marker && text[nl - 1] == '\r')
              ? "\r\n"
              : "\n";
  } else if (eol.empty()) {
    eol = "\n";
  }
  const std::string line = remove ? "" : wanted + eol;

  std::string result;
  result.reserve(text.size() + line.size() + 40);
  size_t copied = 0;
  for (const Range& r : dropped) {  // all of them lie before end_marker
    result.append(text, copied, r.first - copied);
    copied = r.second;
  }
  if (end_marker != std::string::npos) {
    result.append(text, copied, end_marker - copied);
    result += line;
    result.append(text, end_marker, std::string::npos);
  } else {
    result.append(text, copied, std::string::npos);
    if (!result.empty() && result.back() != '\n') result += eol;
    if (!has_start) result += std::string(kDynamicStart) + eol;
    result += line;
    result += std::string(kDynamicEnd) + eol;
  }
  *out = std::move(result);
  return SectionEdit::kChanged;
}

}  // namespace

bool CheckDynamicHostname(const std::string& name, std::string* why) {
  std::string reason;
  std::string shown = Quote(name.data(), name.data() + name.size());
  if (!ValidHostname(name, &reason))
    return Fail(why, "bad hostname " + shown + ": " + reason);
  if (name.find_first_not_of("0123456789.") == std::string::npos)
    return Fail(why, "bad hostname " + shown +
                         ": all digits and dots, it would read as an "
                         "address");
  return true;
}

bool CheckDynamicAddress(const std::string& ip, uint32_t* addr,
                         std::string* why) {
  std::string reason;
  uint32_t a = 0;
  std::string shown = Quote(ip.data(), ip.data() + ip.size());
  if (!ParseIPv4(ip, &a, &reason))
    return Fail(why, "bad address " + shown + ": " + reason);
  unsigned first = a >> 24;
  if (first == 0 || first == 127 || first >= 224)
    return Fail(why, "bad address " + shown +
                         ": unspecified, loopback, multicast or reserved; "
                         "not a guest address");
  if (addr) *addr = a;
  return true;
}

bool GuestAddressInPlan(uint32_t net_base, uint32_t addr) {
  return (addr & 0xffff0000u) == (net_base & 0xffff0000u) &&
         (addr & 0xffu) == 2;
}

SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, std::string* out,
                           std::string* why) {
  // Checked here too, not only by the tool, so that no caller of the
  // library can write a line that breaks the file.
  Target t;
  if (!CheckDynamicHostname(hostname, why) ||
      !CheckDynamicAddress(ip, &t.addr, why))
    return SectionEdit::kInvalid;
  t.hostname = hostname;
  t.ip = ip;
  return Edit(text, t, false, out, why);
}

SectionEdit UnmapDynamicHost(const std::string& text,
                             const std::string& hostname, std::string* out,
                             std::string* why) {
  if (!CheckDynamicHostname(hostname, why)) return SectionEdit::kInvalid;
  Target t;
  t.hostname = hostname;
  return Edit(text, t, true, out, why);
}

}  // namespace runall
