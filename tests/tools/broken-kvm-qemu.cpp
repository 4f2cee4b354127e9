// broken-kvm-qemu: stands in for a QEMU whose KVM cannot run a vCPU, as
// on runall's own test machine: /dev/kvm opens, then QEMU fails to set MSR
// 0x10a and aborts, and -accel kvm -accel tcg does not save it. Copied
// under the name qemu-system-x86_64 into a directory first in PATH, it
//   - appends its arguments, as one line, to SELF.log;
//   - given "-accel kvm", prints what that QEMU prints and aborts;
//   - otherwise execs the QEMU named in SELF.real with its arguments.
// A program, not a script: runall tells a QEMU by its executable's name,
// and a script's executable is its shell's.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <string>

int main(int argc, char** argv) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("broken-kvm-qemu: /proc/self/exe");
    return 111;
  }
  self[n] = '\0';
  const std::string me = self;
  std::string line;
  bool kvm = false;
  for (int i = 1; i < argc; ++i) {
    line += (i > 1 ? " " : "") + std::string(argv[i]);
    if (strcmp(argv[i], "-accel") == 0 && i + 1 < argc && strncmp(argv[i + 1], "kvm", 3) == 0)
      kvm = true;
  }
  {
    std::ofstream log(me + ".log", std::ios::app);
    log << line << "\n";
  }
  if (kvm) {
    fputs("qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n", stderr);
    fputs(
        "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: "
        "Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n",
        stderr);
    fflush(stderr);
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  std::string real;
  std::ifstream in(me + ".real");
  if (!std::getline(in, real) || real.empty()) {
    fprintf(stderr, "broken-kvm-qemu: no QEMU named in %s.real\n", me.c_str());
    return 111;
  }
  execv(real.c_str(), argv);
  perror(real.c_str());
  return 111;
}
