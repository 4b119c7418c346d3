#include "runtime/config_fingerprint.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace tally {

namespace {

// A threshold as the fingerprint writes it: as few significant digits as still read back as the
// same number, and no fewer than 6. A value that 6 digits carry reads as it always has, and a
// change in the 17th digit is still a change.
std::string exactNumber(double v)
{
    char buf[64];
    for (int digits = 6;; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (digits >= 17 || std::strtod(buf, nullptr) == v)
            return buf;
    }
}

} // namespace

std::string configFingerprint(const JobConfig &c)
{
    // The keys the option table marks as shaping the state (runtime/job_options.cpp); tst_job_config
    // checks that the two agree.
    std::ostringstream out;
    out << "aggregations.likes_per_post.window_ms=" << c.likesPerPost.windowMs << '\n'
        << "aggregations.trending_hourly.window_ms=" << c.trendingHourly.windowMs << '\n'
        << "aggregations.trending_hourly.top_k=" << c.trendingHourly.topK << '\n'
        << "aggregations.likes_by_region.windows_ms=";
    for (size_t i = 0; i < c.likesByRegion.windowsMs.size(); ++i)
        out << (i ? "," : "") << c.likesByRegion.windowsMs[i];
    out << '\n'
        << "aggregations.like_velocity.size_ms=" << c.likeVelocity.sizeMs << '\n'
        << "aggregations.like_velocity.slide_ms=" << c.likeVelocity.slideMs << '\n'
        << "aggregations.like_velocity.min_per_minute=" << exactNumber(c.likeVelocity.minPerMinute) << '\n'
        << "aggregations.like_velocity.viral_per_minute=" << exactNumber(c.likeVelocity.viralPerMinute) << '\n'
        << "aggregations.spam_suspects.size_ms=" << c.spamSuspects.sizeMs << '\n'
        << "aggregations.spam_suspects.slide_ms=" << c.spamSuspects.slideMs << '\n'
        << "aggregations.spam_suspects.threshold=" << c.spamSuspects.threshold << '\n'
        << "aggregations.spam_suspects.min_likes=" << c.spamSuspects.minLikes << '\n'
        << "aggregations.spam_suspects.baseline_factor=" << exactNumber(c.spamSuspects.baselineFactor) << '\n'
        << "aggregations.spam_suspects.baseline_bucket_ms=" << c.spamSuspects.baselineBucketMs << '\n'
        << "aggregations.spam_suspects.baseline_buckets=" << c.spamSuspects.baselineBuckets << '\n'
        << "runtime.allowed_lateness_ms=" << c.runtime.allowedLatenessMs << '\n';
    // Written only when set: with 0 (the rate alone, as before the option existed) a savepoint
    // taken by an older build keeps its fingerprint and restores.
    if (c.likeVelocity.viralAcceleration != 0)
        out << "aggregations.like_velocity.viral_acceleration=" << exactNumber(c.likeVelocity.viralAcceleration) << '\n';
    return out.str();
}

} // namespace tally
