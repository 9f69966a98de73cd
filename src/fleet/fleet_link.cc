#include "fleet/fleet_link.h"
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/handles_event.h"
#include "fleet/order_codec.h"
namespace rampart {
namespace {

constexpr int64_t kSecondNs = 1000000000;
// How long JetStream waits for an ack before it delivers an order again. Acks follow the
// commit of the loop turn that applied the order, so this is only reached when a node or a
// server died with orders in flight.
constexpr int64_t kAckWaitNs = 5 * kSecondNs;
// Orders delivered and not yet acknowledged, per consumer: bounds what a flood can queue up in
// this process.
constexpr int64_t kMaxAckPending = 20000;

std::string status_text(natsStatus s, std::string_view what) {
  const char* last = nats_GetLastError(nullptr);
  return fmt::format("{}: {}{}{}", what, natsStatus_GetText(s), last && *last ? ": " : "",
                     last ? last : "");
}

Result<void> check(natsStatus s, std::string_view what) {
  if (s == NATS_OK) return {};
  return fail(EIO, "{}", status_text(s, what));
}

}  // namespace

struct FleetLink::Shared {
  struct FeedClosure {
    Shared* shared = nullptr;
    Feed feed = Feed::All;
  };

  std::mutex mutex;
  std::condition_variable wake;  // the setup thread waits on it
  std::deque<LinkEvent> queue;
  bool stopping = false;
  bool bound = false;  // this node's consumers exist and are subscribed
  std::atomic<bool> connected{false};
  std::atomic<size_t> batch_bytes{kMaxOrderBytes};
  Fd eventfd;
  Handler handler;
  EventSourcePtr source;
  NatsOptionsPtr options;
  NatsConnectionPtr connection;
  JsCtxPtr js;  // publishing
  std::vector<NatsSubscriptionPtr> subscriptions;
  std::array<FeedClosure, 3> closures;
  std::thread setup;

  void post(LinkEvent event) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(event));
    }
    uint64_t one = 1;
    (void)!::write(eventfd.get(), &one, sizeof one);
  }
  void post(LinkEvent::Kind kind, std::string text = {}) {
    LinkEvent e;
    e.kind = kind;
    e.text = std::move(text);
    post(std::move(e));
  }
  void set_connected(bool up, natsConnection* nc) {
    connected = up;
    if (!up) {
      post(LinkEvent::Kind::Disconnected);
      return;
    }
    char url[256] = {};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    post(LinkEvent::Kind::Connected, url);
    wake.notify_all();
  }

  // libnats' callbacks, on its threads: they only queue.
  static void on_connected(natsConnection* nc, void* closure) {
    static_cast<Shared*>(closure)->set_connected(true, nc);
  }
  static void on_disconnected(natsConnection* nc, void* closure) {
    static_cast<Shared*>(closure)->set_connected(false, nc);
  }
  static void on_closed(natsConnection*, void* closure) {
    static_cast<Shared*>(closure)->connected = false;
  }
  static void on_error(natsConnection* nc, natsSubscription*, natsStatus s, void* closure) {
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    static_cast<Shared*>(closure)->post(
        LinkEvent::Kind::Problem,
        fmt::format("NATS: {}{}{}", natsStatus_GetText(s), text ? ": " : "", text ? text : ""));
  }
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* c = static_cast<FeedClosure*>(closure);
    LinkEvent e;
    e.kind = LinkEvent::Kind::Message;
    e.msg.reset(msg);
    e.feed = c->feed;
    c->shared->post(std::move(e));
  }
  static void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    NatsMsgPtr owned(msg);
    LinkEvent e;
    const char* id = nullptr;
    natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
    e.id = id ? id : "";
    if (pa) {
      e.kind = LinkEvent::Kind::Acked;
      e.sequence = pa->Sequence;
    } else {
      e.kind = LinkEvent::Kind::PublishFailed;
      e.text = pae && pae->ErrText ? pae->ErrText : natsStatus_GetText(pae ? pae->Err : NATS_ERR);
    }
    static_cast<Shared*>(closure)->post(std::move(e));
  }
};

FleetLink::FleetLink(LinkOptions options)
    : options_(std::move(options)), shared_(std::make_unique<Shared>()) {}

Result<std::unique_ptr<FleetLink>> FleetLink::open(sd_event* event, LinkOptions options,
                                                   Handler handler) {
  std::unique_ptr<FleetLink> link(new FleetLink(std::move(options)));
  if (auto r = link->start(event, std::move(handler)); !r) return std::unexpected(r.error());
  return link;
}

namespace {

// <credentials>: a NATS .creds file (user JWT and seed, as `nsc` writes them) or, for
// servers configured with users and passwords, one line "user:password".
Result<void> set_credentials(natsOptions* o, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail_errno(errno ? errno : EACCES, "{}: cannot read", path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.find("-----BEGIN NATS USER JWT-----") != std::string::npos)
    return check(natsOptions_SetUserCredentialsFromFiles(o, path.c_str(), nullptr), path);
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return fail(EINVAL,
                "{}: neither a NATS credentials file (-----BEGIN NATS USER JWT-----) nor a "
                "line user:password",
                path);
  return check(
      natsOptions_SetUserInfo(o, line.substr(0, colon).c_str(), line.substr(colon + 1).c_str()),
      path);
}

Result<void> set_tls(natsOptions* o, const FleetSettings& f) {
  if (f.tls_ca.empty() && f.tls_cert.empty()) return {};
  if (auto r = check(natsOptions_SetSecure(o, true), "TLS"); !r) return r;
  if (!f.tls_ca.empty())
    if (auto r = check(natsOptions_LoadCATrustedCertificates(o, f.tls_ca.c_str()), f.tls_ca); !r)
      return r;
  if (!f.tls_cert.empty())
    if (auto r = check(natsOptions_LoadCertificatesChain(o, f.tls_cert.c_str(), f.tls_key.c_str()),
                       f.tls_cert);
        !r)
      return r;
  return {};
}

}  // namespace

Result<void> FleetLink::start(sd_event* event, Handler handler) {
  Shared& s = *shared_;
  s.handler = std::move(handler);
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "eventfd");
  s.eventfd.reset(fd);
  sd_event_source* src = nullptr;
  if (int r = sd_event_add_io(event, &src, fd, EPOLLIN, on_wakeup, this); r < 0)
    return fail_errno(-r, "cannot watch the fleet's eventfd");
  s.source.reset(src);

  // libnats starts its threads from here (and they start others): none of them may take the
  // signals the loop handles through signalfd (SIGTERM, SIGHUP, SIGUSR1), whatever the order
  // in which the daemon sets itself up.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  auto r = start_nats();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return r;
}

Result<void> FleetLink::start_nats() {
  Shared& s = *shared_;
  if (auto r = check(nats_Open(-1), "libnats"); !r) return r;
  natsOptions* o = nullptr;
  if (auto r = check(natsOptions_Create(&o), "NATS options"); !r) return r;
  s.options.reset(o);
  const FleetSettings& f = options_.fleet;
  std::vector<const char*> servers;
  for (const auto& url : f.servers) servers.push_back(url.c_str());
  std::string name = "rampartd " + options_.node_name;
  std::string inbox = inbox_prefix(f.name, options_.agent_id);
  for (auto [status, what] : {
           std::pair{natsOptions_SetServers(o, servers.data(), int(servers.size())), "servers"},
           {natsOptions_SetName(o, name.c_str()), "name"},
           {natsOptions_SetCustomInboxPrefix(o, inbox.c_str()), "inbox"},
           {natsOptions_SetMaxReconnect(o, -1), "reconnect"},
           {natsOptions_SetReconnectWait(o, 250), "reconnect wait"},
           {natsOptions_SetTimeout(o, 2000), "timeout"},
           {natsOptions_SetPingInterval(o, 5000), "ping"},
           {natsOptions_SetRetryOnFailedConnect(o, true, Shared::on_connected, &s), "retry"},
           {natsOptions_SetDisconnectedCB(o, Shared::on_disconnected, &s), "callback"},
           {natsOptions_SetReconnectedCB(o, Shared::on_connected, &s), "callback"},
           {natsOptions_SetClosedCB(o, Shared::on_closed, &s), "callback"},
           {natsOptions_SetErrorHandler(o, Shared::on_error, &s), "callback"},
       })
    if (auto r = check(status, what); !r) return r;
  if (!f.credentials.empty())
    if (auto r = set_credentials(o, f.credentials); !r) return r;
  if (auto r = set_tls(o, f); !r) return r;

  natsConnection* nc = nullptr;
  natsStatus st = natsConnection_Connect(&nc, o);
  if (st != NATS_OK && st != NATS_NOT_YET_CONNECTED)
    return fail(EIO, "{}", status_text(st, "cannot connect to NATS"));
  s.connection.reset(nc);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.AckHandler = Shared::on_pub_ack;
  jo.PublishAsync.AckHandlerClosure = &s;
  // The outbox bounds what is in flight; libnats must never stall the loop on its own limit.
  jo.PublishAsync.MaxPending = int64_t(1) << 30;
  jsCtx* js = nullptr;
  if (auto r = check(natsConnection_JetStream(&js, nc, &jo), "JetStream"); !r) return r;
  s.js.reset(js);
  if (st == NATS_OK) s.set_connected(true, nc);
  for (size_t i = 0; i < s.closures.size(); ++i) s.closures[i] = {&s, static_cast<Feed>(i)};
  s.setup = std::thread([this] { setup_loop(); });
  return {};
}

FleetLink::~FleetLink() {
  Shared& s = *shared_;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
  }
  s.wake.notify_all();
  if (s.setup.joinable()) s.setup.join();
  s.source.reset();
  s.subscriptions.clear();
  s.js.reset();
  if (s.connection) natsConnection_Close(s.connection.get());
  s.connection.reset();
  s.options.reset();
  // Every libnats thread is gone after this: no callback can reach `shared_` any more.
  nats_CloseAndWait(5000);
}

bool FleetLink::connected() const {
  return shared_->connected;
}

size_t FleetLink::batch_bytes() const {
  return shared_->batch_bytes;
}

Result<void> FleetLink::publish(const std::string& subject, const std::string& id,
                                std::string_view data) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = id.c_str();  // JetStream drops a repeat within its duplicate window
  return check(js_PublishAsync(shared_->js.get(), subject.c_str(), data.data(),
                               static_cast<int>(data.size()), &po),
               "publish");
}

void FleetLink::ack(natsMsg* msg) {
  natsMsg_Ack(msg, nullptr);
}

void FleetLink::refuse(natsMsg* msg) {
  natsMsg_Term(msg, nullptr);
}

int FleetLink::on_wakeup(sd_event_source*, int fd, uint32_t, void* userdata) {
  auto* self = static_cast<FleetLink*>(userdata);
  uint64_t n;
  (void)!::read(fd, &n, sizeof n);
  std::deque<LinkEvent> batch;
  {
    std::lock_guard lock(self->shared_->mutex);
    batch.swap(self->shared_->queue);
  }
  for (LinkEvent& e : batch) self->shared_->handler(e);
  return 0;
}

void FleetLink::setup_loop() {
  Shared& s = *shared_;
  std::unique_lock lock(s.mutex);
  while (true) {
    s.wake.wait(lock, [&] { return s.stopping || (s.connected && !s.bound); });
    if (s.stopping) return;
    lock.unlock();
    auto r = setup();
    lock.lock();
    if (r) {
      s.bound = true;
      lock.unlock();
      s.post(LinkEvent::Kind::Ready);
      lock.lock();
      continue;
    }
    lock.unlock();
    s.post(LinkEvent::Kind::Problem, r.error().message);
    lock.lock();
    s.wake.wait_for(lock, std::chrono::seconds(2), [&] { return s.stopping; });
  }
}

Result<void> FleetLink::setup() {
  jsCtx* js = nullptr;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (auto r = check(natsConnection_JetStream(&js, shared_->connection.get(), &jo), "JetStream");
      !r)
    return r;
  JsCtxPtr owned(js);
  if (options_.server)
    if (auto r = ensure_stream(js); !r) return r;
  std::vector<Feed> feeds{Feed::All, Feed::Self};
  if (options_.server) feeds.push_back(Feed::Server);
  shared_->subscriptions.clear();
  for (Feed feed : feeds)
    if (auto r = bind(js, feed); !r) return r;
  return {};
}

size_t batch_bytes_for(int64_t stream_max, int64_t max_payload) {
  int64_t limit = int64_t(kMaxBatchBytes);
  for (int64_t max : {stream_max, max_payload})
    if (max > 0) limit = std::min(limit, max - int64_t(kMessageHeaderRoom));
  return size_t(std::max(limit, int64_t(kMaxOrderBytes)));
}

void FleetLink::allow_batches(int64_t stream_max) {
  shared_->batch_bytes =
      batch_bytes_for(stream_max, natsConnection_GetMaxPayload(shared_->connection.get()));
}

Result<void> FleetLink::ensure_stream(jsCtx* js) {
  const FleetSettings& f = options_.fleet;
  std::string name = stream_name(f.name);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetStreamInfo(&si, js, name.c_str(), nullptr, &jerr);
  JsStreamInfoPtr info(si);
  if (s == NATS_OK) {
    allow_batches(si->Config ? si->Config->MaxMsgSize : 0);
    return {};
  }
  if (s != NATS_NOT_FOUND) return check(s, fmt::format("stream {}", name));
  std::string subjects = f.name + ".order.>";
  const char* list[] = {subjects.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = list;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.Discard = js_DiscardOld;
  cfg.MaxAge = int64_t(f.retention_sec) * kSecondNs;
  cfg.Replicas = int64_t(f.replicas);
  cfg.Duplicates = 120 * kSecondNs;
  cfg.MaxMsgSize = int32_t(kMaxBatchBytes + kMessageHeaderRoom);
  s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
  info.reset(si);
  if (s == NATS_OK) allow_batches(cfg.MaxMsgSize);
  if (s == NATS_OK || jerr == JSStreamNameExistErr) return {};
  return fail(EIO, "{}; with fewer NATS servers than <replicas> ({}), lower <replicas>",
              status_text(s, fmt::format("cannot create stream {}", name)), f.replicas);
}

Result<void> FleetLink::bind(jsCtx* js, Feed feed) {
  const FleetSettings& f = options_.fleet;
  std::string stream = stream_name(f.name);
  std::string durable = durable_name(f.name, options_.agent_id, feed);
  std::string filter = feed_subject(f.name, options_.agent_id, feed);
  std::string deliver = deliver_subject(f.name, options_.agent_id, feed);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr{};
  natsStatus s = js_GetConsumerInfo(&ci, js, stream.c_str(), durable.c_str(), nullptr, &jerr);
  JsConsumerInfoPtr info(ci);
  if (s == NATS_NOT_FOUND) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    // Name and durable: libnats then creates it through the API subject that carries the
    // filter, which nats-server permissions can restrict to this node's own subjects.
    cc.Name = durable.c_str();
    cc.Durable = durable.c_str();
    cc.DeliverSubject = deliver.c_str();
    cc.FilterSubject = filter.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;  // a new node gets every order the stream still keeps
    cc.AckWait = kAckWaitNs;
    cc.MaxAckPending = kMaxAckPending;
    cc.MaxDeliver = -1;
    s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
    info.reset(ci);
  }
  if (s != NATS_OK)
    return fail(EIO, "{}",
                status_text(s, fmt::format("consumer {} of stream {} (a server node creates the "
                                           "stream when it first connects)",
                                           durable, stream)));
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = durable.c_str();
  so.ManualAck = true;
  natsSubscription* sub = nullptr;
  auto* closure = &shared_->closures[static_cast<size_t>(feed)];
  s = js_Subscribe(&sub, js, filter.c_str(), Shared::on_message, closure, nullptr, &so, &jerr);
  if (s != NATS_OK) return check(s, fmt::format("subscribing to {}", durable));
  natsSubscription_SetPendingLimits(sub, -1, -1);  // bounded by the consumer's MaxAckPending
  shared_->subscriptions.emplace_back(sub);
  return {};
}

}  // namespace rampart
