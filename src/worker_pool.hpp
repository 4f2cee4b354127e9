// worker_pool: runall-os-test -j N - work on items by index, N at a time.
// The only threads runall starts; a thread-sanitizer run of its test
// (make check SANITIZE=thread) covers them together with what they share
// in the driver (the console, the run's log).
#pragma once

#include <stddef.h>

#include <functional>

namespace runall {

/// Calls work(i) once for each i in [0, count), on at most `jobs` threads
/// (on the calling thread alone when `jobs` is 1 or there is one item),
/// taking the items in order as threads come free. Once `stop` (if set)
/// returns true, items not yet started are skipped. Returns when every
/// started item is done. `work` must be safe to call from several threads
/// at once for different i.
void RunPool(size_t count, unsigned jobs, const std::function<void(size_t)>& work,
             const std::function<bool()>& stop = nullptr);

}  // namespace runall
