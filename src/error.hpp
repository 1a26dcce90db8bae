// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// An Error with a printf-formatted sentence. @code is a positive errno value.
Error makeError(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/// An Error carrying @refusal (its rejections as data), its sentence rendered from it.
Error refusalError(int code, Refusal refusal);

/// The same error with "@context: " put in front of its sentence.
Error withContext(Error error, const std::string &context);

} // namespace hbm
