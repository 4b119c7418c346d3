#include "runtime/stages/decode_stage.h"

namespace tally {

void DecodeStage::run()
{
    StageContext &c = m_context;
    OperatorTimes &times = c.operatorTimes(OperatorKind::Decode, static_cast<int>(m_index));
    RecordDecoder decoder(c.config.source.limits);
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        std::optional<IngestInput> in = c.decodeQueues[m_index]->pop(std::chrono::milliseconds(100));
        times.idleNs->add(nanosSince(t0));
        if (!in)
            continue;
        t0 = times.startStep();
        uint64_t blocked = 0;
        const uint64_t records = in->batch.size();
        uint64_t refused = 0;
        if (!in->batch.records.empty()) {
            std::array<uint64_t, kRejectReasonCount> rejected{};
            OutputMessage side;
            decodeBatch(in->batch, decoder, side.deadLetters, rejected);
            for (size_t r = 0; r < kRejectReasonCount; ++r) {
                c.metrics.rejectedByReason[r]->add(rejected[r]);
                c.metrics.deadLetters.add(rejected[r]);
                refused += rejected[r];
            }
            if (!side.deadLetters.empty())
                c.outputQueue.push(std::move(side), &blocked);
        }
        const bool end = in->endOfInput;
        c.decodedQueues[m_index]->push(std::move(*in), &blocked);
        times.addStep(nanosSince(t0), blocked);
        times.addRecords(records, records - std::min(refused, records));
        if (end)
            return;
    }
}

} // namespace tally
