#include "fleet/fleet_unit.h"

#include <gtest/gtest.h>

namespace rampart {
namespace {

TEST(FleetUnit, HostOfAUrl) {
  EXPECT_EQ(nats_url_host("nats://192.0.2.1:4222"), "192.0.2.1");
  EXPECT_EQ(nats_url_host("tls://user:pw@[2001:db8::1]:4222"), "2001:db8::1");
  EXPECT_EQ(nats_url_host("nats://nats1.example.org"), "nats1.example.org");
  EXPECT_EQ(nats_url_host("127.0.0.1:4222"), "127.0.0.1");
}

TEST(FleetUnit, TheDropInNamesEveryServer) {
  FleetSettings fleet;
  EXPECT_EQ(fleet_unit_dropin(fleet), "") << "no fleet, nothing to add";
  fleet.enabled = true;
  fleet.servers = {"nats://192.0.2.1:4222", "nats://192.0.2.1:4223", "tls://[2001:db8::5]:4222",
                   "nats://nats3.example.org:4222"};
  std::string text = fleet_unit_dropin(fleet);
  EXPECT_NE(text.find("`systemctl edit rampart`"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  [Service]\n"
                      "  RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n"
                      "  IPAddressAllow=192.0.2.1 2001:db8::5\n"
                      "  IPAddressAllow=ADDRESSES  # of nats3.example.org"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/usr/share/doc/rampart/examples/rampart.service.d/fleet.conf"),
            std::string::npos);
}

}  // namespace
}  // namespace rampart
