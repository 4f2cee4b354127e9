#include "invoker.hpp"

#include <stdlib.h>
#include <unistd.h>

#include "validate.hpp"

namespace runall {

bool RunThroughSudo() {
  // Only meaningful when we really are root; an ordinary user can set
  // SUDO_UID in their own environment, which gains them nothing then.
  return geteuid() == 0 && getenv("SUDO_UID") != nullptr;
}

uid_t InvokingUid(bool* ok) {
  if (ok) *ok = true;
  const char* sudo_uid = getenv("SUDO_UID");
  if (geteuid() != 0 || sudo_uid == nullptr) return getuid();
  unsigned long uid = 0;
  if (!ParseUnsigned(sudo_uid, 0x7fffffffUL, &uid)) {
    if (ok) *ok = false;
    return getuid();
  }
  return static_cast<uid_t>(uid);
}

}  // namespace runall
