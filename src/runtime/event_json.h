#pragma once
// Events as JSON: the evidence in the agent's output lines, and the recording format that
// `bulkhead agent replay` reads back (one event per line).

#include <nlohmann/json.hpp>

#include <string>

#include "core/result.h"
#include "runtime/event.h"

namespace bulkhead::runtime {

std::string isoTimeNs(int64_t ns);  // 2026-11-24T10:00:00.123456789Z
nlohmann::json eventToJson(const Event& event);
// Untrusted input: wrong types are errors naming the field.
Result<Event> eventFromJson(const nlohmann::json& json);

}  // namespace bulkhead::runtime
