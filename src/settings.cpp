#include "settings.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

#include "accel.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "validate.hpp"

#ifndef RUNALL_SYSCONFDIR
#define RUNALL_SYSCONFDIR "/usr/local/etc"
#endif
#ifndef RUNALL_LOCALSTATEDIR
#define RUNALL_LOCALSTATEDIR "/var/lib/runall"
#endif
#ifndef RUNALL_RUNSTATEDIR
#define RUNALL_RUNSTATEDIR "/run/runall"
#endif

namespace runall {

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool ParseBool(const std::string& v, bool* out) {
  if (v == "yes" || v == "true" || v == "1") {
    *out = true;
    return true;
  }
  if (v == "no" || v == "false" || v == "0") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseNetBase(const std::string& v, uint32_t* out) {
  // Two octets, as in "172.20": the third is the tap number.
  uint32_t addr = 0;
  if (!ParseIPv4(v + ".0.0", &addr, nullptr)) return false;
  *out = addr;
  return true;
}

bool ParseSeconds(const std::string& v, unsigned* out) {
  unsigned long n = 0;
  if (!ParseUnsigned(v, 10UL * 365 * 24 * 3600, &n)) return false;
  *out = static_cast<unsigned>(n);
  return true;
}

bool ParseCount(const std::string& v, unsigned long max, unsigned* out) {
  unsigned long n = 0;
  if (!ParseUnsigned(v, max, &n)) return false;
  *out = static_cast<unsigned>(n);
  return true;
}

bool IsPathKey(const std::string& key, Settings* s, std::string** field) {
  struct {
    const char* name;
    std::string Settings::*member;
  } const paths[] = {
      {"hosts_file", &Settings::hosts_file},
      {"hostname_dir", &Settings::hostname_dir},
      {"launch_dir", &Settings::launch_dir},
      {"image_dir", &Settings::image_dir},
      {"run_dir", &Settings::run_dir},
      {"guests_file", &Settings::guests_file},
      {"log_file", &Settings::log_file},
      {"common_ro_host", &Settings::common_ro_host},
      {"common_rw_host", &Settings::common_rw_host},
      {"rw_host_base", &Settings::rw_host_base},
      {"up_dir", &Settings::up_dir},
      {"known_hosts", &Settings::known_hosts},
      {"common_ro_guest", &Settings::common_ro_guest},
      {"common_rw_guest", &Settings::common_rw_guest},
      {"rw_guest", &Settings::rw_guest},
  };
  for (const auto& p : paths) {
    if (key == p.name) {
      *field = &(s->*(p.member));
      return true;
    }
  }
  return false;
}

}  // namespace

Settings DefaultSettings() {
  Settings s;
  const std::string state = RUNALL_LOCALSTATEDIR;
  s.hosts_file = "/etc/hosts";
  s.hostname_dir = state + "/hostnames";
  s.launch_dir = state + "/launch";
  s.image_dir = state + "/images";
  s.run_dir = RUNALL_RUNSTATEDIR;
  s.guests_file = std::string(RUNALL_SYSCONFDIR) + "/runall-guests";
  s.common_ro_host = state + "/netshare/common-ro";
  s.common_rw_host = state + "/netshare/common-rw";
  s.rw_host_base = state + "/netshare";
  s.common_ro_guest = "/netshare-ro";
  s.common_rw_guest = "/netshare-rw/common";
  s.rw_guest = "/netshare-rw";
  s.net_base = (172u << 24) | (20u << 16);
  s.domain = "local";
  return s;
}

std::string DefaultSettingsPath() { return std::string(RUNALL_SYSCONFDIR) + "/runall.conf"; }

Settings PerUserSettings(const std::string& config_dir, const std::string& data_dir) {
  Settings s = DefaultSettings();
  s.hostname_dir = data_dir + "/hostnames";
  s.launch_dir = data_dir + "/launch";
  s.image_dir = data_dir + "/images";
  s.guests_file = config_dir + "/runall-guests";
  s.common_ro_host = data_dir + "/netshare/common-ro";
  s.common_rw_host = data_dir + "/netshare/common-rw";
  s.rw_host_base = data_dir + "/netshare";
  // A user on their own has no taps, no sudo rule and no DHCP server:
  // QEMU's own network is the one that works without them.
  s.network = NetworkMode::kUser;
  return s;
}

const char* NetworkModeName(NetworkMode mode) {
  return mode == NetworkMode::kUser ? "user" : "tap";
}

const char* ResumeModeName(ResumeMode mode) {
  switch (mode) {
    case ResumeMode::kNo: return "no";
    case ResumeMode::kYes: return "yes";
    case ResumeMode::kThrowaway: return "throwaway";
  }
  return "no";
}

bool ParseResumeMode(const std::string& text, ResumeMode* mode) {
  for (ResumeMode m : {ResumeMode::kNo, ResumeMode::kYes, ResumeMode::kThrowaway}) {
    if (text == ResumeModeName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

bool ParseNetworkMode(const std::string& text, NetworkMode* mode) {
  if (text == "tap") {
    *mode = NetworkMode::kTap;
    return true;
  }
  if (text == "user") {
    *mode = NetworkMode::kUser;
    return true;
  }
  return false;
}

bool ParseSettings(const std::string& text, const std::string& name, Settings* s,
                   std::string* err) {
  size_t pos = 0;
  unsigned lineno = 0;
  bool up_dir_set = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::string where = name + ":" + std::to_string(lineno) + ": ";
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      *err = where + "expected \"key = value\"";
      return false;
    }
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    std::string* path = nullptr;
    bool ok = true;
    if (IsPathKey(key, s, &path)) {
      // Every path must be absolute: a relative one would depend on the
      // working directory of whoever runs a helper. log_file, up_dir and
      // known_hosts may be empty (their defaults).
      bool may_be_empty = key == "log_file" || key == "up_dir" || key == "known_hosts";
      if (value.empty() ? !may_be_empty : value[0] != '/') {
        *err = where + key + " must be an absolute path";
        return false;
      }
      *path = value;
      if (key == "up_dir") up_dir_set = !value.empty();
    } else if (key == "net_base") {
      ok = ParseNetBase(value, &s->net_base);
    } else if (key == "lease_time") {
      ok = ParseSeconds(value, &s->lease_time) && s->lease_time >= 10;
    } else if (key == "domain") {
      ok = value.empty() || ValidHostname(value, nullptr);
      s->domain = value;
    } else if (key == "dns") {
      size_t b = 0;
      while (ok && b < value.size()) {
        size_t e = value.find_first_of(" \t", b);
        if (e == std::string::npos) e = value.size();
        if (e > b) ok = ParseIPv4(value.substr(b, e - b), nullptr, nullptr);
        b = e + 1;
      }
      s->dns = value;
    } else if (key == "ssh_multiplex") {
      ok = ParseBool(value, &s->ssh_multiplex);
    } else if (key == "restrict_hosts") {
      ok = ParseBool(value, &s->restrict_hosts);
    } else if (key == "sudo_hosts") {
      ok = value == "guests" || value == "any";
      s->sudo_hosts = value == "any" ? SudoHosts::kAny : SudoHosts::kGuests;
    } else if (key == "guest_domain") {
      // A guest name is one label under it, so it must be a name itself;
      // a trailing dot (the absolute form) would make NAME.DOMAIN. differ
      // from the NAME.DOMAIN a guest's resolver asks for.
      ok = value.empty() || (ValidHostname(value, nullptr) && value.back() != '.');
      s->guest_domain = value;
    } else if (key == "max_taps_per_user") {
      ok = ParseCount(value, 256, &s->max_taps_per_user);
    } else if (key == "hosts_max_per_user") {
      ok = ParseCount(value, 100000, &s->hosts_max_per_user);
    } else if (key == "hosts_max_entries") {
      ok = ParseCount(value, 100000, &s->hosts_max_entries);
    } else if (key == "network") {
      ok = ParseNetworkMode(value, &s->network);
    } else if (key == "hostname_delete_age") {
      ok = ParseSeconds(value, &s->hostname_delete_age);
    } else if (key == "hostname_max_age") {
      ok = ParseSeconds(value, &s->hostname_max_age);
    } else if (key == "resume") {
      ok = ParseResumeMode(value, &s->resume);
    } else if (key == "accel") {
      ok = ValidAccelSetting(value);
      s->accel = value;
    } else if (key == "start_timeout") {
      ok = ParseSeconds(value, &s->start_timeout);
    } else if (key == "stop_timeout") {
      ok = ParseSeconds(value, &s->stop_timeout);
    } else if (key == "qemu_init_period") {
      ok = ParseSeconds(value, &s->qemu_init_period);
    } else {
      *err = where + "unknown setting \"" + key + "\"";
      return false;
    }
    if (!ok) {
      *err = where + "bad value for " + key + ": \"" + value + "\"" +
             (key == "network" ? " (tap or user)" : "");
      return false;
    }
  }
  if (!up_dir_set && s->up_dir.empty()) s->up_dir = s->common_rw_host;
  return true;
}

bool LoadSettings(const std::string& path, bool privileged, bool must_exist, Settings* settings,
                  std::string* err) {
  FileCheck check;
  check.root_owned = privileged;
  std::string text;
  int errnum = 0;
  if (!ReadFileText(path, check, &text, err, &errnum)) {
    if (errnum == ENOENT && !must_exist) {
      if (settings->up_dir.empty()) settings->up_dir = settings->common_rw_host;
      err->clear();
      return true;
    }
    return false;
  }
  return ParseSettings(text, path, settings, err);
}

uint32_t TapHostAddress(const Settings& s, unsigned tap_number) {
  return s.net_base | ((tap_number & 255u) << 8) | 1u;
}

uint32_t TapGuestAddress(const Settings& s, unsigned tap_number) {
  return s.net_base | ((tap_number & 255u) << 8) | 2u;
}

bool TapInPlan(unsigned tap_number) { return tap_number <= 255; }

}  // namespace runall
