// The one place where C handles get their owners. Every handle from libsystemd, libmnl,
// libnftnl and libxml2 lives in a unique_ptr with the library's own free function.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <libxml/parser.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace rampart {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

template <class T, auto Free>
using Handle = std::unique_ptr<T, Deleter<Free>>;

using EventPtr = Handle<sd_event, sd_event_unref>;
using EventSourcePtr = Handle<sd_event_source, sd_event_source_disable_unref>;
using BusPtr = Handle<sd_bus, sd_bus_flush_close_unref>;
using BusSlotPtr = Handle<sd_bus_slot, sd_bus_slot_unref>;
using BusMessagePtr = Handle<sd_bus_message, sd_bus_message_unref>;
using JournalPtr = Handle<sd_journal, sd_journal_close>;
using MnlSocketPtr = Handle<mnl_socket, mnl_socket_close>;
using NftTablePtr = Handle<nftnl_table, nftnl_table_free>;
using NftChainPtr = Handle<nftnl_chain, nftnl_chain_free>;
using NftRulePtr = Handle<nftnl_rule, nftnl_rule_free>;
using NftSetPtr = Handle<nftnl_set, nftnl_set_free>;
using NftSetElemPtr = Handle<nftnl_set_elem, nftnl_set_elem_free>;
using NftBatchPtr = Handle<nftnl_batch, nftnl_batch_free>;
using NftUdataBufPtr = Handle<nftnl_udata_buf, nftnl_udata_buf_free>;
using XmlDocPtr = Handle<xmlDoc, xmlFreeDoc>;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace rampart
