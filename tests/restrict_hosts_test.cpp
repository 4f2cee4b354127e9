#include "restrict_hosts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace runall;

namespace {

using Names = std::vector<std::string>;

TEST(RestrictHosts, HostAllowedChecksNameAndPlan) {
  uint32_t base = (172u << 24) | (20u << 16);
  Names guests = {"netqemu", "solqemu"};
  std::string why;
  EXPECT_TRUE(HostAllowed(guests, base, "netqemu", "172.20.3.2", &why));
  EXPECT_TRUE(HostAllowed(guests, base, "SolQemu", "172.20.0.2", &why));
  EXPECT_TRUE(HostAllowed(guests, base, "netqemu", "", &why));
  EXPECT_FALSE(HostAllowed(guests, base, "other", "172.20.3.2", &why));
  EXPECT_NE(std::string::npos, why.find("not a guest")) << why;
  EXPECT_FALSE(HostAllowed(guests, base, "netqemu", "172.20.3.1", &why));
  EXPECT_NE(std::string::npos, why.find("172.20.N.2")) << why;
  EXPECT_FALSE(HostAllowed(guests, base, "netqemu", "10.0.0.2", &why));
}

}  // namespace
