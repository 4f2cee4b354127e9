// shard: a stable part of the selected guests, so that N hosts running
// `runall-os-test --shard K/N` with the same guest configuration together
// run every guest exactly once (a CI engine's parallel jobs: GitLab's
// CI_NODE_INDEX/CI_NODE_TOTAL, Jenkins' parallel stages).
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace runall {

/// Parses "K/N" with 1 <= K <= N <= 1000, decimal, no signs or blanks.
bool ParseShard(const std::string& text, unsigned* k, unsigned* n, std::string* err);

/// Which of `count` guests (in the order of the guest configuration) shard
/// K of N runs: every N-th, starting with the K-th. Dealing them out in
/// turn keeps the shards within one guest of each other in size.
std::vector<size_t> ShardIndices(size_t count, unsigned k, unsigned n);

}  // namespace runall
