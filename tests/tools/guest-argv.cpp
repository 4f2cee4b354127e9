// guest-argv: the runqemuos arguments for one guest of a guest config file,
// through the real parser and command-line builder, for the tests and the
// benchmark:
//   guest-argv SETTINGS GUESTS HOST
// prints the arguments (after "runqemuos"), each ended by a NUL byte, so a
// shell reads them with `mapfile -d ''`. Exit 0, or 1 with a message.
#include <stdio.h>

#include <string>
#include <vector>

#include "guest_config.hpp"
#include "qemu_args.hpp"
#include "runqemuos_args.hpp"
#include "settings.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: guest-argv SETTINGS GUESTS HOST\n");
    return 100;
  }
  runall::Settings settings = runall::DefaultSettings();
  std::string err;
  if (!runall::LoadSettings(argv[1], false, true, &settings, &err)) {
    fprintf(stderr, "guest-argv: %s\n", err.c_str());
    return 1;
  }
  std::vector<runall::GuestRecord> records;
  if (!runall::LoadGuestConfig(argv[2], settings, &records, &err)) {
    fprintf(stderr, "guest-argv: %s\n", err.c_str());
    return 1;
  }
  for (const auto& r : records) {
    if (r.hostname != argv[3]) continue;
    runall::QemuCommand cmd = runall::BuildQemuArgv(r, settings);
    for (const auto& a : runall::RunqemuosArgs(r, cmd, settings))
      fwrite(a.c_str(), 1, a.size() + 1, stdout);
    return 0;
  }
  fprintf(stderr, "guest-argv: %s: no guest %s\n", argv[2], argv[3]);
  return 1;
}
