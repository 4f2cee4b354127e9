// hosts_reader: what a resolver sees while update-dynamic-hosts writes.
//
//   hosts_reader [--in-place] [--once] FILE PREFIX SUFFIX [STOPFILE]
//
// Reads FILE the way a resolver does (open, read to the end, close) and
// checks each read: it must start with the bytes of the file PREFIX (the
// static part and ##STARTDYNAMIC), end with the bytes of SUFFIX
// (##ENDDYNAMIC and what follows), and hold between them only whole lines
// "A.B.C.D name # uid=UID" (the owner mark may be missing). With --once it checks one read and
// exits; otherwise it polls until STOPFILE exists and prints "reads=N torn=T".
//
// With --in-place (a bind-mounted file, rewritten in place) blank lines
// after SUFFIX are allowed, and while polling only what that path
// guarantees fails: the read is not empty, the static part is intact, the
// file ends with a newline; reads that otherwise do not parse are counted
// as torn. --once (a file at rest, e.g. after a kill -9) is always strict.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace {

bool ReadFile(const char* path, std::string* text) {
  text->clear();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];  // what stdio would use: several reads for a big file
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text->append(buf, n);
  close(fd);
  return n == 0;
}

bool GuestLine(std::string line) {
  size_t mark = line.find(" # uid=");
  if (mark != std::string::npos) {
    size_t digits = mark + 7;
    if (digits == line.size() || line.find_first_not_of("0123456789", digits) != std::string::npos)
      return false;
    line.erase(mark);
  }
  size_t sp = line.find(' ');
  if (sp == std::string::npos || sp == 0 || sp + 1 == line.size()) return false;
  int dots = 0;
  for (size_t i = 0; i < sp; ++i) {
    if (line[i] == '.')
      ++dots;
    else if (line[i] < '0' || line[i] > '9')
      return false;
  }
  if (dots != 3) return false;
  for (size_t i = sp + 1; i < line.size(); ++i) {
    char c = line[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  }
  return true;
}

// 0 good, 1 torn (a mix or a half-written tail), 2 broken beyond what the
// write path allows.
int Check(const std::string& text, const std::string& prefix, const std::string& suffix,
          bool in_place, std::string* why) {
  if (text.empty()) return *why = "empty", 2;
  if (text.compare(0, prefix.size(), prefix) != 0) return *why = "static part changed", 2;
  if (text.back() != '\n') return *why = "ends mid-line", 2;
  int bad = in_place ? 1 : 2;
  size_t end = text.size();
  if (in_place)
    while (end > prefix.size() + suffix.size() && text[end - 1] == '\n' && text[end - 2] == '\n')
      --end;
  if (end < prefix.size() + suffix.size() ||
      text.compare(end - suffix.size(), suffix.size(), suffix) != 0)
    return *why = "does not end with the section's end and suffix", bad;
  size_t pos = prefix.size();
  size_t stop = end - suffix.size();
  while (pos < stop) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos || nl >= stop) return *why = "section line cut", bad;
    if (!GuestLine(text.substr(pos, nl - pos)))
      return *why = "bad section line: " + text.substr(pos, nl - pos), bad;
    pos = nl + 1;
  }
  return 0;
}

void Dump(const std::string& text) {
  for (char c : text) {
    if (c == '\n' || (c >= 0x20 && c < 0x7f))
      fputc(c, stderr);
    else
      fprintf(stderr, "\\x%02x", static_cast<unsigned char>(c));
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool in_place = false, once = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (strcmp(argv[i], "--in-place") == 0)
      in_place = true;
    else if (strcmp(argv[i], "--once") == 0)
      once = true;
    else
      return fprintf(stderr, "hosts_reader: unknown %s\n", argv[i]), 100;
  }
  if (argc - i != (once ? 3 : 4)) {
    fprintf(stderr,
            "usage: hosts_reader [--in-place] [--once] FILE PREFIX "
            "SUFFIX [STOPFILE]\n");
    return 100;
  }
  const char* file = argv[i];
  std::string prefix, suffix, text, why;
  if (!ReadFile(argv[i + 1], &prefix) || !ReadFile(argv[i + 2], &suffix))
    return perror("hosts_reader: prefix or suffix"), 111;
  long reads = 0, torn = 0;
  while (true) {
    if (!ReadFile(file, &text)) return perror(file), 111;
    ++reads;
    int r = Check(text, prefix, suffix, in_place, &why);
    if (r == 2 || (r == 1 && once)) {
      fprintf(stderr, "hosts_reader: read %ld of %s: %s; it read:\n", reads, file, why.c_str());
      Dump(text);
      return 1;
    }
    if (r == 1) {
      ++torn;
      if (torn <= 3) {
        fprintf(stderr, "hosts_reader: torn read: %s; it read:\n", why.c_str());
        Dump(text);
      }
    }
    if (once) break;
    if (access(argv[i + 3], F_OK) == 0) break;
  }
  printf("reads=%ld torn=%ld\n", reads, torn);
  return 0;
}
