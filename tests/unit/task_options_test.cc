// The stored form of a run's task settings: what --resume compares and rebuilds the run from.

#include <gtest/gtest.h>

#include "coordinator/task_options.h"

namespace taskfarm {
namespace {

TaskOptions EverythingSet() {
  TaskOptions o;
  o.noop = 3;
  o.burn = 4;
  o.burn_us = 250;
  o.sleep = 5;
  o.sleep_ms = {1, 2, 200};
  o.fault = 1;
  o.fault_mode = "abort-once";
  o.tick = 7;
  o.tick_bucket = "api";
  o.rates = {"api=10/s,100/min"};
  o.burst = 3;
  o.geocode.path = "places.csv";
  o.geocode.column = "city";
  o.geocode.providers = {"offline", "nominatim"};
  o.geocode.endpoint = "http://127.0.0.1:8080";
  o.index.roots = {"docs", "more docs"};
  o.index.excludes = {"*.log"};
  o.index.max_file_size = 1 << 20;
  o.index.converter_timeout_s = 9;
  o.index.converters = {{".rtf", "unrtf --text {}"}};
  o.exec.kind = "exec";
  o.exec.command_line = "gzip -k {}";
  o.exec.command = {"gzip", "-k", "{}"};
  o.exec.args = {"a b", "c"};
  o.exec.null_separated = true;
  o.exec.capture_limit = 99;
  o.exec.results_dir = "out";
  o.exec.timeout_ms = 1500;
  o.exec.retries = 2;
  o.exec.bucket = "api";
  o.exec.lane = Lane::kNetwork;
  o.jobs = "jobs.jsonl";
  return o;
}

TEST(TaskOptions, JsonRoundTripKeepsEverySetting) {
  const nlohmann::json stored = ToJson(EverythingSet());
  const TaskOptions back = TaskOptionsFromJson(stored);
  EXPECT_EQ(ToJson(back), stored);
  EXPECT_EQ(back.sleep_ms, (std::vector<uint64_t>{1, 2, 200}));
  EXPECT_EQ(back.exec.args, (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(back.exec.lane, Lane::kNetwork);
  ASSERT_TRUE(back.burst.has_value());
  EXPECT_DOUBLE_EQ(*back.burst, 3.0);
  EXPECT_EQ(back.index.converters.at(".rtf"), "unrtf --text {}");
}

TEST(TaskOptions, DefaultsRoundTripToo) {
  const nlohmann::json stored = ToJson(TaskOptions{});
  EXPECT_EQ(ToJson(TaskOptionsFromJson(stored)), stored);
  EXPECT_FALSE(TaskOptionsFromJson(stored).HasTasks());
}

TEST(TaskOptions, OneChangedSettingMakesTheStoredFormsDiffer) {
  TaskOptions changed = EverythingSet();
  changed.exec.retries = 3;
  EXPECT_NE(ToJson(changed), ToJson(EverythingSet()));
}

TEST(TaskOptions, WhatIsNotAStoredRunIsRefused) {
  EXPECT_THROW(TaskOptionsFromJson(nlohmann::json::parse(R"({"noop": "many"})")),
               std::exception);
  EXPECT_THROW(TaskOptionsFromJson(nlohmann::json::array()), std::exception);
}

}  // namespace
}  // namespace taskfarm
