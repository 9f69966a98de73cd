// The NATS side of a fleet: one libnats connection, the JetStream stream and this node's
// durable consumers, and the hand-over from libnats' threads to the sd-event loop.
//
// Why threads and an eventfd rather than libnats' event-loop adapter: with an adapter only
// the socket reads move onto the loop. libnats still delivers every message callback on its
// own threads (one per subscription, or its delivery pool), runs reconnects on a thread of
// its own that calls the adapter's attach/detach from there, writes from its flusher and
// timer threads, and the JetStream calls that set up a stream or a consumer block until the
// reply arrives. sd-event objects may only be touched from the loop's thread, so an adapter
// would need locks and a wake-up of its own anyway. Here libnats keeps its threads; every
// callback only appends to a locked queue and writes the eventfd, and the loop drains the
// queue: orders are decided and applied on the loop thread alone, as everything else is.
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/handles_nats.h"
#include "config/config.h"
#include "fleet/fleet_names.h"
namespace rampart {

struct LinkOptions {
  FleetSettings fleet;
  std::string agent_id;
  std::string node_name;
  bool server = false;
};

// What libnats reported, in the loop's thread.
struct LinkEvent {
  enum class Kind : uint8_t {
    Connected,     // `text`: the server's URL
    Disconnected,  // publishes in flight will not be acknowledged
    Ready,         // the stream and this node's consumers are there; orders flow
    Problem,       // `text`: what went wrong (permissions, TLS, a missing stream, ...)
    Message,       // `msg`, from `feed`: an order to apply, then ack()
    Acked,         // `id` was stored in the stream at `sequence`
    PublishFailed  // `id` was refused: `text`
  };
  Kind kind = Kind::Problem;
  NatsMsgPtr msg;
  Feed feed = Feed::All;
  std::string id;
  uint64_t sequence = 0;
  std::string text;
};

// What one message may carry, given the stream's max_msg_size and the server's max_payload
// (<= 0: no limit): kMaxBatchBytes at most, kMaxOrderBytes at least (one order must fit).
size_t batch_bytes_for(int64_t stream_max, int64_t max_payload);

class FleetLink {
 public:
  using Handler = std::function<void(LinkEvent& event)>;

  // Starts connecting (in the background: an unreachable NATS does not delay start-up).
  // Errors are for what can never work: an unreadable credentials or TLS file.
  static Result<std::unique_ptr<FleetLink>> open(sd_event* event, LinkOptions options,
                                                 Handler handler);
  ~FleetLink();
  FleetLink(const FleetLink&) = delete;
  FleetLink& operator=(const FleetLink&) = delete;

  bool connected() const;
  // The most data one message may carry: kMaxBatchBytes, or less when the stream (made by an
  // older rampartd) or the server's max_payload allows less. kMaxOrderBytes until known: a
  // node that does not manage the stream (an agent) never learns more.
  size_t batch_bytes() const;
  // Hands one order to libnats. Its fate comes back as Acked or PublishFailed with `id`.
  Result<void> publish(const std::string& subject, const std::string& id, std::string_view data);
  // Delivered orders: done with (after the change is in the kernel), or never to be sent
  // again (malformed).
  static void ack(natsMsg* msg);
  static void refuse(natsMsg* msg);

 private:
  struct Shared;
  explicit FleetLink(LinkOptions options);
  Result<void> start(sd_event* event, Handler handler);
  Result<void> start_nats();
  void setup_loop();
  Result<void> setup();
  void allow_batches(int64_t stream_max);
  Result<void> ensure_stream(jsCtx* js);
  Result<void> bind(jsCtx* js, Feed feed);
  static int on_wakeup(sd_event_source*, int, uint32_t, void* userdata);

  LinkOptions options_;
  std::unique_ptr<Shared> shared_;
};

}  // namespace rampart
