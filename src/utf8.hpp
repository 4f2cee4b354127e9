// utf8: where text bound for a strict reader (JSON, XML) is valid UTF-8.
// A guest's output is whatever bytes a script printed; the reports that
// carry it must still parse.
#pragma once

#include <stddef.h>

#include <string>

namespace runall {

/// The length (1-4) of the valid UTF-8 sequence starting at s[i], or 0 when
/// none starts there: a stray continuation byte, a truncated sequence, an
/// overlong form, a surrogate or a value past U+10FFFF.
size_t Utf8SequenceLength(const std::string& s, size_t i);

}  // namespace runall
