#include "views/web/web_json.h"

#include "metrics/time_series.h"
#include "models/action_catalogue.h"
#include "models/alerts.h"
#include "models/restore_point_model.h"
#include "time/watermark.h"

#include <QJsonArray>

#include <cmath>

namespace tally {

namespace {

QJsonArray windowValuesJson(const std::vector<WindowValue> &windows)
{
    QJsonArray out;
    for (const WindowValue &v : windows)
        out.append(QJsonObject{{QStringLiteral("windowStartMs"), static_cast<double>(v.windowStartMs)},
                               {QStringLiteral("windowEndMs"), static_cast<double>(v.windowEndMs)},
                               {QStringLiteral("value"), static_cast<double>(v.value)}});
    return out;
}

QJsonValue watermarkValue(int64_t ms)
{
    if (ms <= kMinWatermark || ms >= kMaxWatermark)
        return QJsonValue::Null; // none yet, or past the end of input (see "...Final")
    return static_cast<double>(ms);
}

QJsonValue optionalNumber(const std::optional<double> &v) { return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null); }

QJsonObject labelsJson(const Labels &labels)
{
    QJsonObject o;
    for (const auto &[k, v] : labels)
        o.insert(QString::fromStdString(k), QString::fromStdString(v));
    return o;
}

QString str(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

QJsonObject jobJson(const EngineHost &host, const ConsoleSnapshot &s)
{
    const JobStatus &j = s.job;
    QJsonArray checkpoints;
    for (const CheckpointRecord &c : j.checkpoints)
        checkpoints.append(QJsonObject{{QStringLiteral("epoch"), static_cast<double>(c.epoch)},
                                       {QStringLiteral("triggeredAtMs"), static_cast<double>(c.triggeredAtMs)},
                                       {QStringLiteral("durationMs"), static_cast<double>(c.durationMs)},
                                       {QStringLiteral("alignmentMs"), c.alignmentMs},
                                       {QStringLiteral("syncMs"), c.syncMs},
                                       {QStringLiteral("asyncMs"), c.asyncMs},
                                       {QStringLiteral("sizeBytes"), static_cast<double>(c.sizeBytes)},
                                       {QStringLiteral("fullSizeBytes"), static_cast<double>(c.fullSizeBytes)},
                                       {QStringLiteral("stateRecords"), static_cast<double>(c.stateRecords)},
                                       {QStringLiteral("incremental"), c.incremental},
                                       {QStringLiteral("sharedFiles"), c.sharedFiles},
                                       {QStringLiteral("completed"), c.completed},
                                       {QStringLiteral("failure"), QString::fromStdString(c.failure)}});
    return {
        {QStringLiteral("state"), str(jobStateName(j.state))},
        {QStringLiteral("finished"), host.finished()},
        {QStringLiteral("parallelism"), host.config().runtime.parallelism},
        {QStringLiteral("source"), host.sourceDescription()},
        {QStringLiteral("sinkDescription"), host.sinkDescription()},
        {QStringLiteral("recordsIn"), static_cast<double>(j.recordsIn)},
        {QStringLiteral("eventsIn"), static_cast<double>(j.eventsIn)},
        {QStringLiteral("deadLetters"), static_cast<double>(j.deadLetters)},
        {QStringLiteral("lateEvents"), static_cast<double>(j.lateEvents)},
        {QStringLiteral("droppedEvents"), static_cast<double>(j.droppedEvents)},
        {QStringLiteral("rowsOut"), static_cast<double>(j.rowsOut)},
        {QStringLiteral("windowsFired"), static_cast<double>(j.windowsFired)},
        {QStringLiteral("watermarkMs"), watermarkValue(j.watermarkMs)},
        {QStringLiteral("watermarkFinal"), j.watermarkMs >= kMaxWatermark},
        {QStringLiteral("watermarkSkewMs"), static_cast<double>(j.watermarkSkewMs)},
        {QStringLiteral("watermarkBoundMs"), static_cast<double>(s.watermarkBoundMs)},
        {QStringLiteral("epoch"), static_cast<double>(j.epoch)},
        {QStringLiteral("committedEpoch"), static_cast<double>(j.committedEpoch)},
        {QStringLiteral("checkpointsEnabled"), j.checkpointsEnabled},
        {QStringLiteral("checkpointIntervalMs"), static_cast<double>(host.config().checkpoint.intervalMs)},
        {QStringLiteral("checkpoints"), checkpoints},
        {QStringLiteral("restoring"), j.restoring ? QJsonValue(QJsonObject{{QStringLiteral("from"), QString::fromStdString(j.restoring->from)},
                                                                           {QStringLiteral("tasksDone"), j.restoring->tasksDone},
                                                                           {QStringLiteral("tasks"), j.restoring->tasks},
                                                                           {QStringLiteral("forMs"), static_cast<double>(j.restoring->forMs)}})
                                                  : QJsonValue(QJsonValue::Null)},
    };
}

QJsonObject sinkJson(const SinkFigures &k)
{
    return {
        {QStringLiteral("present"), k.present},
        {QStringLiteral("name"), QString::fromStdString(k.name)},
        {QStringLiteral("circuit"), str(circuitStateName(k.circuit))},
        {QStringLiteral("held"), k.held},
        {QStringLiteral("pendingRows"), static_cast<double>(k.pendingRows)},
        {QStringLiteral("divertedRows"), static_cast<double>(k.divertedRows)},
        {QStringLiteral("rowsPerSecond"), k.rowsPerSecond},
        {QStringLiteral("retries"), static_cast<double>(k.retries)},
        {QStringLiteral("transientErrors"), static_cast<double>(k.transientErrors)},
        {QStringLiteral("rejectedRows"), static_cast<double>(k.rejectedRows)},
        {QStringLiteral("committedEpoch"), static_cast<double>(k.committedEpoch)},
        {QStringLiteral("lastWindowEndMs"), k.lastWindowEndMs ? QJsonValue(static_cast<double>(k.lastWindowEndMs))
                                                              : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("p50Ms"), k.p50Ms},
        {QStringLiteral("p99Ms"), k.p99Ms},
        {QStringLiteral("maxMs"), k.maxMs},
        {QStringLiteral("recentP99Ms"), optionalNumber(k.recentP99Ms)},
    };
}

// The capacity estimate at the parallelism its costs were measured at, and the forecast of the
// console's burst; null until the costs are known. headroom is null while nothing comes in.
QJsonValue capacityJson(const ConsoleSnapshot &s)
{
    const std::optional<CapacityEstimate> e = s.capacityNow();
    if (!e)
        return QJsonValue::Null;
    const BurstForecast burst = forecastBurst(*e, kForecastBurstRate, kForecastBurstSeconds);
    return QJsonObject{
        {QStringLiteral("parallelism"), e->parallelism},
        {QStringLiteral("sustainableRecordsPerSecond"), e->sustainableRecordsPerSecond},
        {QStringLiteral("inputRecordsPerSecond"), e->inputRecordsPerSecond},
        {QStringLiteral("headroom"), std::isfinite(e->headroom()) ? QJsonValue(e->headroom()) : QJsonValue()},
        {QStringLiteral("limitedBy"), QString::fromStdString(e->limitedBy)},
        {QStringLiteral("burst"),
         QJsonObject{{QStringLiteral("rate"), burst.rate},
                     {QStringLiteral("seconds"), burst.seconds},
                     {QStringLiteral("peakLagRecords"), burst.peakLagRecords},
                     // null: never cleared at the current input
                     {QStringLiteral("clearSeconds"), burst.clearSeconds ? QJsonValue(*burst.clearSeconds) : QJsonValue()}}},
    };
}

// upToDateMs and ageSeconds are null while nothing is stored (and once complete).
QJsonObject freshnessJson(const Freshness &f)
{
    return {
        {QStringLiteral("upToDateMs"), f.upToDateMs && !f.complete ? QJsonValue(static_cast<double>(*f.upToDateMs))
                                                                   : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("complete"), f.complete},
        {QStringLiteral("ageSeconds"), optionalNumber(f.ageSeconds)},
        {QStringLiteral("kafkaLagSeconds"), f.sourceLagSeconds},
        {QStringLiteral("watermarkSeconds"), f.watermarkDelaySeconds},
        {QStringLiteral("firingSeconds"), f.firingSeconds},
        {QStringLiteral("sinkSeconds"), f.sinkSeconds},
    };
}

QJsonArray metricsJson(const MetricsSnapshot &m)
{
    QJsonArray out;
    for (const MetricSample &s : m.samples) {
        QJsonObject o{{QStringLiteral("name"), QString::fromStdString(s.name)},
                      {QStringLiteral("labels"), labelsJson(s.labels)},
                      {QStringLiteral("kind"), str(metricKindName(s.kind))},
                      {QStringLiteral("value"), s.value}};
        if (s.kind == MetricKind::Histogram) {
            o.insert(QStringLiteral("sum"), s.histogram.sum);
            o.insert(QStringLiteral("max"), static_cast<double>(s.histogram.max));
            o.insert(QStringLiteral("p50"), s.histogram.quantile(0.5));
            o.insert(QStringLiteral("p99"), s.histogram.quantile(0.99));
        }
        out.append(o);
    }
    return out;
}

QJsonObject alertsJson(const AlertModel &alerts)
{
    QJsonArray rules;
    for (const AlertRule &r : alerts.rules())
        rules.append(QJsonObject{{QStringLiteral("id"), r.id},
                                 {QStringLiteral("title"), r.title.english()},
                                 {QStringLiteral("unit"), r.thresholdUnit.english()},
                                 {QStringLiteral("threshold"), r.threshold},
                                 {QStringLiteral("forSeconds"), r.forSeconds},
                                 {QStringLiteral("runbook"), r.id}});
    QJsonArray history;
    for (const Alert &a : alerts.alerts())
        history.append(QJsonObject{
            {QStringLiteral("ruleId"), a.ruleId},
            {QStringLiteral("title"), a.title.english()},
            {QStringLiteral("active"), a.active()},
            {QStringLiteral("firedAtMs"), static_cast<double>(a.firedAtMs)},
            {QStringLiteral("resolvedAtMs"),
             a.resolvedAtMs ? QJsonValue(static_cast<double>(*a.resolvedAtMs)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("value"), a.value},
            {QStringLiteral("threshold"), a.threshold},
            {QStringLiteral("runbook"), a.ruleId}});
    return {{QStringLiteral("activeCount"), alerts.activeCount()},
            {QStringLiteral("rules"), rules},
            {QStringLiteral("history"), history}};
}

QJsonObject availabilityJson(const EngineHost::Availability &a)
{
    return {{QStringLiteral("enabled"), a.enabled}, {QStringLiteral("reason"), a.reason.english()}};
}

QJsonValue textOrNull(const UiText &text) { return text.isEmpty() ? QJsonValue(QJsonValue::Null) : text.english(); }

} // namespace

QJsonObject actionPlanJson(const EngineHost::Plan &plan)
{
    QJsonArray checks;
    for (const std::string &check : plan.checks)
        checks.append(QString::fromStdString(check));
    return QJsonObject{{QStringLiteral("dry_run"), QString::fromStdString(plan.dryRun)}, {QStringLiteral("checks"), checks}};
}

QJsonObject actionCatalogueJson(const EngineHost &host)
{
    QJsonArray actions;
    for (const ActionSpec &spec : ActionCatalogue::all()) {
        const QVariantMap current = host.currentParameters(spec.action);
        QJsonArray parameters;
        for (const ActionParameter &p : spec.parameters)
            parameters.append(QJsonObject{{QStringLiteral("name"), p.name},
                                          {QStringLiteral("type"), ActionCatalogue::typeName(p.type)},
                                          {QStringLiteral("label"), p.label.english()},
                                          {QStringLiteral("minimum"), p.minimum},
                                          {QStringLiteral("maximum"), p.maximum},
                                          {QStringLiteral("value"), QJsonValue::fromVariant(current.value(p.name))}});
        QJsonObject o = availabilityJson(host.availability(spec.action));
        o.insert(QStringLiteral("name"), spec.name);
        o.insert(QStringLiteral("label"), ActionCatalogue::withoutMnemonic(spec.label.english()));
        o.insert(QStringLiteral("description"), spec.description.english());
        o.insert(QStringLiteral("subject"), ActionCatalogue::subjectName(spec.subject));
        o.insert(QStringLiteral("confirmation"), textOrNull(spec.confirmation));
        o.insert(QStringLiteral("shortcut"), spec.shortcut.isEmpty() ? QJsonValue(QJsonValue::Null) : spec.shortcut);
        o.insert(QStringLiteral("parameters"), parameters);
        actions.append(o);
    }
    return {{QStringLiteral("actions"), actions}};
}

QJsonObject snapshotJson(const EngineHost &host)
{
    const AlertModel &alerts = host.alerts();
    const ConsoleSnapshot &s = host.snapshot();

    QJsonArray partitions;
    for (const PartitionFigures &p : s.partitions)
        partitions.append(QJsonObject{{QStringLiteral("partition"), p.partition},
                                      {QStringLiteral("records"), static_cast<double>(p.records)},
                                      {QStringLiteral("recordsPerSecond"), p.recordsPerSecond},
                                      {QStringLiteral("watermarkMs"), watermarkValue(p.watermarkMs)},
                                      {QStringLiteral("watermarkFinal"), p.watermarkMs >= kMaxWatermark},
                                      {QStringLiteral("idle"), p.idle},
                                      {QStringLiteral("lagRecords"), optionalNumber(p.lagRecords)},
                                      {QStringLiteral("lagSeconds"), optionalNumber(p.lagSeconds)},
                                      {QStringLiteral("lagStatus"), p.lagStatus ? QJsonValue(str(lagStatusName(*p.lagStatus)))
                                                                                : QJsonValue(QJsonValue::Null)},
                                      {QStringLiteral("committedOffset"), p.committedOffset >= 0 ? QJsonValue(static_cast<double>(p.committedOffset))
                                                                                                 : QJsonValue(QJsonValue::Null)}});
    QJsonArray operators;
    for (const OperatorFigures &o : s.operators)
        operators.append(QJsonObject{{QStringLiteral("name"), QString::fromStdString(o.name)},
                                     {QStringLiteral("kind"), str(operatorKindName(o.kind))},
                                     {QStringLiteral("busy"), o.busy},
                                     {QStringLiteral("idle"), o.idle},
                                     {QStringLiteral("backpressured"), o.backpressured},
                                     {QStringLiteral("recordsInPerSecond"), o.recordsInPerSecond},
                                     {QStringLiteral("recordsOutPerSecond"), o.recordsOutPerSecond}});
    QJsonArray windows;
    for (const LiveWindow &w : s.windows) {
        QJsonArray leaders;
        for (const LiveEntry &e : w.leaders)
            leaders.append(QJsonObject{{QStringLiteral("key"), QString::number(e.key)},
                                       {QStringLiteral("value"), static_cast<double>(e.value)},
                                       {QStringLiteral("flag"), e.flag}});
        windows.append(QJsonObject{{QStringLiteral("aggregation"), str(aggregationName(w.aggregation))},
                                   {QStringLiteral("windowStartMs"), static_cast<double>(w.windowStartMs)},
                                   {QStringLiteral("windowEndMs"), static_cast<double>(w.windowEndMs)},
                                   {QStringLiteral("lengthMs"), static_cast<double>(w.windowEndMs - w.windowStartMs)},
                                   {QStringLiteral("leaders"), leaders}});
    }
    QJsonObject actions;
    for (const ActionSpec &spec : ActionCatalogue::all())
        actions.insert(spec.name, availabilityJson(host.availability(spec.action)));
    QJsonValue lagging = QJsonValue::Null;
    if (const auto p = s.laggingPartition())
        lagging = *p;
    QJsonValue hottest = QJsonValue::Null;
    if (const auto h = s.hottestPartition())
        hottest = QJsonObject{{QStringLiteral("partition"), h->first}, {QStringLiteral("share"), h->second}};

    return {
        {QStringLiteral("takenAtMs"), static_cast<double>(s.takenAtMs)},
        {QStringLiteral("kafka"), s.kafka},
        {QStringLiteral("job"), jobJson(host, s)},
        {QStringLiteral("rates"),
         QJsonObject{{QStringLiteral("eventsPerSecond"), s.eventsPerSecond},
                     {QStringLiteral("rowsPerSecond"), s.rowsPerSecond},
                     {QStringLiteral("recordsPerSecond"), s.recordsPerSecond},
                     {QStringLiteral("deadLettersPerSecond"), s.deadLettersPerSecond},
                     {QStringLiteral("droppedPerSecond"), s.droppedPerSecond}}},
        {QStringLiteral("lagSeconds"), s.lagSeconds},
        // null: not catching up (JSON has no infinity)
        {QStringLiteral("timeToCatchUpSeconds"),
         std::isinf(s.timeToCatchUpSeconds) ? QJsonValue() : QJsonValue(s.timeToCatchUpSeconds)},
        {QStringLiteral("partitions"), partitions},
        {QStringLiteral("laggingPartition"), lagging},
        {QStringLiteral("hottestPartition"), hottest},
        {QStringLiteral("operators"), operators},
        {QStringLiteral("sink"), sinkJson(s.sink)},
        {QStringLiteral("freshness"), freshnessJson(s.freshness)},
        {QStringLiteral("capacity"), capacityJson(s)},
        {QStringLiteral("windows"), windows},
        {QStringLiteral("watchedPost"), s.watchedPost ? QJsonValue(QString::number(*s.watchedPost)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("watchedHistory"), windowValuesJson(s.watchedHistory)},
        {QStringLiteral("alerts"), alertsJson(alerts)},
        {QStringLiteral("actions"), actions},
        {QStringLiteral("lastSavepoint"), s.lastSavepoint.empty() ? QJsonValue(QJsonValue::Null)
                                                                  : QJsonValue(QString::fromStdString(s.lastSavepoint))},
        {QStringLiteral("metrics"), metricsJson(s.metrics)},
    };
}

QJsonObject seriesJson(const EngineHost &host, const QStringList &names, int64_t sinceMs)
{
    const TimeSeriesStore &store = host.timeSeries();
    QJsonArray out;
    for (const auto &[name, labels] : store.seriesNames()) {
        const QString qname = QString::fromStdString(name);
        if (!names.isEmpty() && !names.contains(qname))
            continue;
        QJsonArray points;
        for (const TimeSeriesPoint &p : store.series(name, labels))
            if (p.tMs > sinceMs)
                points.append(QJsonArray{static_cast<double>(p.tMs), p.value});
        out.append(QJsonObject{{QStringLiteral("name"), qname},
                               {QStringLiteral("labels"), labelsJson(labels)},
                               {QStringLiteral("points"), points}});
    }
    return {{QStringLiteral("series"), out}};
}

QJsonObject postWindowsJson(uint64_t post, const std::vector<WindowValue> &windows)
{
    return QJsonObject{{QStringLiteral("post"), QString::number(post)}, {QStringLiteral("windows"), windowValuesJson(windows)}};
}

namespace {

QJsonArray lettersJson(const std::vector<BrowsedDeadLetter> &browsed)
{
    QJsonArray letters;
    for (const BrowsedDeadLetter &d : browsed)
        letters.append(QJsonObject{
            {QStringLiteral("sequence"), static_cast<double>(d.sequence)},
            {QStringLiteral("atMs"), static_cast<double>(d.atMs)},
            {QStringLiteral("reason"), QString::fromUtf8(rejectReasonName(d.reason).data())},
            {QStringLiteral("detail"), QString::fromStdString(d.detail)},
            {QStringLiteral("partition"), d.partition},
            {QStringLiteral("offset"), static_cast<double>(d.offset)},
            {QStringLiteral("bytes"), static_cast<double>(d.payloadBytes)},
            {QStringLiteral("payload"), QString::fromLatin1(QByteArray::fromStdString(d.payload).toBase64())}});
    return letters;
}

} // namespace

QJsonObject deadLettersJson(const RecentDeadLetters &recent, std::optional<RejectReason> reason, size_t limit,
                            uint64_t before)
{
    QJsonObject totals;
    double total = 0;
    const auto counts = recent.totals();
    for (size_t r = 0; r < counts.size(); ++r) {
        totals.insert(str(rejectReasonName(static_cast<RejectReason>(r))), static_cast<double>(counts[r]));
        total += static_cast<double>(counts[r]);
    }
    return QJsonObject{{QStringLiteral("kept"), static_cast<double>(RecentDeadLetters::kKept)},
                       {QStringLiteral("payloadBytesKept"), static_cast<double>(RecentDeadLetters::kPayloadBytes)},
                       {QStringLiteral("total"), total},
                       {QStringLiteral("totals"), totals},
                       {QStringLiteral("letters"), lettersJson(recent.newest(reason, limit, before))}};
}

QJsonObject storedDeadLettersJson(const Result<StoredDeadLetters> &stored)
{
    if (!stored)
        return QJsonObject{{QStringLiteral("stored"), true},
                           {QStringLiteral("unavailable"), QString::fromStdString(stored.status().message())},
                           {QStringLiteral("letters"), QJsonArray{}}};
    return QJsonObject{{QStringLiteral("stored"), true},
                       {QStringLiteral("complete"), stored->complete},
                       {QStringLiteral("payloadBytesKept"), static_cast<double>(RecentDeadLetters::kPayloadBytes)},
                       {QStringLiteral("letters"), lettersJson(stored->letters)}};
}

QJsonObject restorePointsJson(const std::vector<RestorePoint> &points)
{
    QJsonArray out;
    for (const RestorePoint &p : points) {
        out.append(QJsonObject{{QStringLiteral("kind"), p.kind == RestorePoint::Kind::Savepoint ? QStringLiteral("savepoint")
                                                                                              : QStringLiteral("checkpoint")},
                               {QStringLiteral("incremental"), p.incremental},
                               {QStringLiteral("epoch"), static_cast<double>(p.epoch)},
                               {QStringLiteral("takenAtMs"), static_cast<double>(p.takenAtMs)},
                               {QStringLiteral("bytes"), static_cast<double>(p.bytes)},
                               {QStringLiteral("path"), QString::fromStdString(p.path)},
                               {QStringLiteral("command"), restoreCommand(p)}});
    }
    return QJsonObject{{QStringLiteral("points"), out}};
}

QJsonObject topicViewJson(const std::optional<TopicView> &view, bool kafka)
{
    if (!view)
        return QJsonObject{{QStringLiteral("kafka"), kafka}};
    const auto ints = [](const std::vector<int> &v) {
        QJsonArray out;
        for (int i : v)
            out.append(i);
        return out;
    };
    const auto offset = [](int64_t o) { return o >= 0 ? QJsonValue(static_cast<double>(o)) : QJsonValue(); };
    QJsonArray brokers, partitions, members;
    for (const TopicView::Broker &b : view->brokers)
        brokers.append(QJsonObject{{QStringLiteral("id"), b.id},
                                   {QStringLiteral("host"), QString::fromStdString(b.host)},
                                   {QStringLiteral("port"), b.port}});
    for (const TopicView::Partition &p : view->partitions)
        partitions.append(QJsonObject{{QStringLiteral("partition"), p.partition},
                                      {QStringLiteral("leader"), p.leader >= 0 ? QJsonValue(p.leader) : QJsonValue()},
                                      {QStringLiteral("replicas"), ints(p.replicas)},
                                      {QStringLiteral("inSync"), ints(p.inSync)},
                                      {QStringLiteral("logStartOffset"), offset(p.logStartOffset)},
                                      {QStringLiteral("logEndOffset"), offset(p.logEndOffset)},
                                      {QStringLiteral("groupOffset"), offset(p.groupOffset)},
                                      {QStringLiteral("owner"), p.owner.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(p.owner))}});
    for (const TopicView::Member &m : view->members)
        members.append(QJsonObject{{QStringLiteral("memberId"), QString::fromStdString(m.memberId)},
                                   {QStringLiteral("clientId"), QString::fromStdString(m.clientId)},
                                   {QStringLiteral("host"), QString::fromStdString(m.host)},
                                   {QStringLiteral("instanceId"), m.instanceId.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(m.instanceId))},
                                   {QStringLiteral("partitions"), ints(m.partitions)},
                                   {QStringLiteral("self"), m.self}});
    const auto text = [](const std::string &s) { return s.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(s)); };
    return QJsonObject{{QStringLiteral("kafka"), true},
                       {QStringLiteral("topic"), QString::fromStdString(view->topic)},
                       {QStringLiteral("group"), QString::fromStdString(view->group)},
                       {QStringLiteral("refreshedAtMs"), offset(view->refreshedAtMs)},
                       {QStringLiteral("error"), text(view->error)},
                       {QStringLiteral("brokers"), brokers},
                       {QStringLiteral("partitions"), partitions},
                       {QStringLiteral("topicPartitions"), view->topicPartitions > 0 ? QJsonValue(view->topicPartitions) : QJsonValue()},
                       {QStringLiteral("groupState"), text(view->groupState)},
                       {QStringLiteral("assignor"), text(view->assignor)},
                       {QStringLiteral("coordinator"), view->coordinator >= 0 ? QJsonValue(view->coordinator) : QJsonValue()},
                       {QStringLiteral("members"), members}};
}

QJsonObject auditJson(AuditLog &log, int limit)
{
    QJsonArray rows;
    for (const AuditEntry &e : log.recent(limit))
        rows.append(QJsonObject{{QStringLiteral("id"), static_cast<double>(e.id)},
                                {QStringLiteral("atMs"), static_cast<double>(e.atMs)},
                                {QStringLiteral("user"), e.user},
                                {QStringLiteral("source"), e.source},
                                {QStringLiteral("action"), e.action},
                                {QStringLiteral("parameters"), e.parameters},
                                {QStringLiteral("outcome"), e.outcome},
                                {QStringLiteral("detail"), e.detail}});
    return {{QStringLiteral("entries"), rows}};
}

} // namespace tally
