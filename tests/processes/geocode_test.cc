// Geocoding end to end over real HTTP on loopback: `taskfarm geoserver` as the service,
// real workers with their network lanes, the shared token bucket between them.

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

// The first `count` places of the committed list of GeoNames cities.

std::map<std::string, int> CountBy(const std::vector<nlohmann::json>& rows,
                                   const std::string& field) {
  std::map<std::string, int> counts;
  for (const auto& row : rows) ++counts[row.value(field, std::string("-"))];
  return counts;
}

TEST(Geocode, FiveHundredPlacesAtTheRateLimitAllResolved) {
  TempDir tmp;
  GeoServerProcess server({"--latency-ms", "20"}, tmp);
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 500).string(), "--provider",
                               "nominatim", "--endpoint", server.url(), "--rate",
                               "nominatim=100/s", "--workers", "2", "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = ReadJsonLines(tmp / "r.jsonl");
  ASSERT_EQ(rows.size(), 500u);
  EXPECT_EQ(CountBy(rows, "status")["ok"], 500);
  for (const auto& row : rows) {
    EXPECT_TRUE(row.contains("lat") && row.contains("lon")) << row.dump();
    EXPECT_EQ(row["provider"], "nominatim");
  }
  const auto stats = server.Stats();
  EXPECT_EQ(stats["requests"], 500);
  EXPECT_EQ(stats["refused"], 0);
  // The bucket starts empty and grants 100/s, spaced exactly (the token bucket tests check
  // the grant times themselves). The server stamps arrivals after the client's and its own
  // scheduling delays, which on a loaded 2-core machine squeeze a few requests more into
  // some one-second window (4 to 6 seen on CI runs, more under a sanitizer). A limit that
  // does not hold lets the bucket's whole burst through on top of the rate: about 200 in a
  // second. The bound sits halfway, far from both; the wall time below checks the mean rate.
  // Under ThreadSanitizer a stall of the server or a worker once bunched 172 into a second.
  EXPECT_LE(stats["max_in_a_second"].get<int>(), SanitizerBuild() ? 190 : 150);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_GE(summary["wall_s"].get<double>(), 4.9) << "500 at 100/s cannot be faster than 5 s";
}

TEST(Geocode, ServerRefusingForTwoSecondsPausesTheFarmAndEveryPlaceResolves) {
  TempDir tmp;
  GeoServerProcess server({"--overload-for", "2", "--retry-after", "1"}, tmp);
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 40).string(), "--provider",
                               "nominatim", "--endpoint", server.url(), "--rate",
                               "nominatim=50/s", "--retries", "10", "--workers", "2", "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = ReadJsonLines(tmp / "r.jsonl");
  EXPECT_EQ(CountBy(rows, "status")["ok"], 40);
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_GE(summary["rate_limits"]["nominatim"]["backoffs"].get<int>(), 1);
  EXPECT_GE(summary["wall_s"].get<double>(), 2.0);
  EXPECT_GT(server.Stats()["refused"].get<int>(), 0);
}

// A spell of HTTP 429 in the middle of a run, from a Google-format endpoint (as gateways and
// newer endpoints answer) and from a Nominatim one, with Retry-After in seconds and as an
// HTTP date: every place resolves, and no request comes while a pause the server announced
// runs (past a grace for requests already on their way when the 429 left).
TEST(Geocode, A429SpellMidRunPausesTheProviderUntilRetryAfterAndEveryPlaceResolves) {
  struct Case {
    std::string provider;
    bool date;
  };
  for (const Case& c : {Case{"google", false}, Case{"google", true}, Case{"nominatim", true}}) {
    SCOPED_TRACE(c.provider + (c.date ? ", Retry-After as a date" : ", Retry-After in seconds"));
    TempDir tmp;
    // The spell begins after about 20 of the 60 places.
    std::vector<std::string> server_args = {"--overload-after", "0.5", "--overload-for", "0.8",
                                            "--retry-after", "1", "--google-http-429"};
    if (c.date) server_args.emplace_back("--retry-after-date");
    GeoServerProcess server(server_args, tmp);
    RunOutput run = RunTaskfarm(
        {"run", "--geocode", PlacesFile(tmp, 60).string(), "--provider", c.provider,
         "--endpoint", server.url(), "--rate", c.provider + "=40/s", "--retries", "10",
         "--workers", "2", "--user-agent", "taskfarm-tests", "--out", (tmp / "r.jsonl").string(),
         "--json", "--quiet"},
        tmp, {{"GOOGLE_MAPS_API_KEY", "test-key"}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto rows = ReadJsonLines(tmp / "r.jsonl");
    EXPECT_EQ(CountBy(rows, "status")["ok"], 60);
    const auto stats = server.Stats();
    EXPECT_GT(stats["refused"].get<int>(), 0) << "the spell began mid-run: " << stats;
    EXPECT_EQ(stats["unpaused"], 0) << stats;
    const auto summary = nlohmann::json::parse(run.out);
    EXPECT_GE(summary["rate_limits"][c.provider]["backoffs"].get<int>(), 1) << summary;
    EXPECT_GE(summary["kinds"]["geocode"]["retried"].get<int>(), 1) << summary;
  }
}

TEST(Geocode, TheLanguageIsAskedOfEachServiceInItsOwnWords) {
  TempDir tmp;
  GeoServerProcess server({}, tmp);
  for (const std::string provider : {"google", "nominatim"}) {
    RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 5).string(), "--provider",
                                 provider, "--endpoint", server.url(), "--language", "de",
                                 "--rate", provider + "=100/s", "--user-agent", "taskfarm-tests",
                                 "--out", (tmp / (provider + ".jsonl")).string(), "--quiet"},
                                tmp, {{"GOOGLE_MAPS_API_KEY", "test-key"}});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (const auto& row : ReadJsonLines(tmp / (provider + ".jsonl"))) {
      EXPECT_EQ(row["country_code"].get<std::string>().size(), 2u) << "read from its answer: " << row;
    }
  }
  EXPECT_EQ(server.Stats()["languages"]["de"], 10) << server.Stats();
  RunOutput bad = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 5).string(), "--language",
                               "Deutsch!"},
                              tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'Deutsch!' is not a language tag"), std::string::npos) << bad.err;
}

TEST(Geocode, MalformedBodiesAndRefusedRequestsAreErrorRowsAndTheRunEnds) {
  TempDir tmp;
  {
    GeoServerProcess server({"--malformed-rate", "1"}, tmp);
    RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 10).string(), "--provider",
                                 "google", "--endpoint", server.url(), "--out",
                                 (tmp / "malformed.jsonl").string(), "--quiet"},
                                tmp, {{"GOOGLE_MAPS_API_KEY", "test-key"}});
    EXPECT_EQ(run.exit_code, 1);
    const auto rows = ReadJsonLines(tmp / "malformed.jsonl");
    ASSERT_EQ(rows.size(), 10u);
    for (const auto& row : rows) {
      EXPECT_EQ(row["status"], "error");
      EXPECT_EQ(row["error_code"], "malformed_response");
      EXPECT_NE(row["error"].get<std::string>().find("google: malformed response"),
                std::string::npos);
    }
  }
  GeoServerProcess server({}, tmp);
  RunOutput denied = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 5).string(), "--provider",
                                  "google", "--endpoint", server.url(), "--out",
                                  (tmp / "denied.jsonl").string(), "--quiet"},
                                 tmp, {{"GOOGLE_MAPS_API_KEY", ""}});
  EXPECT_EQ(denied.exit_code, 1);
  for (const auto& row : ReadJsonLines(tmp / "denied.jsonl")) {
    EXPECT_EQ(row["error_code"], "service_refused");
    EXPECT_NE(row["error"].get<std::string>().find("REQUEST_DENIED: You must use an API key"),
              std::string::npos)
        << row.dump();
  }
  EXPECT_EQ(server.Stats()["requests"], 5) << "a permanent error is not retried";
}

// A refusal that echoes the request (key and all) leaves no trace of the key: not in the
// rows, the --out file, the database or the log.
TEST(Geocode, AnEchoedApiKeyIsRedactedEverywhere) {
  TempDir tmp;
  GeoServerProcess server({}, tmp);
  const std::string key = "denied-s3cret/+key";  // '/' and '+' travel URL-encoded
  const auto db = tmp / "run.db";
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 3).string(), "--provider",
                               "google", "--endpoint", server.url(), "--db", db.string(),
                               "--out", (tmp / "r.jsonl").string(), "--log-level", "debug"},
                              tmp, {{"GOOGLE_MAPS_API_KEY", key}});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const auto rows = ReadJsonLines(tmp / "r.jsonl");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[0]["error"].get<std::string>().find("key=[redacted]"), std::string::npos)
      << rows[0].dump();
  RunOutput report = RunTaskfarm({"report", "--db", db.string(), "--out",
                                  (tmp / "again.csv").string()},
                                 tmp);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  for (const auto& file : {tmp / "r.jsonl", tmp / "again.csv", db}) {
    EXPECT_EQ(ReadFile(file).find("s3cret"), std::string::npos) << file;
  }
  EXPECT_EQ(run.err.find("s3cret"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find("s3cret"), std::string::npos) << run.out;
}

TEST(Geocode, ServerErrorsAreRetriedUntilTheyPass) {
  TempDir tmp;
  GeoServerProcess server({"--error-rate", "0.3", "--seed", "7"}, tmp);
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 60).string(), "--provider",
                               "nominatim", "--endpoint", server.url(), "--rate",
                               "nominatim=200/s", "--retries", "8", "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = ReadJsonLines(tmp / "r.jsonl");
  EXPECT_EQ(CountBy(rows, "status")["ok"], 60);
  int retried = 0, requests = 0;
  for (const auto& row : rows) {
    retried += row["attempts"].get<int>() > 1;
    requests += row["attempts"].get<int>();
  }
  EXPECT_GT(retried, 5) << "about 30% of requests fail once";
  EXPECT_EQ(server.Stats()["requests"].get<int>(), requests) << "each row counts its requests";
  // The summary counts the requests made again where they happened, as retries.
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["geocode"]["retried"].get<int>(), requests - 60) << run.out;
}

TEST(Geocode, AnErrorRowSaysHowManyRequestsItMade) {
  TempDir tmp;
  GeoServerProcess server({"--error-rate", "1"}, tmp);
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 2).string(), "--provider",
                               "nominatim", "--endpoint", server.url(), "--retries", "2",
                               "--out", (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    EXPECT_EQ(row["status"], "error") << row;
    EXPECT_EQ(row["attempts"], 3) << "the first request and two retries, not one task attempt";
    EXPECT_NE(row["error"].get<std::string>().find("gave up after 3 attempts"), std::string::npos)
        << row;
  }
  EXPECT_EQ(nlohmann::json::parse(run.out)["kinds"]["geocode"]["retried"], 4);
}

TEST(Geocode, BadLinesAreErrorRowsNamingTheLineAndTheRestResolves) {
  TempDir tmp;
  const auto input = tmp / "input.txt";
  {
    std::ofstream out(input, std::ios::binary);
    out << "Paris\n\n# a comment\nCaf\xe9 latin-1\n" << std::string(600, 'x') << "\nLondon\n"
        << "paris\n";
  }
  RunOutput run = RunTaskfarm({"run", "--geocode", input.string(), "--out",
                               (tmp / "r.jsonl").string(), "--json", "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1);
  std::map<std::string, std::string> errors;
  int ok = 0;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    if (row["status"] == "ok") ++ok;
    if (row["status"] == "error") errors[row["error"]] = row["error_code"];
  }
  EXPECT_EQ(ok, 3) << "Paris, London, and paris: a repeat has its own row";
  EXPECT_EQ(nlohmann::json::parse(run.out)["kinds"]["geocode"]["done"], 2)
      << "Paris asked once";
  EXPECT_EQ(errors["line 4: not valid UTF-8"], "bad_input");
  EXPECT_EQ(errors["line 5: longer than 512 bytes"], "bad_input");
}

TEST(Geocode, CsvColumnInputAndBadArguments) {
  TempDir tmp;
  const auto csv = tmp / "input.csv";
  std::ofstream(csv) << "id,place,note\n1,\"Reykjavík, Iceland\",x\n2,Wroclaw,\"a, b\"\n";
  RunOutput run = RunTaskfarm({"run", "--geocode", csv.string(), "--column", "place", "--out",
                               (tmp / "r.csv").string(), "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string table = ReadFile(tmp / "r.csv");
  EXPECT_NE(table.find("\"Reykjavík, Iceland\",,,ok,64.1"), std::string::npos) << table;
  EXPECT_NE(table.find("Wroclaw,,,ok,51.1"), std::string::npos) << table;

  // A spreadsheet's export often starts with a byte order mark: the header still counts.
  const auto with_bom = tmp / "bom.csv";
  std::ofstream(with_bom) << "\xEF\xBB\xBFplace\nWroclaw\n";
  RunOutput bom = RunTaskfarm({"run", "--geocode", with_bom.string(), "--column", "place",
                               "--json", "--quiet"},
                              tmp);
  EXPECT_EQ(bom.exit_code, 0) << bom.err;

  RunOutput no_column = RunTaskfarm({"run", "--geocode", csv.string(), "--column", "city"}, tmp);
  EXPECT_EQ(no_column.exit_code, 2);
  EXPECT_NE(no_column.err.find("no column 'city'"), std::string::npos) << no_column.err;
  RunOutput missing = RunTaskfarm({"run", "--geocode", (tmp / "nope.txt").string()}, tmp);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.txt"), std::string::npos);
  RunOutput bad_provider = RunTaskfarm({"run", "--geocode", csv.string(), "--provider", "bing"},
                                       tmp);
  EXPECT_EQ(bad_provider.exit_code, 2);
  EXPECT_NE(bad_provider.err.find("'bing'"), std::string::npos);
}

TEST(Geocode, DailyQuotaStopsTheProviderAndTheCascadeTakesOver) {
  TempDir tmp;
  GeoServerProcess server({"--daily-limit", "10"}, tmp);
  const std::map<std::string, std::string> key = {{"GOOGLE_MAPS_API_KEY", "test-key"}};
  RunOutput alone = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 100).string(), "--provider",
                                 "google", "--endpoint", server.url(), "--workers", "2",
                                 "--io-concurrency", "2", "--out",
                                 (tmp / "alone.jsonl").string(), "--quiet"},
                                tmp, key);
  EXPECT_EQ(alone.exit_code, 1);
  const auto rows = ReadJsonLines(tmp / "alone.jsonl");
  EXPECT_EQ(CountBy(rows, "status")["ok"], 10);
  EXPECT_EQ(CountBy(rows, "error_code")["quota_exceeded"], 90);
  // A worker stops asking at its first OVER_DAILY_LIMIT; requests already in flight then
  // (at most --io-concurrency per worker) still get their answers.
  EXPECT_LE(server.Stats()["requests"].get<int>(), 10 + 2 * 2);

  RunOutput cascade = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 40).string(), "--provider",
                                   "google,offline", "--endpoint", server.url(), "--out",
                                   (tmp / "cascade.jsonl").string(), "--quiet"},
                                  tmp, key);
  EXPECT_EQ(cascade.exit_code, 0) << cascade.err;
  const auto cascaded = ReadJsonLines(tmp / "cascade.jsonl");
  EXPECT_EQ(CountBy(cascaded, "status")["ok"], 40);
  EXPECT_EQ(CountBy(cascaded, "provider")["offline"], 40) << "google's quota is spent";
}

// The offline rows join back to the input by line, say how each name matched and how sure
// the answer is, and an ambiguous name names the other places it could be.
TEST(Geocode, OfflineRowsSayHowSureTheyAreAndJoinBackToTheirLines) {
  TempDir tmp;
  std::ofstream(tmp / "places.txt") << "# from the issue\nMoskau\n\nSpringfield\nLondon, ON\n"
                                       "Amsterdm\nGermany\n";
  RunOutput run = RunTaskfarm({"run", "--geocode", (tmp / "places.txt").string(), "--out",
                               (tmp / "rows.jsonl").string(), "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : ReadJsonLines(tmp / "rows.jsonl")) rows[row["query"]] = row;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows["Moskau"]["line"], 2);
  EXPECT_EQ(rows["Moskau"]["match"], "alias");
  EXPECT_EQ(rows["Moskau"]["formatted_address"], "Moscow, Russia");
  EXPECT_EQ(rows["Springfield"]["line"], 4);
  EXPECT_EQ(rows["Springfield"]["ambiguous"], true);
  EXPECT_LT(rows["Springfield"]["confidence"].get<double>(), 0.6);
  ASSERT_EQ(rows["Springfield"]["candidates"].size(), 3u) << "--candidates defaults to 3";
  for (const auto& other : rows["Springfield"]["candidates"]) {
    EXPECT_EQ(other["formatted_address"].get<std::string>().rfind("Springfield, ", 0), 0u) << other;
  }
  EXPECT_EQ(rows["London, ON"]["formatted_address"], "London, Ontario, Canada");
  EXPECT_FALSE(rows["London, ON"].contains("ambiguous"));
  EXPECT_EQ(rows["Amsterdm"]["match"], "fuzzy");
  EXPECT_EQ(rows["Germany"]["formatted_address"], "Germany");
  EXPECT_EQ(rows["Germany"]["country_code"], "DE");
  EXPECT_EQ(rows["London, ON"]["country_code"], "CA");
  EXPECT_EQ(rows["Germany"]["confidence"], 1.0);

  // --country keeps the answers in one country; --candidates 0 names none.
  std::ofstream(tmp / "two.txt") << "London\nVictoria\n";
  RunOutput canada = RunTaskfarm({"run", "--geocode", (tmp / "two.txt").string(), "--country",
                                  "ca", "--candidates", "0", "--out",
                                  (tmp / "ca.jsonl").string(), "--quiet"},
                                 tmp);
  ASSERT_EQ(canada.exit_code, 0) << canada.err;
  for (const auto& row : ReadJsonLines(tmp / "ca.jsonl")) {
    ASSERT_EQ(row["status"], "ok") << row;
    EXPECT_NE(row["formatted_address"].get<std::string>().find(", Canada"), std::string::npos) << row;
    EXPECT_FALSE(row.contains("candidates")) << row;
  }
  RunOutput bad = RunTaskfarm({"run", "--geocode", (tmp / "two.txt").string(), "--country",
                               "Canada"},
                              tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'Canada' is not a two-letter country code"), std::string::npos) << bad.err;
}

TEST(Geocode, ASemicolonOrTabCsvIsReadWithDelimiter) {
  TempDir tmp;
  std::ofstream(tmp / "semi.csv") << "id;city;country\n1;Zadar;HR\n2;\"Reykjavík; capital\";IS\n"
                                     "3;Berlin;DE\n";
  RunOutput semi = RunTaskfarm({"run", "--geocode", (tmp / "semi.csv").string(), "--column",
                                "city", "--delimiter", ";", "--out", (tmp / "s.jsonl").string(),
                                "--quiet"},
                               tmp);
  ASSERT_EQ(semi.exit_code, 0) << semi.err;
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : ReadJsonLines(tmp / "s.jsonl")) rows[row["query"]] = row;
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows["Zadar"]["formatted_address"], "Zadar, Croatia");
  EXPECT_EQ(rows["Berlin"]["line"], 4);
  EXPECT_TRUE(rows.count("Reykjavík; capital")) << "a quoted field keeps its separator";
  std::ofstream(tmp / "tab.tsv") << "id\tcity\n1\tZadar\n";
  RunOutput tab = RunTaskfarm({"run", "--geocode", (tmp / "tab.tsv").string(), "--column", "city",
                               "--delimiter", "tab", "--out", (tmp / "t.jsonl").string(),
                               "--quiet"},
                              tmp);
  ASSERT_EQ(tab.exit_code, 0) << tab.err;
  EXPECT_EQ(ReadJsonLines(tmp / "t.jsonl").at(0)["formatted_address"], "Zadar, Croatia");
  RunOutput bad = RunTaskfarm({"run", "--geocode", (tmp / "tab.tsv").string(), "--column", "city",
                               "--delimiter", "ab"},
                              tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'ab' is not one field separator"), std::string::npos) << bad.err;
}

TEST(Geocode, ACsvWithoutAColumnIsRefusedNamingItsColumns) {
  TempDir tmp;
  std::ofstream(tmp / "places.csv") << "\xEF\xBB\xBFid;city,country\n1,Zadar,HR\n";
  RunOutput run = RunTaskfarm({"run", "--geocode", (tmp / "places.csv").string()}, tmp);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("places.csv: a CSV file: name the column of places with --column (its "
                         "header has: id;city, country)"),
            std::string::npos)
      << run.err;
}

TEST(Geocode, ARunThatKeepsNoAnswersSaysSoBeforeItStarts) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 40).string()}, tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("taskfarm: warning: 40 places and neither --out nor --db"),
            std::string::npos)
      << run.err;
  RunOutput kept = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 40).string(), "--out",
                                (tmp / "r.jsonl").string()},
                               tmp);
  EXPECT_EQ(kept.err.find("warning"), std::string::npos) << kept.err;
}

// A public service is asked only when named, and then only as its policy allows; each
// refusal comes before any request (nothing here reaches the network).
TEST(Geocode, APublicServiceIsNeverADefaultAndItsPolicyIsKept) {
  TempDir tmp;
  const std::string places = PlacesFile(tmp, 3).string();
  const std::string public_url = "https://nominatim.openstreetmap.org";
  RunOutput unnamed = RunTaskfarm({"run", "--geocode", places, "--provider", "nominatim"}, tmp);
  EXPECT_EQ(unnamed.exit_code, 2);
  EXPECT_NE(unnamed.err.find("--provider nominatim needs --endpoint URL"), std::string::npos)
      << unnamed.err;
  RunOutput anonymous = RunTaskfarm(
      {"run", "--geocode", places, "--provider", "nominatim", "--endpoint", public_url + "/"}, tmp);
  EXPECT_EQ(anonymous.exit_code, 2);
  EXPECT_NE(anonymous.err.find("asks for a User-Agent that names you"), std::string::npos)
      << anonymous.err;
  RunOutput hasty = RunTaskfarm({"run", "--geocode", places, "--provider", "nominatim",
                                 "--endpoint", public_url, "--user-agent", "test/1.0 (t@example.org)",
                                 "--rate", "nominatim=50/s"},
                                tmp);
  EXPECT_EQ(hasty.exit_code, 2);
  EXPECT_NE(hasty.err.find("allows at most 1/s"), std::string::npos) << hasty.err;
  RunOutput google = RunTaskfarm({"run", "--geocode", places, "--provider", "offline,google"}, tmp);
  EXPECT_EQ(google.exit_code, 2) << "a cascade's other providers are checked too";
}

TEST(Geocode, AMissingGazetteerIsSaidUpFront) {
  TempDir tmp;
  RunOutput run = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 3).string(), "--provider",
                               "offline", "--gazetteer", (tmp / "nowhere").string()},
                              tmp);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--provider offline needs the gazetteer: no " +
                         (tmp / "nowhere" / "places.tsv").string() +
                         " (run scripts/fetch-gazetteer and build"),
            std::string::npos)
      << run.err;
  // Each file it reads is checked, not only the first.
  std::filesystem::create_directories(tmp / "half");
  std::ofstream(tmp / "half" / "places.tsv") << "";
  std::ofstream(tmp / "half" / "regions.tsv") << "";
  RunOutput half = RunTaskfarm({"run", "--geocode", PlacesFile(tmp, 3).string(), "--provider",
                                "offline", "--gazetteer", (tmp / "half").string()},
                               tmp);
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("no " + (tmp / "half" / "names.bin").string()), std::string::npos)
      << half.err;
}

// The coordinator's peak memory (VmHWM) once the run has begun: the input has been read
// through. The run is then stopped with SIGINT.
long PeakKbOnceRunning(const std::filesystem::path& places, const TempDir& tmp) {
  const auto out = tmp / (places.stem().string() + ".jsonl");
  Taskfarm farm({"run", "--geocode", places.string(), "--workers", "1", "--out", out.string(),
                 "--quiet"},
                tmp);
  EXPECT_TRUE(WaitFor([&] { return ReadFile(out).find('\n') != std::string::npos; },
                      std::chrono::seconds(120)));
  long peak_kb = 0;
  std::istringstream status(ReadFile("/proc/" + std::to_string(farm.pid()) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) peak_kb = std::stol(line.substr(6));
  }
  farm.Signal(SIGINT);
  farm.Wait();
  return peak_kb;
}

TEST(Geocode, ALongPlaceFileIsReadAsTheRunGoesNotHeld) {
  TempDir tmp;
  {
    std::ofstream few(tmp / "few.txt");
    for (int i = 0; i < 10; ++i) few << "Smalltown " << i << '\n';
    std::ofstream many(tmp / "many.txt");
    for (int i = 0; i < 300000; ++i) many << "Northern town number " << i << ", region " << i % 997 << '\n';
  }
  const long few_kb = PeakKbOnceRunning(tmp / "few.txt", tmp);
  const long many_kb = PeakKbOnceRunning(tmp / "many.txt", tmp);
  std::cout << "coordinator peak: 10 places " << few_kb / 1024 << " MB, 300,000 places "
            << many_kb / 1024 << " MB\n";
  // Held as tasks, 300,000 places took about 90 MB more; read as the run goes, the
  // duplicate finder's 16-byte fingerprints take 16 MB.
#if TASKFARM_MEMORY_MEASURABLE
  EXPECT_LT(many_kb - few_kb, 45 * 1024) << "KB more for 300,000 places";
#endif
}

TEST(Geocode, ReportSaysWhatTheRunSaid) {
  TempDir tmp;
  std::ofstream(tmp / "places.txt") << "Paris\nXqzvvbnm\nOslo\n";
  const auto db = (tmp / "run.db").string();
  RunOutput run = RunTaskfarm({"run", "--geocode", (tmp / "places.txt").string(), "--db", db,
                               "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunOutput report = RunTaskfarm({"report", "--db", db, "--json"}, tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const auto ran = nlohmann::json::parse(run.out)["kinds"]["geocode"];
  const auto reported = nlohmann::json::parse(report.out)["kinds"]["geocode"];
  EXPECT_EQ(ran["done"], 3);
  EXPECT_EQ(ran["failed"], 0) << "a place not found is an answer, not a failure";
  EXPECT_EQ(reported["done"], ran["done"]);
  EXPECT_EQ(reported["failed"], ran["failed"]);
  EXPECT_EQ(reported["failed_by_reason"], ran["failed_by_reason"]);
}

TEST(Geocode, PlacesFromStdin) {
  TempDir tmp;
  const std::string command = "printf 'Oslo\\nLima, Peru\\n' | TMPDIR='" + tmp.path().string() +
                              "' " + TASKFARM_BIN + " run --geocode - --quiet --out " +
                              (tmp / "r.jsonl").string();
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 0);
  const auto rows = ReadJsonLines(tmp / "r.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(CountBy(rows, "status")["ok"], 2);
}

TEST(Geocode, AnsweredPlacesComeFromTheCacheAcrossRunsUnlessRefreshed) {
  TempDir tmp;
  GeoServerProcess server({}, tmp);
  const auto db = (tmp / "run.db").string();
  const std::vector<std::string> run = {"run", "--geocode", PlacesFile(tmp, 30).string(),
                                        "--provider", "nominatim", "--endpoint", server.url(),
                                        "--rate", "nominatim=100/s", "--db", db, "--json",
                                        "--quiet"};
  ASSERT_EQ(RunTaskfarm(run, tmp).exit_code, 0);
  EXPECT_EQ(server.Stats()["requests"], 30);

  auto again = run;
  again.insert(again.end(), {"--out", (tmp / "again.jsonl").string()});
  RunOutput cached = RunTaskfarm(again, tmp);
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(server.Stats()["requests"], 30) << "no request for a cached place";
  const auto summary = nlohmann::json::parse(cached.out);
  EXPECT_EQ(summary["geocode_cache_hits"], 30);
  EXPECT_EQ(summary["rate_limits"]["nominatim"]["granted"], 0) << "a cache hit takes no token";
  for (const auto& row : ReadJsonLines(tmp / "again.jsonl")) {
    EXPECT_EQ(row["cached"], true);
    EXPECT_EQ(row["status"], "ok");
  }

  auto refresh = run;
  refresh.emplace_back("--refresh");
  ASSERT_EQ(RunTaskfarm(refresh, tmp).exit_code, 0);
  EXPECT_EQ(server.Stats()["requests"], 60);
}

}  // namespace
}  // namespace taskfarm::testing
