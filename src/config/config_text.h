// Small text helpers shared by the config parser; pure functions, no XML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "config/config.h"
namespace rampart::config_internal {

std::string lower(std::string_view s);
// The non-empty pieces of `s` between any of the characters in `separators`.
std::vector<std::string_view> split(std::string_view s, std::string_view separators);
// A plain decimal number that fits in uint32_t; no sign, no spaces.
std::optional<uint32_t> parse_uint32(std::string_view s);
// "1, 2,3": numbers separated by commas (spaces allowed). nullopt when any piece is not a
// number; an empty list when `s` holds no numbers.
std::optional<std::vector<uint32_t>> number_list(std::string_view s);
// <rules_group>: '|'-separated alternatives; nullopt when one of them is empty, because an
// empty pattern matches every alert.
std::optional<std::vector<GroupPattern>> parse_group_patterns(std::string_view s);
// Wazuh agent IDs: "000" for the manager, "001"... for agents.
bool valid_agent_id(std::string_view s);
// journald field names as sd_journal_add_match() accepts them: A-Z, 0-9 and '_', not
// starting with a digit, at most 64 characters.
bool valid_journal_field(std::string_view field);
// nftables table names rampart creates: [A-Za-z0-9_-], 1 to 32 characters.
bool valid_table_name(std::string_view name);

}  // namespace rampart::config_internal
