#include "worker/network_lane.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "shared/clock.h"
#include "shared/geocode_messages.h"
#include "shared/token_bucket.h"
#include "worker/geocode_provider.h"

namespace taskfarm {
namespace {

constexpr int kIdlePollMs = 1000;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t ReadRetryAfter(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string head(line.substr(0, kName.size()));
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    if (head == kName) {
      std::string value(line.substr(kName.size()));
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t\r\n") + 1);
      *static_cast<std::string*>(user) = value;
    }
  }
  return size * count;
}

}  // namespace

struct NetworkLane::Job {
  wire::Task task;
  GeocodeRequest request;
  std::size_t provider = 0;       // index into request.providers
  uint32_t tries_here = 0;        // attempts at the current provider
  uint32_t attempts = 0;          // HTTP requests made in all
  uint32_t retries = 0;           // of which made again after a retryable failure
  uint64_t not_before_ns = 0;     // back-off: do not start before
  std::optional<uint64_t> slot_ns;  // the reserved token's time
  uint64_t reserved_ns = 0;         // when it was reserved
  bool reported_started = false;
  MonoClock::time_point first_start{};
  CURL* easy = nullptr;
  std::string body;
  std::string retry_after;
  char error[CURL_ERROR_SIZE] = {};
};

class NetworkLane::Loop {
 public:
  Loop(NetworkLane& lane, NetworkLaneConfig config, uint32_t worker_id, RateLimiter* limiter,
       Outbox& outbox, std::function<const Gazetteer*()> gazetteer)
      : lane_(lane),
        config_(std::move(config)),
        worker_id_(worker_id),
        limiter_(limiter),
        outbox_(outbox),
        gazetteer_(std::move(gazetteer)),
        multi_(curl_multi_init()),
        random_(worker_id) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(config_.concurrency));
  }
  ~Loop() {
    for (auto& job : jobs_) DropHandle(*job);
    curl_multi_cleanup(multi_);
  }

  void Wake() { curl_multi_wakeup(multi_); }

  void Run() {
    for (;;) {
      bool closing = TakeSubmitted();
      if (closing && jobs_.empty()) return;
      StartWhatIsDue();
      int running = 0;
      curl_multi_perform(multi_, &running);
      CollectFinished();
      curl_multi_poll(multi_, nullptr, 0, PollTimeoutMs(), nullptr);
    }
  }

 private:
  bool TakeSubmitted() {
    std::lock_guard lock(lane_.mutex_);
    while (!lane_.submitted_.empty()) {
      auto job = std::make_unique<Job>();
      job->task = std::move(lane_.submitted_.front());
      lane_.submitted_.pop_front();
      jobs_.push_back(std::move(job));
    }
    return lane_.closing_;
  }

  TokenBucket* BucketFor(const std::string& provider) {
    if (limiter_ == nullptr) return nullptr;
    if (TokenBucket* bucket = limiter_->Find(provider)) return bucket;
    return limiter_->Find(kDefaultBucket);
  }

  void StartWhatIsDue() {
    const uint64_t now = MonotonicNanos();
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      Job& job = **it;
      if (Done(job) || job.easy != nullptr || job.not_before_ns > now ||
          active_ >= config_.concurrency) {
        ++it;
        continue;
      }
      if (!Prepare(job)) {  // decoded badly or finished without a request
        it = jobs_.erase(it);
        continue;
      }
      if (!job.request.cached_answer.empty()) {  // no token, no request
        outbox_.AddStarted(job.task.id);
        GeocodeAnswer answer = DecodeGeocodeAnswer(job.request.cached_answer).value_or(GeocodeAnswer{});
        answer.cached = true;
        answer.attempts = 0;
        Finish(job, true, {}, EncodeGeocodeAnswer(answer));
        it = jobs_.erase(it);
        continue;
      }
      const std::string& provider = job.request.providers[job.provider];
      if (provider == kOfflineProvider) {
        Offline(job);
        if (Done(job)) {
          it = jobs_.erase(it);
          continue;
        }
        ++it;
        continue;
      }
      if (TokenBucket* bucket = BucketFor(provider)) {
        if (job.slot_ns && bucket->Voided(*job.slot_ns, job.reserved_ns)) job.slot_ns.reset();
        if (!job.slot_ns) {
          job.reserved_ns = now;
          job.slot_ns = bucket->Reserve(1, UINT64_MAX, now);
          if (*job.slot_ns > now) bucket->CountWait(*job.slot_ns - now);
        }
        if (*job.slot_ns > now) {
          job.not_before_ns = *job.slot_ns;  // sleep in curl_multi_poll until the token
          ++it;
          continue;
        }
        bucket->CountUsed(1, *job.slot_ns);
      }
      Start(job, provider);
      ++it;
    }
    jobs_.remove_if([](const std::unique_ptr<Job>& j) { return Done(*j); });
  }

  // Decodes the request on first sight; false when the job ended there (a bad payload).
  bool Prepare(Job& job) {
    if (!job.request.providers.empty()) return true;
    auto request = DecodeGeocodeRequest(job.task.payload);
    if (!request || request->providers.empty()) {
      Fail(job, {ErrorCode::kBadPayload, "geocode payload is not a request", false});
      return false;
    }
    job.request = std::move(*request);
    return true;
  }

  ProviderSettings Settings() const {
    return {config_.google_key, config_.zero_retry_after_pause};
  }

  void Start(Job& job, const std::string& provider) {
    if (quota_spent_.count(provider)) {
      NextProviderOr(job, {ErrorCode::kQuotaExceeded,
                           "not attempted: " + provider + "'s daily quota is used up", false});
      return;
    }
    if (!job.reported_started) {
      outbox_.AddStarted(job.task.id);
      job.reported_started = true;
      job.first_start = MonoClock::now();
    }
    job.slot_ns.reset();
    job.body.clear();
    job.retry_after.clear();
    job.error[0] = '\0';
    job.easy = curl_easy_init();
    const HttpProvider* http = FindHttpProvider(provider);
    if (http == nullptr) {
      Fail(job, {ErrorCode::kBadPayload, "unknown provider " + provider, false});
      return;
    }
    const PlaceQuery query{job.request.query, job.request.country, job.request.language};
    const std::string url = http->url(job.request.endpoint, query, Settings());
    curl_easy_setopt(job.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(job.easy, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(job.easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(job.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
    curl_easy_setopt(job.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(job.easy, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(job.easy, CURLOPT_WRITEDATA, &job.body);
    curl_easy_setopt(job.easy, CURLOPT_HEADERFUNCTION, ReadRetryAfter);
    curl_easy_setopt(job.easy, CURLOPT_HEADERDATA, &job.retry_after);
    curl_easy_setopt(job.easy, CURLOPT_ERRORBUFFER, job.error);
    curl_easy_setopt(job.easy, CURLOPT_PRIVATE, &job);
    curl_easy_setopt(job.easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(4 << 20));
    curl_multi_add_handle(multi_, job.easy);
    ++active_;
    ++job.attempts;
    ++job.tries_here;
  }

  void CollectFinished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Job* job = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &job);
      long status = 0;
      if (message->data.result == CURLE_OK) {
        curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      }
      const std::string transport =
          job->error[0] ? job->error : curl_easy_strerror(message->data.result);
      DropHandle(*job);
      const std::string& provider = job->request.providers[job->provider];
      const ProviderVerdict verdict = FindHttpProvider(provider)->read(
          {status, job->body, transport, job->retry_after}, Settings());
      Judge(*job, provider, verdict);
    }
    jobs_.remove_if([](const std::unique_ptr<Job>& j) { return Done(*j); });
  }

  void Judge(Job& job, const std::string& provider, const ProviderVerdict& verdict) {
    using Kind = ProviderVerdict::Kind;
    switch (verdict.kind) {
      case Kind::kFound:
        Answer(job, provider, verdict);
        return;
      case Kind::kNotFound:
        NextProviderOr(job, {});
        return;
      case Kind::kQuota:
        quota_spent_.insert(provider);
        spdlog::warn("{}; this worker stops asking it", verdict.message);
        NextProviderOr(job, {ErrorCode::kQuotaExceeded, verdict.message, false});
        return;
      case Kind::kPermanent:
        Fail(job, {ErrorCode::kServiceRefused, verdict.message, false});
        return;
      case Kind::kMalformed:
        Fail(job, {ErrorCode::kMalformedResponse, verdict.message, false});
        return;
      case Kind::kRetry:
        Retry(job, provider, verdict);
        return;
    }
  }

  void Retry(Job& job, const std::string& provider, const ProviderVerdict& verdict) {
    const uint64_t now = MonotonicNanos();
    if (verdict.pause) {
      if (TokenBucket* bucket = BucketFor(provider)) {
        bucket->BackOff(now + static_cast<uint64_t>(verdict.pause->count()) * 1'000'000);
      }
    }
    if (job.tries_here > config_.retries) {
      Fail(job, {ErrorCode::kRetriesExhausted,
                 "gave up after " + std::to_string(job.tries_here) + " attempts: " + verdict.message,
                 false});
      return;
    }
    // Exponential back-off with full jitter: uniform in [0, min(max, first * 2^tries)).
    const double ceiling = std::min<double>(
        static_cast<double>(config_.max_backoff.count()),
        static_cast<double>(config_.first_backoff.count()) * std::pow(2.0, job.tries_here - 1));
    ++job.retries;
    const double wait_ms = std::uniform_real_distribution<double>(0, ceiling)(random_);
    job.not_before_ns = now + static_cast<uint64_t>(wait_ms * 1e6);
  }

  void Offline(Job& job) {
    ++job.attempts;
    if (!job.reported_started) {
      outbox_.AddStarted(job.task.id);
      job.reported_started = true;
      job.first_start = MonoClock::now();
    }
    const Gazetteer* gazetteer = gazetteer_();
    if (gazetteer == nullptr) {
      Fail(job, {ErrorCode::kHandlerFailed, "offline gazetteer data is not available", false});
      return;
    }
    LookupOptions options;
    options.country = job.request.country;
    options.alternatives = job.request.candidates;
    if (auto match = gazetteer->Lookup(job.request.query, options)) {
      GeocodeAnswer answer = OkAnswer(job, std::string(kOfflineProvider), match->place->lat,
                                      match->place->lon, match->formatted_address);
      answer.country_code = match->place->country_code;
      answer.match = MatchKindName(match->match);
      answer.confidence = match->confidence;
      answer.ambiguous = match->ambiguous;
      // Only an ambiguous name lists the others: for a clear one they are noise.
      if (match->ambiguous) {
        for (const GazetteerCandidate& other : match->alternatives) {
          answer.alternatives.push_back({other.formatted_address, other.place->lat, other.place->lon});
        }
      }
      Finish(job, true, {}, EncodeGeocodeAnswer(answer));
    } else {
      NextProviderOr(job, {});
    }
  }

  // The query was not found (or the provider cannot be used): the next provider, or the end.
  void NextProviderOr(Job& job, TaskError error) {
    if (job.provider + 1 < job.request.providers.size()) {
      ++job.provider;
      job.tries_here = 0;
      job.not_before_ns = 0;
      job.slot_ns.reset();
      return;
    }
    if (error.code != ErrorCode::kNone) {
      Fail(job, std::move(error));
      return;
    }
    GeocodeAnswer answer;
    answer.status = "not_found";
    answer.provider = job.request.providers.back();
    answer.attempts = job.attempts;
    answer.retries = job.retries;
    Finish(job, true, {}, EncodeGeocodeAnswer(answer));
  }

  static GeocodeAnswer OkAnswer(const Job& job, const std::string& provider, double lat,
                                double lon, const std::string& address) {
    GeocodeAnswer answer;
    answer.status = "ok";
    answer.lat = lat;
    answer.lon = lon;
    answer.formatted_address = address;
    answer.provider = provider;
    answer.attempts = job.attempts;
    answer.retries = job.retries;
    return answer;
  }

  void Answer(Job& job, const std::string& provider, const ProviderVerdict& found) {
    GeocodeAnswer answer = OkAnswer(job, provider, found.lat, found.lon, found.formatted_address);
    answer.country_code = found.country_code;
    Finish(job, true, {}, EncodeGeocodeAnswer(answer));
  }

  // The error row keeps what was tried: the requests made and how many were retries.
  void Fail(Job& job, TaskError error) {
    GeocodeAnswer tried;
    tried.status = "error";
    if (!job.request.providers.empty()) tried.provider = job.request.providers[job.provider];
    tried.attempts = job.attempts;
    tried.retries = job.retries;
    Finish(job, false, std::move(error), EncodeGeocodeAnswer(tried));
  }

  void Finish(Job& job, bool ok, TaskError error, std::string payload) {
    wire::Result result;
    result.task_id = job.task.id;
    result.worker_id = worker_id_;
    result.attempt = job.task.attempt;
    result.ok = ok;
    result.error = std::move(error);
    result.payload = std::move(payload);
    if (job.reported_started) result.run_ns = ToNanos(MonoClock::now() - job.first_start);
    std::vector<wire::Result> results;
    results.push_back(std::move(result));
    outbox_.AddResults({}, results);
    job.task.id = 0;  // marks it done
    std::lock_guard lock(lane_.mutex_);
    if (--lane_.unfinished_ == 0) lane_.idle_.notify_all();
  }

  static bool Done(const Job& job) { return job.task.id == 0; }

  void DropHandle(Job& job) {
    if (job.easy == nullptr) return;
    curl_multi_remove_handle(multi_, job.easy);
    curl_easy_cleanup(job.easy);
    job.easy = nullptr;
    --active_;
  }

  int PollTimeoutMs() const {
    const uint64_t now = MonotonicNanos();
    uint64_t soonest = UINT64_MAX;
    for (const auto& job : jobs_) {
      if (job->easy == nullptr && !Done(*job)) soonest = std::min(soonest, job->not_before_ns);
    }
    if (soonest == UINT64_MAX) return kIdlePollMs;
    if (soonest <= now) return 0;
    return static_cast<int>(std::min<uint64_t>((soonest - now) / 1'000'000 + 1, kIdlePollMs));
  }

  NetworkLane& lane_;
  const NetworkLaneConfig config_;
  const uint32_t worker_id_;
  RateLimiter* limiter_;
  Outbox& outbox_;
  std::function<const Gazetteer*()> gazetteer_;
  CURLM* multi_;
  std::list<std::unique_ptr<Job>> jobs_;
  unsigned active_ = 0;
  std::set<std::string> quota_spent_;
  std::mt19937 random_;
};

NetworkLane::NetworkLane(NetworkLaneConfig config, uint32_t worker_id, RateLimiter* limiter,
                         Outbox& outbox, std::function<const Gazetteer*()> gazetteer)
    : loop_(std::make_unique<Loop>(*this, std::move(config), worker_id, limiter, outbox,
                                   std::move(gazetteer))) {
  thread_ = std::thread([this] { loop_->Run(); });
}

NetworkLane::~NetworkLane() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  loop_->Wake();
  thread_.join();
}

void NetworkLane::Submit(wire::Task task) {
  {
    std::lock_guard lock(mutex_);
    submitted_.push_back(std::move(task));
    ++unfinished_;
  }
  loop_->Wake();
}

void NetworkLane::Drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return unfinished_ == 0; });
}

}  // namespace taskfarm
