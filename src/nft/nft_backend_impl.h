// NftBackend's insides, shared by nft_backend.cc (the socket, requests, dumps, the ruleset)
// and nft_transact.cc (element transactions and what the kernel refused of them). Private to
// src/nft.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/handles_nft.h"
#include "nft/nft_ack.h"
#include "nft/nft_backend.h"
#include "nft/nft_batch.h"
namespace rampart::nft_internal {

// Receive buffer per ack the kernel might queue (an error ack's skb truesize is under 1 KiB).
inline constexpr size_t kAckBudget = 1024;
inline constexpr size_t kMinReceiveBuffer = size_t{1} << 20;
// netlink_sendmsg() refuses a message longer than sk_sndbuf - 32.
inline constexpr size_t kSendOverhead = 32;
// How long to wait for acks the kernel has not queued yet. It processes a batch inside our
// sendmsg(), so they are normally all there when it returns; this only guards against a hang.
inline constexpr int kAckTimeoutMs = 5000;
// Transactions refused as a whole (ERESTART: the ruleset changed under us) are retried.
inline constexpr int kMaxRetries = 5;

struct Outcome {
  std::vector<NftAck> errors;
  bool overrun = false;  // the receive buffer overflowed: some acks are lost
};

// Grows a socket buffer to at least `bytes` if it is smaller: SO_*BUFFORCE ignores the
// rmem_max/wmem_max limits (as root, as nft does); without the privilege the plain option
// gets what the limits allow. Returns the resulting size.
size_t grow_buffer(int fd, int option, int force_option, size_t bytes);

}  // namespace rampart::nft_internal
namespace rampart {

struct NftBackend::Impl {
  using Outcome = nft_internal::Outcome;
  std::string table;
  MnlSocketPtr nl;
  unsigned portid = 0;
  uint32_t seq = 0;
  NftCounters counters;
  std::vector<char> rx = std::vector<char>(size_t{1} << 17);
  NftListener* listener = nullptr;
  size_t quiet_min = SIZE_MAX;

  int fd() const { return mnl_socket_get_fd(nl.get()); }
  uint32_t next_seq() { return seq++; }

  // Sends a whole transaction and collects every ack it causes.
  Result<Outcome> send(const NftBatch& batch);

  // A plain request (with NLM_F_ACK) or a dump; `on_reply` sees every data message. Sets
  // `interrupted` when the kernel flags a dump as inconsistent (the set changed meanwhile).
  Result<void> request(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& on_reply,
                       bool* interrupted = nullptr);

  Result<uint32_t> genid();

  // How many rules the chain has; 0 when the table or chain does not exist yet.
  Result<size_t> count_rules(std::string_view chain);

  Result<std::vector<NftElement>> dump_set(NftSetKind kind,
                                           const std::function<void(size_t)>& progress);

  Result<std::vector<NftElement>> dump_all(const std::function<void(size_t)>& progress = {});

  // What the kernel's error acks for `batch` say: changes to drop (with why), messages to
  // bisect (their halves get groups of their own), or a refusal of the whole transaction.
  struct Refusals {
    std::unordered_map<size_t, Error> drop;
    bool split = false;
    std::optional<Error> batch_error;
  };

  Refusals sort_out(std::span<const Change> changes, const NftBatch& batch, const Outcome& outcome,
                    std::vector<uint32_t>& groups, uint32_t& next_group);

  // Sends `order` (indices into `changes`) as one transaction, dropping refused changes into
  // `rejected` and resending the rest until the kernel takes it.
  void transact(std::span<const Change> changes, std::vector<size_t> order,
                std::vector<uint32_t>& groups, uint32_t& next_group, ApplyResult& out);

  // The whole of `changes` as one transaction while the listener pauses. Returns nullopt when
  // that did not work out (the listener could not pause, the ruleset moved on, the kernel
  // refused something): the ordinary path then sends it and sorts out any refusal.
  std::optional<ApplyResult> transact_quietly(std::span<const Change> changes);

  // Sends a ruleset or flush transaction; the first refused message becomes the error.
  Result<void> send_simple(const NftBatch& batch, bool* restart);
};

}  // namespace rampart
