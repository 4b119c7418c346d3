// The settings of the five aggregations (DESIGN.md): window sizes, slides, top K and thresholds,
// as [aggregations.*] of the job configuration sets them.
#pragma once

#include <cstdint>
#include <vector>

namespace tally {

struct LikesPerPostConfig {
    int64_t windowMs = 60000; // tumbling window, default 1 min
};

struct TrendingHourlyConfig {
    int64_t windowMs = 3600000; // tumbling window, default 1 h
    int topK = 100;             // posts kept per window, default 100
};

struct LikesByRegionConfig {
    std::vector<int64_t> windowsMs = {60000, 3600000}; // tumbling windows, default 1 min and 1 h
};

struct LikeVelocityConfig {
    int64_t sizeMs = 900000;      // sliding window size, default 15 min
    int64_t slideMs = 60000;      // slide (= pane) length, default 1 min
    double minPerMinute = 1.0;    // a post is reported when its rate reaches this (likes/min, > 0)
    double viralPerMinute = 100;  // "viral" flag threshold (likes/min)
    // ...and the newest slide's rate must be at least this many times the window's: a post whose
    // likes accelerate, not one that is merely popular (0: the rate alone decides).
    double viralAcceleration = 3;
};

struct SpamSuspectsConfig {
    int64_t sizeMs = 10000;          // sliding window size, default 10 s
    int64_t slideMs = 1000;          // slide (= pane) length, default 1 s
    int64_t threshold = 20;          // flag at this many likes in one window
    int64_t minLikes = 10;           // the baseline rule needs at least this many likes ...
    double baselineFactor = 5;       // ... and this many times the user's own baseline
    int64_t baselineBucketMs = 60000;// baseline = user's likes per window length, averaged over
    int baselineBuckets = 5;         // this many closed buckets before the window (see DESIGN)
};

// The five together; JobConfig is one (its members keep their names: config.likesPerPost, ...).
struct AggregationConfig {
    LikesPerPostConfig likesPerPost;
    TrendingHourlyConfig trendingHourly;
    LikesByRegionConfig likesByRegion;
    LikeVelocityConfig likeVelocity;
    SpamSuspectsConfig spamSuspects;
};

} // namespace tally
