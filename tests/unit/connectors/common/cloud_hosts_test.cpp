#include "connectors/common/cloud_hosts.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace polydb {
namespace {

TEST(CloudHosts, RecognisesManagedDatabaseServices) {
  EXPECT_EQ(managed_database("db1.abc123xyz.us-east-1.rds.amazonaws.com")->service, "Amazon RDS");
  EXPECT_EQ(managed_database("c.cluster-ro-abc.cn-north-1.rds.amazonaws.com.cn")->service,
            "Amazon RDS");
  EXPECT_FALSE(managed_database("db1.abc.us-east-1.rds.amazonaws.com")->ca_hint.empty())
      << "RDS needs its own CA bundle: the hint says so";
  EXPECT_EQ(managed_database("srv.postgres.database.azure.com")->service,
            "Azure Database for PostgreSQL");
  EXPECT_EQ(managed_database("srv.mysql.database.azure.com")->service,
            "Azure Database for MySQL");
  EXPECT_TRUE(managed_database("SRV.Postgres.Database.Azure.COM.")) << "case, trailing dot";
  EXPECT_TRUE(managed_database("x.us-central1.sql.goog"));
}

TEST(CloudHosts, OtherHostsAreNotManaged) {
  EXPECT_FALSE(managed_database(""));
  EXPECT_FALSE(managed_database("127.0.0.1"));
  EXPECT_FALSE(managed_database("localhost"));
  EXPECT_FALSE(managed_database("rds.amazonaws.com")) << "the suffix alone is no host";
  EXPECT_FALSE(managed_database("db.rds.amazonaws.com.example.org"));
  EXPECT_FALSE(managed_database("notrds.amazonaws.com"));
}

TEST(CloudHosts, DefaultCaFileIsTheSystemBundle) {
  const std::string ca = default_ca_file();
  ASSERT_FALSE(ca.empty()) << "no system CA bundle (install ca-certificates)";
  EXPECT_TRUE(std::filesystem::exists(ca)) << ca;
}

}  // namespace
}  // namespace polydb
