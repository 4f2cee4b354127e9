#include "qemu_launch.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/random.h>
#endif

#include <algorithm>

#include "fail.hpp"
#include "file_io.hpp"
#include "guest_config.hpp"
#include "settings.hpp"
#include "validate.hpp"

namespace runall {

const char kDefaultQemu[] = "qemu-system-x86_64";

namespace {

// QEMU options that take no value, today's and the article's. Every other
// option is taken to consume the word after it; a bare word is then the
// image (QEMU's "hda" without -hda).
const char* const kFlags[] = {
    "-nographic",   "-snapshot",      "-no-reboot",   "-no-shutdown",
    "-S",           "-s",             "-enable-kvm",  "-no-acpi",
    "-no-hpet",     "-localtime",     "-full-screen", "-no-user-config",
    "-nodefaults",  "-usb",           "-no-fd-bootchk", "-win2k-hack",
    "-no-quit",     "-alt-grab",      "-ctrl-grab",   "-no-frame",
    "-portrait",    "-rtc-td-hack",   "-daemonize",   "-enable-fips",
    "-semihosting", "-only-migratable", "-no-kvm",    "-no-kqemu",
    "-kernel-kqemu", "-std-vga",      "-curses",      "-sdl",
    "-no-kvm-irqchip", "-no-kvm-pit", "-version",     "-help",
    "-h",           "-preconfig",     "-old-param",   "-no-kvm-pit-reinjection",
    "-mem-prealloc", "-singlestep",   "-one-insn-per-tb", "-async-teardown",
    "-nodefconfig", "-audio-help",    "-xen-attach",  "-xen-domid-restrict",
    "-enable-sync-profile", "-perfmap", "-jitdump",
};

std::string OptionName(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return "";
  if (word[1] == '-') return word.substr(1);
  return word;
}

bool IsFlag(const std::string& opt) {
  return std::find_if(std::begin(kFlags), std::end(kFlags),
                      [&](const char* f) { return opt == f; }) != std::end(kFlags);
}

// The file= property of a -drive value, undoing QEMU's doubled commas.
bool DriveFile(const std::string& value, std::string* file) {
  size_t i = 0;
  while (i <= value.size()) {
    std::string prop;
    while (i < value.size()) {
      if (value[i] == ',') {
        if (i + 1 < value.size() && value[i + 1] == ',') {
          prop += ',';
          i += 2;
          continue;
        }
        break;
      }
      prop += value[i++];
    }
    ++i;  // past the separating comma
    if (prop.compare(0, 5, "file=") == 0 && prop.size() > 5) {
      *file = prop.substr(5);
      return true;
    }
  }
  return false;
}


}  // namespace

bool ParseLaunchArgs(const std::vector<std::string>& args, LaunchRequest* req,
                     std::string* err) {
  *req = LaunchRequest();
  size_t i = 0;
  // Options come before HOST; the first word that is not one is HOST.
  while (i < args.size()) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    if (a == "--help" || a == "-h") {
      req->help = true;
      return true;
    }
    if (a == "-b") {
      req->background = true;
      ++i;
      continue;
    }
    std::string* target = nullptr;
    if (a.compare(0, 2, "-o") == 0) target = &req->console_log;
    else if (a.compare(0, 2, "-C") == 0) target = &req->settings_path;
    else if (a.compare(0, 2, "-i") == 0) target = &req->image;
    else if (a.compare(0, 2, "-N") == 0) target = &req->nic;
    else if (a.compare(0, 2, "-M") == 0) target = &req->mac;
    if (target == nullptr) {
      *err = "unknown option " + a;
      return false;
    }
    if (a.size() > 2) {
      *target = a.substr(2);
      ++i;
    } else if (i + 1 < args.size()) {
      *target = args[i + 1];
      i += 2;
    } else {
      *err = "option " + a + " needs a value";
      return false;
    }
    if (target->empty()) {
      *err = "option " + a.substr(0, 2) + " needs a non-empty value";
      return false;
    }
  }
  if (args.size() - i < 3) {
    *err = "HOST, HOSTNAMEDIR and LAUNCHDIR are required";
    return false;
  }
  req->host = args[i];
  req->hostname_dir = args[i + 1];
  req->launch_dir = args[i + 2];
  req->qemu_args.assign(args.begin() + static_cast<long>(i) + 3, args.end());
  std::string why;
  if (!ValidHostname(req->host, &why)) {
    *err = "invalid hostname \"" + req->host + "\": " + why;
    return false;
  }
  if (!req->mac.empty() && req->nic.empty()) {
    *err = "-M needs -N (the MAC is the address of the card -N adds)";
    return false;
  }
  if (!req->nic.empty()) {
    if (!IsModelName(req->nic)) {
      *err = "-N: bad NIC model \"" + req->nic + "\"";
      return false;
    }
    if (req->mac.empty()) req->mac = MacForHostname(req->host);
    if (!ValidMac(req->mac)) {
      *err = "-M: bad MAC \"" + req->mac + "\" (six hex pairs joined by ':', "
             "unicast)";
      return false;
    }
  }
  if (HasDaemonize(req->qemu_args)) {
    *err = "-daemonize would give QEMU another pid than the one runqemuos "
           "records";
    return false;
  }
  return true;
}

void SplitProgram(const std::vector<std::string>& words,
                  const std::function<bool(const std::string&)>& is_program,
                  std::string* program, std::vector<std::string>* args) {
  if (!words.empty() && !words[0].empty() && words[0][0] != '-' &&
      is_program(words[0])) {
    *program = words[0];
    args->assign(words.begin() + 1, words.end());
  } else {
    *program = kDefaultQemu;
    *args = words;
  }
}

bool FindImageArg(const std::vector<std::string>& args, std::string* image) {
  std::string hda, bare;
  bool have_hda = false, have_bare = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = OptionName(args[i]);
    if (opt.empty()) {
      if (!have_bare && !args[i].empty()) {
        bare = args[i];
        have_bare = true;
      }
      continue;
    }
    if (IsFlag(opt) || i + 1 >= args.size()) continue;
    const std::string& value = args[++i];
    if (opt == "-drive") {
      std::string file;
      if (DriveFile(value, &file)) {
        *image = file;
        return true;
      }
    } else if (opt == "-hda" && !have_hda) {
      hda = value;
      have_hda = true;
    }
  }
  if (have_hda) *image = hda;
  else if (have_bare) *image = bare;
  return have_hda || have_bare;
}

bool HasDaemonize(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (OptionName(a) == "-daemonize") return true;
  return false;
}

std::vector<std::string> TapCandidates(const std::vector<TapInfo>& taps,
                                       uid_t uid,
                                       const std::vector<gid_t>& groups,
                                       bool root) {
  struct Found {
    int rank;
    unsigned n;
    std::string name;
    bool operator<(const Found& o) const {
      return rank != o.rank ? rank < o.rank : n < o.n;
    }
  };
  std::vector<Found> found;
  for (const auto& t : taps) {
    unsigned n = 0;
    // A tun device carries no Ethernet frames; a name outside tapN or the
    // plan gets no address from start-tun-interface.
    if (!t.tap || !t.persistent || t.name.compare(0, 3, "tap") != 0 ||
        !ValidTapName(t.name, &n, nullptr) || !TapInPlan(n) ||
        !MayAttach(t, uid, groups))
      continue;
    // The user's own taps first (made for them with start-tun-interface
    // -c), then their group's, and a tap made for nobody in particular
    // only when those are taken: such a tap may have been made for
    // something else.
    const bool own = t.owner >= 0 && static_cast<uid_t>(t.owner) == uid;
    int rank = own ? 0 : t.group >= 0 ? 1 : 2;
    // Through sudo, start-tun-interface configures only a tap owned by the
    // user who ran sudo: claiming another would only end in its refusal,
    // after taking a tap that may be someone else's.
    if (!own && !root) continue;
    found.push_back({rank, n, t.name});
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (const auto& f : found) names.push_back(f.name);
  return names;
}

int ClaimTap(uid_t uid, const std::vector<gid_t>& groups, bool root,
             std::string* name, std::string* err) {
  std::vector<std::string> candidates =
      TapCandidates(ListTaps(), uid, groups, root);
  std::string last_err;
  size_t busy = 0;
  for (const auto& c : candidates) {
    std::string attach_err;
    int errnum = 0;
    // Inheritable: QEMU gets this fd as its tap (-netdev tap,fd=N).
    int fd = AttachTap(c, true, true, &attach_err, &errnum);
    if (fd >= 0) {
      *name = c;
      return fd;
    }
    // EBUSY: another guest has it. Anything else (the tap vanished, its
    // owner changed, /dev/net/tun is closed to us) also moves on to the
    // next, and is reported if none is left.
    if (errnum == EBUSY) ++busy;
    else last_err = attach_err;
  }
  if (root) {
    for (unsigned n = 0; TapInPlan(n); ++n) {
      std::string candidate = "tap" + std::to_string(n);
      if (InterfaceExists(candidate)) continue;
      std::string attach_err;
      int errnum = 0;
      int fd = AttachTap(candidate, false, true, &attach_err, &errnum);
      if (fd < 0) {
        last_err = attach_err;
        continue;  // made by someone else since we looked
      }
      // If a persistent tap of that name appeared between the check and
      // the attach, we joined someone's pool tap instead of making one:
      // give it back.
      TapInfo info;
      if (ReadTapInfo(candidate, &info) && info.persistent) {
        close(fd);
        continue;
      }
      *name = candidate;
      return fd;
    }
    *err = "no free tap, and none could be created" +
           (last_err.empty() ? std::string() : " (" + last_err + ")");
    return -1;
  }
  if (candidates.empty())
    *err = "no free tap: no persistent tap owned by this user (uid " +
           std::to_string(uid) +
           "); make some with sudo start-tun-interface -c (a tap of a "
           "group or of nobody is not claimed: start-tun-interface "
           "refuses it through sudo)";
  else if (busy == candidates.size())
    *err = "no free tap: all " + std::to_string(busy) +
           " of this user's taps are in use; make more with "
           "sudo start-tun-interface -c";
  else
    *err = "no free tap: " + std::to_string(busy) + " of " +
           std::to_string(candidates.size()) + " in use, and " + last_err;
  return -1;
}

namespace {

// Writes all of `content` to `fd`, then gives the file mode 0644: the
// umask must not decide who can read it, as start-tun-interface and the
// driver read these files.
bool WriteContent(int fd, const std::string& content) {
  return WriteAll(fd, content) && fchmod(fd, 0644) == 0;
}

// How many names are drawn before giving up. Each is one of 62^8; one that
// exists already is a planted file or a stale one of an earlier process,
// so a second draw nearly always succeeds, and many failures mean
// something else is wrong.
const int kMaxNameAttempts = 64;

}  // namespace

bool WriteFileAtomically(const std::string& dir, const std::string& name,
                         const std::string& content, std::string* err) {
  const std::string path = dir + "/" + name;
  // A leading dot: neither a pid nor a hostname, so no reader ever takes
  // the temporary file for a real one. Random, so that a name made in
  // advance by another user of the directory cannot stop us.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < kMaxNameAttempts && fd < 0; ++attempt) {
    std::string suffix;
    if (!RandomAlnum(kHostnameSuffixLength, &suffix, err)) return false;
    tmp = dir + "/." + name + "." + suffix + ".tmp";
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    *err = ErrnoMessage(tmp);
    return false;
  }
  bool ok = WriteContent(fd, content);
  if (!ok) *err = ErrnoMessage(tmp);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(tmp);
    ok = false;
  }
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    *err = ErrnoMessage("cannot rename " + tmp + " to " + path);
    ok = false;
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

bool RandomAlnum(size_t n, std::string* out, std::string* err) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const unsigned kSize = sizeof kAlphabet - 1;
  // Bytes from 248 on are dropped, so every character is equally likely
  // (248 = 4 * 62).
  const unsigned kLimit = 256 - 256 % kSize;
  out->clear();
  unsigned char buf[64];
  while (out->size() < n) {
#if defined(__linux__) || defined(__OpenBSD__) || defined(__FreeBSD__)
    if (getentropy(buf, sizeof buf) != 0) {
      *err = ErrnoMessage("getentropy");
      return false;
    }
#else
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    int saved = errno;
    if (fd >= 0) close(fd);
    if (got != static_cast<ssize_t>(sizeof buf)) {
      *err = ErrnoMessage("/dev/urandom", got < 0 ? saved : EIO);
      return false;
    }
#endif
    for (unsigned char b : buf) {
      if (b >= kLimit || out->size() >= n) continue;
      out->push_back(kAlphabet[b % kSize]);
    }
  }
  return true;
}

bool IsHostnameFileName(const std::string& name, pid_t pid) {
  const std::string prefix = std::to_string(pid) + ".";
  if (pid <= 0 || name.size() != prefix.size() + kHostnameSuffixLength ||
      name.compare(0, prefix.size(), prefix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9')))
      return false;
  }
  return true;
}

bool CreateHostnameFile(const std::string& dir, pid_t pid,
                        const std::string& content, std::string* path,
                        std::string* err, const SuffixSource& suffixes) {
  const SuffixSource draw =
      suffixes ? suffixes : [](std::string* suffix, std::string* e) {
        return RandomAlnum(kHostnameSuffixLength, suffix, e);
      };
  std::string file;
  int fd = -1;
  int taken = 0;
  for (int attempt = 0; attempt < kMaxNameAttempts && fd < 0; ++attempt) {
    std::string suffix;
    if (!draw(&suffix, err)) return false;
    file = dir + "/" + std::to_string(pid) + "." + suffix;
    // Never opened if it exists: in hostname_dir, shared by a group, a
    // file there may be anybody's, and with O_EXCL a symlink is not
    // followed either.
    fd = open(file.c_str(),
              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
              0644);
    if (fd < 0 && errno != EEXIST) {
      *err = ErrnoMessage(file);
      return false;
    }
    if (fd < 0) ++taken;
  }
  if (fd < 0) {
    *err = "cannot create the hostname file of pid " + std::to_string(pid) +
           " in " + dir + ": " + std::to_string(taken) +
           " names drawn at random all exist";
    return false;
  }
  bool ok = WriteContent(fd, content);
  if (!ok) *err = ErrnoMessage(file);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(file);
    ok = false;
  }
  if (!ok) {
    unlink(file.c_str());
    return false;
  }
  *path = file;
  return true;
}

void RemoveHostnameFiles(const std::string& dir, pid_t pid, uid_t uid) {
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    close(dfd);
    return;
  }
  std::vector<std::string> mine;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    struct stat st;
    // In a sticky directory nobody else can remove or replace our file
    // between this look and the unlink.
    if (IsHostnameFileName(name, pid) &&
        fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_uid == uid)
      mine.push_back(name);
  }
  for (const auto& name : mine) unlinkat(dfd, name.c_str(), 0);
  closedir(d);
}

}  // namespace runall
