// test_guests: what the tests of guest_config, qemu_args and
// runqemuos_args share: the article's example config and settings that
// put the shares and images in known places.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_config.hpp"
#include "settings.hpp"

namespace runall {
namespace test {

// The article's example config, as printed there, with the blank lines
// that delimit its records.
inline const char kArticleConfig[] =
    "## GUEST OS CONFIGURATION FILE\n"
    "##\n"
    "## Commented lines are ignored; blank lines delimit the OSes\n"
    "## For safely, timeouts must be calculated based on running without\n"
    "## kqemu. Timeouts are for boot and shutdown respectively.\n"
    "##\n"
    "## The first line of each OS is delimited by single spaces with fields\n"
    "## as below. The next set of consecutive lines are additional options\n"
    "## to pass to qemu (one specified per line)\n"
    "# hostname imgfile starttimeout endtimeout memsize -localtime?(L=yes)\n"
    "netqemu netbsd-2.0.2.img 240 60 64 L\n"
    "\n"
    "solqemu solaris-10.img 2400 2000 128 L\n"
    "-cdrom /data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso\n"
    "\n"
    "gentqemu gentoo.img 1200 1200 64 L\n"
    "\n"
    "freeqemu freebsd-5.4.img 720 60 64 L\n"
    "-cdrom /data/os/freeBSD-5.4/5.4-RELEASE-i386-disc1.iso\n"
    "\n"
    "# openqemu should be last as it suffers least under kqemu-less\n"
    "# operation\n"
    "openqemu openbsd-3.7.img 240 60 64 L\n"
    "\n"
    "#the last OS must be terminated by a blank line\n";

inline Settings TestSettings() {
  Settings s = DefaultSettings();
  s.image_dir = "/data/qemu";
  s.start_timeout = 600;
  s.stop_timeout = 500;
  s.common_ro_host = "/srv/ro";
  s.common_rw_host = "/srv/rw/common";
  s.rw_host_base = "/srv/rw";
  return s;
}

inline std::vector<GuestRecord> ParseGuests(const std::string& text) {
  std::vector<GuestRecord> records;
  std::string err;
  EXPECT_TRUE(ParseGuestConfig(text, "guests", TestSettings(), &records, &err)) << err;
  return records;
}

}  // namespace test
}  // namespace runall
