#include "guest_config.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <map>

#include "fail.hpp"
#include "file_io.hpp"
#include "validate.hpp"

namespace runall {

namespace {

// What an architecture needs by default. Virtio devices sit on PCI
// everywhere except s390x, which has no PCI by default but channel I/O.
struct ArchDefaults {
  const char* arch;
  const char* qemu;
  const char* machine;
  const char* cpu;
  const char* bus;
};

const ArchDefaults kArches[] = {
    {"x86_64", "qemu-system-x86_64", "", "", "pci"},
    {"i386", "qemu-system-i386", "", "", "pci"},
    // QEMU's virt board would otherwise get a 32-bit Cortex-A15.
    {"aarch64", "qemu-system-aarch64", "virt", "max", "pci"},
    {"arm", "qemu-system-arm", "virt", "", "pci"},
    {"riscv64", "qemu-system-riscv64", "virt", "", "pci"},
    {"ppc64", "qemu-system-ppc64", "pseries", "", "pci"},
    {"ppc64le", "qemu-system-ppc64", "pseries", "", "pci"},
    {"s390x", "qemu-system-s390x", "s390-ccw-virtio", "", "ccw"},
};

const ArchDefaults* FindArch(const std::string& arch) {
  for (const auto& a : kArches)
    if (arch == a.arch) return &a;
  return nullptr;
}

std::string KnownArches() {
  std::string list;
  for (const auto& a : kArches) list += (list.empty() ? "" : ", ") + std::string(a.arch);
  return list;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && IsBlank(s[b])) ++b;
  while (e > b && IsBlank(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A token of letters, digits and the punctuation QEMU uses in device and
// machine names and their properties, with no blank in it.
bool IsToken(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (IsBlank(c) || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace

bool IsModelName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

// QEMU option values are comma-separated; a comma inside a value is
// written twice.
std::string EscapeCommas(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// A "name = value" line: it starts with a lower-case identifier followed by
// '='. Every QEMU option line starts with '-', so the two never mix.
bool SplitSettingLine(const std::string& line, std::string* name,
                      std::string* value) {
  size_t i = 0;
  if (line.empty() || !((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_'))
    return false;
  while (i < line.size() && ((line[i] >= 'a' && line[i] <= 'z') ||
                             (line[i] >= '0' && line[i] <= '9') ||
                             line[i] == '_'))
    ++i;
  size_t eq = i;
  while (eq < line.size() && IsBlank(line[eq])) ++eq;
  if (eq >= line.size() || line[eq] != '=') return false;
  *name = line.substr(0, i);
  std::string rest = line.substr(eq + 1);
  // As in option lines, a '#' after a blank starts a comment.
  for (size_t k = 0; k < rest.size(); ++k) {
    if (rest[k] == '#' && (k == 0 || IsBlank(rest[k - 1]))) {
      rest.resize(k);
      break;
    }
  }
  *value = Trim(rest);
  return true;
}

// The image format QEMU should be told, from the file name's extension;
// anything unknown is a raw image, as the article's .img files were.
std::string FormatFromExtension(const std::string& image) {
  size_t slash = image.rfind('/');
  size_t dot = image.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "raw";
  std::string ext = Lower(image.substr(dot + 1));
  if (ext == "qcow2" || ext == "qcow" || ext == "vmdk" || ext == "vdi" ||
      ext == "vhdx" || ext == "qed")
    return ext;
  if (ext == "vhd" || ext == "vpc") return "vpc";
  return "raw";
}

bool ParseSeconds(const std::string& text, unsigned* out) {
  unsigned long n = 0;
  if (!ParseUnsigned(text, 10UL * 365 * 24 * 3600, &n) || n == 0) return false;
  *out = static_cast<unsigned>(n);
  return true;
}

// memsize: MiB as in the article ("64"), or with an M or G suffix.
bool ParseMemory(const std::string& text, unsigned* mib) {
  std::string digits = text;
  unsigned long factor = 1;
  if (!digits.empty()) {
    char last = digits.back();
    if (last == 'M' || last == 'm') {
      digits.pop_back();
    } else if (last == 'G' || last == 'g') {
      digits.pop_back();
      factor = 1024;
    }
  }
  unsigned long n = 0;
  if (!ParseUnsigned(digits, 1UL << 24, &n) || n == 0 || n * factor > (1UL << 24))
    return false;
  *mib = static_cast<unsigned>(n * factor);
  return true;
}

// The option name of a QEMU argument, with QEMU's optional second dash
// removed ("--netdev" is "-netdev"); empty if it is not an option.
std::string OptionName(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return "";
  if (word[1] == '-') return word.substr(1);
  return word;
}

bool LinesHaveOption(const GuestRecord& r,
                     std::initializer_list<const char*> names) {
  for (const auto& line : r.option_lines)
    for (const auto& word : line) {
      std::string opt = OptionName(word);
      for (const char* n : names)
        if (opt == n) return true;
    }
  return false;
}

class Parser {
 public:
  Parser(const std::string& filename, const Settings& settings,
         std::vector<GuestRecord>* records, std::string* err)
      : filename_(filename), settings_(settings), records_(records), err_(err) {}

  bool Run(const std::string& text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string line = Trim(text.substr(pos, nl - pos));
      pos = nl + 1;
      ++lineno_;
      if (line.empty()) {
        // A blank line ends the record; more blank lines change nothing.
        if (in_record_ && !Finish()) return false;
        in_record_ = false;
        continue;
      }
      // The article's test: a line whose first non-blank character is '#'
      // is a comment, also in the middle of a record.
      if (line[0] == '#') continue;
      bool ok = in_record_ ? RecordLine(line) : FirstLine(line);
      if (!ok) return false;
    }
    // Forgiving where the article was not: the last record may end at the
    // end of the file.
    if (in_record_ && !Finish()) return false;
    return true;
  }

 private:
  bool Fail(const std::string& what) { return FailAt(lineno_, what); }
  bool FailAt(unsigned line, const std::string& what) {
    *err_ = filename_ + ":" + std::to_string(line) + ": " + what;
    return false;
  }

  bool FirstLine(const std::string& line) {
    std::string name, value;
    if (SplitSettingLine(line, &name, &value))
      return Fail("\"" + name + " = ...\" must follow the first line of a "
                  "record (hostname imgfile ...)");
    std::vector<std::string> f;
    std::string why;
    if (!SplitWords(line, &f, &why)) return Fail(why);
    if (f.empty()) return true;  // only a comment after blanks
    r_ = GuestRecord();
    r_.line = lineno_;
    r_.start_timeout = settings_.start_timeout;
    r_.stop_timeout = settings_.stop_timeout;
    set_at_.clear();
    const std::string& host = f[0];
    if (!ValidHostname(host, &why)) {
      std::string msg = "invalid hostname \"" + host + "\": " + why;
      if (host[0] == '-')
        msg += " (an option line must follow its record's first line, "
               "without a blank line between)";
      return Fail(msg);
    }
    for (const auto& seen : *records_)
      if (Lower(seen.hostname) == Lower(host))
        return Fail("duplicate hostname \"" + host + "\" (first at line " +
                    std::to_string(seen.line) + ")");
    r_.hostname = host;
    if (f.size() < 2) return Fail("record for " + host + ": missing imgfile");
    r_.image = f[1][0] == '/' ? f[1] : settings_.image_dir + "/" + f[1];
    // "-" stands for the default, so that a later field can be given
    // without the earlier ones; a field left off at the end is a default
    // too, as in the article's script.
    if (f.size() > 2 && f[2] != "-" && !ParseSeconds(f[2], &r_.start_timeout))
      return Fail("record for " + host + ": starttimeout \"" + f[2] +
                  "\" is not a positive number of seconds");
    if (f.size() > 3 && f[3] != "-" && !ParseSeconds(f[3], &r_.stop_timeout))
      return Fail("record for " + host + ": stoptimeout \"" + f[3] +
                  "\" is not a positive number of seconds");
    if (f.size() > 4 && f[4] != "-" && !ParseMemory(f[4], &r_.memory_mib))
      return Fail("record for " + host + ": memsize \"" + f[4] +
                  "\" is not a size in MiB (a number, or with M or G)");
    if (f.size() > 5) {
      if (f[5] != "L")
        return Fail("record for " + host + ": unknown flag \"" + f[5] +
                    "\" (the only flag is L: guest clock in local time)");
      r_.local_time = true;
    }
    if (f.size() > 6)
      return Fail("record for " + host + ": unexpected field \"" + f[6] +
                  "\" after the L flag");
    in_record_ = true;
    return true;
  }

  bool RecordLine(const std::string& line) {
    std::string name, value;
    if (SplitSettingLine(line, &name, &value)) return Setting(name, value);
    std::vector<std::string> words;
    std::string why;
    if (!SplitWords(line, &words, &why)) return Fail(why);
    for (const auto& w : words)
      if (OptionName(w) == "-daemonize")
        return Fail("-daemonize would give QEMU another pid; runall needs "
                    "the pid runqemuos started");
    if (!words.empty()) r_.option_lines.push_back(words);
    return true;
  }

  bool Setting(const std::string& name, const std::string& value) {
    auto seen = set_at_.find(name);
    if (seen != set_at_.end())
      return Fail(name + " is set twice in the record of " + r_.hostname +
                  " (first at line " + std::to_string(seen->second) + ")");
    set_at_[name] = lineno_;
    if (value.empty()) return Fail(name + " needs a value");
    std::string bad = "bad value for " + name + ": \"" + value + "\"";
    if (name == "arch") {
      if (!FindArch(value)) return Fail(bad + " (known: " + KnownArches() + ")");
      r_.arch = value;
    } else if (name == "qemu") {
      if (value[0] == '-') return Fail(bad + " (a program name or path)");
      r_.qemu = value;
    } else if (name == "machine") {
      if (!IsToken(value)) return Fail(bad);
      r_.machine = value;
    } else if (name == "cpu") {
      if (!IsToken(value)) return Fail(bad);
      r_.cpu = value;
    } else if (name == "nic") {
      if (!IsModelName(value)) return Fail(bad + " (a QEMU NIC model, or none)");
      r_.nic = value;
    } else if (name == "mac") {
      if (!ValidMac(value))
        return Fail(bad + " (six hex pairs joined by ':', unicast)");
      r_.mac = Lower(value);
    } else if (name == "image_format") {
      if (!IsModelName(value)) return Fail(bad);
      r_.image_format = value;
    } else if (name == "drive_if") {
      static const char* const kIfs[] = {"virtio", "ide",    "scsi", "sd",
                                         "mtd",    "floppy", "pflash", "none"};
      if (std::find_if(std::begin(kIfs), std::end(kIfs), [&](const char* i) {
            return value == i;
          }) == std::end(kIfs))
        return Fail(bad + " (virtio, ide, scsi, sd, mtd, floppy, pflash or "
                          "none)");
      r_.drive_if = value;
    } else if (name == "share") {
      if (value != "9p" && value != "none") return Fail(bad + " (9p or none)");
      r_.share = value;
    } else if (name == "rng") {
      if (!IsModelName(value)) return Fail(bad + " (a QEMU RNG device, or none)");
      r_.rng = value;
    } else if (name == "display") {
      if (!IsToken(value)) return Fail(bad);
      r_.display = value;
    } else if (name == "shutdown") {
      r_.shutdown = value;
    } else if (name == "boot_signal") {
      if (value == "upfile")
        r_.boot_signal = BootSignal::kUpFile;
      else if (value == "ssh")
        r_.boot_signal = BootSignal::kSsh;
      else
        return Fail(bad + " (upfile or ssh)");
    } else if (name == "console_log") {
      if (value[0] != '/') return Fail(name + " must be an absolute path");
      r_.console_log = value;
    } else {
      return Fail("unknown setting \"" + name + "\"");
    }
    return true;
  }

  // Fills in what the record left to its architecture and checks what only
  // the whole record can tell.
  bool Finish() {
    const ArchDefaults* a = FindArch(r_.arch);
    const std::string bus = a->bus;
    if (r_.qemu.empty()) r_.qemu = a->qemu;
    if (r_.machine.empty()) r_.machine = a->machine;
    if (r_.cpu.empty()) r_.cpu = a->cpu;
    if (r_.nic.empty()) r_.nic = "virtio-net-" + bus;
    if (r_.mac.empty()) r_.mac = MacForHostname(r_.hostname);
    if (r_.image_format.empty()) r_.image_format = FormatFromExtension(r_.image);
    if (r_.drive_if.empty()) r_.drive_if = "virtio";
    if (r_.share.empty()) r_.share = "none";
    if (r_.rng.empty()) r_.rng = "virtio-rng-" + bus;
    if (r_.share == "9p") {
      std::string own = settings_.rw_host_base + "/" + r_.hostname;
      if (own == settings_.common_ro_host || own == settings_.common_rw_host)
        return FailAt(r_.line, "hostname " + r_.hostname +
                                   ": its read-write directory " + own +
                                   " would be a common shared directory");
    }
    records_->push_back(r_);
    return true;
  }

  const std::string& filename_;
  const Settings& settings_;
  std::vector<GuestRecord>* records_;
  std::string* err_;
  unsigned lineno_ = 0;
  bool in_record_ = false;
  GuestRecord r_;
  std::map<std::string, unsigned> set_at_;
};

}  // namespace

bool SplitWords(const std::string& line, std::vector<std::string>* words,
                std::string* why) {
  words->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n) break;
    if (line[i] == '#') break;  // a comment, as the article's eval saw it
    std::string word;
    while (i < n && !IsBlank(line[i])) {
      char c = line[i];
      if (c == '\'') {
        size_t close = line.find('\'', i + 1);
        if (close == std::string::npos) {
          if (why) *why = "unterminated ' quote";
          return false;
        }
        word += line.substr(i + 1, close - i - 1);
        i = close + 1;
      } else if (c == '"') {
        ++i;
        while (i < n && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < n &&
              (line[i + 1] == '"' || line[i + 1] == '\\'))
            ++i;
          word += line[i++];
        }
        if (i >= n) {
          if (why) *why = "unterminated \" quote";
          return false;
        }
        ++i;
      } else if (c == '\\' && i + 1 < n) {
        word += line[i + 1];
        i += 2;
      } else {
        word += c;
        ++i;
      }
    }
    words->push_back(word);
  }
  return true;
}

bool ParseGuestConfig(const std::string& text, const std::string& filename,
                      const Settings& settings,
                      std::vector<GuestRecord>* records, std::string* err) {
  records->clear();
  Parser parser(filename, settings, records, err);
  return parser.Run(text);
}

bool LoadGuestConfig(const std::string& path, const Settings& settings,
                     std::vector<GuestRecord>* records, std::string* err) {
  return LoadGuestConfig(path, settings, false, records, err);
}

bool LoadGuestConfig(const std::string& path, const Settings& settings,
                     bool privileged, std::vector<GuestRecord>* records,
                     std::string* err) {
  FileCheck check;
  check.follow = !privileged;
  check.root_owned = privileged;
  std::string text;
  if (!ReadFileText(path, check, &text, err)) return false;
  return ParseGuestConfig(text, path, settings, records, err);
}

std::string MacForHostname(const std::string& hostname) {
  // FNV-1a over the lower-cased name: hostnames are case-insensitive, and
  // the hash is defined on bytes, so every host computes the same address.
  uint32_t h = 2166136261u;
  for (char c : Lower(hostname)) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  uint32_t low = (h >> 24) ^ (h & 0xffffffu);
  char mac[18];
  snprintf(mac, sizeof mac, "52:54:00:%02x:%02x:%02x", (low >> 16) & 0xff,
           (low >> 8) & 0xff, low & 0xff);
  return mac;
}

bool ValidMac(const std::string& mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    char c = mac[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  // The low bit of the first octet marks a multicast address, which no
  // card may have.
  unsigned first = static_cast<unsigned>(std::stoul(mac.substr(0, 2), nullptr, 16));
  return (first & 1u) == 0;
}

QemuCommand BuildQemuArgv(const GuestRecord& r, const Settings& settings) {
  QemuCommand cmd;
  std::vector<std::string>& a = cmd.argv;
  const ArchDefaults* arch = FindArch(r.arch);
  const std::string bus = arch ? arch->bus : "pci";
  a.push_back(r.qemu);
  // Settings the option lines give themselves are left to them.
  if (!r.machine.empty() && !LinesHaveOption(r, {"-M", "-machine"}))
    a.insert(a.end(), {"-machine", r.machine});
  if (!r.cpu.empty() && !LinesHaveOption(r, {"-cpu"}))
    a.insert(a.end(), {"-cpu", r.cpu});
  if (r.memory_mib != 0) a.insert(a.end(), {"-m", std::to_string(r.memory_mib)});
  if (r.local_time) a.insert(a.end(), {"-rtc", "base=localtime"});
  std::string drive = "file=" + EscapeCommas(r.image) + ",format=" +
                      r.image_format + ",if=" + r.drive_if;
  // With if=none the disk is attached by an option line's -device, which
  // needs an id to name it.
  if (r.drive_if == "none") drive += ",id=disk0";
  a.insert(a.end(), {"-drive", drive});
  if (r.share == "9p") {
    struct {
      const char* tag;
      std::string path;
      bool readonly;
    } const shares[] = {
        {"common_ro", settings.common_ro_host, true},
        {"rw", settings.rw_host_base + "/" + r.hostname, false},
        {"common_rw", settings.common_rw_host, false},
    };
    for (const auto& s : shares) {
      // security_model=none: the guest sees the host's owners and modes,
      // and files it creates belong to the user running QEMU - the same
      // user as the guest's test user, per the article's contract.
      std::string id = std::string("runall_") + s.tag;
      a.insert(a.end(), {"-fsdev", "local,id=" + id + ",path=" +
                                       EscapeCommas(s.path) +
                                       ",security_model=none" +
                                       (s.readonly ? ",readonly=on" : "")});
      a.insert(a.end(), {"-device", "virtio-9p-" + bus + ",fsdev=" + id +
                                        ",mount_tag=" + s.tag});
    }
  }
  if (r.rng != "none") a.insert(a.end(), {"-device", r.rng});
  if (r.display == "nographic")
    a.push_back("-nographic");
  else if (!r.display.empty())
    a.insert(a.end(), {"-display", r.display});
  for (const auto& line : r.option_lines) a.insert(a.end(), line.begin(), line.end());
  bool own_network = LinesHaveOption(r, {"-net", "-netdev", "-nic"});
  if (r.nic == "none") {
    // Without this QEMU would give the guest its default user-mode network.
    if (!own_network) a.insert(a.end(), {"-nic", "none"});
  } else if (!own_network) {
    cmd.nic = r.nic;
    cmd.mac = r.mac;
  }
  cmd.image = r.image;
  return cmd;
}

std::vector<std::string> NetworkArgs(const std::string& nic,
                                     const std::string& mac, int tap_fd) {
  return {"-netdev", "tap,id=runall0,fd=" + std::to_string(tap_fd), "-device",
          nic + ",netdev=runall0,mac=" + mac};
}

std::vector<std::string> SharedDirectories(const GuestRecord& record,
                                           const Settings& settings) {
  if (record.share != "9p") return {};
  return {settings.common_ro_host,
          settings.rw_host_base + "/" + record.hostname,
          settings.common_rw_host};
}

std::vector<std::string> RunqemuosArgs(const GuestRecord& record,
                                       const QemuCommand& cmd,
                                       const Settings& settings) {
  std::vector<std::string> args = {"-i", cmd.image};
  if (!cmd.nic.empty()) args.insert(args.end(), {"-N", cmd.nic, "-M", cmd.mac});
  args.insert(args.end(),
              {record.hostname, settings.hostname_dir, settings.launch_dir});
  args.insert(args.end(), cmd.argv.begin(), cmd.argv.end());
  return args;
}

}  // namespace runall
