#include "image/digest.h"

namespace bulkhead::image {

Result<Digest> Digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return makeError("digest '{}': missing 'algorithm:' prefix", text);
  }
  const std::string_view algorithm = text.substr(0, colon);
  const std::string_view hex = text.substr(colon + 1);
  size_t expected = 0;
  if (algorithm == "sha256") {
    expected = 64;
  } else if (algorithm == "sha512") {
    expected = 128;
  } else {
    return makeError("digest '{}': unsupported algorithm '{}'", text, algorithm);
  }
  if (hex.size() != expected) {
    return makeError("digest '{}': expected {} hex digits, found {}", text, expected, hex.size());
  }
  for (const char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return makeError("digest '{}': not lower-case hex", text);
    }
  }
  return Digest{std::string(algorithm), std::string(hex)};
}

}  // namespace bulkhead::image
