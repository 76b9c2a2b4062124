#pragma once
// Turns one raw ring-buffer record (src/runtime/bpf/sensor_abi.h) into a runtime::Event.
// Records are treated as untrusted bytes: every length is checked against the buffer, and
// a record that does not add up is rejected, never read past. The Event is reused by the
// caller: decoding assigns into its strings, so a warm Event costs no allocation.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/result.h"
#include "runtime/event.h"

namespace bulkhead::runtime {

// bootToRealtimeNs: CLOCK_REALTIME minus CLOCK_BOOTTIME, added to the kernel's boot-time
// stamp to give ns since the epoch.
Status decodeRecord(std::span<const uint8_t> record, int64_t bootToRealtimeNs, Event& out);

// The EventKind of a record's kind field (bh_kind); false for an unknown one.
bool eventKindOfRecord(uint16_t recordKind, EventKind& kind);

// CLOCK_REALTIME - CLOCK_BOOTTIME now.
int64_t bootToRealtimeOffsetNs();

}  // namespace bulkhead::runtime
