// The nftables backend's block snapshot on disk (see block_snapshot.h for when it is
// trusted): <state_directory>/nftables.blocks, written at a clean stop, read and removed at
// the next start.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "table/block_snapshot.h"
namespace rampart {

std::string nft_snapshot_path(const std::string& state_directory);

// This boot, this network namespace, `table` at generation `genid`.
Result<SnapshotOrigin> nft_snapshot_origin(const std::string& table, uint32_t genid);

// Writes atomically (see atomic_file.h).
Result<void> save_nft_snapshot(const std::string& path, const BlockSnapshot& snapshot);

// Reads and removes the snapshot at `path`. Returns it when it was taken at `here`; otherwise
// (none, unreadable, another boot, namespace, table or generation) nullopt and `why` says why.
std::optional<BlockSnapshot> take_nft_snapshot(const std::string& path, const SnapshotOrigin& here,
                                               std::string& why);

}  // namespace rampart
