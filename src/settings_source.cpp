#include "settings_source.hpp"

namespace runall {

namespace {

// $VAR/runall when VAR holds an absolute path, else HOME/fallback/runall.
std::string XdgDir(const char* value, const std::string& home, const char* fallback) {
  if (value != nullptr && value[0] == '/') return std::string(value) + "/runall";
  return home + "/" + fallback + "/runall";
}

}  // namespace

XdgDirs RunallXdgDirs(const char* config_home, const char* data_home, const char* state_home,
                      const std::string& home) {
  XdgDirs d;
  d.config = XdgDir(config_home, home, ".config");
  d.data = XdgDir(data_home, home, ".local/share");
  d.state = XdgDir(state_home, home, ".local/state");
  return d;
}

SettingsChoice ChooseSettings(const std::string& explicit_path, bool system_files,
                              const XdgDirs& xdg) {
  SettingsChoice c;
  if (!explicit_path.empty()) {
    c.path = explicit_path;
    c.must_exist = true;
    c.defaults = DefaultSettings();
    return c;
  }
  if (system_files) {
    // An administrator's files, as before: they decide for every user.
    c.path = DefaultSettingsPath();
    c.defaults = DefaultSettings();
    return c;
  }
  c.path = xdg.config + "/runall.conf";
  c.per_user = true;
  c.defaults = PerUserSettings(xdg.config, xdg.data);
  return c;
}

std::string MissingGuestConfigMessage(const SettingsChoice& choice, const std::string& guests_path,
                                      const std::string& system_guests) {
  if (choice.per_user)
    return "no guest config: neither the system-wide " + system_guests + " nor yours, " +
           guests_path + ", exists (see runall-guests(5); -c names another)";
  return "no guest config: " + guests_path + " does not exist (guests_file of " + choice.path +
         "; see runall-guests(5))";
}

}  // namespace runall
