#pragma once
// Random UUIDs for ctx.new_guid(): RFC 4122 version 4, from a per-thread generator seeded by the
// operating system. Being the result of a system activity, the value is recorded in history and
// replays unchanged.

#include <string>

namespace duroxide::runtime {

/// "xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx" in lowercase hex, Y one of 8, 9, a, b (122 random bits).
std::string random_uuid_v4();

}  // namespace duroxide::runtime
