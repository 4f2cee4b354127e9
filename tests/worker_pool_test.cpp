#include "worker_pool.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "console.hpp"
#include "guest_log.hpp"
#include "log.hpp"

using namespace runall;

TEST(RunPool, EachItemOnceInItsOwnPlace) {
  for (unsigned jobs : {1u, 2u, 5u, 64u}) {
    std::vector<int> done(37, 0);
    RunPool(done.size(), jobs, [&](size_t i) { done[i] += static_cast<int>(i) + 1; });
    for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(static_cast<int>(i) + 1, done[i]) << jobs;
  }
  RunPool(0, 4, [](size_t) { ADD_FAILURE() << "no item to work on"; });
}

TEST(RunPool, OneJobIsTheCallingThreadInOrder) {
  std::vector<size_t> order;
  const std::thread::id me = std::this_thread::get_id();
  RunPool(5, 1, [&](size_t i) {
    EXPECT_EQ(me, std::this_thread::get_id());
    order.push_back(i);
  });
  EXPECT_EQ((std::vector<size_t>{0, 1, 2, 3, 4}), order);
}

TEST(RunPool, NeverMoreThanJobsAtOnce) {
  std::atomic<int> running(0), most(0);
  std::mutex mu;
  std::set<std::thread::id> threads;
  RunPool(40, 3, [&](size_t) {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    usleep(1000);  // long enough for the others to start
    --running;
  });
  EXPECT_LE(most.load(), 3);
  EXPECT_LE(threads.size(), 3u);
  EXPECT_GE(threads.size(), 1u);
}

TEST(RunPool, ItemsNotStartedOnceStoppedAreSkipped) {
  std::atomic<bool> stopped(false);
  std::vector<int> done(20, 0);
  RunPool(
      done.size(), 1,
      [&](size_t i) {
        done[i] = 1;
        if (i == 4) stopped = true;
      },
      [&]() { return stopped.load(); });
  for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(i <= 4 ? 1 : 0, done[i]) << i;
}

// What runall-os-test -j shares among its guests' threads: the console
// (progress line, prefixed output) and the run's log, with a log file of
// each guest's own. Run under the thread sanitizer (make check
// SANITIZE=thread), a data race among them fails this test.
TEST(RunPool, GuestsShareTheConsoleAndTheRunsLog) {
  char tmpl[] = "/tmp/worker_pool_test.XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(tmpl));
  const std::string dir = tmpl;
  Log log;
  std::string err;
  ASSERT_TRUE(log.OpenFile(dir + "/run.log", &err)) << err;
  // The console's terminal is a file here, so that a sanitizer's report
  // still reaches stderr.
  int terminal = open((dir + "/terminal").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(terminal, 0);
  Console console(true, true, terminal);
  const size_t kGuests = 12;
  RunPool(kGuests, 4, [&](size_t i) {
    const std::string host = "guest" + std::to_string(i);
    GuestLog guest_log(&log, host);
    std::string open_err;
    guest_log.Open(dir + "/" + host + ".log", &open_err);
    for (int step = 0; step < 20; ++step) {
      console.SetProgress({"booting", host, step, 20});
      guest_log.Msg("step " + std::to_string(step));
      const std::string line = "output " + std::to_string(step) + "\n";
      console.Output(host, terminal, line.data(), line.size());
      guest_log.Output(line.data(), line.size());
    }
    console.EndOutput(host);
    console.ClearProgress(host);
    console.Text(terminal, host + " done\n");
  });
  close(terminal);
  // Every line of every guest reached the run's log, whole.
  FILE* f = fopen((dir + "/run.log").c_str(), "r");
  ASSERT_NE(nullptr, f);
  char buf[512];
  size_t lines = 0;
  while (fgets(buf, sizeof buf, f)) {
    ++lines;
    EXPECT_NE(nullptr, strstr(buf, ":: step ")) << buf;
  }
  fclose(f);
  EXPECT_EQ(kGuests * 20, lines);
  std::string cmd = "rm -rf '" + dir + "'";
  ASSERT_EQ(0, system(cmd.c_str()));
}
