#include "shard.hpp"

#include "validate.hpp"

namespace runall {

bool ParseShard(const std::string& text, unsigned* k, unsigned* n, std::string* err) {
  const size_t slash = text.find('/');
  unsigned long kk = 0, nn = 0;
  if (slash == std::string::npos || !ParseUnsigned(text.substr(0, slash), 1000, &kk) ||
      !ParseUnsigned(text.substr(slash + 1), 1000, &nn) || kk == 0 || nn == 0 || kk > nn) {
    *err = "--shard: \"" + text + "\": expected K/N with 1 <= K <= N <= 1000";
    return false;
  }
  *k = static_cast<unsigned>(kk);
  *n = static_cast<unsigned>(nn);
  return true;
}

std::vector<size_t> ShardIndices(size_t count, unsigned k, unsigned n) {
  std::vector<size_t> picked;
  if (k == 0 || n == 0 || k > n) return picked;
  for (size_t i = k - 1; i < count; i += n) picked.push_back(i);
  return picked;
}

}  // namespace runall
