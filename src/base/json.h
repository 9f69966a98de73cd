// JSON text for the few places that write it by hand (alerts handed to scripts, rampartctl
// --json). Input may come from logs an attacker writes to, so the output stays valid JSON
// whatever bytes reached us.
#pragma once

#include <string>
#include <string_view>

namespace rampart {

// Appends `s` as a quoted JSON string: quotes, backslashes and control characters escaped,
// valid UTF-8 kept as it is, each byte of an invalid sequence replaced by \ufffd.
void append_json_string(std::string& out, std::string_view s);

}  // namespace rampart
