#include "accel_memory.hpp"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <vector>

#include "fail.hpp"
#include "file_io.hpp"
#include "process.hpp"      // FindInPath
#include "qemu_launch.hpp"  // WriteFileAtomically

namespace runall {

namespace {

const char kTag[] = "kvm-failed";

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    fields.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  return fields;
}

bool Number(const std::string& s, long long* out) {
  if (s.empty() || s.size() > 20) return false;
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

// One line of the file, read back; false for anything else.
struct Entry {
  QemuIdentity id;
  KvmFailure failure;
};

bool ParseEntry(const std::string& line, Entry* e) {
  std::vector<std::string> f = SplitTabs(line);
  long long dev = 0, ino = 0;
  if (f.size() != 8 || f[0] != kTag || !Number(f[1], &dev) || !Number(f[2], &ino) ||
      !Number(f[3], &e->id.size) || !Number(f[4], &e->id.mtime) ||
      !Number(f[5], &e->failure.when) || f[6].empty() || f[6][0] != '/')
    return false;
  e->id.dev = static_cast<unsigned long long>(dev);
  e->id.ino = static_cast<unsigned long long>(ino);
  e->id.path = f[6];
  e->failure.said = f[7];
  return true;
}

// A field may hold neither the separator nor a line end.
std::string Clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

bool SameFile(const QemuIdentity& a, const QemuIdentity& b) {
  return a.path == b.path && a.dev == b.dev && a.ino == b.ino && a.size == b.size &&
         a.mtime == b.mtime;
}

}  // namespace

bool IdentifyQemu(const std::string& program, const std::string& path_env, QemuIdentity* id,
                  std::string* err) {
  std::string found;
  if (!FindInPath(program, path_env, &found)) {
    *err = program + ": not found";
    return false;
  }
  struct stat st;
  if (stat(found.c_str(), &st) != 0) {
    *err = ErrnoMessage(found);
    return false;
  }
  id->path = found;
  id->dev = static_cast<unsigned long long>(st.st_dev);
  id->ino = static_cast<unsigned long long>(st.st_ino);
  id->size = static_cast<long long>(st.st_size);
  id->mtime = static_cast<long long>(st.st_mtime);
  return true;
}

bool RecallKvmFailure(const std::string& text, const QemuIdentity& id, KvmFailure* failure) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    Entry e;
    if (ParseEntry(text.substr(pos, nl - pos), &e) && SameFile(e.id, id)) {
      *failure = e.failure;
      return true;
    }
    pos = nl + 1;
  }
  return false;
}

std::string RememberKvmFailure(const std::string& text, const QemuIdentity& id,
                               const KvmFailure& failure) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    Entry e;
    if (ParseEntry(line, &e) && e.id.path != id.path) out += line + "\n";
    pos = nl + 1;
  }
  if (id.path.empty() || id.path[0] != '/' || Clean(id.path) != id.path) return out;
  out += std::string(kTag) + "\t" + std::to_string(id.dev) + "\t" + std::to_string(id.ino) + "\t" +
         std::to_string(id.size) + "\t" + std::to_string(id.mtime) + "\t" +
         std::to_string(failure.when) + "\t" + id.path + "\t" + Clean(failure.said) + "\n";
  return out;
}

bool LoadKvmMemory(const std::string& path, std::string* text, std::string* err) {
  text->clear();
  FileCheck check;
  int errnum = 0;
  if (ReadFileText(path, check, text, err, &errnum)) return true;
  if (errnum == ENOENT) {
    err->clear();
    return true;
  }
  return false;
}

bool SaveKvmMemory(const std::string& path, const std::string& text, std::string* err) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    *err = path + ": not an absolute path";
    return false;
  }
  return WriteFileAtomically(slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1), text,
                             err);
}

}  // namespace runall
