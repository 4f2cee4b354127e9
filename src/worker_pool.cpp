#include "worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace runall {

void RunPool(size_t count, unsigned jobs, const std::function<void(size_t)>& work,
             const std::function<bool()>& stop) {
  std::atomic<size_t> next(0);
  auto worker = [&]() {
    while (true) {
      size_t i = next++;
      if (i >= count) return;
      if (stop && stop()) continue;  // skipped: left as it was
      work(i);
    }
  };
  const size_t threads = std::min<size_t>(jobs, std::max<size_t>(count, 1));
  if (threads <= 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (size_t j = 0; j < threads; ++j) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
}

}  // namespace runall
