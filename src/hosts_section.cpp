#include "hosts_section.hpp"

#include <arpa/inet.h>
#include <string.h>

#include <utility>
#include <vector>

#include "fail.hpp"
#include "validate.hpp"

namespace runall {

const char kDynamicStart[] = "##STARTDYNAMIC";
const char kDynamicEnd[] = "##ENDDYNAMIC";

namespace {

// Whitespace as a hosts(5) reader splits fields; '\r' is included so that
// a file with CRLF line ends matches the same way (its bytes are kept).
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

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
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a6, kMapped, sizeof kMapped) != 0) return false;
  uint32_t v4 = (uint32_t{a6[12]} << 24) | (uint32_t{a6[13]} << 16) | (uint32_t{a6[14]} << 8) |
                uint32_t{a6[15]};
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

// A line quoted in a message (see QuoteForMessage).
std::string Quote(const char* b, const char* e) {
  static const char kHex[] = "0123456789abcdef";
  std::string q = "\"";
  const char* p = b;
  for (; p < e && q.size() < 80; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    switch (c) {
      case '\t': q += "\\t"; break;
      case '\n': q += "\\n"; break;
      case '\r': q += "\\r"; break;
      case '\\': q += "\\\\"; break;
      case '"': q += "\\\""; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          q += "\\x";
          q += kHex[c >> 4];
          q += kHex[c & 15];
        } else {
          q += static_cast<char>(c);
        }
    }
  }
  if (p < e) q += "...";
  return q + "\"";
}

// The owner mark: the comment of the line is "uid=UID" and nothing else
// but blanks. Anything looser would let a line's other text decide whose
// it is; a line that does not match exactly is root's, the safe reading.
bool ParseOwner(const char* b, const char* e, uid_t* uid) {
  const char* p = static_cast<const char*>(memchr(b, '#', e - b));
  if (p == nullptr) return false;
  ++p;
  while (p < e && IsSpace(*p)) ++p;
  if (!StartsWith(p, e, "uid=")) return false;
  p += 4;
  const char* digits = p;
  uint64_t v = 0;
  while (p < e && *p >= '0' && *p <= '9' && p - digits < 11)
    v = v * 10 + static_cast<unsigned>(*p++ - '0');
  size_t n = static_cast<size_t>(p - digits);
  if (n == 0 || n > 10 || (n > 1 && *digits == '0') || v > 0xfffffffeu)
    return false;  // (uid_t)-1 is no one's
  while (p < e && IsSpace(*p)) ++p;
  if (p != e) return false;
  *uid = static_cast<uid_t>(v);
  return true;
}

// True if the line maps something: it has a first field before any '#'.
bool IsEntry(const char* b, const char* e) {
  while (b < e && IsSpace(*b)) ++b;
  return b < e && *b != '#';
}

// The line's first field as an IPv4 address, for the exception of lines
// without an owner.
bool LineAddress(const char* b, const char* e, uint32_t* addr) {
  while (b < e && IsSpace(*b)) ++b;
  const char* f = b;
  while (b < e && !IsSpace(*b) && *b != '#') ++b;
  return ParseIPv4(std::string(f, b), addr, nullptr);
}

// A range of lines to drop: [begin, next).
using Range = std::pair<size_t, size_t>;

// One line of the section the edit would drop, as the ownership rule
// needs it.
struct Dropped {
  Range range;
  unsigned lineno = 0;
  bool owned = false;  // a "# uid=" mark
  uid_t owner = 0;
  bool by_name = false;
  bool has_addr = false;  // its first field is an IPv4 address, `addr`
  uint32_t addr = 0;
  std::string quoted;
};

std::string OwnerName(const Dropped& d) {
  if (!d.owned) return "root (no \"# uid=\" mark)";
  if (d.owner == 0) return "root (uid 0)";
  return "uid " + std::to_string(d.owner);
}

// Through sudo a user may drop only a line of their own, or a line without
// an owner whose address is the guest address of one of their taps.
bool MayDrop(const Dropped& d, const SectionRules& rules) {
  if (!rules.through_sudo) return true;
  if (d.owned) return d.owner == rules.uid;
  return d.has_addr && rules.owns_guest_address && rules.owns_guest_address(d.addr);
}

SectionEdit Edit(const std::string& text, const Target& t, bool remove, const SectionRules& rules,
                 std::string* out, std::string* why) {
  const char* base = text.data();
  enum { kBefore, kInside, kAfter } state = kBefore;
  bool has_start = false;
  size_t end_marker = std::string::npos;  // offset of the ##ENDDYNAMIC line
  std::vector<Dropped> dropped;
  bool canonical = false;  // a dropped line is exactly the line we would add
  std::string outside;     // the first match outside the section, described
  std::string eol;         // line end of the first line, for appended lines
  const std::string mapping = t.ip + " " + t.hostname;
  const std::string wanted = mapping + " # uid=" + std::to_string(rules.uid);
  unsigned lineno = 0;
  unsigned entries = 0;  // lines of the section that map something
  unsigned own = 0;      // those of them that are rules.uid's

  size_t pos = 0;
  while (pos < text.size()) {
    const char* nl = static_cast<const char*>(memchr(base + pos, '\n', text.size() - pos));
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
      Dropped d;
      d.owned = state == kInside && ParseOwner(b, e, &d.owner);
      if (state == kInside && IsEntry(b, e)) {
        ++entries;
        if (d.owned && d.owner == rules.uid) ++own;
      }
      if (m.address || m.name) {
        if (state == kInside) {
          d.range = Range(pos, next);
          d.lineno = lineno;
          d.by_name = m.name;
          d.has_addr = LineAddress(b, e, &d.addr);
          d.quoted = Quote(b, e);
          dropped.push_back(d);
          const char* ce = (e > b && e[-1] == '\r') ? e - 1 : e;
          canonical = static_cast<size_t>(ce - b) == wanted.size() &&
                      memcmp(b, wanted.data(), wanted.size()) == 0;
        } else if (outside.empty()) {
          outside = (m.name ? t.hostname : t.ip) +
                    " appears outside the dynamic section, at line " + std::to_string(lineno) +
                    ": " + Quote(b, e);
        }
      }
    }
    pos = next;
  }

  const std::string refusing =
      remove ? "; not removed" : "; refusing to map " + t.hostname + " to " + t.ip;
  if (remove) {
    if (dropped.empty()) {
      if (!outside.empty()) {
        if (why)
          *why = outside + "; not removed (only lines between " + kDynamicStart + " and " +
                 kDynamicEnd + " are ever changed)";
        return SectionEdit::kRefused;
      }
      if (why) *why = t.hostname + " is not in the hosts file";
      return SectionEdit::kNotFound;
    }
  } else if (!outside.empty()) {
    if (why) *why = outside + refusing;
    return SectionEdit::kRefused;
  }

  // Whose lines these are is decided before anything else about them, so
  // that a refusal names the owner even when nothing would change.
  unsigned dropped_own = 0;
  for (const Dropped& d : dropped) {
    if (!MayDrop(d, rules)) {
      if (why)
        *why = (d.by_name ? t.hostname : t.ip) + " is mapped at line " + std::to_string(d.lineno) +
               " by " + OwnerName(d) + ": " + d.quoted +
               "; only its owner or root may change that line" + refusing;
      return SectionEdit::kRefused;
    }
    if (d.owned && d.owner == rules.uid) ++dropped_own;
  }

  if (remove) {
    if (why && !outside.empty()) *why = outside + "; left as it is";
  } else {
    if (end_marker != std::string::npos && dropped.size() == 1 && canonical) {
      if (why) *why = mapping + " is already in the dynamic section";
      return SectionEdit::kUnchanged;
    }
    // The limits bound what one mapping adds; replacing lines never grows
    // the section, so a user at a limit can still move their own names.
    if (rules.through_sudo && dropped_own == 0 && own >= rules.max_per_user) {
      if (why)
        *why = "uid " + std::to_string(rules.uid) + " already owns " + std::to_string(own) +
               " lines of the dynamic section, and " +
               "hosts_max_per_user = " + std::to_string(rules.max_per_user) + refusing +
               " (remove one first with -d)";
      return SectionEdit::kRefused;
    }
    if (rules.through_sudo && dropped.empty() && entries >= rules.max_entries) {
      if (why)
        *why = "the dynamic section already holds " + std::to_string(entries) +
               " lines, and hosts_max_entries = " + std::to_string(rules.max_entries) + refusing;
      return SectionEdit::kRefused;
    }
  }

  // Lines added before ##ENDDYNAMIC end like that marker's line; lines added
  // at the end of the file like the file's first line. Other bytes are kept.
  if (end_marker != std::string::npos) {
    size_t nl = text.find('\n', end_marker);
    eol = (nl != std::string::npos && nl > end_marker && text[nl - 1] == '\r') ? "\r\n" : "\n";
  } else if (eol.empty()) {
    eol = "\n";
  }
  const std::string line = remove ? "" : wanted + eol;

  std::string result;
  result.reserve(text.size() + line.size() + 40);
  size_t copied = 0;
  for (const Dropped& d : dropped) {  // all of them lie before end_marker
    result.append(text, copied, d.range.first - copied);
    copied = d.range.second;
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

bool ParseLineOwner(const std::string& line, uid_t* uid) {
  return ParseOwner(line.data(), line.data() + line.size(), uid);
}

std::string QuoteForMessage(const std::string& text) {
  return Quote(text.data(), text.data() + text.size());
}

bool CheckDynamicHostname(const std::string& name, std::string* why) {
  std::string reason;
  std::string shown = Quote(name.data(), name.data() + name.size());
  if (!ValidHostname(name, &reason)) return Fail(why, "bad hostname " + shown + ": " + reason);
  if (name.find_first_not_of("0123456789.") == std::string::npos)
    return Fail(why, "bad hostname " + shown +
                         ": all digits and dots, it would read as an "
                         "address");
  return true;
}

bool CheckDynamicAddress(const std::string& ip, uint32_t* addr, std::string* why) {
  std::string reason;
  uint32_t a = 0;
  std::string shown = Quote(ip.data(), ip.data() + ip.size());
  if (!ParseIPv4(ip, &a, &reason)) return Fail(why, "bad address " + shown + ": " + reason);
  unsigned first = a >> 24;
  if (first == 0 || first == 127 || first >= 224)
    return Fail(why, "bad address " + shown +
                         ": unspecified, loopback, multicast or reserved; "
                         "not a guest address");
  if (addr) *addr = a;
  return true;
}

bool GuestAddressInPlan(uint32_t net_base, uint32_t addr) {
  return (addr & 0xffff0000u) == (net_base & 0xffff0000u) && (addr & 0xffu) == 2;
}

SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, const SectionRules& rules, std::string* out,
                           std::string* why) {
  // Checked here too, not only by the tool, so that no caller of the
  // library can write a line that breaks the file.
  Target t;
  if (!CheckDynamicHostname(hostname, why) || !CheckDynamicAddress(ip, &t.addr, why))
    return SectionEdit::kInvalid;
  t.hostname = hostname;
  t.ip = ip;
  return Edit(text, t, false, rules, out, why);
}

SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, std::string* out, std::string* why) {
  return MapDynamicHost(text, hostname, ip, SectionRules(), out, why);
}

SectionEdit UnmapDynamicHost(const std::string& text, const std::string& hostname,
                             const SectionRules& rules, std::string* out, std::string* why) {
  if (!CheckDynamicHostname(hostname, why)) return SectionEdit::kInvalid;
  Target t;
  t.hostname = hostname;
  return Edit(text, t, true, rules, out, why);
}

SectionEdit UnmapDynamicHost(const std::string& text, const std::string& hostname, std::string* out,
                             std::string* why) {
  return UnmapDynamicHost(text, hostname, SectionRules(), out, why);
}

}  // namespace runall
