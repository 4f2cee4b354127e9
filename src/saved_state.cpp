#include "saved_state.hpp"

#include <stdio.h>
#include <stdlib.h>

namespace runall {

const char kSnapshotTag[] = "runall";

namespace {

const char kMagic[] = "runall-state 1";

// A word of the stamp on one line: a backslash and a newline escaped, so
// that no argument can end its line early.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

bool Unescape(const std::string& s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      *out += s[i];
      continue;
    }
    if (++i >= s.size()) return false;
    if (s[i] == '\\')
      *out += '\\';
    else if (s[i] == 'n')
      *out += '\n';
    else
      return false;
  }
  return true;
}

std::string FormatIdentity(const FileIdentity& id) {
  return std::to_string(id.dev) + " " + std::to_string(id.ino) + " " + std::to_string(id.size) +
         " " + std::to_string(id.mtime_ns) + " " + Escape(id.path);
}

bool ParseNumber(const std::string& word, long long* out) {
  if (word.empty() || word.size() > 20) return false;
  char* end = nullptr;
  long long v = strtoll(word.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

// "DEV INO SIZE MTIME_NS PATH", the path being the rest of the line.
bool ParseIdentity(const std::string& text, FileIdentity* id) {
  long long n[4];
  size_t from = 0;
  for (long long& v : n) {
    size_t sp = text.find(' ', from);
    if (sp == std::string::npos || !ParseNumber(text.substr(from, sp - from), &v)) return false;
    from = sp + 1;
  }
  if (n[0] < 0 || n[1] < 0) return false;
  id->dev = static_cast<unsigned long long>(n[0]);
  id->ino = static_cast<unsigned long long>(n[1]);
  id->size = n[2];
  id->mtime_ns = n[3];
  return Unescape(text.substr(from), &id->path) && !id->path.empty();
}

bool SameFile(const FileIdentity& a, const FileIdentity& b) {
  return a.path == b.path && a.dev == b.dev && a.ino == b.ino && a.size == b.size &&
         a.mtime_ns == b.mtime_ns;
}

std::string Joined(const std::vector<std::string>& args, size_t from, size_t n) {
  std::string out;
  for (size_t i = from; i < from + n && i < args.size(); ++i)
    out += (out.empty() ? "" : " ") + args[i];
  return out;
}

// An option with its value, where args[i] is either: the unit a reader
// knows ("-m 256").
std::string OptionAt(const std::vector<std::string>& args, size_t i) {
  if (i >= args.size()) return "";
  size_t start = i;
  if (args[i].empty() || args[i][0] != '-') {
    if (i > 0 && !args[i - 1].empty() && args[i - 1][0] == '-') start = i - 1;
  }
  size_t n = 1;
  if (start + 1 < args.size() && !args[start].empty() && args[start][0] == '-' &&
      (args[start + 1].empty() || args[start + 1][0] != '-'))
    n = 2;
  return Joined(args, start, n);
}

}  // namespace

std::string FormatStamp(const StateStamp& stamp) {
  std::string out = std::string(kMagic) + "\n";
  out += std::string("saved ") + (stamp.saved ? "yes" : "no") + "\n";
  out += "qemu " + FormatIdentity(stamp.qemu) + "\n";
  out += "image " + FormatIdentity(stamp.image) + "\n";
  for (const std::string& a : stamp.args) out += "arg " + Escape(a) + "\n";
  return out;
}

bool ParseStamp(const std::string& text, StateStamp* stamp, std::string* err) {
  *stamp = StateStamp();
  bool have_saved = false, have_qemu = false, have_image = false;
  size_t pos = 0;
  int lineno = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      *err = "the last line is cut short";
      return false;
    }
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    auto bad = [&]() {
      *err = "line " + std::to_string(lineno) + " is not a stamp's";
      return false;
    };
    if (lineno == 1) {
      if (line != kMagic) {
        *err = "not a runall state stamp (version 1)";
        return false;
      }
      continue;
    }
    size_t sp = line.find(' ');
    if (sp == std::string::npos) return bad();
    const std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    if (key == "saved" && (value == "yes" || value == "no")) {
      stamp->saved = value == "yes";
      have_saved = true;
    } else if (key == "qemu" && ParseIdentity(value, &stamp->qemu)) {
      have_qemu = true;
    } else if (key == "image" && ParseIdentity(value, &stamp->image)) {
      have_image = true;
    } else if (key == "arg") {
      std::string arg;
      if (!Unescape(value, &arg)) return bad();
      stamp->args.push_back(arg);
    } else {
      return bad();
    }
  }
  if (lineno == 0) {
    *err = "empty";
    return false;
  }
  if (!have_saved || !have_qemu || !have_image || stamp->args.empty()) {
    *err = "incomplete";
    return false;
  }
  return true;
}

std::string DescribeArgsChange(const std::vector<std::string>& before,
                               const std::vector<std::string>& after) {
  size_t i = 0;
  while (i < before.size() && i < after.size() && before[i] == after[i]) ++i;
  if (i == before.size() && i == after.size()) return "";
  if (i == before.size()) return OptionAt(after, i) + " was added";
  if (i == after.size()) return OptionAt(before, i) + " was removed";
  // One word more or fewer at i: an option added or removed there.
  if (std::vector<std::string>(before.begin() + i, before.end()) ==
      std::vector<std::string>(after.begin() + i + 1, after.end()))
    return after[i] + " was added";
  if (std::vector<std::string>(before.begin() + i + 1, before.end()) ==
      std::vector<std::string>(after.begin() + i, after.end()))
    return before[i] + " was removed";
  if (before.size() >= i + 2 && after.size() >= i + 2 &&
      std::vector<std::string>(before.begin() + i, before.end()) ==
          std::vector<std::string>(after.begin() + i + 2, after.end()))
    return Joined(after, i, 2) + " was added";
  if (before.size() >= i + 2 && std::vector<std::string>(before.begin() + i + 2, before.end()) ==
                                    std::vector<std::string>(after.begin() + i, after.end()))
    return Joined(before, i, 2) + " was removed";
  return OptionAt(before, i) + " became " + OptionAt(after, i);
}

std::string StaleReason(const StateStamp& saved, const StateStamp& now) {
  if (!saved.saved) return "its first boot never reached the save";
  if (saved.image.path != now.image.path)
    return "the guest's disk image is now " + now.image.path + ", not " + saved.image.path;
  if (!SameFile(saved.image, now.image))
    return "the disk image " + now.image.path + " changed since the save";
  if (saved.qemu.path != now.qemu.path)
    return "QEMU is now " + now.qemu.path + ", not " + saved.qemu.path;
  if (!SameFile(saved.qemu, now.qemu)) return "QEMU (" + now.qemu.path + ") changed since the save";
  std::string change = DescribeArgsChange(saved.args, now.args);
  if (!change.empty()) return "the guest's QEMU command line changed (" + change + ")";
  return "";
}

}  // namespace runall
