// Table and chain messages that several transactions share (the blocks' ruleset, feeds,
// per-service blocks): each appends one message to a batch, named for error reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nft/nft_batch.h"
namespace rampart {

// NEWTABLE inet `table` with NLM_F_CREATE: created if missing, kept as it is otherwise.
void nft_append_table(NftBatchWriter& w, const std::string& table);
// A filter base chain at `hook` with rampart's priority, created if missing.
void nft_append_base_chain(NftBatchWriter& w, const std::string& table, std::string_view name,
                           uint32_t hook);
// A DELRULE naming only the chain: removes all of its rules.
void nft_append_chain_flush(NftBatchWriter& w, const std::string& table, std::string_view name);

}  // namespace rampart
