#include "validate.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include "fail.hpp"

namespace runall {

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool ValidHostname(const std::string& name, std::string* why) {
  if (name.empty()) return Fail(why, "empty hostname");
  if (name.size() > 253) return Fail(why, "hostname longer than 253 characters");
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    size_t end = dot == std::string::npos ? name.size() : dot;
    size_t len = end - start;
    if (len == 0) return Fail(why, "empty label in hostname");
    if (len > 63) return Fail(why, "hostname label longer than 63 characters");
    if (name[start] == '-' || name[end - 1] == '-')
      return Fail(why, "hostname label starts or ends with '-'");
    for (size_t i = start; i < end; ++i) {
      char c = name[i];
      if (!IsAlnum(c) && c != '-')
        return Fail(why,
                    "hostname holds a character other than letters, "
                    "digits, '-' and '.'");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

bool ParseIPv4(const std::string& text, uint32_t* addr, std::string* why) {
  // inet_pton already refuses leading zeros on glibc, but not everywhere
  // (some libcs read "010" as octal), so the shape is checked first.
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t begin = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    size_t len = i - begin;
    if (len == 0 || len > 3) return Fail(why, "not a dotted-quad IPv4 address");
    if (len > 1 && text[begin] == '0') return Fail(why, "IPv4 address part with a leading zero");
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.' || parts == 4) return Fail(why, "not a dotted-quad IPv4 address");
    ++i;
  }
  if (parts != 4) return Fail(why, "not a dotted-quad IPv4 address");
  struct in_addr in;
  if (inet_pton(AF_INET, text.c_str(), &in) != 1)
    return Fail(why, "IPv4 address part greater than 255");
  if (addr) *addr = ntohl(in.s_addr);
  return true;
}

std::string FormatIPv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

bool ValidTapName(const std::string& name, unsigned* number, std::string* why) {
  if (name.size() >= IFNAMSIZ) return Fail(why, "interface name too long");
  if (name.compare(0, 3, "tap") != 0 && name.compare(0, 3, "tun") != 0)
    return Fail(why, "interface name is not tapN or tunN");
  std::string digits = name.substr(3);
  unsigned long n = 0;
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0') ||
      !ParseUnsigned(digits, 0xffffffffUL, &n))
    return Fail(why,
                "interface name is not tapN or tunN (N decimal, no "
                "leading zeros)");
  if (number) *number = static_cast<unsigned>(n);
  return true;
}

bool ParseUnsigned(const std::string& text, unsigned long max, unsigned long* value) {
  if (text.empty() || text.size() > 20) return false;
  unsigned long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    unsigned long d = static_cast<unsigned long>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  if (value) *value = v;
  return true;
}

}  // namespace runall
