// SPDX-License-Identifier: MIT
// How every hbm library builds an Error: one sentence convention (the errno's name and
// meaning appended by Error::toString()), one way to put context in front.
#pragma once

#include "seam.hpp"

#include <string>

#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

namespace hbm_seam {

/// An Error with a printf-formatted sentence. @code is a positive errno value.
HBM_SEAM hbm::Error makeError(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/// An Error with the sentence @message, built already.
HBM_SEAM hbm::Error makeError(int code, std::string message);
/// An Error carrying @refusal (its rejections as data), its sentence rendered from it.
HBM_SEAM hbm::Error refusalError(int code, hbm::Refusal refusal);
/// The same error with "@context: " put in front of its sentence (and of its refusal's
/// subject, so a refusal's sentence is still rendered from it).
HBM_SEAM hbm::Error withContext(hbm::Error error, const std::string &context);

} // namespace hbm_seam
