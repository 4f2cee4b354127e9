// image-in-use: prints what ImageInUse says of an image, for the tests:
//   image-in-use IMAGE    -> "free", "runall: WHO" or "qemu: WHO"
// ("runall": a guest runqemuos started; "qemu": held by something runall
// did not start - a QEMU, or a read lock on byte 0 - which runall-os-test
// refuses at once).
// Exit 0 free, 1 in use, 111 could not tell.
#include <stdio.h>

#include <string>

#include "image_lock.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: image-in-use IMAGE\n");
    return 100;
  }
  std::string who, err;
  switch (runall::ImageInUse(argv[1], &who, &err)) {
    case runall::ImageUse::kFree: printf("free\n"); return 0;
    case runall::ImageUse::kRunall: printf("runall: %s\n", who.c_str()); return 1;
    case runall::ImageUse::kQemu: printf("qemu: %s\n", who.c_str()); return 1;
    case runall::ImageUse::kError: break;
  }
  fprintf(stderr, "image-in-use: %s\n", err.c_str());
  return 111;
}
