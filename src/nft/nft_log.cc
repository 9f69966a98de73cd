#include "nft/nft_log.h"

#include "base/byte_reader.h"

#include <algorithm>
#include <cstring>
#include <numeric>
namespace rampart {
namespace {

constexpr std::string_view kMagic = "RAMPART-NFTLOG-1\n";
// length, checksum, boot id, clock offset
constexpr size_t kFrameHeader = 4 + 4 + 16 + 8;
enum : char { kAdd = 'A', kRemove = 'D', kName = 'N', kMarker = 'M' };

template <class T>
void put(std::string& out, T v) {
  put_bytes(out, v);  // little-endian hosts (the header's probe checks it)
}

void put_address(std::string& out, const Address& a) {
  out += static_cast<char>(a.family);
  out += static_cast<char>(a.prefix);
  out.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
}

class Reader : public ByteReader {
 public:
  using ByteReader::ByteReader;
  bool address(Address& a) {
    if (!get(a.family) || !get(a.prefix) || !bytes(a.bytes.data(), a.bytes.size())) return false;
    return (a.family == AF_INET || a.family == AF_INET6) && a.prefix <= a.max_prefix();
  }
};

// Not cryptographic: it tells a frame that was written whole from one a power cut tore.
uint32_t checksum(std::string_view data) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ data.size();
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, data.data() + i, sizeof w);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, data.data() + i, data.size() - i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// One frame's records into `log`; false when they do not parse (the frame is then dropped).
bool read_records(Reader r, bool this_boot, int64_t from_offset, int64_t to_offset, NftLog& log) {
  size_t entries = log.entries.size(), names = log.names.size();
  auto undo = [&] {
    log.entries.resize(entries);
    log.names.resize(names);
    return false;
  };
  std::optional<NftMarker> marker;
  while (r.left() > 0) {
    char type = 0;
    r.get(type);
    NftLogEntry e;
    if (type == kAdd) {
      if (!r.address(e.address) || !r.get(e.scope) || !r.get(e.command) || !r.get(e.rule_id) ||
          !r.get(e.expiry_us))
        return undo();
      if (e.command >= log.names.size() || e.scope >= log.names.size()) return undo();
      if (!this_boot) e.expiry_us = nft_carry_deadline(e.expiry_us, from_offset, to_offset);
      log.entries.push_back(e);
    } else if (type == kRemove) {
      if (!r.address(e.address) || !r.get(e.scope) || e.scope >= log.names.size()) return undo();
      e.removed = true;
      log.entries.push_back(e);
    } else if (type == kName) {
      uint16_t id = 0, len = 0;
      std::string name;
      if (!r.get(id) || !r.get(len) || !r.str(name, len) || id != log.names.size()) return undo();
      log.names.push_back(std::move(name));
    } else if (type == kMarker) {
      NftMarker m;
      uint8_t state = 0;
      if (!r.get(state) || !r.get(m.genid) || !r.get(m.netns) ||
          state > static_cast<uint8_t>(RecordState::NeedsVerify))
        return undo();
      m.state = static_cast<RecordState>(state);
      marker = m;
      log.marked_entries = log.entries.size();
    } else {
      return undo();
    }
  }
  if (marker) {
    log.marker = marker;
    log.marker_this_boot = this_boot;
  }
  return true;
}

}  // namespace

uint64_t nft_carry_deadline(uint64_t expiry_us, int64_t from_offset_us, int64_t to_offset_us) {
  if (expiry_us == 0) return 0;
  int64_t moved = static_cast<int64_t>(expiry_us) + from_offset_us - to_offset_us;
  return moved > 1 ? static_cast<uint64_t>(moved) : 1;
}

uint16_t NftLogWriter::name(std::string_view text) {
  for (int i = 0; i < 2; ++i)
    if (recent_id_[i] != UINT16_MAX && text == recent_[i]) return recent_id_[i];
  auto [it, added] = names_.try_emplace(std::string(text), static_cast<uint16_t>(names_.size()));
  if (added) {
    payload_ += kName;
    put(payload_, it->second);
    put(payload_, static_cast<uint16_t>(text.size()));
    payload_.append(text);
  }
  // The older of the two gives way.
  recent_[1] = std::move(recent_[0]);
  recent_id_[1] = recent_id_[0];
  recent_[0] = it->first;
  recent_id_[0] = it->second;
  return it->second;
}

void NftLogWriter::add(const Address& address, std::string_view scope, std::string_view command,
                       uint32_t rule_id, uint64_t expiry_us) {
  uint16_t scope_id = name(scope), command_id = name(command);
  payload_ += kAdd;
  put_address(payload_, address);
  put(payload_, scope_id);
  put(payload_, command_id);
  put(payload_, rule_id);
  put(payload_, expiry_us);
}

void NftLogWriter::remove(const Address& address, std::string_view scope) {
  uint16_t scope_id = name(scope);
  payload_ += kRemove;
  put_address(payload_, address);
  put(payload_, scope_id);
}

void NftLogWriter::marker(const NftMarker& m) {
  payload_ += kMarker;
  put(payload_, static_cast<uint8_t>(m.state));
  put(payload_, m.genid);
  put(payload_, m.netns);
}

std::string NftLogWriter::header(const NftClock& clock) const {
  std::string ids;
  ids.append(reinterpret_cast<const char*>(clock.boot_id.data()), clock.boot_id.size());
  put(ids, clock.offset_us);
  std::string out;
  out.reserve(kFrameHeader);
  put(out, static_cast<uint32_t>(payload_.size()));
  put(out, checksum(ids) ^ checksum(payload_));
  out += ids;
  return out;
}

std::string NftLogWriter::finish(const NftClock& clock) {
  std::string frame = header(clock) + payload_;
  clear();
  return frame;
}

void NftLogWriter::restart() {
  payload_.clear();
  names_.clear();
  recent_id_[0] = recent_id_[1] = UINT16_MAX;
}

void NftLogWriter::seed(const std::vector<std::string>& names) {
  restart();
  for (const std::string& n : names) names_.try_emplace(n, static_cast<uint16_t>(names_.size()));
}

std::string encode_nft_log_header(uint64_t epoch, std::string_view table) {
  std::string out(kMagic);
  put(out, uint32_t{1});  // byte order probe
  put(out, epoch);
  put(out, static_cast<uint16_t>(table.size()));
  out.append(table);
  return out;
}

Result<NftLog> decode_nft_log(std::string_view bytes, const NftClock& now, std::string_view name) {
  auto bad = [&](std::string_view what) { return fail(EINVAL, "{}: {}", name, what); };
  if (!bytes.starts_with(kMagic)) return bad("not a rampart nftables log of this version");
  Reader r(bytes.substr(kMagic.size()));
  NftLog log;
  uint32_t probe = 0;
  uint16_t table_len = 0;
  if (!r.get(probe) || probe != 1) return bad("written on a machine of another byte order");
  if (!r.get(log.epoch) || !r.get(table_len) || !r.str(log.table, table_len))
    return bad("truncated header");
  while (r.left() >= kFrameHeader) {
    uint32_t len = 0, sum = 0;
    Reader frame = r;
    frame.get(len);
    frame.get(sum);
    if (frame.left() < 16 + 8 + size_t{len}) break;
    std::string_view ids = frame.rest().substr(0, 16 + 8);
    if ((checksum(ids) ^ checksum(frame.rest().substr(16 + 8, len))) != sum) break;
    NftClock writer;
    frame.bytes(writer.boot_id.data(), writer.boot_id.size());
    frame.get(writer.offset_us);
    bool this_boot = writer.boot_id == now.boot_id;
    if (!read_records(Reader(frame.rest().substr(0, len)), this_boot, writer.offset_us,
                      now.offset_us, log))
      break;
    r.skip(kFrameHeader + len);
  }
  log.valid_bytes = bytes.size() - r.left();
  return log;
}

namespace {

// Scopes as small numbers, equal for equal text, across the base and the log.
struct ScopeKeys {
  std::vector<std::string> texts{""};
  uint16_t key(const std::string& text) {
    auto it = std::find(texts.begin(), texts.end(), text);
    if (it == texts.end()) it = texts.insert(texts.end(), text);
    return static_cast<uint16_t>(it - texts.begin());
  }
};

void sort_by_address(std::vector<SnapshotBlock>& blocks) {
  auto by_address = [](const SnapshotBlock& a, const SnapshotBlock& b) {
    return a.address < b.address;
  };
  if (!std::is_sorted(blocks.begin(), blocks.end(), by_address))
    std::stable_sort(blocks.begin(), blocks.end(), by_address);
}

// The last entry of each (address, scope) among the first `upto`, in address order.
std::vector<uint32_t> last_entries(const NftLog& log, size_t upto,
                                   const std::vector<uint16_t>& log_scope) {
  auto before = [&](uint32_t a, uint32_t b) {
    const NftLogEntry &x = log.entries[a], &y = log.entries[b];
    if (x.address != y.address) return x.address < y.address;
    return log_scope[x.scope] < log_scope[y.scope];
  };
  std::vector<uint32_t> order(upto);
  std::iota(order.begin(), order.end(), uint32_t{0});
  std::stable_sort(order.begin(), order.end(), before);
  std::vector<uint32_t> last;
  last.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    if (i + 1 == order.size() || before(order[i], order[i + 1])) last.push_back(order[i]);
  return last;
}

}  // namespace

BlockSnapshot replay_nft_log(BlockSnapshot base, const NftLog& log, size_t upto, uint64_t now_us) {
  upto = std::min(upto, log.entries.size());
  ScopeKeys scopes;
  std::vector<uint16_t> log_scope(log.names.size()), base_scope(base.commands.size());
  for (size_t i = 0; i < log.names.size(); ++i) log_scope[i] = scopes.key(log.names[i]);
  base.scopes.resize(base.commands.size());
  for (size_t c = 0; c < base.commands.size(); ++c) base_scope[c] = scopes.key(base.scopes[c]);
  std::vector<uint32_t> last = last_entries(log, upto, log_scope);
  sort_by_address(base.blocks);
  // Log names used as commands, into the result's command table.
  std::vector<uint16_t> command_ids(log.names.size(), UINT16_MAX);
  auto command_id = [&](const NftLogEntry& e) {
    uint16_t& id = command_ids[e.command];
    if (id != UINT16_MAX) return id;
    const std::string& name = log.names[e.command];
    auto it = std::find(base.commands.begin(), base.commands.end(), name);
    if (it == base.commands.end()) {
      it = base.commands.insert(base.commands.end(), name);
      base.scopes.push_back(log.names[e.scope]);
      base_scope.push_back(log_scope[e.scope]);
    }
    return id = static_cast<uint16_t>(it - base.commands.begin());
  };
  auto live = [&](uint64_t expiry) { return expiry == 0 || expiry > now_us; };

  std::vector<SnapshotBlock> out;
  out.reserve(base.blocks.size() + last.size());
  size_t b = 0;
  for (size_t g = 0; g < last.size();) {
    const Address& address = log.entries[last[g]].address;
    for (; b < base.blocks.size() && base.blocks[b].address < address; ++b)
      if (live(base.blocks[b].expiry_us)) out.push_back(base.blocks[b]);
    size_t end = g, first_block = b;
    while (end < last.size() && log.entries[last[end]].address == address) ++end;
    // The base's blocks of this address in scopes the log does not speak of stay.
    for (; b < base.blocks.size() && base.blocks[b].address == address; ++b) {
      uint16_t scope = base_scope[base.blocks[b].command];
      bool logged = std::any_of(last.begin() + g, last.begin() + end, [&](uint32_t k) {
        return log_scope[log.entries[k].scope] == scope;
      });
      if (!logged && live(base.blocks[b].expiry_us)) out.push_back(base.blocks[b]);
    }
    for (size_t k = g; k < end; ++k) {
      const NftLogEntry& e = log.entries[last[k]];
      if (e.removed || !live(e.expiry_us)) continue;
      uint16_t command = command_id(e);
      uint32_t reason = 0;
      for (size_t i = first_block; i < b; ++i)
        if (base.blocks[i].command == command) reason = base.blocks[i].reason;
      out.push_back({e.address, command, e.rule_id, reason, e.expiry_us});
    }
    g = end;
  }
  for (; b < base.blocks.size(); ++b)
    if (live(base.blocks[b].expiry_us)) out.push_back(base.blocks[b]);
  base.blocks = std::move(out);
  return base;
}

}  // namespace rampart
