#include "table/block_snapshot.h"

#include "base/byte_reader.h"

namespace rampart {
namespace {

constexpr std::string_view kMagic = "RAMPART-BLOCKS-2\n";
constexpr std::string_view kMagicV1 = "RAMPART-BLOCKS-1\n";
// family, prefix, 16 address bytes, command u16, rule u32, reason u32, expiry u64
constexpr size_t kRecordSize = 2 + 16 + 2 + 4 + 4 + 8;

class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }
  template <class T>
  void put(T v) {
    put_bytes(out_, v);
  }
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void str(std::string_view s) {
    put(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string encode_snapshot(const BlockSnapshot& s) {
  Writer w(kMagic.size() + 64 + s.blocks.size() * kRecordSize);
  w.bytes(kMagic.data(), kMagic.size());
  w.put(uint32_t{1});  // byte order probe
  w.bytes(s.origin.boot_id.data(), s.origin.boot_id.size());
  w.put(s.origin.netns);
  w.put(s.origin.genid);
  w.str(s.origin.table);
  w.put(s.origin.clock_offset_us);
  w.put(static_cast<uint8_t>(s.origin.state));
  w.put(s.origin.epoch);
  w.put(static_cast<uint32_t>(s.commands.size()));
  for (const auto& c : s.commands) w.str(c);
  w.put(static_cast<uint32_t>(s.scopes.size()));
  for (const auto& p : s.scopes) w.str(p);
  w.put(static_cast<uint32_t>(s.reasons.size()));
  for (const auto& r : s.reasons) w.str(r);
  w.put(static_cast<uint64_t>(s.blocks.size()));
  for (const auto& b : s.blocks) {
    w.put(b.address.family);
    w.put(b.address.prefix);
    w.bytes(b.address.bytes.data(), b.address.bytes.size());
    w.put(b.command);
    w.put(b.rule_id);
    w.put(b.reason);
    w.put(b.expiry_us);
  }
  return w.take();
}

Result<BlockSnapshot> decode_snapshot(std::string_view bytes, std::string_view name) {
  auto bad = [&](std::string_view what) {
    return fail(EINVAL, "{}: {}; ignoring it (the blocks are read from the firewall instead)", name,
                what);
  };
  bool v1 = bytes.starts_with(kMagicV1);
  if (!v1 && !bytes.starts_with(kMagic)) return bad("not a rampart block snapshot of this version");
  ByteReader r(bytes.substr(kMagic.size()));
  BlockSnapshot s;
  uint32_t probe = 0, count = 0;
  if (!r.get(probe) || probe != 1) return bad("written on a machine of another byte order");
  if (!r.bytes(s.origin.boot_id.data(), s.origin.boot_id.size()) || !r.get(s.origin.netns) ||
      !r.get(s.origin.genid) || !r.str(s.origin.table))
    return bad("truncated header");
  uint8_t state = 0;
  if (v1)
    s.origin.clock_known = false;
  else if (!r.get(s.origin.clock_offset_us) || !r.get(state) || !r.get(s.origin.epoch))
    return bad("truncated header");
  if (state > static_cast<uint8_t>(RecordState::NeedsVerify)) return bad("unknown record state");
  s.origin.state = static_cast<RecordState>(state);
  std::vector<std::vector<std::string>*> lists{&s.commands, &s.scopes, &s.reasons};
  if (v1) lists.erase(lists.begin() + 1);
  for (auto* list : lists) {
    if (!r.get(count) || count > r.left() / 4) return bad("truncated string table");
    list->resize(count);
    for (auto& str : *list)
      if (!r.str(str)) return bad("truncated string table");
  }
  uint64_t blocks = 0;
  if (!r.get(blocks) || blocks != r.left() / kRecordSize || r.left() % kRecordSize != 0)
    return bad("truncated or padded block records");
  s.blocks.resize(blocks);
  for (auto& b : s.blocks) {
    r.get(b.address.family);
    r.get(b.address.prefix);
    r.bytes(b.address.bytes.data(), b.address.bytes.size());
    r.get(b.command);
    r.get(b.rule_id);
    r.get(b.reason);
    r.get(b.expiry_us);
    bool v4 = b.address.family == AF_INET;
    if ((!v4 && b.address.family != AF_INET6) || b.address.prefix > b.address.max_prefix() ||
        b.command >= s.commands.size() || b.reason >= s.reasons.size())
      return bad("a block record is out of range");
  }
  return s;
}

}  // namespace rampart
