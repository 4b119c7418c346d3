#include "sink/output.h"

#include <algorithm>

namespace tally {

Status OutputSink::commitEpoch(uint64_t) { return Status::ok(); }

void OutputSink::noteEpochCovers(uint64_t, int64_t) {}

uint64_t OutputSink::committedEpoch() const { return 0; }

uint64_t OutputSink::continueEpochs(uint64_t restored) { return std::max(committedEpoch(), restored); }

Status OutputSink::writeRestoredRows(std::span<const OutputRow> rows) { return writeRows(rows); }

std::future<Status> OutputSink::drain()
{
    std::promise<Status> done;
    done.set_value(Status::unimplemented("this sink cannot drain"));
    return done.get_future();
}

Status OutputSink::resumeWrites() { return Status::unimplemented("this sink cannot hold writes"); }

Status OutputSink::setDivert(bool) { return Status::unimplemented("this sink cannot divert"); }

} // namespace tally
