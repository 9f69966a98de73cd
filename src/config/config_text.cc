#include "config/config_text.h"
#include <charconv>

namespace rampart::config_internal {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find_first_of(separators, pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::optional<uint32_t> parse_uint32(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return {};
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return {};
  return value;
}

std::optional<std::vector<uint32_t>> number_list(std::string_view s) {
  std::vector<uint32_t> out;
  for (std::string_view piece : split(s, ",")) {
    piece = trim(piece);
    if (piece.empty()) continue;
    auto value = parse_uint32(piece);
    if (!value) return {};
    out.push_back(*value);
  }
  return out;
}

std::optional<std::vector<GroupPattern>> parse_group_patterns(std::string_view s) {
  std::vector<GroupPattern> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find('|', pos);
    std::string_view piece =
        trim(s.substr(pos, end == std::string_view::npos ? s.npos : end - pos));
    GroupPattern pattern;
    if (piece.starts_with('^')) {
      pattern.anchor_start = true;
      piece.remove_prefix(1);
    }
    if (piece.ends_with('$')) {
      pattern.anchor_end = true;
      piece.remove_suffix(1);
    }
    // "^$" alone would only match an alert without groups; treat it like any empty pattern.
    if (piece.empty()) return {};
    pattern.text = lower(piece);
    out.push_back(std::move(pattern));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

bool valid_agent_id(std::string_view s) {
  if (s.empty() || s.size() > 8) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool valid_journal_field(std::string_view field) {
  if (field.empty() || field.size() > 64 || (field[0] >= '0' && field[0] <= '9')) return false;
  for (char c : field)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool valid_table_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace rampart::config_internal
