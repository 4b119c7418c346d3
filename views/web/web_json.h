// The web console's JSON: the console snapshot, the action catalogue, the chart series and the
// audit log as the REST API and the live feed send them, in English. The shapes are documented in
// resources/web/openapi.yaml.
#pragma once

#include "models/engine_host.h"

#include <QJsonObject>
#include <QStringList>

namespace tally {

// Everything the pages show at one instant: job, rates, partitions, operators, sink, windows,
// checkpoints, the host's alerts (with runbook ids), action availability, last savepoint and
// every metric.
QJsonObject snapshotJson(const EngineHost &host);

// The action catalogue, in menu order, with each action's availability now and its parameters'
// current values: {"actions":[{"name","label","description","subject","confirmation","shortcut",
// "parameters":[{"name","type","label","minimum","maximum","value"}],"enabled","reason"}]}.
QJsonObject actionCatalogueJson(const EngineHost &host);
// GET /api/v1/actions/{name}/plan: {"dry_run": "...", "checks": ["folders_writable", ...]}.
QJsonObject actionPlanJson(const EngineHost::Plan &plan);

// Retained points of the series named in `names` (all series when empty) newer than `sinceMs`,
// as {"series":[{"name","labels",{...},"points":[[t_ms,value],...]}]}. Series names are those of
// TimeSeriesStore ("tally_events_total:rate", "tally_sink_write_latency_us:p99", ...).
QJsonObject seriesJson(const EngineHost &host, const QStringList &names, int64_t sinceMs);

// A watched post's likes_per_post windows, oldest first:
// {"post":"ID","windows":[{"windowStartMs","windowEndMs","value"}]}.
QJsonObject postWindowsJson(uint64_t post, const std::vector<WindowValue> &windows);

// The dead-letter browser: the newest `limit` letters (of `reason`, if given) older than
// sequence `before`, newest first, with the run's totals by reason:
// {"kept":N,"payloadBytesKept":N,"total":N,"totals":{"malformed":N,...},
//  "letters":[{"sequence","atMs","reason","detail","partition","offset","bytes","payload" (base64)}]}.
QJsonObject deadLettersJson(const RecentDeadLetters &recent, std::optional<RejectReason> reason, size_t limit,
                            uint64_t before);

// The checkpoints and savepoints on disk, newest first: {"points":[{"kind":"checkpoint"|"savepoint",
// "incremental","epoch","takenAtMs","bytes","path","command"}]}; command is "tally --restore PATH".
// GET /api/v1/dead-letters?stored=1: the sink's stored dead letters, or why there are none to read.
QJsonObject storedDeadLettersJson(const Result<StoredDeadLetters> &stored);
QJsonObject restorePointsJson(const std::vector<RestorePoint> &points);
// GET /api/v1/kafka: the topic and consumer group as the broker describes them; {"kafka": false}
// without a Kafka source, {"kafka": true} alone while no consumer reads the topic (a rescale).
QJsonObject topicViewJson(const std::optional<TopicView> &view, bool kafka);

// The newest `limit` rows of the audit log.
QJsonObject auditJson(AuditLog &log, int limit);

} // namespace tally
