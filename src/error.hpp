// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/result.hpp>

namespace hbm {

/// An Error with a printf-formatted sentence. @code is a positive errno value.
Error makeError(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/// The same error with "@context: " put in front of its sentence.
Error withContext(Error error, const std::string &context);

} // namespace hbm
