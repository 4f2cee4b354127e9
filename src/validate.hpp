// validate: the argument checks every privileged helper makes before it
// touches anything. Pure functions, no system calls.
#pragma once

#include <stdint.h>

#include <string>

namespace runall {

/// True if `name` is a hostname per RFC 1123: dot-separated labels of 1-63
/// letters, digits and hyphens, no label starting or ending with a hyphen,
/// at most 253 characters, no trailing dot. On false, *why says what is wrong.
bool ValidHostname(const std::string& name, std::string* why);

/// Parses a dotted-quad IPv4 address strictly: four decimal parts 0-255, no
/// leading zeros, nothing before or after. Stores it in host byte order.
bool ParseIPv4(const std::string& text, uint32_t* addr, std::string* why);

/// Formats a host-byte-order IPv4 address as a dotted quad.
std::string FormatIPv4(uint32_t addr);

/// True if `name` is tapN or tunN: N decimal without leading zeros, the
/// whole name shorter than IFNAMSIZ. Stores N in *number if non-null.
bool ValidTapName(const std::string& name, unsigned* number, std::string* why);

/// Parses a non-negative decimal integer without sign, spaces or overflow.
bool ParseUnsigned(const std::string& text, unsigned long max, unsigned long* value);

}  // namespace runall
