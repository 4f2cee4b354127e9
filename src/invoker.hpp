// invoker: who asked for this. A helper run through sudo acts for the user in
// SUDO_UID and must not let that user redirect it to other files.
#pragma once

#include <sys/types.h>

namespace runall {

/// True when running as root on behalf of a sudo user (SUDO_UID is set).
/// Such a run accepts no option that changes a path.
bool RunThroughSudo();

/// The uid of the user the tool works for: SUDO_UID when run through sudo,
/// otherwise the real uid. *ok is false if SUDO_UID is set but malformed.
uid_t InvokingUid(bool* ok);

}  // namespace runall
