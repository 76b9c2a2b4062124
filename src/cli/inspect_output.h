#pragma once
// How `image inspect` shows an image: a readable summary or JSON.

#include <nlohmann/json.hpp>
#include <string>

#include "image/image_reader.h"

namespace bulkhead::cli {

nlohmann::json inspectJson(const image::Image& image, bool withFiles);
std::string inspectText(const image::Image& image);

}  // namespace bulkhead::cli
