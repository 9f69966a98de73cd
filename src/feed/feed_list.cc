#include "feed/feed_list.h"
#include <fmt/format.h>

#include <charconv>

#include "base/text.h"

namespace rampart {
namespace {

// Why `token` is not an address or prefix, in words that point at the fix.
std::string bad_entry(std::string_view token) {
  auto slash = token.find('/');
  if (slash != std::string_view::npos) {
    auto address = Address::parse_host(token.substr(0, slash));
    unsigned len = 0;
    auto digits = token.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (address && ec == std::errc() && ptr == digits.data() + digits.size() &&
        len <= address->max_prefix())
      return fmt::format("\"{}\" has host bits set past the /{} (did the list mean {}?)", token,
                         len, address->truncated(static_cast<uint8_t>(len)).str());
  }
  if (token.find_first_of(" \t") != std::string_view::npos)
    return fmt::format("\"{}\" holds more than one entry; put one address or prefix per line",
                       token);
  return fmt::format("\"{}\" is not an IPv4 or IPv6 address or CIDR prefix", token);
}

}  // namespace

Result<FeedList> parse_feed(std::string_view text, std::string_view file, size_t max_entries,
                            std::span<const FeedExclusion> exclude) {
  std::vector<Address> prefixes;
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    size_t nl = text.find('\n');
    std::string_view row = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    row = trim(row.substr(0, row.find_first_of(";#")));
    if (row.empty()) continue;
    auto address = Address::parse(row);
    if (!address)
      return fail(EINVAL, "{}:{}: {}; the list was not loaded and the previous one stays", file,
                  line, bad_entry(row));
    if (prefixes.size() == max_entries)
      return fail(E2BIG,
                  "{}:{}: more than {} entries; raise <max_entries> of this <blocklist> if the "
                  "list is meant to be this long (the previous list stays)",
                  file, line, max_entries);
    prefixes.push_back(*address);
  }
  if (prefixes.empty())
    return fail(ENODATA,
                "{}: holds no address (an empty or failed download?); the previous list stays",
                file);

  FeedList out;
  out.entries = prefixes.size();
  std::vector<AddressRange> merged = merge_prefixes(prefixes);
  prefixes.clear();
  prefixes.shrink_to_fit();
  std::vector<Address> holes;
  holes.reserve(exclude.size());
  for (const FeedExclusion& e : exclude) holes.push_back(e.prefix);
  std::vector<RangeCut> cuts;
  out.ranges = cut_ranges(merged, holes, &cuts);
  for (const RangeCut& c : cuts) {
    const FeedExclusion& e = exclude[c.exclusion];
    out.cuts.push_back(
        c.whole ? fmt::format("skipped {}: within {} ({})", c.range.str(), e.prefix.str(), e.why)
                : fmt::format("cut {} around {} ({})", c.range.str(), e.prefix.str(), e.why));
  }
  return out;
}

}  // namespace rampart
