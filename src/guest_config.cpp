#include "guest_config.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <map>

#include "accel.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "qemu_args.hpp"
#include "validate.hpp"

namespace runall {

namespace {

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

// A "name = value" line: it starts with a lower-case identifier followed by
// '='. Every QEMU option line starts with '-', so the two never mix.
bool SplitSettingLine(const std::string& line, std::string* name, std::string* value) {
  size_t i = 0;
  if (line.empty() || !((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_')) return false;
  while (i < line.size() && ((line[i] >= 'a' && line[i] <= 'z') ||
                             (line[i] >= '0' && line[i] <= '9') || line[i] == '_'))
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
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "raw";
  std::string ext = Lower(image.substr(dot + 1));
  if (ext == "qcow2" || ext == "qcow" || ext == "vmdk" || ext == "vdi" || ext == "vhdx" ||
      ext == "qed")
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
  if (!ParseUnsigned(digits, 1UL << 24, &n) || n == 0 || n * factor > (1UL << 24)) return false;
  *mib = static_cast<unsigned>(n * factor);
  return true;
}

class Parser {
 public:
  Parser(const std::string& filename, const Settings& settings, std::vector<GuestRecord>* records,
         std::string* err)
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
  // An error at the line being read, or at `line`: "FILE:LINE: what".
  bool Error(const std::string& what) { return ErrorAt(lineno_, what); }
  bool ErrorAt(unsigned line, const std::string& what) {
    *err_ = filename_ + ":" + std::to_string(line) + ": " + what;
    return false;
  }

  bool FirstLine(const std::string& line) {
    std::string name, value;
    if (SplitSettingLine(line, &name, &value))
      return Error("\"" + name +
                   " = ...\" must follow the first line of a "
                   "record (hostname imgfile ...)");
    std::vector<std::string> f;
    std::string why;
    if (!SplitWords(line, &f, &why)) return Error(why);
    if (f.empty()) return true;  // only a comment after blanks
    record_ = GuestRecord();
    record_.line = lineno_;
    record_.start_timeout = settings_.start_timeout;
    record_.stop_timeout = settings_.stop_timeout;
    record_.network = settings_.network;
    record_.accel = settings_.accel;
    record_.resume = settings_.resume;
    set_at_.clear();
    const std::string& host = f[0];
    if (!ValidHostname(host, &why)) {
      std::string msg = "invalid hostname \"" + host + "\": " + why;
      if (host[0] == '-')
        msg +=
            " (an option line must follow its record's first line, "
            "without a blank line between)";
      return Error(msg);
    }
    for (const auto& seen : *records_)
      if (Lower(seen.hostname) == Lower(host))
        return Error("duplicate hostname \"" + host + "\" (first at line " +
                     std::to_string(seen.line) + ")");
    record_.hostname = host;
    if (f.size() < 2) return Error("record for " + host + ": missing imgfile");
    record_.image = f[1][0] == '/' ? f[1] : settings_.image_dir + "/" + f[1];
    // "-" stands for the default, so that a later field can be given
    // without the earlier ones; a field left off at the end is a default
    // too, as in the article's script.
    if (f.size() > 2 && f[2] != "-" && !ParseSeconds(f[2], &record_.start_timeout))
      return Error("record for " + host + ": starttimeout \"" + f[2] +
                   "\" is not a positive number of seconds");
    if (f.size() > 3 && f[3] != "-" && !ParseSeconds(f[3], &record_.stop_timeout))
      return Error("record for " + host + ": stoptimeout \"" + f[3] +
                   "\" is not a positive number of seconds");
    if (f.size() > 4 && f[4] != "-" && !ParseMemory(f[4], &record_.memory_mib))
      return Error("record for " + host + ": memsize \"" + f[4] +
                   "\" is not a size in MiB (a number, or with M or G)");
    if (f.size() > 5) {
      if (f[5] != "L")
        return Error("record for " + host + ": unknown flag \"" + f[5] +
                     "\" (the only flag is L: guest clock in local time)");
      record_.local_time = true;
    }
    if (f.size() > 6)
      return Error("record for " + host + ": unexpected field \"" + f[6] + "\" after the L flag");
    in_record_ = true;
    return true;
  }

  bool RecordLine(const std::string& line) {
    std::string name, value;
    if (SplitSettingLine(line, &name, &value)) return Setting(name, value);
    std::vector<std::string> words;
    std::string why;
    if (!SplitWords(line, &words, &why)) return Error(why);
    if (!CheckQemuArgs(words, &why)) return Error(why);
    if (!words.empty()) record_.option_lines.push_back(words);
    return true;
  }

  bool Setting(const std::string& name, const std::string& value) {
    auto seen = set_at_.find(name);
    if (seen != set_at_.end())
      return Error(name + " is set twice in the record of " + record_.hostname +
                   " (first at line " + std::to_string(seen->second) + ")");
    set_at_[name] = lineno_;
    if (value.empty()) return Error(name + " needs a value");
    std::string bad = "bad value for " + name + ": \"" + value + "\"";
    if (name == "arch") {
      if (!FindQemuArch(value)) return Error(bad + " (known: " + KnownQemuArches() + ")");
      record_.arch = value;
    } else if (name == "qemu") {
      if (value[0] == '-') return Error(bad + " (a program name or path)");
      record_.qemu = value;
    } else if (name == "machine") {
      if (!IsToken(value)) return Error(bad);
      record_.machine = value;
    } else if (name == "cpu") {
      if (!IsToken(value)) return Error(bad);
      record_.cpu = value;
    } else if (name == "nic") {
      if (!IsModelName(value)) return Error(bad + " (a QEMU NIC model, or none)");
      record_.nic = value;
    } else if (name == "mac") {
      if (!ValidMac(value)) return Error(bad + " (six hex pairs joined by ':', unicast)");
      record_.mac = Lower(value);
    } else if (name == "image_format") {
      if (!IsModelName(value)) return Error(bad);
      record_.image_format = value;
    } else if (name == "drive_if") {
      static const char* const kIfs[] = {"virtio", "ide",    "scsi",   "sd",
                                         "mtd",    "floppy", "pflash", "none"};
      if (std::find_if(std::begin(kIfs), std::end(kIfs),
                       [&](const char* i) { return value == i; }) == std::end(kIfs))
        return Error(bad +
                     " (virtio, ide, scsi, sd, mtd, floppy, pflash or "
                     "none)");
      record_.drive_if = value;
    } else if (name == "share") {
      if (value != "9p" && value != "none") return Error(bad + " (9p or none)");
      record_.share = value;
    } else if (name == "rng") {
      if (!IsModelName(value)) return Error(bad + " (a QEMU RNG device, or none)");
      record_.rng = value;
    } else if (name == "display") {
      if (!IsToken(value)) return Error(bad);
      record_.display = value;
    } else if (name == "shutdown") {
      record_.shutdown = value;
    } else if (name == "boot_signal") {
      if (value == "upfile")
        record_.boot_signal = BootSignal::kUpFile;
      else if (value == "ssh")
        record_.boot_signal = BootSignal::kSsh;
      else
        return Error(bad + " (upfile or ssh)");
    } else if (name == "network") {
      if (!ParseNetworkMode(value, &record_.network)) return Error(bad + " (tap or user)");
    } else if (name == "ssh_port") {
      unsigned long port = 0;
      if (!ParseUnsigned(value, 65535, &port) || port == 0)
        return Error(bad + " (a port number from 1 to 65535)");
      record_.ssh_port = static_cast<unsigned>(port);
    } else if (name == "accel") {
      if (!ValidAccelSetting(value))
        return Error(bad + " (auto, kvm, tcg, hvf, whpx, nvmm, xen or hax)");
      record_.accel = value;
    } else if (name == "resume") {
      if (!ParseResumeMode(value, &record_.resume)) return Error(bad + " (yes, no or throwaway)");
    } else if (name == "console_log") {
      if (value[0] != '/') return Error(name + " must be an absolute path");
      record_.console_log = value;
    } else {
      return Error("unknown setting \"" + name + "\"");
    }
    return true;
  }

  // Fills in what the record left to its architecture and checks what only
  // the whole record can tell.
  bool Finish() {
    const QemuArch* a = FindQemuArch(record_.arch);
    const std::string bus = a->bus;
    if (record_.qemu.empty()) record_.qemu = a->qemu;
    if (record_.machine.empty()) record_.machine = a->machine;
    if (record_.cpu.empty()) record_.cpu = a->cpu;
    if (record_.nic.empty()) record_.nic = "virtio-net-" + bus;
    if (record_.mac.empty()) record_.mac = MacForHostname(record_.hostname);
    if (record_.image_format.empty()) record_.image_format = FormatFromExtension(record_.image);
    if (record_.drive_if.empty()) record_.drive_if = "virtio";
    if (record_.share.empty()) record_.share = "none";
    if (record_.rng.empty()) record_.rng = "virtio-rng-" + bus;
    if (record_.share == "9p") {
      std::string own = settings_.rw_host_base + "/" + record_.hostname;
      if (own == settings_.common_ro_host || own == settings_.common_rw_host)
        return ErrorAt(record_.line, "hostname " + record_.hostname +
                                         ": its read-write directory " + own +
                                         " would be a common shared directory");
    }
    if (!CheckNetwork()) return false;
    records_->push_back(record_);
    return true;
  }

  // What the user-mode network cannot do, refused before anything runs:
  // in it runall adds the card and learns the port ssh goes to, so a
  // record must leave both to it.
  bool CheckNetwork() {
    const std::string& host = record_.hostname;
    auto at = [this](const char* name) {
      auto it = set_at_.find(name);
      return it == set_at_.end() ? record_.line : it->second;
    };
    if (record_.network != NetworkMode::kUser) {
      if (record_.ssh_port != 0)
        return ErrorAt(at("ssh_port"), "record for " + host +
                                           ": ssh_port is for network = "
                                           "user (a tap guest is reached at "
                                           "its own address)");
      return true;
    }
    const std::string mode = set_at_.count("network")
                                 ? std::string("network = user")
                                 : std::string("network = user (the default of the settings)");
    std::vector<std::string> own;
    for (const auto& line : record_.option_lines) own.insert(own.end(), line.begin(), line.end());
    if (HasQemuOption(own, {"-net", "-netdev", "-nic"}))
      return ErrorAt(record_.line, "record for " + host + ": " + mode +
                                       ", but its option lines bring their own network "
                                       "(-net, -netdev or -nic): runall adds the card and "
                                       "forwards ssh to it itself; remove them, or set "
                                       "network = tap");
    if (record_.ssh_port == 0 && ArgsHaveQmpMonitor(own))
      return ErrorAt(record_.line, "record for " + host + ": " + mode +
                                       ", but its option lines bring their own QMP monitor "
                                       "(-qmp, -mon mode=control), and runall learns the "
                                       "forwarded ssh port from its own: remove them, or "
                                       "set ssh_port");
    if (record_.nic == "none")
      return ErrorAt(at("nic"), "record for " + host + ": " + mode +
                                    " needs a network card, and nic = none "
                                    "gives it none");
    if (host.size() > kUserNetHostnameMax)
      return ErrorAt(record_.line, "record for " + host + ": " + mode +
                                       ": QEMU's DHCP "
                                       "server gives a guest at most " +
                                       std::to_string(kUserNetHostnameMax) +
                                       " characters of its name, and this one has " +
                                       std::to_string(host.size()) +
                                       " (~/hostname would not answer it)");
    if (record_.ssh_port != 0) {
      for (const auto& seen : *records_)
        if (seen.network == NetworkMode::kUser && seen.ssh_port == record_.ssh_port)
          return ErrorAt(at("ssh_port"), "record for " + host + ": ssh_port " +
                                             std::to_string(record_.ssh_port) +
                                             " is also the ssh_port of " + seen.hostname +
                                             " (line " + std::to_string(seen.line) + ")");
    }
    return true;
  }

  const std::string& filename_;
  const Settings& settings_;
  std::vector<GuestRecord>* records_;
  std::string* err_;
  unsigned lineno_ = 0;
  bool in_record_ = false;
  GuestRecord record_;
  std::map<std::string, unsigned> set_at_;
};

}  // namespace

bool SplitWords(const std::string& line, std::vector<std::string>* words, std::string* why) {
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
          if (line[i] == '\\' && i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\')) ++i;
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
                      const Settings& settings, std::vector<GuestRecord>* records,
                      std::string* err) {
  records->clear();
  Parser parser(filename, settings, records, err);
  return parser.Run(text);
}

bool LoadGuestConfig(const std::string& path, const Settings& settings,
                     std::vector<GuestRecord>* records, std::string* err) {
  return LoadGuestConfig(path, settings, false, records, err);
}

bool LoadGuestConfig(const std::string& path, const Settings& settings, bool privileged,
                     std::vector<GuestRecord>* records, std::string* err) {
  FileCheck check;
  check.follow = !privileged;
  check.root_owned = privileged;
  std::string text;
  if (!ReadFileText(path, check, &text, err)) return false;
  return ParseGuestConfig(text, path, settings, records, err);
}

}  // namespace runall
