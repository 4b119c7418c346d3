#include "sink/kafka_dead_letters.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <map>

namespace tally {

struct KafkaDeadLetterWriter::Impl {
    rd_kafka_t *rk = nullptr;
    std::string topic;
    std::string sourceTopic;
    Counter *published = nullptr;
    Counter *failed = nullptr;
    std::atomic<int64_t> pending{0};
    std::atomic<int64_t> errors{0};

    ~Impl()
    {
        if (rk) {
            rd_kafka_flush(rk, 5000);
            rd_kafka_destroy(rk);
        }
    }

    static void onDelivery(rd_kafka_t *, const rd_kafka_message_t *m, void *opaque)
    {
        auto *self = static_cast<Impl *>(opaque);
        if (m->err) {
            self->errors.fetch_add(1);
            self->failed->add();
        } else {
            self->published->add();
        }
        self->pending.fetch_sub(1);
    }
};

Result<std::unique_ptr<KafkaDeadLetterWriter>> KafkaDeadLetterWriter::open(const std::string &bootstrapServers,
                                                                           const std::string &deadLetterTopic,
                                                                           const std::string &sourceTopic,
                                                                           MetricsRegistry &metrics,
                                                                           const std::map<std::string, std::string> &properties)
{
    auto d = std::make_unique<Impl>();
    d->topic = deadLetterTopic;
    d->sourceTopic = sourceTopic;
    d->published = &metrics.counter("tally_kafka_dead_letters_published_total", {}, "Dead letters acknowledged by the dead-letter topic");
    d->failed = &metrics.counter("tally_kafka_dead_letters_failed_total", {}, "Dead-letter deliveries that failed (retried)");
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const std::map<std::string, std::string> settings = {
        {"bootstrap.servers", bootstrapServers}, {"acks", "all"}, {"enable.idempotence", "true"},
        {"linger.ms", "5"}, {"client.id", "tally-dead-letters"}};
    for (const std::map<std::string, std::string> *group : {&settings, &properties}) {
        for (const auto &[k, v] : *group) {
            if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(conf);
                return Status::invalidArgument("kafka dead letters: " + k + ": " + err);
            }
        }
    }
    rd_kafka_conf_set_opaque(conf, d.get());
    rd_kafka_conf_set_dr_msg_cb(conf, &Impl::onDelivery);
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        return Status::unavailable(std::string("kafka dead letters: cannot create producer: ") + err);
    }
    return std::unique_ptr<KafkaDeadLetterWriter>(new KafkaDeadLetterWriter(std::move(d)));
}

KafkaDeadLetterWriter::KafkaDeadLetterWriter(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
KafkaDeadLetterWriter::~KafkaDeadLetterWriter() = default;

Status KafkaDeadLetterWriter::write(std::span<const DeadLetter> records, int timeoutMs)
{
    d->errors = 0;
    for (const DeadLetter &r : records) {
        const std::string reason(rejectReasonName(r.reason));
        const std::string partition = std::to_string(r.partition);
        const std::string offset = std::to_string(r.offset);
        for (;;) {
            const rd_kafka_resp_err_t e = rd_kafka_producev(
                d->rk, RD_KAFKA_V_TOPIC(d->topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(const_cast<char *>(r.payload.data()), r.payload.size()),
                RD_KAFKA_V_HEADER(kDeadLetterReasonHeader, reason.data(), static_cast<ssize_t>(reason.size())),
                RD_KAFKA_V_HEADER(kDeadLetterDetailHeader, r.detail.data(), static_cast<ssize_t>(r.detail.size())),
                RD_KAFKA_V_HEADER(kDeadLetterTopicHeader, d->sourceTopic.data(), static_cast<ssize_t>(d->sourceTopic.size())),
                RD_KAFKA_V_HEADER(kDeadLetterPartitionHeader, partition.data(), static_cast<ssize_t>(partition.size())),
                RD_KAFKA_V_HEADER(kDeadLetterOffsetHeader, offset.data(), static_cast<ssize_t>(offset.size())),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                d->pending.fetch_add(1);
                break;
            }
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                return Status::unavailable(std::string("kafka dead letters: ") + rd_kafka_err2str(e));
            rd_kafka_poll(d->rk, 100); // the local queue is full: serve deliveries, then retry
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (d->pending.load() > 0 && std::chrono::steady_clock::now() < deadline)
        rd_kafka_poll(d->rk, 50);
    if (d->pending.load() > 0)
        return Status::unavailable("kafka dead letters: " + std::to_string(d->pending.load()) + " not acknowledged in time");
    if (d->errors.load() > 0)
        return Status::unavailable("kafka dead letters: " + std::to_string(d->errors.load()) + " deliveries failed");
    return Status::ok();
}

DeadLetterTopicSink::DeadLetterTopicSink(std::unique_ptr<OutputSink> inner, std::unique_ptr<KafkaDeadLetterWriter> writer)
    : m_inner(std::move(inner)), m_writer(std::move(writer))
{
}

Status DeadLetterTopicSink::writeRows(std::span<const OutputRow> rows)
{
    return m_inner ? m_inner->writeRows(rows) : Status::ok();
}

Status DeadLetterTopicSink::writeDeadLetters(std::span<const DeadLetter> records)
{
    // The topic first: if it fails, the engine retries the whole call and the inner sink has not
    // stored a copy yet. A retry after a partial failure may publish a record twice; the
    // source offset header identifies it.
    if (Status s = m_writer->write(records); !s.isOk())
        return s;
    return m_inner ? m_inner->writeDeadLetters(records) : Status::ok();
}

Status DeadLetterTopicSink::writeLateEvents(std::span<const LateEvent> events)
{
    return m_inner ? m_inner->writeLateEvents(events) : Status::ok();
}

Status DeadLetterTopicSink::flush() { return m_inner ? m_inner->flush() : Status::ok(); }

void DeadLetterTopicSink::abandon()
{
    if (m_inner)
        m_inner->abandon();
}

Status DeadLetterTopicSink::commitEpoch(uint64_t epoch) { return m_inner ? m_inner->commitEpoch(epoch) : Status::ok(); }

void DeadLetterTopicSink::noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs)
{
    if (m_inner)
        m_inner->noteEpochCovers(epoch, windowsEndingByMs);
}

uint64_t DeadLetterTopicSink::committedEpoch() const { return m_inner ? m_inner->committedEpoch() : 0; }

uint64_t DeadLetterTopicSink::continueEpochs(uint64_t restored)
{
    return m_inner ? m_inner->continueEpochs(restored) : restored;
}

Status DeadLetterTopicSink::writeRestoredRows(std::span<const OutputRow> rows)
{
    return m_inner ? m_inner->writeRestoredRows(rows) : Status::ok();
}

std::future<Status> DeadLetterTopicSink::drain() { return m_inner ? m_inner->drain() : OutputSink::drain(); }

Status DeadLetterTopicSink::resumeWrites() { return m_inner ? m_inner->resumeWrites() : OutputSink::resumeWrites(); }

Status DeadLetterTopicSink::setDivert(bool on) { return m_inner ? m_inner->setDivert(on) : OutputSink::setDivert(on); }

std::optional<SinkStatus> DeadLetterTopicSink::sinkStatus() const
{
    return m_inner ? m_inner->sinkStatus() : std::nullopt;
}

} // namespace tally
