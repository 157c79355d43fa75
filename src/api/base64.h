// Standard base64 (RFC 4648, with padding), as the API encodes Secret data and kubeconfig
// certificates.
#pragma once

#include <string>
#include <string_view>

#include "api/error.h"

namespace sluice::api {

std::string base64Encode(std::string_view data);
// Whitespace is ignored (kubeconfigs wrap long values); anything else outside the alphabet, or a
// length that is not a multiple of four, is a BadRequest error.
Result<std::string> base64Decode(std::string_view text);

}  // namespace sluice::api
