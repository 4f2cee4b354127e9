// udh_inprocess: the cost of an update inside one process, without the
// exec of the tool: the pure edit (MapDynamicHost) and what
// update-dynamic-hosts does once its arguments are read (EditDynamicHosts:
// check, lock, read, edit, write).
// Run by bench/update-dynamic-hosts; prints one line per figure.
//
//   udh_inprocess DIR [STATIC_LINES] [UPDATES]
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "hosts_file.hpp"
#include "hosts_section.hpp"

using namespace runall;

namespace {

// Maps `host` to `ip` as root running update-dynamic-hosts would.
bool Update(const std::string& path, const std::string& host, const std::string& ip,
            std::string* err) {
  HostsFileResult r;
  DynamicHostEdit edit;
  edit.hostname = host;
  edit.ip = ip;
  if (!EditDynamicHosts(path, edit, SectionRules(), HostsFileOptions(), &r, err)) return false;
  if (r.outcome == SectionEdit::kChanged || r.outcome == SectionEdit::kUnchanged) return true;
  *err = r.why;
  return false;
}

double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void Report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double m : ms) sum += m;
  printf("%s: median %.3f ms, mean %.3f ms, p90 %.3f ms over %zu\n", what, ms[ms.size() / 2],
         sum / ms.size(), ms[ms.size() * 9 / 10], ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: udh_inprocess DIR [STATIC_LINES] [UPDATES]\n");
    return 100;
  }
  std::string path = std::string(argv[1]) + "/hosts";
  int lines = argc > 2 ? atoi(argv[2]) : 10000;
  int updates = argc > 3 ? atoi(argv[3]) : 300;
  std::string text = "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n";
  char buf[128];
  for (int i = 0; i < lines - 4; ++i) {
    snprintf(buf, sizeof buf, "10.%d.%d.%d\thost%d.example.org host%d\n", i / 65536 + 1,
             i / 256 % 256, i % 256, i, i);
    text += buf;
  }
  text += "##STARTDYNAMIC\n##ENDDYNAMIC\n";
  for (int g = 1; g <= 20; ++g) {
    std::string out, why;
    MapDynamicHost(text, "guest" + std::to_string(g), "172.20." + std::to_string(g) + ".2", &out,
                   &why);
    text = out;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return perror(path.c_str()), 111;
  close(fd);

  std::vector<double> edit, update, noop;
  for (int i = 0; i < updates; ++i) {
    int g = i % 20 + 1, n = (i / 20) % 2 ? g : g + 100;
    std::string host = "guest" + std::to_string(g);
    std::string ip = "172.20." + std::to_string(n) + ".2";
    std::string out, why, err;
    double t0 = NowMs();
    MapDynamicHost(text, host, ip, &out, &why);
    double t1 = NowMs();
    if (!Update(path, host, ip, &err))
      return fprintf(stderr, "udh_inprocess: %s\n", err.c_str()), 1;
    double t2 = NowMs();
    if (!Update(path, host, ip, &err))
      return fprintf(stderr, "udh_inprocess: %s\n", err.c_str()), 1;
    double t3 = NowMs();
    edit.push_back(t1 - t0);
    update.push_back(t2 - t1);
    noop.push_back(t3 - t2);
  }
  printf("in process, %zu-byte file:\n", text.size());
  Report("  section edit alone (MapDynamicHost)", edit);
  Report("  EditDynamicHosts, written", update);
  Report("  EditDynamicHosts, already mapped", noop);
  return 0;
}
